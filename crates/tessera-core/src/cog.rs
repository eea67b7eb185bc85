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
        // GDAL gives an overview the full image's extent: its pixel size
        // is that extent over its size. So that this is exactly twice the
        // level above at every level (and a reader places each pixel
        // where it was made), the full image is padded with nodata to a
        // multiple of 2^(overviews): 36000 × 16100 becomes 36032 × 16128.
        let mut overviews = 0;
        let mut w = width;
        while w >= OVERVIEW_MIN_WIDTH {
            w = w.div_ceil(2);
            overviews += 1;
        }
        let step = 1u32 << overviews;
        let (width, height) = (width.div_ceil(step) * step, height.div_ceil(step) * step);
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
pub(crate) fn gdal_metadata(items: &[(String, String)]) -> String {
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
pub(crate) struct Ifd {
    entries: Vec<(u16, u16, u32, Vec<u8>)>,
}

impl Ifd {
    pub(crate) fn short(&mut self, tag: u16, values: &[u16]) {
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.entries.push((tag, 3, values.len() as u32, bytes));
    }

    pub(crate) fn long(&mut self, tag: u16, values: &[u32]) {
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.entries.push((tag, 4, values.len() as u32, bytes));
    }

    pub(crate) fn double(&mut self, tag: u16, values: &[f64]) {
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.entries.push((tag, 12, values.len() as u32, bytes));
    }

    pub(crate) fn ascii(&mut self, tag: u16, text: &str) {
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(0);
        self.entries.push((tag, 2, bytes.len() as u32, bytes));
    }

    /// Appends the IFD at the end of `out` (word-aligned), its out-of-line
    /// values after it, and points it at the next IFD unless `last`.
    pub(crate) fn write(mut self, out: &mut Vec<u8>, last: bool) {
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

/// How many bytes to ask for first: our 0.01° COGs' header and IFDs are
/// about 25 KB, GDAL's with ghost area a little more.
pub const HEADER_FIRST_READ: u64 = 64 << 10;

/// Most tiles one level may list (a 4-million-pixel-wide image in 256²
/// tiles is 16,000 across): anything more is not a COG we can show.
const MAX_LEVEL_TILES: u64 = 4_000_000;
/// Most IFDs (levels) a COG may have.
const MAX_LEVELS: usize = 32;

/// Why a COG's header cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CogReadError {
    /// Not an error: the header goes on past the bytes given; read the
    /// file's first `0` bytes and parse again.
    #[error("the header needs the first {0} bytes")]
    NeedBytes(u64),
    #[error("not a TIFF file (it starts with {0:02x?})")]
    NotTiff(Vec<u8>),
    #[error("a BigTIFF: not read yet (GDAL writes one only above 4 GB)")]
    BigTiff,
    #[error("IFD {level}: {what}")]
    Ifd { level: usize, what: String },
}

/// One level of a COG as its IFD describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct CogHeaderLevel {
    pub width: u32,
    pub height: u32,
    pub format: TileFormat,
    pub offsets: Vec<u64>,
    pub byte_counts: Vec<u64>,
}

impl CogHeaderLevel {
    pub fn tiles_across(&self) -> u32 {
        self.width.div_ceil(self.format.width)
    }

    /// The byte range of tile `index`, `None` for a sparse tile (nodata).
    pub fn tile_range(&self, index: usize) -> Option<(u64, u64)> {
        let offset = *self.offsets.get(index)?;
        let count = *self.byte_counts.get(index)?;
        (offset > 0 && count > 0).then_some((offset, count))
    }
}

/// What a COG's first bytes say: every level, and where the full image is.
#[derive(Debug, Clone, PartialEq)]
pub struct CogHeader {
    /// The full resolution image first, then its overviews.
    pub levels: Vec<CogHeaderLevel>,
    /// Pixel size (x, y) of the full image, degrees.
    pub pixel_degrees: (f64, f64),
    /// Longitude and latitude of the full image's upper-left corner.
    pub west: f64,
    pub north: f64,
    /// `GDAL_NODATA`, if given.
    pub nodata: Option<String>,
}

impl CogHeader {
    /// Parses the header from the file's first bytes; asks for more with
    /// [`CogReadError::NeedBytes`] when an IFD or its arrays lie beyond.
    pub fn parse(prefix: &[u8]) -> Result<CogHeader, CogReadError> {
        use crate::tiff_layout::ByteOrder;
        let need = |n: u64| CogReadError::NeedBytes(n.max(prefix.len() as u64 + 1));
        if prefix.len() < 8 {
            return Err(need(8));
        }
        let order = match &prefix[..2] {
            b"II" => ByteOrder::Little,
            b"MM" => ByteOrder::Big,
            _ => return Err(CogReadError::NotTiff(prefix[..4].to_vec())),
        };
        match order.u16(&prefix[2..]) {
            42 => {}
            43 => return Err(CogReadError::BigTiff),
            _ => return Err(CogReadError::NotTiff(prefix[..4].to_vec())),
        }
        let mut next = u64::from(order.u32(&prefix[4..]));
        let mut levels = Vec::new();
        let mut geo = None;
        let mut nodata = None;
        while next != 0 {
            let level = levels.len();
            let bad = |what: String| CogReadError::Ifd { level, what };
            if level >= MAX_LEVELS {
                return Err(bad(format!("more than {MAX_LEVELS} IFDs")));
            }
            let at = next as usize;
            let count_end = next + 2;
            if count_end > prefix.len() as u64 {
                return Err(need(count_end));
            }
            let entries = u64::from(order.u16(&prefix[at..]));
            let end = next + 2 + 12 * entries + 4;
            if end > prefix.len() as u64 {
                return Err(need(end));
            }
            // Values of an entry: inline, or at an offset that must be in
            // the prefix too.
            let mut tags: std::collections::HashMap<u16, (u16, u64, u64)> = Default::default();
            for i in 0..entries as usize {
                let e = at + 2 + 12 * i;
                let tag = order.u16(&prefix[e..]);
                let kind = order.u16(&prefix[e + 2..]);
                let count = u64::from(order.u32(&prefix[e + 4..]));
                tags.insert(tag, (kind, count, e as u64 + 8));
            }
            let values = |tag: u16| -> Result<Option<Vec<f64>>, CogReadError> {
                let Some(&(kind, count, field)) = tags.get(&tag) else {
                    return Ok(None);
                };
                let size: u64 = match kind {
                    1 | 2 | 6 | 7 => 1,
                    3 | 8 => 2,
                    4 | 9 | 11 => 4,
                    12 | 5 | 10 => 8,
                    16 | 17 => 8,
                    other => return Err(bad(format!("tag {tag} has field type {other}"))),
                };
                if count > MAX_LEVEL_TILES {
                    return Err(bad(format!("tag {tag} claims {count} values")));
                }
                let len = size * count;
                let start = if len <= 4 {
                    field
                } else {
                    u64::from(order.u32(&prefix[field as usize..]))
                };
                if start + len > prefix.len() as u64 {
                    return Err(need(start + len));
                }
                let bytes = &prefix[start as usize..(start + len) as usize];
                let out = (0..count as usize)
                    .map(|i| match kind {
                        3 => f64::from(order.u16(&bytes[2 * i..])),
                        4 => f64::from(order.u32(&bytes[4 * i..])),
                        12 => {
                            let raw = &bytes[8 * i..8 * i + 8];
                            let v = match order {
                                ByteOrder::Little => {
                                    u64::from_le_bytes(raw.try_into().unwrap_or([0; 8]))
                                }
                                ByteOrder::Big => {
                                    u64::from_be_bytes(raw.try_into().unwrap_or([0; 8]))
                                }
                            };
                            f64::from_bits(v)
                        }
                        _ => f64::from(bytes[i]),
                    })
                    .collect();
                Ok(Some(out))
            };
            let one = |tag: u16, what: &str| -> Result<u32, CogReadError> {
                values(tag)?
                    .and_then(|v| v.first().copied())
                    .map(|v| v as u32)
                    .ok_or_else(|| bad(format!("no {what} (tag {tag})")))
            };
            let width = one(256, "ImageWidth")?;
            let height = one(257, "ImageLength")?;
            let tile_width = one(322, "TileWidth: not a tiled TIFF")?;
            let tile_height = one(323, "TileLength")?;
            let bits = one(258, "BitsPerSample")?;
            let samples = values(277)?.and_then(|v| v.first().copied()).unwrap_or(1.0);
            let format_code = values(339)?.and_then(|v| v.first().copied()).unwrap_or(1.0);
            let compression = match one(259, "Compression")? {
                5 => CogCompression::Lzw,
                8 | 32946 => CogCompression::Deflate,
                other => {
                    return Err(bad(format!(
                        "compression {other}: only LZW (5) and Deflate (8) are read"
                    )))
                }
            };
            let predictor =
                match values(317)?.and_then(|v| v.first().copied()).unwrap_or(1.0) as u32 {
                    1 => false,
                    2 => true,
                    other => {
                        return Err(bad(format!(
                            "predictor {other}: only none (1) and horizontal (2) are read"
                        )))
                    }
                };
            let dtype = match (bits, format_code as u32) {
                (8, 1) => DType::U8,
                (16, 1) => DType::U16,
                _ => {
                    return Err(bad(format!(
                    "{bits}-bit samples of format {format_code}: only uint8 and uint16 are read"
                )))
                }
            };
            if samples != 1.0 {
                return Err(bad(format!("{samples} samples per pixel: one band only")));
            }
            if width == 0
                || height == 0
                || tile_width == 0
                || tile_height == 0
                || tile_width % 16 != 0
                || tile_height % 16 != 0
                || tile_width > 4096
                || tile_height > 4096
            {
                return Err(bad(format!(
                    "image {width}×{height} in tiles of {tile_width}×{tile_height}"
                )));
            }
            let tiles =
                u64::from(width.div_ceil(tile_width)) * u64::from(height.div_ceil(tile_height));
            let offsets = values(324)?.ok_or_else(|| bad("no TileOffsets".into()))?;
            let byte_counts = values(325)?.ok_or_else(|| bad("no TileByteCounts".into()))?;
            if offsets.len() as u64 != tiles || byte_counts.len() as u64 != tiles {
                return Err(bad(format!(
                    "{} offsets and {} byte counts for {tiles} tiles",
                    offsets.len(),
                    byte_counts.len()
                )));
            }
            if level == 0 {
                let scale = values(33550)?;
                let tiepoint = values(33922)?;
                match (scale, tiepoint) {
                    (Some(s), Some(t)) if s.len() >= 2 && t.len() >= 6 => {
                        geo = Some(((s[0], s[1]), t[3] - t[0] * s[0], t[4] + t[1] * s[1]));
                    }
                    _ => {
                        return Err(bad(
                            "no ModelPixelScale and ModelTiepoint: not georeferenced".into(),
                        ))
                    }
                }
                if let Some(text) = values(42113)? {
                    let bytes: Vec<u8> = text
                        .iter()
                        .map(|&b| b as u8)
                        .take_while(|&b| b != 0)
                        .collect();
                    nodata = Some(String::from_utf8_lossy(&bytes).trim().to_string());
                }
            }
            levels.push(CogHeaderLevel {
                width,
                height,
                format: TileFormat {
                    width: tile_width,
                    height: tile_height,
                    dtype,
                    compression,
                    predictor,
                    big_endian: order == ByteOrder::Big,
                },
                offsets: offsets.iter().map(|&v| v as u64).collect(),
                byte_counts: byte_counts.iter().map(|&v| v as u64).collect(),
            });
            next = u64::from(order.u32(&prefix[(end - 4) as usize..]));
        }
        let Some(((sx, sy), west, north)) = geo else {
            return Err(CogReadError::Ifd {
                level: 0,
                what: "no IFD".into(),
            });
        };
        Ok(CogHeader {
            levels,
            pixel_degrees: (sx, sy),
            west,
            north,
            nodata,
        })
    }

    /// The coarsest level whose pixels are no larger than `degrees` (so at
    /// least one data pixel per screen pixel); the full image if none is.
    pub fn level_for(&self, degrees: f64) -> usize {
        (0..self.levels.len())
            .rev()
            .find(|&i| self.level_degrees(i) <= degrees)
            .unwrap_or(0)
    }

    /// Pixel size (degrees, across) of level `index`.
    pub fn level_degrees(&self, index: usize) -> f64 {
        self.level_pixel_degrees(index)
            .map_or(self.pixel_degrees.0, |(dx, _)| dx)
    }

    /// Pixel size (degrees across, down) of level `index`: GDAL gives an
    /// overview the full image's extent, so its pixels are that extent
    /// over its size (and across may differ from down).
    pub fn level_pixel_degrees(&self, index: usize) -> Option<(f64, f64)> {
        let full = self.levels.first()?;
        let l = self.levels.get(index)?;
        Some((
            self.pixel_degrees.0 * f64::from(full.width) / f64::from(l.width),
            self.pixel_degrees.1 * f64::from(full.height) / f64::from(l.height),
        ))
    }

    /// Where longitude `lon` and latitude `lat` fall on level `index`, in
    /// its pixels from the upper-left corner (fractional; outside the
    /// image below 0 or beyond its size).
    pub fn level_position(&self, index: usize, lat: f64, lon: f64) -> Option<(f64, f64)> {
        let (dx, dy) = self.level_pixel_degrees(index)?;
        Some(((lon - self.west) / dx, (self.north - lat) / dy))
    }
}

/// One request for adjacent tiles of a level: the bytes
/// `offset..offset + length` hold each listed tile at its own offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileRead {
    pub offset: u64,
    pub length: u64,
    /// (tile index, offset within this read, byte count)
    pub tiles: Vec<(usize, u64, u64)>,
}

impl CogHeader {
    /// The tiles of `level` that meet the box (degrees; west < east,
    /// south < north), row-major; sparse tiles are left out.
    pub fn tiles_in(
        &self,
        level: usize,
        west: f64,
        south: f64,
        east: f64,
        north: f64,
    ) -> Vec<usize> {
        let (Some(l), Some(_)) = (self.levels.get(level), self.level_pixel_degrees(level)) else {
            return Vec::new();
        };
        let (tw, th) = (f64::from(l.format.width), f64::from(l.format.height));
        let across = l.tiles_across();
        let down = l.height.div_ceil(l.format.height);
        let at = |lat: f64, lon: f64| self.level_position(level, lat, lon).unwrap_or_default();
        let column = |lon: f64| (at(0.0, lon).0 / tw).floor();
        let row = |lat: f64| (at(lat, 0.0).1 / th).floor();
        let clamp = |v: f64, n: u32| v.max(0.0).min(f64::from(n) - 1.0) as u32;
        if !(west < east && south < north) || column(east) < 0.0 || row(south) < 0.0 {
            return Vec::new();
        }
        let (c0, c1) = (clamp(column(west), across), clamp(column(east), across));
        let (r0, r1) = (clamp(row(north), down), clamp(row(south), down));
        let mut out = Vec::new();
        for r in r0..=r1 {
            for c in c0..=c1 {
                let index = (r * across + c) as usize;
                if l.tile_range(index).is_some() {
                    out.push(index);
                }
            }
        }
        out
    }

    /// Reads for `tiles` of `level`: tiles whose bytes follow each other
    /// (within `gap` bytes) are read in one request, as long as it stays
    /// under `max_length` bytes.
    pub fn reads(&self, level: usize, tiles: &[usize], gap: u64, max_length: u64) -> Vec<TileRead> {
        let Some(l) = self.levels.get(level) else {
            return Vec::new();
        };
        let mut ranges: Vec<(usize, u64, u64)> = tiles
            .iter()
            .filter_map(|&t| l.tile_range(t).map(|(o, n)| (t, o, n)))
            .collect();
        ranges.sort_by_key(|&(_, o, _)| o);
        let mut reads: Vec<TileRead> = Vec::new();
        for (tile, offset, count) in ranges {
            if let Some(read) = reads.last_mut() {
                let end = read.offset + read.length;
                let new_end = offset + count;
                if offset >= end && offset - end <= gap && new_end - read.offset <= max_length {
                    read.tiles.push((tile, offset - read.offset, count));
                    read.length = new_end - read.offset;
                    continue;
                }
            }
            reads.push(TileRead {
                offset,
                length: count,
                tiles: vec![(tile, 0, count)],
            });
        }
        reads
    }
}
