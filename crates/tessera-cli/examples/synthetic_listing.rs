//! Writes a deterministic, full-scale synthetic `aws s3 ls --recursive`
//! listing of the Earthbigdata bucket, for benchmarking `tessera refs`
//! against the seed's tifffile pipeline (see `scripts/bench-refs.sh`).
//!
//! ```text
//! cargo run --release -p tessera-cli --example synthetic_listing -- OUT.txt
//! ```
//!
//! The listing has exactly the bucket's per-variable file counts (COH
//! 444,821; AMP 187,693; tau, rmse, rho 98,331 each; inc 52,956; lsmap
//! 52,959: 1,033,422 GeoTIFFs) on 25,334 pseudo-random "land" tiles, plus a
//! few lines that are not GeoTIFFs, sorted by key as `aws s3 ls` prints them.
//! File names come from [`tessera_core::FileName`], so they are right by
//! construction.
//!
//! Every index dimension of every variable spans its whole range: the tiles
//! N82W180 (lat/lon index 0) and S78E179 (160/359) are present in every
//! variable, with winter/vv/COH06/001A at one end and fall/hh/COH48/175D at
//! the other. tifffile numbers each dimension from the smallest index
//! present, so only then do its shapes and keys equal Tessera's global ones.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use tessera_core::listing::TILES_PREFIX;
use tessera_core::{
    ChunkKey, FileName, FlightDirection, Layer, Orbit, Polarization, RepeatInterval, Season, Tile,
    Variable,
};

/// Files per variable in the bucket (the seed's counts).
const COUNTS: [(Variable, usize); 7] = [
    (Variable::Coh, 444_821),
    (Variable::Amp, 187_693),
    (Variable::Tau, 98_331),
    (Variable::Rmse, 98_331),
    (Variable::Rho, 98_331),
    (Variable::Inc, 52_956),
    (Variable::Lsmap, 52_959),
];

/// Tiles with data in the bucket.
const LAND_TILES: usize = 25_334;

/// splitmix64: a good 64-bit mix, enough for deterministic pseudo-randomness.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn hash(parts: &[u64]) -> u64 {
    parts.iter().fold(0x7E55_E7A0_u64, |h, &p| {
        mix(h ^ p.wrapping_mul(0x1000_0000_01B3))
    })
}

/// A uniform number in [0, 1).
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Smooth value noise on a coarse lattice of `cell` degrees.
fn value_noise(salt: u64, lat: f64, lon: f64, cell: f64) -> f64 {
    let (y, x) = (lat / cell, lon / cell);
    let (y0, x0) = (y.floor(), x.floor());
    let (fy, fx) = (y - y0, x - x0);
    let smooth = |t: f64| t * t * (3.0 - 2.0 * t);
    let (sy, sx) = (smooth(fy), smooth(fx));
    let at = |dy: f64, dx: f64| {
        unit(hash(&[
            salt,
            (y0 + dy) as i64 as u64,
            (x0 + dx) as i64 as u64,
        ]))
    };
    let top = at(0.0, 0.0) * (1.0 - sx) + at(0.0, 1.0) * sx;
    let bottom = at(1.0, 0.0) * (1.0 - sx) + at(1.0, 1.0) * sx;
    top * (1.0 - sy) + bottom * sy
}

/// The two corner tiles every variable must contain.
fn anchors() -> [Tile; 2] {
    [
        Tile::from_indices(0, 0).unwrap(),     // N82W180
        Tile::from_indices(160, 359).unwrap(), // S78E179
    ]
}

/// Exactly [`LAND_TILES`] tiles: the highest scores of a continent-like
/// noise field, plus the two anchors.
fn land_tiles() -> Vec<Tile> {
    let mut scored = Vec::with_capacity(161 * 360);
    for lat in 0..161u16 {
        for lon in 0..360u16 {
            let tile = Tile::from_indices(lat, lon).unwrap();
            let (y, x) = (f64::from(tile.north()), f64::from(tile.west()));
            let mut score = 0.6 * value_noise(1, y, x, 23.0)
                + 0.3 * value_noise(2, y, x, 7.0)
                + 0.1 * unit(hash(&[3, lat as u64, lon as u64]));
            // Antarctica: an ice sheet south of 66 S.
            if tile.north() <= -66 {
                score += 0.35;
            }
            if anchors().contains(&tile) {
                score = f64::INFINITY;
            }
            scored.push((score, tile));
        }
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut tiles: Vec<Tile> = scored[..LAND_TILES].iter().map(|&(_, t)| t).collect();
    tiles.sort();
    tiles
}

/// The polarization pair of a tile: hh/hv over the polar ice (and a few
/// other tiles), vv/vh elsewhere. The first is the co-polarization.
fn pols(tile: Tile) -> [Polarization; 2] {
    let polar = tile.north() > 72 || tile.north() < -60;
    if polar || unit(hash(&[4, tile.lat_index() as u64, tile.lon_index() as u64])) < 0.03 {
        [Polarization::Hh, Polarization::Hv]
    } else {
        [Polarization::Vv, Polarization::Vh]
    }
}

/// Candidate relative orbits of a tile: two neighbouring ascending and two
/// neighbouring descending tracks, shifting with longitude (175 tracks
/// per 360 degrees) and latitude.
fn orbits(tile: Tile) -> Vec<(Orbit, FlightDirection)> {
    let lon = tile.lon_index() as u32;
    let lat = tile.lat_index() as u32;
    let asc = (lon * 175 / 360 + lat / 12) % 175;
    let desc = (asc + 87 + lat / 6) % 175;
    let mut v = Vec::new();
    for (base, dir) in [
        (asc, FlightDirection::Ascending),
        (desc, FlightDirection::Descending),
    ] {
        for k in 0..2 {
            let orbit = Orbit::from_index(((base + k) % 175) as u16).unwrap();
            v.push((orbit, dir));
        }
    }
    v
}

/// Picks `count` keys of `variable`: all `mandatory` ones, then the
/// candidates with the lowest score. Scores do not depend on the variable
/// itself, only on `salt`, so variables sharing a salt get nested selections.
fn select(
    variable: Variable,
    salt: u64,
    count: usize,
    candidates: &[(f64, Layer, Tile)],
    mandatory: &[(Layer, Tile)],
) -> Vec<ChunkKey> {
    let mut best: HashMap<(Layer, Tile), f64> = HashMap::with_capacity(candidates.len());
    for &(weight, layer, tile) in candidates {
        // Hash the key as the Coherence/Seasonal/Orbital layer with its
        // tile, so that it does not depend on which variable it is.
        let (idx, n) = layer.indices();
        let h = hash(&[
            salt,
            n as u64,
            idx[0] as u64,
            idx[1] as u64,
            idx[2] as u64,
            tile.lat_index() as u64,
            tile.lon_index() as u64,
        ]);
        let score = unit(h) * weight;
        best.entry((layer, tile))
            .and_modify(|s| *s = s.min(score))
            .or_insert(score);
    }
    for &m in mandatory {
        best.insert(m, f64::NEG_INFINITY);
    }
    let mut all: Vec<(f64, Layer, Tile)> = best.into_iter().map(|((l, t), s)| (s, l, t)).collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    assert!(
        all.len() >= count,
        "{variable}: only {} candidates",
        all.len()
    );
    all.truncate(count);
    all.into_iter()
        .map(|(_, layer, tile)| ChunkKey::new(variable, layer, tile).unwrap())
        .collect()
}

fn generate() -> Vec<ChunkKey> {
    let tiles = land_tiles();
    let [first, last] = anchors();
    let (winter, fall) = (Season::Winter, Season::Fall);
    let (vv, hh) = (Polarization::Vv, Polarization::Hh);
    let orbit_1a = Layer::Orbital(Orbit::new(1).unwrap(), FlightDirection::Ascending);
    let orbit_175d = Layer::Orbital(Orbit::new(175).unwrap(), FlightDirection::Descending);

    // COH: every season, the tile's two polarizations, six intervals; short
    // and long intervals a little rarer (fewer acquisition pairs).
    let interval_weight = [1.25, 0.85, 0.95, 0.9, 1.05, 1.2];
    let mut coh = Vec::new();
    for &tile in &tiles {
        for &s in Season::ALL {
            for p in pols(tile) {
                for &c in RepeatInterval::ALL {
                    let w = interval_weight[c.index() as usize];
                    coh.push((w, Layer::Coherence(s, p, c), tile));
                }
            }
        }
    }
    // AMP: every season and both polarizations.
    let mut amp = Vec::new();
    // tau, rmse, rho: every season, co-polarization only.
    let mut decay = Vec::new();
    for &tile in &tiles {
        let [co, cross] = pols(tile);
        for &s in Season::ALL {
            amp.push((1.0, Layer::Seasonal(s, co), tile));
            amp.push((1.0, Layer::Seasonal(s, cross), tile));
            decay.push((1.0, Layer::Seasonal(s, co), tile));
        }
    }
    // inc, lsmap: a few tracks per tile.
    let mut orbital = Vec::new();
    for &tile in &tiles {
        for (o, d) in orbits(tile) {
            orbital.push((1.0, Layer::Orbital(o, d), tile));
        }
    }

    let seasonal_ends = [
        (Layer::Seasonal(winter, vv), first),
        (Layer::Seasonal(fall, hh), last),
    ];
    let mut keys = Vec::new();
    for (variable, count) in COUNTS {
        let chosen = match variable {
            Variable::Coh => select(
                variable,
                10,
                count,
                &coh,
                &[
                    (Layer::Coherence(winter, vv, RepeatInterval::Days06), first),
                    (Layer::Coherence(fall, hh, RepeatInterval::Days48), last),
                ],
            ),
            Variable::Amp => select(variable, 11, count, &amp, &seasonal_ends),
            Variable::Tau | Variable::Rmse | Variable::Rho => {
                select(variable, 12, count, &decay, &seasonal_ends)
            }
            Variable::Inc | Variable::Lsmap => select(
                variable,
                13,
                count,
                &orbital,
                &[(orbit_1a, first), (orbit_175d, last)],
            ),
        };
        keys.extend(chosen);
    }
    keys
}

/// One listing line with a pseudo-random date in March/April 2021 and size.
fn line(out: &mut String, key: &str, size: Option<u64>) {
    // FNV-1a of the key, then mixed.
    let h = mix(key.bytes().fold(0xCBF2_9CE4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
    }));
    let day = h % 61; // 2021-03-01 .. 2021-04-30
    let (month, dom) = if day < 31 {
        (3, day + 1)
    } else {
        (4, day - 30)
    };
    let secs = (h >> 8) % 86_400;
    let size = size.unwrap_or(10_000 + (h >> 24) % 2_600_000);
    let _ = writeln!(
        out,
        "2021-{month:02}-{dom:02} {:02}:{:02}:{:02} {size:>10} {key}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out_path] = args.as_slice() else {
        eprintln!("usage: synthetic_listing OUT.txt");
        return ExitCode::from(2);
    };

    let keys = generate();
    let mut per_variable = [0usize; 7];
    let mut paths: Vec<(String, Option<u64>)> = Vec::with_capacity(keys.len() + 8);
    for key in &keys {
        per_variable[key.variable.index()] += 1;
        paths.push((
            format!("{TILES_PREFIX}{}/{}", key.tile, FileName(*key)),
            None,
        ));
    }
    for (name, size) in [
        ("", 0),
        ("Global_tiles.geojson", 5_823_114),
        ("N00E005/N00E005_fall_vv_COH12.ovr", 120_331),
        ("README.json", 2_417),
        ("global_winter_vv_COH12.vrt", 48_301_772),
    ] {
        paths.push((format!("{TILES_PREFIX}{name}"), Some(size)));
    }
    // aws s3 ls lists keys in byte order.
    paths.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let n = paths.len();
    paths.dedup_by(|a, b| a.0 == b.0);
    assert_eq!(n, paths.len(), "duplicate keys");

    let file = match std::fs::File::create(out_path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("synthetic_listing: {out_path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let mut buf = String::with_capacity(1 << 16);
    for (path, size) in &paths {
        line(&mut buf, path, *size);
        if buf.len() > 60_000 {
            if let Err(e) = w.write_all(buf.as_bytes()) {
                eprintln!("synthetic_listing: {out_path}: {e}");
                return ExitCode::FAILURE;
            }
            buf.clear();
        }
    }
    if let Err(e) = w.write_all(buf.as_bytes()).and_then(|_| w.flush()) {
        eprintln!("synthetic_listing: {out_path}: {e}");
        return ExitCode::FAILURE;
    }

    let tiles: std::collections::HashSet<Tile> = keys.iter().map(|k| k.tile).collect();
    for (variable, count) in COUNTS {
        let got = per_variable[variable.index()];
        assert_eq!(got, count, "{variable}");
        eprintln!("{:<6} {got:>8}", variable.name());
    }
    eprintln!("{:<6} {:>8}", "total", keys.len());
    eprintln!(
        "{} tiles, {} lines ({} not .tif) -> {out_path}",
        tiles.len(),
        paths.len(),
        paths.len() - keys.len()
    );
    ExitCode::SUCCESS
}
