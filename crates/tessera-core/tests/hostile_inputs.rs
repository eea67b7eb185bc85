//! Inputs that crashed, hung or over-allocated a reader of outside bytes
//! (found by `cargo fuzz`, scripts/fuzz.sh), kept in
//! `tests/fixtures/hostile/<reader>/`: each must now end in a named error
//! (or a result), promptly and within the reader's limits.

use std::path::{Path, PathBuf};

fn hostile(reader: &str) -> Vec<(String, Vec<u8>)> {
    let dir: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/hostile")
        .join(reader);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs in {}", dir.display());
    files
}

#[test]
fn record_files_that_claim_more_than_they_hold_are_named_errors() {
    for (name, bytes) in hostile("record_file") {
        let result = tessera_core::parquet_refs::read_record_file(&bytes);
        // Damaged, or an encoding that a claim made unreadable: named.
        let error = result.expect_err(&name).to_string();
        assert!(!error.is_empty(), "{name}");
    }
}
