//! The jobs a decoder worker does, written once: a worker runs them on its
//! own thread ([`crate::worker::decoder`]), and the page runs the very same
//! code when no worker can ([`crate::worker::pool`]).
//!
//! * Tiles: the worker fetches the file itself, so that its body is read
//!   on the worker's thread, not the page's (a profile of the cold load
//!   showed the page's thread saturated, a quarter of it reading tile
//!   bodies); the pixels go back transferred.
//! * Reference documents: the download of the full data set's 151 MB JSON
//!   never waits for the page's thread, busy parsing what came before, and
//!   a gzip document is decompressed here while the page parses.
//! * Coastlines: reading the map's TopoJSON took the page's thread 22-27 ms
//!   right after its first view.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{ArrayBuffer, Uint16Array, Uint8Array};
use tessera_core::geotiff::{decode_tile, DecodedTile};
use tessera_core::reader::DocumentText;
use tessera_core::tiff_layout::{LayoutHint, LayoutReader, Step, StripLayout, StripValues};
use tessera_core::DType;
use web_sys::{AbortController, AbortSignal};

use crate::fetch::{fetch_buffer, fetch_in_js_pieces, fetch_range, FetchError};
use crate::time::now;
use crate::worker::protocol::{Failure, JobId, Reply, Request};

/// A document's text goes to the page in pieces of at least this size:
/// each a message for the page to take and a few ms of parsing there.
const TEXT_PIECE: usize = 1 << 20;

/// Bytes of a received piece decompressed at a time.
const INFLATE_STEP: usize = 32 << 10;

/// Layouts of files kept for rows read later (another pin in the same
/// file needs only its strip): at most this many.
const LAYOUTS_KEPT: usize = 512;

/// Range requests one row read may make for a file's layout.
const MAX_LAYOUT_REQUESTS: u32 = 4;

/// Where a job's replies go.
pub type Send = Rc<dyn Fn(Reply)>;

/// The jobs under way in one place (a worker, or the page), with their
/// downloads, so that a `Cancel` can stop them.
#[derive(Default)]
pub struct Jobs {
    fetches: RefCell<HashMap<JobId, AbortController>>,
    /// Strip layouts of files read by row, by URL.
    layouts: RefCell<HashMap<String, Rc<StripLayout>>>,
    /// What the last layout read from a host said of its files, by host
    /// and sample type: its next files are read from one suffix range.
    hints: RefCell<HashMap<(String, DType), LayoutHint>>,
}

impl Jobs {
    /// Does `request`, sending its replies to `send`.
    pub async fn run(self: Rc<Self>, request: Request, send: Send) {
        match request {
            Request::FetchTile {
                id,
                url,
                range,
                dtype,
            } => self.fetch_tile(id, &url, range, dtype, &send).await,
            Request::ReadRows {
                id,
                url,
                range,
                dtype,
                row,
            } => {
                let reply = match self.cancellable(id) {
                    Ok(signal) => {
                        self.read_rows(id, &url, range, dtype, row, &signal, &send)
                            .await
                    }
                    Err(e) => failed(id, Failure::Fetch, e.to_string()),
                };
                self.fetch_done(id);
                send(reply);
            }
            Request::ReadCogTiles {
                id,
                url,
                offset,
                length,
                format,
                tiles,
            } => {
                let reply = match self.cancellable(id) {
                    Ok(signal) => {
                        read_cog_tiles(id, &url, (offset, length), &format, &tiles, &signal).await
                    }
                    Err(e) => failed(id, Failure::Fetch, e.to_string()),
                };
                self.fetch_done(id);
                send(reply);
            }
            Request::DecodeTile { id, bytes, dtype } => send(decode(id, &bytes, dtype)),
            Request::ReadDocument { id, url } => self.read_document(id, &url, &send).await,
            Request::ReadCoastlines { id, json } => send(read_coastlines(id, &json)),
            Request::Deflate { id, raw } => send(Reply::Deflated {
                id,
                bytes: Uint8Array::from(
                    &tessera_core::export::compress_tile(&Uint8Array::new(&raw).to_vec())[..],
                )
                .buffer(),
            }),
            Request::Cancel { id } => self.cancel(id),
        }
    }

    /// Stops job `id`'s download, if it has one under way.
    pub fn cancel(&self, id: JobId) {
        if let Some(controller) = self.fetches.borrow_mut().remove(&id) {
            controller.abort();
        }
    }

    /// A signal that [`Jobs::cancel`] aborts, for job `id`'s download
    /// (call [`Jobs::fetch_done`] when it ends).
    fn cancellable(&self, id: JobId) -> Result<AbortSignal, FetchError> {
        let controller = AbortController::new()
            .map_err(|_| FetchError::Network("the browser cannot make requests".into()))?;
        let signal = controller.signal();
        self.fetches.borrow_mut().insert(id, controller);
        Ok(signal)
    }

    fn fetch_done(&self, id: JobId) {
        self.fetches.borrow_mut().remove(&id);
    }

    async fn fetch_tile(
        &self,
        id: JobId,
        url: &str,
        range: Option<(u64, u64)>,
        dtype: DType,
        send: &Send,
    ) {
        let fetched = match self.cancellable(id) {
            Ok(signal) => fetch_buffer(url, range, &signal).await,
            Err(e) => Err(e),
        };
        self.fetch_done(id);
        send(match fetched {
            Ok(bytes) => {
                send(Reply::Fetched {
                    id,
                    bytes: bytes.byte_length(),
                });
                decode(id, &bytes, dtype)
            }
            Err(FetchError::Aborted) => Reply::Cancelled { id },
            Err(e) => failed(id, Failure::Fetch, e.to_string()),
        });
    }

    /// The strip holding `row` of the tile at `url` (or in the byte range
    /// `range` of it), read by Range requests: the file's layout (kept
    /// for later rows), then the strip. A server that sends the whole
    /// file instead gets it decoded whole.
    #[allow(clippy::too_many_arguments)]
    async fn read_rows(
        &self,
        id: JobId,
        url: &str,
        range: Option<(u64, u64)>,
        dtype: DType,
        row: u32,
        signal: &AbortSignal,
        send: &Send,
    ) -> Reply {
        let (base, chunk_len) = range.map_or((0, None), |(o, l)| (o, Some(l)));
        let (mut bytes, mut requests) = (0u32, 0u32);
        let fetch_error = |e: FetchError| match e {
            FetchError::Aborted => Reply::Cancelled { id },
            e => failed(id, Failure::Fetch, e.to_string()),
        };
        let cached = self.layouts.borrow().get(url).cloned();
        // Hints only for whole files: the end of a file holding many
        // chunks says nothing of where one of them ends.
        let hint_key = (origin(url), dtype);
        let hint = match range {
            None => self.hints.borrow().get(&hint_key).copied(),
            Some(_) => None,
        };
        let layout = match cached {
            Some(layout) => layout,
            None => {
                let mut reader = hint.map_or_else(LayoutReader::new, LayoutReader::with_hint);
                let mut step = reader.next();
                loop {
                    let (offset, length) = match step {
                        Ok(Step::Ready(layout)) => break Rc::new(layout),
                        Ok(Step::Need { offset, length }) => (offset, length),
                        Err(e) => return failed(id, Failure::Invalid, e.to_string()),
                    };
                    if requests == MAX_LAYOUT_REQUESTS {
                        return failed(
                            id,
                            Failure::Invalid,
                            format!("its layout needs more than {MAX_LAYOUT_REQUESTS} ranges"),
                        );
                    }
                    let got = match fetch_range(url, base + offset, length, signal).await {
                        Ok(got) => got,
                        Err(e) => return fetch_error(e),
                    };
                    requests += 1;
                    bytes = bytes.saturating_add(got.body.byte_length());
                    if got.whole {
                        // The server ignores Range: the file, decoded whole.
                        send(Reply::RangeIgnored { id });
                        let body = match range {
                            Some((o, l)) => got.body.slice_with_end(o as u32, (o + l) as u32),
                            None => got.body,
                        };
                        send(Reply::Fetched {
                            id,
                            bytes: body.byte_length(),
                        });
                        return decode(id, &body, dtype);
                    }
                    let file_len = chunk_len.or(got.file_len.map(|l| l.saturating_sub(base)));
                    reader.add(offset, Uint8Array::new(&got.body).to_vec(), file_len);
                    step = reader.next();
                }
            }
        };
        if range.is_none() {
            if let Some(hint) = layout.hint() {
                self.hints.borrow_mut().insert(hint_key, hint);
            }
        }
        if layout.dtype != dtype {
            return failed(
                id,
                Failure::Invalid,
                format!(
                    "the file holds {}, the references' .zarray says {}",
                    layout.dtype.name(),
                    dtype.name()
                ),
            );
        }
        {
            let mut layouts = self.layouts.borrow_mut();
            if layouts.len() >= LAYOUTS_KEPT {
                layouts.clear();
            }
            layouts.insert(url.to_string(), layout.clone());
        }
        if !layout.readable_by_strip() {
            // One strip is (nearly) the whole file: read the whole file.
            return match fetch_buffer(url, range, signal).await {
                Ok(body) => {
                    send(Reply::Fetched {
                        id,
                        bytes: body.byte_length(),
                    });
                    decode(id, &body, dtype)
                }
                Err(e) => fetch_error(e),
            };
        }
        let Some((index, offset, length)) = layout.strip_of_row(row) else {
            return failed(id, Failure::Invalid, format!("the image has no row {row}"));
        };
        let got = match fetch_range(url, base + offset, length, signal).await {
            Ok(got) => got,
            Err(e) => return fetch_error(e),
        };
        requests += 1;
        bytes = bytes.saturating_add(got.body.byte_length());
        let strip = if got.whole {
            let start = (base + offset) as u32;
            got.body.slice_with_end(start, start + length as u32)
        } else {
            got.body
        };
        match layout.decode_strip(index, &Uint8Array::new(&strip).to_vec()) {
            Ok(rows) => {
                let values = match &rows.values {
                    StripValues::U8(v) => Uint8Array::from(&v[..]).buffer(),
                    StripValues::U16(v) => Uint16Array::from(&v[..]).buffer(),
                };
                Reply::Rows {
                    id,
                    first_row: rows.first_row,
                    rows: rows.rows,
                    width: rows.width,
                    values,
                    dtype,
                    bytes,
                    requests,
                }
            }
            Err(e) => failed(id, Failure::Invalid, e.to_string()),
        }
    }

    /// Reads the reference document at `url`, sending its text as it
    /// arrives (decompressed, if it is gzip).
    async fn read_document(&self, id: JobId, url: &str, send: &Send) {
        let signal = match self.cancellable(id) {
            Ok(signal) => signal,
            Err(e) => return send(failed(id, Failure::Fetch, e.to_string())),
        };
        let mut text = DocumentText::new();
        let mut outgoing = OutgoingText::default();
        let mut scratch = Vec::new();
        let mut invalid = None;
        let (mut loaded, mut expected) = (0, None);
        let mut inflate_ms = 0.0;
        let fetched = fetch_in_js_pieces(url, Some(&signal), |bytes, so_far, total| {
            (loaded, expected) = (so_far, total);
            let mut to_page = |piece: ArrayBuffer| text_piece(send, id, piece, so_far, total);
            if text.is_plain() {
                // Straight from the browser's buffer to the page's: the
                // text never passes through this side's wasm memory.
                outgoing.append_js(bytes, &mut to_page);
                return true;
            }
            scratch.resize(bytes.length() as usize, 0);
            bytes.copy_to(&mut scratch);
            // A megabyte of gzip is some 18 MB of text: decompressed a bit
            // at a time, the page parses the first megabytes meanwhile.
            for part in scratch.chunks(INFLATE_STEP) {
                let started = now();
                let pushed = text.push(part);
                inflate_ms += now() - started;
                match pushed {
                    Ok(more) => outgoing.append(more, &mut to_page),
                    Err(e) => {
                        invalid = Some(e.to_string());
                        return false;
                    }
                }
            }
            true
        })
        .await;
        self.fetch_done(id);
        let gzip = text.is_gzip();
        let last = match fetched {
            Ok(()) if invalid.is_none() => text.finish().map_err(|e| e.to_string()),
            _ => Ok(Vec::new()),
        };
        send(match (fetched, invalid.or(last.as_ref().err().cloned())) {
            (_, Some(reason)) => failed(id, Failure::Invalid, reason),
            (Err(FetchError::Aborted), None) => Reply::Cancelled { id },
            (Err(e), None) => failed(id, Failure::Fetch, e.to_string()),
            (Ok(()), None) => {
                let mut to_page =
                    |piece: ArrayBuffer| text_piece(send, id, piece, loaded, expected);
                outgoing.append(&last.unwrap_or_default(), &mut to_page);
                outgoing.finish(&mut to_page);
                Reply::DocumentRead {
                    id,
                    gzip,
                    inflate_ms,
                }
            }
        });
    }
}

/// The scheme and host of a URL: files from one host are likely written
/// by one writer.
fn origin(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split('/').next().unwrap_or(rest);
    format!("{}://{host}", url.split_once("://").map_or("", |(s, _)| s))
}

fn failed(id: JobId, failure: Failure, reason: String) -> Reply {
    Reply::Failed {
        id,
        failure,
        reason,
    }
}

fn text_piece(send: &Send, id: JobId, text: ArrayBuffer, loaded: u64, total: Option<u64>) {
    send(Reply::Text {
        id,
        text,
        loaded,
        total,
    });
}

/// The reply to a decode: the pixels in a buffer of their own, to be
/// transferred.
fn decode(id: JobId, bytes: &ArrayBuffer, dtype: DType) -> Reply {
    let started = now();
    // Into this side's wasm memory (the decoder reads a slice).
    let file = Uint8Array::new(bytes).to_vec();
    match decode_tile(&file, dtype) {
        Ok(tile) => {
            let pixels = match &tile {
                DecodedTile::U8(values) => Uint8Array::from(&values[..]).buffer(),
                DecodedTile::U16(values) => Uint16Array::from(&values[..]).buffer(),
            };
            Reply::Tile {
                id,
                pixels,
                dtype,
                decode_ms: now() - started,
            }
        }
        Err(e) => failed(id, Failure::Invalid, e.to_string()),
    }
}

/// Tiles of an overview COG: one Range request for adjacent tiles, each
/// decoded; their values one after the other in one buffer.
async fn read_cog_tiles(
    id: JobId,
    url: &str,
    (offset, length): (u64, u64),
    format: &tessera_core::cog::TileFormat,
    tiles: &[(u32, u32, u32)],
    signal: &AbortSignal,
) -> Reply {
    let got = match fetch_range(url, offset, length, signal).await {
        Ok(got) => got,
        Err(FetchError::Aborted) => return Reply::Cancelled { id },
        Err(e) => return failed(id, Failure::Fetch, e.to_string()),
    };
    let bytes = got.body.byte_length();
    // A server that ignores Range sends the whole COG: the range is cut
    // out of it.
    let base = if got.whole { offset } else { 0 };
    let all = Uint8Array::new(&got.body);
    let started = now();
    let size = format.width as usize * format.height as usize;
    let mut values: Vec<u16> = Vec::with_capacity(size * tiles.len());
    for &(tile, at, count) in tiles {
        let start = base + u64::from(at);
        let end = start + u64::from(count);
        if end > u64::from(all.length()) {
            return failed(
                id,
                Failure::Invalid,
                format!("tile {tile} ends at byte {end} of a read of {bytes} bytes: the COG is shorter than its header says"),
            );
        }
        let compressed = all.subarray(start as u32, end as u32).to_vec();
        match tessera_core::cog::decode_tile(&compressed, format) {
            Ok(tile_values) if tile_values.len() == size => values.extend_from_slice(&tile_values),
            Ok(tile_values) => {
                return failed(
                    id,
                    Failure::Invalid,
                    format!(
                        "tile {tile} decoded to {} values, not {size}",
                        tile_values.len()
                    ),
                )
            }
            Err(e) => return failed(id, Failure::Invalid, format!("tile {tile}: {e}")),
        }
    }
    Reply::CogTiles {
        id,
        values: Uint16Array::from(&values[..]).buffer(),
        bytes,
        whole: got.whole,
        decode_ms: now() - started,
    }
}

/// The reply to a coastlines job: the lines packed in one buffer.
fn read_coastlines(id: JobId, json: &ArrayBuffer) -> Reply {
    match tessera_core::topojson::coastlines(&Uint8Array::new(json).to_vec()) {
        Ok(lines) => Reply::Coastlines {
            id,
            packed: js_sys::Uint32Array::from(&tessera_core::topojson::pack_lines(&lines)[..])
                .buffer(),
        },
        Err(e) => failed(id, Failure::Invalid, e.to_string()),
    }
}

/// The text for the page gathered in a JavaScript buffer (of
/// [`TEXT_PIECE`] bytes), handed on to be transferred when full: one copy
/// per byte, from the browser's or the decompressor's buffer.
pub struct OutgoingText {
    piece: Uint8Array,
    filled: u32,
}

impl Default for OutgoingText {
    fn default() -> Self {
        OutgoingText::with_piece_len(TEXT_PIECE as u32)
    }
}

impl OutgoingText {
    /// Pieces of `len` bytes (at least 1).
    pub fn with_piece_len(len: u32) -> OutgoingText {
        OutgoingText {
            piece: Uint8Array::new_with_length(len.max(1)),
            filled: 0,
        }
    }

    /// Room left in the piece; a full one is handed to `send` first.
    fn room(&mut self, send: &mut impl FnMut(ArrayBuffer)) -> u32 {
        if self.filled == self.piece.length() {
            let next = Uint8Array::new_with_length(self.piece.length());
            let full = std::mem::replace(&mut self.piece, next);
            self.filled = 0;
            send(full.buffer());
        }
        self.piece.length() - self.filled
    }

    /// Appends bytes the browser gave, without copying them into wasm memory.
    pub fn append_js(&mut self, bytes: &Uint8Array, send: &mut impl FnMut(ArrayBuffer)) {
        let mut at = 0;
        while at < bytes.length() {
            let take = self.room(send).min(bytes.length() - at);
            self.piece.set(&bytes.subarray(at, at + take), self.filled);
            self.filled += take;
            at += take;
        }
    }

    pub fn append(&mut self, mut bytes: &[u8], send: &mut impl FnMut(ArrayBuffer)) {
        while !bytes.is_empty() {
            let take = (self.room(send) as usize).min(bytes.len());
            let (now, rest) = bytes.split_at(take);
            self.piece
                .subarray(self.filled, self.filled + take as u32)
                .copy_from(now);
            self.filled += take as u32;
            bytes = rest;
        }
    }

    /// Hands on what the last piece holds, if anything.
    pub fn finish(self, send: &mut impl FnMut(ArrayBuffer)) {
        if self.filled == self.piece.length() {
            send(self.piece.buffer());
        } else if self.filled > 0 {
            send(self.piece.slice(0, self.filled).buffer());
        }
    }
}
