//! How fast a parquet reference store's record files are read into the
//! index one at a time, as the web app reads them while views need them:
//!
//!     cargo run --release -p tessera-core --example records_speed -- STORE.parq [VARIABLE]
//!
//! Reads `.zmetadata`, then every record file of VARIABLE (default COH) in
//! order, and prints the time of every 50th file with the chunks read so
//! far, then the total. A file's time should not grow with the chunks
//! before it. (`scripts/bench-web.sh` writes a full-scale store to
//! `bench/out/web-site/refs-full.parq`.)

use std::path::Path;
use std::time::Instant;

use tessera_core::parquet_refs::{ParquetReferences, RecordFile};
use tessera_core::Variable;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let store = args
        .next()
        .ok_or("usage: records_speed STORE.parq [VARIABLE]")?;
    let name = args.next().unwrap_or_else(|| "COH".into());
    let variable = Variable::from_name(&name).ok_or(format!("no variable {name:?}"))?;
    let store = Path::new(&store);
    let mut refs = ParquetReferences::from_zmetadata(&std::fs::read(store.join(".zmetadata"))?)?;
    let mut numbers: Vec<u64> = std::fs::read_dir(store.join(variable.name()))?
        .filter_map(|entry| {
            let name = entry.ok()?.file_name();
            name.to_str()?
                .strip_prefix("refs.")?
                .strip_suffix(".parq")?
                .parse()
                .ok()
        })
        .collect();
    numbers.sort_unstable();
    let total = Instant::now();
    let mut chunks = 0;
    for (i, &number) in numbers.iter().enumerate() {
        let record = RecordFile { variable, number };
        let bytes = std::fs::read(store.join(record.path()))?;
        let start = Instant::now();
        chunks += refs.add_record(record, &bytes)?;
        if i % 50 == 0 || i + 1 == numbers.len() {
            println!(
                "file {:4} ({}): {:6.2} ms, {chunks} chunks read",
                i + 1,
                record.path(),
                start.elapsed().as_secs_f64() * 1e3
            );
        }
    }
    println!(
        "{} record files in {:.0} ms",
        numbers.len(),
        total.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}
