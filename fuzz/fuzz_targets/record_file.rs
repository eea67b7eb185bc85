//! A parquet record file (`parquet_refs::read_record_file`, as the app
//! reads a store's `refs.<n>.parq`) on any bytes: nothing may panic,
//! hang or allocate beyond its limits, whatever the footer and page
//! headers claim.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::parquet_refs::read_record_file;

fuzz_target!(|file: &[u8]| {
    if let Ok(rows) = read_record_file(file) {
        // Every row it returns is usable.
        for row in rows.iter().take(1000) {
            let _ = format!("{row:?}");
        }
    }
});
