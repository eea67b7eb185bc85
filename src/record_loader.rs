//! Parquet references read as views need them: the store's `.zmetadata`
//! when the page loads (see [`crate::loading`]), then the record files
//! (`<variable>/refs.<n>.parq`) of the tiles in view: the selected layer's
//! at once, the other layers' (for the layer choices) once the view's
//! files are in, so that they never hold the view up. The full data set's
//! references are never downloaded.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ops::Range;

use leptos::prelude::*;
use tessera_core::parquet_refs::{ParquetReferences, RecordFile};
use tessera_core::{Layer, Variable};

use crate::fetch::{fetch_with_progress, FetchError};
use crate::model::AppState;

/// Record files fetched at once; tiles use the browser's other connections.
const MAX_IN_FLIGHT: usize = 4;

thread_local! {
    static RECORDS: RefCell<Option<RecordLoader>> = const { RefCell::new(None) };
}

struct RecordLoader {
    store: ParquetReferences,
    /// The store's folder URL, ending in `/`.
    folder: String,
    queue: VecDeque<RecordFile>,
    in_flight: BTreeSet<RecordFile>,
    failed: BTreeMap<RecordFile, String>,
    files: u32,
    bytes: u64,
}

/// The folder URL (ending in `/`) of a parquet reference store, if `url`
/// names one: `…/refs.parq`, `…/refs.parq/`, or `…/.zmetadata`.
pub fn parquet_store_folder(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    if let Some(folder) = path.strip_suffix(".zmetadata").filter(|f| f.ends_with('/')) {
        return Some(folder.to_string());
    }
    let trimmed = path.trim_end_matches('/');
    (trimmed.ends_with(".parq") || trimmed.ends_with(".parquet")).then(|| format!("{trimmed}/"))
}

/// Starts reading the store's record files as views ask for them
/// (`zmetadata_bytes`: what the store's `.zmetadata` took, counted in).
pub fn install(store: ParquetReferences, folder: String, zmetadata_bytes: u64) {
    RECORDS.with(|r| {
        *r.borrow_mut() = Some(RecordLoader {
            store,
            folder,
            queue: VecDeque::new(),
            in_flight: BTreeSet::new(),
            failed: BTreeMap::new(),
            files: 1,
            bytes: zmetadata_bytes,
        })
    });
}

/// Files and bytes of references fetched so far (`.zmetadata` included).
pub fn transferred() -> Option<(u32, u64)> {
    RECORDS.with(|r| r.borrow().as_ref().map(|l| (l.files, l.bytes)))
}

/// Whether the references are a parquet store read lazily.
pub fn active() -> bool {
    RECORDS.with(|r| r.borrow().is_some())
}

/// For a view of parquet references: asks for the record files of
/// `layer` (all layers when `None`) in the tile `ranges`, before anything
/// queued earlier. `Some(true)` once they are all read (or missing, or
/// failed); `None` when the references are not a parquet store.
pub fn request_for_layer(
    state: AppState,
    variable: Variable,
    layer: Option<Layer>,
    ranges: Option<(Range<u16>, Range<u16>)>,
) -> Option<bool> {
    let complete = RECORDS.with(|r| {
        let mut r = r.borrow_mut();
        let loader = r.as_mut()?;
        let Some((rows, columns)) = ranges else {
            return Some(true);
        };
        // No layer yet (an orbit to pick): every layer's are needed now.
        let layers = layer.map_or_else(|| Layer::all(variable), |l| vec![l]);
        let pending: Vec<RecordFile> = loader
            .store
            .records_needed(variable, &layers, rows, columns)
            .into_iter()
            .filter(|f| !loader.failed.contains_key(f))
            .collect();
        let complete = pending.is_empty();
        for record in pending.into_iter().rev() {
            if !loader.in_flight.contains(&record) {
                loader.queue.retain(|q| *q != record);
                loader.queue.push_front(record);
            }
        }
        Some(complete)
    })?;
    pump(state);
    Some(complete)
}

/// Asks for the record files of all of `variable`'s layers in the tile
/// `ranges` (for the layer choices), after those asked for already: to be
/// called once the view's own files are in, so that they never wait.
pub fn request_for_other_layers(
    state: AppState,
    variable: Variable,
    ranges: Option<(Range<u16>, Range<u16>)>,
) {
    let Some((rows, columns)) = ranges else {
        return;
    };
    RECORDS.with(|r| {
        let mut r = r.borrow_mut();
        let Some(loader) = r.as_mut() else {
            return;
        };
        let others = loader
            .store
            .records_needed(variable, &Layer::all(variable), rows, columns);
        for record in others {
            if !loader.failed.contains_key(&record)
                && !loader.in_flight.contains(&record)
                && !loader.queue.contains(&record)
            {
                loader.queue.push_back(record);
            }
        }
    });
    pump(state);
}

/// The layers of `variable` that may have files in the tile rows and
/// columns (record files not read yet count as maybe); `None` when the
/// references are not a parquet store.
pub fn layers_in(variable: Variable, rows: Range<u16>, columns: Range<u16>) -> Option<Vec<Layer>> {
    RECORDS.with(|r| {
        r.borrow()
            .as_ref()
            .map(|l| l.store.layers_in(variable, rows, columns))
    })
}

/// Record files read or found missing so far (changes whenever the
/// references grow).
pub fn records_known() -> usize {
    RECORDS.with(|r| r.borrow().as_ref().map_or(0, |l| l.store.records_known()))
}

/// How many record files could not be read (not counting those the store
/// does not have).
pub fn failed_count() -> usize {
    RECORDS.with(|r| r.borrow().as_ref().map_or(0, |l| l.failed.len()))
}

/// Forgets which record files could not be read, so that the view asks for
/// them again (the references panel's retry).
pub fn retry_failed(state: AppState) {
    RECORDS.with(|r| {
        if let Some(loader) = r.borrow_mut().as_mut() {
            loader.failed.clear();
        }
    });
    // The view is drawn again, and asks for the record files it needs.
    state.refs.update(|_| {});
}

/// "N record files read (X KB)", for the status panel.
pub fn summary() -> Option<String> {
    RECORDS.with(|r| {
        r.borrow().as_ref().map(|l| {
            let failed = if l.failed.is_empty() {
                String::new()
            } else {
                format!(", {} failed", l.failed.len())
            };
            format!(
                "parquet references: {} record files read ({:.0} KB with .zmetadata){failed}",
                l.files - 1,
                l.bytes as f64 / 1e3
            )
        })
    })
}

/// Starts fetches from the queue while there is room.
fn pump(state: AppState) {
    let started: Vec<(RecordFile, String)> = RECORDS.with(|r| {
        let mut r = r.borrow_mut();
        let Some(loader) = r.as_mut() else {
            return Vec::new();
        };
        let mut started = Vec::new();
        while loader.in_flight.len() < MAX_IN_FLIGHT {
            let Some(record) = loader.queue.pop_front() else {
                break;
            };
            if loader.store.record(record).is_some() || !loader.in_flight.insert(record) {
                continue;
            }
            started.push((record, format!("{}{}", loader.folder, record.path())));
        }
        started
    });
    for (record, url) in started {
        leptos::task::spawn_local(fetch_record(state, record, url));
    }
}

async fn fetch_record(state: AppState, record: RecordFile, url: String) {
    let fetched = fetch_with_progress(&url, |_, _| {}).await;
    // The page's handle on the references is dropped while they grow, so
    // that they grow in place instead of being copied.
    state.refs.update_untracked(|r| *r = None);
    let (references, problem) = RECORDS.with(|r| {
        let mut r = r.borrow_mut();
        let Some(loader) = r.as_mut() else {
            return (None, None);
        };
        loader.in_flight.remove(&record);
        let problem = match fetched {
            Ok(bytes) => {
                loader.files += 1;
                loader.bytes += bytes.len() as u64;
                loader
                    .store
                    .add_record(record, &bytes)
                    .err()
                    .map(|e| e.to_string())
            }
            // No such record file: its chunks are absent (S3 says 403 to
            // those who may not list the bucket).
            Err(FetchError::Status {
                status: 403 | 404, ..
            }) => {
                loader.store.add_missing(record);
                None
            }
            Err(e) => Some(format!("{url}: {e}")),
        };
        if let Some(p) = &problem {
            loader.failed.insert(record, p.clone());
        }
        crate::perf::record(
            crate::perf::RECORDS,
            &[
                ("files", f64::from(loader.files)),
                ("bytes", loader.bytes as f64),
                ("known", loader.store.records_known() as f64),
            ],
        );
        (Some(loader.store.references()), problem)
    });
    if let Some(problem) = problem {
        state.notices.update(|n| {
            n.push(format!(
                "a record file of the references could not be read: {problem}"
            ))
        });
    }
    state.refs.set(references);
    pump(state);
}
