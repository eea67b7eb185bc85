//! The app's shell: the state and the session provided to everything
//! below, the toolbar, the map, and the side panel.

use std::time::Duration;

use leptos::prelude::*;

use crate::data::coastlines::load_coastlines;
use crate::data::inspector::inspect_the_pinned_pixel;
use crate::data::references::load_references;
use crate::data::view::load_what_the_view_needs;
use crate::data::Session;
use crate::map::Map;
use crate::state::url::{sync_body_attributes, sync_page_url};
use crate::state::AppState;
use crate::ui::export::ExportPanel;
use crate::ui::inspector::PixelCardPanel;
use crate::ui::legend::Legend;
use crate::ui::panels::{LoadPanel, Notices, ReadoutPanel, StatusPanel};
use crate::ui::toolbar::Toolbar;

#[component]
pub fn App() -> impl IntoView {
    let query = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let state = AppState::from_query(&query);
    provide_context(state);
    // The decoder workers start now: the first reads the references.
    let session = Session::new(state);
    provide_context(session);

    leptos::task::spawn_local(load_references(state, session));
    load_what_the_view_needs(state, session);
    inspect_the_pinned_pixel(state, session);
    load_coastlines(state, session);
    sync_page_url(state);
    sync_body_attributes(state);

    // The toolbar and the panels are built in tasks of their own after the
    // map's: building the whole page at once (and compiling its code, the
    // first time) took the main thread for over 50 ms, and the toolbar
    // with the map still took 18-21 ms of CPU (traced cold loads).
    let toolbar = in_next_task();
    let panels = in_next_task();

    view! {
        <div id="app">
            <Show when=move || toolbar.get()>
                <Toolbar/>
            </Show>
            <Map/>
            <aside id="panel">
                <Show when=move || panels.get()>
                    <PixelCardPanel/>
                    <LoadPanel/>
                    <Notices/>
                    <Legend/>
                    <ExportPanel/>
                    <ReadoutPanel/>
                    <StatusPanel/>
                </Show>
            </aside>
        </div>
    }
}

/// A flag that turns true in a task after this one (tasks set up so run
/// in that order).
fn in_next_task() -> RwSignal<bool> {
    let flag = RwSignal::new(false);
    set_timeout(move || flag.set(true), Duration::ZERO);
    flag
}
