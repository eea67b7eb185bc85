//! Interoperability with the Python tool chain the data set's users have:
//! `tessera refs` output opened by xarray exactly as the seed opens its own,
//! over real HTTP on 127.0.0.1, reading real GeoTIFFs written by
//! `tessera_core::geotiff`.
//!
//! Python is `$TESSERA_PYTHON` or `<workspace>/.venv/bin/python` (made by
//! `scripts/setup.sh`); these tests fail rather than skip without it.

use std::fs::{self, File};
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tessera_core::coordinates::GlobalPixel;
use tessera_core::geotiff::{encode_tile, TilePixels};
use tessera_core::{
    ChunkKey, DType, FlightDirection, Layer, Orbit, Polarization, RepeatInterval, Season, Tile,
    Variable,
};

mod common;

use common::labels;
use common::python::{assert_python, python};

const TILE: u32 = 1200;
fn tessera(args: &[&str]) {
    let out = common::tessera(args, None);
    assert!(
        out.status.success(),
        "tessera {args:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `python -m http.server` on a free port of 127.0.0.1, killed on drop (also
/// when the test panics).
struct HttpServer {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl HttpServer {
    fn start(root: &Path, log: PathBuf) -> HttpServer {
        // Let the OS pick a free port, then hand it to Python. Another process
        // could take it in between; that would show up as a failed start.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let log_file = File::create(&log).expect("server log");
        let child = Command::new(python())
            .args(["-m", "http.server", "--bind", "127.0.0.1"])
            .arg(port.to_string())
            .arg("--directory")
            .arg(root)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("server log"))
            .stderr(log_file)
            .spawn()
            .expect("python -m http.server starts");
        let mut server = HttpServer { child, port, log };
        server.wait_until_ready();
        server
    }

    fn wait_until_ready(&mut self) {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "http.server on port {} exited ({status}):\n{}",
                    self.port,
                    self.log_text()
                );
            }
            assert!(
                Instant::now() < deadline,
                "http.server on port {} did not accept connections within 30 s:\n{}",
                self.port,
                self.log_text()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/data/tiles/", self.port)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The pixel values of synthetic file number `id`: varied, different for
/// every file, never 0 except in a 10×10 nodata square at rows/cols 590..600
/// of every file. The `row * col` term makes a transposed or shifted read
/// differ from the truth.
fn pixel(id: u32, dtype: DType, row: u32, col: u32) -> u16 {
    if (590..600).contains(&row) && (590..600).contains(&col) {
        return 0;
    }
    let (id, row, col) = (id as u64, row as u64, col as u64);
    let v = match dtype {
        DType::U8 => 1 + (id * 53 + row * 7 + col * 13 + row * col) % 255,
        DType::U16 => 1 + (id * 7919 + row * 1201 + col * 31 + (row * col) % 997) % 65535,
    };
    v as u16
}

/// One synthetic file of the data set.
struct Synth {
    key: ChunkKey,
    id: u32,
}

impl Synth {
    fn path(&self) -> String {
        format!("data/tiles/{}/{}", self.key.tile, self.key.file_name())
    }
}

fn tile(name: &str) -> Tile {
    Tile::parse(name).expect("tile name")
}

fn coh(season: Season, pol: Polarization, interval: RepeatInterval) -> (Variable, Layer) {
    (Variable::Coh, Layer::Coherence(season, pol, interval))
}

/// The synthetic set: COH winter vv 12 and 06 and AMP winter vv on the block
/// N36W121, N36W120, N35W121 with N35W120 absent; inc 064A on N36W121 and
/// N35W120 only (two tile directories, so tifffile's common path is '').
fn synthetic_files() -> Vec<Synth> {
    let block = ["N36W121", "N36W120", "N35W121"];
    let layers: [((Variable, Layer), &[&str]); 4] = [
        (
            coh(Season::Winter, Polarization::Vv, RepeatInterval::Days12),
            &block,
        ),
        (
            coh(Season::Winter, Polarization::Vv, RepeatInterval::Days06),
            &block,
        ),
        (
            (
                Variable::Amp,
                Layer::Seasonal(Season::Winter, Polarization::Vv),
            ),
            &block,
        ),
        (
            (Variable::Inc, inc_layer(FlightDirection::Ascending)),
            &["N36W121", "N35W120"],
        ),
    ];
    let mut files = Vec::new();
    for ((variable, layer), tiles) in layers {
        for name in tiles {
            let key = ChunkKey::new(variable, layer, tile(name)).expect("layer fits");
            files.push(Synth {
                key,
                id: files.len() as u32 + 1,
            });
        }
    }
    files
}

fn inc_layer(direction: FlightDirection) -> Layer {
    Layer::Orbital(Orbit::new(64).expect("orbit 64"), direction)
}

fn tile_pixels(file: &Synth) -> Vec<u16> {
    let dtype = file.key.variable.dtype();
    (0..TILE * TILE)
        .map(|i| pixel(file.id, dtype, i / TILE, i % TILE))
        .collect()
}

fn encode(file: &Synth) -> Vec<u8> {
    let values = tile_pixels(file);
    match file.key.variable.dtype() {
        DType::U8 => {
            let bytes: Vec<u8> = values.iter().map(|&v| v as u8).collect();
            encode_tile(file.key.tile, TilePixels::U8(&bytes))
        }
        DType::U16 => encode_tile(file.key.tile, TilePixels::U16(&values)),
    }
    .expect("encode tile")
}

/// Writes the files in the bucket's layout under `root` (in parallel: a
/// debug-build LZW encode takes a while) and returns the listing text as
/// `aws s3 ls --recursive` prints it.
fn write_data_set(root: &Path, files: &[Synth]) -> String {
    let sizes: Vec<usize> = thread::scope(|s| {
        let jobs: Vec<_> = files
            .iter()
            .map(|f| {
                s.spawn(move || {
                    let bytes = encode(f);
                    let path = root.join(f.path());
                    fs::create_dir_all(path.parent().expect("tile dir")).expect("mkdir");
                    fs::write(&path, &bytes).expect("write tif");
                    bytes.len()
                })
            })
            .collect();
        jobs.into_iter()
            .map(|j| j.join().expect("encoder thread"))
            .collect()
    });
    let mut lines: Vec<String> = files
        .iter()
        .zip(sizes)
        .map(|(f, size)| format!("2021-03-03 13:49:18 {size:>10} {}", f.path()))
        .collect();
    // What else a real listing has: the folder, non-.tif files.
    lines.push("2021-03-17 18:11:28          0 data/tiles/".into());
    lines.push("2021-03-26 05:36:20    5823114 data/tiles/Global_tiles.geojson".into());
    lines.push(
        "2021-03-03 13:49:18     120331 data/tiles/N36W121/N36W121_winter_vv_COH12.ovr".into(),
    );
    // aws s3 ls lists keys in order.
    lines.sort_by(|a, b| {
        a.split_whitespace()
            .last()
            .cmp(&b.split_whitespace().last())
    });
    lines.join("\n") + "\n"
}

/// The expected value of a global pixel: the formula where a file exists,
/// fill value 0 elsewhere.
fn expected(files: &[Synth], variable: Variable, layer: Layer, row: u32, col: u32) -> u16 {
    let Some((t, r, c)) = GlobalPixel { row, column: col }.tile_pixel() else {
        return 0;
    };
    files
        .iter()
        .find(|f| {
            f.key
                == ChunkKey {
                    variable,
                    layer,
                    tile: t,
                }
        })
        .map_or(0, |f| pixel(f.id, variable.dtype(), r, c))
}

fn pixel_check(
    files: &[Synth],
    variable: Variable,
    layer: Layer,
    row: u32,
    col: u32,
    why: &str,
) -> Value {
    let centre = GlobalPixel { row, column: col };
    let (lat, lon) = (centre.latitude(), centre.longitude());
    json!({
        "variable": variable.name(),
        "labels": labels(layer),
        "row": row,
        "col": col,
        "value": expected(files, variable, layer, row, col),
        "lat": lat,
        "lon": lon,
        "why": why,
    })
}

fn window_check(files: &[Synth], variable: Variable, layer: Layer, row0: u32, col0: u32) -> Value {
    let n = 10;
    let values: Vec<Vec<u16>> = (row0..row0 + n)
        .map(|r| {
            (col0..col0 + n)
                .map(|c| expected(files, variable, layer, r, c))
                .collect()
        })
        .collect();
    json!({
        "variable": variable.name(),
        "labels": labels(layer),
        "row0": row0,
        "col0": col0,
        "values": values,
    })
}

/// Writes the expected values of the whole 2×2 block of a layer as raw
/// little-endian integers, for the Python side to compare large windows.
fn write_mosaic(
    dir: &Path,
    files: &[Synth],
    variable: Variable,
    layer: Layer,
    row0: u32,
    col0: u32,
) -> Value {
    let n = 2 * TILE;
    let dtype = variable.dtype();
    let mut bytes = Vec::with_capacity((n * n) as usize * dtype.bytes());
    for r in row0..row0 + n {
        for c in col0..col0 + n {
            let v = expected(files, variable, layer, r, c);
            match dtype {
                DType::U8 => bytes.push(v as u8),
                DType::U16 => bytes.extend_from_slice(&v.to_le_bytes()),
            }
        }
    }
    let name = format!("mosaic_{}_{}.bin", variable.name(), files_layer_name(layer));
    let path = dir.join(&name);
    fs::write(&path, bytes).expect("write mosaic");
    json!({
        "variable": variable.name(),
        "labels": labels(layer),
        "row0": row0,
        "col0": col0,
        "rows": n,
        "cols": n,
        "dtype": dtype.name(),
        "file": path,
    })
}

fn files_layer_name(layer: Layer) -> String {
    let (idx, n) = layer.indices();
    idx[..n]
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join("_")
}

/// The expected-values document for tests/interop/read_with_xarray.py.
fn expectations(dir: &Path, files: &[Synth]) -> Value {
    let coh12 = coh(Season::Winter, Polarization::Vv, RepeatInterval::Days12);
    let coh06 = coh(Season::Winter, Polarization::Vv, RepeatInterval::Days06);
    let amp = (
        Variable::Amp,
        Layer::Seasonal(Season::Winter, Polarization::Vv),
    );
    let inc = (Variable::Inc, inc_layer(FlightDirection::Ascending));
    let layers = [coh12, coh06, amp, inc];
    let nw = tile("N36W121");
    let (row0, col0) = (nw.first_row(), nw.first_column());
    // The borders inside the block: latitude 35 and longitude -120.
    let (lat_border, lon_border) = (row0 + TILE, col0 + TILE);

    let mut pixels = Vec::new();
    let mut windows = Vec::new();
    let mut mosaics = Vec::new();
    for (variable, layer) in layers {
        for name in ["N36W121", "N36W120", "N35W121", "N35W120"] {
            let t = tile(name);
            let (r, c) = (t.first_row(), t.first_column());
            for (dr, dc, why) in [
                (0, 0, "upper-left pixel"),
                (1199, 1199, "lower-right pixel"),
                (100, 100, "pixel (100, 100)"),
                (17, 1103, "pixel (17, 1103)"),
                (595, 595, "inside the nodata square"),
            ] {
                let why = format!("{name} {why}");
                pixels.push(pixel_check(files, variable, layer, r + dr, c + dc, &why));
            }
        }
        // Straddling the corner of all four tiles, and each border alone.
        windows.push(window_check(
            files,
            variable,
            layer,
            lat_border - 5,
            lon_border - 5,
        ));
        windows.push(window_check(
            files,
            variable,
            layer,
            lat_border - 5,
            col0 + 300,
        ));
        windows.push(window_check(
            files,
            variable,
            layer,
            row0 + 700,
            lon_border - 5,
        ));
        mosaics.push(write_mosaic(dir, files, variable, layer, row0, col0));
    }
    // Layers, tiles and places without files read as the fill value 0.
    let absent = [
        (
            coh(Season::Winter, Polarization::Vh, RepeatInterval::Days12),
            "COH winter vh 12 has no files",
        ),
        (
            coh(Season::Spring, Polarization::Vv, RepeatInterval::Days12),
            "COH spring vv 12 has no files",
        ),
        (
            (
                Variable::Amp,
                Layer::Seasonal(Season::Fall, Polarization::Hh),
            ),
            "AMP fall hh has no files",
        ),
        (
            (Variable::Inc, inc_layer(FlightDirection::Descending)),
            "inc 064D has no files",
        ),
    ];
    for ((variable, layer), why) in absent {
        pixels.push(pixel_check(
            files,
            variable,
            layer,
            row0 + 100,
            col0 + 100,
            why,
        ));
    }
    pixels.push(pixel_check(
        files,
        coh12.0,
        coh12.1,
        row0 - 1,
        col0 + 5,
        "N37W121 (north of the block) has no file",
    ));
    pixels.push(pixel_check(
        files,
        amp.0,
        amp.1,
        row0 + 5,
        col0 + 2 * TILE,
        "N36W119 (east of the block) has no file",
    ));

    // The seed's own selection and .loc indexing (DATASET.md): socal starts
    // at global pixel (55200, 70800).
    let seed_sel = json!({"latitude": [36, 32.5], "longitude": [-121, -115]});
    let loc = |variable: Variable, layer: Layer, loc: Value, index: [u32; 2]| {
        json!({
            "variable": variable.name(),
            "sel": seed_sel,
            "row0": row0,
            "col0": col0,
            "loc": loc,
            "index": index,
            "value": expected(files, variable, layer, row0 + index[0], col0 + index[1]),
        })
    };
    let locs = vec![
        loc(coh12.0, coh12.1, json!(["winter", "vv", 12]), [100, 100]),
        loc(coh12.0, coh12.1, json!(["winter", "vv", 12]), [1300, 1300]),
        loc(coh06.0, coh06.1, json!(["winter", "vv", 6]), [1300, 100]),
        loc(amp.0, amp.1, json!(["winter", "vv"]), [100, 1300]),
        loc(inc.0, inc.1, json!([64, "A"]), [1300, 1300]),
        loc(inc.0, inc.1, json!([64, "A"]), [100, 1300]),
    ];
    // Label-based windows across both borders, compared with the mosaics.
    let sel_windows: Vec<Value> = (0..layers.len())
        .flat_map(|m| {
            [
                json!({"mosaic": m, "latitude": [36, 34.5], "longitude": [-120.5, -119.5]}),
                json!({"mosaic": m, "latitude": [35.01, 34.99], "longitude": [-121, -119]}),
            ]
        })
        .collect();

    let variable = |v: Variable| {
        json!({
            "dtype": v.dtype().name(),
            "dims": v.dimensions().iter().map(|d| d.name()).collect::<Vec<_>>(),
            "shape": v.shape(),
        })
    };
    json!({
        "variables": {
            "COH": variable(Variable::Coh),
            "AMP": variable(Variable::Amp),
            "inc": variable(Variable::Inc),
        },
        "pixels": pixels,
        "windows": windows,
        "mosaics": mosaics,
        "sel_windows": sel_windows,
        "loc": locs,
    })
}

#[test]
fn xarray_reads_synthetic_geotiffs_through_our_references() {
    xarray_reads_synthetic_geotiffs("json");
}

/// The same data through kerchunk's parquet layout, which fsspec's
/// LazyReferenceMapper reads record file by record file.
#[test]
fn xarray_reads_synthetic_geotiffs_through_parquet_references() {
    xarray_reads_synthetic_geotiffs("parquet");
}

fn xarray_reads_synthetic_geotiffs(format: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("www");
    let files = synthetic_files();
    let listing = write_data_set(&root, &files);
    let listing_path = dir.path().join("listing.txt");
    fs::write(&listing_path, listing).expect("write listing");

    let server = HttpServer::start(&root, dir.path().join("http.log"));
    let refs = dir.path().join(if format == "json" {
        "refs.json"
    } else {
        "refs.parq"
    });
    tessera(&[
        "refs",
        listing_path.to_str().expect("utf-8 path"),
        "-o",
        refs.to_str().expect("utf-8 path"),
        "--baseurl",
        &server.base_url(),
        "--format",
        format,
    ]);

    let expected_path = dir.path().join("expected.json");
    let doc = expectations(dir.path(), &files);
    fs::write(&expected_path, doc.to_string()).expect("write expected.json");

    assert_python("read_with_xarray.py", &[&refs, &expected_path], || {
        format!("--- http.server log ---\n{}", server.log_text())
    });
    // The data really came over HTTP from our files.
    let log = server.log_text();
    assert!(
        log.contains("GET /data/tiles/N36W121/N36W121_winter_vv_COH12.tif"),
        "{log}"
    );
}

#[test]
fn our_references_open_like_the_seeds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ours = dir.path().join("ours.json");
    tessera(&[
        "refs",
        common::fixture("earthbigdata_small.txt")
            .to_str()
            .expect("utf-8 path"),
        "-o",
        ours.to_str().expect("utf-8 path"),
        "--baseurl",
        "http://127.0.0.1:8765/data/tiles/",
    ]);
    let seed = common::fixture("small_refs.json");
    assert_python("compare_with_seed.py", &[&ours, &seed], String::new);
}

/// Deterministic noise over the whole value range (0 included): it fills
/// the LZW table many times per strip, which smooth data does not.
fn noise(seed: u32, dtype: DType) -> Vec<u16> {
    let mut x = seed;
    (0..TILE * TILE)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            match dtype {
                DType::U8 => (x >> 24) as u16,
                DType::U16 => (x >> 16) as u16,
            }
        })
        .collect()
}

#[test]
fn tifffile_reads_our_geotiffs_like_the_buckets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = |variable, layer, name| ChunkKey::new(variable, layer, tile(name)).expect("key");
    let coh = key(
        Variable::Coh,
        Layer::Coherence(Season::Fall, Polarization::Vv, RepeatInterval::Days12),
        "N42W090",
    );
    let amp = key(
        Variable::Amp,
        Layer::Seasonal(Season::Summer, Polarization::Hh),
        "S01E012",
    );
    let inc = key(
        Variable::Inc,
        Layer::Orbital(Orbit::new(175).expect("orbit"), FlightDirection::Descending),
        "S78E179",
    );
    let rho = key(
        Variable::Rho,
        Layer::Seasonal(Season::Spring, Polarization::Vh),
        "N82W180",
    );
    let cases: Vec<(ChunkKey, Vec<u16>)> = vec![
        (coh, tile_pixels(&Synth { key: coh, id: 7 })),
        (amp, tile_pixels(&Synth { key: amp, id: 8 })),
        (inc, noise(1, DType::U8)),
        (rho, noise(2, DType::U16)),
    ];
    let mut spec = Vec::new();
    for (key, values) in &cases {
        let dtype = key.variable.dtype();
        let encoded = match dtype {
            DType::U8 => {
                let bytes: Vec<u8> = values.iter().map(|&v| v as u8).collect();
                encode_tile(key.tile, TilePixels::U8(&bytes))
            }
            DType::U16 => encode_tile(key.tile, TilePixels::U16(values)),
        }
        .expect("encode tile");
        let tif = dir.path().join(key.file_name().to_string());
        fs::write(&tif, encoded).expect("write tif");
        let raw = dir.path().join(format!("{}.raw", key.file_name()));
        let mut out = File::create(&raw).expect("raw file");
        for &v in values {
            match dtype {
                DType::U8 => out.write_all(&[v as u8]),
                DType::U16 => out.write_all(&v.to_le_bytes()),
            }
            .expect("write raw");
        }
        spec.push(json!({
            "path": tif,
            "expected": raw,
            "dtype": dtype.name(),
            "north": key.tile.north(),
            "west": key.tile.west(),
        }));
    }
    let spec_path = dir.path().join("geotiffs.json");
    fs::write(&spec_path, Value::from(spec).to_string()).expect("write spec");
    assert_python("check_geotiff.py", &[&spec_path], String::new);
}
