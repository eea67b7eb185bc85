//! Finding and loading the references: `?refs=` in the page URL, else
//! `config.json` beside index.html, else the demo's references. A JSON
//! document is read in a decoder worker (which also decompresses gzip)
//! and indexed here piece by piece as its text arrives; a parquet store
//! is not loaded at all: its `.zmetadata` now, record files as views need
//! them ([`crate::data::record_loader`]).

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use tessera_core::parquet_refs::ParquetReferences;
use tessera_core::reader::ReferenceStream;

use crate::data::record_loader::{parquet_store_folder, RecordLoader};
use crate::data::session::{Loaded, Session};
use crate::fetch::{fetch_with_progress, page_url, resolve_url, FetchError};
use crate::state::report::RefsLoad;
use crate::state::AppState;
use crate::worker::pool::{DocumentRead, JobError};

/// Where the run command serves the demo, relative to the app.
pub const DEMO_REFS: &str = "demo/refs.json";

/// Bytes of references between two updates of the progress bar.
const PROGRESS_STEP: u64 = 1 << 20;

/// Loads the references into the session, reporting progress and failure.
pub async fn load_references(state: AppState, session: Session) {
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
    let loaded = match parquet_store_folder(&absolute) {
        Some(folder) => read_parquet_store(state, folder).await,
        None => read_document(state, session, &absolute).await,
    };
    let ready = loaded.and_then(|loaded| references_ready(state, session, url, absolute, loaded));
    if let Err(reason) = ready {
        fail(state, tried, reason);
    }
}

/// A JSON reference document, read as the pieces arrive: the text is
/// never held whole (the full data set's is 151 MB), and the parse
/// overlaps the download.
async fn read_document(state: AppState, session: Session, url: &str) -> Result<Loaded, String> {
    let reading = Rc::new(RefCell::new(Reading::new(state, url.to_string())));
    let to_reading = reading.clone();
    let read = session
        .pool()
        .read_document(url.to_string(), move |text, loaded, total| {
            to_reading.borrow_mut().push(text, loaded, total)
        })
        .await;
    let reading = reading.replace(Reading::new(state, String::new()));
    let read = match (read, reading.invalid.clone()) {
        (_, Some(e)) | (Err(JobError::Invalid(e)), None) => {
            return Err(format!("are not valid fsspec references: {e}"))
        }
        (Err(e), None) => return Err(format!("could not be fetched: {}", e.reason())),
        (Ok(read), None) => read,
    };
    crate::perf::mark(crate::perf::REFS_FETCHED);
    record_pieces(&reading, read);
    state.load.set(Some(RefsLoad::Parsing {
        url: url.to_string(),
        bytes: reading.loaded,
    }));
    // Let the page show "indexing" before the (synchronous) last step.
    crate::time::sleep_ms(0).await;
    let refs = reading
        .stream
        .finish()
        .map_err(|e| format!("are not valid fsspec references: {e}"))?;
    crate::perf::mark(crate::perf::REFS_INDEXED);
    Ok(Loaded::Document {
        refs: Box::new(refs),
        base: url.to_string(),
    })
}

fn record_pieces(reading: &Reading, read: DocumentRead) {
    crate::perf::record(
        crate::perf::REFS_PIECES,
        &[
            ("pieces", f64::from(reading.pieces)),
            ("parseMs", reading.parse_ms),
            ("inWorker", f64::from(u8::from(read.in_worker))),
            ("gzip", f64::from(u8::from(read.in_worker && read.gzip))),
            ("workerInflateMs", read.inflate_ms),
            ("firstTextAt", reading.first_text_at.unwrap_or(0.0)),
        ],
    );
}

/// A JSON reference document being indexed on this thread, piece by piece.
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
            first_text_at: None,
        }
    }

    /// Reads the next piece of text; false (stop reading) once the
    /// document is known not to be valid.
    fn push(&mut self, text: &[u8], loaded: u64, total: Option<u64>) -> bool {
        if self.invalid.is_some() {
            return false;
        }
        let t0 = crate::time::now();
        self.first_text_at.get_or_insert(t0);
        let pushed = self.stream.push(text);
        self.parse_ms += crate::time::now() - t0;
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

/// A parquet reference store: its `.zmetadata` now, record files as views
/// need them.
async fn read_parquet_store(state: AppState, folder: String) -> Result<Loaded, String> {
    let zmetadata_url = format!("{folder}.zmetadata");
    let progress_url = zmetadata_url.clone();
    let bytes = fetch_with_progress(&zmetadata_url, |loaded, total| {
        state.load.set(Some(RefsLoad::Fetching {
            url: progress_url.clone(),
            loaded,
            total,
        }))
    })
    .await
    .map_err(|e| format!("are a parquet store whose {zmetadata_url} could not be fetched: {e}"))?;
    crate::perf::mark(crate::perf::REFS_FETCHED);
    let store = ParquetReferences::from_zmetadata(&bytes)
        .map_err(|e| format!("are not valid parquet references: {e}"))?;
    crate::perf::mark(crate::perf::REFS_INDEXED);
    // Relative chunk URLs are relative to the store as if it were a file.
    let base = folder.trim_end_matches('/').to_string();
    Ok(Loaded::Store {
        records: RecordLoader::new(store, folder, bytes.len() as u64),
        base,
    })
}

/// The references are in: check they hold a data variable, then show them.
fn references_ready(
    state: AppState,
    session: Session,
    url: String,
    absolute: String,
    loaded: Loaded,
) -> Result<(), String> {
    let variables: Vec<_> = loaded.index().references().variables().collect();
    let Some(&first) = variables.first() else {
        return Err(
            "list none of the data set's variables (COH, AMP, rho, tau, rmse, inc, lsmap)".into(),
        );
    };
    let selected = state.selection.get_untracked().variable;
    if !variables.contains(&selected) {
        state.notice(format!(
            "the references have no {selected} variable; showing {first}"
        ));
        state.selection.update(|s| {
            s.variable = first;
            s.colormap = None;
            s.range = None;
        });
    }
    state.selection.update(|s| s.refs = Some(url));
    session.set_references(loaded);
    state.load.set(Some(RefsLoad::Ready { url: absolute }));
    Ok(())
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
