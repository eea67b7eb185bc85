//! The map: its two canvases, measured whenever their box changes size
//! ([`Map`]); painting the view plan on them ([`painter`], [`canvas`]) at
//! the right moments ([`frame`]); gestures that move the camera
//! ([`gestures`]); the value under the pointer ([`readout`]); and the
//! widgets over it ([`controls`]).

pub mod canvas;
pub mod controls;
pub mod frame;
pub mod gestures;
pub mod painter;
pub mod readout;
pub mod snapshot;
pub mod stretch;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use tessera_core::camera::CanvasSize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::data::Session;
use crate::map::controls::{BudgetNote, ExportAreaBox, ScaleBar, SwipeDivider};
use crate::map::frame::Frames;
use crate::map::gestures::Gestures;
use crate::map::painter::Painter;
use crate::map::readout::readout_at;
use crate::state::report::RefsLoad;
use crate::state::AppState;

#[component]
pub fn Map() -> impl IntoView {
    let state = expect_context::<AppState>();
    let session = expect_context::<Session>();
    let wrap_ref = NodeRef::<html::Main>::new();
    let map_ref = NodeRef::<html::Canvas>::new();
    let overlay_ref = NodeRef::<html::Canvas>::new();
    let frames: Rc<RefCell<Option<Rc<Frames>>>> = Rc::new(RefCell::new(None));

    // The map's box in CSS pixels, whenever it changes: the toolbar and
    // the panels appear after the map, and the window may change size.
    let measure = move || {
        let (Some(wrap), Some(window)) = (wrap_ref.get_untracked(), web_sys::window()) else {
            return;
        };
        let rect = wrap.get_bounding_client_rect();
        state.set_canvas(CanvasSize {
            css_width: rect.width().max(1.0),
            css_height: rect.height().max(1.0),
            pixel_ratio: window.device_pixel_ratio().max(0.25),
        });
    };

    // Once the canvases exist: the painter, and the measuring.
    {
        let frames = frames.clone();
        Effect::new(move |_| {
            let (Some(map), Some(overlay), Some(wrap)) =
                (map_ref.get(), overlay_ref.get(), wrap_ref.get())
            else {
                return;
            };
            if frames.borrow().is_some() {
                return;
            }
            let f = Frames::new(state, session, Painter::new(map, overlay));
            *frames.borrow_mut() = Some(f.clone());
            f.schedule();
            // Measuring lays the new page out (tens of ms): in a task of
            // its own, not the one that built the page.
            set_timeout(measure, Duration::ZERO);
            observe_size(&wrap, measure);
        });
    }
    // The device pixel ratio changes (browser zoom) without the box.
    let _resize = window_event_listener(ev::resize, move |_| measure());

    // Paint whenever anything the picture depends on changes: at once for
    // the view, paced for tiles arriving while it loads.
    let colours = Memo::new(move |_| {
        state.selection.with(|s| {
            (
                s.variable,
                s.colormap,
                s.range,
                s.pin,
                s.derived,
                s.composite,
                s.swipe,
            )
        })
    });
    // Whether loading the references failed (the map says so), not their
    // download's progress: a paint for each step of a 151 MB download took
    // the main thread from reading it.
    let load_failed = Memo::new(move |_| matches!(state.load.get(), Some(RefsLoad::Failed { .. })));
    {
        let frames = frames.clone();
        Effect::new(move |_| {
            session.plan.track();
            session.coastlines.track();
            colours.track();
            load_failed.track();
            if let Some(f) = frames.borrow().as_ref() {
                f.schedule();
            }
        });
    }
    {
        let frames = frames.clone();
        Effect::new(move |_| {
            session.tiles_changed.track();
            if let Some(f) = frames.borrow().as_ref() {
                f.schedule_progress();
            }
        });
    }

    crate::map::stretch::keep_histogram(state, session);

    // Where the pointer rests, so that the readout follows data that
    // arrives (or a selection that changes) under a still pointer.
    let hover: Rc<Cell<Option<(f64, f64)>>> = Rc::new(Cell::new(None));
    {
        let hover = hover.clone();
        Effect::new(move |_| {
            session.tiles_changed.track();
            session.plan.track();
            if let Some((x, y)) = hover.get() {
                state.readout.set(readout_at(state, session, x, y));
            }
        });
    }

    let gestures = Rc::new(Gestures::new(state, wrap_ref));
    let on_pointerdown = {
        let g = gestures.clone();
        move |e: ev::PointerEvent| g.pointer_down(&e)
    };
    let on_pointermove = {
        let g = gestures.clone();
        let hover = hover.clone();
        move |e: ev::PointerEvent| {
            let (x, y) = g.pointer_move(&e);
            hover.set(Some((x, y)));
            state.readout.set(readout_at(state, session, x, y));
        }
    };
    let on_pointerup = {
        let g = gestures.clone();
        move |e: ev::PointerEvent| g.pointer_up(&e)
    };
    let on_pointercancel = {
        let g = gestures.clone();
        move |e: ev::PointerEvent| g.pointer_cancel(&e)
    };
    let on_wheel = {
        let g = gestures.clone();
        move |e: ev::WheelEvent| g.wheel(&e)
    };
    let on_keydown = {
        let g = gestures.clone();
        move |e: ev::KeyboardEvent| g.key(&e)
    };
    let zoom = move |factor: f64| {
        let g = gestures.clone();
        move |_: ev::MouseEvent| g.zoom(factor)
    };
    let on_leave = move |_: ev::PointerEvent| {
        hover.set(None);
        state.readout.set(None);
    };

    view! {
        <main
            id="map-wrap"
            node_ref=wrap_ref
            tabindex="0"
            aria-label="Map: drag to pan, wheel or +/− to zoom, arrows to move, click or Enter to pin a pixel, Escape to unpin"
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
                <button id="zoom-in" title="Zoom in (+)" on:click=zoom(2.0)>"+"</button>
                <button id="zoom-out" title="Zoom out (−)" on:click=zoom(0.5)>"−"</button>
            </div>
            <BudgetNote/>
            <ScaleBar/>
            <SwipeDivider wrap=wrap_ref/>
            <ExportAreaBox/>
        </main>
    }
}

/// Calls `measure` whenever `element`'s box changes size (for the page's
/// life: the map is never removed).
fn observe_size(element: &web_sys::HtmlElement, measure: impl Fn() + 'static) {
    let callback =
        Closure::<dyn FnMut(js_sys::Array)>::new(move |_entries: js_sys::Array| measure());
    match web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()) {
        Ok(observer) => {
            observer.observe(element);
            callback.forget();
        }
        Err(e) => web_sys::console::warn_2(&"tessera: no ResizeObserver:".into(), &e),
    }
}
