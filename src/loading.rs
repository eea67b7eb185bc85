//! Finding and loading the references: `?refs=` in the page URL, else
//! `config.json` beside index.html, else the demo's references.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use tessera_core::reader::ReferenceStream;

use tessera_core::parquet_refs::ParquetReferences;
use tessera_core::reader::References;

use crate::decode_pool::{DecodePool, DocumentError, DocumentRead};
use crate::fetch::{fetch_in_pieces, fetch_with_progress, page_url, resolve_url, FetchError};
use crate::model::{AppState, RefsLoad};
use crate::record_loader::parquet_store_folder;

/// Where the run command serves the demo, relative to the app.
pub const DEMO_REFS: &str = "demo/refs.json";

/// Bytes of references between two updates of the progress bar.
const PROGRESS_STEP: u64 = 1 << 20;

/// Loads the references into `state`, reporting progress and failure.
pub async fn load_references(state: AppState) {
    let page = page_url();
    let mut tried = Vec::new();
    let (source, url) = match state.selection.get_untracked().refs {
        Some(url) => ("the page URL's refs parameter", url),
        None => match refs_from_config(&page).await {
            Ok(Some(url)) => ("config.json", url),
            Ok(None) => ("the default (the demo's references)", DEMO_REFS.to_string()),
            Err(problem) => {
                tried.push(format!("config.json: {problem}"));
                ("the default (the demo's references)", DEMO_REFS.to_string())
            }
        },
    };
    let absolute = match resolve_url(&url, &page) {
        Ok(u) => u,
        Err(e) => {
            tried.push(format!("{source}: {url}"));
            fail(state, tried, e.to_string());
            return;
        }
    };
    // What was given and, when it differs, what it resolved to.
    tried.push(if absolute == url {
        format!("{source}: {url}")
    } else {
        format!("{source}: {url} (resolved to {absolute})")
    });
    state.load.set(Some(RefsLoad::Fetching {
        url: absolute.clone(),
        loaded: 0,
        total: None,
    }));
    crate::perf::mark(crate::perf::REFS_START);
    if let Some(folder) = parquet_store_folder(&absolute) {
        load_parquet_store(state, tried, url, absolute, folder).await;
        return;
    }
    // Read as the pieces arrive: the text is never held whole (the full
    // data set's is 151 MB), and the parse overlaps the download.
    let shared = Rc::new(RefCell::new(Reading::new(state, absolute.clone())));
    let downloaded = download_json(&absolute, &shared).await;
    let reading = shared.replace(Reading::new(state, String::new()));
    if let Some(e) = reading.invalid {
        fail(
            state,
            tried,
            format!("are not valid fsspec references: {e}"),
        );
        return;
    }
    if let Err(e) = downloaded {
        fail(state, tried, format!("could not be fetched: {e}"));
        return;
    }
    crate::perf::mark(crate::perf::REFS_FETCHED);
    crate::perf::record(
        crate::perf::REFS_PIECES,
        &[
            ("pieces", f64::from(reading.pieces)),
            ("parseMs", reading.parse_ms),
            ("inWorker", f64::from(u8::from(reading.in_worker.is_some()))),
            (
                "gzip",
                f64::from(u8::from(reading.in_worker.is_some_and(|r| r.gzip))),
            ),
            (
                "workerInflateMs",
                reading.in_worker.map_or(0.0, |r| r.inflate_ms),
            ),
            ("firstTextAt", reading.first_text_at.unwrap_or(0.0)),
        ],
    );
    state.load.set(Some(RefsLoad::Parsing {
        url: absolute.clone(),
        bytes: reading.loaded,
    }));
    // Let the page show "indexing" before the (synchronous) last step.
    next_tick().await;
    let refs = match reading.stream.finish() {
        Ok(r) => r,
        Err(e) => {
            fail(
                state,
                tried,
                format!("are not valid fsspec references: {e}"),
            );
            return;
        }
    };
    crate::perf::mark(crate::perf::REFS_INDEXED);
    references_ready(
        state,
        tried,
        url,
        absolute.clone(),
        absolute,
        Arc::new(refs),
    );
}

/// A JSON reference document being read on this thread, piece by piece.
struct Reading {
    state: AppState,
    url: String,
    stream: ReferenceStream,
    /// Why the document is not valid references, once it is known.
    invalid: Option<String>,
    /// Bytes received (compressed, for gzip), in all and at the last
    /// progress update.
    loaded: u64,
    shown: u64,
    pieces: u32,
    parse_ms: f64,
    /// How the worker's read went, if a worker read it.
    in_worker: Option<DocumentRead>,
    /// When the first text came (`performance.now()`).
    first_text_at: Option<f64>,
}

impl Reading {
    fn new(state: AppState, url: String) -> Reading {
        Reading {
            state,
            url,
            stream: ReferenceStream::new(),
            invalid: None,
            loaded: 0,
            shown: 0,
            pieces: 0,
            parse_ms: 0.0,
            in_worker: None,
            first_text_at: None,
        }
    }

    /// Reads the next piece of text; false (stop reading) once the
    /// document is known not to be valid.
    fn push(&mut self, text: &[u8], loaded: u64, total: Option<u64>) -> bool {
        if self.invalid.is_some() {
            return false;
        }
        let t0 = crate::perf::now();
        self.first_text_at.get_or_insert(t0);
        let pushed = self.stream.push(text);
        self.parse_ms += crate::perf::now() - t0;
        self.pieces += 1;
        self.loaded = loaded;
        if let Err(e) = pushed {
            self.invalid = Some(e.to_string());
            return false;
        }
        // The progress bar moves in steps of 1 MB: redrawing the panel for
        // each of thousands of pieces would cost more than reading them.
        if loaded >= self.shown + PROGRESS_STEP || Some(loaded) == total {
            self.shown = loaded;
            self.state.load.set(Some(RefsLoad::Fetching {
                url: self.url.clone(),
                loaded,
                total,
            }));
        }
        true
    }
}

/// Downloads the JSON document at `url` into `reading`: in a decoder
/// worker, which also decompresses gzip, so that the download never waits
/// for this thread's parse; on this thread if no worker can. The error is
/// the download's; `reading.invalid` says whether the text was valid.
async fn download_json(url: &str, reading: &Rc<RefCell<Reading>>) -> Result<(), String> {
    let to_reading = reading.clone();
    let in_worker = DecodePool::shared()
        .read_document(
            url,
            Box::new(move |text, loaded, total| to_reading.borrow_mut().push(text, loaded, total)),
        )
        .await;
    match in_worker {
        // Stopped: `reading.invalid` says why.
        Ok(read) => {
            reading.borrow_mut().in_worker = Some(read);
            Ok(())
        }
        Err(DocumentError::Stopped) => Ok(()),
        Err(DocumentError::Fetch(reason)) => Err(reason),
        Err(DocumentError::Invalid(reason)) => {
            reading.borrow_mut().invalid = Some(reason);
            Ok(())
        }
        Err(DocumentError::NoWorker) => fetch_in_pieces(url, |piece, loaded, total| {
            reading.borrow_mut().push(piece, loaded, total)
        })
        .await
        .map_err(|e| e.to_string()),
    }
}

/// A parquet reference store: its `.zmetadata` now, record files as views
/// need them ([`crate::record_loader`]).
async fn load_parquet_store(
    state: AppState,
    tried: Vec<String>,
    url: String,
    absolute: String,
    folder: String,
) {
    let zmetadata_url = format!("{folder}.zmetadata");
    let progress_url = zmetadata_url.clone();
    let bytes = fetch_with_progress(&zmetadata_url, |loaded, total| {
        state.load.set(Some(RefsLoad::Fetching {
            url: progress_url.clone(),
            loaded,
            total,
        }))
    })
    .await;
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            let reason =
                format!("are a parquet store whose {zmetadata_url} could not be fetched: {e}");
            fail(state, tried, reason);
            return;
        }
    };
    crate::perf::mark(crate::perf::REFS_FETCHED);
    let store = match ParquetReferences::from_zmetadata(&bytes) {
        Ok(s) => s,
        Err(e) => {
            fail(
                state,
                tried,
                format!("are not valid parquet references: {e}"),
            );
            return;
        }
    };
    crate::perf::mark(crate::perf::REFS_INDEXED);
    let refs = store.references();
    crate::record_loader::install(store, folder.clone(), bytes.len() as u64);
    // Relative chunk URLs are relative to the store as if it were a file.
    let base = folder.trim_end_matches('/').to_string();
    references_ready(state, tried, url, base, absolute, refs);
}

/// The references are in: check they hold a data variable, then show them.
/// `base` is what relative chunk URLs are relative to.
fn references_ready(
    state: AppState,
    tried: Vec<String>,
    url: String,
    base: String,
    absolute: String,
    refs: Arc<References>,
) {
    let variables: Vec<_> = refs.variables().collect();
    let Some(&first) = variables.first() else {
        fail(
            state,
            tried,
            "list none of the data set's variables (COH, AMP, rho, tau, rmse, inc, lsmap)".into(),
        );
        return;
    };
    let selected = state.selection.get_untracked().variable;
    if !variables.contains(&selected) {
        state.notices.update(|n| {
            n.push(format!(
                "the references have no {selected} variable; showing {first}"
            ))
        });
        state.selection.update(|s| {
            s.variable = first;
            s.colormap = None;
            s.range = None;
        });
    }
    state.selection.update(|s| s.refs = Some(url));
    state.refs_url.set(base);
    state.refs.set(Some(refs));
    state.load.set(Some(RefsLoad::Ready { url: absolute }));
}

fn fail(state: AppState, tried: Vec<String>, reason: String) {
    state.load.set(Some(RefsLoad::Failed { tried, reason }));
}

/// `{"refs": "..."}` from config.json; `None` when there is no config.json.
async fn refs_from_config(page: &str) -> Result<Option<String>, String> {
    let url = resolve_url("config.json", page).map_err(|e| e.to_string())?;
    let bytes = match fetch_with_progress(&url, |_, _| {}).await {
        Ok(b) => b,
        Err(FetchError::Status { status: 404, .. }) => return Ok(None),
        Err(e) => return Err(format!("{url} could not be fetched: {e}")),
    };
    let config: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("{url} is not JSON: {e}"))?;
    match config.get("refs") {
        Some(serde_json::Value::String(refs)) if !refs.is_empty() => Ok(Some(refs.clone())),
        _ => Err(format!("{url} has no \"refs\" string")),
    }
}

async fn next_tick() {
    sleep_ms(0).await;
}

/// Waits `ms` milliseconds (a `setTimeout`).
pub async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
