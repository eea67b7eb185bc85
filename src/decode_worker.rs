//! The decoder's side of the decode pool: a Web Worker that fetches and
//! decodes GeoTIFF tiles with the core's decoder, off the page's main
//! thread (`src/bin/tessera-decoder.rs` starts it; Trunk builds it as
//! `tessera-decoder_loader.js`).
//!
//! A worker fetches the files itself: their bodies are then read on its
//! thread, not on the page's, which draws and answers the user meanwhile
//! (a profile of the cold load showed the page's thread saturated, a
//! quarter of it reading tile bodies).
//!
//! A worker also reads reference documents for the page: the download of
//! the full data set's 151 MB JSON then never waits for the page's thread,
//! busy parsing what came before, and a gzip document is decompressed
//! here while the page parses.
//!
//! Messages in:
//! * `{id, url, offset?, length?, uint16}`: fetch the file (or that byte
//!   range of it) and decode it;
//! * `{id, bytes: ArrayBuffer, uint16}`: decode these bytes (transferred);
//! * `{id, document: url}`: read that reference document;
//! * `{id, coastlines: ArrayBuffer}`: read this TopoJSON (transferred);
//! * `{cancel: id}`: stop fetching that file or document.
//!
//! Out: `{ready: true}` once listening; for a fetched file `{id, fetched:
//! bytes}` as soon as its body is in (its connection is free); then per job
//! `{id, pixels: ArrayBuffer, uint16, decodeMs}` (transferred back),
//! `{id, error}`, or `{id, cancelled: true}`. For a document, pieces of its
//! text `{id, text: ArrayBuffer, loaded, total?}` (transferred; `loaded`
//! and `total` count the bytes received, compressed for gzip), then `{id,
//! done: true, gzip, inflateMs}`, `{id, error}` (the download failed), `{id,
//! error, invalid: true}` (not gzip it claimed to be) or `{id, cancelled:
//! true}`. For coastlines, `{id, lines: ArrayBuffer}` (transferred: the
//! lines as [`tessera_core::topojson::pack_lines`] packs them) or `{id,
//! error}`.

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint16Array, Uint8Array};
use tessera_core::geotiff::{decode_tile, DecodedTile};
use tessera_core::reader::DocumentText;
use tessera_core::DType;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, AbortSignal, DedicatedWorkerGlobalScope, MessageEvent};

use crate::fetch::{fetch_buffer, fetch_in_js_pieces, FetchError};

/// A document's text goes to the page in pieces of at least this size:
/// each a message for the page to take and a few ms of parsing there.
const TEXT_PIECE: usize = 1 << 20;

/// Bytes of a received piece decompressed at a time.
const INFLATE_STEP: usize = 32 << 10;

thread_local! {
    /// The fetches under way, by job id, to cancel them.
    static FETCHES: RefCell<HashMap<u32, AbortController>> = RefCell::new(HashMap::new());
}

fn set(target: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

fn get(source: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(source, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn send(reply: &Object, transfer: Option<&ArrayBuffer>) {
    let scope = scope();
    let sent = match transfer {
        Some(buffer) => scope.post_message_with_transfer(reply, &Array::of1(buffer)),
        None => scope.post_message(reply),
    };
    if let Err(e) = sent {
        web_sys::console::error_2(&"tessera-decoder: cannot reply".into(), &e);
    }
}

/// Listens for jobs; call once at the worker's start.
pub fn run() {
    let scope = scope();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let job = event.data();
        if let Some(id) = get(&job, "cancel").and_then(|i| i.as_f64()) {
            if let Some(controller) = FETCHES.with(|f| f.borrow_mut().remove(&(id as u32))) {
                controller.abort();
            }
            return;
        }
        let id = get(&job, "id").unwrap_or(JsValue::NULL);
        let dtype = if get(&job, "uint16").and_then(|u| u.as_bool()) == Some(true) {
            DType::U16
        } else {
            DType::U8
        };
        if let Some(url) = get(&job, "document").and_then(|u| u.as_string()) {
            wasm_bindgen_futures::spawn_local(read_document(id, url));
            return;
        }
        if let Some(url) = get(&job, "url").and_then(|u| u.as_string()) {
            let range = get(&job, "offset")
                .and_then(|o| o.as_f64())
                .zip(get(&job, "length").and_then(|l| l.as_f64()))
                .map(|(o, l)| (o as u64, l as u64));
            wasm_bindgen_futures::spawn_local(fetch_and_decode(id, url, range, dtype));
            return;
        }
        if let Some(json) = get(&job, "coastlines").and_then(|b| b.dyn_into::<ArrayBuffer>().ok()) {
            let reply = read_coastlines(&id, &json);
            send(&reply.0, reply.1.as_ref());
            return;
        }
        let reply = match get(&job, "bytes").and_then(|b| b.dyn_into::<ArrayBuffer>().ok()) {
            Some(bytes) => decode(&id, &bytes, dtype),
            None => error_reply(&id, "the job has neither a URL nor file bytes"),
        };
        send(&reply.0, reply.1.as_ref());
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The worker lives as long as the page.
    on_message.forget();
    let ready = Object::new();
    set(&ready, "ready", &JsValue::TRUE);
    send(&ready, None);
}

/// A signal that `{cancel: id}` aborts, for the fetch of job `key` (call
/// [`fetch_done`] when it ends).
fn cancellable(key: u32) -> Result<AbortSignal, FetchError> {
    let controller = AbortController::new()
        .map_err(|_| FetchError::Network("the browser cannot make requests".into()))?;
    let signal = controller.signal();
    FETCHES.with(|f| f.borrow_mut().insert(key, controller));
    Ok(signal)
}

fn fetch_done(key: u32) {
    FETCHES.with(|f| f.borrow_mut().remove(&key));
}

async fn fetch_and_decode(id: JsValue, url: String, range: Option<(u64, u64)>, dtype: DType) {
    let key = id.as_f64().unwrap_or(0.0) as u32;
    let fetched = match cancellable(key) {
        Ok(signal) => fetch_buffer(&url, range, &signal).await,
        Err(e) => Err(e),
    };
    fetch_done(key);
    let reply = match fetched {
        Ok(bytes) => {
            let note = Object::new();
            set(&note, "id", &id);
            set(&note, "fetched", &JsValue::from(bytes.byte_length()));
            send(&note, None);
            decode(&id, &bytes, dtype)
        }
        Err(FetchError::Aborted) => {
            let reply = Object::new();
            set(&reply, "id", &id);
            set(&reply, "cancelled", &JsValue::TRUE);
            (reply, None)
        }
        Err(e) => error_reply(&id, &e.to_string()),
    };
    send(&reply.0, reply.1.as_ref());
}

/// Reads the reference document at `url`, sending its text to the page
/// as it arrives (decompressed, if it is gzip).
async fn read_document(id: JsValue, url: String) {
    let key = id.as_f64().unwrap_or(0.0) as u32;
    let signal = match cancellable(key) {
        Ok(signal) => signal,
        Err(e) => {
            let reply = error_reply(&id, &e.to_string());
            send(&reply.0, None);
            return;
        }
    };
    let mut text = DocumentText::new();
    let mut outgoing = OutgoingText::default();
    let mut scratch = Vec::new();
    let mut invalid = None;
    let (mut loaded, mut expected) = (0, None);
    let mut inflate_ms = 0.0;
    let fetched = fetch_in_js_pieces(&url, Some(&signal), |bytes, so_far, total| {
        (loaded, expected) = (so_far, total);
        let mut to_page = |text: ArrayBuffer| send_text(&id, text, so_far, total);
        if text.is_plain() {
            // Straight from the browser's buffer to the page's: the text
            // never passes through this worker's memory.
            outgoing.append_js(bytes, &mut to_page);
            return true;
        }
        scratch.resize(bytes.length() as usize, 0);
        bytes.copy_to(&mut scratch);
        // A megabyte of gzip is some 18 MB of text: decompressed a bit at
        // a time, the page parses the first megabytes meanwhile.
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
    fetch_done(key);
    let gzip = text.is_gzip();
    let finished = match fetched {
        Ok(()) if invalid.is_none() => text.finish().map_err(|e| e.to_string()),
        _ => Ok(Vec::new()),
    };
    let reply = Object::new();
    set(&reply, "id", &id);
    match (fetched, invalid.or(finished.as_ref().err().cloned())) {
        (_, Some(reason)) => {
            set(&reply, "error", &JsValue::from_str(&reason));
            set(&reply, "invalid", &JsValue::TRUE);
        }
        (Err(FetchError::Aborted), None) => set(&reply, "cancelled", &JsValue::TRUE),
        (Err(e), None) => set(&reply, "error", &JsValue::from_str(&e.to_string())),
        (Ok(()), None) => {
            let mut to_page = |text: ArrayBuffer| send_text(&id, text, loaded, expected);
            outgoing.append(&finished.unwrap_or_default(), &mut to_page);
            outgoing.finish(&mut to_page);
            set(&reply, "done", &JsValue::TRUE);
            set(&reply, "gzip", &JsValue::from_bool(gzip));
            set(&reply, "inflateMs", &JsValue::from_f64(inflate_ms));
        }
    }
    send(&reply, None);
}

/// The text for the page gathered in a JavaScript buffer (of
/// [`TEXT_PIECE`] bytes in the worker), handed on to be transferred when
/// full: one copy per byte, from the browser's or the decompressor's
/// buffer.
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

/// Sends a piece of text to the page (transferred).
fn send_text(id: &JsValue, text: ArrayBuffer, loaded: u64, total: Option<u64>) {
    let message = Object::new();
    set(&message, "id", id);
    set(&message, "text", &text);
    set(&message, "loaded", &JsValue::from_f64(loaded as f64));
    if let Some(total) = total {
        set(&message, "total", &JsValue::from_f64(total as f64));
    }
    send(&message, Some(&text));
}

fn error_reply(id: &JsValue, error: &str) -> (Object, Option<ArrayBuffer>) {
    let reply = Object::new();
    set(&reply, "id", id);
    set(&reply, "error", &JsValue::from_str(error));
    (reply, None)
}

/// The reply to a decode, and the buffer to transfer with it.
fn decode(id: &JsValue, bytes: &ArrayBuffer, dtype: DType) -> (Object, Option<ArrayBuffer>) {
    let started = now();
    // Into this worker's wasm memory (the decoder reads a slice).
    let file = Uint8Array::new(bytes).to_vec();
    match decode_tile(&file, dtype) {
        Ok(tile) => {
            let pixels = match &tile {
                DecodedTile::U8(values) => Uint8Array::from(&values[..]).buffer(),
                DecodedTile::U16(values) => Uint16Array::from(&values[..]).buffer(),
            };
            let reply = Object::new();
            set(&reply, "id", id);
            set(&reply, "pixels", &pixels);
            set(&reply, "uint16", &JsValue::from_bool(dtype == DType::U16));
            set(&reply, "decodeMs", &JsValue::from_f64(now() - started));
            (reply, Some(pixels))
        }
        Err(e) => error_reply(id, &e.to_string()),
    }
}

/// The reply to a coastlines job: the lines packed, and their buffer to
/// transfer. (Reading the map's TopoJSON took the page's thread for 22-27
/// ms right after its first view.)
fn read_coastlines(id: &JsValue, json: &ArrayBuffer) -> (Object, Option<ArrayBuffer>) {
    match tessera_core::topojson::coastlines(&Uint8Array::new(json).to_vec()) {
        Ok(lines) => {
            let packed =
                js_sys::Uint32Array::from(&tessera_core::topojson::pack_lines(&lines)[..]).buffer();
            let reply = Object::new();
            set(&reply, "id", id);
            set(&reply, "lines", &packed);
            (reply, Some(packed))
        }
        Err(e) => error_reply(id, &e.to_string()),
    }
}

fn now() -> f64 {
    js_sys::global()
        .dyn_into::<web_sys::WorkerGlobalScope>()
        .ok()
        .and_then(|s| s.performance())
        .map_or(0.0, |p| p.now())
}
