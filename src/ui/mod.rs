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

/// Offers `parts` (a JS array of byte arrays or strings) as a download
/// named `name` of MIME type `kind`.
pub fn download_parts(name: &str, parts: &js_sys::Array, kind: &str) -> Result<(), String> {
    use wasm_bindgen::JsCast;
    let problem = |what: &str| format!("the browser could not make the download ({what})");
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| problem("no document"))?;
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(kind);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(parts, &options)
        .map_err(|_| problem("Blob"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| problem("URL"))?;
    let a = document
        .create_element("a")
        .ok()
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        .ok_or_else(|| problem("link"))?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    // Revoked once the browser has surely read it, not at once: a large
    // Blob is still being saved when click() returns.
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(60),
    );
    Ok(())
}
