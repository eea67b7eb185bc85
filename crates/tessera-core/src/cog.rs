//! Cloud-Optimized GeoTIFFs of the whole grid: the layout, the tiles'
//! encoding and the header with every IFD, as GDAL's COG driver lays them
//! out and `rio cogeo validate` checks them.
//!
//! A COG here is one band of the data set's stored type (uint8 or uint16)
//! in EPSG:4326, tiled [`COG_TILE`]×[`COG_TILE`], with internal overviews
//! halving the full resolution image down to the first level under 1024
//! pixels wide. The file is, in order:
//!
//! 1. the 8-byte header;
//! 2. the full resolution image's IFD, then each overview's, largest first,
//!    each followed by its out-of-line values (tile offsets and counts);
//! 3. the tiles' data, smallest overview first and the full resolution
//!    image last, each level's tiles in row-major order.
//!
//! A tile without data is not written (offset and byte count 0, as GDAL's
//! `SPARSE_OK`); readers return nodata (0) for it.
//!
//! Writing is split so that memory does not grow with the image: a caller
//! encodes tiles with [`CogLayout::encode_tile`] in any order and keeps
//! their bytes where it likes (a spool file), then asks
//! [`CogLayout::header`] for the header given every tile's byte count, and
//! writes the tiles after it in [`CogLayout::data_order`].

use crate::dataset::DType;
use crate::geotiff::{GEO_ASCII_PARAMS, GEO_DOUBLE_PARAMS, GEO_KEY_DIRECTORY};

thread_local! {
    static LZW_ENCODER: std::cell::RefCell<crate::lzw::LzwEncoder> =
        std::cell::RefCell::new(crate::lzw::LzwEncoder::default());
}

/// Tile width and height of every level, in pixels.
pub const COG_TILE: u32 = 512;

/// The last overview is the first level narrower than this.
pub const OVERVIEW_MIN_WIDTH: u32 = 1024;

/// How tiles are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CogCompression {
    /// TIFF LZW (5), as the data set's own files.
    Lzw,
    /// Adobe Deflate (8), zlib streams.
    Deflate,
}

impl CogCompression {
    fn tag_value(self) -> u16 {
        match self {
            CogCompression::Lzw => 5,
            CogCompression::Deflate => 8,
        }
    }

    /// The name GDAL gives it (`COMPRESS=`).
    pub fn name(self) -> &'static str {
        match self {
            CogCompression::Lzw => "LZW",
            CogCompression::Deflate => "DEFLATE",
        }
    }
}

/// Why a COG cannot be laid out or written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CogError {
    #[error("the image would be {width}×{height} pixels; at most 4,000,000 pixels a side")]
    Size { width: u64, height: u64 },
    #[error("level {level} has {expected} tiles but {actual} byte counts were given")]
    TileCount {
        level: usize,
        expected: usize,
        actual: usize,
    },
    #[error(
        "the COG would be {0} bytes: a classic TIFF ends at 4 GiB (choose a coarser resolution)"
    )]
    TooLarge(u64),
    #[error("a tile has {actual} values; a tile is {expected}")]
    TileValues { expected: usize, actual: usize },
}

/// One level of the pyramid: its size in pixels and in tiles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CogLevel {
    pub width: u32,
    pub height: u32,
    /// Pixel size in degrees (the full resolution's times 2^level).
    pub degrees: f64,
}

impl CogLevel {
    pub fn tiles_across(&self) -> u32 {
        self.width.div_ceil(COG_TILE)
    }

    pub fn tiles_down(&self) -> u32 {
        self.height.div_ceil(COG_TILE)
    }

    pub fn tile_count(&self) -> usize {
        self.tiles_across() as usize * self.tiles_down() as usize
    }
}

/// The full resolution image: its size, pixel size and upper-left corner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CogImage {
    pub width: u32,
    pub height: u32,
    pub degrees: f64,
    pub west: f64,
    pub north: f64,
}

/// Everything that fixes a COG's layout except its tiles' bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct CogLayout {
    /// Level 0 is the full resolution; level k is 2^k times coarser.
    pub levels: Vec<CogLevel>,
    pub dtype: DType,
    pub compression: CogCompression,
    /// TIFF Predictor 2 (horizontal differencing) before compression.
    pub predictor: bool,
    /// Longitude and latitude of the full image's upper-left corner.
    pub west: f64,
    pub north: f64,
    /// GDAL_METADATA items (name, value) written into the main IFD.
    pub metadata: Vec<(String, String)>,
}

impl CogLayout {
    /// The layout of `image`, with overviews halving (rounding up, as GDAL
    /// does) until the first level narrower than [`OVERVIEW_MIN_WIDTH`].
    pub fn new(
        image: CogImage,
        dtype: DType,
        compression: CogCompression,
        predictor: bool,
    ) -> Result<CogLayout, CogError> {
        let CogImage {
            width,
            height,
            degrees,
            west,
            north,
        } = image;
        if width == 0 || height == 0 || width > 4_000_000 || height > 4_000_000 {
            return Err(CogError::Size {
                width: u64::from(width),
                height: u64::from(height),
            });
        }
        let mut levels = vec![CogLevel {
            width,
            height,
            degrees,
        }];
        while let Some(last) = levels.last().copied() {
            if last.width < OVERVIEW_MIN_WIDTH {
                break;
            }
            levels.push(CogLevel {
                width: last.width.div_ceil(2),
                height: last.height.div_ceil(2),
                degrees: last.degrees * 2.0,
            });
        }
        Ok(CogLayout {
            levels,
            dtype,
            compression,
            predictor,
            west,
            north,
            metadata: Vec::new(),
        })
    }

    /// Values in one tile.
    pub fn tile_len(&self) -> usize {
        (COG_TILE * COG_TILE) as usize
    }

    /// One tile's bytes as stored: `values` are the tile's
    /// [`COG_TILE`]² samples, row-major, already padded (with 0) past the
    /// image's right and bottom edges, as TIFF requires whole tiles.
    pub fn encode_tile(&self, values: &[u16]) -> Result<Vec<u8>, CogError> {
        if values.len() != self.tile_len() {
            return Err(CogError::TileValues {
                expected: self.tile_len(),
                actual: values.len(),
            });
        }
        let width = COG_TILE as usize;
        let mut raw = Vec::with_capacity(values.len() * self.dtype.bytes());
        for row in values.chunks_exact(width) {
            let mut previous = 0u16;
            for &v in row {
                // Predictor 2: each sample minus its left neighbour, modulo
                // the sample's width.
                let stored = if self.predictor {
                    v.wrapping_sub(previous)
                } else {
                    v
                };
                previous = v;
                match self.dtype {
                    DType::U8 => raw.push(stored as u8),
                    DType::U16 => raw.extend_from_slice(&stored.to_le_bytes()),
                }
            }
        }
        Ok(match self.compression {
            CogCompression::Lzw => {
                let mut out = Vec::with_capacity(raw.len() / 2);
                // The encoder's table is 4 MiB: one per thread, not per tile.
                LZW_ENCODER.with(|encoder| match encoder.try_borrow_mut() {
                    Ok(mut encoder) => encoder.encode(&raw, &mut out),
                    Err(_) => crate::lzw::LzwEncoder::default().encode(&raw, &mut out),
                });
                out
            }
            CogCompression::Deflate => {
                use std::io::Write as _;
                let mut encoder = flate2::write::ZlibEncoder::new(
                    Vec::with_capacity(raw.len() / 2),
                    flate2::Compression::new(6),
                );
                // Writing into a Vec cannot fail.
                let _ = encoder.write_all(&raw);
                encoder.finish().unwrap_or_default()
            }
        })
    }

    /// The order the tiles' data follow the header in: (level, tile index
    /// row-major), smallest overview first, the full resolution last.
    pub fn data_order(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.levels
            .iter()
            .enumerate()
            .rev()
            .flat_map(|(level, l)| (0..l.tile_count()).map(move |tile| (level, tile)))
    }

    /// The header and every IFD, given each level's tiles' byte counts
    /// (row-major; 0 for a tile not written). The tiles' data must follow
    /// it immediately, in [`CogLayout::data_order`], skipping empty tiles.
    pub fn header(&self, byte_counts: &[Vec<u32>]) -> Result<Vec<u8>, CogError> {
        for (level, l) in self.levels.iter().enumerate() {
            let actual = byte_counts.get(level).map_or(0, Vec::len);
            if actual != l.tile_count() || byte_counts.len() != self.levels.len() {
                return Err(CogError::TileCount {
                    level,
                    expected: l.tile_count(),
                    actual,
                });
            }
        }
        // The IFDs' sizes do not depend on the offsets, so lay them out with
        // zero offsets first, then again with the real ones.
        let placeholder: Vec<Vec<u32>> = byte_counts.iter().map(|c| vec![0; c.len()]).collect();
        let header_len = self.encode_ifds(byte_counts, &placeholder).len() as u64;
        let mut offsets: Vec<Vec<u32>> = placeholder;
        let mut position = header_len;
        for (level, tile) in self.data_order() {
            let count = byte_counts[level][tile];
            if count > 0 {
                offsets[level][tile] =
                    u32::try_from(position).map_err(|_| CogError::TooLarge(position))?;
                position += u64::from(count);
            }
        }
        if position > u64::from(u32::MAX) {
            return Err(CogError::TooLarge(position));
        }
        Ok(self.encode_ifds(byte_counts, &offsets))
    }

    /// The whole COG in memory, from each level's tiles (row-major; `None`
    /// for a tile not written). For small images and tests; large ones
    /// are written tile by tile after [`CogLayout::header`].
    pub fn assemble(&self, tiles: &[Vec<Option<Vec<u8>>>]) -> Result<Vec<u8>, CogError> {
        let counts: Vec<Vec<u32>> = tiles
            .iter()
            .map(|level| {
                level
                    .iter()
                    .map(|t| t.as_ref().map_or(0, |b| b.len() as u32))
                    .collect()
            })
            .collect();
        let mut out = self.header(&counts)?;
        for (level, tile) in self.data_order() {
            if let Some(bytes) = &tiles[level][tile] {
                out.extend_from_slice(bytes);
            }
        }
        Ok(out)
    }

    fn encode_ifds(&self, byte_counts: &[Vec<u32>], offsets: &[Vec<u32>]) -> Vec<u8> {
        let mut out = Vec::with_capacity(4096);
        out.extend_from_slice(b"II*\0");
        out.extend_from_slice(&8u32.to_le_bytes());
        for (level, l) in self.levels.iter().enumerate() {
            let mut ifd = Ifd::default();
            if level > 0 {
                // NewSubfileType: reduced-resolution version of the image.
                ifd.long(254, &[1]);
            }
            ifd.long(256, &[l.width]);
            ifd.long(257, &[l.height]);
            ifd.short(258, &[8 * self.dtype.bytes() as u16]);
            ifd.short(259, &[self.compression.tag_value()]);
            ifd.short(262, &[1]); // BlackIsZero
            ifd.short(277, &[1]);
            ifd.short(284, &[1]);
            if self.predictor {
                ifd.short(317, &[2]);
            }
            ifd.short(322, &[COG_TILE as u16]);
            ifd.short(323, &[COG_TILE as u16]);
            ifd.long(324, &offsets[level]);
            ifd.long(325, &byte_counts[level]);
            ifd.short(339, &[1]); // unsigned integer
            if level == 0 {
                ifd.double(33550, &[l.degrees, l.degrees, 0.0]);
                ifd.double(33922, &[0.0, 0.0, 0.0, self.west, self.north, 0.0]);
                ifd.short(34735, &GEO_KEY_DIRECTORY);
                ifd.double(34736, &GEO_DOUBLE_PARAMS);
                ifd.ascii(34737, GEO_ASCII_PARAMS);
                if !self.metadata.is_empty() {
                    ifd.ascii(42112, &gdal_metadata(&self.metadata));
                }
                ifd.ascii(42113, "0");
            }
            let last = level + 1 == self.levels.len();
            ifd.write(&mut out, last);
        }
        out
    }
}

/// Why a COG tile could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CogTileError {
    #[error("LZW: {0}")]
    Lzw(String),
    #[error("Deflate: {0}")]
    Deflate(String),
    #[error("the tile decodes to {actual} bytes; a {width}×{height} tile of {sample} bytes per sample is {expected}")]
    Length {
        actual: usize,
        expected: usize,
        width: u32,
        height: u32,
        sample: usize,
    },
}

/// How one COG's tiles are stored (from its IFD).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileFormat {
    pub width: u32,
    pub height: u32,
    pub dtype: DType,
    pub compression: CogCompression,
    pub predictor: bool,
    /// Samples stored big-endian ("MM" files).
    pub big_endian: bool,
}

/// One tile's values, row-major, as DN: decompressed, the predictor undone.
pub fn decode_tile(bytes: &[u8], format: &TileFormat) -> Result<Vec<u16>, CogTileError> {
    let sample = format.dtype.bytes();
    let expected = format.width as usize * format.height as usize * sample;
    let raw = match format.compression {
        CogCompression::Lzw => {
            // Our own LZW decoder is built for the data set's 6-row strips
            // (at most 64 KB); a tile is up to 512 KB, so weezl (the tiff
            // crate's) decodes it.
            let mut raw = Vec::with_capacity(expected);
            let mut decoder =
                weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8);
            let result = decoder.into_vec(&mut raw).decode(bytes);
            if let Err(e) = result.status {
                // A stream that ends without End of Information ends where
                // its codes end, as libtiff reads it.
                if raw.len() != expected {
                    return Err(CogTileError::Lzw(e.to_string()));
                }
            }
            raw.truncate(expected);
            raw
        }
        CogCompression::Deflate => {
            use std::io::Read as _;
            let mut raw = Vec::with_capacity(expected);
            flate2::read::ZlibDecoder::new(bytes)
                .take(expected as u64 + 1)
                .read_to_end(&mut raw)
                .map_err(|e| CogTileError::Deflate(e.to_string()))?;
            raw
        }
    };
    if raw.len() != expected {
        return Err(CogTileError::Length {
            actual: raw.len(),
            expected,
            width: format.width,
            height: format.height,
            sample,
        });
    }
    let mut values: Vec<u16> = match (format.dtype, format.big_endian) {
        (DType::U8, _) => raw.iter().map(|&b| u16::from(b)).collect(),
        (DType::U16, false) => raw
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect(),
        (DType::U16, true) => raw
            .chunks_exact(2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .collect(),
    };
    if format.predictor {
        let mask: u16 = if format.dtype == DType::U8 {
            0xff
        } else {
            0xffff
        };
        for row in values.chunks_exact_mut(format.width as usize) {
            for i in 1..row.len() {
                row[i] = row[i].wrapping_add(row[i - 1]) & mask;
            }
        }
    }
    Ok(values)
}

/// GDAL's metadata XML (tag 42112), with the few characters XML needs
/// escaped.
fn gdal_metadata(items: &[(String, String)]) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut xml = String::from("<GDALMetadata>\n");
    for (name, value) in items {
        xml.push_str(&format!(
            "  <Item name=\"{}\">{}</Item>\n",
            escape(name),
            escape(value)
        ));
    }
    xml.push_str("</GDALMetadata>");
    xml
}

/// One IFD being built: entries (tag, type, count, value bytes).
#[derive(Default)]
struct Ifd {
    entries: Vec<(u16, u16, u32, Vec<u8>)>,
}

impl Ifd {
    fn short(&mut self, tag: u16, values: &[u16]) {
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.entries.push((tag, 3, values.len() as u32, bytes));
    }

    fn long(&mut self, tag: u16, values: &[u32]) {
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.entries.push((tag, 4, values.len() as u32, bytes));
    }

    fn double(&mut self, tag: u16, values: &[f64]) {
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.entries.push((tag, 12, values.len() as u32, bytes));
    }

    fn ascii(&mut self, tag: u16, text: &str) {
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(0);
        self.entries.push((tag, 2, bytes.len() as u32, bytes));
    }

    /// Appends the IFD at the end of `out` (word-aligned), its out-of-line
    /// values after it, and points it at the next IFD unless `last`.
    fn write(mut self, out: &mut Vec<u8>, last: bool) {
        if out.len() % 2 == 1 {
            out.push(0);
        }
        self.entries.sort_by_key(|e| e.0);
        let start = out.len();
        let table_len = 2 + 12 * self.entries.len() + 4;
        let mut values_at = start + table_len;
        let mut values = Vec::new();
        out.extend_from_slice(&(self.entries.len() as u16).to_le_bytes());
        for (tag, kind, count, bytes) in &self.entries {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&kind.to_le_bytes());
            out.extend_from_slice(&count.to_le_bytes());
            if bytes.len() <= 4 {
                let mut inline = [0u8; 4];
                inline[..bytes.len()].copy_from_slice(bytes);
                out.extend_from_slice(&inline);
            } else {
                out.extend_from_slice(&(values_at as u32).to_le_bytes());
                values.extend_from_slice(bytes);
                if bytes.len() % 2 == 1 {
                    values.push(0);
                }
                values_at += bytes.len() + bytes.len() % 2;
            }
        }
        let next = if last {
            0
        } else {
            let end = start + table_len + values.len();
            (end + end % 2) as u32
        };
        out.extend_from_slice(&next.to_le_bytes());
        out.extend_from_slice(&values);
    }
}
