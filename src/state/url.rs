//! The selection in the page URL, and what the page shows in `<body>`'s
//! attributes for scripts and tests.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;

use crate::state::AppState;

/// How long the URL waits for the view to settle before it is rewritten.
const URL_DEBOUNCE: Duration = Duration::from_millis(300);

/// Writes the selection into the page URL once it settles.
pub fn sync_page_url(state: AppState) {
    let pending: Rc<RefCell<Option<TimeoutHandle>>> = Rc::new(RefCell::new(None));
    Effect::new(move |_| {
        let query = state.selection.with(|s| s.to_query());
        if let Some(handle) = pending.borrow_mut().take() {
            handle.clear();
        }
        let handle = set_timeout_with_handle(move || write_page_url(&query), URL_DEBOUNCE);
        *pending.borrow_mut() = handle.ok();
    });
}

/// Replaces the page URL's query (no reload, no history entry).
pub fn write_page_url(query: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    if location.search().ok().as_deref() == Some(&format!("?{query}")) {
        return;
    }
    let path = location.pathname().unwrap_or_default();
    let url = format!("{path}?{query}");
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// `<body data-view data-files>`: what the map shows, for scripts and tests.
pub fn sync_body_attributes(state: AppState) {
    Effect::new(move |_| {
        let (mode, progress) = state.report.with(|r| (r.mode, r.progress));
        let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        else {
            return;
        };
        let _ = body.set_attribute("data-view", mode.name());
        let _ = body.set_attribute(
            "data-files",
            &format!("{}/{}", progress.loaded + progress.failed, progress.total),
        );
    });
    // `<body data-export>`: where an export is (idle, loading, encoding,
    // done, failed).
    Effect::new(move |_| {
        let phase = state.export.with(|e| e.phase);
        if let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let _ = body.set_attribute("data-export", phase.name());
        }
    });
}
