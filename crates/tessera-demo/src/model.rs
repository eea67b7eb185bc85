//! The synthetic landscape and the measurements the demo writes over it.
//!
//! Every stored value is a pure function of (seed, file, global pixel):
//! [`Model::value_at`] evaluates it for one pixel and [`Model::tile_values`]
//! for a whole tile with the same arithmetic, so tests can check any pixel a
//! reader returns against the formula.
//!
//! The landscape ([`Ground`]) is land or sea from Natural Earth, fractal
//! terrain (elevation and slopes), vegetation that follows climate belts, and
//! scattered lakes. The measurements over it:
//!
//! * rho, tau, rmse: the coherence decay model per season and polarization,
//!   high long-term coherence and slow decay on bare, dry ground, fast decay
//!   under vegetation, in wet seasons and under snow; vh decorrelates faster
//!   than vv.
//! * COH: γ(t) = (1 − ρ)·exp(−t/τ) + ρ from the *stored* rho and tau (so
//!   the files agree with each other), plus estimation noise with the stored
//!   rmse as its standard deviation.
//! * AMP: γ⁰ in dB from vegetation (volume scattering), soil moisture, wet
//!   snow and terrain facing, with speckle.
//! * inc, lsmap: per relative orbit, swaths of 250 km whose ellipsoidal
//!   incidence grows from 30° at near range to 46° at far range, looking
//!   east when ascending and west when descending; layover and shadow where
//!   the terrain is steep towards or away from the radar.
//!
//! Sea pixels are no data (0) in every file, as in the real data set.

use rayon::prelude::*;
use tessera_core::coordinates::GlobalPixel;
use tessera_core::dataset::{
    DType, FlightDirection, Layer, Orbit, Polarization, RepeatInterval, Season, Variable,
    LATITUDE_PIXELS, LONGITUDE_PIXELS, TILE_PIXELS,
};
use tessera_core::geotiff::TILE_LEN;
use tessera_core::Tile;

use crate::land::{LandError, LandMask};
use crate::noise::{mix, pixel_normal, value_noise, value_noise_row};

/// Metres per degree of latitude (mean Earth radius 6 371 km).
const METRES_PER_DEGREE: f64 = 111_194.9;
/// Swath half-width of Sentinel-1 IW mode in degrees of latitude (125 km).
const SWATH_HALF_WIDTH_DEGREES: f64 = 125_000.0 / METRES_PER_DEGREE;
/// Incidence at near and far range of the swath, degrees.
const NEAR_INCIDENCE: f64 = 30.0;
const FAR_INCIDENCE: f64 = 46.0;
/// Longitude step between consecutive relative orbits at the equator:
/// 175 orbits in a 12-day cycle, 14 7/12 orbits a day.
const ORBIT_STEP_DEGREES: f64 = 360.0 * 12.0 / 175.0;
/// Ascending node of relative orbit 1 (an arbitrary origin).
const ORBIT_1_ASCENDING_NODE: f64 = -70.0;
/// Longitude drift of the ground track per degree of latitude, scaled by
/// 1/cos(latitude): Sentinel-1's tracks lean about 12° off north.
const TRACK_LEAN: f64 = 0.21;

/// lsmap categories.
pub const LSMAP_CLEAR: u8 = 1;
pub const LSMAP_LAYOVER: u8 = 5;
pub const LSMAP_SHADOW: u8 = 17;
pub const LSMAP_SHADOW_IN_LAYOVER: u8 = 21;

/// The fields of the landscape, each its own noise stream.
mod field {
    use crate::noise::Fractal;

    /// Where the mountains are: broad belts a few degrees across.
    pub const RELIEF: Fractal = Fractal {
        stream: 1,
        coarsest: 9600,
        octaves: 3,
        gain: 0.5,
    };
    /// Ranges and valleys.
    pub const TERRAIN: Fractal = Fractal {
        stream: 2,
        coarsest: 2400,
        octaves: 6,
        gain: 0.5,
    };
    /// Sharp ridges of two kilometres and crests of one (value noise on 24-
    /// and 12-pixel cells), which make slopes steep enough for layover and
    /// shadow.
    pub const RIDGES: u64 = 3 * 64;
    pub const RIDGE_CELL: u32 = 24;
    pub const CRESTS: u64 = 3 * 64 + 1;
    pub const CREST_CELL: u32 = 12;
    pub const VEGETATION: Fractal = Fractal {
        stream: 4,
        coarsest: 2400,
        octaves: 6,
        gain: 0.55,
    };
    pub const LAKES: Fractal = Fractal {
        stream: 5,
        coarsest: 600,
        octaves: 4,
        gain: 0.5,
    };
    /// Towns and cities, in the lowlands.
    pub const URBAN: Fractal = Fractal {
        stream: 6,
        coarsest: 600,
        octaves: 4,
        gain: 0.6,
    };
    /// Where the lowlands are farmed.
    pub const FARMLAND: Fractal = Fractal {
        stream: 7,
        coarsest: 2400,
        octaves: 3,
        gain: 0.5,
    };
    /// Fields of 9×9 pixels (about 800 m), each with its own crop.
    pub const FIELDS: u64 = 8 * 64;
    pub const FIELD_PIXELS: u32 = 9;
    /// Per-file speckle and estimation noise: this plus the file's layer id.
    pub const FILE: u64 = 1 << 32;
}

/// The landscape at one pixel, shared by every file there.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Ground {
    /// On land (Natural Earth); sea pixels are no data everywhere.
    pub land: bool,
    /// An inland lake: land in Natural Earth, water to the radar.
    pub water: bool,
    /// Built-up: stable, bright scatterers.
    pub urban: bool,
    /// Metres above sea level.
    pub elevation: f32,
    /// Rise per metre towards the east and towards the north.
    pub slope_east: f32,
    pub slope_north: f32,
    /// 0 (bare) .. 1 (dense vegetation).
    pub vegetation: f32,
}

/// What depends only on the row: latitude, pixel width and the seasons.
#[derive(Debug, Clone, Copy)]
struct RowClimate {
    lat: f64,
    /// Width of a pixel in metres.
    dx: f64,
    /// Per season (in `Season::ALL` order).
    wetness: [f64; 4],
    snowline: [f64; 4],
}

impl RowClimate {
    fn new(row: u32) -> RowClimate {
        let lat = GlobalPixel { row, column: 0 }.latitude();
        let mut wetness = [0.0; 4];
        let mut snowline = [0.0; 4];
        for (i, &season) in Season::ALL.iter().enumerate() {
            wetness[i] = self::wetness(season, lat);
            snowline[i] = self::snowline(season, lat);
        }
        RowClimate {
            lat,
            dx: METRES_PER_DEGREE / TILE_PIXELS as f64 * lat.to_radians().cos().max(0.05),
            wetness,
            snowline,
        }
    }

    fn wetness(&self, season: Season) -> f64 {
        self.wetness[usize::from(season.index())]
    }

    fn snow(&self, season: Season, elevation: f32) -> bool {
        f64::from(elevation) > self.snowline[usize::from(season.index())]
    }
}

/// The generator of the demo data set: a landscape and its measurements.
#[derive(Debug)]
pub struct Model {
    seed: u64,
    land: LandMask,
}

/// The stored values of one tile in the variable's dtype, row-major.
#[derive(Debug, Clone, PartialEq)]
pub enum TileValues {
    U8(Vec<u8>),
    U16(Vec<u16>),
}

impl TileValues {
    /// Whether every pixel is no data (such a file is not written).
    pub fn is_empty(&self) -> bool {
        match self {
            TileValues::U8(v) => v.iter().all(|&x| x == 0),
            TileValues::U16(v) => v.iter().all(|&x| x == 0),
        }
    }

    /// The value at an index, widened.
    pub fn get(&self, index: usize) -> Option<u16> {
        match self {
            TileValues::U8(v) => v.get(index).map(|&x| u16::from(x)),
            TileValues::U16(v) => v.get(index).copied(),
        }
    }
}

/// The land-cover noise at a pixel.
#[derive(Debug, Clone, Copy)]
struct Cover {
    wild: f64,
    lakes: f64,
    urban: f64,
    farmland: f64,
    /// Vegetation of the crop of the field the pixel is in.
    crop: f64,
}

/// The crop of the field holding a pixel: vegetation 0.05..0.95.
fn crop(seed: u64, row: u32, column: u32) -> f64 {
    let h = crate::noise::hash(
        seed,
        field::FIELDS,
        i64::from(column / field::FIELD_PIXELS),
        i64::from(row / field::FIELD_PIXELS),
    );
    0.5 + 0.45 * crate::noise::signed_unit(h)
}

/// The landscape of one tile, computed once and shared by all its files.
#[derive(Debug)]
pub struct TileLandscape {
    tile: Tile,
    /// Row-major, 1200×1200.
    ground: Vec<Ground>,
    climate: Vec<RowClimate>,
}

impl TileLandscape {
    pub fn tile(&self) -> Tile {
        self.tile
    }

    pub fn ground(&self) -> &[Ground] {
        &self.ground
    }

    /// Calls `f(row climate, first index, row of ground, global row)` for
    /// each row, in parallel, writing into `out` row by row.
    fn par_rows<T: Send>(
        &self,
        out: &mut [T],
        f: impl Fn(&RowClimate, u32, &[Ground], &mut [T]) + Sync,
    ) {
        let n = TILE_PIXELS as usize;
        out.par_chunks_mut(n).enumerate().for_each(|(r, out_row)| {
            f(
                &self.climate[r],
                self.tile.first_row() + r as u32,
                &self.ground[r * n..(r + 1) * n],
                out_row,
            )
        });
    }
}

/// One file's values and what it is.
pub type TileFile = (Variable, Layer, TileValues);

impl Model {
    /// The model over Natural Earth's land, with a seed for its randomness.
    pub fn new(seed: u64) -> Result<Model, LandError> {
        Ok(Model {
            seed,
            land: LandMask::natural_earth()?,
        })
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn land(&self) -> &LandMask {
        &self.land
    }

    /// Elevation in metres from the relief, terrain and ridge noise (two
    /// ridge scales).
    fn elevation_from(relief: f64, terrain: f64, ridges: f64, crests: f64) -> f64 {
        // Lowlands where the relief noise is low, ranges where it is high.
        let mountains = ((relief - 0.1) / 0.4).clamp(0.0, 1.0);
        let mountains = mountains * mountains;
        let rolling = 0.5 + terrain;
        100.0
            + 500.0 * rolling
            + mountains
                * (3600.0 * rolling.max(0.0)
                    + 1300.0 * (1.0 - ridges.abs())
                    + 500.0 * (1.0 - crests.abs()))
    }

    /// Elevation in metres at a pixel centre (before the land mask).
    fn elevation(&self, row: u32, column: u32) -> f64 {
        let s = self.seed;
        Model::elevation_from(
            field::RELIEF.at(s, row, column),
            field::TERRAIN.at(s, row, column),
            value_noise(s, field::RIDGES, row, column, field::RIDGE_CELL),
            value_noise(s, field::CRESTS, row, column, field::CREST_CELL),
        )
    }

    /// [`Model::elevation`] along a row.
    fn elevation_row(&self, row: u32, columns: impl Iterator<Item = u32> + Clone, out: &mut [f64]) {
        let s = self.seed;
        let mut relief = vec![0.0; out.len()];
        let mut terrain = vec![0.0; out.len()];
        let mut ridges = vec![0.0; out.len()];
        field::RELIEF.row(s, row, columns.clone(), &mut relief);
        field::TERRAIN.row(s, row, columns.clone(), &mut terrain);
        value_noise_row(
            s,
            field::RIDGES,
            row,
            columns.clone(),
            field::RIDGE_CELL,
            |i, v| ridges[i] = v,
        );
        value_noise_row(
            s,
            field::CRESTS,
            row,
            columns,
            field::CREST_CELL,
            |i, crests| {
                out[i] = Model::elevation_from(relief[i], terrain[i], ridges[i], crests);
            },
        );
    }

    /// The landscape at one pixel.
    pub fn ground(&self, pixel: GlobalPixel) -> Ground {
        let land = self.land.is_land(pixel);
        if !land {
            return Ground::default();
        }
        let (row, column) = (pixel.row, pixel.column);
        let (north, south) = neighbour_rows(row);
        let (west, east) = neighbour_columns(column);
        let elevation = [
            self.elevation(row, column),
            self.elevation(north, column),
            self.elevation(south, column),
            self.elevation(row, west),
            self.elevation(row, east),
        ];
        let s = self.seed;
        Model::ground_from(
            &RowClimate::new(row),
            elevation,
            Cover {
                wild: field::VEGETATION.at(s, row, column),
                lakes: field::LAKES.at(s, row, column),
                urban: field::URBAN.at(s, row, column),
                farmland: field::FARMLAND.at(s, row, column),
                crop: crop(s, row, column),
            },
        )
    }

    /// A land pixel's landscape from its row's climate, the elevations at
    /// the pixel and its north, south, west and east neighbours, and the
    /// vegetation and lake noise.
    fn ground_from(climate: &RowClimate, e: [f64; 5], cover: Cover) -> Ground {
        let dy = METRES_PER_DEGREE / TILE_PIXELS as f64;
        let slope_north = (e[1] - e[2]) / (2.0 * dy);
        let slope_east = (e[4] - e[3]) / (2.0 * climate.dx);
        let lowland = e[0] < 700.0 && slope_east.abs() < 0.05 && slope_north.abs() < 0.05;
        let urban = lowland && cover.urban > 0.45;
        let farmed = lowland && !urban && cover.farmland > 0.05;
        let vegetation = if urban {
            0.0
        } else if farmed {
            cover.crop
        } else {
            (0.45 + 0.9 * cover.wild + climate_vegetation(climate.lat)
                - 0.0002 * (e[0] - 2200.0).max(0.0))
            .clamp(0.0, 1.0)
        };
        Ground {
            land: true,
            water: cover.lakes > 0.55 && e[0] < 1800.0,
            urban,
            elevation: e[0] as f32,
            slope_east: slope_east as f32,
            slope_north: slope_north as f32,
            vegetation: vegetation as f32,
        }
    }

    /// The landscape of a whole tile, pixel for pixel equal to
    /// [`Model::ground`], computed row by row in parallel.
    pub fn landscape(&self, tile: Tile) -> TileLandscape {
        let n = TILE_PIXELS as usize;
        let (r0, c0) = (tile.first_row(), tile.first_column());
        let climate: Vec<RowClimate> = (0..n).map(|r| RowClimate::new(r0 + r as u32)).collect();
        // Elevations with a one-pixel border, for the slopes at the edges.
        let width = n + 2;
        let grid_row = |i: usize| match i {
            0 => neighbour_rows(r0).0,
            i if i == n + 1 => neighbour_rows(r0 + n as u32 - 1).1,
            i => r0 + i as u32 - 1,
        };
        let grid_columns = std::iter::once(neighbour_columns(c0).0)
            .chain((0..=n as u32).map(move |i| wrap_column(c0 + i)));
        let mut elevation = vec![0.0f64; width * width];
        elevation
            .par_chunks_mut(width)
            .enumerate()
            .for_each(|(i, line)| self.elevation_row(grid_row(i), grid_columns.clone(), line));

        let mut ground = vec![Ground::default(); TILE_LEN];
        let s = self.seed;
        ground.par_chunks_mut(n).enumerate().for_each(|(r, out)| {
            let row = r0 + r as u32;
            let mut land = vec![false; n];
            self.land.row_crossings(row).fill(c0, &mut land);
            if !land.contains(&true) {
                return;
            }
            let columns = c0..c0 + n as u32;
            let mut wild = vec![0.0; n];
            let mut lakes = vec![0.0; n];
            let mut urban = vec![0.0; n];
            let mut farmland = vec![0.0; n];
            field::VEGETATION.row(s, row, columns.clone(), &mut wild);
            field::LAKES.row(s, row, columns.clone(), &mut lakes);
            field::URBAN.row(s, row, columns.clone(), &mut urban);
            field::FARMLAND.row(s, row, columns, &mut farmland);
            let at = |i: usize, j: usize| elevation[i * width + j];
            for c in (0..n).filter(|&c| land[c]) {
                let (i, j) = (r + 1, c + 1);
                let e = [
                    at(i, j),
                    at(i - 1, j),
                    at(i + 1, j),
                    at(i, j - 1),
                    at(i, j + 1),
                ];
                let cover = Cover {
                    wild: wild[c],
                    lakes: lakes[c],
                    urban: urban[c],
                    farmland: farmland[c],
                    crop: crop(s, row, c0 + c as u32),
                };
                out[c] = Model::ground_from(&climate[r], e, cover);
            }
        });
        TileLandscape {
            tile,
            ground,
            climate,
        }
    }

    /// The stored value (DN) of one file at one pixel: the formula behind
    /// every file, evaluated alone.
    pub fn value_at(&self, variable: Variable, layer: Layer, pixel: GlobalPixel) -> u16 {
        let g = self.ground(pixel);
        if !g.land {
            return 0;
        }
        let climate = RowClimate::new(pixel.row);
        let noise = || self.file_noise(file_stream(variable, layer), pixel.row, pixel.column);
        match (variable, layer) {
            (Variable::Coh, Layer::Coherence(s, p, interval)) => {
                let d = decay(&g, &climate, s, p);
                coherence_dn(d, d.e6(), interval, noise())
            }
            (Variable::Amp, Layer::Seasonal(s, p)) => amplitude_dn(&g, &climate, s, p, noise()),
            (Variable::Rho | Variable::Tau | Variable::Rmse, Layer::Seasonal(s, p)) => {
                decay(&g, &climate, s, p).dn(variable)
            }
            (Variable::Inc | Variable::Lsmap, Layer::Orbital(o, d)) => {
                orbital_dn(&g, variable, o, d, pixel)
            }
            // A layer of another variable's shape: no such file.
            _ => 0,
        }
    }

    /// A fingerprint of the formulas: values of every variable at pixels
    /// spread over the land, hashed. A cached demo whose fingerprint
    /// differs was made by another version of the model.
    pub fn fingerprint(&self) -> u64 {
        let places = [
            (34.05, -118.25),
            (35.1, -116.3),
            (36.6, -118.6),
            (46.5, 10.2),
            (-3.1, -60.2),
            (27.9, 86.9),
            (64.5, -19.5),
            (-33.9, 150.9),
        ];
        let layers = [
            (
                Variable::Coh,
                Layer::Coherence(Season::Winter, Polarization::Vv, RepeatInterval::Days12),
            ),
            (
                Variable::Coh,
                Layer::Coherence(Season::Summer, Polarization::Vh, RepeatInterval::Days48),
            ),
            (
                Variable::Amp,
                Layer::Seasonal(Season::Fall, Polarization::Vv),
            ),
            (
                Variable::Rho,
                Layer::Seasonal(Season::Spring, Polarization::Vh),
            ),
            (
                Variable::Tau,
                Layer::Seasonal(Season::Winter, Polarization::Vv),
            ),
            (
                Variable::Rmse,
                Layer::Seasonal(Season::Summer, Polarization::Vv),
            ),
        ];
        let mut h = self.seed;
        for (lat, lon) in places {
            let Some(pixel) = GlobalPixel::containing(lat, lon) else {
                continue;
            };
            let g = self.ground(pixel);
            h = mix(h ^ u64::from(g.elevation.to_bits()) ^ u64::from(g.vegetation.to_bits()) << 32);
            for (variable, layer) in layers {
                h = mix(h ^ u64::from(self.value_at(variable, layer, pixel)));
            }
            if let Some(tile) = pixel.tile_pixel().map(|(t, _, _)| t) {
                for (orbit, direction) in self.orbits_over(tile) {
                    for variable in [Variable::Inc, Variable::Lsmap] {
                        let layer = Layer::Orbital(orbit, direction);
                        h = mix(h ^ u64::from(self.value_at(variable, layer, pixel)));
                    }
                }
            }
        }
        h
    }

    /// Estimation noise and speckle of one file at one pixel.
    fn file_noise(&self, stream: u64, row: u32, column: u32) -> f64 {
        pixel_normal(self.seed, stream, row, column)
    }

    /// The ten files of one season and polarization over a tile: COH for
    /// each repeat interval, AMP, rho, tau and rmse. The decay model is
    /// computed once for all of them.
    pub fn seasonal_files(
        &self,
        land: &TileLandscape,
        season: Season,
        pol: Polarization,
    ) -> Vec<TileFile> {
        let mut decays = vec![(Decay::NONE, 0.0f64); TILE_LEN];
        land.par_rows(&mut decays, |climate, _, ground, out| {
            for (g, d) in ground.iter().zip(out.iter_mut()) {
                if g.land {
                    let decay = decay(g, climate, season, pol);
                    *d = (decay, decay.e6());
                }
            }
        });
        let layer = Layer::Seasonal(season, pol);
        let mut files: Vec<TileFile> = [Variable::Rho, Variable::Tau, Variable::Rmse]
            .into_iter()
            .map(|variable| {
                let values = decays.iter().map(|(d, _)| d.dn(variable)).collect();
                (variable, layer, TileValues::U16(values))
            })
            .collect();
        let mut amp = vec![0u16; TILE_LEN];
        let amp_stream = file_stream(Variable::Amp, layer);
        land.par_rows(&mut amp, |climate, row, ground, out| {
            for (c, (g, v)) in ground.iter().zip(out.iter_mut()).enumerate() {
                if g.land {
                    let column = land.tile.first_column() + c as u32;
                    let noise = self.file_noise(amp_stream, row, column);
                    *v = amplitude_dn(g, climate, season, pol, noise);
                }
            }
        });
        files.push((Variable::Amp, layer, TileValues::U16(amp)));
        for &interval in RepeatInterval::ALL {
            let layer = Layer::Coherence(season, pol, interval);
            let mut coh = vec![0u8; TILE_LEN];
            let coh_stream = file_stream(Variable::Coh, layer);
            let n = TILE_PIXELS as usize;
            land.par_rows(&mut coh, |_, row, ground, out| {
                let r = (row - land.tile.first_row()) as usize;
                let decays = &decays[r * n..(r + 1) * n];
                for (c, ((g, v), &(d, e6))) in
                    ground.iter().zip(out.iter_mut()).zip(decays).enumerate()
                {
                    if g.land {
                        let column = land.tile.first_column() + c as u32;
                        let noise = self.file_noise(coh_stream, row, column);
                        *v = coherence_dn(d, e6, interval, noise) as u8;
                    }
                }
            });
            files.push((Variable::Coh, layer, TileValues::U8(coh)));
        }
        files
    }

    /// The inc and lsmap files of one orbit over a tile (empty where its
    /// swath misses the tile's land).
    pub fn orbital_files(
        &self,
        land: &TileLandscape,
        orbit: Orbit,
        direction: FlightDirection,
    ) -> Vec<TileFile> {
        [Variable::Inc, Variable::Lsmap]
            .into_iter()
            .map(|variable| {
                let mut values = vec![0u8; TILE_LEN];
                land.par_rows(&mut values, |_, row, ground, out| {
                    for (c, (g, v)) in ground.iter().zip(out.iter_mut()).enumerate() {
                        let pixel = GlobalPixel {
                            row,
                            column: land.tile.first_column() + c as u32,
                        };
                        *v = orbital_dn(g, variable, orbit, direction, pixel) as u8;
                    }
                });
                (
                    variable,
                    Layer::Orbital(orbit, direction),
                    TileValues::U8(values),
                )
            })
            .collect()
    }

    /// The values of any one file over a tile (tests and odd jobs; the
    /// generator uses the grouped [`Model::seasonal_files`] and
    /// [`Model::orbital_files`]).
    pub fn tile_values(
        &self,
        land: &TileLandscape,
        variable: Variable,
        layer: Layer,
    ) -> TileValues {
        let files = match layer {
            Layer::Coherence(s, p, _) | Layer::Seasonal(s, p) => self.seasonal_files(land, s, p),
            Layer::Orbital(o, d) => self.orbital_files(land, o, d),
        };
        files
            .into_iter()
            .find(|(v, l, _)| *v == variable && *l == layer)
            .map(|(_, _, values)| values)
            .unwrap_or_else(|| match variable.dtype() {
                DType::U8 => TileValues::U8(vec![0; TILE_LEN]),
                DType::U16 => TileValues::U16(vec![0; TILE_LEN]),
            })
    }

    /// The relative orbits whose swath reaches the tile, ascending and
    /// descending. Their inc and lsmap files may still be empty where the
    /// swath only covers sea.
    pub fn orbits_over(&self, tile: Tile) -> Vec<(Orbit, FlightDirection)> {
        let mut out = Vec::new();
        for direction in FlightDirection::ALL.iter().copied() {
            for number in Orbit::MIN..=Orbit::MAX {
                let Some(orbit) = Orbit::new(u16::from(number)) else {
                    continue;
                };
                let b = tile.bounds();
                // The swath edge is a smooth curve: checking the tile's
                // corners and edge midpoints with a margin is enough.
                let covers = [b.north, (b.north + b.south) / 2.0, b.south]
                    .iter()
                    .any(|&lat| {
                        let (centre, half) = swath(orbit, direction, lat);
                        let d = wrap180((b.west + b.east) / 2.0 - centre).abs();
                        d < half + 0.5 + 0.05
                    });
                if covers {
                    out.push((orbit, direction));
                }
            }
        }
        out
    }
}

/// The rows above and below (clamped at the grid's edges).
fn neighbour_rows(row: u32) -> (u32, u32) {
    (row.saturating_sub(1), (row + 1).min(LATITUDE_PIXELS - 1))
}

/// The columns west and east (wrapping around the antimeridian).
fn neighbour_columns(column: u32) -> (u32, u32) {
    (
        (column + LONGITUDE_PIXELS - 1) % LONGITUDE_PIXELS,
        (column + 1) % LONGITUDE_PIXELS,
    )
}

fn wrap_column(column: u32) -> u32 {
    column % LONGITUDE_PIXELS
}

/// Longitude difference into [-180, 180). (Branches rather than `rem_euclid`,
/// a libm `fmod` call, because it runs per pixel; inputs are a few turns
/// at most.)
fn wrap180(mut degrees: f64) -> f64 {
    while degrees >= 180.0 {
        degrees -= 360.0;
    }
    while degrees < -180.0 {
        degrees += 360.0;
    }
    degrees
}

/// The noise stream of one file: a stable id of its variable and layer.
fn file_stream(variable: Variable, layer: Layer) -> u64 {
    let (idx, n) = layer.indices();
    field::FILE
        + idx[..n]
            .iter()
            .fold(variable.index() as u64, |id, &i| (id << 8) | u64::from(i))
}

/// Rounds a value to the nearest DN within [min, max]. (Adding ½ and
/// truncating: `f64::round` is a libm call on baseline x86-64, and this runs
/// for every pixel of every file.)
#[inline]
fn quantize(value: f64, min: f64, max: f64) -> u16 {
    (value.clamp(min, max) + 0.5) as u16
}

/// Vegetation from climate belts: wet tropics, subtropical deserts,
/// temperate forests.
fn climate_vegetation(lat: f64) -> f64 {
    let a = lat.abs();
    let bump = |centre: f64, width: f64| (-((a - centre) / width).powi(2)).exp();
    0.35 * bump(0.0, 10.0) - 0.4 * bump(25.0, 7.0) + 0.15 * bump(50.0, 10.0)
}

/// Soil and canopy wetness of a season (0 dry .. 1 wet), by hemisphere:
/// the data set's seasons are December–February, March–May, June–August and
/// September–November.
fn wetness(season: Season, lat: f64) -> f64 {
    let north = match season {
        Season::Winter => 1.0,
        Season::Spring => 0.65,
        Season::Summer => 0.1,
        Season::Fall => 0.4,
    };
    let south = match season {
        Season::Winter => 0.1,
        Season::Spring => 0.4,
        Season::Summer => 1.0,
        Season::Fall => 0.65,
    };
    // Near the equator the seasons matter less.
    let tropics = (-(lat / 12.0).powi(2)).exp();
    let w = if lat >= 0.0 { north } else { south };
    w * (1.0 - tropics) + 0.6 * tropics
}

/// Elevation above which the ground is under snow in a season.
fn snowline(season: Season, lat: f64) -> f64 {
    let winter_like = if lat >= 0.0 {
        matches!(season, Season::Winter)
    } else {
        matches!(season, Season::Summer)
    };
    let base = if winter_like {
        1600.0
    } else if matches!(season, Season::Spring | Season::Fall) {
        2600.0
    } else {
        4200.0
    };
    // Snow reaches lower towards the poles.
    base - 45.0 * (lat.abs() - 30.0).max(0.0)
}

/// The coherence decay model at a pixel for one season and polarization,
/// quantized as stored (DN = value × 1000).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Decay {
    rho_dn: u16,
    tau_dn: u16,
    rmse_dn: u16,
}

impl Decay {
    /// Sea: no data.
    const NONE: Decay = Decay {
        rho_dn: 0,
        tau_dn: 0,
        rmse_dn: 0,
    };

    fn dn(self, variable: Variable) -> u16 {
        match variable {
            Variable::Rho => self.rho_dn,
            Variable::Tau => self.tau_dn,
            Variable::Rmse => self.rmse_dn,
            _ => 0,
        }
    }

    /// exp(−6/τ): the decay over the shortest repeat interval, from the
    /// stored τ.
    fn e6(self) -> f64 {
        e6_table()[usize::from(self.tau_dn)]
    }
}

/// exp(−6/τ) for every stored τ (DN 0..65535), computed once: looking it up
/// is several times cheaper than a division and an `exp` per pixel.
fn e6_table() -> &'static [f64] {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=u16::MAX)
            .map(|dn| (-6000.0 / f64::from(dn)).exp())
            .collect()
    })
}

/// COH DN: γ(t) = (1 − ρ)·exp(−t/τ) + ρ from the stored ρ and τ, with
/// exp(−t/τ) = e6^(t/6), plus estimation noise of the stored rmse.
fn coherence_dn(d: Decay, e6: f64, interval: RepeatInterval, noise: f64) -> u16 {
    // Multiplying by 0.001 rather than dividing by 1000: a division per
    // pixel costs more than the rest of the formula.
    let rho = f64::from(d.rho_dn) * 0.001;
    let mut decayed = e6;
    for _ in 1..interval.days() / 6 {
        decayed *= e6;
    }
    let gamma = (1.0 - rho) * decayed + rho;
    let gamma = gamma + f64::from(d.rmse_dn) * 0.001 * noise;
    quantize(gamma * 100.0, 1.0, 100.0)
}

fn decay(g: &Ground, climate: &RowClimate, season: Season, pol: Polarization) -> Decay {
    let v = f64::from(g.vegetation);
    let w = climate.wetness(season);
    let (rho, tau, rmse) = if g.water {
        (0.01, 0.6, 0.02)
    } else if g.urban {
        (0.7, 40.0, 0.02)
    } else if climate.snow(season, g.elevation) {
        (0.03, 2.5, 0.03)
    } else {
        let bare = 1.0 - v;
        (
            0.03 + 0.55 * bare * bare * (1.0 - 0.4 * w),
            3.0 + 30.0 * bare * (1.0 - 0.5 * w) + 6.0 * (1.0 - w),
            0.015 + 0.035 * v + 0.02 * w,
        )
    };
    // Cross-polarized returns decorrelate faster.
    let (rho, tau, rmse) = match pol {
        Polarization::Vh | Polarization::Hv => (rho * 0.6, tau * 0.75, rmse + 0.01),
        Polarization::Vv | Polarization::Hh => (rho, tau, rmse),
    };
    let dn = |x: f64| quantize(x * 1000.0, 1.0, 65_535.0);
    Decay {
        rho_dn: dn(rho.min(1.0)),
        tau_dn: dn(tau),
        rmse_dn: dn(rmse),
    }
}

/// AMP DN: γ⁰ in dB with speckle, stored as 20·log10(DN) − 83 = dB.
fn amplitude_dn(
    g: &Ground,
    climate: &RowClimate,
    season: Season,
    pol: Polarization,
    noise: f64,
) -> u16 {
    let cross = matches!(pol, Polarization::Vh | Polarization::Hv);
    let db = if g.water {
        if cross {
            -29.0
        } else {
            -21.0
        }
    } else {
        let v = f64::from(g.vegetation);
        let w = climate.wetness(season);
        // Volume scattering grows with vegetation, more so in cross-pol;
        // leaves are out in the growing (wetter, warmer) season.
        let canopy = v * (0.8 + 0.2 * w);
        let mut db = if cross {
            -25.0 + 11.0 * canopy
        } else {
            -15.0 + 7.0 * canopy
        };
        // Soil moisture brightens bare ground; buildings are bright
        // double-bounce scatterers.
        db += 2.0 * w * (1.0 - v);
        if g.urban {
            db += 7.0;
        }
        // Wet snow in spring and fall is dark.
        if climate.snow(season, g.elevation) && matches!(season, Season::Spring | Season::Fall) {
            db -= 3.0;
        }
        // Slopes facing west and north (towards most looks) are brighter.
        let facing = -f64::from(g.slope_east) + 0.3 * f64::from(g.slope_north);
        let facing = 2.0 * facing;
        db + 10.0 * facing / (1.0 + facing.abs())
    };
    let db = db + 0.8 * noise;
    // 10^((dB + 83) / 20)
    let dn = ((db + 83.0) * (std::f64::consts::LN_10 / 20.0)).exp();
    quantize(dn, 1.0, 65_535.0)
}

/// inc or lsmap DN of one orbit at a land pixel (0 outside the swath).
fn orbital_dn(
    g: &Ground,
    variable: Variable,
    orbit: Orbit,
    direction: FlightDirection,
    pixel: GlobalPixel,
) -> u16 {
    if !g.land {
        return 0;
    }
    let Some(u) = swath_position(orbit, direction, pixel) else {
        return 0;
    };
    match variable {
        Variable::Inc => quantize(incidence(u), 1.0, 90.0),
        Variable::Lsmap => u16::from(layover_shadow(g, direction, incidence(u))),
        _ => 0,
    }
}

/// Ground track centre longitude and swath half-width (degrees of
/// longitude) of an orbit at a latitude.
fn swath(orbit: Orbit, direction: FlightDirection, lat: f64) -> (f64, f64) {
    let n = f64::from(orbit.number() - 1);
    let ascending_node = ORBIT_1_ASCENDING_NODE - n * ORBIT_STEP_DEGREES;
    let cos = lat.to_radians().cos().max(0.05);
    let lean = TRACK_LEAN * lat / cos;
    let centre = match direction {
        // Heading north-north-west.
        FlightDirection::Ascending => ascending_node - lean,
        // Half an orbit later, Earth has turned 12.3° further; heading
        // south-south-west.
        FlightDirection::Descending => ascending_node + 180.0 - 360.0 / (2.0 * 14.583) + lean,
    };
    (wrap180(centre), SWATH_HALF_WIDTH_DEGREES / cos)
}

/// Position across the swath from near (0) to far range (1), if the pixel
/// is inside it. The radar looks right: east when ascending, west when
/// descending.
fn swath_position(orbit: Orbit, direction: FlightDirection, pixel: GlobalPixel) -> Option<f64> {
    let (centre, half) = swath(orbit, direction, pixel.latitude());
    let offset = wrap180(pixel.longitude() - centre);
    let towards_far = match direction {
        FlightDirection::Ascending => offset,
        FlightDirection::Descending => -offset,
    };
    let u = (towards_far + half) / (2.0 * half);
    (0.0..1.0).contains(&u).then_some(u)
}

/// Ellipsoidal incidence angle in degrees across the swath.
fn incidence(u: f64) -> f64 {
    NEAR_INCIDENCE + (FAR_INCIDENCE - NEAR_INCIDENCE) * u
}

/// The layover/shadow category of a pixel seen at `incidence` degrees.
fn layover_shadow(g: &Ground, direction: FlightDirection, incidence: f64) -> u8 {
    // Rise per metre away from the radar: positive on slopes that face it.
    let look_east = match direction {
        FlightDirection::Ascending => 1.0,
        FlightDirection::Descending => -1.0,
    };
    let facing = (look_east * f64::from(g.slope_east)).atan().to_degrees();
    if facing > incidence + 20.0 {
        // Foreslopes so steep that the ridge behind them shadows part of
        // the layover.
        LSMAP_SHADOW_IN_LAYOVER
    } else if facing > incidence {
        LSMAP_LAYOVER
    } else if -facing > 90.0 - incidence {
        LSMAP_SHADOW
    } else {
        LSMAP_CLEAR
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tile_equals_its_pixels() {
        let model = Model::new(1).unwrap();
        let tile = Tile::parse("N34W119").unwrap();
        let land = model.landscape(tile);
        let pixels = [
            (0u32, 0u32),
            (600, 600),
            (1199, 17),
            (250, 1199),
            (901, 333),
            (17, 1000),
        ];
        for &(r, c) in &pixels {
            let pixel = GlobalPixel {
                row: tile.first_row() + r,
                column: tile.first_column() + c,
            };
            assert_eq!(land.ground()[(r * 1200 + c) as usize], model.ground(pixel));
        }
        let mut files = model.seasonal_files(&land, Season::Winter, Polarization::Vh);
        let orbits = model.orbits_over(tile);
        for &(orbit, direction) in &orbits {
            files.extend(model.orbital_files(&land, orbit, direction));
        }
        assert_eq!(files.len(), 10 + 2 * orbits.len());
        for (variable, layer, values) in &files {
            for &(r, c) in &pixels {
                let pixel = GlobalPixel {
                    row: tile.first_row() + r,
                    column: tile.first_column() + c,
                };
                let stored = values.get((r * 1200 + c) as usize).unwrap();
                assert_eq!(
                    stored,
                    model.value_at(*variable, *layer, pixel),
                    "{variable} {layer:?} at {r},{c}"
                );
            }
        }
    }

    #[test]
    fn coherence_decays_with_the_repeat_interval() {
        let g = Ground {
            land: true,
            water: false,
            urban: false,
            elevation: 300.0,
            slope_east: 0.0,
            slope_north: 0.0,
            vegetation: 0.4,
        };
        let climate = RowClimate::new(GlobalPixel::containing(35.0, 0.0).unwrap().row);
        let d = decay(&g, &climate, Season::Summer, Polarization::Vv);
        let values: Vec<u16> = RepeatInterval::ALL
            .iter()
            .map(|&i| coherence_dn(d, d.e6(), i, 0.0))
            .collect();
        assert!(values.windows(2).all(|w| w[0] > w[1]), "{values:?}");
        let rho = f64::from(d.rho_dn) / 10.0;
        assert!(f64::from(values[5]) >= rho.floor() && values[0] < 100);
    }

    #[test]
    fn orbits_cover_every_tile_from_both_directions() {
        let model = Model::new(1).unwrap();
        for name in ["N36W121", "N01E010", "S34E151", "N70E027"] {
            let orbits = model.orbits_over(Tile::parse(name).unwrap());
            let asc = orbits
                .iter()
                .filter(|(_, d)| *d == FlightDirection::Ascending)
                .count();
            assert!(asc >= 1 && orbits.len() - asc >= 1, "{name}: {orbits:?}");
        }
    }
}
