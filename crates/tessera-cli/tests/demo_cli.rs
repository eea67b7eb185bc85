//! `tessera demo` as a user runs it: the real binary writes the demo, the
//! real `tessera serve` serves it over HTTP on 127.0.0.1, and real Python
//! (fsspec, xarray, tifffile) reads it back. Every value read is checked
//! against the generator's own formula (`tessera_demo::Model::value_at`).

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use tessera_core::coordinates::GlobalPixel;
use tessera_core::{
    ChunkKey, FileName, Layer, Polarization, RepeatInterval, Season, Tile, Variable,
};
use tessera_demo::Model;

use common::labels;
use common::python::assert_python;
use common::server::Server;

/// The seed's selection: latitude 36..32.5, longitude -121..-115.
const SOCAL_BBOX: &str = "-121,32.5,-115,36";

/// A folder under Cargo's per-target temporary directory: kept between
/// runs, so the demo's own cache spares reruns the generation.
fn cached_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    fs::create_dir_all(&dir).expect("create the test folder");
    dir
}

fn model() -> Model {
    Model::new(1).expect("the shipped land polygons")
}

fn pixel_at(lat: f64, lon: f64) -> GlobalPixel {
    GlobalPixel::containing(lat, lon).expect("inside the grid")
}

fn coh(season: Season, pol: Polarization, interval: RepeatInterval) -> (Variable, Layer) {
    (Variable::Coh, Layer::Coherence(season, pol, interval))
}

/// The inc or lsmap layers of the tile at (lat, lon) whose file exists.
fn orbital_layers(root: &Path, variable: Variable, lat: f64, lon: f64) -> Vec<Layer> {
    let tile = Tile::containing(lat, lon).unwrap();
    let model_orbits = model().orbits_over(tile);
    model_orbits
        .into_iter()
        .map(|(o, d)| Layer::Orbital(o, d))
        .filter(|&layer| {
            let key = ChunkKey::new(variable, layer, tile).unwrap();
            root.join(format!("data/tiles/{tile}/{}", FileName(key)))
                .exists()
        })
        .collect()
}

#[test]
fn xarray_reads_the_generators_values_from_the_served_demo() {
    let root = cached_dir("demo-socal");
    let server = Server::start(&root, &["-q"]);
    let base = format!("http://{}/data/tiles/", server.addr);
    let root_arg = root.to_str().unwrap();
    let stderr = common::tessera_ok(&[
        "demo",
        "--out",
        root_arg,
        "--bbox",
        SOCAL_BBOX,
        "--baseurl",
        &base,
    ]);
    println!("{stderr}");
    let refs = root.join("refs.json");
    let text = fs::read_to_string(&refs).unwrap();
    assert!(text.contains(&format!("\"{base}N36W121/N36W121_winter_vv_COH12.tif\"")));

    let model = model();
    let mut pixels = Vec::new();
    let mut add = |variable: Variable, layer: Layer, lat: f64, lon: f64, why: &str| {
        let p = pixel_at(lat, lon);
        pixels.push(json!({
            "variable": variable.name(),
            "labels": labels(layer),
            "lat": p.latitude(),
            "lon": p.longitude(),
            "value": model.value_at(variable, layer, p),
            "why": why,
        }));
    };
    let places = [
        (34.05, -118.25, "Los Angeles"),
        (35.0, -116.0, "Mojave Desert"),
        (35.75, -120.9, "coastal range"),
        (33.0005, -116.9995, "tile corner N34W117"),
        (33.7, -118.6, "Santa Monica Bay (sea)"),
        (33.95, -120.1, "Santa Rosa Island"),
    ];
    for &(lat, lon, why) in &places {
        for (variable, layer) in [
            coh(Season::Winter, Polarization::Vv, RepeatInterval::Days12),
            coh(Season::Summer, Polarization::Vh, RepeatInterval::Days48),
            coh(Season::Spring, Polarization::Vv, RepeatInterval::Days06),
            (
                Variable::Amp,
                Layer::Seasonal(Season::Fall, Polarization::Vv),
            ),
            (
                Variable::Amp,
                Layer::Seasonal(Season::Winter, Polarization::Vh),
            ),
            (
                Variable::Rho,
                Layer::Seasonal(Season::Summer, Polarization::Vv),
            ),
            (
                Variable::Tau,
                Layer::Seasonal(Season::Winter, Polarization::Vh),
            ),
            (
                Variable::Rmse,
                Layer::Seasonal(Season::Spring, Polarization::Vv),
            ),
        ] {
            add(variable, layer, lat, lon, why);
        }
        for variable in [Variable::Inc, Variable::Lsmap] {
            for layer in orbital_layers(&root, variable, lat, lon) {
                add(variable, layer, lat, lon, why);
            }
        }
    }
    let pixel_count = pixels.len();
    assert!(pixel_count > 60, "{pixel_count} pixel checks");

    // Decay model checks on land, in all seasons and both polarizations.
    let mut decay = Vec::new();
    for &(lat, lon, _) in places.iter().filter(|p| !p.2.contains("sea")) {
        let p = pixel_at(lat, lon);
        for &season in Season::ALL {
            for pol in [Polarization::Vv, Polarization::Vh] {
                decay.push(json!({
                    "lat": p.latitude(), "lon": p.longitude(),
                    "season": season.name(), "polarization": pol.name(),
                }));
            }
        }
    }

    // The seed's selection starts at global pixel (55200, 70800).
    let (row0, col0) = (55_200u32, 70_800u32);
    let layer = Layer::Coherence(Season::Winter, Polarization::Vv, RepeatInterval::Days12);
    let samples: Vec<Value> = [(100u32, 100u32), (0, 0), (4199, 7199), (2100, 3600)]
        .into_iter()
        .chain((0..40).map(|k| ((k * 977 + 31) % 4200, (k * 1931 + 7) % 7200)))
        .map(|(i, j)| {
            let p = GlobalPixel {
                row: row0 + i,
                column: col0 + j,
            };
            json!({"i": i, "j": j, "value": model.value_at(Variable::Coh, layer, p)})
        })
        .collect();
    // N33W121 and N33W120: open sea, no files.
    let absent: Vec<Value> = ["N33W121", "N33W120"]
        .iter()
        .map(|name| {
            let t = Tile::parse(name).unwrap();
            json!([t.first_row() - row0, t.first_column() - col0])
        })
        .collect();
    for name in ["N33W121", "N33W120"] {
        assert!(!root.join("data/tiles").join(name).exists(), "{name}");
    }

    let expected = json!({
        "pixels": pixels,
        "decay": decay,
        "socal": {
            "latitude": [36, 32.5], "longitude": [-121, -115],
            "loc": ["winter", "vv", 12], "shape": [4200, 7200],
            "samples": samples, "absent_tiles": absent,
        },
    });
    let expected_path = root.join("expected.json");
    fs::write(
        &expected_path,
        serde_json::to_vec_pretty(&expected).unwrap(),
    )
    .unwrap();
    assert_python("check_demo.py", &[&refs, &expected_path], || {
        format!("server log:\n{}", server.stderr())
    });
}

/// Files of a folder, by path relative to it.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

#[test]
fn the_same_arguments_give_the_same_bytes_and_reuse_them() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    // N36W118: the Sierra Nevada, with snow, lakes, layover and shadow.
    let bbox = "-117.9,35.1,-117.1,35.9";
    let first = common::tessera_ok(&["demo", "--out", a.to_str().unwrap(), "--bbox", bbox]);
    assert!(first.contains("Wrote "), "{first}");
    common::tessera_ok(&["demo", "--out", b.to_str().unwrap(), "--bbox", bbox]);
    let (ta, tb) = (tree(&a), tree(&b));
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    for (name, bytes) in &ta {
        assert!(bytes == &tb[name], "{name} differs between two runs");
    }
    let tifs = ta
        .keys()
        .filter(|k| k.starts_with("data/") && k.ends_with(".tif"))
        .count();
    // And the overviews, one COG per layer.
    assert!(ta.contains_key("overviews/overviews.json"));
    assert!(ta.contains_key("overviews/COH/winter_vv_COH12.tif"));
    // 8 seasonal groups of 10 files, plus inc and lsmap per orbit.
    assert!(tifs >= 80 + 4, "{tifs} files");

    // The listing is the bucket's `aws s3 ls --recursive` format.
    let listing = String::from_utf8(ta["listing.txt"].clone()).unwrap();
    assert_eq!(listing.lines().count(), tifs);
    for line in listing.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields.len(), 4, "{line}");
        assert_eq!(ta[fields[3]].len().to_string(), fields[2], "{line}");
        assert!(
            fields[3].starts_with("data/tiles/N36W118/N36W118_"),
            "{line}"
        );
    }
    // The default base URL is relative, so the folder works wherever served.
    let refs = String::from_utf8(ta["refs.json"].clone()).unwrap();
    assert!(refs.contains("\"data/tiles/N36W118/N36W118_fall_vh_AMP.tif\""));

    // A second run reuses the files and rewrites only the references.
    let tif = a.join("data/tiles/N36W118/N36W118_winter_vv_COH12.tif");
    let modified = fs::metadata(&tif).unwrap().modified().unwrap();
    let again = common::tessera_ok(&[
        "demo",
        "--out",
        a.to_str().unwrap(),
        "--bbox",
        bbox,
        "--baseurl",
        "https://example.org/tiles",
    ]);
    assert!(again.contains("Reused "), "{again}");
    assert_eq!(fs::metadata(&tif).unwrap().modified().unwrap(), modified);
    let refs = fs::read_to_string(a.join("refs.json")).unwrap();
    assert!(refs.contains("\"https://example.org/tiles/N36W118/N36W118_fall_vh_AMP.tif\""));

    assert!(again.contains("(reused)"), "overviews reused: {again}");

    // Overviews an older build laid out otherwise are made again.
    let manifest = a.join("overviews/overviews.json");
    let current = fs::read_to_string(&manifest).unwrap();
    fs::write(&manifest, current.replace("36032", "36000")).unwrap();
    let remade = common::tessera_ok(&["demo", "--out", a.to_str().unwrap(), "--bbox", bbox]);
    assert!(
        remade.contains("Reused ") && !remade.contains("(reused)"),
        "{remade}"
    );
    assert_eq!(fs::read_to_string(&manifest).unwrap(), current);

    // A missing file makes the cache invalid: everything is made again.
    fs::remove_file(&tif).unwrap();
    let remade = common::tessera_ok(&["demo", "--out", a.to_str().unwrap(), "--bbox", bbox]);
    assert!(remade.contains("Wrote "), "{remade}");
    assert_eq!(
        fs::read(&tif).unwrap(),
        tb[&format!(
            "data/tiles/N36W118/{}",
            tif.file_name().unwrap().to_string_lossy()
        )]
    );

    // Another seed, other values.
    common::tessera_ok(&[
        "demo",
        "--out",
        c.to_str().unwrap(),
        "--bbox",
        bbox,
        "--seed",
        "2",
    ]);
    let other = fs::read(c.join("data/tiles/N36W118/N36W118_winter_vv_COH12.tif")).unwrap();
    assert_ne!(other, fs::read(&tif).unwrap());
}

#[test]
fn demo_files_have_the_real_layout_for_tifffile() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // N35W119: the Transverse Ranges (steep slopes, snow in winter).
    common::tessera_ok(&[
        "demo",
        "--out",
        root.to_str().unwrap(),
        "--bbox",
        "-118.9,34.1,-118.1,34.9",
        "-q",
    ]);
    let tile = Tile::parse("N35W119").unwrap();
    let model = model();
    let landscape = model.landscape(tile);
    let orbit = model
        .orbits_over(tile)
        .into_iter()
        .map(|(o, d)| Layer::Orbital(o, d))
        .find(|&l| {
            let key = ChunkKey::new(Variable::Lsmap, l, tile).unwrap();
            root.join(format!("data/tiles/{tile}/{}", FileName(key)))
                .exists()
        })
        .expect("an lsmap file");
    let mut spec = Vec::new();
    let mut categories = std::collections::BTreeSet::new();
    for (variable, layer) in [
        coh(Season::Winter, Polarization::Vv, RepeatInterval::Days12),
        (
            Variable::Amp,
            Layer::Seasonal(Season::Summer, Polarization::Vh),
        ),
        (
            Variable::Tau,
            Layer::Seasonal(Season::Fall, Polarization::Vv),
        ),
        (Variable::Inc, orbit),
        (Variable::Lsmap, orbit),
    ] {
        let values = model.tile_values(&landscape, variable, layer);
        let raw: Vec<u8> = (0..1200 * 1200)
            .flat_map(|i| {
                let v = values.get(i).unwrap();
                match variable.dtype() {
                    tessera_core::DType::U8 => vec![v as u8],
                    tessera_core::DType::U16 => v.to_le_bytes().to_vec(),
                }
            })
            .collect();
        let key = ChunkKey::new(variable, layer, tile).unwrap();
        let expected = root.join(format!("{}.raw", FileName(key)));
        fs::write(&expected, raw).unwrap();
        spec.push(json!({
            "path": root.join(format!("data/tiles/{tile}/{}", FileName(key))),
            "expected": expected,
            "dtype": variable.dtype().name(),
            "north": tile.north(),
            "west": tile.west(),
        }));
    }
    for (orbit, direction) in model.orbits_over(tile) {
        let values = model.tile_values(
            &landscape,
            Variable::Lsmap,
            Layer::Orbital(orbit, direction),
        );
        categories.extend((0..1200 * 1200).map(|i| values.get(i).unwrap()));
    }
    // Layover and shadow on the steep terrain, not only "clear".
    assert!(
        categories.contains(&1) && categories.contains(&5) && categories.contains(&17),
        "lsmap categories {categories:?}"
    );
    let spec_path = root.join("spec.json");
    fs::write(&spec_path, serde_json::to_vec(&spec).unwrap()).unwrap();
    assert_python("check_geotiff.py", &[&spec_path], String::new);
}

#[test]
fn bad_arguments_say_what_is_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().to_str().unwrap();
    for (bbox, message) in [
        ("1,2,3", "WEST,SOUTH,EAST,NORTH"),
        ("a,2,3,4", "a is not a number"),
        ("3,2,1,4", "west 3 must be less than east 1"),
        ("-200,0,1,1", "within longitude -180..180"),
        (
            "-150,10,-149,11",
            "no land tile overlaps --bbox -150,10,-149,11",
        ),
    ] {
        let result = common::tessera(&["demo", "--out", out, "--bbox", bbox], None);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(!result.status.success(), "--bbox {bbox} succeeded");
        assert!(stderr.contains(message), "--bbox {bbox}: {stderr}");
    }
    // A file where the folder should be.
    let file = tmp.path().join("file");
    fs::write(&file, "x").unwrap();
    let result = common::tessera(
        &[
            "demo",
            "--out",
            file.to_str().unwrap(),
            "--bbox",
            "-118,34,-117.5,34.5",
        ],
        None,
    );
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(!result.status.success());
    assert!(stderr.contains(file.to_str().unwrap()), "{stderr}");
}
