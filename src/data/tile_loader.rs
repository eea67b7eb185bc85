//! Loading tiles for named request groups (the view, a prefetch, ...):
//! the core's [`TileRequests`] decides what to fetch, what to cancel and
//! what is loaded; this starts those requests in the worker pool, cancels
//! them there, and reports back. Every arrival, failure or retry calls
//! `on_change` (the session bumps its `tiles_changed` signal).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use tessera_core::tile_requests::{
    FileFailure, Loaded, OverviewTileId, Part, RequestGroup, Ticket, TileRequests, Want,
};
use tessera_core::view_plan::ChunkLocation;
use tessera_core::ChunkKey;

use crate::fetch::resolve_url;
use crate::worker::pool::{JobError, WorkerPool};
use crate::worker::protocol::JobId;

struct Loader {
    requests: TileRequests,
    /// The worker job of each request under way.
    jobs: HashMap<Ticket, JobId>,
    /// What relative chunk URLs are relative to (the references' URL).
    base: String,
    pool: WorkerPool,
    on_change: Rc<dyn Fn()>,
    /// A data server sent a whole file for a Range request.
    range_ignored: bool,
}

/// See the [module docs](self). Cloning gives another handle on the same
/// loader.
#[derive(Clone)]
pub struct TileLoader(Rc<RefCell<Loader>>);

impl TileLoader {
    /// A cache of `cache_budget` bytes, at most `max_in_flight` requests at
    /// once, decoded by `pool`.
    pub fn new(
        pool: WorkerPool,
        cache_budget: usize,
        max_in_flight: usize,
        on_change: Rc<dyn Fn()>,
    ) -> TileLoader {
        TileLoader(Rc::new(RefCell::new(Loader {
            requests: TileRequests::new(cache_budget, max_in_flight),
            jobs: HashMap::new(),
            base: String::new(),
            pool,
            on_change,
            range_ignored: false,
        })))
    }

    /// Relative chunk URLs are relative to `base` from now on.
    pub fn set_base(&self, base: String) {
        self.0.borrow_mut().base = base;
    }

    /// Reads the loader's state (tiles, failures, progress, totals).
    pub fn with<R>(&self, f: impl FnOnce(&TileRequests) -> R) -> R {
        f(&self.0.borrow().requests)
    }

    /// Keeps an overview COG's decoded tile in the cache the files share.
    pub fn keep_overview_tile(&self, id: OverviewTileId, values: Vec<u16>) {
        self.0.borrow_mut().requests.keep_overview_tile(id, values);
    }

    /// Whether an overview tile is kept, counting it as used.
    pub fn use_overview_tile(&self, id: OverviewTileId) -> bool {
        self.0.borrow_mut().requests.use_overview_tile(id)
    }

    /// Whether a data server sent a whole file for a Range request (the
    /// inspector then reads whole files).
    pub fn range_ignored(&self) -> bool {
        self.0.borrow().range_ignored
    }

    /// Makes `wants` what `group` wants, in the order to load them:
    /// requests no group wants any more are cancelled in the workers.
    pub fn set_wanted(&self, group: RequestGroup, wants: Vec<Want>) {
        let (pool, jobs) = {
            let mut loader = self.0.borrow_mut();
            let cancelled = loader.requests.set_wanted(group, wants);
            let jobs: Vec<JobId> = cancelled
                .iter()
                .filter_map(|t| loader.jobs.remove(t))
                .collect();
            (loader.pool.clone(), jobs)
        };
        for job in jobs {
            pool.cancel(job);
        }
        self.pump();
    }

    /// Forgets the failures of `keys` and loads those files again.
    pub fn retry(&self, keys: &[ChunkKey]) {
        self.0.borrow_mut().requests.retry(keys);
        self.pump();
        self.changed();
    }

    fn changed(&self) {
        let on_change = self.0.borrow().on_change.clone();
        on_change();
    }

    /// Starts what the requests' limits allow.
    fn pump(&self) {
        loop {
            let next = self.0.borrow_mut().requests.next_request();
            let Some((ticket, want)) = next else {
                return;
            };
            self.start(ticket, want);
        }
    }

    fn start(&self, ticket: Ticket, want: Want) {
        type Reading =
            std::pin::Pin<Box<dyn std::future::Future<Output = Result<Loaded, JobError>>>>;
        let (key, part, dtype) = (want.source.key, want.part, want.source.dtype);
        let (pool, base) = {
            let loader = self.0.borrow();
            (loader.pool.clone(), loader.base.clone())
        };
        let (url, reading): (String, Reading) = match want.source.location {
            ChunkLocation::Inline(bytes) => {
                let bytes = js_sys::Uint8Array::from(&bytes[..]).buffer();
                let pool = pool.clone();
                let decoded = async move { pool.decode_tile(bytes, dtype).await.map(Loaded::Tile) };
                ("(inline in the references)".to_string(), Box::pin(decoded))
            }
            ChunkLocation::Remote { url, range } => {
                // A URL that cannot be resolved is kept as written: its
                // request then fails and is listed with the reason.
                let url = resolve_url(&url, &base).unwrap_or(url);
                let range = range.map(|r| (r.offset, r.length));
                match part {
                    Part::Whole => {
                        let this = self.clone();
                        let on_fetched = move |bytes: u32| {
                            this.0
                                .borrow_mut()
                                .requests
                                .fetched(ticket, u64::from(bytes));
                            this.pump();
                        };
                        let (job, decoded) = pool.fetch_tile(url.clone(), range, dtype, on_fetched);
                        self.0.borrow_mut().jobs.insert(ticket, job);
                        (
                            url,
                            Box::pin(async move { decoded.await.map(Loaded::Tile) }),
                        )
                    }
                    Part::Row(row) => {
                        let (job, read) = pool.read_rows(url.clone(), range, dtype, row);
                        self.0.borrow_mut().jobs.insert(ticket, job);
                        let this = self.clone();
                        let read = async move {
                            let read = read.await?;
                            let mut loader = this.0.borrow_mut();
                            loader
                                .requests
                                .count_row_read(read.bytes, u64::from(read.requests));
                            loader.range_ignored |= read.range_ignored;
                            Ok(read.loaded)
                        };
                        (url, Box::pin(read))
                    }
                }
            }
        };
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let result = reading.await;
            {
                let mut loader = this.0.borrow_mut();
                loader.jobs.remove(&ticket);
                match result {
                    Ok(loaded) => loader.requests.finished(key, part, ticket, Ok(loaded)),
                    // Cancelled because no group wants it: not a failure.
                    Err(JobError::Cancelled) => loader.requests.abandoned(ticket),
                    Err(e) => {
                        let failure = FileFailure {
                            key,
                            url,
                            reason: e.reason().to_string(),
                        };
                        loader.requests.finished(key, part, ticket, Err(failure));
                    }
                }
            }
            this.changed();
            this.pump();
        });
    }
}
