//! The decoder Web Worker (built by Trunk as `tessera-decoder_loader.js`;
//! see index.html): decodes GeoTIFF tiles off the page's main thread.

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    tessera_app::worker::decoder::run();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("tessera-decoder is the web app's decoder worker: it runs in a browser.");
    std::process::exit(2);
}
