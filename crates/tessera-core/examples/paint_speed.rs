//! Painting a view of the seed's selection (1280 × 800, 24 tiles) from
//! decoded tiles: a stored layer (`mosaic::paint`) beside each derived
//! map (`derived::paint`), an RGB composite (`composite::paint`), medians
//! of 30 paints each, alternated. The tiles hold values like the data
//! set's (ρ 0.05–0.95, τ 1–60 days, COH, AMP), with no-data patches.
//!
//!     cargo run --release -p tessera-core --example paint_speed

use std::collections::HashMap;
use std::time::Instant;

use tessera_core::colormap::{default_for, Palette, ValuePalette};
use tessera_core::composite::{self, Composite, CompositePalette};
use tessera_core::derived::{self, Derived, DerivedColours, Evaluator, Input, InputTile};
use tessera_core::geotiff::TILE_LEN;
use tessera_core::mosaic::{self, TileSamples};
use tessera_core::viewport::Viewport;
use tessera_core::{physical, Layer, Polarization, RepeatInterval, Season, Tile, Variable};

/// A value per pixel in `lo..hi` (DN), varying across the tile, with a
/// no-data square.
fn tile_values(seed: u32, lo: u32, hi: u32) -> Vec<u16> {
    (0..TILE_LEN as u32)
        .map(|i| {
            let (r, c) = (i / 1200, i % 1200);
            if (500..560).contains(&r) && (500..560).contains(&c) {
                return 0;
            }
            let x =
                (r.wrapping_mul(7919) ^ c.wrapping_mul(104_729) ^ seed.wrapping_mul(2_654_435_761))
                    % 10_007;
            (lo + x * (hi - lo) / 10_007) as u16
        })
        .collect()
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let view = Viewport::new(34.25, -118.0, 0.005, 1280, 800).expect("a view");
    let (rows, columns) = view.tile_ranges().expect("tiles in view");
    let tiles: Vec<Tile> = rows
        .flat_map(|r| columns.clone().map(move |c| (r, c)))
        .filter_map(|(r, c)| Tile::from_indices(r, c))
        .collect();
    let (season, pol) = (Season::Winter, Polarization::Vv);
    let layers = [
        (
            Variable::Coh,
            Layer::Coherence(season, pol, RepeatInterval::Days12),
            1,
            100,
        ),
        (
            Variable::Coh,
            Layer::Coherence(Season::Summer, pol, RepeatInterval::Days12),
            1,
            100,
        ),
        (Variable::Rho, Layer::Seasonal(season, pol), 50, 950),
        (Variable::Tau, Layer::Seasonal(season, pol), 1_000, 60_000),
        (Variable::Amp, Layer::Seasonal(season, pol), 300, 30_000),
    ];
    let mut u16s: HashMap<(Variable, Layer, Tile), Vec<u16>> = HashMap::new();
    let mut u8s: HashMap<(Variable, Layer, Tile), Vec<u8>> = HashMap::new();
    for (n, &t) in tiles.iter().enumerate() {
        for (k, &(v, l, lo, hi)) in layers.iter().enumerate() {
            let values = tile_values((n * 10 + k) as u32, lo, hi);
            if v.dtype() == tessera_core::DType::U8 {
                u8s.insert((v, l, t), values.iter().map(|&x| x as u8).collect());
            } else {
                u16s.insert((v, l, t), values);
            }
        }
    }
    let samples = |v: Variable, l: Layer, t: Tile| -> Option<TileSamples> {
        u8s.get(&(v, l, t))
            .map(|x| TileSamples::U8(x))
            .or_else(|| u16s.get(&(v, l, t)).map(|x| TileSamples::U16(x)))
    };
    let input_tile = |inputs: &[Input], i: usize, t: Tile| match inputs
        .get(i)
        .and_then(|input| samples(input.variable, input.layer, t))
    {
        Some(s) => InputTile::Samples(s),
        None => InputTile::NoFile,
    };

    let coh = Layer::Coherence(season, pol, RepeatInterval::Days12);
    let stored = Palette::new(
        Variable::Coh,
        default_for(Variable::Coh),
        physical::default_range(Variable::Coh),
    );
    let maps = [
        (
            "γ(24 d)",
            Derived::Coherence { days: 24 },
            Variable::Rho,
            Layer::Seasonal(season, pol),
        ),
        (
            "σ LOS (24 d)",
            Derived::DeformationError {
                days: 24,
                looks: 20,
            },
            Variable::Rho,
            Layer::Seasonal(season, pol),
        ),
        (
            "COH summer − winter",
            Derived::Difference { minus: coh },
            Variable::Coh,
            Layer::Coherence(Season::Summer, pol, RepeatInterval::Days12),
        ),
        (
            "COH seasonal range",
            Derived::SeasonalRange,
            Variable::Coh,
            coh,
        ),
    ];
    let composite = Composite::presets(season, pol)[0].1;
    let composite_inputs = composite.inputs();
    let composite_palette = CompositePalette::new(&composite);
    let mut times: HashMap<&str, Vec<f64>> = HashMap::new();
    let mut rgba = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        mosaic::paint(
            &view,
            |tile| samples(Variable::Coh, coh, tile),
            &stored,
            &mut rgba,
        );
        times
            .entry("COH (stored)")
            .or_default()
            .push(t.elapsed().as_secs_f64() * 1e3);
        for (name, d, variable, layer) in &maps {
            let inputs = d.inputs(*variable, Some(*layer)).expect("inputs");
            // Made once per colours in the app, not per paint.
            let colours = DerivedColours::new(
                Evaluator::new(*d, &inputs),
                ValuePalette::new(d.default_colormap(), d.default_range(*variable), d.scale()),
            );
            let t = Instant::now();
            derived::paint(
                &view,
                &colours,
                |i, tile| input_tile(&inputs, i, tile),
                &mut rgba,
            );
            times
                .entry(name)
                .or_default()
                .push(t.elapsed().as_secs_f64() * 1e3);
        }
        let t = Instant::now();
        composite::paint(
            &view,
            &composite_palette,
            |i, tile| input_tile(&composite_inputs, i, tile),
            &mut rgba,
        );
        times
            .entry("RGB composite")
            .or_default()
            .push(t.elapsed().as_secs_f64() * 1e3);
    }
    let base = median(times["COH (stored)"].clone());
    println!("| map | paint, median ms | × stored |");
    println!("|---|---:|---:|");
    for name in [
        "COH (stored)",
        "γ(24 d)",
        "σ LOS (24 d)",
        "COH summer − winter",
        "COH seasonal range",
        "RGB composite",
    ] {
        let m = median(times[name].clone());
        println!("| {name} | {m:.2} | {:.2} |", m / base);
    }
}
