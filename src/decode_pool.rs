//! Fetching and decoding tiles off the main thread: a pool of Web Workers,
//! one per core (`navigator.hardwareConcurrency`), each running the core's
//! decoder ([`crate::decode_worker`]). A worker fetches a file itself, so
//! that its body never passes through the page's thread, decodes it, and
//! sends the pixels back as a transferred `ArrayBuffer`; the main thread
//! only copies the pixels into its own memory.
//!
//! Jobs wait in one queue, first in first out (the tile loader already
//! asks for the view's centre first), and go to the worker with the fewest
//! jobs in hand, at most [`MAX_JOBS_PER_WORKER`] each: a worker fetches
//! several files at once and decodes each as its body arrives. If no
//! worker can start (the worker script is missing, or the browser forbids
//! workers), tiles are fetched and decoded on the main thread as before.
//!
//! The pool also reads reference documents for the page
//! ([`DecodePool::read_document`]): a worker downloads (and decompresses)
//! while the page parses the text it sends.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use js_sys::{ArrayBuffer, Function, Object, Promise, Reflect, Uint16Array, Uint8Array};
use tessera_core::geotiff::{decode_tile, DecodedTile};
use tessera_core::DType;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Event, MessageEvent, Worker};

use crate::fetch::{fetch_buffer, FetchError};

/// The worker's script, which Trunk writes beside index.html (see
/// index.html's `data-type="worker"` link), relative to the page.
pub const WORKER_SCRIPT: &str = "./tessera-decoder_loader.js";

/// Most workers, whatever the browser reports.
const MAX_WORKERS: usize = 8;

/// Jobs one worker holds at once: fetches waiting for their bodies, and
/// the decode under way.
const MAX_JOBS_PER_WORKER: usize = 4;

/// Why a job gave no pixels.
#[derive(Debug, Clone, PartialEq)]
pub enum JobError {
    /// Its fetch was cancelled (the tile left the view).
    Cancelled,
    /// The file could not be fetched or decoded: why, for the user.
    Failed(String),
}

struct Slot {
    worker: Worker,
    /// It said it is listening.
    ready: bool,
    /// It failed to start or crashed: no more jobs for it.
    dead: bool,
    // Kept alive as long as the worker.
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

enum Input {
    /// The file's bytes, transferred to the worker.
    Bytes(ArrayBuffer),
    /// The file (or the byte range `(offset, length)` of it), fetched by
    /// the worker; `signal` cancels it.
    Fetch {
        url: String,
        range: Option<(u64, u64)>,
        signal: AbortSignal,
    },
    /// A reference document, read by the worker and sent as text.
    Document { url: String },
    /// A TopoJSON document's bytes, transferred to the worker, which sends
    /// back its coastlines.
    Coastlines(ArrayBuffer),
}

struct Job {
    id: u32,
    input: Input,
    uint16: bool,
}

/// A job in a worker's hands (a worker's jobs are those with its slot).
struct Dispatched {
    slot: usize,
    signal: Option<AbortSignal>,
    cancel_sent: bool,
}

/// Told the size of a file a worker has fetched.
pub type OnFetched = Rc<dyn Fn(u32)>;

/// Handed each piece of a document's text as a worker reads it, with the
/// bytes received so far and expected (compressed, for gzip); returns
/// false to stop reading.
pub type OnText = Box<dyn FnMut(&[u8], u64, Option<u64>) -> bool>;

/// Why reading a document in a worker gave no text, or not all of it.
#[derive(Debug, Clone, PartialEq)]
pub enum DocumentError {
    /// No worker can read it: read it on the page.
    NoWorker,
    /// [`OnText`] asked to stop.
    Stopped,
    /// The download failed: why, for the user.
    Fetch(String),
    /// The bytes are not what they claim (damaged gzip): why.
    Invalid(String),
}

/// A document read to its end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DocumentRead {
    pub gzip: bool,
    /// Time the worker spent in the decompressor (about 0 for plain text,
    /// which only passes through it to tell it is not gzip).
    pub inflate_ms: f64,
}

#[derive(Default)]
struct PoolState {
    slots: Vec<Slot>,
    queue: VecDeque<Job>,
    dispatched: HashMap<u32, Dispatched>,
    /// How to hand each job's reply back to its caller.
    pending: HashMap<u32, Function>,
    /// Told the file's size as soon as a worker has fetched it.
    on_fetched: HashMap<u32, OnFetched>,
    /// Handed the text of documents being read.
    on_text: HashMap<u32, Rc<RefCell<OnText>>>,
    next_id: u32,
    stats: DecodeStats,
}

/// What the pool has done, for the status panel and the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DecodeStats {
    pub workers: usize,
    pub decoded: u64,
    /// Time the workers spent decoding, summed.
    pub worker_ms: f64,
    /// Tiles decoded on the main thread because no worker could.
    pub on_main_thread: u64,
}

impl PoolState {
    /// Drops what the pool holds for job `id` besides its caller's
    /// promise: its worker, and whom to tell of its file or text.
    fn forget(&mut self, id: u32) {
        self.dispatched.remove(&id);
        self.on_fetched.remove(&id);
        self.on_text.remove(&id);
    }

    /// Tells the worker holding job `id` to stop fetching for it.
    fn send_cancel(&self, id: u32) {
        let slot = self.dispatched.get(&id).map(|d| d.slot);
        if let Some(slot) = slot.and_then(|index| self.slots.get(index)) {
            let message = Object::new();
            let _ = Reflect::set(&message, &"cancel".into(), &JsValue::from(id));
            let _ = slot.worker.post_message(&message);
        }
    }
}

#[derive(Clone)]
pub struct DecodePool(Rc<RefCell<PoolState>>);

thread_local! {
    static SHARED: RefCell<Option<DecodePool>> = const { RefCell::new(None) };
}

impl DecodePool {
    /// The page's pool, started at the first call: the references' reader
    /// and the tile loader share it.
    pub fn shared() -> DecodePool {
        SHARED.with(|shared| {
            shared
                .borrow_mut()
                .get_or_insert_with(DecodePool::start)
                .clone()
        })
    }

    /// Starts one worker per core (at most [`MAX_WORKERS`]), or takes
    /// over those index.html started with the page
    /// (`window.tesseraDecoders`), which are ready sooner: the first reads
    /// the references.
    pub fn start() -> DecodePool {
        let pool = DecodePool(Rc::new(RefCell::new(PoolState::default())));
        let started = started_with_the_page();
        if !started.is_empty() {
            for (index, worker) in started.into_iter().enumerate() {
                let slot = pool.attach(index, worker.clone());
                pool.0.borrow_mut().slots.push(slot);
                // What the worker said before the pool listened.
                if is_true(&worker, "tesseraReady") {
                    pool.worker_ready(index);
                }
                if let Some(error) = field(&worker, "tesseraError").and_then(|e| e.as_string()) {
                    pool.on_error(index, error);
                }
            }
            return pool;
        }
        let cores = web_sys::window()
            .map(|w| w.navigator().hardware_concurrency())
            .unwrap_or(1.0);
        let count = (cores as usize).clamp(1, MAX_WORKERS);
        for index in 0..count {
            match Worker::new(WORKER_SCRIPT) {
                Ok(worker) => {
                    let slot = pool.attach(index, worker);
                    pool.0.borrow_mut().slots.push(slot);
                }
                Err(e) => {
                    web_sys::console::warn_2(
                        &"tessera: no decoder worker, decoding on the main thread:".into(),
                        &e,
                    );
                    break;
                }
            }
        }
        pool
    }

    /// Listens to a worker as slot `index`.
    fn attach(&self, index: usize, worker: Worker) -> Slot {
        let pool = self.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            pool.on_message(index, e.data());
        });
        let pool = self.clone();
        // A script that does not load gives a plain Event, with no message.
        let on_error = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
            let message = field(&e, "message")
                .and_then(|m| m.as_string())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "the decoder worker did not start".into());
            pool.on_error(index, message);
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Slot {
            worker,
            ready: false,
            dead: false,
            _on_message: on_message,
            _on_error: on_error,
        }
    }

    pub fn stats(&self) -> DecodeStats {
        let state = self.0.borrow();
        DecodeStats {
            workers: state.slots.iter().filter(|s| !s.dead).count(),
            ..state.stats
        }
    }

    /// Decodes a GeoTIFF file (its bytes are transferred to a worker: the
    /// buffer is empty afterwards).
    pub async fn decode(&self, bytes: ArrayBuffer, dtype: DType) -> Result<DecodedTile, String> {
        if self.stats().workers == 0 {
            return self.decode_here(&bytes, dtype);
        }
        let reply = self.run(Input::Bytes(bytes.clone()), dtype, None).await?;
        if is_true(&reply, "fallback") {
            // Every worker died before this job left the queue.
            return self.decode_here(&bytes, dtype);
        }
        self.pixels(&reply, dtype).map_err(|e| match e {
            JobError::Cancelled => "cancelled".to_string(),
            JobError::Failed(reason) => reason,
        })
    }

    /// Fetches a GeoTIFF file (or the byte range `(offset, length)` of
    /// one) in a worker and decodes it there; `on_fetched(bytes)` is called
    /// as soon as its body is in. `signal` cancels the fetch (call
    /// [`DecodePool::cancel_aborted`] after aborting it).
    pub async fn fetch_and_decode(
        &self,
        url: &str,
        range: Option<(u64, u64)>,
        dtype: DType,
        signal: &AbortSignal,
        on_fetched: OnFetched,
    ) -> Result<DecodedTile, JobError> {
        if self.stats().workers > 0 {
            let input = Input::Fetch {
                url: url.to_string(),
                range,
                signal: signal.clone(),
            };
            let reply = self
                .run(input, dtype, Some(on_fetched.clone()))
                .await
                .map_err(JobError::Failed)?;
            if !is_true(&reply, "fallback") {
                return self.pixels(&reply, dtype);
            }
            // Every worker died before this job left the queue: here.
        }
        match fetch_buffer(url, range, signal).await {
            Ok(bytes) => {
                on_fetched(bytes.byte_length());
                self.decode_here(&bytes, dtype).map_err(JobError::Failed)
            }
            Err(FetchError::Aborted) => Err(JobError::Cancelled),
            Err(e) => Err(JobError::Failed(e.to_string())),
        }
    }

    /// The coastlines of a TopoJSON document (see
    /// [`tessera_core::topojson::coastlines`]), read in a worker (its
    /// bytes are transferred there), or here when no worker can.
    pub async fn read_coastlines(&self, json: ArrayBuffer) -> Result<Vec<Vec<(f32, f32)>>, String> {
        let here = |json: &ArrayBuffer| {
            let lines = tessera_core::topojson::coastlines(&Uint8Array::new(json).to_vec())
                .map_err(|e| e.to_string())?;
            coastlines_read(&lines, false);
            Ok(lines)
        };
        if self.stats().workers == 0 {
            return here(&json);
        }
        let reply = self
            .run(Input::Coastlines(json.clone()), DType::U8, None)
            .await?;
        if is_true(&reply, "fallback") {
            // Every worker died before this job left the queue.
            return here(&json);
        }
        if let Some(error) = field(&reply, "error").and_then(|e| e.as_string()) {
            return Err(error);
        }
        let packed = field(&reply, "lines")
            .and_then(|p| p.dyn_into::<ArrayBuffer>().ok())
            .ok_or("the decoder sent no coastlines")?;
        let lines =
            tessera_core::topojson::unpack_lines(&js_sys::Uint32Array::new(&packed).to_vec())
                .map_err(|e| e.to_string())?;
        coastlines_read(&lines, true);
        Ok(lines)
    }

    /// Reads the reference document at `url` in a worker, handing its
    /// text to `on_text` piece by piece, in order, as the worker sends it.
    pub async fn read_document(
        &self,
        url: &str,
        on_text: OnText,
    ) -> Result<DocumentRead, DocumentError> {
        if self.stats().workers == 0 {
            return Err(DocumentError::NoWorker);
        }
        let id = self.next_id();
        self.0
            .borrow_mut()
            .on_text
            .insert(id, Rc::new(RefCell::new(on_text)));
        let input = Input::Document {
            url: url.to_string(),
        };
        // (The dtype only matters for pixels.)
        let reply = self
            .queue_and_wait(id, input, DType::U8)
            .await
            .map_err(DocumentError::Fetch)?;
        if is_true(&reply, "fallback") {
            return Err(DocumentError::NoWorker);
        }
        if is_true(&reply, "cancelled") {
            return Err(DocumentError::Stopped);
        }
        if let Some(error) = field(&reply, "error").and_then(|e| e.as_string()) {
            return Err(if is_true(&reply, "invalid") {
                DocumentError::Invalid(error)
            } else {
                DocumentError::Fetch(error)
            });
        }
        Ok(DocumentRead {
            gzip: is_true(&reply, "gzip"),
            inflate_ms: field(&reply, "inflateMs")
                .and_then(|m| m.as_f64())
                .unwrap_or(0.0),
        })
    }

    /// A piece of a document's text from a worker: to its reader, or, if
    /// the reader asks to stop, the worker is told to.
    fn document_text(&self, id: u32, text: &ArrayBuffer, loaded: u64, total: Option<u64>) {
        let Some(on_text) = self.0.borrow().on_text.get(&id).cloned() else {
            // Stopped: pieces sent before the worker heard are dropped.
            return;
        };
        let text = Uint8Array::new(text).to_vec();
        if (on_text.borrow_mut())(&text, loaded, total) {
            return;
        }
        let mut state = self.0.borrow_mut();
        state.on_text.remove(&id);
        state.send_cancel(id);
    }

    fn next_id(&self) -> u32 {
        let mut state = self.0.borrow_mut();
        state.next_id = state.next_id.wrapping_add(1);
        state.next_id
    }

    /// Queues a job and waits for its reply.
    async fn run(
        &self,
        input: Input,
        dtype: DType,
        on_fetched: Option<OnFetched>,
    ) -> Result<JsValue, String> {
        let id = self.next_id();
        if let Some(on_fetched) = on_fetched {
            self.0.borrow_mut().on_fetched.insert(id, on_fetched);
        }
        self.queue_and_wait(id, input, dtype).await
    }

    /// Queues job `id` and waits for its reply.
    async fn queue_and_wait(&self, id: u32, input: Input, dtype: DType) -> Result<JsValue, String> {
        let promise = Promise::new(&mut |resolve, _reject| {
            self.0.borrow_mut().pending.insert(id, resolve);
        });
        {
            let mut state = self.0.borrow_mut();
            state.queue.push_back(Job {
                id,
                input,
                uint16: dtype == DType::U16,
            });
        }
        self.dispatch();
        JsFuture::from(promise)
            .await
            .map_err(|e| format!("decoder: {e:?}"))
    }

    /// The pixels of a worker's reply.
    fn pixels(&self, reply: &JsValue, dtype: DType) -> Result<DecodedTile, JobError> {
        if is_true(reply, "cancelled") {
            return Err(JobError::Cancelled);
        }
        if let Some(error) = field(reply, "error").and_then(|e| e.as_string()) {
            return Err(JobError::Failed(error));
        }
        let pixels = field(reply, "pixels")
            .and_then(|p| p.dyn_into::<ArrayBuffer>().ok())
            .ok_or_else(|| JobError::Failed("the decoder sent no pixels".into()))?;
        let mut state = self.0.borrow_mut();
        state.stats.decoded += 1;
        state.stats.worker_ms += field(reply, "decodeMs")
            .and_then(|m| m.as_f64())
            .unwrap_or(0.0);
        Ok(match dtype {
            DType::U8 => DecodedTile::U8(Uint8Array::new(&pixels).to_vec()),
            DType::U16 => DecodedTile::U16(Uint16Array::new(&pixels).to_vec()),
        })
    }

    fn decode_here(&self, bytes: &ArrayBuffer, dtype: DType) -> Result<DecodedTile, String> {
        self.0.borrow_mut().stats.on_main_thread += 1;
        decode_tile(&Uint8Array::new(bytes).to_vec(), dtype).map_err(|e| e.to_string())
    }

    /// Tells workers to stop fetching files whose signals were aborted, and
    /// drops such jobs still queued.
    pub fn cancel_aborted(&self) {
        {
            let mut state = self.0.borrow_mut();
            let aborted: Vec<u32> = state
                .dispatched
                .iter_mut()
                .filter(|(_, job)| {
                    !job.cancel_sent && job.signal.as_ref().is_some_and(|s| s.aborted())
                })
                .map(|(id, job)| {
                    job.cancel_sent = true;
                    *id
                })
                .collect();
            for id in aborted {
                state.send_cancel(id);
            }
        }
        self.dispatch();
    }

    /// Gives queued jobs to workers with room for them.
    fn dispatch(&self) {
        let mut state = self.0.borrow_mut();
        let state = &mut *state;
        if state.slots.iter().all(|s| s.dead) {
            // Nobody left to decode: the callers carry on without workers.
            let queued: Vec<u32> = state.queue.drain(..).map(|job| job.id).collect();
            for id in queued {
                state.forget(id);
                let reply = Object::new();
                let _ = Reflect::set(&reply, &"fallback".into(), &JsValue::TRUE);
                resolve(&mut state.pending, id, &reply);
            }
            return;
        }
        while let Some(job) = state.queue.front() {
            if let Input::Fetch { signal, .. } = &job.input {
                if signal.aborted() {
                    let id = job.id;
                    state.queue.pop_front();
                    state.forget(id);
                    let reply = Object::new();
                    let _ = Reflect::set(&reply, &"cancelled".into(), &JsValue::TRUE);
                    resolve(&mut state.pending, id, &reply);
                    continue;
                }
            }
            let jobs = |index: usize| {
                state
                    .dispatched
                    .values()
                    .filter(|d| d.slot == index)
                    .count()
            };
            let free = state
                .slots
                .iter()
                .enumerate()
                .filter(|(index, s)| s.ready && !s.dead && jobs(*index) < MAX_JOBS_PER_WORKER)
                .min_by_key(|(index, _)| jobs(*index))
                .map(|(index, _)| index);
            // No worker with room (or none ready yet): the job waits.
            let Some(index) = free else {
                return;
            };
            let Some(job) = state.queue.pop_front() else {
                return;
            };
            let slot = &mut state.slots[index];
            let message = Object::new();
            let set = |key: &str, value: &JsValue| {
                let _ = Reflect::set(&message, &JsValue::from_str(key), value);
            };
            set("id", &JsValue::from(job.id));
            set("uint16", &JsValue::from(job.uint16));
            let (sent, signal) = match job.input {
                Input::Bytes(bytes) => {
                    set("bytes", &bytes);
                    let transfer = js_sys::Array::of1(&bytes);
                    (
                        slot.worker.post_message_with_transfer(&message, &transfer),
                        None,
                    )
                }
                Input::Fetch { url, range, signal } => {
                    set("url", &JsValue::from_str(&url));
                    if let Some((offset, length)) = range {
                        set("offset", &JsValue::from_f64(offset as f64));
                        set("length", &JsValue::from_f64(length as f64));
                    }
                    (slot.worker.post_message(&message), Some(signal))
                }
                Input::Document { url } => {
                    set("document", &JsValue::from_str(&url));
                    (slot.worker.post_message(&message), None)
                }
                Input::Coastlines(json) => {
                    set("coastlines", &json);
                    let transfer = js_sys::Array::of1(&json);
                    (
                        slot.worker.post_message_with_transfer(&message, &transfer),
                        None,
                    )
                }
            };
            match sent {
                Ok(()) => {
                    state.dispatched.insert(
                        job.id,
                        Dispatched {
                            slot: index,
                            signal,
                            cancel_sent: false,
                        },
                    );
                }
                Err(e) => {
                    state.forget(job.id);
                    let reason = format!("the decoder worker refused the job: {e:?}");
                    reply_error(&mut state.pending, job.id, &reason);
                }
            }
        }
    }

    fn on_message(&self, index: usize, data: JsValue) {
        let id = field(&data, "id")
            .and_then(|i| i.as_f64())
            .map(|i| i as u32);
        if let (Some(id), Some(bytes)) = (id, field(&data, "fetched").and_then(|b| b.as_f64())) {
            // The file is in: its connection is free.
            let on_fetched = self.0.borrow_mut().on_fetched.remove(&id);
            if let Some(on_fetched) = on_fetched {
                on_fetched(bytes as u32);
            }
            return;
        }
        if let (Some(id), Some(text)) = (
            id,
            field(&data, "text").and_then(|t| t.dyn_into::<ArrayBuffer>().ok()),
        ) {
            let number = |name| {
                field(&data, name)
                    .and_then(|n| n.as_f64())
                    .map(|n| n as u64)
            };
            self.document_text(id, &text, number("loaded").unwrap_or(0), number("total"));
            return;
        }
        if is_true(&data, "ready") {
            self.worker_ready(index);
            return;
        }
        if let Some(id) = id {
            let mut state = self.0.borrow_mut();
            state.forget(id);
            resolve(&mut state.pending, id, &data);
        }
        self.dispatch();
    }

    /// Worker `index` listens: jobs can go to it.
    fn worker_ready(&self, index: usize) {
        if let Some(slot) = self.0.borrow_mut().slots.get_mut(index) {
            slot.ready = true;
        }
        crate::perf::mark(crate::perf::DECODER_READY);
        self.dispatch();
    }

    /// A worker that failed to load or crashed: its jobs fail (their bytes
    /// went with it), the others carry on.
    fn on_error(&self, index: usize, message: String) {
        {
            let mut state = self.0.borrow_mut();
            let state = &mut *state;
            let Some(slot) = state.slots.get_mut(index) else {
                return;
            };
            slot.dead = true;
            slot.worker.terminate();
            web_sys::console::warn_1(&format!("tessera: decoder worker {index}: {message}").into());
            let reason = format!("the decoder worker failed: {message}");
            let lost: Vec<u32> = state
                .dispatched
                .iter()
                .filter(|(_, d)| d.slot == index)
                .map(|(id, _)| *id)
                .collect();
            for id in lost {
                state.forget(id);
                reply_error(&mut state.pending, id, &reason);
            }
        }
        self.dispatch();
    }
}

/// Records that the coastlines were read, and where.
fn coastlines_read(lines: &[Vec<(f32, f32)>], in_worker: bool) {
    crate::perf::record(
        crate::perf::COASTLINES,
        &[
            ("lines", lines.len() as f64),
            ("inWorker", f64::from(u8::from(in_worker))),
        ],
    );
}

/// The workers index.html started (`window.tesseraDecoders`), if any.
fn started_with_the_page() -> Vec<Worker> {
    let Some(window) = web_sys::window() else {
        return Vec::new();
    };
    let Some(list) = field(&window, "tesseraDecoders").filter(js_sys::Array::is_array) else {
        return Vec::new();
    };
    let workers: Vec<Worker> = js_sys::Array::from(&list)
        .iter()
        .filter_map(|w| w.dyn_into::<Worker>().ok())
        .take(MAX_WORKERS)
        .collect();
    // Taken over once: a second pool (a test's) starts its own.
    let _ = Reflect::delete_property(window.unchecked_ref::<Object>(), &"tesseraDecoders".into());
    workers
}

fn field(value: &JsValue, name: &str) -> Option<JsValue> {
    Reflect::get(value, &JsValue::from_str(name)).ok()
}

fn is_true(value: &JsValue, name: &str) -> bool {
    field(value, name).and_then(|f| f.as_bool()) == Some(true)
}

fn resolve(pending: &mut HashMap<u32, Function>, id: u32, reply: &JsValue) {
    if let Some(resolve) = pending.remove(&id) {
        let _ = resolve.call1(&JsValue::NULL, reply);
    }
}

fn reply_error(pending: &mut HashMap<u32, Function>, id: u32, reason: &str) {
    let reply = Object::new();
    let _ = Reflect::set(&reply, &"error".into(), &JsValue::from_str(reason));
    resolve(pending, id, &reply);
}
