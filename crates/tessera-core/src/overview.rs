//! Overviews of a whole layer: the data set's 1°×1° files averaged onto one
//! global grid of coarser pixels, with a pyramid of levels, as the tiles of
//! a Cloud-Optimized GeoTIFF ([`crate::cog`]).
//!
//! **Which source pixels make an output pixel.** The grid covers the data
//! set's extent (82 N to 79 S, 180 W to 180 E) in pixels of `resolution`
//! degrees. A source pixel (global row `R`, column `C` at 1/1200°) belongs
//! to the full resolution output pixel holding its centre:
//! `x = floor((C + 0.5) / (1200 · resolution))`, likewise `y` from `R`. An
//! overview pixel at level `k` is the 2^k × 2^k block of full resolution
//! pixels under it (`x >> k`). Every level is computed from the source
//! pixels themselves (sums and counts, never means of means), so a value at
//! any level is exactly the [`Aggregation`] of the valid (non-zero) source
//! pixels under it; no valid pixel gives nodata (0).
//!
//! **Memory** does not grow with the layer: the pyramid is built depth
//! first, one full resolution tile at a time (quadtree order), each source
//! file decoded once and kept only as its small footprint of sums until the
//! last output tile it touches is done.

use std::collections::{BTreeSet, HashMap};

use crate::cog::{CogLayout, COG_TILE};
use crate::dataset::{Tile, Variable, TILE_PIXELS};
use crate::geotiff::DecodedTile;

/// Northern edge of the data set's grid, degrees.
pub const GRID_NORTH: f64 = 82.0;
/// Western edge of the data set's grid, degrees.
pub const GRID_WEST: f64 = -180.0;
/// The grid's extent in degrees (82 N to 79 S; 180 W to 180 E).
const GRID_DEGREES_DOWN: f64 = 161.0;
const GRID_DEGREES_ACROSS: f64 = 360.0;
/// 1° tiles down (N82 to S78) and across (W180 to E179).
const TILE_ROWS: u32 = 161;
const TILE_COLUMNS: u32 = 360;

/// How valid source pixels combine into one output pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// The mean DN, rounded to nearest (half up): COH, rho, tau, rmse, inc.
    Mean,
    /// The mean in power (DN², as AMP's power is DN² / 199526231), back to
    /// DN: `floor(sqrt(Σ DN² / n) + 0.5)`. Averaging AMP's DN would average
    /// amplitudes, and dB would be worse.
    MeanPower,
    /// The most severe category present, which for lsmap's codes is the
    /// largest: 1 none < 5 layover < 17 shadow < 21 shadow in layover.
    MostSevere,
}

impl Aggregation {
    /// How `variable`'s values combine.
    pub fn of(variable: Variable) -> Aggregation {
        match variable {
            Variable::Amp => Aggregation::MeanPower,
            Variable::Lsmap => Aggregation::MostSevere,
            _ => Aggregation::Mean,
        }
    }

    /// Words for the manifest and the COG's metadata.
    pub fn describe(self) -> &'static str {
        match self {
            Aggregation::Mean => "mean of valid DN, rounded half up",
            Aggregation::MeanPower => "mean power of valid DN (DN^2), back to DN, rounded half up",
            Aggregation::MostSevere => "most severe category present (largest code)",
        }
    }

    fn merge(self, sum: &mut u64, other: u64) {
        match self {
            Aggregation::Mean | Aggregation::MeanPower => *sum += other,
            Aggregation::MostSevere => *sum = (*sum).max(other),
        }
    }

    fn value(self, sum: u64, count: u32) -> u16 {
        if count == 0 {
            return 0;
        }
        let count = u64::from(count);
        let v = match self {
            Aggregation::Mean => (2 * sum + count) / (2 * count),
            Aggregation::MeanPower => ((sum as f64 / count as f64).sqrt() + 0.5).floor() as u64,
            Aggregation::MostSevere => sum,
        };
        v.min(u64::from(u16::MAX)) as u16
    }
}

/// Why a grid cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OverviewError {
    #[error("resolution {0}° is not between 1/1200° (the data's own) and 10°")]
    Resolution(f64),
    #[error(transparent)]
    Cog(#[from] crate::cog::CogError),
    #[error("writing a tile: {0}")]
    Sink(String),
}

/// The global grid at one resolution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OverviewGrid {
    pub resolution: f64,
    pub width: u32,
    pub height: u32,
    /// Source pixels per output pixel along an axis (1200 · resolution).
    ratio: f64,
}

impl OverviewGrid {
    pub fn new(resolution: f64) -> Result<OverviewGrid, OverviewError> {
        let finest = 1.0 / f64::from(TILE_PIXELS);
        if !(resolution.is_finite() && resolution >= finest * (1.0 - 1e-9) && resolution <= 10.0) {
            return Err(OverviewError::Resolution(resolution));
        }
        // Whole pixels covering the extent; a resolution that divides it
        // (0.01°: 36000 × 16100) gives no partial pixel.
        let cells = |degrees: f64| (degrees / resolution - 1e-6).ceil() as u32;
        Ok(OverviewGrid {
            resolution,
            width: cells(GRID_DEGREES_ACROSS),
            height: cells(GRID_DEGREES_DOWN),
            ratio: f64::from(TILE_PIXELS) * resolution,
        })
    }

    /// The full resolution output pixel holding source pixel `index` (a
    /// global row or column at 1/1200°).
    pub fn output_of(&self, index: u32) -> u32 {
        ((f64::from(index) + 0.5) / self.ratio).floor() as u32
    }

    /// The output pixels (first, last) a 1° tile's 1200 rows or columns
    /// starting at global source index `first` fall in.
    fn span(&self, first: u32) -> (u32, u32) {
        (
            self.output_of(first),
            self.output_of(first + TILE_PIXELS - 1),
        )
    }

    /// The COG image this grid is the full resolution of.
    pub fn image(&self) -> crate::cog::CogImage {
        crate::cog::CogImage {
            width: self.width,
            height: self.height,
            degrees: self.resolution,
            west: GRID_WEST,
            north: GRID_NORTH,
        }
    }
}

/// A rectangle of one level's pixels, global coordinates, ends exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rect {
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
}

impl Rect {
    fn intersect(self, other: Rect) -> Option<Rect> {
        let r = Rect {
            x0: self.x0.max(other.x0),
            y0: self.y0.max(other.y0),
            x1: self.x1.min(other.x1),
            y1: self.y1.min(other.y1),
        };
        (r.x0 < r.x1 && r.y0 < r.y1).then_some(r)
    }

    fn union(self, other: Option<Rect>) -> Rect {
        match other {
            None => self,
            Some(o) => Rect {
                x0: self.x0.min(o.x0),
                y0: self.y0.min(o.y0),
                x1: self.x1.max(o.x1),
                y1: self.y1.max(o.y1),
            },
        }
    }
}

/// Sums and counts over a rectangle of one level's pixels.
#[derive(Debug, Clone)]
struct Sums {
    x0: u32,
    y0: u32,
    width: u32,
    height: u32,
    sum: Vec<u64>,
    count: Vec<u32>,
    /// Where counts may be non-zero (`None`: nowhere). Sparse layers are
    /// mostly empty, so merging and encoding look only here.
    used: Option<Rect>,
}

impl Sums {
    fn new(x0: u32, y0: u32, width: u32, height: u32) -> Sums {
        let n = width as usize * height as usize;
        Sums {
            x0,
            y0,
            width,
            height,
            sum: vec![0; n],
            count: vec![0; n],
            used: None,
        }
    }

    fn area(&self) -> Rect {
        Rect {
            x0: self.x0,
            y0: self.y0,
            x1: self.x0 + self.width,
            y1: self.y0 + self.height,
        }
    }

    /// Adds `other` (same level) where the two overlap.
    fn merge(&mut self, other: &Sums, aggregation: Aggregation) {
        let Some(r) = other.used.and_then(|u| u.intersect(self.area())) else {
            return;
        };
        for y in r.y0..r.y1 {
            let to = ((y - self.y0) * self.width + (r.x0 - self.x0)) as usize;
            let from = ((y - other.y0) * other.width + (r.x0 - other.x0)) as usize;
            let n = (r.x1 - r.x0) as usize;
            let (sum, count) = (&mut self.sum[to..to + n], &mut self.count[to..to + n]);
            let (other_sum, other_count) =
                (&other.sum[from..from + n], &other.count[from..from + n]);
            for i in 0..n {
                aggregation.merge(&mut sum[i], other_sum[i]);
                count[i] += other_count[i];
            }
        }
        self.used = Some(r.union(self.used));
    }

    /// Adds `child` (one level finer) into these pixels: child pixel (x, y)
    /// falls in (x / 2, y / 2).
    fn merge_finer(&mut self, child: &Sums, aggregation: Aggregation) {
        let Some(u) = child.used else {
            return;
        };
        let parent = Rect {
            x0: u.x0 / 2,
            y0: u.y0 / 2,
            x1: u.x1.div_ceil(2),
            y1: u.y1.div_ceil(2),
        };
        let Some(p) = parent.intersect(self.area()) else {
            return;
        };
        for cy in u.y0..u.y1 {
            let y = cy / 2;
            if y < p.y0 || y >= p.y1 {
                continue;
            }
            let row = ((y - self.y0) * self.width) as usize;
            let from = ((cy - child.y0) * child.width) as usize;
            for cx in u.x0.max(2 * p.x0)..u.x1.min(2 * p.x1) {
                let j = from + (cx - child.x0) as usize;
                let i = row + (cx / 2 - self.x0) as usize;
                aggregation.merge(&mut self.sum[i], child.sum[j]);
                self.count[i] += child.count[j];
            }
        }
        self.used = Some(p.union(self.used));
    }

    /// Shrinks `used` to the counted pixels (after filling from a file).
    fn find_used(&mut self) {
        let mut used: Option<Rect> = None;
        for y in 0..self.height {
            let row = &self.count[(y * self.width) as usize..((y + 1) * self.width) as usize];
            if let (Some(first), Some(last)) = (
                row.iter().position(|&c| c > 0),
                row.iter().rposition(|&c| c > 0),
            ) {
                let r = Rect {
                    x0: self.x0 + first as u32,
                    y0: self.y0 + y,
                    x1: self.x0 + last as u32 + 1,
                    y1: self.y0 + y + 1,
                };
                used = Some(r.union(used));
            }
        }
        self.used = used;
    }

    fn is_empty(&self) -> bool {
        self.used.is_none()
    }
}

/// A source file's contribution to the full resolution grid.
fn footprint(
    grid: &OverviewGrid,
    tile: Tile,
    pixels: &DecodedTile,
    aggregation: Aggregation,
) -> Sums {
    match (pixels, aggregation) {
        (DecodedTile::U8(p), Aggregation::Mean) => {
            footprint_of(grid, tile, p, u64::from, |s, v| *s += v)
        }
        (DecodedTile::U8(p), Aggregation::MeanPower) => footprint_of(
            grid,
            tile,
            p,
            |v| u64::from(v) * u64::from(v),
            |s, v| *s += v,
        ),
        (DecodedTile::U8(p), Aggregation::MostSevere) => {
            footprint_of(grid, tile, p, u64::from, |s, v| *s = (*s).max(v))
        }
        (DecodedTile::U16(p), Aggregation::Mean) => {
            footprint_of(grid, tile, p, u64::from, |s, v| *s += v)
        }
        (DecodedTile::U16(p), Aggregation::MeanPower) => footprint_of(
            grid,
            tile,
            p,
            |v| u64::from(v) * u64::from(v),
            |s, v| *s += v,
        ),
        (DecodedTile::U16(p), Aggregation::MostSevere) => {
            footprint_of(grid, tile, p, u64::from, |s, v| *s = (*s).max(v))
        }
    }
}

/// The footprint of one file's `pixels`, where `term` is what a valid value
/// adds and `combine` how terms gather. Zeros (nodata) add a term of 0 and
/// are not counted, so the loops need no branch; a source row's pixels go
/// in runs of the columns that share an output pixel.
fn footprint_of<T: Copy + Into<u16>>(
    grid: &OverviewGrid,
    tile: Tile,
    pixels: &[T],
    term: impl Fn(T) -> u64,
    combine: impl Fn(&mut u64, u64),
) -> Sums {
    let (x0, x1) = grid.span(tile.first_column());
    let (y0, y1) = grid.span(tile.first_row());
    let mut sums = Sums::new(x0, y0, x1 - x0 + 1, y1 - y0 + 1);
    // Runs of source columns (start, end) per output column of the footprint.
    let mut runs: Vec<(usize, usize)> = Vec::with_capacity(sums.width as usize);
    let mut start = 0usize;
    for c in 1..=TILE_PIXELS {
        let ends = c == TILE_PIXELS
            || grid.output_of(tile.first_column() + c)
                != grid.output_of(tile.first_column() + c - 1);
        if ends {
            runs.push((start, c as usize));
            start = c as usize;
        }
    }
    let n = TILE_PIXELS as usize;
    for (r, row) in pixels.chunks_exact(n).enumerate().take(n) {
        let y = grid.output_of(tile.first_row() + r as u32) - y0;
        let at = (y * sums.width) as usize;
        let sum = &mut sums.sum[at..at + runs.len()];
        let count = &mut sums.count[at..at + runs.len()];
        for (k, &(a, b)) in runs.iter().enumerate() {
            let run = &row[a..b];
            let mut part = 0u64;
            let mut valid = 0u32;
            for &v in run {
                combine(&mut part, term(v));
                valid += u32::from(v.into() != 0);
            }
            combine(&mut sum[k], part);
            count[k] += valid;
        }
    }
    sums.find_used();
    sums
}

/// What building one layer's pyramid did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PyramidSummary {
    /// Source files decoded.
    pub files_read: usize,
    /// Source files that could not be read or decoded, with the reason;
    /// their pixels are nodata in the overviews.
    pub failures: Vec<(Tile, String)>,
    /// Tiles written per level (the rest are sparse).
    pub tiles_written: Vec<usize>,
}

/// Where one layer's source files are and how to read them.
pub struct PyramidSources<'a> {
    /// The tiles that have a file of this layer.
    pub tiles: &'a BTreeSet<Tile>,
    /// Reads and decodes one tile's file; `Err` is the reason, named.
    pub read: &'a (dyn Fn(Tile) -> Result<DecodedTile, String> + Sync),
    /// Called once per file read (or failed), from any thread.
    pub on_file: &'a (dyn Fn() + Sync),
}

/// A whole COG in memory: the pyramid built, then assembled. For small
/// grids (tests, fuzz seeds); `tessera overviews` spools tiles to disk
/// instead. A tile written twice, or outside the layout, is an error.
pub fn build_cog(
    grid: &OverviewGrid,
    layout: &CogLayout,
    aggregation: Aggregation,
    sources: &PyramidSources,
) -> Result<(Vec<u8>, PyramidSummary), OverviewError> {
    let mut written: Vec<Vec<Option<Vec<u8>>>> = layout
        .levels
        .iter()
        .map(|l| vec![None; l.tile_count()])
        .collect();
    let summary = build_pyramid(
        grid,
        layout,
        aggregation,
        sources,
        &mut |level, tile, bytes| {
            let slot = written
                .get_mut(level)
                .and_then(|l| l.get_mut(tile))
                .ok_or_else(|| format!("tile {level}/{tile} is not in the layout"))?;
            if slot.is_some() {
                return Err(format!("tile {level}/{tile} written twice"));
            }
            *slot = Some(bytes);
            Ok(())
        },
    )?;
    Ok((layout.assemble(&written)?, summary))
}

/// Builds a layer's pyramid: every level's non-empty tiles, encoded as
/// `layout` says, handed to `sink(level, tile index row-major, bytes)` in
/// quadtree order (a level's tiles are not in row-major order).
pub fn build_pyramid(
    grid: &OverviewGrid,
    layout: &CogLayout,
    aggregation: Aggregation,
    sources: &PyramidSources,
    sink: &mut dyn FnMut(usize, usize, Vec<u8>) -> Result<(), String>,
) -> Result<PyramidSummary, OverviewError> {
    let mut builder = Builder {
        grid,
        layout,
        aggregation,
        sources,
        pending: HashMap::new(),
        summary: PyramidSummary {
            tiles_written: vec![0; layout.levels.len()],
            ..PyramidSummary::default()
        },
        sink,
    };
    let top = layout.levels.len() - 1;
    let level = layout.levels[top];
    for ty in 0..level.tiles_down() {
        for tx in 0..level.tiles_across() {
            builder.build(top, tx, ty)?;
        }
    }
    Ok(builder.summary)
}

struct Builder<'a, 's> {
    grid: &'a OverviewGrid,
    layout: &'a CogLayout,
    aggregation: Aggregation,
    sources: &'a PyramidSources<'a>,
    /// Footprints of files read, with how many full resolution tiles still
    /// need them.
    pending: HashMap<Tile, (Option<Sums>, u32)>,
    summary: PyramidSummary,
    sink: &'s mut dyn FnMut(usize, usize, Vec<u8>) -> Result<(), String>,
}

impl Builder<'_, '_> {
    /// The sums of tile (tx, ty) of `level`, after writing it; `None` when
    /// it is outside the level or has no valid pixel.
    fn build(&mut self, level: usize, tx: u32, ty: u32) -> Result<Option<Sums>, OverviewError> {
        let shape = self.layout.levels[level];
        if tx >= shape.tiles_across() || ty >= shape.tiles_down() {
            return Ok(None);
        }
        let (x0, y0) = (tx * COG_TILE, ty * COG_TILE);
        let width = COG_TILE.min(shape.width - x0);
        let height = COG_TILE.min(shape.height - y0);
        let sums = if level == 0 {
            self.full_resolution(x0, y0, width, height)?
        } else {
            let mut sums: Option<Sums> = None;
            for (i, j) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                if let Some(child) = self.build(level - 1, 2 * tx + i, 2 * ty + j)? {
                    sums.get_or_insert_with(|| Sums::new(x0, y0, width, height))
                        .merge_finer(&child, self.aggregation);
                }
            }
            sums
        };
        let Some(sums) = sums.filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let mut values = vec![0u16; self.layout.tile_len()];
        if let Some(u) = sums.used {
            for y in u.y0 - y0..u.y1 - y0 {
                for x in u.x0 - x0..u.x1 - x0 {
                    let i = (y * width + x) as usize;
                    values[(y * COG_TILE + x) as usize] =
                        self.aggregation.value(sums.sum[i], sums.count[i]);
                }
            }
        }
        let bytes = self.layout.encode_tile(&values)?;
        let index = (ty * shape.tiles_across() + tx) as usize;
        (self.sink)(level, index, bytes).map_err(OverviewError::Sink)?;
        self.summary.tiles_written[level] += 1;
        Ok(Some(sums))
    }

    /// A full resolution tile from the files under it.
    fn full_resolution(
        &mut self,
        x0: u32,
        y0: u32,
        width: u32,
        height: u32,
    ) -> Result<Option<Sums>, OverviewError> {
        let files = self.files_under(x0, y0, width, height);
        if files.is_empty() {
            return Ok(None);
        }
        let new: Vec<Tile> = files
            .iter()
            .copied()
            .filter(|t| !self.pending.contains_key(t))
            .collect();
        let (grid, sources, aggregation) = (self.grid, self.sources, self.aggregation);
        let read = |&tile: &Tile| {
            let result =
                (sources.read)(tile).map(|pixels| footprint(grid, tile, &pixels, aggregation));
            (sources.on_file)();
            (tile, result)
        };
        #[cfg(feature = "parallel")]
        let footprints: Vec<(Tile, Result<Sums, String>)> = {
            use rayon::prelude::*;
            new.par_iter().map(read).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let footprints: Vec<(Tile, Result<Sums, String>)> = new.iter().map(read).collect();
        for (tile, result) in footprints {
            let uses = self.uses(tile);
            match result {
                Ok(sums) => {
                    self.summary.files_read += 1;
                    self.pending.insert(tile, (Some(sums), uses));
                }
                Err(reason) => {
                    self.summary.failures.push((tile, reason));
                    self.pending.insert(tile, (None, uses));
                }
            }
        }
        let mut sums = Sums::new(x0, y0, width, height);
        for tile in files {
            if let Some((footprint, uses)) = self.pending.get_mut(&tile) {
                if let Some(f) = footprint {
                    sums.merge(f, self.aggregation);
                }
                *uses -= 1;
                if *uses == 0 {
                    self.pending.remove(&tile);
                }
            }
        }
        Ok(Some(sums))
    }

    /// The layer's files whose footprints meet these full resolution pixels.
    fn files_under(&self, x0: u32, y0: u32, width: u32, height: u32) -> Vec<Tile> {
        let rows = self.tile_indices(y0, height, TILE_ROWS);
        let columns = self.tile_indices(x0, width, TILE_COLUMNS);
        let mut files = Vec::new();
        for &row in &rows {
            for &column in &columns {
                if let Some(tile) = Tile::from_indices(row, column) {
                    if self.sources.tiles.contains(&tile) {
                        files.push(tile);
                    }
                }
            }
        }
        files
    }

    /// Tile row (or column) indices whose spans meet output pixels
    /// `start..start + len`.
    fn tile_indices(&self, start: u32, len: u32, count: u32) -> Vec<u16> {
        let end = start + len;
        // A 1° tile spans 1/resolution output pixels: start from a guess
        // one tile before and keep those that meet.
        let per_tile = 1.0 / self.grid.resolution;
        let guess = (f64::from(start) / per_tile).floor() as i64 - 1;
        let mut out = Vec::new();
        let mut index = guess.max(0) as u32;
        while index < count {
            let (lo, hi) = self.grid.span(index * TILE_PIXELS);
            if lo >= end {
                break;
            }
            if hi >= start {
                out.push(index as u16);
            }
            index += 1;
        }
        out
    }

    /// How many full resolution tiles a file's footprint meets.
    fn uses(&self, tile: Tile) -> u32 {
        let (x0, x1) = self.grid.span(tile.first_column());
        let (y0, y1) = self.grid.span(tile.first_row());
        let across = x1 / COG_TILE - x0 / COG_TILE + 1;
        let down = y1 / COG_TILE - y0 / COG_TILE + 1;
        across * down
    }
}

/// The name a layer's files have after their tile: `winter_vv_COH12`,
/// `summer_vh_AMP`, `061A_inc`. Overviews and their manifest use it.
pub fn layer_name(variable: Variable, layer: crate::dataset::Layer) -> String {
    use crate::dataset::Layer;
    match layer {
        Layer::Coherence(s, p, c) => format!("{s}_{p}_COH{c}"),
        Layer::Seasonal(s, p) => format!("{s}_{p}_{variable}"),
        Layer::Orbital(o, d) => format!("{:03}{d}_{variable}", o.number()),
    }
}

/// The manifest beside a set of overview COGs (`overviews.json`): the
/// grid, its levels and each layer's COG, for the app and for people.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    /// The manifest's format version (1).
    pub tessera_overviews: u32,
    pub resolution: f64,
    pub west: f64,
    pub north: f64,
    pub width: u32,
    pub height: u32,
    pub tile: u32,
    pub compression: String,
    pub predictor: u32,
    pub nodata: u32,
    pub levels: Vec<ManifestLevel>,
    pub layers: Vec<ManifestLayer>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ManifestLevel {
    pub level: u32,
    pub width: u32,
    pub height: u32,
    pub degrees: f64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ManifestLayer {
    pub variable: String,
    /// As [`layer_name`] gives it.
    pub layer: String,
    /// The COG, relative to the manifest (or absolute).
    pub url: String,
    pub dtype: String,
    pub aggregation: String,
    /// Source files the COG was made from.
    pub files: u64,
}

/// Why a manifest cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ManifestError {
    #[error("not an overviews manifest: {0}")]
    Json(String),
    #[error("manifest version {0}: this build reads version 1")]
    Version(u32),
}

impl Manifest {
    /// The manifest of `layouts`' grid and these layers.
    pub fn new(grid: &OverviewGrid, layout: &CogLayout, layers: Vec<ManifestLayer>) -> Manifest {
        Manifest {
            tessera_overviews: 1,
            resolution: grid.resolution,
            west: GRID_WEST,
            north: GRID_NORTH,
            width: grid.width,
            height: grid.height,
            tile: COG_TILE,
            compression: layout.compression.name().to_string(),
            predictor: if layout.predictor { 2 } else { 1 },
            nodata: 0,
            levels: layout
                .levels
                .iter()
                .enumerate()
                .map(|(i, l)| ManifestLevel {
                    level: i as u32,
                    width: l.width,
                    height: l.height,
                    degrees: l.degrees,
                })
                .collect(),
            layers,
        }
    }

    pub fn parse(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let manifest: Manifest =
            serde_json::from_slice(bytes).map_err(|e| ManifestError::Json(e.to_string()))?;
        if manifest.tessera_overviews != 1 {
            return Err(ManifestError::Version(manifest.tessera_overviews));
        }
        Ok(manifest)
    }

    /// The COG of a layer, if the manifest has one.
    pub fn layer(
        &self,
        variable: Variable,
        layer: crate::dataset::Layer,
    ) -> Option<&ManifestLayer> {
        let name = layer_name(variable, layer);
        self.layers
            .iter()
            .find(|l| l.variable == variable.name() && l.layer == name)
    }
}
