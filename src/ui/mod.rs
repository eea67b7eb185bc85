//! What the user sees around the map: the shell ([`shell::App`]), the
//! toolbar of selectors, the legend and the side panels. Components read
//! the state and the reports; actions go to the selection or, for a
//! retry, to the session.

pub mod chart;
pub mod export;
pub mod inspector;
pub mod legend;
pub mod panels;
pub mod shell;
pub mod toolbar;

use leptos::prelude::*;

pub use tessera_core::legend::format_bound;

/// Copies `text` to the clipboard (or, without one, shows it to copy),
/// and sets `copied` for a moment to say so.
pub fn copy_text(text: &str, copied: RwSignal<bool>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let promise = window.navigator().clipboard().write_text(text);
    let text = text.to_string();
    leptos::task::spawn_local(async move {
        if wasm_bindgen_futures::JsFuture::from(promise).await.is_err() {
            // No clipboard (insecure context, or denied): show the text.
            let _ = window.prompt_with_message_and_default("Copy this:", &text);
        }
        copied.set(true);
        set_timeout(
            move || copied.set(false),
            std::time::Duration::from_millis(1500),
        );
    });
}
