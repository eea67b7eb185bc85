//! Widgets over the map: the scale bar and the note shown beyond the file
//! budget.

use leptos::prelude::*;
use tessera_core::camera::viewport;

use crate::map::canvas::graticule_step;
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
        let degrees_per_css_pixel = view.degrees_per_pixel() * size.pixel_ratio;
        let degrees = graticule_step(degrees_per_css_pixel * 120.0);
        let pixels = degrees / degrees_per_css_pixel;
        let data_per_screen = degrees_per_css_pixel * 1200.0;
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
