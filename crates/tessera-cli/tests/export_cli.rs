//! `tessera export` as users run it: the real binary on the demo's files,
//! its GeoTIFF opened by rasterio (GDAL) and compared value for value with
//! the array its own Python snippet selects with fsspec and xarray from
//! the same references (tests/interop/check_export.py).

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::python::assert_python;

/// Six 1° tiles around 34 N, 120 W, with open sea (no files) south of
/// 33 N.
const BBOX: &str = "-121,32,-119,35";

/// Across tile borders (34 N, 33 N, 120 W), half land, and into 33 N
/// where the demo has no files (open sea).
const AREA: &str = "34.9,32.8,-120.3,-119.7";

fn demo() -> PathBuf {
    static DEMO: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DEMO.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("demo-export");
        fs::create_dir_all(&root).expect("create the test folder");
        common::tessera_ok(&["demo", "--out", root.to_str().unwrap(), "--bbox", BBOX]);
        root
    })
    .clone()
}

fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("export")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create the test folder");
    dir
}

/// Exports `view` over `area` at `step` from `refs`, checks it against
/// xarray, and returns tessera's standard error.
fn export_and_check(
    name: &str,
    refs: &Path,
    view: &str,
    area: &str,
    step: u32,
    missing: Option<(usize, &str, &Path)>,
) -> String {
    let dir = out_dir(name);
    let (tif, py) = (dir.join("export.tif"), dir.join("export.py"));
    // With a file missing, the Python reads the complete references.
    let url = missing.map(|(_, _, good)| format!("file://{}", good.display()));
    let mut extra = Vec::new();
    if let Some(url) = &url {
        extra.extend(["--references-url", url.as_str()]);
    }
    let out = common::tessera(
        &[
            "export",
            refs.to_str().unwrap(),
            "--view",
            view,
            "--bbox",
            area,
            "--step",
            &step.to_string(),
            "-o",
            tif.to_str().unwrap(),
            "--python",
            py.to_str().unwrap(),
        ]
        .into_iter()
        .chain(extra)
        .collect::<Vec<_>>(),
        None,
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let expected_code = if missing.is_some() { 2 } else { 0 };
    assert_eq!(out.status.code(), Some(expected_code), "{stderr}");
    let count = missing.map(|(m, _, _)| m.to_string());
    let mut args: Vec<&Path> = vec![&tif, &py];
    if let (Some(c), Some((_, tile, _))) = (&count, missing) {
        args.push(Path::new(c));
        args.push(Path::new(tile));
    }
    assert_python("check_export.py", &args, || stderr.clone());
    stderr
}

#[test]
fn a_uint8_layer_across_tile_borders_and_sea_equals_xarray() {
    let refs = demo().join("refs.json");
    let stderr = export_and_check(
        "coh",
        &refs,
        "var=COH&season=winter&pol=vv&days=12",
        AREA,
        1,
        None,
    );
    assert!(stderr.contains("720 × 2520 pixels of uint8"), "{stderr}");
}

#[test]
fn a_uint16_layer_at_a_coarser_step_equals_xarray() {
    let refs = demo().join("refs.json");
    let stderr = export_and_check("amp", &refs, "var=AMP&season=summer&pol=vh", AREA, 4, None);
    assert!(stderr.contains("180 × 630 pixels of uint16"), "{stderr}");
}

#[test]
fn derived_maps_are_float32_equal_to_numpy_on_xarray() {
    let refs = demo().join("refs.json");
    for (name, view) in [
        ("gamma", "var=rho&season=winter&pol=vv&derive=gamma&t=24"),
        (
            "sigma",
            "var=rho&season=summer&pol=vv&derive=sigma&t=36&looks=10",
        ),
        (
            "difference",
            "var=COH&season=summer&pol=vv&days=12&derive=difference&minus=winter_vv_12",
        ),
    ] {
        let stderr = export_and_check(name, &refs, view, AREA, 2, None);
        assert!(stderr.contains("pixels of float32"), "{name}: {stderr}");
    }
}

#[test]
fn a_listed_file_that_cannot_be_read_is_no_data_and_named() {
    let root = demo();
    // The same references with one file listed where there is none.
    let text = fs::read_to_string(root.join("refs.json")).unwrap();
    let gone = "N34W120/N34W120_winter_vv_COH12.tif";
    assert!(text.contains(gone), "the demo has {gone}");
    let broken = text.replace(gone, "N34W120/N34W120_winter_vv_COH12-gone.tif");
    let refs = root.join("refs-missing-file.json");
    fs::write(&refs, broken).unwrap();
    let stderr = export_and_check(
        "missing",
        &refs,
        "var=COH&season=winter&pol=vv&days=12",
        AREA,
        1,
        Some((1, "N34W120", &root.join("refs.json"))),
    );
    assert!(stderr.contains("COH12-gone.tif"), "{stderr}");
    assert!(stderr.contains("1 files could not be read"), "{stderr}");
}

#[test]
fn an_area_over_the_pixel_cap_is_refused_with_the_step_that_fits() {
    let dir = out_dir("cap");
    let tif = dir.join("big.tif");
    let refs = demo().join("refs.json");
    let out = common::tessera(
        &[
            "export",
            refs.to_str().unwrap(),
            "--bbox",
            "35,32,-121,-119",
            "--max-pixels",
            "1000000",
            "-o",
            tif.to_str().unwrap(),
        ],
        None,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("2400 × 3600 pixels is 8640000 pixels, more than the 1000000"),
        "{stderr}"
    );
    assert!(stderr.contains("choose 1/400°"), "{stderr}");
    assert!(!tif.exists());
}
