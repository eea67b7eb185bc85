//! Record files (`<array>/refs.<n>.parq`) read by hand: only the parquet
//! that reference record files use. A flat schema of INT64 (or INT32) and
//! BYTE_ARRAY columns, required or optional; PLAIN and dictionary
//! encodings; data pages v1 and v2; uncompressed, Snappy, gzip, zstd (what
//! fsspec and kerchunk write, through fastparquet or pyarrow) or LZ4_RAW.
//!
//! Why not the parquet crate, which the CLI writes them with: in the web
//! app it adds 448 KB (51 %) to the wasm; this reader adds a fraction of
//! that and reads a record file in well under a millisecond.

use std::io::Read;

use super::Row;

/// Why a record file cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecordFileError {
    #[error("not a parquet file (no PAR1 at its start and end)")]
    NotParquet,
    #[error("damaged parquet {0}")]
    Damaged(String),
    #[error("no {0:?} column")]
    MissingColumn(&'static str),
    #[error("column {column:?}: {what}, which Tessera does not read")]
    Unsupported { column: String, what: String },
    #[error("column {column:?}, row {row}: {problem}")]
    BadValue {
        column: &'static str,
        row: usize,
        problem: String,
    },
}

fn damaged(what: impl Into<String>) -> RecordFileError {
    RecordFileError::Damaged(what.into())
}

/// Largest page we decompress: record files hold thousands of short rows
/// (a page of the longest record file, 2^20 paths of 100 bytes, is under
/// this).
const MAX_PAGE_BYTES: usize = 128 << 20;
/// Most rows one record file may have, and values one page or column
/// chunk may: kerchunk and `tessera refs` write 10,000 to 100,000 per
/// file. Counts in a file's footer and page headers are checked against
/// it before anything is allocated for them: a footer can claim any
/// number, and a run of one value can stand for millions in a few bytes.
pub const MAX_RECORD_ROWS: usize = 1 << 20;
/// Deepest nesting of thrift structs we follow.
const MAX_DEPTH: u32 = 32;

/// Reads one record file (ours or kerchunk's): its rows in order.
/// Columns may come in any order; `raw` may be absent.
pub fn read_record_file(bytes: &[u8]) -> Result<Vec<Row>, RecordFileError> {
    let file = FileMetaData::read(bytes)?;
    let leaf = |name: &'static str| file.columns.iter().position(|c| c.name == name);
    let path = leaf("path").ok_or(RecordFileError::MissingColumn("path"))?;
    let offset = leaf("offset").ok_or(RecordFileError::MissingColumn("offset"))?;
    let size = leaf("size").ok_or(RecordFileError::MissingColumn("size"))?;
    let raw = leaf("raw");

    let mut rows: Vec<Row> = Vec::new();
    for group in &file.row_groups {
        let start = rows.len();
        let n = group.num_rows;
        if start + n > MAX_RECORD_ROWS {
            return Err(damaged(format!(
                "{} rows, more than the {MAX_RECORD_ROWS} a record file may have",
                start + n
            )));
        }
        rows.resize(start + n, Row::default());
        let here = &mut rows[start..];
        let read = |index: usize| -> Result<Values, RecordFileError> {
            let schema = &file.columns[index];
            let chunk = group.columns.get(index).ok_or_else(|| {
                damaged(format!("row group: no chunk for column {:?}", schema.name))
            })?;
            let values = read_column_chunk(bytes, schema, chunk)?;
            if values.len() != n {
                return Err(schema.damaged(format!(
                    "{} values in a row group of {n} rows",
                    values.len()
                )));
            }
            Ok(values)
        };
        let ints = |index: usize, name: &'static str| -> Result<Vec<u64>, RecordFileError> {
            match read(index)? {
                Values::Int(v) => v
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| {
                        u64::try_from(v.unwrap_or(0)).map_err(|_| RecordFileError::BadValue {
                            column: name,
                            row: start + i,
                            problem: "negative".into(),
                        })
                    })
                    .collect(),
                Values::Bytes(_) => Err(file.columns[index].unsupported("binary values")),
            }
        };
        let bytes_of = |index: usize| -> Result<Vec<Option<Vec<u8>>>, RecordFileError> {
            match read(index)? {
                Values::Bytes(v) => Ok(v),
                Values::Int(_) => Err(file.columns[index].unsupported("integer values")),
            }
        };
        for (i, (row, value)) in here.iter_mut().zip(bytes_of(path)?).enumerate() {
            row.path = value.map(String::from_utf8).transpose().map_err(|_| {
                RecordFileError::BadValue {
                    column: "path",
                    row: start + i,
                    problem: "not UTF-8".into(),
                }
            })?;
        }
        for (row, value) in here.iter_mut().zip(ints(offset, "offset")?) {
            row.offset = value;
        }
        for (row, value) in here.iter_mut().zip(ints(size, "size")?) {
            row.size = value;
        }
        if let Some(raw) = raw {
            for (row, value) in here.iter_mut().zip(bytes_of(raw)?) {
                row.raw = value;
            }
        }
    }
    Ok(rows)
}

// ---------------------------------------------------------------------------
// The footer (thrift compact protocol)

/// parquet's physical types that record files use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PhysicalType {
    Int32,
    Int64,
    ByteArray,
}

#[derive(Debug, Clone)]
struct ColumnSchema {
    name: String,
    physical: PhysicalType,
    optional: bool,
}

impl ColumnSchema {
    fn damaged(&self, problem: impl std::fmt::Display) -> RecordFileError {
        damaged(format!("column {:?}: {problem}", self.name))
    }

    fn unsupported(&self, what: impl Into<String>) -> RecordFileError {
        RecordFileError::Unsupported {
            column: self.name.clone(),
            what: what.into(),
        }
    }
}

#[derive(Debug, Default)]
struct ColumnChunk {
    codec: i64,
    num_values: u64,
    data_page_offset: u64,
    dictionary_page_offset: Option<u64>,
    total_compressed_size: u64,
}

#[derive(Debug, Default)]
struct RowGroup {
    columns: Vec<ColumnChunk>,
    num_rows: usize,
}

#[derive(Debug)]
struct FileMetaData {
    columns: Vec<ColumnSchema>,
    row_groups: Vec<RowGroup>,
}

impl FileMetaData {
    fn read(bytes: &[u8]) -> Result<FileMetaData, RecordFileError> {
        let n = bytes.len();
        if n < 12 || &bytes[..4] != b"PAR1" || &bytes[n - 4..] != b"PAR1" {
            return Err(RecordFileError::NotParquet);
        }
        let len = u32::from_le_bytes([bytes[n - 8], bytes[n - 7], bytes[n - 6], bytes[n - 5]]);
        let footer = (n - 8)
            .checked_sub(len as usize)
            .filter(|&start| start >= 4)
            .map(|start| &bytes[start..n - 8])
            .ok_or_else(|| damaged(format!("footer: length {len} in a file of {n} bytes")))?;
        let mut c = Compact::new(footer);
        let mut schema = Vec::new();
        let mut row_groups = Vec::new();
        c.read_struct(|c, id, t| match (id, t) {
            (2, LIST) => c.read_list(|c, t| {
                expect(t, STRUCT)?;
                schema.push(SchemaElement::read(c)?);
                Ok(())
            }),
            (4, LIST) => c.read_list(|c, t| {
                expect(t, STRUCT)?;
                row_groups.push(read_row_group(c)?);
                Ok(())
            }),
            _ => c.skip(t),
        })
        .map_err(|e| damaged(format!("footer: {e}")))?;

        let (root, leaves) = schema
            .split_first()
            .ok_or_else(|| damaged("footer: no schema"))?;
        let mut columns = Vec::new();
        for element in leaves {
            let name = element.name.clone();
            let column = |what: &str| RecordFileError::Unsupported {
                column: name.clone(),
                what: what.into(),
            };
            if element.num_children > 0 {
                return Err(column("a nested column"));
            }
            let physical = match element.physical {
                Some(1) => PhysicalType::Int32,
                Some(2) => PhysicalType::Int64,
                Some(6) => PhysicalType::ByteArray,
                other => return Err(column(&format!("physical type {other:?}"))),
            };
            let optional = match element.repetition {
                Some(0) => false,
                Some(1) => true,
                _ => return Err(column("a repeated column")),
            };
            columns.push(ColumnSchema {
                name,
                physical,
                optional,
            });
        }
        if root.num_children as usize != columns.len() {
            return Err(damaged(format!(
                "schema: the root has {} children and {} columns follow",
                root.num_children,
                columns.len()
            )));
        }
        Ok(FileMetaData {
            columns,
            row_groups,
        })
    }
}

#[derive(Debug, Default)]
struct SchemaElement {
    physical: Option<i64>,
    repetition: Option<i64>,
    name: String,
    num_children: i64,
}

impl SchemaElement {
    fn read(c: &mut Compact) -> Result<SchemaElement, String> {
        let mut e = SchemaElement::default();
        c.read_struct(|c, id, t| {
            match (id, t) {
                (1, I32) => e.physical = Some(c.int()?),
                (3, I32) => e.repetition = Some(c.int()?),
                (4, BINARY) => e.name = String::from_utf8_lossy(c.binary()?).into_owned(),
                (5, I32) => e.num_children = c.int()?,
                _ => c.skip(t)?,
            }
            Ok(())
        })?;
        Ok(e)
    }
}

fn read_row_group(c: &mut Compact) -> Result<RowGroup, String> {
    let mut group = RowGroup::default();
    c.read_struct(|c, id, t| {
        match (id, t) {
            (1, LIST) => c.read_list(|c, t| {
                expect(t, STRUCT)?;
                let mut chunk = ColumnChunk::default();
                c.read_struct(|c, id, t| match (id, t) {
                    (3, STRUCT) => read_column_metadata(c, &mut chunk),
                    _ => c.skip(t),
                })?;
                group.columns.push(chunk);
                Ok(())
            })?,
            (3, I64) => group.num_rows = usize::try_from(c.int()?).map_err(|_| "num_rows < 0")?,
            _ => c.skip(t)?,
        }
        Ok(())
    })?;
    Ok(group)
}

fn read_column_metadata(c: &mut Compact, chunk: &mut ColumnChunk) -> Result<(), String> {
    let unsigned = |v: i64, what: &str| u64::try_from(v).map_err(|_| format!("{what} < 0"));
    c.read_struct(|c, id, t| {
        match (id, t) {
            (4, I32) => chunk.codec = c.int()?,
            (5, I64) => {
                chunk.num_values = unsigned(c.int()?, "num_values")?;
                if chunk.num_values > MAX_RECORD_ROWS as u64 {
                    return Err(format!(
                        "a column chunk of {} values, more than {MAX_RECORD_ROWS}",
                        chunk.num_values
                    ));
                }
            }
            (7, I64) => chunk.total_compressed_size = unsigned(c.int()?, "size")?,
            (9, I64) => chunk.data_page_offset = unsigned(c.int()?, "data_page_offset")?,
            (11, I64) => {
                chunk.dictionary_page_offset = Some(unsigned(c.int()?, "dictionary_page_offset")?)
            }
            _ => c.skip(t)?,
        }
        Ok(())
    })
}

// Compact protocol types.
const BOOL_TRUE: u8 = 1;
const BOOL_FALSE: u8 = 2;
const BYTE: u8 = 3;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const DOUBLE: u8 = 7;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const SET: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;

fn expect(t: u8, wanted: u8) -> Result<(), String> {
    if t == wanted {
        Ok(())
    } else {
        Err(format!("element type {t} where {wanted} belongs"))
    }
}

/// A thrift compact-protocol reader over a byte slice.
struct Compact<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: u32,
}

impl<'a> Compact<'a> {
    fn new(bytes: &'a [u8]) -> Compact<'a> {
        Compact {
            bytes,
            pos: 0,
            depth: 0,
        }
    }

    fn byte(&mut self) -> Result<u8, String> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| format!("ends early (at byte {})", self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| format!("ends early (at byte {}, {n} more wanted)", self.pos))?;
        let taken = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(taken)
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift.min(63);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("varint longer than 10 bytes".into())
    }

    /// An i16, i32 or i64 (zigzag varint).
    fn int(&mut self) -> Result<i64, String> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn binary(&mut self) -> Result<&'a [u8], String> {
        let len = usize::try_from(self.varint()?).map_err(|_| "binary too long")?;
        self.take(len)
    }

    /// Calls `field(self, id, type)` for each field of a struct; `field`
    /// reads the value (or skips it).
    fn read_struct(
        &mut self,
        mut field: impl FnMut(&mut Self, i16, u8) -> Result<(), String>,
    ) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("structs nested too deep".into());
        }
        let mut last = 0i16;
        loop {
            let header = self.byte()?;
            if header == 0 {
                break;
            }
            let t = header & 0x0f;
            let id = match header >> 4 {
                0 => i16::try_from(self.int()?).map_err(|_| "field id out of range")?,
                delta => last.wrapping_add(i16::from(delta)),
            };
            last = id;
            field(self, id, t)?;
        }
        self.depth -= 1;
        Ok(())
    }

    /// Calls `element(self, type)` for each element of a list or set.
    fn read_list(
        &mut self,
        mut element: impl FnMut(&mut Self, u8) -> Result<(), String>,
    ) -> Result<(), String> {
        let header = self.byte()?;
        let t = header & 0x0f;
        let size = match header >> 4 {
            15 => usize::try_from(self.varint()?).map_err(|_| "list too long")?,
            n => usize::from(n),
        };
        // Every element takes at least a byte.
        if size > self.bytes.len() - self.pos {
            return Err(format!("a list of {size} elements in fewer bytes"));
        }
        for _ in 0..size {
            element(self, t)?;
        }
        Ok(())
    }

    /// Skips a value of type `t` (a field's: booleans are in the header).
    fn skip(&mut self, t: u8) -> Result<(), String> {
        match t {
            BOOL_TRUE | BOOL_FALSE => Ok(()),
            _ => self.skip_element(t),
        }
    }

    /// Skips a value of type `t` inside a list, set or map.
    fn skip_element(&mut self, t: u8) -> Result<(), String> {
        match t {
            BOOL_TRUE | BOOL_FALSE | BYTE => self.byte().map(drop),
            I16 | I32 | I64 => self.varint().map(drop),
            DOUBLE => self.take(8).map(drop),
            BINARY => self.binary().map(drop),
            LIST | SET => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err("lists nested too deep".into());
                }
                self.read_list(|c, t| c.skip_element(t))?;
                self.depth -= 1;
                Ok(())
            }
            MAP => {
                let size = usize::try_from(self.varint()?).map_err(|_| "map too long")?;
                if size == 0 {
                    return Ok(());
                }
                if size > self.bytes.len() - self.pos {
                    return Err(format!("a map of {size} entries in fewer bytes"));
                }
                let types = self.byte()?;
                for _ in 0..size {
                    self.skip_element(types >> 4)?;
                    self.skip_element(types & 0x0f)?;
                }
                Ok(())
            }
            STRUCT => self.read_struct(|c, _, t| c.skip(t)),
            other => Err(format!("unknown thrift type {other}")),
        }
    }
}

// ---------------------------------------------------------------------------
// Pages

/// A column's values, one per row (`None` where a row has none).
#[derive(Debug)]
enum Values {
    Int(Vec<Option<i64>>),
    Bytes(Vec<Option<Vec<u8>>>),
}

impl Values {
    fn len(&self) -> usize {
        match self {
            Values::Int(v) => v.len(),
            Values::Bytes(v) => v.len(),
        }
    }
}

/// Values as stored: dictionary entries or page values.
#[derive(Debug, Clone)]
enum Plain {
    Int(Vec<i64>),
    Bytes(Vec<Vec<u8>>),
}

#[derive(Debug, Default)]
struct PageHeader {
    kind: i64,
    uncompressed_size: usize,
    compressed_size: usize,
    num_values: usize,
    encoding: i64,
    def_level_encoding: i64,
    /// Data page v2: level bytes (uncompressed) and whether values are.
    def_levels_len: usize,
    rep_levels_len: usize,
    compressed: bool,
}

const DATA_PAGE: i64 = 0;
const DICTIONARY_PAGE: i64 = 2;
const DATA_PAGE_V2: i64 = 3;

impl PageHeader {
    fn read(c: &mut Compact) -> Result<PageHeader, String> {
        let mut h = PageHeader {
            compressed: true,
            ..PageHeader::default()
        };
        let size = |v: i64| usize::try_from(v).map_err(|_| "negative size".to_string());
        let count = |v: i64| match usize::try_from(v) {
            Ok(n) if n <= MAX_RECORD_ROWS => Ok(n),
            Ok(n) => Err(format!("a page of {n} values, more than {MAX_RECORD_ROWS}")),
            Err(_) => Err("a negative number of values".to_string()),
        };
        c.read_struct(|c, id, t| {
            match (id, t) {
                (1, I32) => h.kind = c.int()?,
                (2, I32) => h.uncompressed_size = size(c.int()?)?,
                (3, I32) => h.compressed_size = size(c.int()?)?,
                (5, STRUCT) | (7, STRUCT) => c.read_struct(|c, id, t| {
                    match (id, t) {
                        (1, I32) => h.num_values = count(c.int()?)?,
                        (2, I32) => h.encoding = c.int()?,
                        (3, I32) => h.def_level_encoding = c.int()?,
                        _ => c.skip(t)?,
                    }
                    Ok(())
                })?,
                (8, STRUCT) => c.read_struct(|c, id, t| {
                    match (id, t) {
                        (1, I32) => h.num_values = count(c.int()?)?,
                        (4, I32) => h.encoding = c.int()?,
                        (5, I32) => h.def_levels_len = size(c.int()?)?,
                        (6, I32) => h.rep_levels_len = size(c.int()?)?,
                        (7, BOOL_TRUE) => h.compressed = true,
                        (7, BOOL_FALSE) => h.compressed = false,
                        _ => c.skip(t)?,
                    }
                    Ok(())
                })?,
                _ => c.skip(t)?,
            }
            Ok(())
        })?;
        Ok(h)
    }
}

fn read_column_chunk(
    file: &[u8],
    schema: &ColumnSchema,
    chunk: &ColumnChunk,
) -> Result<Values, RecordFileError> {
    // Some writers put 0 for "no dictionary page".
    let start = match chunk.dictionary_page_offset {
        Some(d) if d > 0 && d < chunk.data_page_offset => d,
        _ => chunk.data_page_offset,
    };
    let bytes = usize::try_from(start)
        .ok()
        .zip(usize::try_from(chunk.total_compressed_size).ok())
        .and_then(|(s, n)| file.get(s..s.checked_add(n)?))
        .ok_or_else(|| schema.damaged(format!("pages outside the file (at {start})")))?;
    let mut c = Compact::new(bytes);
    let mut dictionary: Option<Plain> = None;
    let mut values = match schema.physical {
        PhysicalType::ByteArray => Values::Bytes(Vec::new()),
        _ => Values::Int(Vec::new()),
    };
    while values.len() < chunk.num_values as usize && c.pos < bytes.len() {
        let header =
            PageHeader::read(&mut c).map_err(|e| schema.damaged(format!("page header: {e}")))?;
        let body = c
            .take(header.compressed_size)
            .map_err(|e| schema.damaged(format!("page: {e}")))?;
        match header.kind {
            DICTIONARY_PAGE => {
                let data = decompress(chunk.codec, body, header.uncompressed_size, schema)?;
                if !matches!(header.encoding, 0 | 2) {
                    return Err(
                        schema.unsupported(format!("dictionary encoding {}", header.encoding))
                    );
                }
                let (plain, _) = read_plain(&data, schema.physical, header.num_values)
                    .map_err(|e| schema.damaged(format!("dictionary: {e}")))?;
                dictionary = Some(plain);
            }
            DATA_PAGE => {
                let data = decompress(chunk.codec, body, header.uncompressed_size, schema)?;
                let (levels, rest) = if schema.optional {
                    if header.def_level_encoding != 3 {
                        return Err(schema.unsupported(format!(
                            "definition levels in encoding {}",
                            header.def_level_encoding
                        )));
                    }
                    let len = data
                        .get(..4)
                        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
                        .ok_or_else(|| schema.damaged("data page too short"))?;
                    let levels = data
                        .get(4..4 + len)
                        .ok_or_else(|| schema.damaged("definition levels past the page"))?;
                    (Some(levels), &data[4 + len..])
                } else {
                    (None, &data[..])
                };
                decode_page(
                    levels,
                    rest,
                    &header,
                    dictionary.as_ref(),
                    schema,
                    &mut values,
                )?;
            }
            DATA_PAGE_V2 => {
                let levels_len = header.rep_levels_len + header.def_levels_len;
                if header.rep_levels_len > 0 {
                    return Err(schema.unsupported("repetition levels"));
                }
                let levels = body
                    .get(..levels_len)
                    .ok_or_else(|| schema.damaged("levels past the page"))?;
                let rest = &body[levels_len..];
                let data = if header.compressed {
                    let size = header.uncompressed_size.saturating_sub(levels_len);
                    decompress(chunk.codec, rest, size, schema)?
                } else {
                    rest.to_vec()
                };
                let levels = schema.optional.then_some(levels);
                decode_page(
                    levels,
                    &data,
                    &header,
                    dictionary.as_ref(),
                    schema,
                    &mut values,
                )?;
            }
            _ => {} // index pages: nothing for us
        }
    }
    if values.len() != chunk.num_values as usize {
        return Err(schema.damaged(format!(
            "{} values in its pages, {} in the footer",
            values.len(),
            chunk.num_values
        )));
    }
    Ok(values)
}

/// Appends one data page's values (given its definition levels, if the
/// column is optional) to `out`.
fn decode_page(
    levels: Option<&[u8]>,
    data: &[u8],
    header: &PageHeader,
    dictionary: Option<&Plain>,
    schema: &ColumnSchema,
    out: &mut Values,
) -> Result<(), RecordFileError> {
    let n = header.num_values;
    let defined: Vec<bool> = match levels {
        Some(levels) => {
            let mut decoded = Vec::with_capacity(n);
            rle_hybrid(levels, 1, n, &mut decoded)
                .map_err(|e| schema.damaged(format!("definition levels: {e}")))?;
            decoded.into_iter().map(|l| l > 0).collect()
        }
        None => vec![true; n],
    };
    let present = defined.iter().filter(|d| **d).count();
    let plain = match header.encoding {
        0 => {
            read_plain(data, schema.physical, present)
                .map_err(|e| schema.damaged(format!("values: {e}")))?
                .0
        }
        2 | 8 => {
            let dictionary = dictionary
                .ok_or_else(|| schema.damaged("dictionary values without a dictionary"))?;
            let (&width, indices) = data
                .split_first()
                .ok_or_else(|| schema.damaged("empty dictionary-encoded page"))?;
            let mut positions = Vec::with_capacity(present);
            rle_hybrid(indices, width, present, &mut positions)
                .map_err(|e| schema.damaged(format!("dictionary indices: {e}")))?;
            let bad = || schema.damaged("dictionary index out of range");
            match dictionary {
                Plain::Int(d) => Plain::Int(
                    positions
                        .iter()
                        .map(|&p| d.get(p as usize).copied().ok_or_else(bad))
                        .collect::<Result<_, _>>()?,
                ),
                Plain::Bytes(d) => Plain::Bytes(
                    positions
                        .iter()
                        .map(|&p| d.get(p as usize).cloned().ok_or_else(bad))
                        .collect::<Result<_, _>>()?,
                ),
            }
        }
        other => return Err(schema.unsupported(format!("value encoding {other}"))),
    };
    match (out, plain) {
        (Values::Int(out), Plain::Int(values)) => {
            let mut values = values.into_iter();
            out.extend(
                defined
                    .iter()
                    .map(|&d| if d { values.next() } else { None }),
            );
        }
        (Values::Bytes(out), Plain::Bytes(values)) => {
            let mut values = values.into_iter();
            out.extend(
                defined
                    .iter()
                    .map(|&d| if d { values.next() } else { None }),
            );
        }
        _ => return Err(schema.damaged("values of the wrong type")),
    }
    Ok(())
}

/// `count` PLAIN values, and the bytes they took.
fn read_plain(data: &[u8], physical: PhysicalType, count: usize) -> Result<(Plain, usize), String> {
    let short = || format!("{count} values do not fit in {} bytes", data.len());
    match physical {
        PhysicalType::Int64 | PhysicalType::Int32 => {
            let width = if physical == PhysicalType::Int64 {
                8
            } else {
                4
            };
            let bytes = data
                .get(..count.checked_mul(width).ok_or_else(short)?)
                .ok_or_else(short)?;
            let values = bytes
                .chunks_exact(width)
                .map(|b| match *b {
                    [a, b, c, d] => i64::from(i32::from_le_bytes([a, b, c, d])),
                    [a, b, c, d, e, f, g, h] => i64::from_le_bytes([a, b, c, d, e, f, g, h]),
                    _ => 0,
                })
                .collect();
            Ok((Plain::Int(values), bytes.len()))
        }
        PhysicalType::ByteArray => {
            let mut values = Vec::with_capacity(count.min(data.len() / 4));
            let mut pos = 0usize;
            for _ in 0..count {
                let len = data
                    .get(pos..pos + 4)
                    .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
                    .ok_or_else(short)?;
                let value = data.get(pos + 4..pos + 4 + len).ok_or_else(short)?;
                values.push(value.to_vec());
                pos += 4 + len;
            }
            Ok((Plain::Bytes(values), pos))
        }
    }
}

/// parquet's RLE / bit-packed hybrid: `count` values of `width` bits.
fn rle_hybrid(data: &[u8], width: u8, count: usize, out: &mut Vec<u32>) -> Result<(), String> {
    if width > 32 {
        return Err(format!("bit width {width}"));
    }
    let mut c = Compact::new(data);
    let target = out.len() + count;
    let value_bytes = usize::from(width).div_ceil(8);
    while out.len() < target {
        let header = c.varint()?;
        let run = usize::try_from(header >> 1).map_err(|_| "run too long")?;
        if header & 1 == 0 {
            let bytes = c.take(value_bytes)?;
            let value = bytes
                .iter()
                .rev()
                .fold(0u32, |v, &b| (v << 8) | u32::from(b));
            let n = run.min(target - out.len());
            out.extend(std::iter::repeat_n(value, n));
        } else {
            let groups = run;
            let bytes = c.take(
                groups
                    .checked_mul(usize::from(width))
                    .ok_or("run too long")?,
            )?;
            let mask = if width == 32 {
                u32::MAX
            } else {
                (1u32 << width) - 1
            };
            let (mut buffer, mut bits, mut next) = (0u64, 0u32, 0usize);
            // Only the values still wanted are unpacked: a group count is
            // the file's word, and at width 0 it costs no bytes at all.
            let wanted = groups.saturating_mul(8).min(target - out.len());
            for _ in 0..wanted {
                while bits < u32::from(width) {
                    buffer |= u64::from(bytes[next]) << bits;
                    next += 1;
                    bits += 8;
                }
                let value = (buffer as u32) & mask;
                buffer >>= width;
                bits -= u32::from(width);
                out.push(value);
            }
        }
        if run == 0 && c.pos >= data.len() {
            return Err(format!("{} values where {count} belong", out.len()));
        }
    }
    Ok(())
}

fn decompress(
    codec: i64,
    body: &[u8],
    size: usize,
    schema: &ColumnSchema,
) -> Result<Vec<u8>, RecordFileError> {
    if size > MAX_PAGE_BYTES {
        return Err(schema.damaged(format!("a page of {size} bytes")));
    }
    let failed = |codec: &str, e: String| {
        schema.damaged(format!("{codec} data that does not decompress: {e}"))
    };
    let data = match codec {
        0 => body.to_vec(),
        1 => {
            // The length Snappy's own header claims, checked before its
            // buffer is allocated.
            let claimed =
                snap::raw::decompress_len(body).map_err(|e| failed("Snappy", e.to_string()))?;
            if claimed != size {
                return Err(schema.damaged(format!(
                    "a Snappy page of {claimed} bytes where the header says {size}"
                )));
            }
            snap::raw::Decoder::new()
                .decompress_vec(body)
                .map_err(|e| failed("Snappy", e.to_string()))?
        }
        2 => {
            // Grown as the data comes, not reserved from the header.
            let mut out = Vec::with_capacity(size.min(body.len().saturating_mul(4)));
            flate2::read::MultiGzDecoder::new(body)
                .take(MAX_PAGE_BYTES as u64)
                .read_to_end(&mut out)
                .map_err(|e| failed("gzip", e.to_string()))?;
            out
        }
        6 => {
            // Grown as the data comes, not reserved from the header.
            let mut out = Vec::with_capacity(size.min(body.len().saturating_mul(4)));
            let mut source = body;
            ruzstd::decoding::StreamingDecoder::new(&mut source)
                .map_err(|e| failed("zstd", e.to_string()))?
                .take(MAX_PAGE_BYTES as u64)
                .read_to_end(&mut out)
                .map_err(|e| failed("zstd", e.to_string()))?;
            out
        }
        7 => {
            // An LZ4 block expands at most 255 times (plus its last literals).
            if size > body.len().saturating_mul(255).saturating_add(16) {
                return Err(schema.damaged(format!(
                    "an LZ4 page of {} bytes cannot hold {size}",
                    body.len()
                )));
            }
            lz4_flex::block::decompress(body, size).map_err(|e| failed("LZ4", e.to_string()))?
        }
        other => {
            let name = match other {
                3 => "LZO",
                4 => "Brotli",
                5 => "Hadoop LZ4",
                _ => "an unknown codec",
            };
            return Err(schema.unsupported(format!("pages compressed with {name}")));
        }
    };
    if data.len() != size {
        return Err(schema.damaged(format!(
            "a page of {} bytes where the header says {size}",
            data.len()
        )));
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rle_hybrid_reads_runs_and_bit_packed_groups() {
        // A run of five 1s, then one group of 8 three-bit values 0..8.
        let mut data = vec![5 << 1, 1];
        data.push(1 << 1 | 1);
        // 0..8 in 3 bits each, LSB first: 0b10001000, 0b11000110, 0b11111010
        data.extend([0b1000_1000, 0b1100_0110, 0b1111_1010]);
        let mut out = Vec::new();
        rle_hybrid(&data[..2], 1, 5, &mut out).unwrap();
        assert_eq!(out, [1; 5]);
        let mut out = Vec::new();
        rle_hybrid(&data[2..], 3, 8, &mut out).unwrap();
        assert_eq!(out, [0, 1, 2, 3, 4, 5, 6, 7]);
        // Fewer values than asked for is an error, not a hang.
        assert!(rle_hybrid(&data[..2], 1, 6, &mut Vec::new()).is_err());
        assert!(rle_hybrid(&[0, 0, 0], 1, 6, &mut Vec::new()).is_err());
    }

    #[test]
    fn damaged_files_are_errors() {
        assert_eq!(read_record_file(b"PAR1"), Err(RecordFileError::NotParquet));
        assert_eq!(
            read_record_file(b"PAR1 not parquet"),
            Err(RecordFileError::NotParquet)
        );
        let mut bad_length = b"PAR1xxxx".to_vec();
        bad_length.extend(1000u32.to_le_bytes());
        bad_length.extend(b"PAR1");
        assert!(matches!(
            read_record_file(&bad_length),
            Err(RecordFileError::Damaged(_))
        ));
        // Deep nesting of structs in the footer.
        let mut deep = b"PAR1".to_vec();
        let footer = vec![0x1c; 100];
        deep.extend(&footer);
        deep.extend((footer.len() as u32).to_le_bytes());
        deep.extend(b"PAR1");
        assert!(matches!(
            read_record_file(&deep),
            Err(RecordFileError::Damaged(_))
        ));
    }
}
