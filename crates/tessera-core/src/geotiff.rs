//! GeoTIFF tiles in the bucket's file layout, for synthetic data sets and
//! tests that must look like the real files to GDAL, tifffile and
//! imagecodecs.
//!
//! A real file (e.g. `N42W090_fall_vv_COH12.tif`) is one 1200×1200 image, one
//! sample per pixel, LZW without predictor, RowsPerStrip 6 (200 strips), no
//! tiling and no overviews, georeferenced in EPSG:4326 with `GDAL_NODATA`
//! = "0". [`encode_tile`] writes exactly that layout.

use std::io::Cursor;
use std::num::Wrapping;
use std::ops::Add;

use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::encoder::TiffEncoder;
use tiff::tags::{CompressionMethod, PhotometricInterpretation, PlanarConfiguration, Tag};
use tiff::ColorType;

use crate::dataset::{DType, Tile, FILL_VALUE, TILE_PIXELS};
use crate::mosaic::TileSamples;

/// Rows in each strip of a real file (1200 / 6 = 200 strips).
pub const ROWS_PER_STRIP: u32 = 6;

/// Pixels in one tile (1200 × 1200).
pub const TILE_LEN: usize = TILE_PIXELS as usize * TILE_PIXELS as usize;

/// Pixel size in degrees along both axes (3 arc-seconds).
pub const PIXEL_DEGREES: f64 = 1.0 / TILE_PIXELS as f64;

/// Samples in one strip.
const STRIP_LEN: usize = TILE_PIXELS as usize * ROWS_PER_STRIP as usize;

/// The GeoKeyDirectory GDAL writes for EPSG:4326 (GeoTIFF 1.0 keys): header
/// (version 1, revision 1.0, 7 keys), then (key, location, count, value).
/// Location 0 means the value is inline; 34736/34737 point into the double
/// and ASCII parameter tags below.
pub(crate) const GEO_KEY_DIRECTORY: [u16; 32] = [
    1, 1, 0, 7, //
    1024, 0, 1, 2, // GTModelTypeGeoKey: geographic
    1025, 0, 1, 1, // GTRasterTypeGeoKey: PixelIsArea
    2048, 0, 1, 4326, // GeographicTypeGeoKey: WGS 84
    2049, 34737, 7, 0, // GeogCitationGeoKey: "WGS 84|"
    2054, 0, 1, 9102, // GeogAngularUnitsGeoKey: degree
    2057, 34736, 1, 0, // GeogSemiMajorAxisGeoKey
    2059, 34736, 1, 1, // GeogInvFlatteningGeoKey
];
pub(crate) const GEO_DOUBLE_PARAMS: [f64; 2] = [6_378_137.0, 298.257_223_563];
pub(crate) const GEO_ASCII_PARAMS: &str = "WGS 84|";
/// `GDAL_NODATA`: 0 is "no data" in every variable of the data set.
const GDAL_NODATA: &str = "0";
/// TIFF SampleFormat 1: unsigned integer.
const SAMPLE_FORMAT_UINT: u16 = 1;
/// TIFF Predictor 1: none.
const PREDICTOR_NONE: u16 = 1;

/// The pixels of one tile in row-major order, in the stored integer type of
/// the variable (uint8 for COH, inc, lsmap; uint16 for AMP, tau, rmse, rho).
#[derive(Debug, Clone, Copy)]
pub enum TilePixels<'a> {
    U8(&'a [u8]),
    U16(&'a [u16]),
}

impl TilePixels<'_> {
    pub fn dtype(&self) -> DType {
        match self {
            TilePixels::U8(_) => DType::U8,
            TilePixels::U16(_) => DType::U16,
        }
    }

    /// Number of pixels.
    pub fn len(&self) -> usize {
        match self {
            TilePixels::U8(p) => p.len(),
            TilePixels::U16(p) => p.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GeoTiffError {
    #[error("a tile has {expected} pixels (1200×1200), got {actual}")]
    PixelCount { expected: usize, actual: usize },
    #[error("TIFF encoding failed: {0}")]
    Tiff(#[from] tiff::TiffError),
}

/// Encodes one tile as a GeoTIFF in the layout of the bucket's files.
///
/// `pixels` holds 1200×1200 values, row 0 being the tile's northern edge and
/// column 0 its western edge. The result is a classic TIFF in the host's byte
/// order (little-endian in practice): one 1200×1200 grayscale image, one
/// sample, LZW with no predictor, RowsPerStrip 6 (200 strips), and the
/// GeoTIFF tags ModelPixelScale (1/1200°, 1/1200°, 0), ModelTiepoint (pixel
/// (0, 0) at the tile's upper-left corner), a GeoKeyDirectory for EPSG:4326
/// (geographic, PixelIsArea, as GDAL writes it) and `GDAL_NODATA` = "0".
///
/// Fails with [`GeoTiffError::PixelCount`] if `pixels` is not 1200×1200 long.
pub fn encode_tile(tile: Tile, pixels: TilePixels) -> Result<Vec<u8>, GeoTiffError> {
    if pixels.len() != TILE_LEN {
        return Err(GeoTiffError::PixelCount {
            expected: TILE_LEN,
            actual: pixels.len(),
        });
    }
    let sample_bytes = pixels.dtype().bytes();
    let mut out = Cursor::new(Vec::with_capacity(TILE_LEN * sample_bytes + 4096));
    let mut encoder = TiffEncoder::new(&mut out)?;
    let mut dir = encoder.image_directory()?;

    // The strips are LZW-compressed here and written raw through the tiff
    // crate's directory encoder: the crate's own LZW (weezl's stream API)
    // allocates and zeroes a 16 MiB buffer per strip, which at 200 strips
    // made a tile about 15 times slower to write (~120 ms against ~8 ms).
    let mut lzw = crate::lzw::LzwEncoder::default();
    let mut raw = Vec::with_capacity(STRIP_LEN * sample_bytes);
    let mut compressed = Vec::with_capacity(STRIP_LEN * sample_bytes * 3 / 2 + 16);
    let mut offsets = Vec::with_capacity(TILE_LEN / STRIP_LEN);
    let mut byte_counts = Vec::with_capacity(TILE_LEN / STRIP_LEN);
    for strip in 0..TILE_LEN / STRIP_LEN {
        let range = strip * STRIP_LEN..(strip + 1) * STRIP_LEN;
        let bytes: &[u8] = match pixels {
            TilePixels::U8(p) => &p[range],
            TilePixels::U16(p) => {
                // Samples in the file's byte order, which the tiff crate
                // writes as the host's.
                raw.clear();
                raw.extend(p[range].iter().flat_map(|v| v.to_ne_bytes()));
                &raw
            }
        };
        compressed.clear();
        lzw.encode(bytes, &mut compressed);
        offsets
            .push(u32::try_from(dir.write_data(&compressed[..])?).map_err(tiff::TiffError::from)?);
        byte_counts.push(u32::try_from(compressed.len()).map_err(tiff::TiffError::from)?);
    }

    let bits = 8 * sample_bytes as u16;
    dir.write_tag(Tag::ImageWidth, TILE_PIXELS)?;
    dir.write_tag(Tag::ImageLength, TILE_PIXELS)?;
    dir.write_tag(Tag::BitsPerSample, bits)?;
    dir.write_tag(Tag::Compression, CompressionMethod::LZW.to_u16())?;
    dir.write_tag(
        Tag::PhotometricInterpretation,
        PhotometricInterpretation::BlackIsZero.to_u16(),
    )?;
    dir.write_tag(Tag::StripOffsets, &offsets[..])?;
    dir.write_tag(Tag::SamplesPerPixel, 1u16)?;
    dir.write_tag(Tag::RowsPerStrip, ROWS_PER_STRIP)?;
    dir.write_tag(Tag::StripByteCounts, &byte_counts[..])?;
    dir.write_tag(
        Tag::PlanarConfiguration,
        PlanarConfiguration::Chunky.to_u16(),
    )?;
    dir.write_tag(Tag::Predictor, PREDICTOR_NONE)?;
    dir.write_tag(Tag::SampleFormat, SAMPLE_FORMAT_UINT)?;
    dir.write_tag(
        Tag::ModelPixelScaleTag,
        &[PIXEL_DEGREES, PIXEL_DEGREES, 0.0][..],
    )?;
    dir.write_tag(
        Tag::ModelTiepointTag,
        &[0.0, 0.0, 0.0, tile.west() as f64, tile.north() as f64, 0.0][..],
    )?;
    dir.write_tag(Tag::GeoKeyDirectoryTag, &GEO_KEY_DIRECTORY[..])?;
    dir.write_tag(Tag::GeoDoubleParamsTag, &GEO_DOUBLE_PARAMS[..])?;
    dir.write_tag(Tag::GeoAsciiParamsTag, GEO_ASCII_PARAMS)?;
    dir.write_tag(Tag::GdalNodata, GDAL_NODATA)?;
    dir.finish()?;
    Ok(out.into_inner())
}

/// A decoded tile: 1200×1200 values, row-major from the north-west corner,
/// in the variable's stored type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodedTile {
    U8(Vec<u8>),
    U16(Vec<u16>),
}

impl DecodedTile {
    pub fn dtype(&self) -> DType {
        match self {
            DecodedTile::U8(_) => DType::U8,
            DecodedTile::U16(_) => DType::U16,
        }
    }

    /// Memory the values take, for caches bounded in bytes.
    pub fn byte_len(&self) -> usize {
        match self {
            DecodedTile::U8(v) => v.len(),
            DecodedTile::U16(v) => v.len() * 2,
        }
    }

    /// The values, for stitching.
    pub fn samples(&self) -> TileSamples<'_> {
        match self {
            DecodedTile::U8(v) => TileSamples::U8(v),
            DecodedTile::U16(v) => TileSamples::U16(v),
        }
    }

    /// The DN at (row, column) of the tile; no data outside it.
    pub fn get(&self, row: u32, column: u32) -> u16 {
        if row >= TILE_PIXELS || column >= TILE_PIXELS {
            return FILL_VALUE;
        }
        let i = row as usize * TILE_PIXELS as usize + column as usize;
        match self {
            DecodedTile::U8(v) => v.get(i).map_or(FILL_VALUE, |&x| u16::from(x)),
            DecodedTile::U16(v) => v.get(i).copied().unwrap_or(FILL_VALUE),
        }
    }
}

/// Why a file could not be read as a tile of the data set.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("not a TIFF file ({0})")]
    NotTiff(tiff::TiffError),
    #[error("the image is {width}×{height} pixels; tiles are 1200×1200")]
    Shape { width: u32, height: u32 },
    #[error("the image has {0}; tiles have one grayscale sample per pixel")]
    Samples(String),
    #[error("the file holds {found}, the references' .zarray says {expected}")]
    DType {
        expected: &'static str,
        found: String,
    },
    #[error("the pixel data cannot be decoded: {0}")]
    Pixels(tiff::TiffError),
}

/// Bounds on what a file from outside may make us allocate: a tile is at
/// most 2.9 MB decoded.
fn decode_limits() -> Limits {
    let mut limits = Limits::default();
    limits.decoding_buffer_size = 16 << 20;
    limits.intermediate_buffer_size = 16 << 20;
    limits.ifd_value_size = 1 << 20;
    limits
}

/// Decodes one tile file: any layout the `tiff` crate reads (strips or
/// tiles; LZW, Deflate, PackBits or none; with or without a horizontal
/// predictor; either byte order), checked to be a 1200×1200 single-sample
/// image of the `expected` stored type. Only the first image is read.
pub fn decode_tile(bytes: &[u8], expected: DType) -> Result<DecodedTile, DecodeError> {
    let mut decoder = Decoder::new(Cursor::new(bytes))
        .map_err(DecodeError::NotTiff)?
        .with_limits(decode_limits());
    let (width, height) = decoder.dimensions().map_err(DecodeError::NotTiff)?;
    if (width, height) != (TILE_PIXELS, TILE_PIXELS) {
        return Err(DecodeError::Shape { width, height });
    }
    let found = match decoder.colortype() {
        Ok(ColorType::Gray(bits)) => bits,
        Ok(other) => return Err(DecodeError::Samples(format!("colour type {other:?}"))),
        Err(e) => return Err(DecodeError::Samples(e.to_string())),
    };
    let wrong_type = |found: &str| DecodeError::DType {
        expected: expected.name(),
        found: found.to_string(),
    };
    match (expected, found) {
        (DType::U8, 8) | (DType::U16, 16) => {}
        (_, bits) => return Err(wrong_type(&format!("{bits}-bit samples"))),
    }
    if let Some(tile) = decode_lzw_strips(&mut decoder, bytes, expected) {
        return Ok(tile);
    }
    let decoded = match decoder.read_image().map_err(DecodeError::Pixels)? {
        DecodingResult::U8(v) if expected == DType::U8 => DecodedTile::U8(v),
        DecodingResult::U16(v) if expected == DType::U16 => DecodedTile::U16(v),
        // Signed or floating-point samples of the right width.
        other => return Err(wrong_type(result_type(&other))),
    };
    let len = match &decoded {
        DecodedTile::U8(v) => v.len(),
        DecodedTile::U16(v) => v.len(),
    };
    if len != TILE_LEN {
        return Err(DecodeError::Samples(format!(
            "{len} values for 1200×1200 pixels"
        )));
    }
    Ok(decoded)
}

/// The data set's own layout, decoded by [`crate::lzw`] straight into the
/// image: LZW strips of one 8- or 16-bit sample per pixel, with or without
/// the horizontal predictor. `None` for anything else, or anything odd
/// (a strip out of the file, a strip that decodes short or long, a bad
/// code): the `tiff` crate then decodes the file and reports the problem.
fn decode_lzw_strips(
    decoder: &mut Decoder<Cursor<&[u8]>>,
    bytes: &[u8],
    dtype: DType,
) -> Option<DecodedTile> {
    let tag = |decoder: &mut Decoder<Cursor<&[u8]>>, tag: Tag, default: u64| {
        decoder
            .find_tag_unsigned::<u64>(tag)
            .ok()
            .map(|v| v.unwrap_or(default))
    };
    let lzw = CompressionMethod::LZW.to_u16();
    if tag(decoder, Tag::Compression, 1)? != u64::from(lzw)
        || tag(decoder, Tag::SamplesPerPixel, 1)? != 1
        || tag(decoder, Tag::PlanarConfiguration, 1)? != 1
        // Unsigned integers only: signed samples are the wrong dtype.
        || tag(decoder, Tag::SampleFormat, 1)? != 1
        || decoder.find_tag(Tag::TileWidth).ok()?.is_some()
    {
        return None;
    }
    let predictor = tag(decoder, Tag::Predictor, 1)?;
    if predictor != 1 && predictor != 2 {
        return None;
    }
    let rows_per_strip = tag(decoder, Tag::RowsPerStrip, u64::from(TILE_PIXELS))?
        .clamp(1, u64::from(TILE_PIXELS)) as usize;
    let offsets = decoder.get_tag_u64_vec(Tag::StripOffsets).ok()?;
    let counts = decoder.get_tag_u64_vec(Tag::StripByteCounts).ok()?;
    let width = TILE_PIXELS as usize;
    let strip_count = (TILE_PIXELS as usize).div_ceil(rows_per_strip);
    if offsets.len() != strip_count || counts.len() != strip_count {
        return None;
    }
    let mut strips = offsets.iter().zip(&counts).map(|(&offset, &count)| {
        let start = usize::try_from(offset).ok()?;
        let end = start.checked_add(usize::try_from(count).ok()?)?;
        bytes.get(start..end)
    });
    let strip_values = rows_per_strip * width;
    let big_endian = bytes.starts_with(b"MM");
    // Each strip's bytes go straight into the values (in the file's byte
    // order, for 16 bits): no second image-sized buffer.
    let mut tile = match dtype {
        DType::U8 => {
            let mut values = vec![0u8; TILE_LEN];
            for chunk in values.chunks_mut(strip_values) {
                let len = chunk.len();
                decode_whole_strip(strips.next()??, len, |strip| chunk.copy_from_slice(strip))?;
            }
            DecodedTile::U8(values)
        }
        DType::U16 => {
            let mut values = vec![0u16; TILE_LEN];
            for chunk in values.chunks_mut(strip_values) {
                let len = 2 * chunk.len();
                decode_whole_strip(strips.next()??, len, |strip| {
                    // Pairs as arrays, not slices: the loop then has no
                    // bounds checks and compiles to SIMD (AMP tile 3.5%
                    // faster in V8).
                    let pairs = chunk.iter_mut().zip(strip.as_chunks::<2>().0);
                    if big_endian {
                        pairs.for_each(|(v, b)| *v = u16::from_be_bytes(*b));
                    } else {
                        pairs.for_each(|(v, b)| *v = u16::from_le_bytes(*b));
                    }
                })?;
            }
            DecodedTile::U16(values)
        }
    };
    if predictor == 2 {
        match &mut tile {
            DecodedTile::U8(values) => undo_horizontal_predictor(values, width),
            DecodedTile::U16(values) => undo_horizontal_predictor(values, width),
        }
    }
    Some(tile)
}

/// Decodes one LZW strip that must fill `len` bytes, and hands them to
/// `fill`; `None` if it is not a strip or decodes to fewer bytes.
fn decode_whole_strip(input: &[u8], len: usize, mut fill: impl FnMut(&[u8])) -> Option<()> {
    let mut whole = false;
    crate::lzw::decode_strip(input, len, &mut |strip| {
        whole = strip.len() == len;
        if whole {
            fill(strip);
        }
    })
    .ok()?;
    whole.then_some(())
}

/// TIFF's horizontal differencing (Predictor 2), undone row by row.
fn undo_horizontal_predictor<T: Copy>(values: &mut [T], width: usize)
where
    Wrapping<T>: Add<Output = Wrapping<T>>,
{
    for row in values.chunks_mut(width) {
        for i in 1..row.len() {
            row[i] = (Wrapping(row[i]) + Wrapping(row[i - 1])).0;
        }
    }
}

fn result_type(result: &DecodingResult) -> &'static str {
    match result {
        DecodingResult::U8(_) => "uint8",
        DecodingResult::U16(_) => "uint16",
        DecodingResult::U32(_) => "uint32",
        DecodingResult::U64(_) => "uint64",
        DecodingResult::I8(_) => "int8",
        DecodingResult::I16(_) => "int16",
        DecodingResult::I32(_) => "int32",
        DecodingResult::I64(_) => "int64",
        DecodingResult::F16(_) => "float16",
        DecodingResult::F32(_) => "float32",
        DecodingResult::F64(_) => "float64",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tiff::decoder::{Decoder, DecodingResult};
    use tiff::tags::CompressionMethod;

    fn pattern(row: usize, col: usize) -> u16 {
        // Varied but compressible, never 0 except on the first row (nodata).
        if row == 0 {
            0
        } else {
            ((row * 7 + col * 3) % 60_000 + 1) as u16
        }
    }

    fn decode(bytes: &[u8]) -> Decoder<Cursor<&[u8]>> {
        Decoder::new(Cursor::new(bytes)).expect("a TIFF header")
    }

    fn check_layout(d: &mut Decoder<Cursor<&[u8]>>, tile: Tile, bits: u16) {
        assert_eq!(d.dimensions().unwrap(), (1200, 1200));
        assert_eq!(d.get_tag_u32(Tag::RowsPerStrip).unwrap(), 6);
        assert_eq!(d.strip_count().unwrap(), 200);
        assert_eq!(
            d.get_tag_unsigned::<u16>(Tag::Compression).unwrap(),
            CompressionMethod::LZW.to_u16()
        );
        assert_eq!(d.get_tag_unsigned::<u16>(Tag::Predictor).unwrap(), 1);
        assert_eq!(d.get_tag_unsigned::<u16>(Tag::SamplesPerPixel).unwrap(), 1);
        assert_eq!(d.get_tag_u16_vec(Tag::BitsPerSample).unwrap(), [bits]);
        assert!(d.find_tag(Tag::TileWidth).unwrap().is_none());
        let scale = d.get_tag(Tag::ModelPixelScaleTag).unwrap().into_f64_vec();
        assert_eq!(scale.unwrap(), [1.0 / 1200.0, 1.0 / 1200.0, 0.0]);
        let tie = d.get_tag(Tag::ModelTiepointTag).unwrap().into_f64_vec();
        assert_eq!(
            tie.unwrap(),
            [0.0, 0.0, 0.0, tile.west() as f64, tile.north() as f64, 0.0]
        );
        let keys = d.get_tag_u16_vec(Tag::GeoKeyDirectoryTag).unwrap();
        assert_eq!(keys, GEO_KEY_DIRECTORY);
        // Header then 4-value entries: model type 2, raster type 1, EPSG 4326.
        let key = |id: u16| keys.chunks(4).skip(1).find(|e| e[0] == id).map(|e| e[3]);
        assert_eq!(
            (key(1024), key(1025), key(2048)),
            (Some(2), Some(1), Some(4326))
        );
        let doubles = d.get_tag(Tag::GeoDoubleParamsTag).unwrap().into_f64_vec();
        assert_eq!(doubles.unwrap(), GEO_DOUBLE_PARAMS);
        let ascii = d.get_tag(Tag::GeoAsciiParamsTag).unwrap().into_string();
        assert_eq!(ascii.unwrap(), "WGS 84|");
        let nodata = d.get_tag(Tag::GdalNodata).unwrap().into_string();
        assert_eq!(nodata.unwrap(), "0");
        assert!(!d.more_images());
    }

    #[test]
    fn uint8_tile_round_trips_with_the_bucket_layout() {
        let tile = Tile::parse("N36W121").unwrap();
        let pixels: Vec<u8> = (0..TILE_LEN)
            .map(|i| (pattern(i / 1200, i % 1200) % 251) as u8)
            .collect();
        let bytes = encode_tile(tile, TilePixels::U8(&pixels)).unwrap();
        assert_eq!(&bytes[..4], b"II*\0");
        // LZW really compresses this pattern.
        assert!(bytes.len() < TILE_LEN, "{} bytes", bytes.len());
        let mut d = decode(&bytes);
        check_layout(&mut d, tile, 8);
        match d.read_image().unwrap() {
            DecodingResult::U8(v) => assert!(v == pixels),
            other => panic!(
                "expected u8 pixels, got {:?}",
                std::mem::discriminant(&other)
            ),
        }
    }

    #[test]
    fn uint16_tile_round_trips_with_the_bucket_layout() {
        let tile = Tile::parse("S78E179").unwrap();
        let pixels: Vec<u16> = (0..TILE_LEN).map(|i| pattern(i / 1200, i % 1200)).collect();
        let bytes = encode_tile(tile, TilePixels::U16(&pixels)).unwrap();
        let mut d = decode(&bytes);
        check_layout(&mut d, tile, 16);
        match d.read_image().unwrap() {
            DecodingResult::U16(v) => assert!(v == pixels),
            other => panic!(
                "expected u16 pixels, got {:?}",
                std::mem::discriminant(&other)
            ),
        }
    }

    /// Deterministic noise: fills the LZW table (and starts it over) many
    /// times per strip, unlike smooth data.
    fn noise(len: usize) -> Vec<u16> {
        let mut x: u32 = 12345;
        (0..len)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (x >> 16) as u16
            })
            .collect()
    }

    #[test]
    fn noisy_and_constant_tiles_decode_exactly() {
        let tile = Tile::parse("N00E000").unwrap();
        let words = noise(TILE_LEN);
        let bytes: Vec<u8> = words.iter().map(|&w| (w >> 3) as u8).collect();
        let decoded = |encoded: Vec<u8>| {
            let mut d = decode(&encoded);
            let bits = match d.colortype().unwrap() {
                tiff::ColorType::Gray(bits) => bits as u16,
                other => panic!("{other:?}"),
            };
            check_layout(&mut d, tile, bits);
            d.read_image().unwrap()
        };
        match decoded(encode_tile(tile, TilePixels::U8(&bytes)).unwrap()) {
            DecodingResult::U8(v) => assert!(v == bytes, "noisy uint8 tile differs"),
            _ => panic!("expected u8 pixels"),
        }
        match decoded(encode_tile(tile, TilePixels::U16(&words)).unwrap()) {
            DecodingResult::U16(v) => assert!(v == words, "noisy uint16 tile differs"),
            _ => panic!("expected u16 pixels"),
        }
        for value in [0u8, 255] {
            let flat = vec![value; TILE_LEN];
            let encoded = encode_tile(tile, TilePixels::U8(&flat)).unwrap();
            // Runs compress to a few hundred bytes per strip.
            assert!(encoded.len() < 100_000, "{} bytes", encoded.len());
            match decoded(encoded) {
                DecodingResult::U8(v) => assert!(v == flat, "constant {value} tile differs"),
                _ => panic!("expected u8 pixels"),
            }
        }
    }

    #[test]
    fn wrong_pixel_count_is_an_error() {
        let tile = Tile::parse("N00E000").unwrap();
        let err = encode_tile(tile, TilePixels::U8(&[1; 100])).unwrap_err();
        assert!(matches!(
            err,
            GeoTiffError::PixelCount {
                expected: 1_440_000,
                actual: 100
            }
        ));
        assert!(encode_tile(tile, TilePixels::U16(&[])).is_err());
    }

    /// The pattern `tests/fixtures/tiff-variants/make.py` writes.
    fn variant_pattern(row: u32, col: u32) -> u16 {
        if row == 0 {
            0
        } else {
            ((row / 8 * 7 + col / 8 * 3) % 250 + 1) as u16
        }
    }

    fn variant(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../../tests/fixtures/tiff-variants/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn decodes_what_it_encodes() {
        let tile = Tile::parse("N36W121").unwrap();
        let pixels: Vec<u8> = (0..TILE_LEN)
            .map(|i| (pattern(i / 1200, i % 1200) % 251) as u8)
            .collect();
        let bytes = encode_tile(tile, TilePixels::U8(&pixels)).unwrap();
        let decoded = decode_tile(&bytes, DType::U8).unwrap();
        assert_eq!(decoded, DecodedTile::U8(pixels.clone()));
        assert_eq!(decoded.byte_len(), TILE_LEN);
        assert_eq!(decoded.get(5, 7), u16::from(pixels[5 * 1200 + 7]));
        assert_eq!(decoded.get(1200, 0), FILL_VALUE);
        let words: Vec<u16> = (0..TILE_LEN).map(|i| pattern(i / 1200, i % 1200)).collect();
        let bytes = encode_tile(tile, TilePixels::U16(&words)).unwrap();
        let decoded = decode_tile(&bytes, DType::U16).unwrap();
        assert_eq!(decoded.byte_len(), 2 * TILE_LEN);
        assert_eq!(decoded.get(1199, 1199), words[TILE_LEN - 1]);
        assert_eq!(decoded, DecodedTile::U16(words));
    }

    #[test]
    fn decodes_other_layouts_tifffile_writes() {
        for (name, dtype, scale) in [
            ("u8_deflate_predictor_tiled.tif", DType::U8, 1),
            ("u8_packbits_strips.tif", DType::U8, 1),
            ("u16_lzw_predictor.tif", DType::U16, 200),
            ("u16_deflate_bigendian_tiled.tif", DType::U16, 200),
        ] {
            let tile = decode_tile(&variant(name), dtype).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(tile.dtype(), dtype, "{name}");
            for (row, col) in [(0, 0), (1, 1), (17, 900), (640, 333), (1199, 1199)] {
                assert_eq!(
                    tile.get(row, col),
                    variant_pattern(row, col) * scale,
                    "{name} ({row}, {col})"
                );
            }
        }
    }

    /// The LZW fast path is taken for the data set's layout and its
    /// variants, and gives exactly what the `tiff` crate's own decoding
    /// gives; other layouts and signed samples are left to the crate.
    #[test]
    fn lzw_strips_decode_as_the_tiff_crate_does() {
        let tile = Tile::parse("N36W121").unwrap();
        let noisy: Vec<u8> = (0..TILE_LEN)
            .map(|i| ((i as u32).wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        let words: Vec<u16> = (0..TILE_LEN).map(|i| pattern(i / 1200, i % 1200)).collect();
        let files = [
            (
                encode_tile(tile, TilePixels::U8(&noisy)).unwrap(),
                DType::U8,
                true,
            ),
            (
                encode_tile(tile, TilePixels::U16(&words)).unwrap(),
                DType::U16,
                true,
            ),
            (variant("u8_lzw_predictor.tif"), DType::U8, true),
            (variant("u16_lzw_predictor.tif"), DType::U16, true),
            (variant("u16_lzw_bigendian_predictor.tif"), DType::U16, true),
            (variant("u8_packbits_strips.tif"), DType::U8, false),
            (variant("u8_deflate_predictor_tiled.tif"), DType::U8, false),
            (variant("i16_lzw.tif"), DType::U16, false),
        ];
        for (i, (bytes, dtype, fast)) in files.iter().enumerate() {
            let mut decoder = Decoder::new(Cursor::new(&bytes[..])).unwrap();
            let ours = decode_lzw_strips(&mut decoder, bytes, *dtype);
            assert_eq!(ours.is_some(), *fast, "file {i}");
            let Some(ours) = ours else { continue };
            let theirs = match Decoder::new(Cursor::new(&bytes[..]))
                .unwrap()
                .read_image()
                .unwrap()
            {
                DecodingResult::U8(v) => DecodedTile::U8(v),
                DecodingResult::U16(v) => DecodedTile::U16(v),
                _ => panic!("file {i}"),
            };
            assert!(ours == theirs, "file {i}");
        }
        let e = decode_tile(&variant("i16_lzw.tif"), DType::U16).unwrap_err();
        assert!(e.to_string().contains("int16"), "{e}");
        // A damaged strip: left to the crate, which reports it.
        let mut damaged = files[0].0.clone();
        let middle = damaged.len() / 2;
        damaged[middle..middle + 64].fill(0xff);
        let mut decoder = Decoder::new(Cursor::new(&damaged[..])).unwrap();
        assert!(decode_lzw_strips(&mut decoder, &damaged, DType::U8).is_none());
    }

    #[test]
    fn files_that_are_not_tiles_say_why() {
        let message =
            |name: &str, dtype| decode_tile(&variant(name), dtype).unwrap_err().to_string();
        assert_eq!(
            message("u8_small.tif", DType::U8),
            "the image is 100×100 pixels; tiles are 1200×1200"
        );
        assert!(message("u8_rgb.tif", DType::U8).contains("one grayscale sample"));
        assert_eq!(
            message("u8_packbits_strips.tif", DType::U16),
            "the file holds 8-bit samples, the references' .zarray says uint16"
        );
        assert_eq!(
            message("i16_deflate.tif", DType::U16),
            "the file holds int16, the references' .zarray says uint16"
        );
        let not_tiff = decode_tile(b"<html>404 Not Found</html>", DType::U8).unwrap_err();
        assert!(
            not_tiff.to_string().starts_with("not a TIFF file"),
            "{not_tiff}"
        );
        assert!(matches!(
            decode_tile(&[], DType::U8),
            Err(DecodeError::NotTiff(_))
        ));
        // A cut file: the header and directory are there, the strips are not.
        let tile = Tile::parse("N00E000").unwrap();
        let words = noise(TILE_LEN);
        let full = encode_tile(tile, TilePixels::U16(&words)).unwrap();
        for cut in [8, full.len() / 3, full.len() - 10] {
            assert!(
                decode_tile(&full[..cut], DType::U16).is_err(),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn garbage_never_panics() {
        let tile = Tile::parse("N00E000").unwrap();
        let flat = vec![7u8; TILE_LEN];
        let good = encode_tile(tile, TilePixels::U8(&flat)).unwrap();
        let mut x: u32 = 99;
        for _ in 0..300 {
            let mut bytes = good.clone();
            for _ in 0..8 {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let i = (x as usize >> 8) % bytes.len().min(4096);
                bytes[i] = (x >> 24) as u8;
            }
            let _ = decode_tile(&bytes, DType::U8);
        }
    }
}
