//! Statistics of the synthetic landscape of a few tiles (slopes, layover,
//! snow, lakes), to tune the model:
//! `cargo run --release -p tessera-demo --example landscape_stats [TILE...]`.
use tessera_core::Tile;
use tessera_demo::generate::{tile_groups, FileGroup};
use tessera_demo::Model;

fn main() {
    let mut names: Vec<String> = std::env::args().skip(1).collect();
    if names.is_empty() {
        names = [
            "N37W119", "N36W118", "N34W118", "N35W117", "N47E010", "N28E086",
        ]
        .map(String::from)
        .to_vec();
    }
    let model = Model::new(1).expect("land polygons");
    for name in names {
        let tile = Tile::parse(&name).expect("a tile name");
        let land = model.landscape(tile);
        let g: Vec<_> = land.ground().iter().filter(|g| g.land).collect();
        let mut slopes: Vec<f32> = g.iter().map(|g| g.slope_east.abs()).collect();
        slopes.sort_by(f32::total_cmp);
        let pct = |p: f64| {
            slopes
                .get((slopes.len() as f64 * p) as usize)
                .copied()
                .unwrap_or(0.0)
        };
        let mut elev: Vec<f32> = g.iter().map(|g| g.elevation).collect();
        elev.sort_by(f32::total_cmp);
        let water = g.iter().filter(|g| g.water).count();
        let veg: f32 = g.iter().map(|g| g.vegetation).sum::<f32>() / g.len().max(1) as f32;
        let mut lsmap = std::collections::BTreeMap::new();
        for group in tile_groups(&model, tile) {
            if let FileGroup::Orbital(o, d) = group {
                for (v, _, values) in model.orbital_files(&land, o, d) {
                    if v.name() == "lsmap" {
                        for i in 0..1200 * 1200 {
                            *lsmap.entry(values.get(i).unwrap()).or_insert(0u64) += 1;
                        }
                    }
                }
            }
        }
        println!(
            "{name}: land {:.0}%, elevation p50 {:.0} p99 {:.0} m, |slope_east| p50 {:.2} p90 {:.2} p99 {:.2}, water {:.1}%, vegetation {veg:.2}, lsmap {lsmap:?}",
            g.len() as f64 / 14_400.0,
            elev.get(elev.len() / 2).copied().unwrap_or(0.0),
            elev.get(elev.len() * 99 / 100).copied().unwrap_or(0.0),
            pct(0.5),
            pct(0.9),
            pct(0.99),
            water as f64 * 100.0 / g.len().max(1) as f64,
        );
    }
}
