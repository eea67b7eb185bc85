//! How long the core's decoder takes for one GeoTIFF tile, natively:
//!
//!   cargo run --release -p tessera-core --example decode_speed -- FILE.tif [u8|u16] [RUNS]
//!
//! Prints the median of RUNS decodes (default 30). The web benchmark
//! (scripts/bench-web.sh) times the same decoder in wasm.

use std::time::Instant;

use tessera_core::geotiff::decode_tile;
use tessera_core::DType;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: decode_speed FILE.tif [u8|u16] [RUNS]")?;
    let dtype = match args.next().as_deref() {
        Some("u16") => DType::U16,
        _ => DType::U8,
    };
    let runs: usize = args.next().map_or(Ok(30), |r| r.parse())?;
    let bytes = std::fs::read(&path)?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let tile = decode_tile(&bytes, dtype)?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(tile);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{path}: {:.2} MB, median {:.2} ms over {runs} decodes (min {:.2} ms)",
        bytes.len() as f64 / 1e6,
        times[runs / 2],
        times[0]
    );
    Ok(())
}
