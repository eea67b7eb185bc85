//! Running the Python scripts of `tests/interop` (real fsspec, xarray,
//! tifffile) from the tests.
//!
//! Python is `$TESSERA_PYTHON` or `<workspace>/.venv/bin/python` (made by
//! `scripts/setup.sh`); tests fail rather than skip without it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Longest a Python script may run before the test gives up on it.
pub const PYTHON_TIMEOUT: Duration = Duration::from_secs(300);

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn interop_script(name: &str) -> PathBuf {
    workspace_root().join("tests/interop").join(name)
}

pub fn python() -> PathBuf {
    let python = match std::env::var_os("TESSERA_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => workspace_root().join(".venv/bin/python"),
    };
    assert!(
        python.exists(),
        "no Python at {}: run `bash scripts/setup.sh` in the workspace root to create .venv \
         (or set TESSERA_PYTHON to a Python with tests/interop/requirements.txt installed)",
        python.display()
    );
    python
}

/// Runs a script of tests/interop with a time limit and returns its exit
/// status, stdout and stderr.
pub fn run_python(script: &str, args: &[&Path]) -> (ExitStatus, String, String) {
    let mut child = Command::new(python())
        .arg(interop_script(script))
        .args(args)
        // A proxy configured for the outside world must not see 127.0.0.1.
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python starts");
    // Read both pipes concurrently so a chatty script cannot block on a full
    // pipe while we wait for it.
    let drain = |mut r: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let deadline = Instant::now() + PYTHON_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for python") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{script} did not finish within {PYTHON_TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(50));
    };
    (
        status,
        stdout.join().unwrap_or_default(),
        stderr.join().unwrap_or_default(),
    )
}

/// Runs a script and fails the test, showing its output, unless it exits 0.
pub fn assert_python(script: &str, args: &[&Path], context: impl Fn() -> String) {
    let (status, stdout, stderr) = run_python(script, args);
    assert!(
        status.success(),
        "{script} failed ({status})\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}\n{}",
        context()
    );
    // Shown with --nocapture: what was checked.
    println!("--- {script} ---\n{stdout}{stderr}");
}
