//! Writing the parquet layout with the parquet crate (feature `parquet`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::{Compression, Encoding};
use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use serde_json::{Map, Value};

use super::Row;
use crate::reader::{ChunkRef, References};
use crate::Variable;

const SCHEMA: &str = "message schema {
    OPTIONAL BYTE_ARRAY path (UTF8);
    REQUIRED INT64 offset;
    REQUIRED INT64 size;
    OPTIONAL BYTE_ARRAY raw;
}";

/// One file of the store: its path relative to the store's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParquetFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Why references cannot be written as parquet.
#[derive(Debug, thiserror::Error)]
pub enum ParquetRefsError {
    #[error("the record size must be at least 1")]
    RecordSize,
    #[error("{key}: zarr metadata that is not JSON: {message}")]
    Metadata { key: String, message: String },
    #[error("{0}: neither zarr metadata nor a chunk of an array with a .zarray; the parquet layout cannot hold it")]
    Orphan(String),
    #[error("{key}: chunk indices outside the chunk grid {grid:?}")]
    OutsideGrid { key: String, grid: Vec<u64> },
    #[error("a record file has no {0:?} column")]
    MissingColumn(&'static str),
    #[error("column {0:?} is not of the type kerchunk writes")]
    ColumnType(&'static str),
    #[error("{file}: {source}")]
    Parquet {
        file: String,
        source: parquet::errors::ParquetError,
    },
    #[error("{0}: exists and is not parquet references (no .zmetadata); not replacing it")]
    NotAStore(PathBuf),
    #[error("writing {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Writes a store's files into `folder`, replacing a previous store there
/// only once the new one is complete (through a sibling temporary folder
/// and a rename). A folder that is not a store, and not empty, is left
/// alone. Returns the bytes written.
pub fn write_store(files: &[ParquetFile], folder: &Path) -> Result<u64, ParquetRefsError> {
    if folder.exists() && !folder.join(".zmetadata").exists() {
        let empty = std::fs::read_dir(folder)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !empty {
            return Err(ParquetRefsError::NotAStore(folder.to_path_buf()));
        }
    }
    let io = |source| ParquetRefsError::Io {
        path: folder.to_path_buf(),
        source,
    };
    let name = folder.file_name().ok_or_else(|| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a folder name",
        ))
    })?;
    let parent = folder
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = parent.join(format!(
        ".{}.tmp{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> std::io::Result<u64> {
        let mut bytes = 0;
        for file in files {
            let path = tmp.join(&file.path);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&path, &file.bytes)?;
            bytes += file.bytes.len() as u64;
        }
        if folder.exists() {
            std::fs::remove_dir_all(folder)?;
        }
        std::fs::rename(&tmp, folder)?;
        Ok(bytes)
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result.map_err(io)
}

/// What was written, per array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArraySummary {
    pub name: String,
    pub chunks: usize,
    pub record_files: usize,
}

/// The store for `refs`: `.zmetadata` first, then each array's record
/// files, calling `progress(chunks done)` as it goes.
pub fn parquet_store(
    refs: &References,
    record_size: usize,
    mut progress: impl FnMut(usize),
) -> Result<(Vec<ParquetFile>, Vec<ArraySummary>), ParquetRefsError> {
    if record_size == 0 {
        return Err(ParquetRefsError::RecordSize);
    }
    let mut metadata = Map::new();
    // Chunks of arrays other than the data variables (the coordinates).
    let mut other_chunks: Vec<(String, String)> = Vec::new();
    for key in refs.other_keys() {
        let last = key.rsplit('/').next().unwrap_or(key);
        if last.starts_with(".z") {
            let bytes = refs.inline(key).unwrap_or_default();
            let value: Value =
                serde_json::from_slice(bytes).map_err(|e| ParquetRefsError::Metadata {
                    key: key.to_string(),
                    message: e.to_string(),
                })?;
            metadata.insert(key.to_string(), value);
        } else {
            match key.rsplit_once('/') {
                Some((array, chunk)) if refs.array_metadata(array).is_some() => {
                    other_chunks.push((array.to_string(), chunk.to_string()))
                }
                _ => return Err(ParquetRefsError::Orphan(key.to_string())),
            }
        }
    }
    let zmetadata = serde_json::json!({"metadata": metadata, "record_size": record_size});
    let mut files = vec![ParquetFile {
        path: ".zmetadata".into(),
        bytes: zmetadata.to_string().into_bytes(),
    }];
    let mut summaries = Vec::new();
    let mut done = 0;

    let mut arrays: Vec<String> = metadata
        .keys()
        .filter_map(|k| k.strip_suffix("/.zarray").map(str::to_string))
        .collect();
    arrays.sort();
    for array in arrays {
        let Some(meta) = refs.array_metadata(&array) else {
            continue;
        };
        let grid: Vec<u64> = meta
            .shape
            .iter()
            .zip(&meta.chunks)
            .map(|(s, c)| s.div_ceil((*c).max(1)))
            .collect();
        let index_of = |key: &str, indices: &[u64]| -> Result<u64, ParquetRefsError> {
            ravel(indices, &grid).ok_or_else(|| ParquetRefsError::OutsideGrid {
                key: key.to_string(),
                grid: grid.clone(),
            })
        };
        // (chunk number, row), in chunk-number order.
        let mut rows: Vec<(u64, Row)> = Vec::new();
        if let Some(variable) = Variable::from_name(&array) {
            for (key, r) in refs.chunks(variable) {
                let indices: Vec<u64> = key.indices().iter().map(|&i| u64::from(i)).collect();
                let number = index_of(&format!("{array}/{key}"), &indices)?;
                rows.push((number, row(r)));
            }
        } else {
            for (name, chunk) in other_chunks.iter().filter(|(a, _)| *a == array) {
                let key = format!("{name}/{chunk}");
                let indices: Option<Vec<u64>> = chunk.split('.').map(|p| p.parse().ok()).collect();
                let indices = indices.ok_or_else(|| ParquetRefsError::OutsideGrid {
                    key: key.clone(),
                    grid: grid.clone(),
                })?;
                let number = index_of(&key, &indices)?;
                if let Some(r) = refs.get(&key) {
                    rows.push((number, row(r)));
                }
            }
            rows.sort_by_key(|(n, _)| *n);
        }
        let total: u64 = grid.iter().product::<u64>().max(1);
        let mut record_files = 0;
        let chunks = rows.len();
        let mut rest = &rows[..];
        while let Some(&(first, _)) = rest.first() {
            let record = first / record_size as u64;
            let start = record * record_size as u64;
            let end = (start + record_size as u64).min(total);
            let here = rest.partition_point(|(n, _)| *n < end);
            let (in_record, after) = rest.split_at(here);
            let path = format!("{array}/refs.{record}.parq");
            let bytes =
                record_file(in_record, start, (end - start) as usize).map_err(|source| {
                    ParquetRefsError::Parquet {
                        file: path.clone(),
                        source,
                    }
                })?;
            files.push(ParquetFile { path, bytes });
            record_files += 1;
            done += in_record.len();
            progress(done);
            rest = after;
        }
        summaries.push(ArraySummary {
            name: array,
            chunks,
            record_files,
        });
    }
    Ok((files, summaries))
}

fn row(r: ChunkRef<'_>) -> Row {
    match r {
        ChunkRef::Inline(bytes) => Row {
            raw: Some(bytes.to_vec()),
            ..Row::default()
        },
        ChunkRef::Remote(remote) => Row {
            path: Some(remote.url()),
            offset: remote.range.map_or(0, |r| r.offset),
            size: remote.range.map_or(0, |r| r.length),
            raw: None,
        },
    }
}

/// C-order chunk number of `indices` in `grid`.
fn ravel(indices: &[u64], grid: &[u64]) -> Option<u64> {
    if indices.len() != grid.len() && !(grid.is_empty() && indices == [0]) {
        return None;
    }
    indices
        .iter()
        .zip(grid)
        .try_fold(0u64, |n, (&i, &size)| (i < size).then(|| n * size + i))
}

/// One record file: `len` rows from chunk `start`, `rows` filled in.
fn record_file(rows: &[(u64, Row)], start: u64, len: usize) -> parquet::errors::Result<Vec<u8>> {
    let mut table = vec![Row::default(); len];
    for (n, row) in rows {
        if let Some(slot) = table.get_mut((n - start) as usize) {
            *slot = row.clone();
        }
    }
    let schema = Arc::new(parse_message_type(SCHEMA)?);
    // Plain encoding and Snappy: simple for any reader (and for ours in
    // the browser), and URLs sharing a long prefix still shrink.
    let props = Arc::new(
        WriterProperties::builder()
            .set_writer_version(WriterVersion::PARQUET_1_0)
            .set_compression(Compression::SNAPPY)
            .set_dictionary_enabled(false)
            .set_encoding(Encoding::PLAIN)
            .set_statistics_enabled(EnabledStatistics::None)
            .set_created_by("tessera".into())
            .build(),
    );
    let mut writer = SerializedFileWriter::new(Vec::new(), schema, props)?;
    let mut group = writer.next_row_group()?;
    let defined = |present: bool| i16::from(present);
    let mut column = 0;
    while let Some(mut col) = group.next_column()? {
        match column {
            0 => {
                let values: Vec<ByteArray> = table
                    .iter()
                    .filter_map(|r| {
                        r.path
                            .as_deref()
                            .map(|p| ByteArray::from(p.as_bytes().to_vec()))
                    })
                    .collect();
                let levels: Vec<i16> = table.iter().map(|r| defined(r.path.is_some())).collect();
                col.typed::<ByteArrayType>()
                    .write_batch(&values, Some(&levels), None)?;
            }
            1 | 2 => {
                let values: Vec<i64> = table
                    .iter()
                    .map(|r| if column == 1 { r.offset } else { r.size } as i64)
                    .collect();
                col.typed::<Int64Type>().write_batch(&values, None, None)?;
            }
            _ => {
                let values: Vec<ByteArray> = table
                    .iter()
                    .filter_map(|r| r.raw.clone().map(ByteArray::from))
                    .collect();
                let levels: Vec<i16> = table.iter().map(|r| defined(r.raw.is_some())).collect();
                col.typed::<ByteArrayType>()
                    .write_batch(&values, Some(&levels), None)?;
            }
        }
        col.close()?;
        column += 1;
    }
    group.close()?;
    writer.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parquet_refs::read_record_file;

    /// The parquet crate's reading of a record file: the oracle ours is
    /// checked against.
    fn read_with_parquet_crate(bytes: Vec<u8>) -> Result<Vec<Row>, parquet::errors::ParquetError> {
        use parquet::column::reader::ColumnReader;
        use parquet::errors::ParquetError;
        use parquet::file::reader::{FileReader, SerializedFileReader};

        let reader = SerializedFileReader::new(bytes::Bytes::from(bytes))?;
        let schema = reader.metadata().file_metadata().schema_descr_ptr();
        let column =
            |name: &str| (0..schema.num_columns()).find(|&i| schema.column(i).name() == name);
        let missing =
            |name: &str| ParquetError::General(format!("a record file has no {name:?} column"));
        let (path, offset, size) = (
            column("path").ok_or_else(|| missing("path"))?,
            column("offset").ok_or_else(|| missing("offset"))?,
            column("size").ok_or_else(|| missing("size"))?,
        );
        let raw = column("raw");
        let mut rows = Vec::new();
        for group in 0..reader.num_row_groups() {
            let group = reader.get_row_group(group)?;
            let n = usize::try_from(group.metadata().num_rows()).unwrap_or(0);
            let start = rows.len();
            rows.resize(start + n, Row::default());
            let here = &mut rows[start..];
            let bytes_column = |i: usize| -> Result<Vec<Option<Vec<u8>>>, ParquetError> {
                let ColumnReader::ByteArrayColumnReader(mut r) = group.get_column_reader(i)? else {
                    return Err(ParquetError::General(format!(
                        "column {} is not binary",
                        schema.column(i).name()
                    )));
                };
                let (mut values, mut levels) = (Vec::new(), Vec::new());
                let optional = schema.column(i).max_def_level() > 0;
                r.read_records(n, optional.then_some(&mut levels), None, &mut values)?;
                let mut values = values.into_iter().map(|v| v.data().to_vec());
                Ok(if optional {
                    levels
                        .iter()
                        .map(|&l| if l > 0 { values.next() } else { None })
                        .collect()
                } else {
                    values.map(Some).collect()
                })
            };
            let int_column = |i: usize| -> Result<Vec<u64>, ParquetError> {
                let ColumnReader::Int64ColumnReader(mut r) = group.get_column_reader(i)? else {
                    return Err(ParquetError::General(format!(
                        "column {} is not int64",
                        schema.column(i).name()
                    )));
                };
                let (mut values, mut levels) = (Vec::new(), Vec::new());
                let optional = schema.column(i).max_def_level() > 0;
                r.read_records(n, optional.then_some(&mut levels), None, &mut values)?;
                let mut values = values.into_iter();
                Ok(if optional {
                    levels
                        .iter()
                        .map(|&l| if l > 0 { values.next().unwrap_or(0) } else { 0 })
                        .map(|v| v.max(0) as u64)
                        .collect()
                } else {
                    values.map(|v| v.max(0) as u64).collect()
                })
            };
            for (row, value) in here.iter_mut().zip(bytes_column(path)?) {
                row.path = value.and_then(|v| String::from_utf8(v).ok());
            }
            for (row, value) in here.iter_mut().zip(int_column(offset)?) {
                row.offset = value;
            }
            for (row, value) in here.iter_mut().zip(int_column(size)?) {
                row.size = value;
            }
            if let Some(raw) = raw {
                for (row, value) in here.iter_mut().zip(bytes_column(raw)?) {
                    row.raw = value;
                }
            }
        }
        Ok(rows)
    }

    /// Our record files read back row for row: URLs, ranges, inline bytes
    /// and empty rows where they belong.
    #[test]
    fn record_files_read_back() {
        let rows = vec![
            (
                3,
                Row {
                    path: Some("http://h/a.tif".into()),
                    ..Row::default()
                },
            ),
            (
                4,
                Row {
                    path: Some("http://h/b.tif".into()),
                    offset: 10,
                    size: 20,
                    raw: None,
                },
            ),
            (
                9,
                Row {
                    raw: Some(vec![0, 1, 2]),
                    ..Row::default()
                },
            ),
        ];
        let bytes = record_file(&rows, 0, 10).unwrap();
        let read = read_record_file(&bytes).unwrap();
        assert_eq!(read, read_with_parquet_crate(bytes).unwrap());
        assert_eq!(read.len(), 10);
        for (i, row) in read.iter().enumerate() {
            let expected = rows
                .iter()
                .find(|(n, _)| *n == i as u64)
                .map(|(_, r)| r.clone())
                .unwrap_or_default();
            assert_eq!(*row, expected, "row {i}");
        }
    }

    #[test]
    fn the_fixture_store_holds_every_chunk_where_fsspec_looks() {
        let json = include_bytes!("../../../../tests/fixtures/small_refs.json");
        let refs = References::from_json(json).unwrap();
        let (files, summaries) = parquet_store(&refs, 1000, |_| {}).unwrap();
        let coh = summaries.iter().find(|s| s.name == "COH").unwrap();
        assert_eq!(coh.chunks, refs.chunk_count(Variable::Coh));
        for (key, r) in refs.chunks(Variable::Coh) {
            let indices: Vec<u64> = key.indices().iter().map(|&i| u64::from(i)).collect();
            let number = ravel(&indices, &[4, 4, 6, 161, 360]).unwrap();
            let file = files
                .iter()
                .find(|f| f.path == format!("COH/refs.{}.parq", number / 1000))
                .unwrap();
            let rows = read_record_file(&file.bytes).unwrap();
            assert_eq!(rows[(number % 1000) as usize], row(r), "{key}");
        }
        assert!(matches!(
            parquet_store(&refs, 0, |_| {}),
            Err(ParquetRefsError::RecordSize)
        ));
    }
}
