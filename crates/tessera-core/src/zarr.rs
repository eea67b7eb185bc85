//! zarr v2 metadata (`.zarray`) and the codecs the references use: Blosc for
//! the numeric coordinate arrays, VLenUTF8 for the string ones, and no
//! compression for `coherence`. The data variables' chunks are whole GeoTIFF
//! files ([`TIFF_COMPRESSOR`]; [`crate::geotiff`] writes them).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::blosc::{self, BloscError};

/// The compressor id tifffile writes for chunks that are whole TIFF files.
pub const TIFF_COMPRESSOR: &str = "imagecodecs_tiff";

/// Largest 1-D array [`decode_1d`] builds in memory (the longitude
/// coordinate, the largest the data set has, is 432,000 long). Guards
/// against a `.zarray` whose shape would need gigabytes of fill values.
pub const MAX_ARRAY_ELEMENTS: u64 = 1 << 26;

/// The contents of a zarr v2 `.zarray` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArrayMetadata {
    pub chunks: Vec<u64>,
    /// `None` for `"compressor": null`.
    pub compressor: Option<CodecConfig>,
    /// A numpy type string such as `"<f4"` or `"|O"`.
    pub dtype: String,
    /// JSON as written: a number, `null`, or for floats `"NaN"` and friends.
    pub fill_value: Value,
    /// `None` for `"filters": null`.
    pub filters: Option<Vec<CodecConfig>>,
    /// `"C"` (row-major) or `"F"`.
    pub order: String,
    pub shape: Vec<u64>,
    pub zarr_format: u32,
    /// Absent in the seed's documents, which means `"."`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimension_separator: Option<String>,
}

/// A numcodecs codec configuration: `{"id": "blosc", "cname": "lz4", ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodecConfig {
    pub id: String,
    /// Every other field, as written.
    #[serde(flatten)]
    pub config: Map<String, Value>,
}

/// Why zarr metadata or a chunk could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZarrError {
    #[error("not valid .zarray JSON: {0}")]
    Json(String),
    #[error("zarr_format is {0}, only 2 is supported")]
    ZarrFormat(u32),
    #[error("shape has {shape} dimensions but chunks has {chunks}")]
    Rank { shape: usize, chunks: usize },
    #[error("chunk lengths must be positive, got {0:?}")]
    ZeroChunk(Vec<u64>),
    #[error("order must be \"C\" or \"F\", got {0:?}")]
    Order(String),
    #[error("dtype {0:?} is not supported (|u1, <u2, <i4, <f4, <f8 and |O, either byte order)")]
    DType(String),
    #[error("compressor {0:?} is not supported (only blosc, or none)")]
    Compressor(String),
    #[error("filters {0:?} are not supported (only vlen-utf8 for |O arrays, or none)")]
    Filters(Vec<String>),
    #[error("fill_value {0} does not fit dtype {1}")]
    FillValue(String, String),
    #[error(transparent)]
    Blosc(#[from] BloscError),
    #[error("a chunk of {elements} {dtype} values needs {expected} bytes, got {actual}")]
    ChunkLength {
        dtype: String,
        elements: u64,
        expected: u64,
        actual: usize,
    },
    #[error("VLenUTF8 chunk: {0}")]
    VLen(&'static str),
    #[error("a VLenUTF8 chunk of {expected} items holds {actual}")]
    VLenCount { expected: u64, actual: usize },
    #[error("expected a 1-dimensional array, shape is {0:?}")]
    NotOneDimensional(Vec<u64>),
    #[error("expected {expected} chunks for shape {shape:?}, got {actual}")]
    ChunkCount {
        shape: Vec<u64>,
        expected: u64,
        actual: usize,
    },
    #[error("{0} elements are more than this reader builds in memory")]
    TooLarge(u64),
    #[error("chunk {index}: {source}")]
    InChunk { index: u64, source: Box<ZarrError> },
}

/// The element types the references use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ElementType {
    U8,
    U16,
    I32,
    F32,
    F64,
    /// Python objects: strings, through the VLenUTF8 filter.
    Object,
}

/// A parsed numpy type string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DataType {
    pub element: ElementType,
    /// `>` in the type string; single bytes and objects have no byte order.
    pub big_endian: bool,
}

impl DataType {
    /// Parses `|u1`, `<u2`, `>i4`, `<f8`, `|O` and the like.
    pub fn parse(dtype: &str) -> Result<DataType, ZarrError> {
        let unsupported = || ZarrError::DType(dtype.to_string());
        let (order, kind) = dtype.split_at_checked(1).ok_or_else(unsupported)?;
        let big_endian = match order {
            "<" | "|" => false,
            ">" => true,
            _ => return Err(unsupported()),
        };
        let element = match kind {
            "u1" => ElementType::U8,
            "u2" => ElementType::U16,
            "i4" => ElementType::I32,
            "f4" => ElementType::F32,
            "f8" => ElementType::F64,
            "O" => ElementType::Object,
            _ => return Err(unsupported()),
        };
        Ok(DataType {
            element,
            big_endian: big_endian && !matches!(element, ElementType::U8 | ElementType::Object),
        })
    }

    /// Bytes per element; `None` for objects, which have no fixed size.
    pub fn size(self) -> Option<usize> {
        match self.element {
            ElementType::U8 => Some(1),
            ElementType::U16 => Some(2),
            ElementType::I32 | ElementType::F32 => Some(4),
            ElementType::F64 => Some(8),
            ElementType::Object => None,
        }
    }
}

impl ArrayMetadata {
    /// Parses a `.zarray` document and checks it with [`Self::validate`].
    pub fn from_json(bytes: &[u8]) -> Result<ArrayMetadata, ZarrError> {
        let meta: ArrayMetadata =
            serde_json::from_slice(bytes).map_err(|e| ZarrError::Json(e.to_string()))?;
        meta.validate()?;
        Ok(meta)
    }

    /// Checks what every zarr v2 array needs: format 2, as many chunk
    /// lengths as dimensions, positive chunk lengths, order C or F.
    pub fn validate(&self) -> Result<(), ZarrError> {
        if self.zarr_format != 2 {
            return Err(ZarrError::ZarrFormat(self.zarr_format));
        }
        if self.shape.len() != self.chunks.len() {
            return Err(ZarrError::Rank {
                shape: self.shape.len(),
                chunks: self.chunks.len(),
            });
        }
        if self.chunks.contains(&0) {
            return Err(ZarrError::ZeroChunk(self.chunks.clone()));
        }
        if self.order != "C" && self.order != "F" {
            return Err(ZarrError::Order(self.order.clone()));
        }
        Ok(())
    }

    /// The parsed [`Self::dtype`].
    pub fn data_type(&self) -> Result<DataType, ZarrError> {
        DataType::parse(&self.dtype)
    }

    /// The compressor's `id`, if there is one.
    pub fn compressor_id(&self) -> Option<&str> {
        self.compressor.as_ref().map(|c| c.id.as_str())
    }

    /// The filters' `id`s, in the order they are applied when encoding.
    pub fn filter_ids(&self) -> Vec<&str> {
        self.filters
            .iter()
            .flatten()
            .map(|c| c.id.as_str())
            .collect()
    }

    /// Whether `fill_value` is the number zero (`0` or `0.0`).
    pub fn fill_value_is_zero(&self) -> bool {
        self.fill_value.as_f64() == Some(0.0)
    }

    /// Number of chunks along each dimension (the last may be partial).
    pub fn chunk_grid(&self) -> Vec<u64> {
        self.shape
            .iter()
            .zip(&self.chunks)
            .map(|(&len, &chunk)| len.div_ceil(chunk.max(1)))
            .collect()
    }

    /// Number of elements in one (full) chunk; `None` on overflow.
    pub fn chunk_elements(&self) -> Option<u64> {
        self.chunks.iter().try_fold(1u64, |n, &c| n.checked_mul(c))
    }
}

/// Encodes strings with numcodecs' VLenUTF8: a `u32le` item count, then per
/// item a `u32le` byte length and the UTF-8 bytes. (Strings of 4 GiB or more
/// cannot be represented; the data set's are a few bytes long.)
pub fn encode_vlen_utf8(items: &[&str]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + items.iter().map(|s| 4 + s.len()).sum::<usize>());
    out.extend_from_slice(&(items.len() as u32).to_le_bytes());
    for item in items {
        out.extend_from_slice(&(item.len() as u32).to_le_bytes());
        out.extend_from_slice(item.as_bytes());
    }
    out
}

/// Decodes numcodecs' VLenUTF8 encoding (see [`encode_vlen_utf8`]).
pub fn decode_vlen_utf8(bytes: &[u8]) -> Result<Vec<String>, ZarrError> {
    let (count, mut rest) = take_u32(bytes).ok_or(ZarrError::VLen("missing item count"))?;
    // Every item needs at least its 4-byte length: bounds the allocation.
    if count > rest.len() / 4 {
        return Err(ZarrError::VLen("item count exceeds the data"));
    }
    let mut items = Vec::with_capacity(count);
    for _ in 0..count {
        let (len, tail) = take_u32(rest).ok_or(ZarrError::VLen("truncated item length"))?;
        let (text, tail) = tail
            .split_at_checked(len)
            .ok_or(ZarrError::VLen("item runs past the end"))?;
        let text = std::str::from_utf8(text).map_err(|_| ZarrError::VLen("item is not UTF-8"))?;
        items.push(text.to_string());
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(ZarrError::VLen("bytes left after the last item"));
    }
    Ok(items)
}

fn take_u32(bytes: &[u8]) -> Option<(usize, &[u8])> {
    let (head, rest) = bytes.split_at_checked(4)?;
    let n = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
    Some((n as usize, rest))
}

/// The values of an array or of one chunk, in C order.
#[derive(Debug, Clone, PartialEq)]
pub enum ArrayValues {
    U8(Vec<u8>),
    U16(Vec<u16>),
    I32(Vec<i32>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Str(Vec<String>),
}

impl ArrayValues {
    pub fn len(&self) -> usize {
        match self {
            ArrayValues::U8(v) => v.len(),
            ArrayValues::U16(v) => v.len(),
            ArrayValues::I32(v) => v.len(),
            ArrayValues::F32(v) => v.len(),
            ArrayValues::F64(v) => v.len(),
            ArrayValues::Str(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn truncate(&mut self, len: usize) {
        match self {
            ArrayValues::U8(v) => v.truncate(len),
            ArrayValues::U16(v) => v.truncate(len),
            ArrayValues::I32(v) => v.truncate(len),
            ArrayValues::F32(v) => v.truncate(len),
            ArrayValues::F64(v) => v.truncate(len),
            ArrayValues::Str(v) => v.truncate(len),
        }
    }

    /// Appends `other`, which the callers here always give the same variant.
    fn append(&mut self, other: ArrayValues) {
        match (self, other) {
            (ArrayValues::U8(a), ArrayValues::U8(b)) => a.extend(b),
            (ArrayValues::U16(a), ArrayValues::U16(b)) => a.extend(b),
            (ArrayValues::I32(a), ArrayValues::I32(b)) => a.extend(b),
            (ArrayValues::F32(a), ArrayValues::F32(b)) => a.extend(b),
            (ArrayValues::F64(a), ArrayValues::F64(b)) => a.extend(b),
            (ArrayValues::Str(a), ArrayValues::Str(b)) => a.extend(b),
            _ => {}
        }
    }

    fn empty(element: ElementType) -> ArrayValues {
        match element {
            ElementType::U8 => ArrayValues::U8(Vec::new()),
            ElementType::U16 => ArrayValues::U16(Vec::new()),
            ElementType::I32 => ArrayValues::I32(Vec::new()),
            ElementType::F32 => ArrayValues::F32(Vec::new()),
            ElementType::F64 => ArrayValues::F64(Vec::new()),
            ElementType::Object => ArrayValues::Str(Vec::new()),
        }
    }
}

/// Checks that the codecs are ones this module decodes.
fn check_codecs(meta: &ArrayMetadata, dtype: DataType) -> Result<(), ZarrError> {
    if let Some(id) = meta.compressor_id() {
        if id != "blosc" {
            return Err(ZarrError::Compressor(id.to_string()));
        }
    }
    let filters = meta.filter_ids();
    let ok = match dtype.element {
        ElementType::Object => filters == ["vlen-utf8"],
        _ => filters.is_empty(),
    };
    if !ok {
        return Err(ZarrError::Filters(
            filters.into_iter().map(String::from).collect(),
        ));
    }
    Ok(())
}

/// Decodes one chunk's stored bytes: undoes the compressor (none or Blosc),
/// then the filter (VLenUTF8 for `|O`), then reads the values in the
/// dtype's byte order. The chunk holds a full chunk's worth of elements, as
/// zarr always stores them.
pub fn decode_chunk(meta: &ArrayMetadata, stored: &[u8]) -> Result<ArrayValues, ZarrError> {
    let dtype = meta.data_type()?;
    check_codecs(meta, dtype)?;
    let elements = meta.chunk_elements().ok_or(ZarrError::TooLarge(u64::MAX))?;
    let decompressed;
    let bytes = if meta.compressor.is_some() {
        decompressed = blosc::decompress(stored)?;
        &decompressed[..]
    } else {
        stored
    };
    let Some(size) = dtype.size() else {
        let items = decode_vlen_utf8(bytes)?;
        if items.len() as u64 != elements {
            return Err(ZarrError::VLenCount {
                expected: elements,
                actual: items.len(),
            });
        }
        return Ok(ArrayValues::Str(items));
    };
    let expected = elements.checked_mul(size as u64);
    if expected != Some(bytes.len() as u64) {
        return Err(ZarrError::ChunkLength {
            dtype: meta.dtype.clone(),
            elements,
            expected: expected.unwrap_or(u64::MAX),
            actual: bytes.len(),
        });
    }
    Ok(numbers(dtype, bytes))
}

/// Reads whole elements of `dtype` from `bytes` (a multiple of its size).
fn numbers(dtype: DataType, bytes: &[u8]) -> ArrayValues {
    macro_rules! read {
        ($variant:ident, $t:ty, $n:literal) => {
            ArrayValues::$variant(
                bytes
                    .chunks_exact($n)
                    .map(|b| {
                        let mut a = [0u8; $n];
                        a.copy_from_slice(b);
                        if dtype.big_endian {
                            <$t>::from_be_bytes(a)
                        } else {
                            <$t>::from_le_bytes(a)
                        }
                    })
                    .collect(),
            )
        };
    }
    match dtype.element {
        ElementType::U8 => ArrayValues::U8(bytes.to_vec()),
        ElementType::U16 => read!(U16, u16, 2),
        ElementType::I32 => read!(I32, i32, 4),
        ElementType::F32 => read!(F32, f32, 4),
        ElementType::F64 => read!(F64, f64, 8),
        ElementType::Object => ArrayValues::Str(Vec::new()),
    }
}

/// A chunk of `n` fill values, for chunks the store does not have.
fn fill_chunk(meta: &ArrayMetadata, dtype: DataType, n: usize) -> Result<ArrayValues, ZarrError> {
    let bad = || ZarrError::FillValue(meta.fill_value.to_string(), meta.dtype.clone());
    let fill = &meta.fill_value;
    // zarr 2 writes NaN and infinities as strings.
    let float = || match fill {
        Value::Null => Some(0.0),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        other => other.as_f64(),
    };
    let int = || match fill {
        Value::Null => Some(0),
        other => other.as_i64(),
    };
    Ok(match dtype.element {
        ElementType::U8 => ArrayValues::U8(vec![
            int()
                .and_then(|v| u8::try_from(v).ok())
                .ok_or_else(bad)?;
            n
        ]),
        ElementType::U16 => ArrayValues::U16(vec![
            int()
                .and_then(|v| u16::try_from(v).ok())
                .ok_or_else(bad)?;
            n
        ]),
        ElementType::I32 => ArrayValues::I32(vec![
            int()
                .and_then(|v| i32::try_from(v).ok())
                .ok_or_else(bad)?;
            n
        ]),
        ElementType::F32 => ArrayValues::F32(vec![float().ok_or_else(bad)? as f32; n]),
        ElementType::F64 => ArrayValues::F64(vec![float().ok_or_else(bad)?; n]),
        // An object array's fill value is rarely a string (the seed's is 0):
        // a missing chunk reads as empty strings then.
        ElementType::Object => {
            ArrayValues::Str(vec![fill.as_str().unwrap_or_default().to_string(); n])
        }
    })
}

/// Assembles a 1-D array from its stored chunks, `chunks[i]` being chunk
/// `i` (`None` for a chunk the store lacks, which reads as fill_value). The
/// last chunk is stored full length and cut to the shape.
pub fn decode_1d(meta: &ArrayMetadata, chunks: &[Option<&[u8]>]) -> Result<ArrayValues, ZarrError> {
    meta.validate()?;
    let (&[len], &[chunk_len]) = (&meta.shape[..], &meta.chunks[..]) else {
        return Err(ZarrError::NotOneDimensional(meta.shape.clone()));
    };
    if len > MAX_ARRAY_ELEMENTS {
        return Err(ZarrError::TooLarge(len));
    }
    let expected = len.div_ceil(chunk_len);
    if chunks.len() as u64 != expected {
        return Err(ZarrError::ChunkCount {
            shape: meta.shape.clone(),
            expected,
            actual: chunks.len(),
        });
    }
    let dtype = meta.data_type()?;
    check_codecs(meta, dtype)?;
    let mut values = ArrayValues::empty(dtype.element);
    for (i, chunk) in chunks.iter().enumerate() {
        // Only the last chunk can stick out of the shape.
        let wanted = (len - i as u64 * chunk_len).min(chunk_len) as usize;
        let mut part = match chunk {
            Some(stored) => decode_chunk(meta, stored).map_err(|e| ZarrError::InChunk {
                index: i as u64,
                source: Box::new(e),
            })?,
            None => fill_chunk(meta, dtype, wanted)?,
        };
        part.truncate(wanted);
        values.append(part);
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn meta(json: &str) -> ArrayMetadata {
        ArrayMetadata::from_json(json.as_bytes()).unwrap()
    }

    #[test]
    fn vlen_utf8_round_trips_the_season_chunk() {
        let seasons = ["winter", "spring", "summer", "fall"];
        let bytes = encode_vlen_utf8(&seasons);
        assert_eq!(&bytes[..10], b"\x04\0\0\0\x06\0\0\0wi");
        assert_eq!(decode_vlen_utf8(&bytes).unwrap(), seasons);
        assert_eq!(
            decode_vlen_utf8(&encode_vlen_utf8(&[])).unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn corrupt_vlen_utf8_is_an_error() {
        for bad in [
            &b""[..],
            b"\x01\0\0",
            b"\x01\0\0\0",
            b"\x01\0\0\0\x05\0\0\0abc",
            b"\x01\0\0\0\x01\0\0\0\xff",
            b"\0\0\0\0x",
            b"\xff\xff\xff\xff",
        ] {
            assert!(decode_vlen_utf8(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn metadata_parses_and_validates() {
        let m = meta(
            r#"{"chunks": [48300], "compressor": {"blocksize": 0, "clevel": 5, "cname": "lz4", "id": "blosc", "shuffle": 1},
            "dtype": "<f4", "fill_value": 0.0, "filters": null, "order": "C", "shape": [193200], "zarr_format": 2}"#,
        );
        assert_eq!(m.compressor_id(), Some("blosc"));
        assert_eq!(m.compressor.as_ref().unwrap().config["cname"], "lz4");
        assert!(m.fill_value_is_zero());
        assert_eq!(m.chunk_grid(), [4]);
        assert_eq!(
            m.data_type().unwrap(),
            DataType {
                element: ElementType::F32,
                big_endian: false
            }
        );
        let bad = |json: &str| ArrayMetadata::from_json(json.as_bytes()).unwrap_err();
        assert!(matches!(
            bad(
                r#"{"chunks": [1, 2], "compressor": null, "dtype": "|u1", "fill_value": 0, "filters": null, "order": "C", "shape": [4], "zarr_format": 2}"#
            ),
            ZarrError::Rank { .. }
        ));
        assert!(matches!(
            bad(
                r#"{"chunks": [0], "compressor": null, "dtype": "|u1", "fill_value": 0, "filters": null, "order": "C", "shape": [4], "zarr_format": 2}"#
            ),
            ZarrError::ZeroChunk(_)
        ));
        assert!(matches!(
            bad(
                r#"{"chunks": [1], "compressor": null, "dtype": "|u1", "fill_value": 0, "filters": null, "order": "C", "shape": [4], "zarr_format": 3}"#
            ),
            ZarrError::ZarrFormat(3)
        ));
        assert!(matches!(bad(r#"{"chunks": [1]}"#), ZarrError::Json(_)));
        assert!(DataType::parse("<c8").is_err());
        assert!(DataType::parse("").is_err());
        assert_eq!(
            DataType::parse(">u2").unwrap(),
            DataType {
                element: ElementType::U16,
                big_endian: true
            }
        );
    }

    #[test]
    fn chunks_decode_in_either_byte_order_and_partial_chunks_are_cut() {
        let m = meta(
            r#"{"chunks": [3], "compressor": null, "dtype": ">u2", "fill_value": 7, "filters": null, "order": "C", "shape": [7], "zarr_format": 2}"#,
        );
        let a = [0u8, 1, 0, 2, 0, 3];
        let b = [1u8, 0, 0, 0, 9, 9];
        let values = decode_1d(&m, &[Some(&a), Some(&b), None]).unwrap();
        assert_eq!(values, ArrayValues::U16(vec![1, 2, 3, 256, 0, 2313, 7]));
        assert!(matches!(
            decode_1d(&m, &[Some(&a)]),
            Err(ZarrError::ChunkCount { .. })
        ));
        let Err(ZarrError::InChunk { index: 0, source }) =
            decode_1d(&m, &[Some(&a[..4]), None, None])
        else {
            panic!("a short chunk 0 is an error");
        };
        assert!(matches!(*source, ZarrError::ChunkLength { .. }));
        let blosc = meta(
            r#"{"chunks": [100], "compressor": {"id": "blosc"}, "dtype": "<f8", "fill_value": "NaN", "filters": null, "order": "C", "shape": [150], "zarr_format": 2}"#,
        );
        let data: Vec<u8> = (0..100)
            .flat_map(|i| (i as f64 / 2.0).to_le_bytes())
            .collect();
        let frame = crate::blosc::compress(&data, 8);
        let ArrayValues::F64(v) = decode_1d(&blosc, &[Some(&frame), None]).unwrap() else {
            panic!()
        };
        assert_eq!(v.len(), 150);
        assert_eq!(v[99], 49.5);
        assert!(v[100].is_nan());
    }

    #[test]
    fn unsupported_codecs_are_named() {
        let m = meta(
            r#"{"chunks": [3], "compressor": {"id": "zlib"}, "dtype": "|u1", "fill_value": 0, "filters": null, "order": "C", "shape": [3], "zarr_format": 2}"#,
        );
        assert_eq!(
            decode_chunk(&m, b"abc"),
            Err(ZarrError::Compressor("zlib".into()))
        );
        let m = meta(
            r#"{"chunks": [3], "compressor": null, "dtype": "|O", "fill_value": 0, "filters": null, "order": "C", "shape": [3], "zarr_format": 2}"#,
        );
        assert!(matches!(
            decode_chunk(&m, b"abc"),
            Err(ZarrError::Filters(_))
        ));
    }

    proptest! {
        #[test]
        fn decode_chunk_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200), which in 0usize..4) {
            let json = [
                r#"{"chunks": [4], "compressor": null, "dtype": "|O", "fill_value": 0, "filters": [{"id": "vlen-utf8"}], "order": "C", "shape": [4], "zarr_format": 2}"#,
                r#"{"chunks": [5], "compressor": {"id": "blosc"}, "dtype": "<i4", "fill_value": 0, "filters": null, "order": "C", "shape": [9], "zarr_format": 2}"#,
                r#"{"chunks": [6], "compressor": null, "dtype": ">f4", "fill_value": 0, "filters": null, "order": "C", "shape": [6], "zarr_format": 2}"#,
                r#"{"chunks": [1000000000000], "compressor": null, "dtype": "<f8", "fill_value": 0, "filters": null, "order": "C", "shape": [1000000000000], "zarr_format": 2}"#,
            ][which];
            let m = meta(json);
            let _ = decode_chunk(&m, &bytes);
            let _ = decode_1d(&m, &[Some(&bytes), None]);
        }
    }
}
