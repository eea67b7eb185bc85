//! What the CLI tests share: running the real `tessera` binary.

// Each test binary uses its own part of these helpers.
#![allow(dead_code)]

pub mod python;
pub mod server;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A file of the repository's `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

/// Runs `tessera ARGS`, feeding `stdin` (closed at once if `None`).
pub fn tessera(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tessera runs");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(bytes) = stdin {
        input.write_all(bytes).expect("write stdin");
    }
    drop(input);
    child.wait_with_output().expect("tessera finishes")
}

/// Runs `tessera ARGS`, which must succeed: its standard error.
pub fn tessera_ok(args: &[&str]) -> String {
    let out = tessera(args, None);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "tessera {args:?} failed ({}):\n{stderr}",
        out.status
    );
    stderr
}

/// The coordinate labels that select a layer in xarray (`ds[v].sel(**labels)`).
pub fn labels(layer: tessera_core::Layer) -> serde_json::Value {
    use serde_json::json;
    use tessera_core::Layer;
    match layer {
        Layer::Coherence(s, p, c) => {
            json!({"season": s.name(), "polarization": p.name(), "coherence": c.days()})
        }
        Layer::Seasonal(s, p) => json!({"season": s.name(), "polarization": p.name()}),
        Layer::Orbital(o, d) => json!({"orbit": o.number(), "flightdirection": d.name()}),
    }
}
