//! Writing the demo data set to disk, laid out like the bucket:
//!
//! ```text
//! DIR/data/tiles/<TILE>/<FILE>.tif   the GeoTIFFs
//! DIR/listing.txt                    the `aws s3 ls --recursive` listing of them
//! DIR/refs.json                      the reference JSON made from the listing
//! DIR/refs.parq/                     the same references in kerchunk's parquet layout
//! DIR/tessera-demo.json              what was generated, to reuse it next time
//! ```

use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tessera_core::dataset::{
    FlightDirection, Layer, Orbit, Polarization, RepeatInterval, Season, Variable,
};
use tessera_core::geotiff::{self, GeoTiffError, TilePixels};
use tessera_core::listing::{Listing, TILES_PREFIX};
use tessera_core::parquet_refs;
use tessera_core::reader::References;
use tessera_core::writer;
use tessera_core::{ChunkKey, FileName, Tile};

use crate::coverage::Coverage;
use crate::model::{Model, TileValues};

/// Bumped whenever the file layout changes, so that a cached demo made by
/// an older generator is made again. (Changes of the formulas are caught by
/// [`Model::fingerprint`] too.)
pub const GENERATOR_VERSION: u32 = 1;

/// The manifest beside the data, written last.
pub const MANIFEST: &str = "tessera-demo.json";
/// The listing of the generated files.
pub const LISTING: &str = "listing.txt";
/// The reference JSON.
pub const REFS: &str = "refs.json";
/// The same references as a parquet store (relative URLs in it are
/// relative to `DIR/refs.parq` as if it were a file, like the JSON's).
pub const PARQUET_REFS: &str = "refs.parq";
/// The base URL written by default: relative to the reference JSON, so the
/// folder works wherever it is served.
pub const RELATIVE_BASE_URL: &str = "data/tiles/";

/// The date every listing line carries (the data set's own files are from
/// 2021); fixed so that the listing is deterministic.
const LISTING_DATE: &str = "2021-04-01 00:00:00";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{file}: {source}")]
    Encode { file: String, source: GeoTiffError },
    #[error("the land polygons: {0}")]
    Land(#[from] crate::land::LandError),
    #[error("the generated listing does not parse: {0}")]
    Listing(String),
    #[error("the parquet references: {0}")]
    Parquet(String),
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> DemoError + '_ {
    move |source| DemoError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Progress of a generation, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Files computed so far (written or found empty) and in all.
    pub files_done: u64,
    pub files_total: u64,
    /// Bytes written so far.
    pub bytes: u64,
}

/// What a generation produced (or found cached).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub generator: u32,
    /// [`Model::fingerprint`] and [`encoder_fingerprint`], combined.
    pub fingerprint: String,
    pub seed: u64,
    /// The tiles asked for, in order.
    pub tiles: Vec<String>,
    /// GeoTIFFs written and their total size.
    pub files: u64,
    pub bytes: u64,
}

/// Where the demo was written, and whether it was reused.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub manifest: Manifest,
    pub reused: bool,
    pub listing: PathBuf,
    pub refs: PathBuf,
}

/// The groups of files the demo writes for a tile: for each season and
/// polarization (vv, vh) COH at the six repeat intervals, AMP, rho, tau and
/// rmse; for each orbit whose swath reaches the tile, inc and lsmap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FileGroup {
    Seasonal(Season, Polarization),
    Orbital(Orbit, FlightDirection),
}

impl FileGroup {
    /// Files in the group (some orbital ones may turn out empty and are
    /// not written).
    pub fn file_count(self) -> u64 {
        match self {
            FileGroup::Seasonal(..) => RepeatInterval::ALL.len() as u64 + 4,
            FileGroup::Orbital(..) => 2,
        }
    }
}

/// Every group of files of a tile.
pub fn tile_groups(model: &Model, tile: Tile) -> Vec<FileGroup> {
    let mut out = Vec::new();
    for &season in Season::ALL {
        for pol in [Polarization::Vv, Polarization::Vh] {
            out.push(FileGroup::Seasonal(season, pol));
        }
    }
    for (orbit, direction) in model.orbits_over(tile) {
        out.push(FileGroup::Orbital(orbit, direction));
    }
    out
}

/// Generates the demo into `dir`, or reuses what a previous run with the
/// same generator, seed and tiles left there. The listing and the reference
/// JSON (with `base_url`) are written either way.
pub fn generate(
    model: &Model,
    coverage: &Coverage,
    dir: &Path,
    base_url: &str,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Outcome, DemoError> {
    let wanted = Manifest {
        generator: GENERATOR_VERSION,
        fingerprint: format!(
            "{:016x}",
            crate::noise::mix(model.fingerprint() ^ encoder_fingerprint())
        ),
        seed: model.seed(),
        tiles: coverage.tiles().iter().map(Tile::to_string).collect(),
        files: 0,
        bytes: 0,
    };
    let listing_path = dir.join(LISTING);
    let refs_path = dir.join(REFS);
    let manifest_path = dir.join(MANIFEST);

    let cached = read_manifest(&manifest_path)
        .filter(|m| m.generator == wanted.generator && m.seed == wanted.seed)
        .filter(|m| m.fingerprint == wanted.fingerprint)
        .filter(|m| m.tiles == wanted.tiles)
        .filter(|m| listing_matches_disk(dir, &listing_path, m));
    let (manifest, reused) = match cached {
        Some(m) => (m, true),
        None => {
            // Only ever clear a folder that a previous demo made.
            if manifest_path.exists() {
                fs::remove_file(&manifest_path).map_err(io_error(&manifest_path))?;
                let tiles = dir.join(TILES_PREFIX);
                if tiles.exists() {
                    fs::remove_dir_all(&tiles).map_err(io_error(&tiles))?;
                }
            }
            let listing = write_tiles(model, coverage, dir, progress)?;
            write_atomically(&listing_path, listing.as_bytes())?;
            let manifest = Manifest {
                files: listing.lines().count() as u64,
                bytes: listing_bytes(&listing),
                ..wanted
            };
            let json = serde_json::to_vec_pretty(&manifest).map_err(|e| DemoError::Io {
                path: manifest_path.clone(),
                source: e.into(),
            })?;
            write_atomically(&manifest_path, &json)?;
            (manifest, false)
        }
    };
    write_refs(&listing_path, &refs_path, base_url)?;
    Ok(Outcome {
        manifest,
        reused,
        listing: listing_path,
        refs: refs_path,
    })
}

/// A hash of the GeoTIFF encoder's output for a fixed tile, so that a cached
/// demo is made again when the encoder's bytes change.
pub fn encoder_fingerprint() -> u64 {
    let values: Vec<u16> = (0..geotiff::TILE_LEN as u32)
        .map(|i| (crate::noise::mix(u64::from(i / 7)) % 3000) as u16)
        .collect();
    let tile = Tile::from_indices(0, 0).expect("the first tile");
    match geotiff::encode_tile(tile, TilePixels::U16(&values)) {
        Ok(bytes) => bytes.chunks(8).fold(bytes.len() as u64, |h, c| {
            let mut word = [0u8; 8];
            word[..c.len()].copy_from_slice(c);
            crate::noise::mix(h ^ u64::from_le_bytes(word))
        }),
        Err(_) => 0,
    }
}

/// Writes every tile's files; returns the listing, sorted by path.
fn write_tiles(
    model: &Model,
    coverage: &Coverage,
    dir: &Path,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<String, DemoError> {
    let jobs: Vec<(Tile, Vec<FileGroup>)> = coverage
        .tiles()
        .iter()
        .map(|&tile| (tile, tile_groups(model, tile)))
        .collect();
    let total: u64 = jobs
        .iter()
        .flat_map(|(_, groups)| groups.iter().map(|g| g.file_count()))
        .sum();
    let done = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let report = |files: u64, size: u64| {
        progress(Progress {
            files_done: done.fetch_add(files, Ordering::Relaxed) + files,
            files_total: total,
            bytes: bytes.fetch_add(size, Ordering::Relaxed) + size,
        })
    };
    report(0, 0);

    let lines: Vec<Vec<(String, u64)>> = jobs
        .par_iter()
        .map(|(tile, groups)| -> Result<Vec<(String, u64)>, DemoError> {
            let landscape = model.landscape(*tile);
            let folder = dir.join(TILES_PREFIX).join(tile.to_string());
            fs::create_dir_all(&folder).map_err(io_error(&folder))?;
            let written: Vec<Vec<Option<(String, u64)>>> = groups
                .par_iter()
                .map(|&group| {
                    let files = match group {
                        FileGroup::Seasonal(s, p) => model.seasonal_files(&landscape, s, p),
                        FileGroup::Orbital(o, d) => model.orbital_files(&landscape, o, d),
                    };
                    files
                        .par_iter()
                        .map(|(variable, layer, values)| {
                            let written = write_file(&folder, *tile, *variable, *layer, values)?;
                            report(1, written.as_ref().map_or(0, |(_, size)| *size));
                            Ok(written)
                        })
                        .collect::<Result<Vec<_>, DemoError>>()
                })
                .collect::<Result<_, DemoError>>()?;
            Ok(written.into_iter().flatten().flatten().collect())
        })
        .collect::<Result<_, DemoError>>()?;

    let mut files: Vec<(String, u64)> = lines.into_iter().flatten().collect();
    files.sort();
    let mut listing = String::with_capacity(files.len() * 100);
    for (path, size) in files {
        // `aws s3 ls --recursive`: date, time, size right-aligned, key.
        let _ = writeln!(listing, "{LISTING_DATE} {size:>10} {path}");
    }
    Ok(listing)
}

/// Encodes and writes one file unless it is all no data; returns its path
/// in the bucket and its size.
fn write_file(
    folder: &Path,
    tile: Tile,
    variable: Variable,
    layer: Layer,
    values: &TileValues,
) -> Result<Option<(String, u64)>, DemoError> {
    if values.is_empty() {
        return Ok(None);
    }
    let key = ChunkKey::new(variable, layer, tile)
        .map_err(|e| DemoError::Listing(format!("{variable} {layer:?} {tile}: {e}")))?;
    let name = FileName(key).to_string();
    let pixels = match values {
        TileValues::U8(v) => TilePixels::U8(v),
        TileValues::U16(v) => TilePixels::U16(v),
    };
    let tiff = geotiff::encode_tile(tile, pixels).map_err(|source| DemoError::Encode {
        file: name.clone(),
        source,
    })?;
    let path = folder.join(&name);
    fs::write(&path, &tiff).map_err(io_error(&path))?;
    Ok(Some((
        format!("{TILES_PREFIX}{tile}/{name}"),
        tiff.len() as u64,
    )))
}

/// Total of the size column of a listing.
fn listing_bytes(listing: &str) -> u64 {
    listing
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2)?.parse::<u64>().ok())
        .sum()
}

fn read_manifest(path: &Path) -> Option<Manifest> {
    serde_json::from_slice(&fs::read(path).ok()?).ok()
}

/// Whether every file of the cached listing is on disk with its size.
fn listing_matches_disk(dir: &Path, listing: &Path, manifest: &Manifest) -> bool {
    let Ok(text) = fs::read_to_string(listing) else {
        return false;
    };
    let mut count = 0;
    let all_present = text.lines().all(|line| {
        let mut fields = line.split_whitespace().skip(2);
        let (Some(size), Some(path)) = (fields.next(), fields.next()) else {
            return false;
        };
        count += 1;
        fs::metadata(dir.join(path)).is_ok_and(|m| Some(m.len()) == size.parse().ok())
    });
    all_present && count == manifest.files
}

/// The reference JSON for the listing, by the same code as `tessera refs`.
fn write_refs(listing_path: &Path, refs_path: &Path, base_url: &str) -> Result<(), DemoError> {
    let text = fs::read(listing_path).map_err(io_error(listing_path))?;
    let listing = Listing::parse(&text).map_err(|e| DemoError::Listing(e.to_string()))?;
    if let Some(problem) = listing.problems().first() {
        return Err(DemoError::Listing(problem.to_string()));
    }
    let mut out = Vec::with_capacity(listing.files().len() * 100 + (4 << 20));
    writer::write_references(&mut out, &listing, base_url, &mut |_| {})
        .map_err(io_error(refs_path))?;
    write_atomically(refs_path, &out)?;
    // And as parquet, as `tessera refs --format parquet` writes it.
    let parquet_error = |e: &dyn std::fmt::Display| DemoError::Parquet(e.to_string());
    let refs = References::from_json(&out).map_err(|e| parquet_error(&e))?;
    let (files, _) = parquet_refs::parquet_store(&refs, parquet_refs::DEFAULT_RECORD_SIZE, |_| {})
        .map_err(|e| parquet_error(&e))?;
    let folder = refs_path.with_file_name(PARQUET_REFS);
    parquet_refs::write_store(&files, &folder).map_err(|e| parquet_error(&e))?;
    Ok(())
}

/// Writes through a temporary file and a rename, so that an interrupted run
/// never leaves half a file under the final name.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), DemoError> {
    let tmp = path.with_extension("tmp");
    let mut file = BufWriter::new(fs::File::create(&tmp).map_err(io_error(&tmp))?);
    file.write_all(bytes).map_err(io_error(&tmp))?;
    file.flush().map_err(io_error(&tmp))?;
    drop(file);
    fs::rename(&tmp, path).map_err(io_error(path))
}
