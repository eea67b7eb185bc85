//! The web app's entry point (built for wasm32 by Trunk).

#[cfg(target_arch = "wasm32")]
fn main() {
    tessera_app::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "tessera-app is the web app: it runs in a browser. Build and serve it with scripts/run.sh."
    );
    std::process::exit(2);
}
