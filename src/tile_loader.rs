//! Loading the tiles a view needs: at most N requests at a time, nearest
//! the view centre first, cancelling those whose tiles left the view;
//! decoded tiles kept in an LRU cache bounded in bytes; failures kept with
//! their URL and reason until the user retries.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

use tessera_core::geotiff::DecodedTile;
use tessera_core::tile_cache::LruCache;
use tessera_core::{ChunkKey, DType};
use web_sys::AbortController;

use crate::decode_pool::{DecodePool, DecodeStats, JobError, OnFetched};

/// Where one file of the view comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct TileSource {
    pub key: ChunkKey,
    /// Absolute URL, or empty for bytes inline in the references.
    pub url: String,
    /// A byte range of the file, for `[url, offset, length]` references.
    pub range: Option<(u64, u64)>,
    pub inline: Option<Rc<Vec<u8>>>,
    /// The stored type the references' `.zarray` gives.
    pub dtype: DType,
}

/// A file that could not be shown, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct TileFailure {
    pub key: ChunkKey,
    pub url: String,
    pub reason: String,
}

/// Counts of the files a view needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewProgress {
    pub loaded: usize,
    pub failed: usize,
    pub total: usize,
}

impl ViewProgress {
    pub fn done(&self) -> bool {
        self.loaded + self.failed >= self.total
    }
}

/// Totals over the session, for the status panel.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoaderStats {
    pub cache_bytes: usize,
    pub cache_budget: usize,
    pub cached_tiles: usize,
    pub requests: u64,
    pub cancelled: u64,
    pub bytes_fetched: u64,
    pub decoding: DecodeStats,
}

pub struct TileLoader {
    cache: LruCache<ChunkKey, DecodedTile>,
    /// Requests under way (their connections are busy).
    in_flight: HashMap<ChunkKey, AbortController>,
    /// Files fetched and waiting for (or in) a decoder worker: their
    /// connections are free for the next requests, so that fetching and
    /// decoding overlap.
    decoding: HashSet<ChunkKey>,
    failures: BTreeMap<ChunkKey, TileFailure>,
    /// The current view's files, in fetch order.
    wanted: Vec<TileSource>,
    max_in_flight: usize,
    stats: LoaderStats,
    /// Called when a tile arrives or fails, to redraw.
    on_change: Rc<dyn Fn()>,
    /// Decodes off the main thread.
    decoders: DecodePool,
}

pub type SharedLoader = Rc<RefCell<TileLoader>>;

impl TileLoader {
    pub fn new(cache_budget: usize, max_in_flight: usize, on_change: Rc<dyn Fn()>) -> SharedLoader {
        Rc::new(RefCell::new(TileLoader {
            cache: LruCache::new(cache_budget),
            in_flight: HashMap::new(),
            decoding: HashSet::new(),
            failures: BTreeMap::new(),
            wanted: Vec::new(),
            max_in_flight: max_in_flight.max(1),
            stats: LoaderStats {
                cache_budget,
                ..LoaderStats::default()
            },
            on_change,
            decoders: DecodePool::shared(),
        }))
    }

    /// The decoded tile of `key`, if loaded (does not count as a use).
    pub fn tile(&self, key: &ChunkKey) -> Option<&DecodedTile> {
        self.cache.peek(key)
    }

    pub fn failure(&self, key: &ChunkKey) -> Option<&TileFailure> {
        self.failures.get(key)
    }

    /// The failures among the current view's files.
    pub fn view_failures(&self) -> Vec<TileFailure> {
        self.wanted
            .iter()
            .filter_map(|s| self.failures.get(&s.key).cloned())
            .collect()
    }

    pub fn progress(&self) -> ViewProgress {
        let mut p = ViewProgress {
            total: self.wanted.len(),
            ..ViewProgress::default()
        };
        for source in &self.wanted {
            if self.cache.contains(&source.key) {
                p.loaded += 1;
            } else if self.failures.contains_key(&source.key) {
                p.failed += 1;
            }
        }
        p
    }

    pub fn stats(&self) -> LoaderStats {
        LoaderStats {
            cache_bytes: self.cache.bytes(),
            cached_tiles: self.cache.len(),
            decoding: self.decoders.stats(),
            ..self.stats
        }
    }
}

/// Makes `wanted` the files to load: cancels requests for files no longer
/// wanted, marks cached ones as used, and starts what the limit allows.
pub fn set_wanted(loader: &SharedLoader, wanted: Vec<TileSource>) {
    {
        let mut l = loader.borrow_mut();
        if l.wanted == wanted {
            return;
        }
        let keep: std::collections::HashSet<ChunkKey> = wanted.iter().map(|s| s.key).collect();
        let gone: Vec<ChunkKey> = l
            .in_flight
            .keys()
            .filter(|k| !keep.contains(k))
            .copied()
            .collect();
        for key in &gone {
            if let Some(controller) = l.in_flight.remove(key) {
                controller.abort();
                l.stats.cancelled += 1;
            }
        }
        if !gone.is_empty() {
            l.decoders.cancel_aborted();
        }
        // Touch cached tiles nearest-last so the view's centre is evicted last.
        for source in wanted.iter().rev() {
            let _ = l.cache.get(&source.key);
        }
        l.wanted = wanted;
    }
    pump(loader);
}

/// Forgets a failure and loads the file again.
pub fn retry(loader: &SharedLoader, key: ChunkKey) {
    retry_all(loader, &[key]);
}

/// Forgets failures and loads those files again.
pub fn retry_all(loader: &SharedLoader, keys: &[ChunkKey]) {
    {
        let mut l = loader.borrow_mut();
        for key in keys {
            l.failures.remove(key);
        }
    }
    pump(loader);
    let on_change = loader.borrow().on_change.clone();
    on_change();
}

/// Starts requests for wanted files, in order, up to the limit.
fn pump(loader: &SharedLoader) {
    loop {
        let next = {
            let l = loader.borrow();
            // Fetched files waiting for a decoder hold memory: a few
            // connections' worth at most.
            if l.in_flight.len() >= l.max_in_flight || l.decoding.len() >= 2 * l.max_in_flight {
                return;
            }
            l.wanted
                .iter()
                .find(|s| {
                    !l.cache.contains(&s.key)
                        && !l.failures.contains_key(&s.key)
                        && !l.in_flight.contains_key(&s.key)
                        && !l.decoding.contains(&s.key)
                })
                .cloned()
        };
        let Some(source) = next else { return };
        start(loader, source);
    }
}

fn start(loader: &SharedLoader, source: TileSource) {
    let controller = match AbortController::new() {
        Ok(c) => c,
        Err(_) => {
            finish(
                loader,
                &source,
                Err("the browser cannot make requests".into()),
            );
            return;
        }
    };
    let signal = controller.signal();
    {
        let mut l = loader.borrow_mut();
        l.in_flight.insert(source.key, controller);
        l.stats.requests += 1;
    }
    let loader = loader.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let decoders = loader.borrow().decoders.clone();
        let result = match &source.inline {
            Some(bytes) => {
                let bytes = js_sys::Uint8Array::from(&bytes[..]).buffer();
                decoders.decode(bytes, source.dtype).await
            }
            None => {
                let on_fetched: OnFetched = {
                    let loader = loader.clone();
                    let key = source.key;
                    Rc::new(move |bytes| fetched(&loader, key, bytes))
                };
                let decoded = decoders
                    .fetch_and_decode(&source.url, source.range, source.dtype, &signal, on_fetched)
                    .await;
                match decoded {
                    Ok(tile) => Ok(tile),
                    // Cancelled because the tile left the view: not a failure.
                    Err(JobError::Cancelled) => return,
                    Err(JobError::Failed(_)) if signal.aborted() => return,
                    Err(JobError::Failed(reason)) => Err(reason),
                }
            }
        };
        finish(&loader, &source, result);
        pump(&loader);
    });
}

/// A worker has fetched the file of `key`: its connection is free for the
/// next request, and the file is not fetched again while it is decoded.
fn fetched(loader: &SharedLoader, key: ChunkKey, bytes: u32) {
    {
        let mut l = loader.borrow_mut();
        l.stats.bytes_fetched += u64::from(bytes);
        if l.in_flight.remove(&key).is_some() {
            l.decoding.insert(key);
        }
    }
    pump(loader);
}

fn finish(loader: &SharedLoader, source: &TileSource, result: Result<DecodedTile, String>) {
    let on_change = {
        let mut l = loader.borrow_mut();
        l.in_flight.remove(&source.key);
        l.decoding.remove(&source.key);
        match result {
            Ok(tile) => {
                let bytes = tile.byte_len();
                l.cache.insert(source.key, tile, bytes);
            }
            Err(reason) => {
                let failure = TileFailure {
                    key: source.key,
                    url: if source.url.is_empty() {
                        "(inline in the references)".into()
                    } else {
                        source.url.clone()
                    },
                    reason,
                };
                l.failures.insert(source.key, failure);
            }
        }
        l.on_change.clone()
    };
    on_change();
}
