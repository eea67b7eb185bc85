//! The page's side of the decoder workers: one pool of Web Workers, one
//! per core (`navigator.hardwareConcurrency`, at most [`MAX_WORKERS`]),
//! shared by everything that needs one (tiles, reference documents,
//! coastlines). index.html starts the workers with the page, so that they
//! are ready sooner; the pool takes them over.
//!
//! Jobs wait in one queue, first in first out (callers ask in the order
//! they want), and go to the ready worker with the fewest jobs in hand, at
//! most [`MAX_JOBS_PER_WORKER`] each: a worker fetches several files at
//! once and decodes each as its body arrives. When no worker is alive
//! (the script is missing, the browser forbids workers, or all crashed),
//! the page runs the same jobs itself ([`Jobs`]).

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use futures_channel::oneshot;
use js_sys::{ArrayBuffer, Object, Reflect, Uint16Array, Uint8Array};
use tessera_core::geotiff::DecodedTile;
use tessera_core::tiff_layout::{StripRows, StripValues};
use tessera_core::tile_requests::Loaded;
use tessera_core::DType;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Event, MessageEvent, Worker};

use crate::worker::jobs::Jobs;
use crate::worker::protocol::{Failure, JobId, Reply, Request};

/// The worker's script, which Trunk writes beside index.html (see
/// index.html's `data-type="worker"` link), relative to the page.
pub const WORKER_SCRIPT: &str = "./tessera-decoder_loader.js";

/// Most workers, whatever the browser reports.
const MAX_WORKERS: usize = 8;

/// Jobs one worker holds at once: fetches waiting for their bodies, and
/// the decode under way (or the row reads of a pinned pixel).
const MAX_JOBS_PER_WORKER: usize = 8;

/// Where a job ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ran {
    /// In worker number `n`.
    Worker(usize),
    /// On the page, no worker being alive.
    Page,
}

/// Why a job gave no result.
#[derive(Debug, Clone, PartialEq)]
pub enum JobError {
    /// It was cancelled.
    Cancelled,
    /// Its download failed: why, for the user.
    Fetch(String),
    /// Its bytes are not what they claim: why.
    Invalid(String),
}

impl JobError {
    /// Why, for the user.
    pub fn reason(&self) -> &str {
        match self {
            JobError::Cancelled => "cancelled",
            JobError::Fetch(reason) | JobError::Invalid(reason) => reason,
        }
    }
}

/// Tiles of an overview COG, read and decoded.
#[derive(Debug, Clone)]
pub struct CogTilesRead {
    /// (tile index, its values row-major).
    pub tiles: Vec<(usize, Vec<u16>)>,
    /// Bytes transferred.
    pub bytes: u64,
    /// The server ignored the Range request and sent the whole COG.
    pub whole: bool,
}

/// A reference document read to its end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DocumentRead {
    pub gzip: bool,
    /// Time spent in the decompressor (about 0 for plain text, which only
    /// passes through it to tell it is not gzip).
    pub inflate_ms: f64,
    /// Whether a worker read it (else the page did).
    pub in_worker: bool,
}

/// A row read: the strip (or, from a server that ignores Range, the
/// whole file), and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct RowsRead {
    pub loaded: Loaded,
    /// Bytes fetched, and in how many requests.
    pub bytes: u64,
    pub requests: u32,
    /// The server sent the whole file for a Range request.
    pub range_ignored: bool,
}

/// What the pool has done, for the status panel and the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DecodeStats {
    /// Workers alive.
    pub workers: usize,
    pub decoded: u64,
    /// Time spent decoding, summed.
    pub worker_ms: f64,
    /// Tiles decoded (or tried) on the page because no worker could.
    pub on_main_thread: u64,
}

/// Handed each of a job's replies, and where it ran.
type Listener = Box<dyn FnMut(Reply, Ran)>;

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

#[derive(Default)]
struct PoolState {
    slots: Vec<Slot>,
    queue: VecDeque<Request>,
    /// Jobs handed out, and where.
    running: HashMap<JobId, Ran>,
    listeners: HashMap<JobId, Listener>,
    next_id: JobId,
    stats: DecodeStats,
    /// The jobs the page runs when no worker is alive.
    here: Rc<Jobs>,
}

impl PoolState {
    fn live_workers(&self) -> usize {
        self.slots.iter().filter(|s| !s.dead).count()
    }

    /// The ready worker with the fewest jobs, if one has room; for a row
    /// read, the one its URL belongs to when it has room (that worker
    /// keeps the file's layout from an earlier read).
    fn free_worker(&self, request: &Request) -> Option<usize> {
        let jobs = |index: usize| {
            self.running
                .values()
                .filter(|r| **r == Ran::Worker(index))
                .count()
        };
        let free = |index: usize| {
            self.slots
                .get(index)
                .is_some_and(|s| s.ready && !s.dead && jobs(index) < MAX_JOBS_PER_WORKER)
        };
        if let Request::ReadRows { url, .. } = request {
            let home = url_hash(url) % self.slots.len().max(1);
            if free(home) {
                return Some(home);
            }
        }
        (0..self.slots.len())
            .filter(|&index| free(index))
            .min_by_key(|&index| jobs(index))
    }
}

/// See the [module docs](self). Cloning gives another handle on the same
/// pool.
#[derive(Clone)]
pub struct WorkerPool(Rc<RefCell<PoolState>>);

fn request_id(request: &Request) -> JobId {
    match request {
        Request::FetchTile { id, .. }
        | Request::ReadRows { id, .. }
        | Request::DecodeTile { id, .. }
        | Request::ReadCogTiles { id, .. }
        | Request::ReadDocument { id, .. }
        | Request::ReadCoastlines { id, .. }
        | Request::Deflate { id, .. }
        | Request::Cancel { id } => *id,
    }
}

impl WorkerPool {
    /// Takes over the workers index.html started with the page
    /// (`window.tesseraDecoders`), or starts one per core.
    pub fn start() -> WorkerPool {
        let pool = WorkerPool(Rc::new(RefCell::new(PoolState::default())));
        let started = started_with_the_page();
        if !started.is_empty() {
            for (index, worker) in started.into_iter().enumerate() {
                let slot = pool.attach(index, worker.clone());
                pool.0.borrow_mut().slots.push(slot);
                // What the worker said before the pool listened.
                if field(&worker, "tesseraReady").and_then(|r| r.as_bool()) == Some(true) {
                    pool.worker_ready(index);
                }
                if let Some(error) = field(&worker, "tesseraError").and_then(|e| e.as_string()) {
                    pool.worker_failed(index, error);
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
                        &"tessera: no decoder worker, decoding on the page:".into(),
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
        let on_message =
            Closure::<dyn FnMut(MessageEvent)>::new(
                move |e: MessageEvent| match Reply::from_message(&e.data()) {
                    Ok(reply) => pool.on_reply(reply, Ran::Worker(index)),
                    Err(error) => web_sys::console::warn_1(&format!("tessera: {error}").into()),
                },
            );
        let pool = self.clone();
        // A script that does not load gives a plain Event, with no message.
        let on_error = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
            let message = field(&e, "message")
                .and_then(|m| m.as_string())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "the decoder worker did not start".into());
            pool.worker_failed(index, message);
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
            workers: state.live_workers(),
            ..state.stats
        }
    }

    /// Queues a job (made from its id) with whom to hand its replies.
    fn submit(&self, request: impl FnOnce(JobId) -> Request, listener: Listener) -> JobId {
        let id = {
            let mut state = self.0.borrow_mut();
            state.next_id = state.next_id.wrapping_add(1);
            let id = state.next_id;
            state.listeners.insert(id, listener);
            state.queue.push_back(request(id));
            id
        };
        self.dispatch();
        id
    }

    /// A job whose last reply the returned future gives; the others go to
    /// `progress`.
    fn job(
        &self,
        request: impl FnOnce(JobId) -> Request,
        mut progress: impl FnMut(Reply, Ran) + 'static,
    ) -> (JobId, impl std::future::Future<Output = (Reply, Ran)>) {
        let (sender, receiver) = oneshot::channel();
        let mut sender = Some(sender);
        let id = self.submit(
            request,
            Box::new(move |reply, ran| {
                if reply.is_last() {
                    if let Some(sender) = sender.take() {
                        let _ = sender.send((reply, ran));
                    }
                } else {
                    progress(reply, ran);
                }
            }),
        );
        let last = async move {
            receiver.await.unwrap_or_else(|_| {
                let reason = "the decoder pool dropped the job".to_string();
                (
                    Reply::Failed {
                        id,
                        failure: Failure::Fetch,
                        reason,
                    },
                    Ran::Page,
                )
            })
        };
        (id, last)
    }

    /// Fetches a GeoTIFF file (or the byte range `(offset, length)` of
    /// one) and decodes it, in a worker; `on_fetched(bytes)` is called as
    /// soon as its body is in. The job's id cancels it ([`Self::cancel`]).
    pub fn fetch_tile(
        &self,
        url: String,
        range: Option<(u64, u64)>,
        dtype: DType,
        on_fetched: impl FnOnce(u32) + 'static,
    ) -> (
        JobId,
        impl std::future::Future<Output = Result<DecodedTile, JobError>>,
    ) {
        let mut on_fetched = Some(on_fetched);
        let (id, last) = self.job(
            move |id| Request::FetchTile {
                id,
                url,
                range,
                dtype,
            },
            move |reply, _| {
                if let (Reply::Fetched { bytes, .. }, Some(f)) = (reply, on_fetched.take()) {
                    f(bytes);
                }
            },
        );
        let pool = self.clone();
        (id, async move {
            let (reply, ran) = last.await;
            pool.tile_of(reply, ran)
        })
    }

    /// Reads the strip holding image row `row` of a GeoTIFF file (or of
    /// the byte range `(offset, length)` of one) by Range requests, in a
    /// worker. The job's id cancels it ([`Self::cancel`]).
    pub fn read_rows(
        &self,
        url: String,
        range: Option<(u64, u64)>,
        dtype: DType,
        row: u32,
    ) -> (
        JobId,
        impl std::future::Future<Output = Result<RowsRead, JobError>>,
    ) {
        let noted = Rc::new(std::cell::Cell::new((false, 0u32)));
        let note = noted.clone();
        let (id, last) = self.job(
            move |id| Request::ReadRows {
                id,
                url,
                range,
                dtype,
                row,
            },
            move |reply, _| match reply {
                Reply::RangeIgnored { .. } => note.set((true, note.get().1)),
                Reply::Fetched { bytes, .. } => note.set((note.get().0, bytes)),
                _ => {}
            },
        );
        let pool = self.clone();
        (id, async move {
            let (reply, ran) = last.await;
            let (range_ignored, whole_bytes) = noted.get();
            match reply {
                Reply::Rows {
                    first_row,
                    rows,
                    width,
                    values,
                    dtype,
                    bytes,
                    requests,
                    ..
                } => Ok(RowsRead {
                    loaded: Loaded::Rows(StripRows {
                        first_row,
                        rows,
                        width,
                        values: match dtype {
                            DType::U8 => StripValues::U8(Uint8Array::new(&values).to_vec()),
                            DType::U16 => StripValues::U16(Uint16Array::new(&values).to_vec()),
                        },
                    }),
                    bytes: u64::from(bytes),
                    requests,
                    range_ignored: false,
                }),
                tile @ Reply::Tile { .. } => Ok(RowsRead {
                    loaded: Loaded::Tile(pool.tile_of(tile, ran)?),
                    bytes: u64::from(whole_bytes),
                    requests: 1,
                    range_ignored,
                }),
                other => Err(job_error(other)),
            }
        })
    }

    /// Reads tiles of an overview COG with one Range request (`read`) and
    /// decodes them, in a worker: each tile's values, in `read`'s order.
    /// The job's id cancels it ([`Self::cancel`]).
    pub fn read_cog_tiles(
        &self,
        url: String,
        read: &tessera_core::cog::TileRead,
        format: tessera_core::cog::TileFormat,
    ) -> (
        JobId,
        impl std::future::Future<Output = Result<CogTilesRead, JobError>>,
    ) {
        let tiles: Vec<(u32, u32, u32)> = read
            .tiles
            .iter()
            .map(|&(t, at, n)| (t as u32, at as u32, n as u32))
            .collect();
        let indices: Vec<usize> = read.tiles.iter().map(|&(t, _, _)| t).collect();
        let (offset, length) = (read.offset, read.length);
        let (id, last) = self.job(
            move |id| Request::ReadCogTiles {
                id,
                url,
                offset,
                length,
                format,
                tiles,
            },
            |_, _| {},
        );
        let pool = self.clone();
        (id, async move {
            match last.await {
                (
                    Reply::CogTiles {
                        values,
                        bytes,
                        whole,
                        decode_ms,
                        ..
                    },
                    _,
                ) => {
                    {
                        let mut state = pool.0.borrow_mut();
                        state.stats.decoded += indices.len() as u64;
                        state.stats.worker_ms += decode_ms;
                    }
                    // Each tile copied once, straight out of the buffer.
                    let all = Uint16Array::new(&values);
                    let size = format.width * format.height;
                    let tiles = indices
                        .into_iter()
                        .zip((0..).map(|i: u32| i * size))
                        .take_while(|&(_, start)| start + size <= all.length())
                        .map(|(t, start)| (t, all.subarray(start, start + size).to_vec()))
                        .collect();
                    Ok(CogTilesRead {
                        tiles,
                        bytes: u64::from(bytes),
                        whole,
                    })
                }
                (other, _) => Err(job_error(other)),
            }
        })
    }

    /// Decodes a GeoTIFF file's bytes (transferred to a worker: the buffer
    /// is empty afterwards).
    pub async fn decode_tile(
        &self,
        bytes: ArrayBuffer,
        dtype: DType,
    ) -> Result<DecodedTile, JobError> {
        let (_, last) = self.job(|id| Request::DecodeTile { id, bytes, dtype }, |_, _| {});
        let (reply, ran) = last.await;
        self.tile_of(reply, ran)
    }

    /// The pixels of a tile job's last reply.
    fn tile_of(&self, reply: Reply, ran: Ran) -> Result<DecodedTile, JobError> {
        if ran == Ran::Page && !matches!(reply, Reply::Cancelled { .. }) {
            self.0.borrow_mut().stats.on_main_thread += 1;
        }
        let (pixels, dtype, decode_ms) = match reply {
            Reply::Tile {
                pixels,
                dtype,
                decode_ms,
                ..
            } => (pixels, dtype, decode_ms),
            other => return Err(job_error(other)),
        };
        {
            let mut state = self.0.borrow_mut();
            state.stats.decoded += 1;
            state.stats.worker_ms += decode_ms;
        }
        Ok(match dtype {
            DType::U8 => DecodedTile::U8(Uint8Array::new(&pixels).to_vec()),
            DType::U16 => DecodedTile::U16(Uint16Array::new(&pixels).to_vec()),
        })
    }

    /// Reads the reference document at `url` (decompressing gzip),
    /// handing its text to `on_text(text, loaded, total)` piece by piece,
    /// in order; `on_text` returns false to stop reading.
    pub async fn read_document(
        &self,
        url: String,
        mut on_text: impl FnMut(&[u8], u64, Option<u64>) -> bool + 'static,
    ) -> Result<DocumentRead, JobError> {
        let pool = self.clone();
        let stopped = Rc::new(std::cell::Cell::new(false));
        let stop = stopped.clone();
        let (_, last) = self.job(
            |id| Request::ReadDocument { id, url },
            move |reply, _| {
                if let Reply::Text {
                    id,
                    text,
                    loaded,
                    total,
                } = reply
                {
                    // Pieces sent before the worker heard of a stop are
                    // dropped.
                    if stop.get() {
                        return;
                    }
                    if !on_text(&Uint8Array::new(&text).to_vec(), loaded, total) {
                        stop.set(true);
                        pool.cancel(id);
                    }
                }
            },
        );
        let (reply, ran) = last.await;
        match reply {
            Reply::DocumentRead {
                gzip, inflate_ms, ..
            } => Ok(DocumentRead {
                gzip,
                inflate_ms,
                in_worker: ran != Ran::Page,
            }),
            other => Err(job_error(other)),
        }
    }

    /// The coastlines of a TopoJSON document (its bytes are transferred
    /// to a worker), and whether a worker read them.
    pub async fn read_coastlines(
        &self,
        json: ArrayBuffer,
    ) -> Result<(Vec<Vec<(f32, f32)>>, bool), JobError> {
        let (_, last) = self.job(|id| Request::ReadCoastlines { id, json }, |_, _| {});
        match last.await {
            (Reply::Coastlines { packed, .. }, ran) => {
                tessera_core::topojson::unpack_lines(&js_sys::Uint32Array::new(&packed).to_vec())
                    .map(|lines| (lines, ran != Ran::Page))
                    .map_err(|e| JobError::Invalid(e.to_string()))
            }
            (other, _) => Err(job_error(other)),
        }
    }

    /// An export's GeoTIFF tile compressed in a worker (its raw bytes
    /// are transferred there): the job starts now, its bytes come when
    /// awaited.
    pub fn deflate(
        &self,
        raw: ArrayBuffer,
    ) -> impl std::future::Future<Output = Result<ArrayBuffer, JobError>> {
        let (_, last) = self.job(|id| Request::Deflate { id, raw }, |_, _| {});
        async move {
            match last.await {
                (Reply::Deflated { bytes, .. }, _) => Ok(bytes),
                (other, _) => Err(job_error(other)),
            }
        }
    }

    /// Cancels job `id`: dropped if still queued, else its download is
    /// stopped where it runs (it ends with `Cancelled`, or with its result
    /// if that came first).
    pub fn cancel(&self, id: JobId) {
        let (queued, ran) = {
            let mut state = self.0.borrow_mut();
            let before = state.queue.len();
            state.queue.retain(|r| request_id(r) != id);
            (state.queue.len() < before, state.running.get(&id).copied())
        };
        if queued {
            self.on_reply(Reply::Cancelled { id }, Ran::Page);
            return;
        }
        match ran {
            Some(Ran::Worker(index)) => {
                let state = self.0.borrow();
                if let Some(slot) = state.slots.get(index) {
                    let message = Request::Cancel { id }.to_message();
                    let _ = slot.worker.post_message(&message.value);
                }
            }
            Some(Ran::Page) => {
                let here = self.0.borrow().here.clone();
                here.cancel(id);
            }
            None => {}
        }
    }

    /// Hands out queued jobs: to workers with room, or, with no worker
    /// alive, to the page.
    fn dispatch(&self) {
        loop {
            let (request, ran) = {
                let mut state = self.0.borrow_mut();
                if state.queue.is_empty() {
                    return;
                }
                let ran = if state.live_workers() == 0 {
                    Ran::Page
                } else {
                    // No worker with room (or none ready yet): jobs wait.
                    let Some(index) = state.queue.front().and_then(|r| state.free_worker(r)) else {
                        return;
                    };
                    Ran::Worker(index)
                };
                let Some(request) = state.queue.pop_front() else {
                    return;
                };
                state.running.insert(request_id(&request), ran);
                (request, ran)
            };
            match ran {
                Ran::Worker(index) => self.post(index, request),
                Ran::Page => {
                    let here = self.0.borrow().here.clone();
                    let pool = self.clone();
                    let send = Rc::new(move |reply| pool.on_reply(reply, Ran::Page));
                    wasm_bindgen_futures::spawn_local(here.run(request, send));
                }
            }
        }
    }

    fn post(&self, index: usize, request: Request) {
        let id = request_id(&request);
        let message = request.to_message();
        let sent = {
            let state = self.0.borrow();
            let worker = &state.slots[index].worker;
            match message.transfer_list() {
                Some(transfer) => worker.post_message_with_transfer(&message.value, &transfer),
                None => worker.post_message(&message.value),
            }
        };
        if let Err(e) = sent {
            let reason = format!("the decoder worker refused the job: {e:?}");
            self.fail(id, reason, index);
        }
    }

    /// Job `id`, handed to worker `index`, failed with the worker.
    fn fail(&self, id: JobId, reason: String, index: usize) {
        let failure = Failure::Fetch;
        self.on_reply(
            Reply::Failed {
                id,
                failure,
                reason,
            },
            Ran::Worker(index),
        );
    }

    /// A reply from where job ran: to its listener (called with no borrow
    /// of the pool held, so that it may queue more jobs).
    fn on_reply(&self, reply: Reply, ran: Ran) {
        let Some(id) = reply.id() else {
            if let Ran::Worker(index) = ran {
                self.worker_ready(index);
            }
            return;
        };
        let last = reply.is_last();
        let listener = {
            let mut state = self.0.borrow_mut();
            if last {
                state.running.remove(&id);
            }
            state.listeners.remove(&id)
        };
        if let Some(mut listener) = listener {
            listener(reply, ran);
            if !last {
                self.0.borrow_mut().listeners.insert(id, listener);
            }
        }
        if last {
            self.dispatch();
        }
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
    fn worker_failed(&self, index: usize, message: String) {
        let lost: Vec<JobId> = {
            let mut state = self.0.borrow_mut();
            let Some(slot) = state.slots.get_mut(index) else {
                return;
            };
            slot.dead = true;
            slot.worker.terminate();
            state
                .running
                .iter()
                .filter(|(_, r)| **r == Ran::Worker(index))
                .map(|(id, _)| *id)
                .collect()
        };
        web_sys::console::warn_1(&format!("tessera: decoder worker {index}: {message}").into());
        for id in lost {
            self.fail(id, format!("the decoder worker failed: {message}"), index);
        }
        self.dispatch();
    }
}

/// A URL's FNV-1a hash: which worker keeps that file's layout.
fn url_hash(url: &str) -> usize {
    url.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }) as usize
}

fn job_error(reply: Reply) -> JobError {
    match reply {
        Reply::Cancelled { .. } => JobError::Cancelled,
        Reply::Failed {
            failure: Failure::Invalid,
            reason,
            ..
        } => JobError::Invalid(reason),
        Reply::Failed { reason, .. } => JobError::Fetch(reason),
        other => JobError::Invalid(format!("the decoder answered {other:?}")),
    }
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
    Reflect::get(value, &JsValue::from_str(name))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}
