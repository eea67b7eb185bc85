//! Asking for what the view plan names: its files (the view's request
//! group), the files around it once it is complete (the prefetch group),
//! its parquet record files (the layer shown first, the others once the
//! view is complete), the overviews' tiles (over the budget), and the
//! orbit the plan picked, which the selection
//! adopts so that it stays while the map moves.

use leptos::prelude::*;
use tessera_core::tile_requests::RequestGroup;

use crate::data::Session;
use crate::state::AppState;

/// Keeps the loaders asking for what the current plan needs.
pub fn load_what_the_view_needs(state: AppState, session: Session) {
    Effect::new(move |_| {
        // Tiles arriving can complete the view, after which the other
        // layers' record files are asked for.
        session.tiles_changed.track();
        let picked = session.plan.with(|plan| {
            let plan = plan.as_ref()?;
            let sources = if plan.over_budget {
                Vec::new()
            } else {
                plan.sources.clone()
            };
            session.want_tiles(RequestGroup::View, sources);
            // Over the budget the overviews draw the view; within it,
            // what they have shows while the files load.
            session.want_overview(plan);
            let complete = !plan.over_budget
                && session.tiles().with(|r| r.progress(&plan.keys).done())
                && session.records_settled(plan);
            // Nothing is prefetched while the view loads: its own files
            // come first, and a prefetch for the previous view goes.
            let prefetch = if complete {
                plan.prefetch.clone()
            } else {
                Vec::new()
            };
            session.want_tiles(RequestGroup::Prefetch, prefetch);
            let later = if complete {
                plan.other_records.as_slice()
            } else {
                &[]
            };
            session.request_records(&plan.records, later);
            plan.picked
        });
        // inc/lsmap without an orbit: the one the plan picked becomes the
        // selection's, so that the view keeps it while the map moves.
        if let Some((orbit, direction)) = picked {
            state.selection.update(|s| {
                s.orbit = Some(orbit);
                s.direction = direction;
            });
        }
    });
}
