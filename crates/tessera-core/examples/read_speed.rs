//! How fast a reference document is read into the index, natively, in
//! pieces as a browser receives them:
//!
//!     cargo run --release -p tessera-core --example read_speed -- REFS.json [RUNS]
//!
//! Prints the time of each run (medians are up to the reader). The web
//! benchmark (`scripts/bench-web.sh`) measures the same in Chromium.

use std::time::Instant;

use tessera_core::reader::ReferenceStream;

/// About what Chromium hands a page at a time.
const PIECE: usize = 1 << 20;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: read_speed REFS.json [RUNS]")?;
    let runs: usize = args.next().map_or(Ok(5), |r| r.parse())?;
    let bytes = std::fs::read(&path)?;
    for _ in 0..runs {
        let start = Instant::now();
        let mut stream = ReferenceStream::new();
        for piece in bytes.chunks(PIECE) {
            stream.push(piece)?;
        }
        let pushed = start.elapsed();
        let refs = stream.finish()?;
        println!(
            "{:.0} ms ({:.0} ms in pieces), {} MB, {} COH chunks",
            start.elapsed().as_secs_f64() * 1e3,
            pushed.as_secs_f64() * 1e3,
            bytes.len() >> 20,
            refs.chunk_count(tessera_core::Variable::Coh)
        );
    }
    Ok(())
}
