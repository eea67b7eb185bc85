//! `tessera overviews` (and the demo's overviews) as users run them: the
//! real binary, source files read from disk and over HTTP from the real
//! `tessera serve`, and the COGs checked by rio-cogeo's validator and by
//! rasterio (GDAL) against the source files' means computed in Python.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::python::assert_python;
use common::server::Server;

/// Four 1° tiles around 34 N, 120 W: footprints that meet at coarse levels.
const BBOX: &str = "-121,33,-119,35";

fn cached_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    fs::create_dir_all(&dir).expect("create the test folder");
    dir
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create the test folder");
    dir
}

/// The demo of BBOX with its overviews, made once per target folder (and
/// once per run of this binary: its tests run in parallel).
fn demo() -> PathBuf {
    static DEMO: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DEMO.get_or_init(|| {
        let root = cached_dir("demo-overviews");
        let stderr = common::tessera_ok(&["demo", "--out", root.to_str().unwrap(), "--bbox", BBOX]);
        assert!(stderr.contains("Overviews:"), "{stderr}");
        root
    })
    .clone()
}

fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in walk(dir) {
        let name = entry
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        out.push((name, fs::read(&entry).unwrap()));
    }
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn the_demos_overviews_are_valid_cogs_holding_the_source_files_means() {
    let root = demo();
    let overviews = root.join("overviews");
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(overviews.join("overviews.json")).unwrap()).unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    // Every layer of the demo has its COG.
    let listing = fs::read_to_string(root.join("listing.txt")).unwrap();
    let mut names: Vec<String> = listing
        .lines()
        .filter_map(|l| l.rsplit('/').next())
        .map(|f| {
            f.split_once('_')
                .unwrap()
                .1
                .trim_end_matches(".tif")
                .to_string()
        })
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(layers.len(), names.len());
    for layer in layers {
        let url = layer["url"].as_str().unwrap();
        assert!(overviews.join(url).is_file(), "{url}");
    }
    // rio-cogeo and rasterio on a layer of every variable and more.
    assert_python(
        "check_overviews.py",
        &[
            &overviews,
            &root.join("data/tiles"),
            Path::new("--layers"),
            Path::new("12"),
        ],
        || format!("overviews in {}", overviews.display()),
    );
}

#[test]
fn overviews_read_over_http_in_shards_equal_one_local_run() {
    let root = demo();
    let server = Server::start(&root, &["-q"]);
    let scratch = fresh_dir("overviews-http");
    let refs = scratch.join("refs-http.json");
    let base = format!("http://{}/data/tiles/", server.addr);
    common::tessera_ok(&[
        "refs",
        root.join("listing.txt").to_str().unwrap(),
        "--baseurl",
        &base,
        "-o",
        refs.to_str().unwrap(),
        "-q",
    ]);
    let layers = "winter_vv_COH12,summer_vh_AMP,lsmap";
    let whole = scratch.join("whole");
    let local = scratch.join("local");
    let shards = scratch.join("shards");
    let refs_arg = refs.to_str().unwrap();
    common::tessera_ok(&[
        "overviews",
        refs_arg,
        "-o",
        whole.to_str().unwrap(),
        "--layers",
        layers,
        "-q",
    ]);
    for shard in ["0/3", "1/3", "2/3"] {
        common::tessera_ok(&[
            "overviews",
            refs_arg,
            "-o",
            shards.to_str().unwrap(),
            "--layers",
            layers,
            "--shard",
            shard,
            "-q",
        ]);
    }
    let local_refs = root.join("refs.json");
    common::tessera_ok(&[
        "overviews",
        local_refs.to_str().unwrap(),
        "-o",
        local.to_str().unwrap(),
        "--layers",
        layers,
        "-q",
    ]);
    let whole_files = files_under(&whole);
    assert!(
        whole_files.len() >= 3,
        "{:?}",
        whole_files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert!(
        whole_files == files_under(&shards),
        "three shards differ from one run"
    );
    assert!(
        whole_files == files_under(&local),
        "over HTTP differs from the local files"
    );
    // And the same bytes as the demo's own overviews of those layers.
    for (name, bytes) in &whole_files {
        if name.ends_with(".tif") {
            let demo_cog = fs::read(root.join("overviews").join(name)).unwrap();
            assert!(&demo_cog == bytes, "{name} differs from the demo's");
        }
    }
    assert!(server.stderr().is_empty() || !server.stderr().contains(" 404 "));
}

#[test]
fn bad_arguments_and_unreadable_files_are_named() {
    let root = demo();
    let scratch = fresh_dir("overviews-bad");
    let refs = root.join("refs.json");
    let refs_arg = refs.to_str().unwrap();
    let out_arg = scratch.join("out");
    let out_arg = out_arg.to_str().unwrap();
    for (args, says) in [
        (vec!["--shard", "3/3"], "expected I/N with 0 <= I < N"),
        (vec!["--shard", "x"], "expected I/N"),
        (vec!["--resolution", "0.0001"], "resolution 0.0001°"),
        (
            vec!["--layers", "winter_vv_COH13"],
            "--layers \"winter_vv_COH13\": no such layer",
        ),
    ] {
        let mut all = vec!["overviews", refs_arg, "-o", out_arg];
        all.extend(&args);
        let out = common::tessera(&all, None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }

    // A listed file that is not there: named, its pixels nodata, exit 2,
    // and the COG still written.
    let mut listing = fs::read_to_string(root.join("listing.txt")).unwrap();
    listing.push_str("2021-04-01 00:00:00 1000 data/tiles/N40W100/N40W100_winter_vv_COH12.tif\n");
    let listing_path = scratch.join("listing.txt");
    fs::write(&listing_path, listing).unwrap();
    let refs_missing = root.join("refs-missing.json");
    common::tessera_ok(&[
        "refs",
        listing_path.to_str().unwrap(),
        "--baseurl",
        "data/tiles/",
        "-o",
        refs_missing.to_str().unwrap(),
        "-q",
    ]);
    let out = common::tessera(
        &[
            "overviews",
            refs_missing.to_str().unwrap(),
            "-o",
            out_arg,
            "--layers",
            "winter_vv_COH12",
        ],
        None,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("data/tiles/N40W100/N40W100_winter_vv_COH12.tif")
            && stderr.contains("1 files could not be read"),
        "{stderr}"
    );
    assert!(scratch.join("out/COH/winter_vv_COH12.tif").is_file());
    let _ = fs::remove_file(refs_missing);
}

/// SIGTERM or SIGINT while a COG is being written removes its temporary
/// file: the folder holds finished COGs only.
#[cfg(unix)]
#[test]
fn an_interrupted_run_leaves_no_temporary_file() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let refs = demo().join("refs.json");
    for signal in ["TERM", "INT"] {
        let out = fresh_dir(&format!("interrupted-{signal}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args([
                "overviews",
                refs.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ])
            .args(["--resolution", "0.002", "-q"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let temporary = |dir: &Path| -> Vec<String> {
            walk(dir)
                .iter()
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .filter(|n| n.contains(".tmp"))
                .collect()
        };
        // Wait until a COG is being written, then interrupt.
        let started = Instant::now();
        while temporary(&out).is_empty() {
            assert!(
                child.try_wait().unwrap().is_none(),
                "finished before a COG was seen being written"
            );
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no COG written in 60 s"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(130), "{signal}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("interrupted"));
        assert_eq!(
            temporary(&out),
            Vec::<String>::new(),
            "{signal}: temporary files left"
        );
    }
}
