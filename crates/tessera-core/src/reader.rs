//! fsspec ReferenceFileSystem JSON, read into a compact index.
//!
//! Two layouts are read:
//!
//! * **version 0**: one flat object of zarr store key → value, as tifffile
//!   and the seed write it;
//! * **version 1** (kerchunk): `{"version": 1, "templates": {...},
//!   "gen": [...], "refs": {...}}`.
//!
//! A value is a string (inline data; `base64:` marks base64), `[url]` (the
//! whole file) or `[url, offset, length]` (a byte range of it). In version 1,
//! `{{name}}` in a URL is replaced from `"templates"`, and each `"gen"` entry
//! expands to references over the product of its `"dimensions"`; its key,
//! url, offset and length may use `{{ }}` with names and integer arithmetic
//! (`+ - * //` and parentheses). Fuller jinja is reported as unsupported.
//!
//! The document is parsed in one pass, entry by entry, with no JSON tree of
//! it, and may arrive in pieces ([`ReferenceStream`]: a browser never holds
//! the text whole): the full data set's 151 MB file has 1,033,422 chunk
//! references. Those of the
//! seven data variables go into a sorted array of 32-bit packed chunk keys per
//! variable, with their URLs kept as one shared prefix (the longest common
//! prefix of all chunk URLs, like `https://…/data/tiles/`) plus a per-file
//! suffix in one string arena. Everything else (`.zgroup`, `.zarray`,
//! `.zattrs`, the coordinate chunks) is a small map of inline bytes.
//!
//! Each data variable's `.zarray` is checked against the data set's model
//! ([`Variable::shape`], [`Variable::chunks`], its dtype, fill value 0 and
//! the `imagecodecs_tiff` compressor): a file written by tifffile from a
//! partial listing numbers its chunks from its own corner instead of the
//! global grid, and its keys would name the wrong tiles.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::iter::Peekable;

use base64::Engine;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::dataset::{
    ChunkKey, ChunkKeyError, DType, Dimension, Layer, PackedChunkKey, Tile, Variable,
};
use crate::zarr::{self, ArrayMetadata, ArrayValues, ZarrError};

mod streaming;
pub use streaming::{DocumentText, ReferenceStream, MAX_DOCUMENT_BYTES};

/// Most references one document may generate through `"gen"`.
pub const MAX_GENERATED_REFS: u64 = 10_000_000;

pub use crate::zarr::TIFF_COMPRESSOR;

/// A byte range of a remote file: `[url, offset, length]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ByteRange {
    pub offset: u64,
    pub length: u64,
}

/// Where a chunk's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkRef<'a> {
    /// The bytes are in the document.
    Inline(&'a [u8]),
    /// The bytes are (part of) a remote file.
    Remote(RemoteRef<'a>),
}

/// A remote reference: the URL is `prefix` + `suffix`, where `prefix` is
/// shared by every chunk URL of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteRef<'a> {
    pub prefix: &'a str,
    pub suffix: &'a str,
    /// `None` when the whole file is the chunk.
    pub range: Option<ByteRange>,
}

impl RemoteRef<'_> {
    /// The full URL.
    pub fn url(&self) -> String {
        [self.prefix, self.suffix].concat()
    }
}

impl fmt::Display for RemoteRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.prefix, self.suffix)
    }
}

/// What is wrong with one entry of the document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryProblem {
    #[error("not a chunk key of this variable: {0}")]
    ChunkKey(ChunkKeyError),
    #[error("chunk indices must not have leading zeros")]
    NotCanonical,
    #[error("expected a string, [url] or [url, offset, length], found {0}")]
    WrongType(&'static str),
    #[error("expected [url] or [url, offset, length], found a list of {0} items")]
    Arity(usize),
    #[error("the URL must be a string, found {0}")]
    UrlType(&'static str),
    #[error("offset and length must be non-negative integers, found {0}")]
    Range(String),
    #[error("not valid base64: {0}")]
    Base64(String),
    #[error("the key appears more than once")]
    Duplicate,
    #[error("{0}")]
    Template(String),
    #[error("expected an object of references, found {0}")]
    NotAnObject(&'static str),
    #[error("a version 1 document keeps its references under \"refs\"")]
    OutsideRefs,
    #[error("zarr metadata must be inline, not a remote reference")]
    RemoteMetadata,
    #[error("there is no {0}/.zarray for this variable")]
    NoArrayMetadata(&'static str),
}

/// How a data variable's `.zarray` or `.zattrs` differs from the data set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelMismatch {
    #[error("shape {found:?} does not match the global grid {expected:?}")]
    Shape { found: Vec<u64>, expected: Vec<u64> },
    #[error("chunks {found:?} do not match the tile chunks {expected:?}")]
    Chunks { found: Vec<u64>, expected: Vec<u64> },
    #[error("dtype {found:?} is not {expected:?}")]
    DType {
        found: String,
        expected: &'static str,
    },
    #[error("fill_value {0} is not 0")]
    FillValue(String),
    #[error("compressor {0} is not {TIFF_COMPRESSOR}")]
    Compressor(String),
    #[error("filters {0:?} should be null")]
    Filters(Vec<String>),
    #[error("order {0:?} is not \"C\"")]
    Order(String),
    #[error("dimension_separator {0:?} is not \".\"")]
    DimensionSeparator(String),
    #[error("_ARRAY_DIMENSIONS {found} are not {expected:?}")]
    Dimensions {
        found: String,
        expected: Vec<&'static str>,
    },
}

/// Why a reference document could not be read. Every variant names the key
/// (or the `"gen"` entry) it is about, except JSON syntax errors, which give
/// the line and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReaderError {
    #[error("JSON, line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{key}: {problem}")]
    Entry { key: String, problem: EntryProblem },
    #[error("{key}: {problem}")]
    Model { key: String, problem: ModelMismatch },
    #[error("{key}: {source}")]
    Zarr { key: String, source: ZarrError },
    #[error("gen[{index}]: {problem}")]
    Gen { index: usize, problem: String },
    #[error("\"version\" is {0}; only 1 is supported (and no \"version\" for version 0)")]
    Version(String),
    #[error("\"{0}\" belongs to a version 1 document, which needs \"version\": 1")]
    NeedsVersion1(&'static str),
    #[error("no {0}/.zarray: the references have no {0} coordinate")]
    MissingCoordinate(&'static str),
    #[error("{0}: coordinate chunks must be inline; this one is a remote reference")]
    RemoteCoordinate(String),
    #[error("the document is too large for this reader's 32-bit index")]
    TooLarge,
    #[error("gzip: {0}")]
    Gzip(String),
}

fn entry_error(key: &str, problem: EntryProblem) -> ReaderError {
    ReaderError::Entry {
        key: key.to_string(),
        problem,
    }
}

/// A reference of a key that is not a data variable's chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stored {
    Inline(Vec<u8>),
    Remote {
        url: String,
        range: Option<ByteRange>,
    },
}

/// The remote chunk references of one data variable, sorted by key.
#[derive(Debug, Clone, Default)]
struct VariableChunks {
    keys: Vec<PackedChunkKey>,
    /// Where the URL suffix of `keys[i]` is in the arena:
    /// `url_starts[i]..url_ends[i]`. In key order for a document read
    /// whole; chunks added later put theirs at the arena's end, so that
    /// adding a record file costs its own chunks, not all those read.
    url_starts: Vec<u32>,
    url_ends: Vec<u32>,
    /// Byte ranges by key (sorted), only for `[url, offset, length]`.
    ranges: Vec<(PackedChunkKey, ByteRange)>,
}

/// A remote chunk being added: key, where its URL suffix is in the arena,
/// and its byte range.
type AddedChunk = (PackedChunkKey, u32, u32, Option<ByteRange>);

impl VariableChunks {
    /// Drops the chunks whose keys are in `gone` (sorted) and puts `new`
    /// (sorted, every key in `gone`) in their places; returns the arena
    /// bytes the dropped ones held. Only the keys between `gone`'s first
    /// and last move: a record file's chunks, a block of keys none of which
    /// was known, are one insertion.
    fn replace(&mut self, gone: &[PackedChunkKey], new: &[AddedChunk]) -> usize {
        let (Some(&first), Some(&last)) = (gone.first(), gone.last()) else {
            return 0;
        };
        let is_gone = |key: &PackedChunkKey| gone.binary_search(key).is_ok();
        let lo = self.keys.partition_point(|k| *k < first);
        let hi = self.keys.partition_point(|k| *k <= last);
        let stale = (lo..hi)
            .filter(|&i| is_gone(&self.keys[i]))
            .map(|i| self.url_ends[i].saturating_sub(self.url_starts[i]) as usize)
            .sum();
        let kept = (lo..hi)
            .filter(|&i| !is_gone(&self.keys[i]))
            .map(|i| (self.keys[i], (self.url_starts[i], self.url_ends[i])));
        let added = new.iter().map(|&(key, start, end, _)| (key, (start, end)));
        let window: Vec<_> = MergeByKey {
            a: kept.peekable(),
            b: added.peekable(),
        }
        .collect();
        self.keys.splice(lo..hi, window.iter().map(|w| w.0));
        self.url_starts
            .splice(lo..hi, window.iter().map(|w| w.1 .0));
        self.url_ends.splice(lo..hi, window.iter().map(|w| w.1 .1));
        // The ranges in the same window: the kept ones and the new ones.
        let r_lo = self.ranges.partition_point(|r| r.0 < first);
        let r_hi = self.ranges.partition_point(|r| r.0 <= last);
        let kept = self.ranges[r_lo..r_hi]
            .iter()
            .filter(|r| !is_gone(&r.0))
            .copied();
        let added = new
            .iter()
            .filter_map(|&(key, _, _, range)| Some((key, range?)));
        let window: Vec<_> = MergeByKey {
            a: kept.peekable(),
            b: added.peekable(),
        }
        .collect();
        self.ranges.splice(r_lo..r_hi, window);
        stale
    }
}

/// An fsspec reference document, indexed. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct References {
    version: u8,
    url_prefix: String,
    url_suffixes: String,
    variables: [VariableChunks; 7],
    /// Arena bytes no chunk refers to any more (see [`References::add_chunks`]).
    stale_bytes: usize,
    /// Chunks of data variables given inline (rare).
    inline_chunks: BTreeMap<PackedChunkKey, Vec<u8>>,
    /// Every other key.
    others: BTreeMap<String, Stored>,
    /// Every `<name>/.zarray`, parsed, by array name.
    arrays: BTreeMap<String, ArrayMetadata>,
}

impl References {
    /// Reads a version 0 or version 1 reference document.
    pub fn from_json(bytes: &[u8]) -> Result<References, ReaderError> {
        let mut splitter = streaming::Splitter::new();
        splitter.push(bytes, false)?;
        splitter.finish()
    }

    /// Reads a reference document that may be gzip-compressed (a
    /// `.json.gz` served as is): gzip is recognised by its magic bytes,
    /// whatever the file name or content type said. To read one as it
    /// arrives, use [`ReferenceStream`].
    pub fn from_bytes(bytes: &[u8]) -> Result<References, ReaderError> {
        let mut stream = ReferenceStream::new();
        stream.push(bytes)?;
        stream.finish()
    }

    /// 0 or 1: the layout the document had.
    pub fn version(&self) -> u8 {
        self.version
    }

    /// The data variables that have a `.zarray`, in [`Variable::ALL`] order.
    pub fn variables(&self) -> impl Iterator<Item = Variable> + '_ {
        Variable::ALL
            .into_iter()
            .filter(|v| self.arrays.contains_key(v.name()))
    }

    /// Number of chunk references of a variable (remote and inline).
    pub fn chunk_count(&self, variable: Variable) -> usize {
        let remote = self.variable_chunks(variable).map_or(0, |c| c.keys.len());
        remote + self.inline_range(variable).count()
    }

    /// The prefix shared by every chunk URL.
    pub fn url_prefix(&self) -> &str {
        &self.url_prefix
    }

    /// Where the bytes of a data variable's chunk are; `None` if the
    /// document lists no such chunk (zarr then reads fill_value 0).
    pub fn chunk(&self, key: ChunkKey) -> Option<ChunkRef<'_>> {
        let packed = key.pack();
        let chunks = self.variable_chunks(key.variable)?;
        match chunks.keys.binary_search(&packed) {
            Ok(position) => self.remote_at(chunks, position).map(ChunkRef::Remote),
            Err(_) => self.inline_chunks.get(&packed).map(|b| ChunkRef::Inline(b)),
        }
    }

    /// All chunk references of a variable, in key order.
    pub fn chunks(
        &self,
        variable: Variable,
    ) -> impl Iterator<Item = (ChunkKey, ChunkRef<'_>)> + '_ {
        let chunks = self.variable_chunks(variable);
        let remote = chunks.into_iter().flat_map(move |c| {
            c.keys
                .iter()
                .enumerate()
                .filter_map(move |(position, key)| {
                    Some((*key, ChunkRef::Remote(self.remote_at(c, position)?)))
                })
        });
        let inline = self
            .inline_range(variable)
            .map(|(key, bytes)| (*key, ChunkRef::Inline(bytes)));
        MergeByKey {
            a: remote.peekable(),
            b: inline.peekable(),
        }
        .filter_map(|(key, r)| Some((key.unpack()?, r)))
    }

    /// The layers of `variable` with at least one chunk in the tile rows
    /// and columns given (what a view can offer to show). Probes each
    /// layer's key range per tile row, or scans the variable's keys when
    /// that is cheaper (a view of the whole world).
    pub fn layers_in(
        &self,
        variable: Variable,
        rows: std::ops::Range<u16>,
        columns: std::ops::Range<u16>,
    ) -> Vec<Layer> {
        let layers = variable.layer_count();
        let remote = self.variable_chunks(variable).map_or(0, |c| c.keys.len());
        let inline = self.inline_range(variable).count();
        let probes = layers * rows.len();
        let log = (usize::BITS - remote.leading_zeros()) as usize;
        let probe = probes.saturating_mul(log.max(1)) < remote + inline;
        self.layers_in_by(variable, rows, columns, probe)
    }

    fn layers_in_by(
        &self,
        variable: Variable,
        rows: std::ops::Range<u16>,
        columns: std::ops::Range<u16>,
        probe: bool,
    ) -> Vec<Layer> {
        let mut layers = Layer::all(variable);
        layers.sort();
        let remote: &[PackedChunkKey] = self.variable_chunks(variable).map_or(&[], |c| &c.keys);
        let inline: Vec<PackedChunkKey> = self.inline_range(variable).map(|(k, _)| *k).collect();
        let Some(last_column) = columns.end.checked_sub(1).filter(|_| !columns.is_empty()) else {
            return Vec::new();
        };
        if probe {
            let has_any = |lo: PackedChunkKey, hi: PackedChunkKey| {
                [remote, &inline[..]].iter().any(|keys| {
                    let i = keys.partition_point(|k| *k < lo);
                    keys.get(i).is_some_and(|k| *k <= hi)
                })
            };
            layers
                .into_iter()
                .filter(|&layer| {
                    rows.clone().any(|row| {
                        let key = |column| {
                            Tile::from_indices(row, column).map(|tile| {
                                ChunkKey {
                                    variable,
                                    layer,
                                    tile,
                                }
                                .pack()
                            })
                        };
                        match (key(columns.start), key(last_column)) {
                            (Some(lo), Some(hi)) => has_any(lo, hi),
                            _ => false,
                        }
                    })
                })
                .collect()
        } else {
            let mut found = vec![false; layers.len()];
            for key in remote.iter().chain(&inline).filter_map(|k| k.unpack()) {
                let (row, column) = (key.tile.lat_index(), key.tile.lon_index());
                if rows.contains(&row) && columns.contains(&column) {
                    if let Ok(i) = layers.binary_search(&key.layer) {
                        found[i] = true;
                    }
                }
            }
            layers
                .into_iter()
                .zip(found)
                .filter_map(|(layer, f)| f.then_some(layer))
                .collect()
        }
    }

    /// The reference of any key, chunk or not (`"COH/0.0.0.45.59"`,
    /// `"latitude/0"`, `".zgroup"`). A remote reference that is not a data
    /// variable's chunk has an empty prefix.
    pub fn get(&self, key: &str) -> Option<ChunkRef<'_>> {
        if let Ok(KeyKind::Chunk(chunk)) = classify(key) {
            return self.chunk(chunk);
        }
        match self.others.get(key)? {
            Stored::Inline(bytes) => Some(ChunkRef::Inline(bytes)),
            Stored::Remote { url, range } => Some(ChunkRef::Remote(RemoteRef {
                prefix: "",
                suffix: url,
                range: *range,
            })),
        }
    }

    /// The inline bytes of a key (`".zgroup"`, `"COH/.zarray"`,
    /// `"coherence/0"`, base64 already decoded).
    pub fn inline(&self, key: &str) -> Option<&[u8]> {
        match self.get(key)? {
            ChunkRef::Inline(bytes) => Some(bytes),
            ChunkRef::Remote(_) => None,
        }
    }

    /// The keys that are not data variables' chunks, sorted.
    pub fn other_keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.others.keys().map(String::as_str)
    }

    /// The parsed `<name>/.zarray` of an array (`"COH"`, `"latitude"`).
    pub fn array_metadata(&self, name: &str) -> Option<&ArrayMetadata> {
        self.arrays.get(name)
    }

    /// The values of a coordinate array, decoded from `<dim>/.zarray` and
    /// its inline chunks.
    pub fn coordinate(&self, dim: Dimension) -> Result<ArrayValues, ReaderError> {
        let name = dim.name();
        let meta = self
            .arrays
            .get(name)
            .ok_or(ReaderError::MissingCoordinate(name))?;
        let zarr_error = |source| match source {
            ZarrError::InChunk { index, source } => ReaderError::Zarr {
                key: format!("{name}/{index}"),
                source: *source,
            },
            source => ReaderError::Zarr {
                key: format!("{name}/.zarray"),
                source,
            },
        };
        let count = match (&meta.shape[..], &meta.chunks[..]) {
            ([len], [chunk]) if *len <= zarr::MAX_ARRAY_ELEMENTS => len.div_ceil(*chunk),
            // Not something to collect chunks for; decode_1d says why.
            _ => return zarr::decode_1d(meta, &[]).map_err(zarr_error),
        };
        let mut chunks = Vec::new();
        for index in 0..count {
            let key = format!("{name}/{index}");
            chunks.push(match self.others.get(&key) {
                Some(Stored::Inline(bytes)) => Some(&bytes[..]),
                Some(Stored::Remote { .. }) => return Err(ReaderError::RemoteCoordinate(key)),
                None => None,
            });
        }
        zarr::decode_1d(meta, &chunks).map_err(zarr_error)
    }

    fn variable_chunks(&self, variable: Variable) -> Option<&VariableChunks> {
        self.variables.get(variable.index())
    }

    fn inline_range(
        &self,
        variable: Variable,
    ) -> impl Iterator<Item = (&PackedChunkKey, &Vec<u8>)> + '_ {
        self.inline_chunks
            .range(PackedChunkKey::variable_range(variable))
    }

    fn remote_at<'a>(
        &'a self,
        chunks: &'a VariableChunks,
        position: usize,
    ) -> Option<RemoteRef<'a>> {
        let start = *chunks.url_starts.get(position)?;
        let end = *chunks.url_ends.get(position)?;
        let suffix = self.url_suffixes.get(start as usize..end as usize)?;
        let key = chunks.keys.get(position)?;
        let range = chunks
            .ranges
            .binary_search_by_key(key, |r| r.0)
            .ok()
            .and_then(|i| chunks.ranges.get(i))
            .map(|r| r.1);
        Some(RemoteRef {
            prefix: &self.url_prefix,
            suffix,
            range,
        })
    }
}

/// A chunk reference to add to [`References`] after reading
/// ([`References::add_chunks`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewChunk {
    Inline(Vec<u8>),
    Remote {
        url: String,
        range: Option<ByteRange>,
    },
}

impl References {
    /// Adds data variables' chunk references (those of a parquet record
    /// file, say): a chunk already listed takes the new reference. Costs
    /// time in the number of chunks of the variables touched, not of the
    /// document.
    pub fn add_chunks(
        &mut self,
        chunks: Vec<(PackedChunkKey, NewChunk)>,
    ) -> Result<(), ReaderError> {
        // The last reference of each key wins.
        let mut last: BTreeMap<PackedChunkKey, NewChunk> = BTreeMap::new();
        for (key, chunk) in chunks {
            let variable = key
                .variable()
                .filter(|_| key.unpack().is_some())
                .ok_or_else(|| {
                    packed_error(key, EntryProblem::ChunkKey(ChunkKeyError::OutOfRange))
                })?;
            if !self.arrays.contains_key(variable.name()) {
                return Err(packed_error(
                    key,
                    EntryProblem::NoArrayMetadata(variable.name()),
                ));
            }
            last.insert(key, chunk);
        }
        let mut remote: Vec<(PackedChunkKey, String, Option<ByteRange>)> = Vec::new();
        // Keys whose remote reference (if any) is replaced.
        let mut replaced: BTreeMap<usize, Vec<PackedChunkKey>> = BTreeMap::new();
        for (key, chunk) in last {
            let v = key.variable().map_or(0, Variable::index);
            replaced.entry(v).or_default().push(key);
            match chunk {
                NewChunk::Inline(bytes) => {
                    self.inline_chunks.insert(key, bytes);
                }
                NewChunk::Remote { url, range } => {
                    self.inline_chunks.remove(&key);
                    remote.push((key, url, range));
                }
            }
        }
        if replaced.is_empty() {
            return Ok(());
        }
        let had_chunks = self.variables.iter().any(|c| !c.keys.is_empty());
        let prefix_source = match remote.first() {
            Some((_, url, _)) if !had_chunks => url.clone(),
            _ => self.url_prefix.clone(),
        };
        let mut prefix_len = prefix_source.len();
        for (_, url, _) in &remote {
            prefix_len = prefix_len.min(common_prefix_len(&prefix_source[..prefix_len], url));
        }
        if prefix_len < self.url_prefix.len() || (!had_chunks && !remote.is_empty()) {
            // A shorter prefix: every stored suffix gains what it lost.
            let lost = self
                .url_prefix
                .get(prefix_len..)
                .unwrap_or_default()
                .to_string();
            self.relayout(prefix_source[..prefix_len].to_string(), &lost)?;
        }
        let cut = self.url_prefix.len();
        let to_u32 = |n: usize| u32::try_from(n).map_err(|_| ReaderError::TooLarge);
        // The new suffixes go to the arena's end; the index of each
        // variable touched changes only where its new keys are.
        let mut by_variable: BTreeMap<usize, Vec<AddedChunk>> = BTreeMap::new();
        for (key, url, range) in &remote {
            let v = key.variable().map_or(0, Variable::index);
            let start = to_u32(self.url_suffixes.len())?;
            self.url_suffixes
                .push_str(url.get(cut..).unwrap_or_default());
            let end = to_u32(self.url_suffixes.len())?;
            by_variable
                .entry(v)
                .or_default()
                .push((*key, start, end, *range));
        }
        for (v, gone) in replaced {
            let new = by_variable.remove(&v).unwrap_or_default();
            if let Some(chunks) = self.variables.get_mut(v) {
                self.stale_bytes += chunks.replace(&gone, &new);
            }
        }
        // Replaced chunks leave their suffixes behind in the arena: compact
        // once most of it is stale.
        if self.stale_bytes > self.url_suffixes.len() / 2 + (1 << 20) {
            let prefix = self.url_prefix.clone();
            self.relayout(prefix, "")?;
        }
        Ok(())
    }

    /// Lays every variable's suffixes out again with `prefix`, each suffix
    /// preceded by `lost` (what it lacks relative to the new prefix).
    fn relayout(&mut self, prefix: String, lost: &str) -> Result<(), ReaderError> {
        let mut arena = String::new();
        let mut all = Vec::with_capacity(self.variables.len());
        for chunks in &self.variables {
            let entries = (0..chunks.keys.len()).filter_map(|position| {
                let r = self.remote_at(chunks, position)?;
                Some((chunks.keys[position], r.suffix, r.range))
            });
            let (region, laid_out) = lay_out(arena.len(), lost, entries)?;
            arena.push_str(&region);
            all.push(laid_out);
        }
        self.url_prefix = prefix;
        self.url_suffixes = arena;
        self.stale_bytes = 0;
        for (slot, laid_out) in self.variables.iter_mut().zip(all) {
            *slot = laid_out;
        }
        Ok(())
    }
}

/// A remote chunk while the index is rebuilt: key, URL suffix, range.
type ChunkEntry<'a> = (PackedChunkKey, &'a str, Option<ByteRange>);

/// One variable's chunks (sorted by key, suffixes relative to the prefix,
/// each preceded by `lost`) as an arena region that is to start at byte
/// `start` of the arena, and their index into it.
fn lay_out<'a>(
    start: usize,
    lost: &str,
    entries: impl IntoIterator<Item = ChunkEntry<'a>>,
) -> Result<(String, VariableChunks), ReaderError> {
    let to_u32 = |n: usize| u32::try_from(n).map_err(|_| ReaderError::TooLarge);
    let mut region = String::new();
    let mut chunks = VariableChunks::default();
    for (key, suffix, range) in entries {
        chunks.url_starts.push(to_u32(start + region.len())?);
        region.push_str(lost);
        region.push_str(suffix);
        chunks.keys.push(key);
        chunks.url_ends.push(to_u32(start + region.len())?);
        if let Some(range) = range {
            chunks.ranges.push((key, range));
        }
    }
    Ok((region, chunks))
}

/// Merges two iterators sorted by key; `a` first on equal keys (which the
/// reader never builds).
struct MergeByKey<A: Iterator, B: Iterator> {
    a: Peekable<A>,
    b: Peekable<B>,
}

impl<T, A, B> Iterator for MergeByKey<A, B>
where
    A: Iterator<Item = (PackedChunkKey, T)>,
    B: Iterator<Item = (PackedChunkKey, T)>,
{
    type Item = (PackedChunkKey, T);

    fn next(&mut self) -> Option<Self::Item> {
        match (self.a.peek(), self.b.peek()) {
            (Some(a), Some(b)) if b.0 < a.0 => self.b.next(),
            (Some(_), _) => self.a.next(),
            (None, _) => self.b.next(),
        }
    }
}

// ---------------------------------------------------------------------------
// Keys

enum KeyKind {
    Chunk(ChunkKey),
    Other,
}

/// The packed key of a data variable's chunk key in canonical form
/// (`COH/0.0.1.46.59`), in one pass; `None` for any other key, which
/// [`classify`] reads (and explains, if it is a bad chunk key).
fn plain_chunk_key(key: &str) -> Option<PackedChunkKey> {
    let slash = memchr::memchr(b'/', key.as_bytes())?;
    let variable = Variable::from_name(key.get(..slash)?)?;
    ChunkKey::parse_packed(variable, key.as_bytes().get(slash + 1..)?)
}

/// A data variable's chunk key (`COH/0.0.1.46.59`) or anything else.
fn classify(key: &str) -> Result<KeyKind, EntryProblem> {
    let Some(slash) = memchr::memchr(b'/', key.as_bytes()) else {
        return Ok(KeyKind::Other);
    };
    let (name, rest) = (&key[..slash], &key[slash + 1..]);
    let Some(variable) = Variable::from_name(name) else {
        return Ok(KeyKind::Other);
    };
    // `.zarray`, `.zattrs` and other metadata of the variable.
    if rest.starts_with('.') {
        return Ok(KeyKind::Other);
    }
    let chunk = ChunkKey::parse_indices(variable, rest).map_err(EntryProblem::ChunkKey)?;
    // zarr would never read `COH/00.0.0.45.59`: it asks for `COH/0.0.0.45.59`.
    if rest
        .as_bytes()
        .split(|&b| b == b'.')
        .any(|part| part.len() > 1 && part.first() == Some(&b'0'))
    {
        return Err(EntryProblem::NotCanonical);
    }
    Ok(KeyKind::Chunk(chunk))
}

// ---------------------------------------------------------------------------
// Building the index

/// A data variable's chunk URL while parsing, before the final prefix is
/// known and the keys are sorted.
struct PendingChunk {
    key: PackedChunkKey,
    start: u32,
    end: u32,
}

#[derive(Default)]
struct Builder {
    /// The first error found inside a visitor (serde only carries a string).
    error: Option<ReaderError>,
    version: Option<Value>,
    /// The first version 1 top-level key seen, and the first other one.
    v1_key: Option<&'static str>,
    first_direct_key: Option<String>,
    templates: BTreeMap<String, String>,
    templates_seen: bool,
    /// References whose URL had `{{` before any "templates" were read:
    /// (key, URL as written, range), added at the end, when all templates
    /// are known.
    deferred: Vec<(String, String, Option<ByteRange>)>,
    gen: Vec<Value>,
    /// The first chunk URL, whose first `prefix_len` bytes are the common
    /// prefix of every chunk URL so far.
    prefix_source: Option<String>,
    prefix_len: usize,
    /// (first chunk index, prefix length from then on); the suffixes of
    /// chunks stored earlier lack the bytes the prefix lost since.
    prefix_shrinks: Vec<(u32, usize)>,
    pending: Vec<PendingChunk>,
    suffixes: String,
    ranges: Vec<(u32, ByteRange)>,
    inline_chunks: BTreeMap<PackedChunkKey, Vec<u8>>,
    others: BTreeMap<String, Stored>,
}

impl Builder {
    /// Records the first error and gives serde one to unwind with.
    fn fail<E: de::Error>(&mut self, error: ReaderError) -> E {
        self.error.get_or_insert(error);
        E::custom("invalid reference document")
    }

    fn check<E: de::Error>(&mut self, result: Result<(), ReaderError>) -> Result<(), E> {
        result.map_err(|e| self.fail(e))
    }

    fn add_text(&mut self, key: &str, text: &str) -> Result<(), ReaderError> {
        let bytes = match text.strip_prefix("base64:") {
            Some(b64) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| entry_error(key, EntryProblem::Base64(e.to_string())))?,
            None => text.as_bytes().to_vec(),
        };
        match classify(key).map_err(|p| entry_error(key, p))? {
            KeyKind::Chunk(chunk) => {
                if self.inline_chunks.insert(chunk.pack(), bytes).is_some() {
                    return Err(entry_error(key, EntryProblem::Duplicate));
                }
            }
            KeyKind::Other => self.add_other(key, Stored::Inline(bytes))?,
        }
        Ok(())
    }

    fn add_other(&mut self, key: &str, stored: Stored) -> Result<(), ReaderError> {
        if self.others.insert(key.to_string(), stored).is_some() {
            return Err(entry_error(key, EntryProblem::Duplicate));
        }
        Ok(())
    }

    fn add_url(
        &mut self,
        key: &str,
        url: &str,
        range: Option<ByteRange>,
    ) -> Result<(), ReaderError> {
        // As fsspec: URLs are rendered only when there are templates.
        let url: Cow<str> = if has_template(url) {
            if self.templates_seen && !self.templates.is_empty() {
                let templates = &self.templates;
                let lookup =
                    |name: &str| templates.get(name).map(|s| TemplateValue::Str(s.clone()));
                Cow::Owned(
                    render(url, &lookup)
                        .map_err(|m| entry_error(key, EntryProblem::Template(m)))?,
                )
            } else if !self.templates_seen {
                self.deferred
                    .push((key.to_string(), url.to_string(), range));
                return Ok(());
            } else {
                Cow::Borrowed(url)
            }
        } else {
            Cow::Borrowed(url)
        };
        if let Some(packed) = plain_chunk_key(key) {
            return self.add_chunk_url(packed, &url, range);
        }
        match classify(key).map_err(|p| entry_error(key, p))? {
            KeyKind::Chunk(chunk) => self.add_chunk_url(chunk.pack(), &url, range),
            KeyKind::Other => self.add_other(
                key,
                Stored::Remote {
                    url: url.into_owned(),
                    range,
                },
            ),
        }
    }

    fn add_chunk_url(
        &mut self,
        key: PackedChunkKey,
        url: &str,
        range: Option<ByteRange>,
    ) -> Result<(), ReaderError> {
        let index = u32::try_from(self.pending.len()).map_err(|_| ReaderError::TooLarge)?;
        match &self.prefix_source {
            None => {
                self.prefix_source = Some(url.to_string());
                self.prefix_len = url.len();
                self.prefix_shrinks.push((0, url.len()));
            }
            Some(source) => {
                let prefix = source.get(..self.prefix_len).unwrap_or_default();
                let common = common_prefix_len(prefix, url);
                if common < self.prefix_len {
                    self.prefix_len = common;
                    self.prefix_shrinks.push((index, common));
                }
            }
        }
        let start = self.suffixes.len();
        self.suffixes
            .push_str(url.get(self.prefix_len..).unwrap_or_default());
        let end = u32::try_from(self.suffixes.len()).map_err(|_| ReaderError::TooLarge)?;
        self.pending.push(PendingChunk {
            key,
            start: start as u32,
            end,
        });
        if let Some(range) = range {
            self.ranges.push((index, range));
        }
        Ok(())
    }

    fn set_version(&mut self, value: Value) -> Result<(), ReaderError> {
        if value.as_u64() != Some(1) {
            return Err(ReaderError::Version(value.to_string()));
        }
        self.version = Some(value);
        Ok(())
    }

    fn set_templates(&mut self, value: Value) -> Result<(), ReaderError> {
        let Value::Object(map) = value else {
            return Err(entry_error(
                "templates",
                EntryProblem::Template("expected an object of name → text".into()),
            ));
        };
        let mut templates = BTreeMap::new();
        for (name, text) in map {
            let key = format!("templates.{name}");
            let Value::String(text) = text else {
                return Err(entry_error(
                    &key,
                    EntryProblem::Template("a template must be a string".into()),
                ));
            };
            if text.contains("{{") {
                return Err(entry_error(
                    &key,
                    EntryProblem::Template(
                        "templates that use {{ }} themselves are not supported".into(),
                    ),
                ));
            }
            templates.insert(name, text);
        }
        self.templates = templates;
        self.templates_seen = true;
        Ok(())
    }

    fn set_gen(&mut self, value: Value) -> Result<(), ReaderError> {
        match value {
            Value::Array(entries) => {
                self.gen = entries;
                Ok(())
            }
            other => Err(ReaderError::Gen {
                index: 0,
                problem: format!("\"gen\" must be a list, found {}", json_kind(&other)),
            }),
        }
    }

    fn expand_gen(&mut self) -> Result<(), ReaderError> {
        let gens = std::mem::take(&mut self.gen);
        for (index, entry) in gens.iter().enumerate() {
            self.expand_gen_entry(entry)
                .map_err(|problem| match problem {
                    GenFailure::Gen(problem) => ReaderError::Gen { index, problem },
                    GenFailure::Entry(e) => e,
                })?;
        }
        Ok(())
    }

    fn expand_gen_entry(&mut self, entry: &Value) -> Result<(), GenFailure> {
        let fail = |m: &str| GenFailure::Gen(m.to_string());
        let obj = entry
            .as_object()
            .ok_or_else(|| fail("expected an object with key, url and dimensions"))?;
        let text = |field: &str| -> Result<&str, GenFailure> {
            obj.get(field)
                .and_then(Value::as_str)
                .ok_or_else(|| GenFailure::Gen(format!("\"{field}\" must be a string template")))
        };
        let key_template = text("key")?;
        let url_template = text("url")?;
        let range_templates = match (obj.get("offset"), obj.get("length")) {
            (Some(o), Some(l)) => Some((o, l)),
            (None, None) => None,
            _ => return Err(fail("needs both \"offset\" and \"length\", or neither")),
        };
        let dims = obj
            .get("dimensions")
            .and_then(Value::as_object)
            .ok_or_else(|| fail("\"dimensions\" must be an object"))?;
        let dims = dims
            .iter()
            .map(|(name, spec)| Ok((name.as_str(), GenDimension::parse(name, spec)?)))
            .collect::<Result<Vec<_>, GenFailure>>()?;
        let total = dims
            .iter()
            .try_fold(1u64, |n, (_, d)| n.checked_mul(d.len()))
            .filter(|&n| n <= MAX_GENERATED_REFS)
            .ok_or_else(|| {
                GenFailure::Gen(format!(
                    "generates more than {MAX_GENERATED_REFS} references"
                ))
            })?;
        let mut values = vec![TemplateValue::Int(0); dims.len()];
        for n in 0..total {
            // itertools.product order: the last dimension varies fastest.
            let mut rest = n;
            for ((_, dim), value) in dims.iter().zip(values.iter_mut()).rev() {
                let len = dim.len().max(1);
                *value = dim.get(rest % len);
                rest /= len;
            }
            let templates = &self.templates;
            let lookup = |name: &str| {
                dims.iter()
                    .position(|(n, _)| *n == name)
                    .and_then(|i| values.get(i).cloned())
                    .or_else(|| templates.get(name).map(|s| TemplateValue::Str(s.clone())))
            };
            let render_field = |field: &str, template: &str| {
                render(template, &lookup)
                    .map_err(|m| GenFailure::Gen(format!("{field} {template:?}: {m}")))
            };
            let key = render_field("key", key_template)?;
            let url = render_field("url", url_template)?;
            let range = match range_templates {
                None => None,
                Some((offset, length)) => {
                    let number = |field: &str, v: &Value| -> Result<u64, GenFailure> {
                        match v {
                            Value::Number(n) => n.as_u64(),
                            Value::String(t) => render_field(field, t)?.trim().parse().ok(),
                            _ => None,
                        }
                        .ok_or_else(|| {
                            GenFailure::Gen(format!("{field} must be a non-negative integer"))
                        })
                    };
                    Some(ByteRange {
                        offset: number("offset", offset)?,
                        length: number("length", length)?,
                    })
                }
            };
            self.add_url(&key, &url, range).map_err(GenFailure::Entry)?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<References, ReaderError> {
        if self.version.is_some() {
            if let Some(key) = &self.first_direct_key {
                return Err(entry_error(key, EntryProblem::OutsideRefs));
            }
        } else if let Some(key) = self.v1_key {
            return Err(ReaderError::NeedsVersion1(key));
        }
        // As fsspec, templates apply wherever they come in the document.
        self.templates_seen = true;
        for (key, url, range) in std::mem::take(&mut self.deferred) {
            self.add_url(&key, &url, range)?;
        }
        self.expand_gen()?;

        let (url_prefix, url_suffixes, variables) = self.build_chunk_index()?;
        for packed in self.inline_chunks.keys() {
            let v = packed.variable().map_or(0, Variable::index);
            if let Some(chunks) = variables.get(v) {
                if chunks.keys.binary_search(packed).is_ok() {
                    return Err(packed_error(*packed, EntryProblem::Duplicate));
                }
            }
        }

        let mut arrays = BTreeMap::new();
        for (key, stored) in &self.others {
            let Some(name) = key
                .strip_suffix(".zarray")
                .filter(|n| n.is_empty() || n.ends_with('/'))
            else {
                continue;
            };
            let Stored::Inline(bytes) = stored else {
                return Err(entry_error(key, EntryProblem::RemoteMetadata));
            };
            let meta = ArrayMetadata::from_json(bytes).map_err(|source| ReaderError::Zarr {
                key: key.clone(),
                source,
            })?;
            arrays.insert(name.trim_end_matches('/').to_string(), meta);
        }

        for variable in Variable::ALL {
            let has_chunks = variables
                .get(variable.index())
                .and_then(|c| c.keys.first().copied())
                .or_else(|| {
                    self.inline_chunks
                        .range(PackedChunkKey::variable_range(variable))
                        .next()
                        .map(|(k, _)| *k)
                });
            match arrays.get(variable.name()) {
                Some(meta) => {
                    check_model(variable, meta).map_err(|problem| ReaderError::Model {
                        key: format!("{variable}/.zarray"),
                        problem,
                    })?;
                    let zattrs = format!("{variable}/.zattrs");
                    if let Some(Stored::Inline(bytes)) = self.others.get(&zattrs) {
                        check_dimensions(variable, bytes).map_err(|problem| {
                            ReaderError::Model {
                                key: zattrs,
                                problem,
                            }
                        })?;
                    }
                }
                None => {
                    if let Some(first) = has_chunks {
                        return Err(packed_error(
                            first,
                            EntryProblem::NoArrayMetadata(variable.name()),
                        ));
                    }
                }
            }
        }

        Ok(References {
            version: if self.version.is_some() { 1 } else { 0 },
            url_prefix,
            url_suffixes,
            variables,
            stale_bytes: 0,
            inline_chunks: self.inline_chunks,
            others: self.others,
            arrays,
        })
    }

    /// Sorts the chunk URLs by key into the final arena, relative to the
    /// final common prefix, one group per variable.
    fn build_chunk_index(&mut self) -> Result<(String, String, [VariableChunks; 7]), ReaderError> {
        let pending = std::mem::take(&mut self.pending);
        let mut suffixes = std::mem::take(&mut self.suffixes);
        let source = self.prefix_source.take().unwrap_or_default();
        let final_len = self.prefix_len;
        let prefix = source.get(..final_len).unwrap_or_default().to_string();
        let shrinks = std::mem::take(&mut self.prefix_shrinks);
        // What a URL stored as pending[i] lacks: the bytes the prefix lost
        // after it was stored.
        let lost = |i: u32| {
            let stored_len = shrinks
                .partition_point(|s| s.0 <= i)
                .checked_sub(1)
                .and_then(|s| shrinks.get(s))
                .map_or(final_len, |s| s.1);
            source.get(final_len..stored_len).unwrap_or_default()
        };
        let suffix = |p: &PendingChunk| {
            suffixes
                .get(p.start as usize..p.end as usize)
                .unwrap_or_default()
        };
        let to_u32 = |n: usize| u32::try_from(n).map_err(|_| ReaderError::TooLarge);

        // The order of the keys, and the final arena with where each URL ends.
        let sorted = pending.windows(2).all(|w| w[0].key < w[1].key);
        // The prefix stops shrinking after a few URLs: only those before the
        // last shrink change, so a sorted document keeps its arena in place.
        let unchanged_from = shrinks.last().map_or(0, |s| s.0 as usize);
        let head_end = pending
            .get(unchanged_from)
            .map_or(suffixes.len(), |p| p.start as usize);
        let (order, arena, ends) = if sorted && suffixes.is_char_boundary(head_end) {
            let mut head = String::new();
            let mut ends = Vec::with_capacity(pending.len());
            for (i, p) in pending.iter().enumerate().take(unchanged_from) {
                head.push_str(lost(i as u32));
                head.push_str(suffix(p));
                ends.push(to_u32(head.len())?);
            }
            let tail_start = head.len();
            let mut arena = std::mem::take(&mut suffixes);
            arena.replace_range(..head_end, &head);
            for p in pending.get(unchanged_from..).unwrap_or_default() {
                ends.push(to_u32(p.end as usize - head_end + tail_start)?);
            }
            (None, arena, ends)
        } else {
            let mut order: Vec<u32> = (0..to_u32(pending.len())?).collect();
            order.sort_by_key(|&i| pending.get(i as usize).map(|p| p.key));
            for w in order.windows(2) {
                let (a, b) = (pending.get(w[0] as usize), pending.get(w[1] as usize));
                if let (Some(a), Some(b)) = (a, b) {
                    if a.key == b.key {
                        return Err(packed_error(a.key, EntryProblem::Duplicate));
                    }
                }
            }
            let mut arena = String::with_capacity(suffixes.len() + source.len());
            let mut ends = Vec::with_capacity(pending.len());
            for &i in &order {
                if let Some(p) = pending.get(i as usize) {
                    arena.push_str(lost(i));
                    arena.push_str(suffix(p));
                }
                ends.push(to_u32(arena.len())?);
            }
            (Some(order), arena, ends)
        };
        drop(suffixes);

        let mut variables: [VariableChunks; 7] = Default::default();
        let mut previous_end = 0;
        for (position, &end) in ends.iter().enumerate() {
            let i = order
                .as_ref()
                .map_or(Some(position as u32), |o| o.get(position).copied());
            let Some((i, chunk)) = i.and_then(|i| Some((i, pending.get(i as usize)?))) else {
                continue;
            };
            let v = chunk.key.variable().map_or(0, Variable::index);
            let Some(chunks) = variables.get_mut(v) else {
                continue;
            };
            if let Ok(r) = self.ranges.binary_search_by_key(&i, |r| r.0) {
                if let Some(range) = self.ranges.get(r) {
                    chunks.ranges.push((chunk.key, range.1));
                }
            }
            chunks.keys.push(chunk.key);
            chunks.url_starts.push(previous_end);
            chunks.url_ends.push(end);
            previous_end = end;
        }
        Ok((prefix, arena, variables))
    }
}

enum GenFailure {
    Gen(String),
    Entry(ReaderError),
}

fn packed_error(key: PackedChunkKey, problem: EntryProblem) -> ReaderError {
    let key = key
        .unpack()
        .map_or_else(|| format!("{key:?}"), |k| k.to_string());
    ReaderError::Entry { key, problem }
}

/// Whether `url` has `{{` (quickly: a million URLs have none).
fn has_template(url: &str) -> bool {
    let bytes = url.as_bytes();
    memchr::memchr_iter(b'{', bytes).any(|i| bytes.get(i + 1) == Some(&b'{'))
}

/// Length of the longest common prefix of `a` and `b` that ends on a
/// character boundary.
fn common_prefix_len(a: &str, b: &str) -> usize {
    if b.starts_with(a) {
        return a.len();
    }
    let mut n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    while !b.is_char_boundary(n) {
        n -= 1;
    }
    n
}

fn check_model(variable: Variable, meta: &ArrayMetadata) -> Result<(), ModelMismatch> {
    if meta.shape != variable.shape() {
        return Err(ModelMismatch::Shape {
            found: meta.shape.clone(),
            expected: variable.shape(),
        });
    }
    if meta.chunks != variable.chunks() {
        return Err(ModelMismatch::Chunks {
            found: meta.chunks.clone(),
            expected: variable.chunks(),
        });
    }
    if DType::from_zarr(&meta.dtype) != Some(variable.dtype()) {
        return Err(ModelMismatch::DType {
            found: meta.dtype.clone(),
            expected: variable.dtype().zarr(),
        });
    }
    if !meta.fill_value_is_zero() {
        return Err(ModelMismatch::FillValue(meta.fill_value.to_string()));
    }
    match meta.compressor_id() {
        Some(TIFF_COMPRESSOR) => {}
        Some(other) => return Err(ModelMismatch::Compressor(format!("{other:?}"))),
        None => return Err(ModelMismatch::Compressor("null".into())),
    }
    let filters = meta.filter_ids();
    if !filters.is_empty() {
        return Err(ModelMismatch::Filters(
            filters.into_iter().map(String::from).collect(),
        ));
    }
    if meta.order != "C" {
        return Err(ModelMismatch::Order(meta.order.clone()));
    }
    match meta.dimension_separator.as_deref() {
        None | Some(".") => Ok(()),
        Some(other) => Err(ModelMismatch::DimensionSeparator(other.to_string())),
    }
}

/// Checks `_ARRAY_DIMENSIONS` in a data variable's `.zattrs`, which is how
/// xarray names the dimensions.
fn check_dimensions(variable: Variable, zattrs: &[u8]) -> Result<(), ModelMismatch> {
    let expected: Vec<&'static str> = variable.dimensions().iter().map(|d| d.name()).collect();
    let found = serde_json::from_slice::<Value>(zattrs)
        .ok()
        .and_then(|v| v.get("_ARRAY_DIMENSIONS").cloned());
    match found {
        // No attribute (or no JSON) is for xarray to complain about.
        None => Ok(()),
        Some(found) if found == serde_json::json!(expected) => Ok(()),
        Some(found) => Err(ModelMismatch::Dimensions {
            found: found.to_string(),
            expected,
        }),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

// ---------------------------------------------------------------------------
// Streaming deserialisation: the top-level map entry by entry.

/// Visitor methods for the JSON kinds a visitor does not accept: each records
/// what was found through `self.reject(kind)`.
macro_rules! reject {
    ($($method:ident($($arg:ty)?) => $kind:literal),* $(,)?) => {
        $(
            fn $method<E: de::Error>(self, $(_: $arg)?) -> Result<Self::Value, E> {
                Err(self.reject($kind))
            }
        )*
    };
}

macro_rules! reject_collections {
    () => {
        fn visit_seq<S: SeqAccess<'de>>(self, _: S) -> Result<Self::Value, S::Error> {
            Err(self.reject("a list"))
        }
        fn visit_map<M: MapAccess<'de>>(self, _: M) -> Result<Self::Value, M::Error> {
            Err(self.reject("an object"))
        }
    };
}

/// The value of one reference.
struct Entry<'b, 'k> {
    b: &'b mut Builder,
    key: &'k str,
}

impl Entry<'_, '_> {
    fn reject<E: de::Error>(self, found: &'static str) -> E {
        self.b
            .fail(entry_error(self.key, EntryProblem::WrongType(found)))
    }
}

impl<'de> DeserializeSeed<'de> for Entry<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Entry<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, [url] or [url, offset, length]")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        let result = self.b.add_text(self.key, v);
        self.b.check(result)
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        let (b, key) = (self.b, self.key);
        let Some(url) = seq.next_element_seed(UrlSeed { b: &mut *b, key })? else {
            return Err(b.fail(entry_error(key, EntryProblem::Arity(0))));
        };
        let range = match seq.next_element::<Value>()? {
            None => None,
            Some(offset) => {
                let Some(length) = seq.next_element::<Value>()? else {
                    return Err(b.fail(entry_error(key, EntryProblem::Arity(2))));
                };
                let mut extra = 0;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    extra += 1;
                }
                if extra > 0 {
                    return Err(b.fail(entry_error(key, EntryProblem::Arity(3 + extra))));
                }
                match (offset.as_u64(), length.as_u64()) {
                    (Some(offset), Some(length)) => Some(ByteRange { offset, length }),
                    _ => {
                        let found = format!("{offset}, {length}");
                        return Err(b.fail(entry_error(key, EntryProblem::Range(found))));
                    }
                }
            }
        };
        let result = b.add_url(key, &url, range);
        b.check(result)
    }

    reject!(
        visit_bool(bool) => "a boolean",
        visit_i64(i64) => "a number",
        visit_u64(u64) => "a number",
        visit_f64(f64) => "a number",
        visit_unit() => "null",
    );

    fn visit_map<M: MapAccess<'de>>(self, _: M) -> Result<(), M::Error> {
        Err(self.reject("an object"))
    }
}

/// The URL of `[url, ...]`, borrowed from the input unless it has escapes.
struct UrlSeed<'b, 'k> {
    b: &'b mut Builder,
    key: &'k str,
}

impl UrlSeed<'_, '_> {
    fn reject<E: de::Error>(self, found: &'static str) -> E {
        self.b
            .fail(entry_error(self.key, EntryProblem::UrlType(found)))
    }
}

impl<'de> DeserializeSeed<'de> for UrlSeed<'_, '_> {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UrlSeed<'_, '_> {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a URL")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }

    reject!(
        visit_bool(bool) => "a boolean",
        visit_i64(i64) => "a number",
        visit_u64(u64) => "a number",
        visit_f64(f64) => "a number",
        visit_unit() => "null",
    );
    reject_collections!();
}

// ---------------------------------------------------------------------------
// Templates: `{{ name }}` and integer arithmetic, the part of jinja that
// kerchunk's "gen" entries use.

#[derive(Debug, Clone, PartialEq)]
enum TemplateValue {
    Int(i64),
    Str(String),
}

impl fmt::Display for TemplateValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateValue::Int(n) => write!(f, "{n}"),
            TemplateValue::Str(s) => f.write_str(s),
        }
    }
}

/// One dimension of a "gen" entry: a Python `range` or a list of values.
enum GenDimension {
    Range { start: i64, step: i64, len: u64 },
    List(Vec<TemplateValue>),
}

impl GenDimension {
    fn parse(name: &str, spec: &Value) -> Result<GenDimension, GenFailure> {
        let fail = |m: &str| GenFailure::Gen(format!("dimension {name:?}: {m}"));
        match spec {
            Value::Array(items) => items
                .iter()
                .map(|item| match item {
                    Value::String(s) => Ok(TemplateValue::Str(s.clone())),
                    Value::Number(n) => n
                        .as_i64()
                        .map(TemplateValue::Int)
                        .ok_or_else(|| fail("list values must be integers or strings")),
                    _ => Err(fail("list values must be integers or strings")),
                })
                .collect::<Result<_, _>>()
                .map(GenDimension::List),
            Value::Object(range) => {
                let int = |field: &str, default: Option<i64>| match range.get(field) {
                    None => default.ok_or_else(|| fail(&format!("a range needs \"{field}\""))),
                    Some(v) => v
                        .as_i64()
                        .ok_or_else(|| fail(&format!("\"{field}\" must be an integer"))),
                };
                let start = int("start", Some(0))?;
                let stop = int("stop", None)?;
                let step = int("step", Some(1))?;
                if step == 0 {
                    return Err(fail("\"step\" must not be 0"));
                }
                // Python's len(range(start, stop, step)), in i128 to avoid overflow.
                let (span, step_abs) = (stop as i128 - start as i128, (step as i128).abs());
                let span = if step > 0 { span } else { -span };
                let len = if span <= 0 {
                    0
                } else {
                    (span + step_abs - 1) / step_abs
                };
                Ok(GenDimension::Range {
                    start,
                    step,
                    len: u64::try_from(len).unwrap_or(u64::MAX),
                })
            }
            _ => Err(fail("must be a list or {\"start\", \"stop\", \"step\"}")),
        }
    }

    fn len(&self) -> u64 {
        match self {
            GenDimension::Range { len, .. } => *len,
            GenDimension::List(items) => items.len() as u64,
        }
    }

    /// The value at `i < len()`.
    fn get(&self, i: u64) -> TemplateValue {
        match self {
            // start + i·step stays between start and stop, so in i64.
            GenDimension::Range { start, step, .. } => {
                TemplateValue::Int((*start as i128 + i as i128 * *step as i128) as i64)
            }
            GenDimension::List(items) => items
                .get(i as usize)
                .cloned()
                .unwrap_or(TemplateValue::Int(0)),
        }
    }
}

/// Renders `{{ expression }}` parts of a template.
fn render(
    template: &str,
    lookup: &dyn Fn(&str) -> Option<TemplateValue>,
) -> Result<String, String> {
    if template.contains("{%") || template.contains("{#") {
        return Err("jinja statements and comments ({% %}, {# #}) are not supported".into());
    }
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let inner = &rest[open + 2..];
        let close = inner.find("}}").ok_or("{{ without }}")?;
        let expression = &inner[..close];
        let value =
            evaluate(expression, lookup).map_err(|m| format!("in {{{{{expression}}}}}: {m}"))?;
        out.push_str(&value.to_string());
        rest = &inner[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Token<'a> {
    Int(i64),
    Name(&'a str),
    Plus,
    Minus,
    Times,
    FloorDivide,
    Open,
    Close,
}

fn tokenize(expression: &str) -> Result<Vec<Token<'_>>, String> {
    let mut tokens = Vec::new();
    let bytes = expression.as_bytes();
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        let start = i;
        i += 1;
        tokens.push(match c {
            b' ' | b'\t' | b'\n' | b'\r' => continue,
            b'+' => Token::Plus,
            b'-' => Token::Minus,
            b'*' => Token::Times,
            b'(' => Token::Open,
            b')' => Token::Close,
            b'/' if bytes.get(i) == Some(&b'/') => {
                i += 1;
                Token::FloorDivide
            }
            b'0'..=b'9' => {
                while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                let digits = &expression[start..i];
                Token::Int(digits.parse().map_err(|_| format!("{digits} is too large"))?)
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while bytes
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    i += 1;
                }
                Token::Name(&expression[start..i])
            }
            _ => {
                let rest: String = expression[start..].chars().take(8).collect();
                return Err(format!(
                    "unsupported syntax at {rest:?} (only names, integers, + - * // and parentheses)"
                ));
            }
        });
    }
    Ok(tokens)
}

/// Evaluates a `{{ }}` expression: names, integers, `+ - * //`, parentheses.
fn evaluate(
    expression: &str,
    lookup: &dyn Fn(&str) -> Option<TemplateValue>,
) -> Result<TemplateValue, String> {
    let tokens = tokenize(expression)?;
    let mut parser = ExpressionParser {
        tokens: &tokens,
        at: 0,
        lookup,
        depth: 0,
    };
    let value = parser.sum()?;
    if parser.at != tokens.len() {
        return Err("unexpected text after the expression".into());
    }
    Ok(value)
}

struct ExpressionParser<'t, 'a> {
    tokens: &'t [Token<'a>],
    at: usize,
    lookup: &'t dyn Fn(&str) -> Option<TemplateValue>,
    /// Parentheses and signs nest; bounded so input cannot overflow the stack.
    depth: usize,
}

const MAX_EXPRESSION_DEPTH: usize = 64;

fn int(value: TemplateValue) -> Result<i64, String> {
    match value {
        TemplateValue::Int(n) => Ok(n),
        TemplateValue::Str(s) => Err(format!("arithmetic on the text {s:?}")),
    }
}

impl<'a> ExpressionParser<'_, 'a> {
    fn peek(&self) -> Option<Token<'a>> {
        self.tokens.get(self.at).copied()
    }

    fn sum(&mut self) -> Result<TemplateValue, String> {
        let mut value = self.product()?;
        while let Some(op @ (Token::Plus | Token::Minus)) = self.peek() {
            self.at += 1;
            let (a, b) = (int(value)?, int(self.product()?)?);
            let result = if op == Token::Plus {
                a.checked_add(b)
            } else {
                a.checked_sub(b)
            };
            value = TemplateValue::Int(result.ok_or("integer overflow")?);
        }
        Ok(value)
    }

    fn product(&mut self) -> Result<TemplateValue, String> {
        let mut value = self.unary()?;
        while let Some(op @ (Token::Times | Token::FloorDivide)) = self.peek() {
            self.at += 1;
            let (a, b) = (int(value)?, int(self.unary()?)?);
            let result = if op == Token::Times {
                a.checked_mul(b).ok_or("integer overflow")?
            } else {
                floor_divide(a, b)?
            };
            value = TemplateValue::Int(result);
        }
        Ok(value)
    }

    fn unary(&mut self) -> Result<TemplateValue, String> {
        self.depth += 1;
        if self.depth > MAX_EXPRESSION_DEPTH {
            return Err("expression nested too deeply".into());
        }
        let value = match self.peek() {
            Some(Token::Minus) => {
                self.at += 1;
                let n = int(self.unary()?)?;
                TemplateValue::Int(n.checked_neg().ok_or("integer overflow")?)
            }
            Some(Token::Plus) => {
                self.at += 1;
                TemplateValue::Int(int(self.unary()?)?)
            }
            _ => self.primary()?,
        };
        self.depth -= 1;
        Ok(value)
    }

    fn primary(&mut self) -> Result<TemplateValue, String> {
        let token = self.peek().ok_or("expected a name or a number")?;
        self.at += 1;
        match token {
            Token::Int(n) => Ok(TemplateValue::Int(n)),
            Token::Name(name) => {
                (self.lookup)(name).ok_or_else(|| format!("unknown name {name:?}"))
            }
            Token::Open => {
                let value = self.sum()?;
                if self.peek() != Some(Token::Close) {
                    return Err("missing )".into());
                }
                self.at += 1;
                Ok(value)
            }
            _ => Err("expected a name or a number".into()),
        }
    }
}

/// Python's `//`: rounds toward negative infinity.
fn floor_divide(a: i64, b: i64) -> Result<i64, String> {
    if b == 0 {
        return Err("division by zero".into());
    }
    let q = a.checked_div(b).ok_or("integer overflow")?;
    Ok(if a % b != 0 && ((a < 0) != (b < 0)) {
        q - 1
    } else {
        q
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_documents_are_recognised_by_their_magic() {
        use std::io::Write;
        let json = include_bytes!("../../../tests/fixtures/small_refs.json");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(json).unwrap();
        let gz = gz.finish().unwrap();
        let plain = References::from_bytes(json).unwrap();
        let unzipped = References::from_bytes(&gz).unwrap();
        assert_eq!(
            plain.variables().collect::<Vec<_>>(),
            unzipped.variables().collect::<Vec<_>>()
        );
        for v in plain.variables() {
            assert_eq!(plain.chunk_count(v), unzipped.chunk_count(v));
        }
        let cut = References::from_bytes(&gz[..gz.len() / 2]).unwrap_err();
        assert!(matches!(cut, ReaderError::Gzip(_)), "{cut}");
    }

    /// Both ways of finding the layers in a box agree with looking at
    /// every chunk.
    #[test]
    fn layers_in_probes_and_scans_alike() {
        let json = include_bytes!("../../../tests/fixtures/small_refs.json");
        let refs = References::from_json(json).unwrap();
        let mut checked = 0;
        for variable in refs.variables().collect::<Vec<_>>() {
            let tiles: Vec<Tile> = refs.chunks(variable).map(|(k, _)| k.tile).collect();
            let (Some(first), Some(last)) = (tiles.iter().min(), tiles.iter().max()) else {
                continue;
            };
            let r0 = first.lat_index().saturating_sub(1);
            for (rows, columns) in [
                (0..160, 0..360),
                (r0..r0 + 2, first.lon_index()..first.lon_index() + 1),
                (last.lat_index()..last.lat_index() + 1, 0..360),
                (r0..r0 + 1, 0..1),
                (5..5, 0..360),
            ] {
                let mut brute: Vec<Layer> = refs
                    .chunks(variable)
                    .filter(|(k, _)| {
                        rows.contains(&k.tile.lat_index()) && columns.contains(&k.tile.lon_index())
                    })
                    .map(|(k, _)| k.layer)
                    .collect();
                brute.sort();
                brute.dedup();
                for probe in [true, false] {
                    let found = refs.layers_in_by(variable, rows.clone(), columns.clone(), probe);
                    assert_eq!(
                        found, brute,
                        "{variable} {rows:?} {columns:?} probe {probe}"
                    );
                }
                assert_eq!(
                    refs.layers_in(variable, rows.clone(), columns.clone()),
                    brute
                );
                checked += brute.len();
            }
        }
        assert!(checked > 10, "{checked}");
    }

    fn eval(expression: &str) -> Result<TemplateValue, String> {
        let lookup = |name: &str| match name {
            "i" => Some(TemplateValue::Int(7)),
            "s" => Some(TemplateValue::Str("abc".into())),
            _ => None,
        };
        evaluate(expression, &lookup)
    }

    #[test]
    fn expressions_follow_python_integer_arithmetic() {
        assert_eq!(eval("i"), Ok(TemplateValue::Int(7)));
        assert_eq!(eval(" s "), Ok(TemplateValue::Str("abc".into())));
        assert_eq!(eval("i * 10 + 5"), Ok(TemplateValue::Int(75)));
        assert_eq!(eval("(i + 1) * 2 - 3"), Ok(TemplateValue::Int(13)));
        assert_eq!(eval("-i // 2"), Ok(TemplateValue::Int(-4)));
        assert_eq!(eval("i // -2"), Ok(TemplateValue::Int(-4)));
        assert_eq!(eval("i // 2"), Ok(TemplateValue::Int(3)));
        assert_eq!(eval("--i"), Ok(TemplateValue::Int(7)));
        for bad in [
            "i / 2",
            "i % 2",
            "s + 1",
            "x",
            "i //",
            "(i",
            "i)",
            "",
            "99999999999999999999",
            "9223372036854775807 + 1",
            "i // 0",
            "s|upper",
        ] {
            assert!(eval(bad).is_err(), "{bad}");
        }
        assert!(eval(&"(".repeat(1000)).is_err());
        assert!(eval(&"-".repeat(1000)).is_err());
    }

    #[test]
    fn templates_render_names_and_keep_other_text() {
        let lookup = |name: &str| (name == "u").then(|| TemplateValue::Str("http://x".into()));
        assert_eq!(
            render("{{u}}/a/{{ 2*3 }}.tif", &lookup).unwrap(),
            "http://x/a/6.tif"
        );
        assert_eq!(render("plain }} text", &lookup).unwrap(), "plain }} text");
        assert!(render("{{u", &lookup).is_err());
        assert!(render("{% for %}", &lookup).is_err());
    }

    /// A record file at a time: each costs its own chunks, and the arena
    /// of URL suffixes stays bounded when the same chunks are replaced
    /// over and over (their old suffixes are compacted away).
    #[test]
    fn added_chunks_grow_the_index_in_place_and_replacements_are_compacted() {
        let json = include_bytes!("../../../tests/fixtures/small_refs.json");
        let mut refs = References::from_json(json).unwrap();
        let before = refs.chunk_count(Variable::Coh);
        let key = |n: u32| PackedChunkKey::from_linear(Variable::Coh, 3_000_000 + n).unwrap();
        let url = |round: usize, n: u32| {
            format!(
                "https://bucket.example/data/tiles/round-{round:03}/{}.tif",
                "x".repeat(2000 + n as usize)
            )
        };
        for round in 0..40 {
            let chunks = (0..100)
                .map(|n| {
                    let range = (n % 3 == 0).then_some(ByteRange {
                        offset: u64::from(n),
                        length: 7,
                    });
                    (
                        key(n),
                        NewChunk::Remote {
                            url: url(round, n),
                            range,
                        },
                    )
                })
                .collect();
            refs.add_chunks(chunks).unwrap();
            assert_eq!(refs.chunk_count(Variable::Coh), before + 100);
            for n in [0, 1, 3, 50, 99] {
                let Some(ChunkRef::Remote(r)) = refs.chunk(key(n).unpack().unwrap()) else {
                    panic!("chunk {n} of round {round} is missing");
                };
                assert_eq!(r.url(), url(round, n));
                assert_eq!(
                    r.range.map(|r| r.offset),
                    (n % 3 == 0).then_some(u64::from(n))
                );
            }
            // Live suffixes are about 100 × 2.1 KB; without compaction the
            // arena would hold every round's (8 MB by round 40).
            assert!(refs.url_suffixes.len() < 3 << 20, "round {round}");
        }
        assert!(refs.stale_bytes < refs.url_suffixes.len() / 2 + (1 << 20));
        // The document's own chunks came through every relayout.
        let original = References::from_json(json).unwrap();
        for (k, r) in original.chunks(Variable::Coh) {
            let ChunkRef::Remote(want) = r else { continue };
            let Some(ChunkRef::Remote(got)) = refs.chunk(k) else {
                panic!("{k} lost");
            };
            assert_eq!((got.url(), got.range), (want.url(), want.range));
        }
    }

    #[test]
    fn common_prefixes_end_on_character_boundaries() {
        assert_eq!(common_prefix_len("abc", "abd"), 2);
        assert_eq!(common_prefix_len("aé", "aè"), 1);
        assert_eq!(common_prefix_len("", "x"), 0);
        assert_eq!(common_prefix_len("same", "same"), 4);
    }
}
