//! Writing the fsspec ReferenceFileSystem JSON (version 0) of a listing.
//!
//! The output follows the seed's (tifffile + zarr 2) byte for byte from
//! `"COH/.zattrs"` on: one coordinates part, then one section per variable in
//! [`Variable::ALL`] order with its `.zattrs`, `.zarray` and one `[url]` per
//! file, sorted by chunk index. The coordinates part holds the same keys,
//! metadata and decoded values as the seed's; its Blosc frames come from our
//! own LZ4 encoder, so their bytes differ.

use std::io::{self, Write};

use base64::Engine as _;
use serde_json::{json, Value};

use crate::dataset::{Dimension, Variable};
use crate::listing::{ListedFile, Listing};
use crate::{blosc, coordinates, pyjson, zarr};

/// The bucket's public HTTPS URL of `data/tiles/`, the default base URL.
pub const BUCKET_TILES_URL: &str =
    "https://sentinel-1-global-coherence-earthbigdata.s3.us-west-2.amazonaws.com/data/tiles/";

/// What was written for one variable (the seed prints the same figures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableSummary {
    pub variable: Variable,
    /// Files (chunks with a URL).
    pub files: u64,
    /// Chunks of the grid without a file: they read as the fill value.
    pub missing: u64,
    /// The zarr array shape.
    pub shape: Vec<u64>,
}

/// Progress of a write, reported between blocks of files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub files_written: u64,
    pub files_total: u64,
}

/// The zarr `.zarray` of a data variable (tifffile writes it with indent 1).
pub fn variable_zarray(variable: Variable) -> Value {
    json!({
        "chunks": variable.chunks(),
        "compressor": {"id": zarr::TIFF_COMPRESSOR},
        "dtype": variable.dtype().zarr(),
        "fill_value": 0,
        "filters": null,
        "order": "C",
        "shape": variable.shape(),
        "zarr_format": 2,
    })
}

/// The `.zattrs` of an array: xarray's dimension names.
pub fn dimensions_zattrs(names: &[&str]) -> Value {
    json!({ "_ARRAY_DIMENSIONS": names })
}

/// Writes the whole reference JSON for `listing`, with each file's URL
/// `base_url` + its path below `data/tiles/`, percent-quoted as tifffile
/// quotes it.
///
/// tifffile first strips the directory that all files of a variable share:
/// none when they span several tiles (every real listing), but the tile
/// directory when they all sit in one, which makes those URLs point where
/// no file is. We always keep the whole path.
pub fn write_references<W: Write>(
    out: &mut W,
    listing: &Listing,
    base_url: &str,
    progress: &mut dyn FnMut(Progress),
) -> io::Result<Vec<VariableSummary>> {
    let mut base = String::new();
    // Escaping is the identity for ordinary URLs and keeps odd ones valid JSON.
    pyjson::push_string(&mut base, base_url);
    base.pop();
    base.remove(0);
    if !base.ends_with('/') {
        base.push('/');
    }

    out.write_all(coordinates_part().as_bytes())?;
    let total = listing.files().len() as u64;
    let mut written = 0u64;
    let mut summaries = Vec::with_capacity(Variable::ALL.len());
    // One buffer per parallel task, reused: fresh multi-megabyte buffers
    // would cost a page fault per 4 KiB written.
    let mut buffers = vec![Vec::new(); threads()];
    for variable in Variable::ALL {
        out.write_all(variable_header(variable).as_bytes())?;
        let files = listing.variable_files(variable);
        for block in files.chunks(BLOCK_FILES * threads()) {
            format_block(listing, block, &base, &mut buffers);
            for bytes in &buffers {
                out.write_all(bytes)?;
            }
            written += block.len() as u64;
            progress(Progress {
                files_written: written,
                files_total: total,
            });
        }
        summaries.push(VariableSummary {
            variable,
            files: files.len() as u64,
            missing: variable.chunk_grid_len() - files.len() as u64,
            shape: variable.shape(),
        });
    }
    out.write_all(b"\n}")?;
    Ok(summaries)
}

/// Files formatted per task: large enough to amortize, small enough to
/// keep memory flat.
const BLOCK_FILES: usize = 32 * 1024;

#[cfg(feature = "parallel")]
fn threads() -> usize {
    rayon::current_num_threads()
}

#[cfg(not(feature = "parallel"))]
fn threads() -> usize {
    1
}

#[cfg(feature = "parallel")]
fn format_block(listing: &Listing, block: &[ListedFile], base: &str, buffers: &mut [Vec<u8>]) {
    use rayon::prelude::*;
    buffers.iter_mut().for_each(Vec::clear);
    block
        .par_chunks(BLOCK_FILES)
        .zip(buffers.par_iter_mut())
        .for_each(|(files, buf)| format_chunk_refs(buf, listing, files, base));
}

#[cfg(not(feature = "parallel"))]
fn format_block(listing: &Listing, block: &[ListedFile], base: &str, buffers: &mut [Vec<u8>]) {
    for buf in buffers.iter_mut() {
        buf.clear();
    }
    if let Some(buf) = buffers.first_mut() {
        format_chunk_refs(buf, listing, block, base);
    }
}

/// `,\n "<VAR>/<i>.<j>…": ["<base><path>"]` for each file.
fn format_chunk_refs(buf: &mut Vec<u8>, listing: &Listing, files: &[ListedFile], base: &str) {
    buf.reserve(files.len() * (base.len() + 80));
    let mut number = itoa::Buffer::new();
    for file in files {
        let Some(key) = file.key.unpack() else {
            continue;
        };
        buf.extend_from_slice(b",\n \"");
        buf.extend_from_slice(key.variable.name().as_bytes());
        buf.push(b'/');
        for (i, index) in key.indices().iter().enumerate() {
            if i > 0 {
                buf.push(b'.');
            }
            buf.extend_from_slice(number.format(*index).as_bytes());
        }
        buf.extend_from_slice(b"\": [\"");
        buf.extend_from_slice(base.as_bytes());
        quote_into(buf, listing.path_bytes(file));
        buf.extend_from_slice(b"\"]");
    }
}

/// Python's `urllib.parse.quote(path)`: everything but letters, digits,
/// `_.-~` and `/` becomes `%XX`.
fn quote_into(buf: &mut Vec<u8>, path: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    // The bucket's names are all safe: check with a table, copy them whole.
    if path.iter().all(|&b| URL_SAFE[b as usize]) {
        buf.extend_from_slice(path);
        return;
    }
    for &b in path {
        if URL_SAFE[b as usize] {
            buf.push(b);
        } else {
            buf.extend_from_slice(&[b'%', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
        }
    }
}

/// Bytes `urllib.parse.quote` leaves alone: letters, digits, `_.-~/`.
const URL_SAFE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'~' | b'/');
        b += 1;
    }
    table
};

/// `,\n "<VAR>/.zattrs": "…",\n "<VAR>/.zarray": "…"`: tifffile's
/// `json.dumps({...}, indent=1)[2:-2]` after a `,\n`.
pub fn variable_header(variable: Variable) -> String {
    let names: Vec<&str> = variable.dimensions().iter().map(|d| d.name()).collect();
    let mut out = String::from(",\n ");
    pyjson::push_string(&mut out, &format!("{variable}/.zattrs"));
    out.push_str(": ");
    pyjson::push_string(
        &mut out,
        &pyjson::dumps_indented(&dimensions_zattrs(&names), 1),
    );
    out.push_str(",\n ");
    pyjson::push_string(&mut out, &format!("{variable}/.zarray"));
    out.push_str(": ");
    pyjson::push_string(
        &mut out,
        &pyjson::dumps_indented(&variable_zarray(variable), 1),
    );
    out
}

/// One coordinate array as zarr 2 writes it into a store: key → bytes.
struct CoordinateArray {
    dim: Dimension,
    zarray: Value,
    chunks: Vec<Vec<u8>>,
}

/// A 1-D `.zarray` as zarr 2 writes it for a coordinate array.
fn coordinate_zarray(
    len: usize,
    chunk: usize,
    dtype: &str,
    compressor: Value,
    fill_value: Value,
    filters: Value,
) -> Value {
    json!({
        "chunks": [chunk], "compressor": compressor, "dtype": dtype, "fill_value": fill_value,
        "filters": filters, "order": "C", "shape": [len], "zarr_format": 2,
    })
}

fn coordinate_arrays() -> Vec<CoordinateArray> {
    /// Numbers as little-endian bytes, Blosc/LZ4-compressed by zarr's
    /// default compressor in chunks of `chunk` items.
    fn numeric<const N: usize>(
        dim: Dimension,
        dtype: &str,
        fill_value: Value,
        items: impl ExactSizeIterator<Item = [u8; N]>,
        chunk: usize,
    ) -> CoordinateArray {
        let len = items.len();
        let bytes: Vec<u8> = items.flatten().collect();
        let blosc_lz4 =
            json!({"blocksize": 0, "clevel": 5, "cname": "lz4", "id": "blosc", "shuffle": 1});
        CoordinateArray {
            dim,
            zarray: coordinate_zarray(len, chunk, dtype, blosc_lz4, fill_value, Value::Null),
            chunks: bytes
                .chunks(chunk * N)
                .map(|c| blosc::compress(c, N))
                .collect(),
        }
    }
    fn strings(dim: Dimension) -> CoordinateArray {
        let labels = coordinates::labels(dim).unwrap_or_default();
        let filters = json!([{"id": "vlen-utf8"}]);
        CoordinateArray {
            dim,
            zarray: coordinate_zarray(
                labels.len(),
                labels.len(),
                "|O",
                Value::Null,
                json!(0),
                filters,
            ),
            chunks: vec![zarr::encode_vlen_utf8(&labels)],
        }
    }
    let coherence = coordinates::coherence();
    vec![
        CoordinateArray {
            dim: Dimension::Coherence,
            zarray: coordinate_zarray(
                coherence.len(),
                coherence.len(),
                "|u1",
                Value::Null,
                json!(0),
                Value::Null,
            ),
            chunks: vec![coherence],
        },
        strings(Dimension::FlightDirection),
        // zarr's automatic chunking of these lengths: 4 chunks each.
        numeric(
            Dimension::Latitude,
            "<f4",
            json!(0.0),
            coordinates::latitude().into_iter().map(f32::to_le_bytes),
            48_300,
        ),
        numeric(
            Dimension::Longitude,
            "<f4",
            json!(0.0),
            coordinates::longitude().into_iter().map(f32::to_le_bytes),
            108_000,
        ),
        numeric(
            Dimension::Orbit,
            "<i4",
            json!(0),
            coordinates::orbit().into_iter().map(i32::to_le_bytes),
            175,
        ),
        strings(Dimension::Polarization),
        strings(Dimension::Season),
    ]
}

/// The coordinates part: the seed's `json.dumps(coords, indent=1,
/// sort_keys=True)` without its closing `"\n}"`. It does not depend on the
/// listing.
pub fn coordinates_part() -> String {
    let mut entries: Vec<(String, String)> = vec![(
        ".zgroup".into(),
        pyjson::dumps_indented(&json!({"zarr_format": 2}), 4),
    )];
    for array in coordinate_arrays() {
        let name = array.dim.name();
        entries.push((
            format!("{name}/.zarray"),
            pyjson::dumps_indented(&array.zarray, 4),
        ));
        entries.push((
            format!("{name}/.zattrs"),
            pyjson::dumps_indented(&dimensions_zattrs(&[name]), 4),
        ));
        for (i, chunk) in array.chunks.into_iter().enumerate() {
            // The seed stores chunk bytes as text when they are UTF-8.
            let value = match String::from_utf8(chunk) {
                Ok(text) => text,
                Err(e) => format!(
                    "base64:{}",
                    base64::engine::general_purpose::STANDARD.encode(e.as_bytes())
                ),
            };
            entries.push((format!("{name}/{i}"), value));
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::from("{");
    for (i, (key, value)) in entries.iter().enumerate() {
        out.push_str(if i == 0 { "\n " } else { ",\n " });
        pyjson::push_string(&mut out, key);
        out.push_str(": ");
        pyjson::push_string(&mut out, value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_is_pythons() {
        let mut b = Vec::new();
        quote_into(&mut b, "N36W121/a b%é~_.-.tif".as_bytes());
        assert_eq!(
            String::from_utf8(b).unwrap(),
            "N36W121/a%20b%25%C3%A9~_.-.tif"
        );
    }
}
