//! Decoding tiles off the main thread: a pool of Web Workers, one per core
//! (`navigator.hardwareConcurrency`), each running the core's decoder
//! ([`crate::decode_worker`]). A file's bytes go to a worker and its pixels
//! come back as transferred `ArrayBuffer`s, never copied between threads;
//! the main thread only copies the pixels into its own memory.
//!
//! Jobs wait in one queue, first in first out (the tile loader already
//! asks for the view's centre first), and go to whichever worker is free.
//! If no worker can start (the worker script is missing, or the browser
//! forbids workers), tiles are decoded on the main thread as before.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use js_sys::{ArrayBuffer, Function, Object, Promise, Reflect, Uint16Array, Uint8Array};
use tessera_core::geotiff::{decode_tile, DecodedTile};
use tessera_core::DType;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ErrorEvent, MessageEvent, Worker};

/// The worker's script, which Trunk writes beside index.html (see
/// index.html's `data-type="worker"` link), relative to the page.
pub const WORKER_SCRIPT: &str = "./tessera-decoder_loader.js";

/// Most workers, whatever the browser reports.
const MAX_WORKERS: usize = 8;

struct Slot {
    worker: Worker,
    /// It said it is listening.
    ready: bool,
    /// It failed to start or crashed: no more jobs for it.
    dead: bool,
    /// The job it is decoding.
    busy: Option<u32>,
    // Kept alive as long as the worker.
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

struct Job {
    id: u32,
    bytes: ArrayBuffer,
    uint16: bool,
}

#[derive(Default)]
struct PoolState {
    slots: Vec<Slot>,
    queue: VecDeque<Job>,
    /// How to hand each job's reply back to its `decode` call.
    pending: HashMap<u32, Function>,
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

#[derive(Clone)]
pub struct DecodePool(Rc<RefCell<PoolState>>);

impl DecodePool {
    /// Starts one worker per core (at most [`MAX_WORKERS`]).
    pub fn start() -> DecodePool {
        let cores = web_sys::window()
            .map(|w| w.navigator().hardware_concurrency())
            .unwrap_or(1.0);
        let count = (cores as usize).clamp(1, MAX_WORKERS);
        let pool = DecodePool(Rc::new(RefCell::new(PoolState::default())));
        for index in 0..count {
            match pool.spawn(index) {
                Ok(slot) => pool.0.borrow_mut().slots.push(slot),
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

    fn spawn(&self, index: usize) -> Result<Slot, JsValue> {
        let worker = Worker::new(WORKER_SCRIPT)?;
        let pool = self.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            pool.on_message(index, e.data());
        });
        let pool = self.clone();
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |e: ErrorEvent| {
            pool.on_error(index, e.message());
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Slot {
            worker,
            ready: false,
            dead: false,
            busy: None,
            _on_message: on_message,
            _on_error: on_error,
        })
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
        let id = {
            let mut state = self.0.borrow_mut();
            state.next_id = state.next_id.wrapping_add(1);
            state.next_id
        };
        let promise = Promise::new(&mut |resolve, _reject| {
            self.0.borrow_mut().pending.insert(id, resolve);
        });
        self.0.borrow_mut().queue.push_back(Job {
            id,
            bytes: bytes.clone(),
            uint16: dtype == DType::U16,
        });
        self.dispatch();
        let reply = JsFuture::from(promise)
            .await
            .map_err(|e| format!("decoder: {e:?}"))?;
        let field = |name: &str| Reflect::get(&reply, &JsValue::from_str(name)).ok();
        if field("fallback").and_then(|f| f.as_bool()) == Some(true) {
            // Every worker died before this job left the queue.
            return self.decode_here(&bytes, dtype);
        }
        if let Some(error) = field("error").and_then(|e| e.as_string()) {
            return Err(error);
        }
        let pixels = field("pixels")
            .and_then(|p| p.dyn_into::<ArrayBuffer>().ok())
            .ok_or("the decoder sent no pixels")?;
        let mut state = self.0.borrow_mut();
        state.stats.decoded += 1;
        state.stats.worker_ms += field("decodeMs").and_then(|m| m.as_f64()).unwrap_or(0.0);
        Ok(match dtype {
            DType::U8 => DecodedTile::U8(Uint8Array::new(&pixels).to_vec()),
            DType::U16 => DecodedTile::U16(Uint16Array::new(&pixels).to_vec()),
        })
    }

    fn decode_here(&self, bytes: &ArrayBuffer, dtype: DType) -> Result<DecodedTile, String> {
        self.0.borrow_mut().stats.on_main_thread += 1;
        decode_tile(&Uint8Array::new(bytes).to_vec(), dtype).map_err(|e| e.to_string())
    }

    /// Gives queued jobs to free workers.
    fn dispatch(&self) {
        let mut state = self.0.borrow_mut();
        let state = &mut *state;
        if state.slots.iter().all(|s| s.dead) {
            // Nobody left to decode: the callers decode on the main thread.
            for job in state.queue.drain(..) {
                if let Some(resolve) = state.pending.remove(&job.id) {
                    let reply = Object::new();
                    let _ = Reflect::set(&reply, &"fallback".into(), &JsValue::TRUE);
                    let _ = resolve.call1(&JsValue::NULL, &reply);
                }
            }
            return;
        }
        for slot in state.slots.iter_mut() {
            if !slot.ready || slot.dead || slot.busy.is_some() {
                continue;
            }
            let Some(job) = state.queue.pop_front() else {
                return;
            };
            let message = Object::new();
            let _ = Reflect::set(&message, &"id".into(), &JsValue::from(job.id));
            let _ = Reflect::set(&message, &"bytes".into(), &job.bytes);
            let _ = Reflect::set(&message, &"uint16".into(), &JsValue::from(job.uint16));
            let transfer = js_sys::Array::of1(&job.bytes);
            match slot.worker.post_message_with_transfer(&message, &transfer) {
                Ok(()) => slot.busy = Some(job.id),
                Err(e) => {
                    let reason = format!("the decoder worker refused the file: {e:?}");
                    reply_error(&mut state.pending, job.id, &reason);
                }
            }
        }
    }

    fn on_message(&self, index: usize, data: JsValue) {
        {
            let mut state = self.0.borrow_mut();
            let state = &mut *state;
            let Some(slot) = state.slots.get_mut(index) else {
                return;
            };
            if Reflect::get(&data, &"ready".into())
                .ok()
                .and_then(|r| r.as_bool())
                == Some(true)
            {
                slot.ready = true;
            } else {
                let id = Reflect::get(&data, &"id".into())
                    .ok()
                    .and_then(|i| i.as_f64())
                    .map(|i| i as u32);
                slot.busy = None;
                if let Some(resolve) = id.and_then(|id| state.pending.remove(&id)) {
                    let _ = resolve.call1(&JsValue::NULL, &data);
                }
            }
        }
        self.dispatch();
    }

    /// A worker that failed to load or crashed: its job fails (its bytes
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
            if let Some(id) = slot.busy.take() {
                let reason = format!("the decoder worker failed: {message}");
                reply_error(&mut state.pending, id, &reason);
            }
        }
        self.dispatch();
    }
}

fn reply_error(pending: &mut HashMap<u32, Function>, id: u32, reason: &str) {
    if let Some(resolve) = pending.remove(&id) {
        let reply = Object::new();
        let _ = Reflect::set(&reply, &"error".into(), &JsValue::from_str(reason));
        let _ = resolve.call1(&JsValue::NULL, &reply);
    }
}
