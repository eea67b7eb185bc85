//! The value under the pointer: latitude and longitude, the tile, and the
//! loaded file's DN and physical value there (over the budget, the
//! overview's, and which level it is).

use leptos::prelude::*;
use tessera_core::camera::lat_lon_at;
use tessera_core::coordinates::GlobalPixel;
use tessera_core::dataset::FILL_VALUE;
use tessera_core::derived::Sample;
use tessera_core::overview_view::{level_scale, value_at};
use tessera_core::view_plan::ViewPlan;
use tessera_core::{physical, ChunkKey, FileName, Tile};

use crate::data::overviews::overview_tile;
use crate::data::Session;
use crate::state::report::Readout;
use crate::state::AppState;

/// The readout at (x, y) CSS pixels of the map.
pub fn readout_at(state: AppState, session: Session, x: f64, y: f64) -> Option<Readout> {
    let size = state.canvas.get_untracked()?;
    let camera = state.selection.with_untracked(|s| s.camera)?;
    // Right of the swipe's divider: the layer shown there.
    let right_of_divider = state.selection.with_untracked(|s| {
        s.swipe
            .filter(|w| x >= w.position * size.css_width)
            .map(|w| (w.variable, Some(w.layer)))
    });
    // The plan under the pointer (with small multiples, its panel's:
    // its season's layer) and where it points; a derived map's readout.
    let (lat, lon, pixel, shown, in_panel, derived) = session.plan.with_untracked(|p| {
        let plan = p.as_ref()?;
        let (dx, dy) = size.to_device(x, y);
        let panel = plan.panels.iter().find(|panel| {
            let (w, h) = panel.plan.viewport.size();
            let (ox, oy) = (f64::from(panel.origin.0), f64::from(panel.origin.1));
            dx >= ox && dx < ox + f64::from(w) && dy >= oy && dy < oy + f64::from(h)
        });
        let (under, (lat, lon)) = match panel {
            Some(panel) => {
                let (ox, oy) = (f64::from(panel.origin.0), f64::from(panel.origin.1));
                let at = panel.plan.viewport.screen_to_lat_lon(dx - ox, dy - oy);
                (&panel.plan, at)
            }
            None => (plan, lat_lon_at(camera, size, x, y)?),
        };
        let pixel = GlobalPixel::containing(lat, lon).and_then(|p| p.tile_pixel());
        let derived = right_of_divider
            .is_none()
            .then(|| derived_readout(state, session, under, lat, lon, pixel))
            .flatten();
        Some((
            lat,
            lon,
            pixel,
            (under.variable, under.layer),
            panel.is_some(),
            derived,
        ))
    })?;
    if let Some(readout) = derived {
        return Some(readout);
    }
    let (variable, layer) = right_of_divider.unwrap_or(shown);
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
    let (dn, source) = match (
        over_budget && right_of_divider.is_none(),
        session.overview(),
    ) {
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
    // Right of the divider, or in a panel, which file the value is from.
    let file = match (pixel, layer) {
        (Some((tile, _, _)), Some(layer)) => {
            ChunkKey::new(variable, layer, tile).ok().map(FileName)
        }
        _ => None,
    };
    let source = match (right_of_divider, in_panel, file) {
        (Some(_), _, Some(file)) => Some(format!("{file} (right of the divider)")),
        (None, true, Some(file)) => Some(file.to_string()),
        _ => source,
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
        number: None,
        inputs: Vec::new(),
        source,
    })
}

/// A derived map's or composite's readout: its value (by the scalar
/// definition; a composite's three) and each input file's value there;
/// `None` when the view shows a stored layer.
fn derived_readout(
    state: AppState,
    session: Session,
    plan: &ViewPlan,
    lat: f64,
    lon: f64,
    pixel: Option<(Tile, u32, u32)>,
) -> Option<Readout> {
    let selected = state.selection.with_untracked(|s| s.variable);
    {
        let (inputs_of, derived) = match (&plan.composite, &plan.derived) {
            (Some(c), _) => (&c.inputs, None),
            (None, Some(d)) => (&d.inputs, Some(d.derived)),
            (None, None) => return None,
        };
        let Some((tile, row, col)) = pixel else {
            return Some(Readout {
                lat,
                lon,
                tile: None,
                dn: None,
                value: "—".into(),
                number: None,
                inputs: Vec::new(),
                source: None,
            });
        };
        let mut samples = Vec::new();
        let mut inputs = Vec::new();
        let mut waiting = false;
        for input in inputs_of {
            let Ok(key) = ChunkKey::new(input.variable, input.layer, tile) else {
                continue;
            };
            let name = FileName(key).to_string();
            let listed = plan.keys.contains(&key);
            let dn = session
                .tiles()
                .with(|t| t.tile(&key).map(|t| t.get(row, col)));
            let (sample, text) = match (listed, dn) {
                (false, _) => (Sample::NoFile, "no file".to_string()),
                (true, Some(dn)) => (
                    physical::value(input.variable, dn).map_or(Sample::NoData, Sample::Value),
                    physical::format_value(input.variable, dn),
                ),
                (true, None) => {
                    let failed = session.tiles().with(|t| t.failure(&key).is_some());
                    waiting |= !failed;
                    (
                        Sample::NoData,
                        if failed { "failed" } else { "…" }.to_string(),
                    )
                }
            };
            samples.push(sample);
            inputs.push((name, text));
        }
        let Some(derived) = derived else {
            // A composite: its three values, red first.
            let value = inputs
                .iter()
                .zip(["R", "G", "B"])
                .map(|((_, text), channel)| format!("{channel} {text}"))
                .collect::<Vec<_>>()
                .join(" · ");
            return Some(Readout {
                lat,
                lon,
                tile: Some(tile.to_string()),
                dn: None,
                value,
                number: None,
                inputs,
                source: Some("RGB composite of 3 files".into()),
            });
        };
        let number = derived.evaluate(&samples);
        let value = if waiting {
            "—".to_string()
        } else {
            derived.format(selected, number)
        };
        Some(Readout {
            lat,
            lon,
            tile: Some(tile.to_string()),
            dn: None,
            value,
            number: number.filter(|_| !waiting),
            inputs,
            source: Some(format!("{} of {} files", derived.kind(), inputs_of.len())),
        })
    }
}
