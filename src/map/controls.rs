//! Widgets over the map: the scale bar, the note shown beyond the file
//! budget, and the swipe's divider.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use tessera_core::camera::viewport;

use crate::map::canvas::scale_bar;
use crate::state::report::ViewMode;
use crate::state::AppState;

/// Beyond the file budget: the overview level drawn, or where files
/// exist, and a request to zoom in.
#[component]
pub fn BudgetNote() -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        let report = state.report.get();
        let budget = state.selection.with(|s| s.budget);
        match (&report.overview, report.mode) {
            (Some(o), ViewMode::Overview | ViewMode::Loading) => Some(view! {
                <div id="budget-note" class="overview">
                    <strong>{format!("Overview 1:{}", o.scale)}</strong>
                    <span>
                        {format!(
                            "This view needs {} files, more than the budget of {budget}: it shows the overview, one pixel for {}×{} data pixels. Zoom in for the files.",
                            report.needed, o.scale, o.scale,
                        )}
                    </span>
                </div>
            }.into_any()),
            (_, ViewMode::Budget) => Some(view! {
                <div id="budget-note">
                    <strong>"Zoom in to load data"</strong>
                    <span>
                        {format!(
                            "This view needs {} files, more than the budget of {budget}; squares show where files exist.",
                            report.needed,
                        )}
                    </span>
                </div>
            }.into_any()),
            _ => None,
        }
    }
}

/// A bar of a round number of degrees, with its length in screen pixels,
/// and how many data pixels one screen pixel spans.
#[component]
pub fn ScaleBar() -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        let size = state.canvas.get()?;
        let camera = state.selection.with(|s| s.camera)?;
        let view = viewport(camera, size)?;
        let (degrees, pixels) = scale_bar(&view, size.pixel_ratio);
        let data_per_screen = view.degrees_per_pixel() * size.pixel_ratio * 1200.0;
        let style = format!("width: {pixels:.0}px");
        let label = format!("{degrees}° = {pixels:.0} px");
        let detail = if data_per_screen >= 1.0 {
            format!("1 px = {data_per_screen:.2} data pixels")
        } else {
            format!("1 data pixel = {:.2} px", 1.0 / data_per_screen)
        };
        Some(view! {
            <div id="scale">
                <div class="bar" style=style></div>
                <span>{label}</span>
                <span class="detail">{detail}</span>
            </div>
        })
    }
}

/// The swipe's divider: dragged (or moved with the arrow keys) it moves
/// where the compared layer starts; its place is in the URL.
#[component]
pub fn SwipeDivider(wrap: NodeRef<html::Main>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let sel = state.selection;
    let dragging = RwSignal::new(false);
    let set_position = move |p: f64| {
        let p = (p.clamp(0.0, 1.0) * 1000.0).round() / 1000.0;
        sel.update(|s| {
            if let Some(w) = s.swipe.as_mut() {
                w.position = p;
            }
        });
    };
    let at_pointer = move |e: &ev::PointerEvent| {
        if let Some(wrap) = wrap.get_untracked() {
            let rect = wrap.get_bounding_client_rect();
            if rect.width() > 0.0 {
                set_position((f64::from(e.client_x()) - rect.left()) / rect.width());
            }
        }
    };
    move || {
        let swipe = sel.with(|s| s.swipe)?;
        let label = format!("Left: the map; right of the divider: {}", swipe.to_param());
        Some(view! {
            <div id="swipe-divider" role="slider" tabindex="0" aria-label=label.clone() title=label
                aria-valuemin="0" aria-valuemax="100" aria-valuenow=format!("{:.0}", swipe.position * 100.0)
                style=format!("left: {:.3}%", swipe.position * 100.0)
                on:pointerdown=move |e: ev::PointerEvent| {
                    e.stop_propagation();
                    if let Some(t) = e.target().and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok()) {
                        let _ = t.set_pointer_capture(e.pointer_id());
                    }
                    dragging.set(true);
                }
                on:pointermove=move |e: ev::PointerEvent| {
                    if dragging.get_untracked() {
                        e.stop_propagation();
                        at_pointer(&e);
                    }
                }
                on:pointerup=move |e: ev::PointerEvent| {
                    e.stop_propagation();
                    dragging.set(false);
                }
                on:keydown=move |e: ev::KeyboardEvent| {
                    let step = match e.key().as_str() {
                        "ArrowLeft" => -0.05,
                        "ArrowRight" => 0.05,
                        _ => return,
                    };
                    e.prevent_default();
                    e.stop_propagation();
                    set_position(swipe.position + step);
                }
            >
                <span class="handle">"⇆"</span>
                <span class="swipe-label">{swipe.to_param()}</span>
            </div>
        })
    }
}

/// The export's drawn rectangle over the map, while there is one.
#[component]
pub fn ExportAreaBox() -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        let area = state.selection.with(|s| s.area)?;
        let size = state.canvas.get()?;
        let camera = state.selection.with(|s| s.camera)?;
        let view = viewport(camera, size)?;
        let (x0, y0) = view.lat_lon_to_screen(area.north, area.west);
        let (x1, y1) = view.lat_lon_to_screen(area.south, area.east);
        let r = size.pixel_ratio.max(f64::MIN_POSITIVE);
        let style = format!(
            "left: {:.1}px; top: {:.1}px; width: {:.1}px; height: {:.1}px",
            x0 / r,
            y0 / r,
            (x1 - x0) / r,
            (y1 - y0) / r
        );
        Some(view! { <div id="export-area" style=style></div> })
    }
}
