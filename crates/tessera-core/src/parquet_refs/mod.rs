//! References in kerchunk's parquet layout, which fsspec's
//! `LazyReferenceMapper` reads one record file at a time (so xarray opens
//! the data set without reading every reference):
//!
//! * `.zmetadata`: `{"metadata": {".zgroup": {...}, "COH/.zarray": {...},
//!   ...}, "record_size": N}`, every zarr metadata key as parsed JSON;
//! * `<array>/refs.<n>.parq`: the references of chunks `n·N .. (n+1)·N` of
//!   the array, numbered in C order over its chunk grid (row `i` is chunk
//!   `n·N + i`), with columns `path` (URL, null for none), `offset`, `size`
//!   (both 0 for a whole file) and `raw` (inline bytes, else null).
//!
//! A record file whose rows are all empty is not written: fsspec reads a
//! missing file as missing chunks, which zarr fills with the fill value.
//! Writing ([`parquet_store`], feature `parquet`) builds the files in
//! memory with the parquet crate; writing them out is the caller's
//! business. Reading ([`read_record_file`], [`ParquetReferences`]) is our
//! own and has no dependencies to speak of: it runs in the browser, which
//! fetches `.zmetadata` and then only the record files a view needs.
//!
//! Relative chunk URLs in a store are relative to the store's URL as if it
//! were a file (`demo/refs.parq` → `demo/`), so that a store beside the
//! data works like a reference JSON in its place.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::dataset::{ChunkKey, Layer, PackedChunkKey, Tile, Variable};
use crate::reader::{ByteRange, NewChunk, ReaderError, References};

mod record_file;
#[cfg(feature = "parquet")]
mod write;

pub use record_file::{read_record_file, RecordFileError};
#[cfg(feature = "parquet")]
pub use write::{parquet_store, write_store, ArraySummary, ParquetFile, ParquetRefsError};

/// Rows per record file: 20 tile rows (20 degrees of latitude) of one
/// layer's 161 × 360 tiles, so that a regional view needs one or two small
/// files per layer.
pub const DEFAULT_RECORD_SIZE: usize = 20 * 360;

/// A chunk's reference, as one row of a record file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Row {
    /// The file's URL; `None` with `raw` also `None`: no such chunk.
    pub path: Option<String>,
    /// Byte range in the file; both 0 for the whole file.
    pub offset: u64,
    pub size: u64,
    /// The chunk's bytes, when they are in the references.
    pub raw: Option<Vec<u8>>,
}

impl Row {
    /// What the row says of its chunk; `None` for no chunk.
    pub fn into_chunk(self) -> Option<NewChunk> {
        match (self.raw, self.path) {
            (Some(raw), _) => Some(NewChunk::Inline(raw)),
            (None, Some(path)) => Some(NewChunk::Remote {
                url: path,
                // As fsspec: size 0 is the whole file.
                range: (self.size > 0).then_some(ByteRange {
                    offset: self.offset,
                    length: self.size,
                }),
            }),
            (None, None) => None,
        }
    }
}

/// One record file of a data variable: `<variable>/refs.<number>.parq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordFile {
    pub variable: Variable,
    pub number: u64,
}

impl RecordFile {
    /// Its path in the store.
    pub fn path(&self) -> String {
        format!("{}/refs.{}.parq", self.variable.name(), self.number)
    }
}

/// What became of a record file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordState {
    /// Read, with this many chunk references.
    Read { chunks: usize },
    /// Not in the store (no chunks there).
    Missing,
}

/// Why a parquet store's `.zmetadata` or a record file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ParquetStoreError {
    #[error(".zmetadata is not JSON: {0}")]
    NotJson(String),
    #[error(".zmetadata has no {0}")]
    Missing(&'static str),
    #[error(".zmetadata: {0}")]
    Metadata(ReaderError),
    #[error("{file}: {source}")]
    Record {
        file: String,
        source: RecordFileError,
    },
    #[error("{file}: {rows} rows, more than the store's record size {record_size}")]
    TooManyRows {
        file: String,
        rows: usize,
        record_size: u64,
    },
    #[error("{file}: {source}")]
    Chunks { file: String, source: ReaderError },
}

/// A parquet reference store read a record file at a time, as views need
/// them: the references read so far, and which record files those are.
#[derive(Debug, Clone)]
pub struct ParquetReferences {
    references: Arc<References>,
    record_size: u64,
    records: BTreeMap<RecordFile, RecordState>,
}

impl ParquetReferences {
    /// The store as its `.zmetadata` describes it (gzip-compressed or
    /// not), with no chunks yet.
    pub fn from_zmetadata(bytes: &[u8]) -> Result<ParquetReferences, ParquetStoreError> {
        let mut unzipped = Vec::new();
        let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
            use std::io::Read;
            flate2::read::MultiGzDecoder::new(bytes)
                .read_to_end(&mut unzipped)
                .map_err(|e| ParquetStoreError::NotJson(format!("bad gzip: {e}")))?;
            &unzipped[..]
        } else {
            bytes
        };
        let doc: Value =
            serde_json::from_slice(bytes).map_err(|e| ParquetStoreError::NotJson(e.to_string()))?;
        let record_size = doc
            .get("record_size")
            .and_then(Value::as_u64)
            .filter(|&n| n > 0)
            .ok_or(ParquetStoreError::Missing(
                "\"record_size\" (a positive integer)",
            ))?;
        let metadata = doc
            .get("metadata")
            .and_then(Value::as_object)
            .ok_or(ParquetStoreError::Missing("\"metadata\" object"))?;
        // As a version 0 reference document of the metadata alone: each
        // value as JSON text (kerchunk stores them parsed).
        let mut refs = Map::new();
        for (key, value) in metadata {
            let text = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            refs.insert(key.clone(), Value::String(text));
        }
        let json = Value::Object(refs).to_string();
        let references =
            References::from_json(json.as_bytes()).map_err(ParquetStoreError::Metadata)?;
        Ok(ParquetReferences {
            references: Arc::new(references),
            record_size,
            records: BTreeMap::new(),
        })
    }

    /// The references read so far (chunks of record files not yet read are
    /// absent).
    pub fn references(&self) -> Arc<References> {
        self.references.clone()
    }

    /// The references read so far, borrowed (no handle is kept, so that
    /// they keep growing in place).
    pub fn read_so_far(&self) -> &References {
        &self.references
    }

    pub fn record_size(&self) -> u64 {
        self.record_size
    }

    /// What became of a record file; `None` while it is unread.
    pub fn record(&self, record: RecordFile) -> Option<RecordState> {
        self.records.get(&record).copied()
    }

    /// The record files, not yet read, that hold the chunks of `layers` of
    /// `variable` in the tile rows and columns given: in the order of the
    /// layers, each once.
    pub fn records_needed(
        &self,
        variable: Variable,
        layers: &[Layer],
        rows: Range<u16>,
        columns: Range<u16>,
    ) -> Vec<RecordFile> {
        let mut needed: Vec<RecordFile> = Vec::new();
        // Seen already: every layer of inc over a whole region names
        // thousands of record files.
        let mut listed = std::collections::BTreeSet::new();
        let Some(last_column) = columns.end.checked_sub(1).filter(|_| !columns.is_empty()) else {
            return needed;
        };
        let number = |layer: Layer, row: u16, column: u16| {
            let tile = Tile::from_indices(row, column)?;
            let key = ChunkKey::new(variable, layer, tile).ok()?;
            Some(u64::from(key.pack().linear()))
        };
        for &layer in layers {
            for row in rows.clone() {
                let (Some(first), Some(last)) = (
                    number(layer, row, columns.start),
                    number(layer, row, last_column),
                ) else {
                    continue;
                };
                for n in first / self.record_size..=last / self.record_size {
                    let record = RecordFile {
                        variable,
                        number: n,
                    };
                    if !self.records.contains_key(&record) && listed.insert(record) {
                        needed.push(record);
                    }
                }
            }
        }
        needed
    }

    /// The layers of `variable` that may have chunks in the tile rows and
    /// columns given: those with a chunk read there, and those whose record
    /// files there are not read yet.
    pub fn layers_in(
        &self,
        variable: Variable,
        rows: Range<u16>,
        columns: Range<u16>,
    ) -> Vec<Layer> {
        let read = self
            .references
            .layers_in(variable, rows.clone(), columns.clone());
        let mut layers: Vec<Layer> = Layer::all(variable)
            .into_iter()
            .filter(|layer| {
                read.contains(layer)
                    || !self
                        .records_needed(variable, &[*layer], rows.clone(), columns.clone())
                        .is_empty()
            })
            .collect();
        layers.sort();
        layers
    }

    /// Record files read or found missing so far.
    pub fn records_known(&self) -> usize {
        self.records.len()
    }

    /// Reads a record file's bytes into the references; returns the number
    /// of chunk references it held.
    pub fn add_record(
        &mut self,
        record: RecordFile,
        bytes: &[u8],
    ) -> Result<usize, ParquetStoreError> {
        let file = record.path();
        let rows = read_record_file(bytes).map_err(|source| ParquetStoreError::Record {
            file: file.clone(),
            source,
        })?;
        if rows.len() as u64 > self.record_size {
            return Err(ParquetStoreError::TooManyRows {
                file,
                rows: rows.len(),
                record_size: self.record_size,
            });
        }
        let first = record.number.saturating_mul(self.record_size);
        let mut chunks = Vec::new();
        for (i, row) in rows.into_iter().enumerate() {
            let Some(chunk) = row.into_chunk() else {
                continue;
            };
            // Rows past the grid's end are padding in some writers' last file.
            let Some(key) = u32::try_from(first + i as u64)
                .ok()
                .and_then(|n| PackedChunkKey::from_linear(record.variable, n))
            else {
                continue;
            };
            chunks.push((key, chunk));
        }
        let count = chunks.len();
        Arc::make_mut(&mut self.references)
            .add_chunks(chunks)
            .map_err(|source| ParquetStoreError::Chunks { file, source })?;
        self.records
            .insert(record, RecordState::Read { chunks: count });
        Ok(count)
    }

    /// Notes that a record file is not in the store: its chunks are absent.
    pub fn add_missing(&mut self, record: RecordFile) {
        self.records.insert(record, RecordState::Missing);
    }
}
