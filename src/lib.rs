//! Tessera's web app: stitched mosaics of the Earthbigdata Sentinel-1
//! global coherence data set, read from fsspec references straight from
//! the browser. A thin reactive shell (Leptos) around `tessera-core`,
//! which does the thinking: references, chunk keys, decoding, stitching,
//! colours and the URL state.
//!
//! Everything here is wasm32-only; natively the crate is empty.
#![cfg(target_arch = "wasm32")]

mod app;
mod camera;
mod coastline;
mod controls;
pub mod fetch;
mod loading;
pub mod map_canvas;
mod model;
mod panels;
mod render;
mod tile_loader;

pub use app::App;

/// Starts the app in `<body>`.
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}
