//! The value under the pointer: latitude and longitude, the tile, and the
//! loaded file's DN and physical value there (over the budget, the
//! overview's, and which level it is).

use leptos::prelude::*;
use tessera_core::camera::lat_lon_at;
use tessera_core::coordinates::GlobalPixel;
use tessera_core::dataset::FILL_VALUE;
use tessera_core::overview_view::{level_scale, value_at};
use tessera_core::{physical, ChunkKey};

use crate::data::overviews::overview_tile;
use crate::data::Session;
use crate::state::report::Readout;
use crate::state::AppState;

/// The readout at (x, y) CSS pixels of the map.
pub fn readout_at(state: AppState, session: Session, x: f64, y: f64) -> Option<Readout> {
    let size = state.canvas.get_untracked()?;
    let camera = state.selection.with_untracked(|s| s.camera)?;
    let (lat, lon) = lat_lon_at(camera, size, x, y)?;
    let (variable, layer) = session
        .plan
        .with_untracked(|p| p.as_ref().map(|p| (p.variable, p.layer)))?;
    let pixel = GlobalPixel::containing(lat, lon).and_then(|p| p.tile_pixel());
    let (tile, dn) = match (pixel, layer) {
        (Some((tile, row, col)), Some(layer)) => {
            let dn = ChunkKey::new(variable, layer, tile).ok().and_then(|key| {
                session
                    .tiles()
                    .with(|r| r.tile(&key).map(|t| t.get(row, col)))
            });
            (Some(tile.to_string()), dn)
        }
        (Some((tile, _, _)), None) => (Some(tile.to_string()), None),
        _ => (None, None),
    };
    // Over the budget, the overview drawn: its finest level in.
    let over_budget = session
        .plan
        .with_untracked(|p| p.as_ref().is_some_and(|p| p.over_budget));
    let (dn, source) = match (over_budget, session.overview()) {
        (true, Some(view)) => {
            let read = session.tiles().with(|tiles| {
                value_at(&view.header, view.need.level, lat, lon, |l, t| {
                    overview_tile(tiles, view.cog, l, t)
                })
            });
            match read {
                Some((dn, level)) => (
                    Some(dn),
                    Some(format!("overview 1:{}", level_scale(&view.header, level))),
                ),
                None => (None, None),
            }
        }
        _ => (dn, None),
    };
    let value = match dn {
        Some(dn) if dn != FILL_VALUE => physical::format_value(variable, dn),
        Some(_) => "no data".to_string(),
        None => "—".to_string(),
    };
    Some(Readout {
        lat,
        lon,
        tile,
        dn,
        value,
        source,
    })
}
