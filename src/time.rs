//! Time on the page or in a worker: the clock, and waiting.

use wasm_bindgen::JsCast;

/// Milliseconds since the page (or worker) started: `performance.now()`.
pub fn now() -> f64 {
    let global = js_sys::global();
    let performance = if let Some(window) = global.dyn_ref::<web_sys::Window>() {
        window.performance()
    } else if let Some(scope) = global.dyn_ref::<web_sys::WorkerGlobalScope>() {
        scope.performance()
    } else {
        None
    };
    performance.map_or(0.0, |p| p.now())
}

/// Waits `ms` milliseconds (a `setTimeout`; 0: until the next task).
pub async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
