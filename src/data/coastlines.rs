//! The map's coastlines (Natural Earth 1:50m land from world-atlas,
//! shipped in `www/`): fetched with the page, read in a decoder worker
//! once the first view has settled (reading them takes tens of ms, not to
//! be spent while that view loads), into the session.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use futures_channel::oneshot;
use leptos::prelude::*;
use tessera_core::topojson::Coastlines;

use crate::data::Session;
use crate::fetch::{fetch_buffer, page_url, resolve_url};
use crate::state::report::ViewMode;
use crate::state::AppState;

/// Coastlines shipped with the app, relative to the page.
const COASTLINES_URL: &str = "www/land-50m.json";

/// The longest the reading waits for the first view to settle.
const SETTLE_WAIT: Duration = Duration::from_secs(3);

/// Fetches and reads the coastlines into `session.coastlines`.
pub fn load_coastlines(state: AppState, session: Session) {
    let settled = first_view_settled(state);
    leptos::task::spawn_local(async move {
        let Ok(url) = resolve_url(COASTLINES_URL, &page_url()) else {
            return;
        };
        let Ok(controller) = web_sys::AbortController::new() else {
            return;
        };
        let fetched = fetch_buffer(&url, None, &controller.signal()).await;
        let _ = settled.await;
        let read = match fetched {
            Ok(json) => session
                .pool()
                .read_coastlines(json)
                .await
                .map_err(|e| e.reason().to_string()),
            Err(e) => Err(e.to_string()),
        };
        match read {
            Ok((lines, in_worker)) => {
                crate::perf::record(
                    crate::perf::COASTLINES,
                    &[
                        ("lines", lines.len() as f64),
                        ("inWorker", f64::from(u8::from(in_worker))),
                    ],
                );
                session
                    .coastlines
                    .set(Some(Arc::new(Coastlines::new(lines))));
            }
            Err(e) => leptos::logging::warn!("coastlines {url}: {e}"),
        }
    });
}

/// Resolves once the first view is no longer loading, or after
/// [`SETTLE_WAIT`], whichever comes first.
fn first_view_settled(state: AppState) -> oneshot::Receiver<()> {
    let (sender, receiver) = oneshot::channel();
    let sender = Rc::new(RefCell::new(Some(sender)));
    let fire = move |sender: &Rc<RefCell<Option<oneshot::Sender<()>>>>| {
        if let Some(s) = sender.borrow_mut().take() {
            let _ = s.send(());
        }
    };
    {
        let sender = sender.clone();
        Effect::new(move |_| {
            if state.report.with(|r| r.mode) != ViewMode::Loading {
                fire(&sender);
            }
        });
    }
    set_timeout(move || fire(&sender), SETTLE_WAIT);
    receiver
}
