//! Where the time of one demo tile goes:
//! `cargo run --release -p tessera-demo --example time_tile [TILE]`.
use std::time::Instant;

use tessera_core::geotiff::{encode_tile, TilePixels};
use tessera_core::Tile;
use tessera_demo::generate::{tile_groups, FileGroup};
use tessera_demo::{Model, TileValues};

fn main() {
    let name = std::env::args().nth(1).unwrap_or_else(|| "N36W121".into());
    let tile = Tile::parse(&name).expect("a tile name such as N36W121");
    let t = Instant::now();
    let model = Model::new(1).expect("land polygons");
    println!("model: {:?}", t.elapsed());
    let t = Instant::now();
    let land = model.landscape(tile);
    println!("landscape: {:?}", t.elapsed());
    let mut per_variable = std::collections::BTreeMap::new();
    let (mut seasonal, mut orbital) = (0.0, 0.0);
    for group in tile_groups(&model, tile) {
        let t = Instant::now();
        let files = match group {
            FileGroup::Seasonal(s, p) => model.seasonal_files(&land, s, p),
            FileGroup::Orbital(o, d) => model.orbital_files(&land, o, d),
        };
        match group {
            FileGroup::Seasonal(..) => seasonal += t.elapsed().as_secs_f64(),
            FileGroup::Orbital(..) => orbital += t.elapsed().as_secs_f64(),
        }
        for (variable, _, values) in files {
            let t = Instant::now();
            let pixels = match &values {
                TileValues::U8(v) => TilePixels::U8(v),
                TileValues::U16(v) => TilePixels::U16(v),
            };
            let bytes = encode_tile(tile, pixels).expect("encode").len();
            let e = per_variable.entry(variable.name()).or_insert((0, 0.0, 0));
            e.0 += 1;
            e.1 += t.elapsed().as_secs_f64();
            e.2 += bytes;
        }
    }
    println!("values: seasonal groups {seasonal:.3} s, orbital groups {orbital:.3} s");
    for (v, (n, encode, bytes)) in per_variable {
        println!(
            "{v:6} {n:3} files: encode {:6.1} ms/file, {:5} KB/file",
            encode * 1e3 / n as f64,
            bytes / n / 1000
        );
    }
}
