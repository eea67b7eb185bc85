//! Tessera's web app: stitched mosaics of the Earthbigdata Sentinel-1
//! global coherence data set, read from fsspec references straight from
//! the browser. A thin reactive shell (Leptos) around `tessera-core`,
//! which does the thinking: references, the view plan, chunk keys,
//! decoding, stitching, colours and the URL state.
//!
//! * [`state`]: the selection (the page URL) and the reports, in one place;
//! * [`data`]: the session: references, loaders, the view plan;
//! * [`worker`]: the decoder workers and their one message protocol;
//! * [`map`]: the canvases, painting, gestures;
//! * [`ui`]: the shell, toolbar and panels.
//!
//! See docs/architecture.md. Everything here is wasm32-only; natively the
//! crate is empty.
#![cfg(target_arch = "wasm32")]

pub mod data;
pub mod download;
pub mod fetch;
pub mod map;
pub mod perf;
pub mod state;
pub mod time;
pub mod ui;
pub mod worker;

pub use ui::shell::App;

/// Starts the app in `<body>`, in a task after the one that instantiated
/// the wasm: the two together took the main thread for over 50 ms.
pub fn start() {
    perf::mark(perf::APP_START);
    console_error_panic_hook::set_once();
    leptos::prelude::set_timeout(
        || {
            leptos::mount::mount_to_body(App);
            perf::mark(perf::APP_MOUNTED);
        },
        std::time::Duration::ZERO,
    );
}

/// Decodes one tile file as the app does, for the benchmark harness
/// (`bench/web`), which times it against geotiff.js in the same page.
/// Returns the number of pixels.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = decodeTileForBench)]
pub fn decode_tile_for_bench(bytes: &[u8], uint16: bool) -> Result<u32, wasm_bindgen::JsValue> {
    let dtype = if uint16 {
        tessera_core::DType::U16
    } else {
        tessera_core::DType::U8
    };
    tessera_core::geotiff::decode_tile(bytes, dtype)
        .map(|t| (t.byte_len() / dtype.bytes()) as u32)
        .map_err(|e| wasm_bindgen::JsValue::from_str(&e.to_string()))
}
