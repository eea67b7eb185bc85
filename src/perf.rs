//! Timings for the benchmark harness (`bench/web`): a performance mark at
//! each step of loading, with the wasm memory size at that moment, in
//! `window.tesseraPerf[name] = { time, wasmBytes }`. Cheap enough to stay on.

use wasm_bindgen::{JsCast, JsValue};

/// The app's wasm is instantiated and its `main` runs (bench.mjs reports
/// it with the page's long tasks, to tell the start's from the view's).
pub const APP_START: &str = "tessera:app-start";
/// The page is built (in a task after [`APP_START`]'s).
pub const APP_MOUNTED: &str = "tessera:app-mounted";
/// The references' download started.
pub const REFS_START: &str = "tessera:refs-start";
/// The references' bytes are all in.
pub const REFS_FETCHED: &str = "tessera:refs-fetched";
/// The references are indexed (parsed into the core's compact index).
pub const REFS_INDEXED: &str = "tessera:refs-indexed";
/// How the references' pieces were read: `pieces`, `parseMs` (time in
/// the reader, summed), `inWorker` (1 if a decoder worker downloaded
/// them), `gzip` (1 if it decompressed them), `workerInflateMs` (its
/// time decompressing), `firstTextAt` (when
/// the first piece came, as a `performance.now()`).
pub const REFS_PIECES: &str = "tessera:refs-pieces";
/// The first decoder worker is ready for jobs.
pub const DECODER_READY: &str = "tessera:decoder-ready";
/// The session so far, updated with every change of the status panel:
/// cache bytes and budget, requests, cancellations, decodes, wasm memory,
/// and the current view's files.
pub const SESSION: &str = "tessera:session";
/// Parquet references' record files fetched so far: `files`, `bytes`
/// (transferred), `known` (read or found missing).
pub const RECORDS: &str = "tessera:records";
/// References fetched when the first view was complete (parquet
/// references): `files`, `bytes`.
pub const FIRST_VIEW_REFERENCES: &str = "tessera:first-view-references";
/// The first view whose files are all loaded (or failed) is drawn.
pub const FIRST_VIEW_COMPLETE: &str = "tessera:first-view-complete";
/// The first view over the budget whose overview tiles are all in is
/// drawn: `time`, and the session's overview `requests` and `bytes`.
pub const FIRST_OVERVIEW_COMPLETE: &str = "tessera:first-overview-complete";
/// A pixel is pinned: `at` (`performance.now()`), and the session's
/// `rowBytes` and `rowRequests` (bytes and HTTP requests of rows read by
/// range) so far.
pub const PIXEL_PINNED: &str = "tessera:pixel-pinned";
/// The pinned pixel's card is complete: `completeAt`, its `files`, and
/// the session's `rowBytes` and `rowRequests` so far.
pub const PIXEL_CARD: &str = "tessera:pixel-card";
/// The map's coastlines are read: `lines`, `inWorker` (1 when a decoder
/// worker read them, 0 when the page did).
pub const COASTLINES: &str = "tessera:coastlines";
/// Paints of the map that drew: count, total and longest time in ms.
pub const PAINTS: &str = "tessera:paints";

/// Bytes of wasm linear memory (it only grows, so this is the peak so far).
pub fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| {
            f64::from(
                m.buffer()
                    .unchecked_into::<js_sys::ArrayBuffer>()
                    .byte_length(),
            )
        })
        .unwrap_or(0.0)
}

/// `window.tesseraPerf`, made on first use.
fn marks() -> Option<JsValue> {
    let window = web_sys::window()?;
    let key = JsValue::from_str("tesseraPerf");
    match js_sys::Reflect::get(&window, &key) {
        Ok(v) if v.is_object() => Some(v),
        _ => {
            let v: JsValue = js_sys::Object::new().into();
            js_sys::Reflect::set(&window, &key, &v).ok()?;
            Some(v)
        }
    }
}

fn recorded(marks: &JsValue, name: &str) -> bool {
    js_sys::Reflect::has(marks, &JsValue::from_str(name)).unwrap_or(false)
}

/// Marks `name` now (the first time only).
pub fn mark(name: &str) {
    let Some(marks) = marks() else {
        return;
    };
    if recorded(&marks, name) {
        return;
    }
    let time = web_sys::window().and_then(|w| w.performance()).map(|p| {
        let _ = p.mark(name);
        p.now()
    });
    let entry = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&entry, &"time".into(), &time.unwrap_or(f64::NAN).into());
    let _ = js_sys::Reflect::set(&entry, &"wasmBytes".into(), &wasm_memory_bytes().into());
    let _ = js_sys::Reflect::set(&marks, &JsValue::from_str(name), &entry);
}

/// Records figures under `name` (e.g. how the references' pieces were
/// read), beside the marks.
pub fn record(name: &str, figures: &[(&str, f64)]) {
    let Some(marks) = marks() else {
        return;
    };
    let entry = js_sys::Object::new();
    for (key, value) in figures {
        let _ = js_sys::Reflect::set(&entry, &JsValue::from_str(key), &JsValue::from_f64(*value));
    }
    let _ = js_sys::Reflect::set(&marks, &JsValue::from_str(name), &entry);
}

/// [`record`], the first time only.
pub fn record_once(name: &str, figures: &[(&str, f64)]) {
    if marks().is_some_and(|m| !recorded(&m, name)) {
        record(name, figures);
    }
}
