//! Moving the map: drag (mouse, touch) pans, two fingers pinch, the wheel,
//! the +/− buttons and the `+`/`-` keys zoom about the pointer or the
//! centre, arrow keys move. Every move is a new camera in the selection.
//! A click or a tap that does not move pins the data pixel under it;
//! Enter pins the one at the map's centre, Escape unpins.

use std::cell::RefCell;
use std::collections::BTreeMap;

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use tessera_core::camera::{lat_lon_at, panned, zoomed_at, CanvasSize};
use tessera_core::pixel::PixelPlace;
use tessera_core::view_state::Camera;

use crate::state::AppState;

pub struct Gestures {
    state: AppState,
    wrap: NodeRef<html::Main>,
    /// Pointers currently down, for drag (one) and pinch (two).
    pointers: RefCell<BTreeMap<i32, (f64, f64)>>,
    /// The press that may be a click: its pointer and how far it moved.
    press: RefCell<Option<(i32, f64)>>,
    /// Drawing the export's rectangle: the pointer and the corner (lat,
    /// lon) it started at.
    drawing_from: RefCell<Option<(i32, (f64, f64))>>,
}

/// A press that moves less than this many CSS pixels is a click.
const CLICK_SLOP: f64 = 5.0;

impl Gestures {
    pub fn new(state: AppState, wrap: NodeRef<html::Main>) -> Gestures {
        Gestures {
            state,
            wrap,
            pointers: RefCell::new(BTreeMap::new()),
            press: RefCell::new(None),
            drawing_from: RefCell::new(None),
        }
    }

    /// A client position in CSS pixels of the map.
    pub fn position(&self, client_x: i32, client_y: i32) -> (f64, f64) {
        let Some(wrap) = self.wrap.get_untracked() else {
            return (0.0, 0.0);
        };
        let rect = wrap.get_bounding_client_rect();
        (
            f64::from(client_x) - rect.left(),
            f64::from(client_y) - rect.top(),
        )
    }

    /// Where (x, y) CSS pixels are for the camera: with the four seasons
    /// side by side, the same place in the whole map as in the panel
    /// under the pointer (each panel is centred on the camera).
    fn anchor(&self, x: f64, y: f64) -> (f64, f64) {
        let multiples = self.state.selection.with_untracked(|s| s.shows_multiples());
        match self.state.canvas.get_untracked() {
            Some(size) if multiples => {
                let (pw, ph) = (size.css_width / 2.0, size.css_height / 2.0);
                let (lx, ly) = (x % pw, y % ph);
                (lx + pw / 2.0, ly + ph / 2.0)
            }
            _ => (x, y),
        }
    }

    fn move_camera(&self, f: &dyn Fn(Camera, CanvasSize) -> Camera) {
        let Some(size) = self.state.canvas.get_untracked() else {
            return;
        };
        self.state.selection.update(|s| {
            if let Some(camera) = s.camera {
                s.camera = Some(f(camera, size));
            }
        });
    }

    pub fn pointer_down(&self, e: &ev::PointerEvent) {
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
        if let Some(wrap) = self.wrap.get_untracked() {
            let _ = wrap.set_pointer_capture(e.pointer_id());
            let _ = wrap.focus();
        }
        let at = self.position(e.client_x(), e.client_y());
        if self.state.export_choice.with_untracked(|c| c.drawing) {
            if let Some(corner) = self.lat_lon(at.0, at.1) {
                *self.drawing_from.borrow_mut() = Some((e.pointer_id(), corner));
            }
            return;
        }
        let mut pointers = self.pointers.borrow_mut();
        pointers.insert(e.pointer_id(), at);
        // A second finger makes it a pinch, not a tap.
        *self.press.borrow_mut() = (pointers.len() == 1).then_some((e.pointer_id(), 0.0));
    }

    /// Pans or pinches for a pointer that is down; returns where the
    /// pointer is (CSS pixels of the map).
    pub fn pointer_move(&self, e: &ev::PointerEvent) -> (f64, f64) {
        let (x, y) = self.position(e.client_x(), e.client_y());
        let drawing = *self.drawing_from.borrow();
        if let Some((id, (lat0, lon0))) = drawing {
            if id == e.pointer_id() {
                if let Some((lat, lon)) = self.lat_lon(x, y) {
                    let area = tessera_core::Bounds {
                        north: lat0.max(lat),
                        south: lat0.min(lat),
                        west: lon0.min(lon),
                        east: lon0.max(lon),
                    };
                    self.state.selection.update(|s| s.area = Some(area));
                }
                return (x, y);
            }
        }
        let mut down = self.pointers.borrow_mut();
        if let Some(&(px, py)) = down.get(&e.pointer_id()) {
            if let Some((id, moved)) = self.press.borrow_mut().as_mut() {
                if *id == e.pointer_id() {
                    *moved += ((x - px).powi(2) + (y - py).powi(2)).sqrt();
                }
            }
            if down.len() == 1 {
                self.move_camera(&|c, size| panned(c, size, x - px, y - py));
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
                        let (mx, my) = self.anchor(mx, my);
                        self.move_camera(&|c, size| {
                            let c = panned(c, size, (x - px) / 2.0, (y - py) / 2.0);
                            zoomed_at(c, size, factor, mx, my)
                        });
                    }
                }
            }
            down.insert(e.pointer_id(), (x, y));
        }
        (x, y)
    }

    /// Ends a press: a click (or tap) pins the pixel under it.
    pub fn pointer_up(&self, e: &ev::PointerEvent) {
        if self
            .drawing_from
            .borrow_mut()
            .take_if(|(id, _)| *id == e.pointer_id())
            .is_some()
        {
            // Drawn: the map drags again. A press that drew nothing keeps
            // the view's extent.
            self.state.export_choice.update(|c| c.drawing = false);
            return;
        }
        let was_down = self.pointers.borrow_mut().remove(&e.pointer_id()).is_some();
        let press = self.press.borrow_mut().take();
        if let (true, Some((id, moved))) = (was_down, press) {
            if id == e.pointer_id() && moved < CLICK_SLOP {
                let (x, y) = self.position(e.client_x(), e.client_y());
                self.pin_at(x, y);
            }
        }
    }

    /// A press that ends without being a click (cancelled by the browser).
    pub fn pointer_cancel(&self, e: &ev::PointerEvent) {
        self.drawing_from.borrow_mut().take();
        self.pointers.borrow_mut().remove(&e.pointer_id());
        self.press.borrow_mut().take();
    }

    /// The place under (x, y) CSS pixels of the map.
    fn lat_lon(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let size = self.state.canvas.get_untracked()?;
        let camera = self.state.selection.with_untracked(|s| s.camera)?;
        lat_lon_at(camera, size, x, y)
    }

    /// Pins the data pixel under (x, y) CSS pixels of the map (its centre
    /// goes in the URL); outside the grid, a notice.
    fn pin_at(&self, x: f64, y: f64) {
        let (Some(size), Some(camera)) = (
            self.state.canvas.get_untracked(),
            self.state.selection.with_untracked(|s| s.camera),
        ) else {
            return;
        };
        let (x, y) = self.anchor(x, y);
        let Some((lat, lon)) = lat_lon_at(camera, size, x, y) else {
            return;
        };
        match PixelPlace::at(lat, lon) {
            Some(place) => self.state.pin(Some((place.lat, place.lon))),
            None => self.state.notice(format!(
                "{lat:.5}, {lon:.5} is outside the data set's grid (82 N to 79 S): nothing to pin there"
            )),
        }
    }

    pub fn wheel(&self, e: &ev::WheelEvent) {
        e.prevent_default();
        let (x, y) = self.position(e.client_x(), e.client_y());
        // Lines and pages count as about 40 and 800 pixels of scrolling.
        let pixels = match e.delta_mode() {
            1 => e.delta_y() * 40.0,
            2 => e.delta_y() * 800.0,
            _ => e.delta_y(),
        };
        let factor = (-pixels / 300.0).exp2();
        let (x, y) = self.anchor(x, y);
        self.move_camera(&|c, size| zoomed_at(c, size, factor, x, y));
    }

    pub fn key(&self, e: &ev::KeyboardEvent) {
        let Some(size) = self.state.canvas.get_untracked() else {
            return;
        };
        let (cx, cy) = size.centre();
        let step = size.css_width.min(size.css_height) / 8.0;
        match e.key().as_str() {
            "+" | "=" => self.move_camera(&|c, s| zoomed_at(c, s, 2.0, cx, cy)),
            "-" | "_" => self.move_camera(&|c, s| zoomed_at(c, s, 0.5, cx, cy)),
            "ArrowLeft" => self.move_camera(&|c, s| panned(c, s, step, 0.0)),
            "ArrowRight" => self.move_camera(&|c, s| panned(c, s, -step, 0.0)),
            "ArrowUp" => self.move_camera(&|c, s| panned(c, s, 0.0, step)),
            "ArrowDown" => self.move_camera(&|c, s| panned(c, s, 0.0, -step)),
            // The keyboard's focus point is the map's centre.
            "Enter" => self.pin_at(cx, cy),
            "Escape" => self.state.pin(None),
            _ => return,
        }
        e.prevent_default();
    }

    /// Zooms about the map's centre (the +/− buttons).
    pub fn zoom(&self, factor: f64) {
        self.move_camera(&|c, size| {
            let (cx, cy) = size.centre();
            zoomed_at(c, size, factor, cx, cy)
        });
    }
}
