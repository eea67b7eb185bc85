//! The app: state in one place ([`AppState`]), the map with its canvases
//! and pointer handling, and the panels around it.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use tessera_core::view_state::ViewState;

use crate::camera::{fit_seed, panned, zoomed_at};
use crate::coastline::Coastlines;
use crate::controls::{Legend, Toolbar};
use crate::loading::load_references;
use crate::model::{AppState, CanvasSize};
use crate::panels::{LoadPanel, Notices, ReadoutPanel, ScaleBar, StatusPanel};
use crate::render::Renderer;

/// Coastlines shipped with the app (Natural Earth 1:50m via world-atlas).
const COASTLINES_URL: &str = "www/land-50m.json";
/// How long the URL waits for the view to settle before it is rewritten.
const URL_DEBOUNCE: Duration = Duration::from_millis(300);

#[component]
pub fn App() -> impl IntoView {
    let query = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let (selection, notices) = ViewState::from_query(&query);
    let state = AppState::new(selection, notices.iter().map(|n| n.to_string()).collect());
    provide_context(state);

    // The decoder workers start now: the first reads the references.
    crate::decode_pool::DecodePool::shared();
    leptos::task::spawn_local(load_references(state));
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
                    <LoadPanel/>
                    <Notices/>
                    <Legend/>
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

/// The selection, written into the page URL once it settles.
fn sync_page_url(state: AppState) {
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
    let path = location.pathname().unwrap_or_default();
    let url = format!("{path}?{query}");
    if location.search().ok().as_deref() == Some(&format!("?{query}")) {
        return;
    }
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// `<body data-view data-files>`: what the map shows, for scripts and tests.
fn sync_body_attributes(state: AppState) {
    Effect::new(move |_| {
        let report = state.report.get();
        let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        else {
            return;
        };
        let _ = body.set_attribute("data-view", report.mode.name());
        let p = report.progress;
        let _ = body.set_attribute(
            "data-files",
            &format!("{}/{}", p.loaded + p.failed, p.total),
        );
    });
}

#[component]
fn Map() -> impl IntoView {
    let state = expect_context::<AppState>();
    let wrap_ref = NodeRef::<html::Main>::new();
    let map_ref = NodeRef::<html::Canvas>::new();
    let overlay_ref = NodeRef::<html::Canvas>::new();
    let renderer: Rc<RefCell<Option<Rc<Renderer>>>> = Rc::new(RefCell::new(None));

    let measure = move || {
        let (Some(wrap), Some(window)) = (wrap_ref.get_untracked(), web_sys::window()) else {
            return;
        };
        let rect = wrap.get_bounding_client_rect();
        let size = CanvasSize {
            css_width: rect.width().max(1.0),
            css_height: rect.height().max(1.0),
            pixel_ratio: window.device_pixel_ratio().max(0.25),
        };
        if state.size.get_untracked() != Some(size) {
            state.size.set(Some(size));
        }
        // No view in the URL: open on the seed's selection, now, so that
        // the first draw already shows it (the renderer would otherwise
        // draw once more, on the main thread the page's start needs).
        if state.selection.with_untracked(|s| s.camera.is_none()) {
            state.selection.update(|s| s.camera = Some(fit_seed(size)));
        }
    };

    // Create the renderer once the canvases exist, and load the coastlines.
    {
        let renderer = renderer.clone();
        Effect::new(move |_| {
            let (Some(map), Some(overlay)) = (map_ref.get(), overlay_ref.get()) else {
                return;
            };
            if renderer.borrow().is_some() {
                return;
            }
            let r = Renderer::new(state, map, overlay);
            *renderer.borrow_mut() = Some(r.clone());
            // Measuring lays the new page out (tens of ms): in a task of
            // its own, not the one that built the page.
            set_timeout(measure, Duration::ZERO);
            leptos::task::spawn_local(async move {
                let url = crate::fetch::resolve_url(COASTLINES_URL, &crate::fetch::page_url());
                let Ok(url) = url else { return };
                let Ok(controller) = web_sys::AbortController::new() else {
                    return;
                };
                let fetched = crate::fetch::fetch_buffer(&url, None, &controller.signal()).await;
                // Reading them takes a decoder worker (or, without one, the
                // main thread) tens of ms: not while the first view is
                // loading (at most a few seconds).
                for _ in 0..60 {
                    let loading =
                        state.report.with_untracked(|r| r.mode) == crate::model::ViewMode::Loading;
                    if !loading {
                        break;
                    }
                    crate::loading::sleep_ms(50).await;
                }
                let lines = match fetched {
                    Ok(json) => {
                        crate::decode_pool::DecodePool::shared()
                            .read_coastlines(json)
                            .await
                    }
                    Err(e) => Err(e.to_string()),
                };
                match lines {
                    Ok(lines) => r.set_coastlines(Coastlines::new(lines)),
                    Err(e) => leptos::logging::warn!("coastlines {url}: {e}"),
                }
            });
        });
    }
    let _resize = window_event_listener(ev::resize, move |_| measure());

    // Redraw whenever anything the picture depends on changes: at once
    // for the view, paced for tiles arriving while it loads.
    {
        let renderer = renderer.clone();
        // Whether loading the references failed (the map says so), not
        // their download's progress: a draw for each step of a 151 MB
        // download took the main thread from reading it.
        let load_failed = Memo::new(move |_| {
            matches!(
                state.load.get(),
                Some(crate::model::RefsLoad::Failed { .. })
            )
        });
        Effect::new(move |_| {
            state.selection.track();
            state.refs.track();
            state.size.track();
            load_failed.track();
            if let Some(r) = renderer.borrow().as_ref() {
                r.schedule();
            }
        });
    }
    {
        let renderer = renderer.clone();
        Effect::new(move |_| {
            state.tiles_changed.track();
            if let Some(r) = renderer.borrow().as_ref() {
                r.schedule_progress();
            }
        });
    }

    // Where the pointer rests, so that the readout follows data that
    // arrives (or a selection that changes) under a still pointer.
    let hover: Rc<Cell<Option<(f64, f64)>>> = Rc::new(Cell::new(None));
    {
        let hover = hover.clone();
        let renderer = renderer.clone();
        Effect::new(move |_| {
            state.tiles_changed.track();
            state.selection.track();
            if let (Some((x, y)), Some(r)) = (hover.get(), renderer.borrow().as_ref()) {
                state.readout.set(r.readout(x, y));
            }
        });
    }

    // Pointers currently down, for drag (one) and pinch (two).
    let pointers: Rc<RefCell<BTreeMap<i32, (f64, f64)>>> = Rc::new(RefCell::new(BTreeMap::new()));
    let position = move |e: &ev::PointerEvent| -> (f64, f64) {
        let Some(wrap) = wrap_ref.get_untracked() else {
            return (0.0, 0.0);
        };
        let rect = wrap.get_bounding_client_rect();
        (
            f64::from(e.client_x()) - rect.left(),
            f64::from(e.client_y()) - rect.top(),
        )
    };
    let move_camera = move |f: &dyn Fn(
        tessera_core::view_state::Camera,
        CanvasSize,
    ) -> tessera_core::view_state::Camera| {
        let Some(size) = state.size.get_untracked() else {
            return;
        };
        state.selection.update(|s| {
            if let Some(camera) = s.camera {
                s.camera = Some(f(camera, size));
            }
        });
    };

    let on_pointerdown = {
        let pointers = pointers.clone();
        move |e: ev::PointerEvent| {
            if e.button() != 0 && e.pointer_type() == "mouse" {
                return;
            }
            // Only the map drags: buttons over it keep their clicks.
            let on_canvas = e
                .target()
                .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlCanvasElement>(t).ok())
                .is_some();
            if !on_canvas {
                return;
            }
            if let Some(wrap) = wrap_ref.get_untracked() {
                let _ = wrap.set_pointer_capture(e.pointer_id());
                let _ = wrap.focus();
            }
            pointers.borrow_mut().insert(e.pointer_id(), position(&e));
        }
    };
    let on_pointermove = {
        let pointers = pointers.clone();
        let renderer = renderer.clone();
        let hover = hover.clone();
        move |e: ev::PointerEvent| {
            let (x, y) = position(&e);
            let mut down = pointers.borrow_mut();
            if let Some(&(px, py)) = down.get(&e.pointer_id()) {
                if down.len() == 1 {
                    move_camera(&|c, size| panned(c, size, x - px, y - py));
                } else if down.len() == 2 {
                    // Pinch: zoom by the change of distance about the midpoint.
                    let other = down
                        .iter()
                        .find(|(id, _)| **id != e.pointer_id())
                        .map(|(_, p)| *p);
                    if let Some((ox, oy)) = other {
                        let before = ((px - ox).powi(2) + (py - oy).powi(2)).sqrt();
                        let after = ((x - ox).powi(2) + (y - oy).powi(2)).sqrt();
                        if before > 1.0 && after > 1.0 {
                            let (mx, my) = ((x + ox) / 2.0, (y + oy) / 2.0);
                            let factor = after / before;
                            move_camera(&|c, size| {
                                let c = panned(c, size, (x - px) / 2.0, (y - py) / 2.0);
                                zoomed_at(c, size, factor, mx, my)
                            });
                        }
                    }
                }
                down.insert(e.pointer_id(), (x, y));
            }
            drop(down);
            hover.set(Some((x, y)));
            if let Some(r) = renderer.borrow().as_ref() {
                state.readout.set(r.readout(x, y));
            }
        }
    };
    let on_pointerup = {
        let pointers = pointers.clone();
        move |e: ev::PointerEvent| {
            pointers.borrow_mut().remove(&e.pointer_id());
        }
    };
    let on_pointercancel = {
        let pointers = pointers.clone();
        move |e: ev::PointerEvent| {
            pointers.borrow_mut().remove(&e.pointer_id());
        }
    };
    let on_wheel = move |e: ev::WheelEvent| {
        e.prevent_default();
        let Some(wrap) = wrap_ref.get_untracked() else {
            return;
        };
        let rect = wrap.get_bounding_client_rect();
        let (x, y) = (
            f64::from(e.client_x()) - rect.left(),
            f64::from(e.client_y()) - rect.top(),
        );
        // Lines and pages count as about 40 and 800 pixels of scrolling.
        let pixels = match e.delta_mode() {
            1 => e.delta_y() * 40.0,
            2 => e.delta_y() * 800.0,
            _ => e.delta_y(),
        };
        let factor = (-pixels / 300.0).exp2();
        move_camera(&|c, size| zoomed_at(c, size, factor, x, y));
    };
    let on_keydown = move |e: ev::KeyboardEvent| {
        let Some(size) = state.size.get_untracked() else {
            return;
        };
        let (cx, cy) = (size.css_width / 2.0, size.css_height / 2.0);
        let step = size.css_width.min(size.css_height) / 8.0;
        match e.key().as_str() {
            "+" | "=" => move_camera(&|c, s| zoomed_at(c, s, 2.0, cx, cy)),
            "-" | "_" => move_camera(&|c, s| zoomed_at(c, s, 0.5, cx, cy)),
            "ArrowLeft" => move_camera(&|c, s| panned(c, s, step, 0.0)),
            "ArrowRight" => move_camera(&|c, s| panned(c, s, -step, 0.0)),
            "ArrowUp" => move_camera(&|c, s| panned(c, s, 0.0, step)),
            "ArrowDown" => move_camera(&|c, s| panned(c, s, 0.0, -step)),
            _ => return,
        }
        e.prevent_default();
    };
    let zoom_button = move |factor: f64| {
        move |_: ev::MouseEvent| {
            let Some(size) = state.size.get_untracked() else {
                return;
            };
            let (cx, cy) = (size.css_width / 2.0, size.css_height / 2.0);
            move_camera(&|c, s| zoomed_at(c, s, factor, cx, cy));
        }
    };
    let on_leave = {
        let hover = hover.clone();
        move |_: ev::PointerEvent| {
            hover.set(None);
            state.readout.set(None);
        }
    };

    view! {
        <main
            id="map-wrap"
            node_ref=wrap_ref
            tabindex="0"
            aria-label="Map: drag to pan, wheel or +/− to zoom, arrows to move"
            on:pointerdown=on_pointerdown
            on:pointermove=on_pointermove
            on:pointerup=on_pointerup
            on:pointercancel=on_pointercancel
            on:pointerleave=on_leave
            on:wheel=on_wheel
            on:keydown=on_keydown
        >
            <canvas id="map" node_ref=map_ref></canvas>
            <canvas id="overlay" node_ref=overlay_ref></canvas>
            <div id="zoom-buttons">
                <button id="zoom-in" title="Zoom in (+)" on:click=zoom_button(2.0)>"+"</button>
                <button id="zoom-out" title="Zoom out (−)" on:click=zoom_button(0.5)>"−"</button>
            </div>
            <BudgetNote/>
            <ScaleBar/>
        </main>
    }
}

#[component]
fn BudgetNote() -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        let report = state.report.get();
        (report.mode == crate::model::ViewMode::Budget).then(|| {
            let budget = state.selection.with(|s| s.budget);
            view! {
                <div id="budget-note">
                    <strong>"Zoom in to load data"</strong>
                    <span>
                        {format!(
                            "This view needs {} files, more than the budget of {budget}; squares show where files exist.",
                            report.needed,
                        )}
                    </span>
                </div>
            }
        })
    }
}
