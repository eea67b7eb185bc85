//! The view's values for the legend's histogram and the 2–98 % auto-range:
//! the value under every screen pixel of the map as drawn (stored or
//! derived), worked out again only when a view is complete or its colours
//! change, never per frame.

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use tessera_core::colormap::Scale;
use tessera_core::derived::{self, Evaluator};
use tessera_core::stretch::{auto_range, Histogram, HISTOGRAM_BINS};
use tessera_core::tile_requests::TileRequests;
use tessera_core::view_plan::ViewPlan;
use tessera_core::{mosaic, physical, ChunkKey};

use crate::data::Session;
use crate::map::painter::{input_tile, stored_tile};
use crate::state::report::{ViewHistogram, ViewMode};
use crate::state::AppState;

/// The physical value under each screen pixel of `plan`'s view (NaN: no
/// data, no file, or not loaded).
fn view_values(plan: &ViewPlan, tiles: &TileRequests) -> Vec<f64> {
    match &plan.derived {
        Some(of) => {
            let listed: HashSet<&ChunkKey> = plan.keys.iter().collect();
            let evaluator = Evaluator::new(of.derived, &of.inputs);
            derived::values(
                &plan.viewport,
                &evaluator,
                input_tile(&of.inputs, &listed, tiles),
            )
        }
        None => mosaic::stitch(&plan.viewport, stored_tile(plan, tiles))
            .into_iter()
            .map(|dn| physical::value(plan.variable, dn).unwrap_or(f64::NAN))
            .collect(),
    }
}

/// The histogram of what the view shows over the colour range: on a log
/// scale, of the logarithms (so that its bars line up with the colour
/// bar).
fn histogram(values: &[f64], range: (f64, f64), scale: Scale) -> Option<ViewHistogram> {
    let log = scale == Scale::Log && range.0 > 0.0 && range.1 > 0.0;
    let histogram = if log {
        Histogram::of(
            values.iter().map(|v| if *v > 0.0 { v.ln() } else { *v }),
            (range.0.ln(), range.1.ln()),
            HISTOGRAM_BINS,
        )
    } else {
        Histogram::of(values.iter().copied(), range, HISTOGRAM_BINS)
    }?;
    Some(ViewHistogram { histogram, log })
}

/// How long the map must be still before the histogram is made again:
/// made for every frame of a pan, it took the whole screen's values each
/// time.
const HISTOGRAM_DELAY: Duration = Duration::from_millis(150);

/// Keeps `state.histogram` the histogram of the complete view in its
/// colour range (`None` while it loads, over the budget or with lsmap's
/// categories), made once the view has been still for
/// [`HISTOGRAM_DELAY`].
pub fn keep_histogram(state: AppState, session: Session) {
    // Only what changes the histogram: not a report's other figures, nor
    // the pin or the URL's other parameters.
    let ready = Memo::new(move |_| state.report.with(|r| r.mode == ViewMode::Ready));
    let colours = Memo::new(move |_| {
        state.selection.with(|s| {
            (
                s.range_shown(),
                s.scale(),
                s.derived.is_none() && physical::is_categorical(s.variable),
            )
        })
    });
    let pending: Rc<RefCell<Option<TimeoutHandle>>> = Rc::new(RefCell::new(None));
    Effect::new(move |_| {
        session.plan.track();
        let (ready, (range, scale, categorical)) = (ready.get(), colours.get());
        if let Some(handle) = pending.borrow_mut().take() {
            handle.clear();
        }
        if !ready || categorical {
            state.histogram.set(None);
            return;
        }
        let make = move || {
            let histogram = session.plan.with_untracked(|plan| {
                let plan = plan
                    .as_ref()
                    .filter(|p| !p.over_budget && p.composite.is_none())?;
                let values = session.tiles().with(|t| view_values(plan, t));
                histogram(&values, range, scale)
            });
            state.histogram.set(histogram);
        };
        *pending.borrow_mut() = set_timeout_with_handle(make, HISTOGRAM_DELAY).ok();
    });
}

/// Sets the colour range to the 2nd–98th percentile of the values in
/// view; false when the view has none.
pub fn set_auto_range(state: AppState, session: Session) -> bool {
    let range = session.plan.with_untracked(|plan| {
        let plan = plan
            .as_ref()
            .filter(|p| !p.over_budget && p.composite.is_none())?;
        let values = session.tiles().with(|t| view_values(plan, t));
        auto_range(values)
    });
    match range {
        Some(range) => {
            state.selection.update(|s| s.range = Some(range));
            true
        }
        None => false,
    }
}
