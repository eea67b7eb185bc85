//! The one message protocol between the page and its decoder workers: a
//! [`Request`] enum (page → worker) and a [`Reply`] enum (worker → page),
//! each with one conversion to and from a JavaScript message, used by both
//! sides. A message is a plain object with a `type` field; buffers in it
//! are transferred, not copied.
//!
//! Jobs: fetch and decode a tile, read the strip holding one row of a
//! tile by byte ranges, read tiles of an overview COG by one byte range,
//! decode a tile's bytes, read a reference document
//! (its text comes back in pieces), read TopoJSON coastlines.
//! Every job has an id; its last reply is a result, `cancelled` or
//! `failed`.

use std::fmt;

use js_sys::{Array, ArrayBuffer, Object, Reflect};
use tessera_core::cog::{CogCompression, TileFormat};
use tessera_core::DType;
use wasm_bindgen::{JsCast, JsValue};

/// A job's number, given by the page.
pub type JobId = u32;

/// What the page asks of a worker.
#[derive(Debug, Clone)]
pub enum Request {
    /// Fetch a file (or the byte range `(offset, length)` of it) and
    /// decode it as a tile of `dtype`.
    FetchTile {
        id: JobId,
        url: String,
        range: Option<(u64, u64)>,
        dtype: DType,
    },
    /// Read the strip holding image row `row` of the tile at `url` (or in
    /// the byte range `(offset, length)` of it) by Range requests.
    ReadRows {
        id: JobId,
        url: String,
        range: Option<(u64, u64)>,
        dtype: DType,
        row: u32,
    },
    /// Read the bytes `offset..offset + length` of the COG at `url` with
    /// one Range request and decode the tiles in it: (tile index, offset
    /// in the read, byte count), each a tile of `format`.
    ReadCogTiles {
        id: JobId,
        url: String,
        offset: u64,
        length: u64,
        format: TileFormat,
        tiles: Vec<(u32, u32, u32)>,
    },
    /// Decode these bytes (transferred) as a tile of `dtype`.
    DecodeTile {
        id: JobId,
        bytes: ArrayBuffer,
        dtype: DType,
    },
    /// Read the reference document at `url` (decompressing gzip), sending
    /// its text in pieces.
    ReadDocument { id: JobId, url: String },
    /// Read the coastlines of this TopoJSON document (transferred).
    ReadCoastlines { id: JobId, json: ArrayBuffer },
    /// Compress an export's GeoTIFF tile (its raw bytes, transferred)
    /// with `tessera_core::export::compress_tile`.
    Deflate { id: JobId, raw: ArrayBuffer },
    /// Stop job `id`'s download.
    Cancel { id: JobId },
}

/// How a job failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Its download failed (network, HTTP status, CORS).
    Fetch,
    /// Its bytes are not what they claim (not a GeoTIFF, damaged gzip,
    /// not TopoJSON).
    Invalid,
}

/// What a worker tells the page.
#[derive(Debug, Clone)]
pub enum Reply {
    /// The worker listens for jobs.
    Ready,
    /// Job `id`'s file is in (`bytes` long): its connection is free.
    Fetched { id: JobId, bytes: u32 },
    /// Job `id` asked for a range and the server sent the whole file: it
    /// is decoded whole (a `tile` follows).
    RangeIgnored { id: JobId },
    /// Job `id`'s strip: `rows` rows of `width` values from image row
    /// `first_row` (transferred), read with `requests` Range requests of
    /// `bytes` in all.
    Rows {
        id: JobId,
        first_row: u32,
        rows: u32,
        width: u32,
        values: ArrayBuffer,
        dtype: DType,
        bytes: u32,
        requests: u32,
    },
    /// Job `id`'s tile, its pixels (transferred) as `dtype`, decoded in
    /// `decode_ms`.
    Tile {
        id: JobId,
        pixels: ArrayBuffer,
        dtype: DType,
        decode_ms: f64,
    },
    /// Job `id`'s COG tiles, in the order asked: each tile's values (DN,
    /// width × height of the format), one after the other (transferred);
    /// `bytes` read, `whole` when the server ignored the Range request.
    CogTiles {
        id: JobId,
        values: ArrayBuffer,
        bytes: u32,
        whole: bool,
        decode_ms: f64,
    },
    /// A piece of job `id`'s document text (transferred); `loaded` and
    /// `total` count the bytes received and expected (compressed, for
    /// gzip).
    Text {
        id: JobId,
        text: ArrayBuffer,
        loaded: u64,
        total: Option<u64>,
    },
    /// Job `id`'s document is read to its end.
    DocumentRead {
        id: JobId,
        gzip: bool,
        inflate_ms: f64,
    },
    /// Job `id`'s coastlines, packed by `topojson::pack_lines`
    /// (transferred).
    Coastlines { id: JobId, packed: ArrayBuffer },
    /// Job `id`'s tile compressed (transferred).
    Deflated { id: JobId, bytes: ArrayBuffer },
    /// Job `id` was cancelled before it ended.
    Cancelled { id: JobId },
    /// Job `id` failed: why, for the user.
    Failed {
        id: JobId,
        failure: Failure,
        reason: String,
    },
}

impl Reply {
    /// The job the reply is about (`None` for [`Reply::Ready`]).
    pub fn id(&self) -> Option<JobId> {
        match self {
            Reply::Ready => None,
            Reply::RangeIgnored { id } | Reply::Rows { id, .. } => Some(*id),
            Reply::Fetched { id, .. }
            | Reply::Tile { id, .. }
            | Reply::CogTiles { id, .. }
            | Reply::Text { id, .. }
            | Reply::DocumentRead { id, .. }
            | Reply::Coastlines { id, .. }
            | Reply::Deflated { id, .. }
            | Reply::Cancelled { id }
            | Reply::Failed { id, .. } => Some(*id),
        }
    }

    /// Whether this is a job's last reply.
    pub fn is_last(&self) -> bool {
        !matches!(
            self,
            Reply::Ready | Reply::Fetched { .. } | Reply::Text { .. } | Reply::RangeIgnored { .. }
        )
    }
}

/// A message that is not one of the protocol's.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtocolError(String);

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a decoder message: {}", self.0)
    }
}

/// A message being written: its fields, and the buffer to transfer.
struct Out {
    message: Object,
    transfer: Option<ArrayBuffer>,
}

impl Out {
    fn new(kind: &str) -> Out {
        let out = Out {
            message: Object::new(),
            transfer: None,
        };
        out.set("type", &JsValue::from_str(kind))
    }

    fn set(self, key: &str, value: &JsValue) -> Out {
        let _ = Reflect::set(&self.message, &JsValue::from_str(key), value);
        self
    }

    fn id(self, id: JobId) -> Out {
        self.set("id", &JsValue::from(id))
    }

    fn number(self, key: &str, value: f64) -> Out {
        self.set(key, &JsValue::from_f64(value))
    }

    /// A file's byte range `(offset, length)`, if there is one.
    fn range(self, range: &Option<(u64, u64)>) -> Out {
        match range {
            Some((offset, length)) => self
                .number("offset", *offset as f64)
                .number("length", *length as f64),
            None => self,
        }
    }

    fn flag(self, key: &str, value: bool) -> Out {
        self.set(key, &JsValue::from_bool(value))
    }

    fn numbers(self, key: &str, values: impl Iterator<Item = f64>) -> Out {
        let array: Array = values.map(JsValue::from_f64).collect();
        self.set(key, &array)
    }

    fn buffer(mut self, key: &str, buffer: &ArrayBuffer) -> Out {
        self = self.set(key, buffer);
        self.transfer = Some(buffer.clone());
        self
    }

    fn done(self) -> Message {
        Message {
            value: self.message.into(),
            transfer: self.transfer,
        }
    }
}

/// A message ready to post: the value, and the buffer to transfer.
pub struct Message {
    pub value: JsValue,
    pub transfer: Option<ArrayBuffer>,
}

impl Message {
    /// The transfer list for `postMessage`.
    pub fn transfer_list(&self) -> Option<Array> {
        self.transfer.as_ref().map(|b| Array::of1(b))
    }
}

/// A message being read.
struct In<'a> {
    value: &'a JsValue,
    kind: String,
}

impl<'a> In<'a> {
    fn new(value: &'a JsValue) -> Result<In<'a>, ProtocolError> {
        let kind = field(value, "type")
            .and_then(|t| t.as_string())
            .ok_or_else(|| ProtocolError("no type".into()))?;
        Ok(In { value, kind })
    }

    fn missing(&self, key: &str) -> ProtocolError {
        ProtocolError(format!("{} without {key}", self.kind))
    }

    fn number(&self, key: &str) -> Result<f64, ProtocolError> {
        field(self.value, key)
            .and_then(|v| v.as_f64())
            .ok_or_else(|| self.missing(key))
    }

    fn optional_number(&self, key: &str) -> Option<f64> {
        field(self.value, key).and_then(|v| v.as_f64())
    }

    fn id(&self) -> Result<JobId, ProtocolError> {
        self.number("id").map(|n| n as JobId)
    }

    fn string(&self, key: &str) -> Result<String, ProtocolError> {
        field(self.value, key)
            .and_then(|v| v.as_string())
            .ok_or_else(|| self.missing(key))
    }

    /// The byte range `(offset, length)` of a file, if the message has one.
    fn range(&self) -> Option<(u64, u64)> {
        self.optional_number("offset")
            .zip(self.optional_number("length"))
            .map(|(o, l)| (o as u64, l as u64))
    }

    fn flag(&self, key: &str) -> bool {
        field(self.value, key).and_then(|v| v.as_bool()) == Some(true)
    }

    fn numbers(&self, key: &str) -> Result<Vec<f64>, ProtocolError> {
        let array = field(self.value, key)
            .and_then(|v| v.dyn_into::<Array>().ok())
            .ok_or_else(|| self.missing(key))?;
        array
            .iter()
            .map(|v| v.as_f64().ok_or_else(|| self.missing(key)))
            .collect()
    }

    fn buffer(&self, key: &str) -> Result<ArrayBuffer, ProtocolError> {
        field(self.value, key)
            .and_then(|v| v.dyn_into::<ArrayBuffer>().ok())
            .ok_or_else(|| self.missing(key))
    }

    fn dtype(&self) -> Result<DType, ProtocolError> {
        DType::from_zarr(&self.string("dtype")?).ok_or_else(|| self.missing("dtype"))
    }
}

fn field(value: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(value, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

impl Request {
    /// The message for `postMessage`.
    pub fn to_message(&self) -> Message {
        match self {
            Request::FetchTile {
                id,
                url,
                range,
                dtype,
            } => Out::new("fetch-tile")
                .id(*id)
                .set("url", &JsValue::from_str(url))
                .set("dtype", &JsValue::from_str(dtype.zarr()))
                .range(range)
                .done(),
            Request::ReadRows {
                id,
                url,
                range,
                dtype,
                row,
            } => Out::new("read-rows")
                .id(*id)
                .set("url", &JsValue::from_str(url))
                .set("dtype", &JsValue::from_str(dtype.zarr()))
                .number("row", f64::from(*row))
                .range(range)
                .done(),
            Request::ReadCogTiles {
                id,
                url,
                offset,
                length,
                format,
                tiles,
            } => Out::new("read-cog-tiles")
                .id(*id)
                .set("url", &JsValue::from_str(url))
                .number("offset", *offset as f64)
                .number("length", *length as f64)
                .number("width", f64::from(format.width))
                .number("height", f64::from(format.height))
                .set("dtype", &JsValue::from_str(format.dtype.zarr()))
                .set("compression", &JsValue::from_str(format.compression.name()))
                .flag("predictor", format.predictor)
                .flag("bigEndian", format.big_endian)
                .numbers(
                    "tiles",
                    tiles
                        .iter()
                        .flat_map(|&(t, at, n)| [t, at, n])
                        .map(f64::from),
                )
                .done(),
            Request::DecodeTile { id, bytes, dtype } => Out::new("decode-tile")
                .id(*id)
                .buffer("bytes", bytes)
                .set("dtype", &JsValue::from_str(dtype.zarr()))
                .done(),
            Request::ReadDocument { id, url } => Out::new("read-document")
                .id(*id)
                .set("url", &JsValue::from_str(url))
                .done(),
            Request::ReadCoastlines { id, json } => Out::new("read-coastlines")
                .id(*id)
                .buffer("json", json)
                .done(),
            Request::Deflate { id, raw } => Out::new("deflate").id(*id).buffer("raw", raw).done(),
            Request::Cancel { id } => Out::new("cancel").id(*id).done(),
        }
    }

    /// The request a message carries.
    pub fn from_message(value: &JsValue) -> Result<Request, ProtocolError> {
        let m = In::new(value)?;
        Ok(match m.kind.as_str() {
            "fetch-tile" => Request::FetchTile {
                id: m.id()?,
                url: m.string("url")?,
                range: m.range(),
                dtype: m.dtype()?,
            },
            "read-rows" => Request::ReadRows {
                id: m.id()?,
                url: m.string("url")?,
                range: m.range(),
                dtype: m.dtype()?,
                row: m.number("row")? as u32,
            },
            "read-cog-tiles" => {
                let compression = match m.string("compression")?.as_str() {
                    "LZW" => CogCompression::Lzw,
                    "DEFLATE" => CogCompression::Deflate,
                    _ => return Err(m.missing("compression")),
                };
                let numbers = m.numbers("tiles")?;
                Request::ReadCogTiles {
                    id: m.id()?,
                    url: m.string("url")?,
                    offset: m.number("offset")? as u64,
                    length: m.number("length")? as u64,
                    format: TileFormat {
                        width: m.number("width")? as u32,
                        height: m.number("height")? as u32,
                        dtype: m.dtype()?,
                        compression,
                        predictor: m.flag("predictor"),
                        big_endian: m.flag("bigEndian"),
                    },
                    tiles: numbers
                        .chunks_exact(3)
                        .map(|t| (t[0] as u32, t[1] as u32, t[2] as u32))
                        .collect(),
                }
            }
            "decode-tile" => Request::DecodeTile {
                id: m.id()?,
                bytes: m.buffer("bytes")?,
                dtype: m.dtype()?,
            },
            "read-document" => Request::ReadDocument {
                id: m.id()?,
                url: m.string("url")?,
            },
            "read-coastlines" => Request::ReadCoastlines {
                id: m.id()?,
                json: m.buffer("json")?,
            },
            "deflate" => Request::Deflate {
                id: m.id()?,
                raw: m.buffer("raw")?,
            },
            "cancel" => Request::Cancel { id: m.id()? },
            other => return Err(ProtocolError(format!("unknown request {other:?}"))),
        })
    }
}

impl Reply {
    /// The message for `postMessage`.
    pub fn to_message(&self) -> Message {
        match self {
            Reply::Ready => Out::new("ready").done(),
            Reply::RangeIgnored { id } => Out::new("range-ignored").id(*id).done(),
            Reply::Rows {
                id,
                first_row,
                rows,
                width,
                values,
                dtype,
                bytes,
                requests,
            } => Out::new("rows")
                .id(*id)
                .number("firstRow", f64::from(*first_row))
                .number("rows", f64::from(*rows))
                .number("width", f64::from(*width))
                .buffer("values", values)
                .set("dtype", &JsValue::from_str(dtype.zarr()))
                .number("bytes", f64::from(*bytes))
                .number("requests", f64::from(*requests))
                .done(),
            Reply::Fetched { id, bytes } => Out::new("fetched")
                .id(*id)
                .number("bytes", f64::from(*bytes))
                .done(),
            Reply::Tile {
                id,
                pixels,
                dtype,
                decode_ms,
            } => Out::new("tile")
                .id(*id)
                .buffer("pixels", pixels)
                .set("dtype", &JsValue::from_str(dtype.zarr()))
                .number("decodeMs", *decode_ms)
                .done(),
            Reply::CogTiles {
                id,
                values,
                bytes,
                whole,
                decode_ms,
            } => Out::new("cog-tiles")
                .id(*id)
                .buffer("values", values)
                .number("bytes", f64::from(*bytes))
                .flag("whole", *whole)
                .number("decodeMs", *decode_ms)
                .done(),
            Reply::Text {
                id,
                text,
                loaded,
                total,
            } => {
                let mut out = Out::new("text")
                    .id(*id)
                    .buffer("text", text)
                    .number("loaded", *loaded as f64);
                if let Some(total) = total {
                    out = out.number("total", *total as f64);
                }
                out.done()
            }
            Reply::DocumentRead {
                id,
                gzip,
                inflate_ms,
            } => Out::new("document-read")
                .id(*id)
                .set("gzip", &JsValue::from_bool(*gzip))
                .number("inflateMs", *inflate_ms)
                .done(),
            Reply::Coastlines { id, packed } => Out::new("coastlines")
                .id(*id)
                .buffer("lines", packed)
                .done(),
            Reply::Deflated { id, bytes } => {
                Out::new("deflated").id(*id).buffer("bytes", bytes).done()
            }
            Reply::Cancelled { id } => Out::new("cancelled").id(*id).done(),
            Reply::Failed {
                id,
                failure,
                reason,
            } => Out::new("failed")
                .id(*id)
                .set("reason", &JsValue::from_str(reason))
                .set("invalid", &JsValue::from_bool(*failure == Failure::Invalid))
                .done(),
        }
    }

    /// The reply a message carries.
    pub fn from_message(value: &JsValue) -> Result<Reply, ProtocolError> {
        let m = In::new(value)?;
        Ok(match m.kind.as_str() {
            "ready" => Reply::Ready,
            "range-ignored" => Reply::RangeIgnored { id: m.id()? },
            "rows" => Reply::Rows {
                id: m.id()?,
                first_row: m.number("firstRow")? as u32,
                rows: m.number("rows")? as u32,
                width: m.number("width")? as u32,
                values: m.buffer("values")?,
                dtype: m.dtype()?,
                bytes: m.number("bytes")? as u32,
                requests: m.number("requests")? as u32,
            },
            "fetched" => Reply::Fetched {
                id: m.id()?,
                bytes: m.number("bytes")? as u32,
            },
            "tile" => Reply::Tile {
                id: m.id()?,
                pixels: m.buffer("pixels")?,
                dtype: m.dtype()?,
                decode_ms: m.optional_number("decodeMs").unwrap_or(0.0),
            },
            "cog-tiles" => Reply::CogTiles {
                id: m.id()?,
                values: m.buffer("values")?,
                bytes: m.number("bytes")? as u32,
                whole: m.flag("whole"),
                decode_ms: m.optional_number("decodeMs").unwrap_or(0.0),
            },
            "text" => Reply::Text {
                id: m.id()?,
                text: m.buffer("text")?,
                loaded: m.number("loaded")? as u64,
                total: m.optional_number("total").map(|t| t as u64),
            },
            "document-read" => Reply::DocumentRead {
                id: m.id()?,
                gzip: m.flag("gzip"),
                inflate_ms: m.optional_number("inflateMs").unwrap_or(0.0),
            },
            "coastlines" => Reply::Coastlines {
                id: m.id()?,
                packed: m.buffer("lines")?,
            },
            "deflated" => Reply::Deflated {
                id: m.id()?,
                bytes: m.buffer("bytes")?,
            },
            "cancelled" => Reply::Cancelled { id: m.id()? },
            "failed" => Reply::Failed {
                id: m.id()?,
                failure: if m.flag("invalid") {
                    Failure::Invalid
                } else {
                    Failure::Fetch
                },
                reason: m.string("reason")?,
            },
            other => return Err(ProtocolError(format!("unknown reply {other:?}"))),
        })
    }
}
