//! Handing bytes to the user as a file: a Blob and a link clicked. Used
//! by the data layer (exports), the map (its picture) and the panels (a
//! pixel's CSV), so it lives below all of them.

use leptos::prelude::set_timeout;

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
