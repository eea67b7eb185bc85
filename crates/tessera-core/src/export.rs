//! The view taken away: a layer (stored or derived) over an area, at the
//! native resolution or a coarser one, as a single-band GeoTIFF with the
//! same values the map shows, and the xarray code that selects the same
//! array from the same references.
//!
//! The area is a rectangle of the global grid snapped outward to whole
//! output pixels. An output pixel `step` source pixels wide takes the
//! source pixel at the centre of its block (index `step / 2` of it, as
//! `.isel(latitude=slice(step // 2, None, step))` does): values stay
//! values of the data set, never averages. `step` divides a tile's 1200
//! pixels, so no output pixel straddles two files.
//!
//! The GeoTIFF is tiled [`EXPORT_TILE`]² and Deflate-compressed (with
//! horizontal differencing for the stored integer types), in EPSG:4326,
//! with ModelPixelScale, ModelTiepoint, GDAL_NODATA (0, or `nan` for a
//! derived layer's float32) and GDAL_METADATA naming the variable, layer,
//! scaling and source files. It is written a tile at a time
//! ([`Export::encode_tile`], in any order), then [`Export::header`] given
//! every tile's byte count: memory holds the compressed tiles, never the
//! whole raster. Compression is `miniz_oxide`'s on every target, so that
//! the browser and `tessera export` write the same bytes.

use std::fmt::Write as _;

use crate::cog::{gdal_metadata, Ifd};
use crate::dataset::{
    DType, Layer, Tile, Variable, LATITUDE_PIXELS, LONGITUDE_PIXELS, NORTH_EDGE, TILE_PIXELS,
    WEST_EDGE,
};
use crate::derived::{layer_name, Derived, Evaluator, Input, InputTile, MAX_INPUTS};
use crate::geotiff::{GEO_ASCII_PARAMS, GEO_DOUBLE_PARAMS, GEO_KEY_DIRECTORY};
use crate::physical;
use crate::pixel::{python_opening, python_string};

/// Width and height of the GeoTIFF's tiles, in pixels (GDAL's default).
pub const EXPORT_TILE: u32 = 256;

/// Most pixels one export writes unless told otherwise: the seed's
/// selection (4200 × 7200) fits with room; a float32 image this size is
/// 200 MB before compression.
pub const DEFAULT_MAX_PIXELS: u64 = 50_000_000;

/// The steps (source pixels per output pixel) offered: divisors of 1200,
/// so that an output pixel never straddles two files.
pub const STEPS: [u32; 12] = [1, 2, 3, 4, 6, 10, 12, 20, 30, 60, 120, 1200];

/// Deflate level: zlib's default, the usual trade of size for time.
const DEFLATE_LEVEL: u8 = 6;

/// Why an export cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExportError {
    #[error("a step of {0} source pixels does not divide a tile's 1200 pixels (try 1, 2, 4, 10, 12, 60 or 120)")]
    Step(u32),
    #[error(
        "the area {north}° to {south}° N, {west}° to {east}° E has no pixel of the data set's grid (82° N to 79° S, 180° W to 180° E)"
    )]
    Outside {
        north: f64,
        south: f64,
        west: f64,
        east: f64,
    },
    #[error(
        "{width} × {height} pixels is {pixels} pixels, more than the {max} an export may write: {advice}"
    )]
    TooLarge {
        width: u32,
        height: u32,
        pixels: u64,
        max: u64,
        advice: String,
    },
    #[error("the GeoTIFF would be {0} bytes: a classic TIFF ends at 4 GiB (choose a coarser resolution)")]
    FileTooLarge(u64),
    #[error("the image has {expected} tiles but {actual} byte counts were given")]
    TileCount { expected: usize, actual: usize },
    #[error("an RGB composite is three layers: export them one at a time")]
    Composite,
    #[error("{0} has no layer chosen (choose an orbit)")]
    NoLayer(Variable),
    #[error(transparent)]
    Derived(#[from] crate::derived::DerivedError),
}

/// A rectangle of the global grid and the resolution it is written at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportArea {
    /// Global row and column of the first source pixel (north-west).
    pub first_row: u32,
    pub first_column: u32,
    /// Output pixels down and across.
    pub height: u32,
    pub width: u32,
    /// Source pixels per output pixel along each axis.
    pub step: u32,
}

/// `x` rounded when it is within a millionth of a whole number, so that
/// an edge computed in floating point lands on the pixel edge it means.
fn snap(x: f64) -> f64 {
    let r = x.round();
    if (x - r).abs() < 1e-6 {
        r
    } else {
        x
    }
}

impl ExportArea {
    /// The output pixels covering the rectangle (edges in degrees; north
    /// above south, west left of east), clipped to the grid, at `step`.
    pub fn covering(
        north: f64,
        south: f64,
        west: f64,
        east: f64,
        step: u32,
    ) -> Result<ExportArea, ExportError> {
        if step == 0 || !TILE_PIXELS.is_multiple_of(step) {
            return Err(ExportError::Step(step));
        }
        let outside = ExportError::Outside {
            north,
            south,
            west,
            east,
        };
        let per_degree = f64::from(TILE_PIXELS) / f64::from(step);
        // Output-pixel indices of the edges, snapped outward.
        let axis = |from_edge_a: f64, from_edge_b: f64, len: u32| -> Option<(u32, u32)> {
            let (a, b) = (
                snap(from_edge_a * per_degree),
                snap(from_edge_b * per_degree),
            );
            if !(a.is_finite() && b.is_finite()) {
                return None;
            }
            let max = f64::from(len / step);
            let (first, end) = (a.floor().clamp(0.0, max), b.ceil().clamp(0.0, max));
            (end > first).then_some((first as u32, (end - first) as u32))
        };
        let rows = axis(
            f64::from(NORTH_EDGE) - north,
            f64::from(NORTH_EDGE) - south,
            LATITUDE_PIXELS,
        );
        let columns = axis(
            west - f64::from(WEST_EDGE),
            east - f64::from(WEST_EDGE),
            LONGITUDE_PIXELS,
        );
        let (Some((row, height)), Some((column, width))) = (rows, columns) else {
            return Err(outside);
        };
        Ok(ExportArea {
            first_row: row * step,
            first_column: column * step,
            height,
            width,
            step,
        })
    }

    /// Output pixels in all.
    pub fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    /// This area unless it has more than `max` pixels; then an error that
    /// names the finest step that fits.
    pub fn within(self, max: u64) -> Result<ExportArea, ExportError> {
        if self.pixels() <= max {
            return Ok(self);
        }
        let finest = STEPS.iter().copied().find(|&s| {
            // The same area at step s, to within a pixel a side.
            let scale = f64::from(self.step) / f64::from(s);
            s > self.step
                && (f64::from(self.width) * scale + 1.0) * (f64::from(self.height) * scale + 1.0)
                    <= max as f64
        });
        let advice = match finest {
            Some(s) => format!(
                "choose 1/{}° pixels ({s} source pixels each) or coarser, or a smaller area",
                TILE_PIXELS / s
            ),
            None => "choose a smaller area".into(),
        };
        Err(ExportError::TooLarge {
            width: self.width,
            height: self.height,
            pixels: self.pixels(),
            max,
            advice,
        })
    }

    /// Pixel size in degrees.
    pub fn pixel_degrees(&self) -> f64 {
        f64::from(self.step) / f64::from(TILE_PIXELS)
    }

    /// Edges in degrees.
    pub fn north(&self) -> f64 {
        f64::from(NORTH_EDGE) - f64::from(self.first_row) / f64::from(TILE_PIXELS)
    }

    pub fn south(&self) -> f64 {
        f64::from(NORTH_EDGE)
            - f64::from(self.first_row + self.height * self.step) / f64::from(TILE_PIXELS)
    }

    pub fn west(&self) -> f64 {
        f64::from(WEST_EDGE) + f64::from(self.first_column) / f64::from(TILE_PIXELS)
    }

    pub fn east(&self) -> f64 {
        f64::from(WEST_EDGE)
            + f64::from(self.first_column + self.width * self.step) / f64::from(TILE_PIXELS)
    }

    /// The global source row of output row `row` (its block's centre).
    fn source_row(&self, row: u32) -> u32 {
        self.first_row + row * self.step + self.step / 2
    }

    fn source_column(&self, column: u32) -> u32 {
        self.first_column + column * self.step + self.step / 2
    }

    /// The grid's tiles holding the source pixels of output rows
    /// `rows` (all columns), north to south, west to east.
    pub fn tiles_of_rows(&self, rows: std::ops::Range<u32>) -> Vec<Tile> {
        let rows = rows.start.min(self.height)..rows.end.min(self.height);
        if rows.is_empty() || self.width == 0 {
            return Vec::new();
        }
        let lat =
            self.source_row(rows.start) / TILE_PIXELS..=self.source_row(rows.end - 1) / TILE_PIXELS;
        let lon =
            self.source_column(0) / TILE_PIXELS..=self.source_column(self.width - 1) / TILE_PIXELS;
        let mut tiles = Vec::new();
        for i in lat {
            for j in lon.clone() {
                if let (Ok(i), Ok(j)) = (u16::try_from(i), u16::try_from(j)) {
                    tiles.extend(Tile::from_indices(i, j));
                }
            }
        }
        tiles
    }

    /// Every tile the area reads.
    pub fn tiles(&self) -> Vec<Tile> {
        self.tiles_of_rows(0..self.height)
    }

    /// `.sel(...)` and, coarser than native, `.isel(...)` selecting the
    /// area's pixels from the dataset `ds`.
    fn xarray_selection(&self) -> String {
        let mut code = format!(
            "ds.sel(latitude=slice({}, {}), longitude=slice({}, {}))",
            self.north(),
            self.south(),
            self.west(),
            self.east()
        );
        if self.step > 1 {
            let _ = write!(
                code,
                ".isel(latitude=slice({o}, None, {s}), longitude=slice({o}, None, {s}))",
                o = self.step / 2,
                s = self.step
            );
        }
        code
    }
}

/// What an export writes: a stored layer's DNs, or a derived map's values.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportContent {
    Stored(Input),
    Derived {
        derived: Derived,
        /// The selection's variable and layer (a difference subtracts from
        /// it); the inputs are what is read.
        variable: Variable,
        layer: Layer,
        inputs: Vec<Input>,
    },
}

/// The sample type of an exported image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportSample {
    /// A stored variable's own type.
    Stored(DType),
    /// A derived map's values.
    F32,
}

impl ExportSample {
    pub fn bytes(self) -> usize {
        match self {
            ExportSample::Stored(d) => d.bytes(),
            ExportSample::F32 => 4,
        }
    }

    /// numpy's name of it.
    pub fn name(self) -> &'static str {
        match self {
            ExportSample::Stored(d) => d.name(),
            ExportSample::F32 => "float32",
        }
    }
}

impl ExportContent {
    /// What a view shows, as an export: its stored layer or derived map
    /// (`layer`: the layer its plan shows, which may be an orbit the plan
    /// picked; else the selection's). A swipe or the small multiples
    /// export the map's own layer (the left side, the selected season).
    pub fn of_view(
        selection: &crate::view_state::ViewState,
        layer: Option<Layer>,
    ) -> Result<ExportContent, ExportError> {
        if selection.composite.is_some() {
            return Err(ExportError::Composite);
        }
        let variable = selection.shown_variable();
        let layer = layer
            .or_else(|| selection.shown_layer())
            .ok_or(ExportError::NoLayer(variable))?;
        Ok(match selection.derived {
            None => ExportContent::Stored(Input { variable, layer }),
            Some(derived) => ExportContent::Derived {
                derived,
                variable,
                layer,
                inputs: derived.inputs(variable, Some(layer))?,
            },
        })
    }

    /// The layers read, per tile.
    pub fn inputs(&self) -> &[Input] {
        match self {
            ExportContent::Stored(input) => std::slice::from_ref(input),
            ExportContent::Derived { inputs, .. } => inputs,
        }
    }

    pub fn sample(&self) -> ExportSample {
        match self {
            ExportContent::Stored(input) => ExportSample::Stored(input.variable.dtype()),
            ExportContent::Derived { .. } => ExportSample::F32,
        }
    }

    /// What the values are, in words.
    pub fn title(&self) -> String {
        match self {
            ExportContent::Stored(input) => format!(
                "{} {}: {}",
                input.variable.name(),
                layer_name(input.layer),
                physical::quantity(input.variable)
            ),
            ExportContent::Derived {
                derived,
                variable,
                layer,
                ..
            } => derived.title(*variable, Some(*layer)),
        }
    }

    /// A file name stem: `COH_winter_vv_12`, `gamma24_winter_vv`.
    pub fn stem(&self) -> String {
        match self {
            ExportContent::Stored(input) => {
                format!("{}_{}", input.variable.name(), layer_name(input.layer))
            }
            ExportContent::Derived {
                derived,
                variable,
                layer,
                ..
            } => {
                let what = match derived {
                    Derived::Coherence { days } => format!("gamma{days}"),
                    Derived::DeformationError { days, looks } => {
                        format!("sigma{days}_looks{looks}")
                    }
                    Derived::Difference { minus } => {
                        format!("{}_minus_{}", variable.name(), layer_name(*minus))
                    }
                    Derived::SeasonalRange => format!("{}_range", variable.name()),
                };
                format!("{what}_{}", layer_name(*layer))
            }
        }
    }

    /// How values become physical quantities, in words.
    fn scaling(&self) -> String {
        match self {
            ExportContent::Stored(input) => physical::scaling(input.variable).to_string(),
            ExportContent::Derived {
                derived, variable, ..
            } => {
                let unit = derived.unit(*variable);
                let unit = if unit.is_empty() {
                    "unitless".to_string()
                } else {
                    unit.to_string()
                };
                format!(
                    "float32 values in physical units ({unit}); NaN is no data. Inputs: {}",
                    self.inputs()
                        .iter()
                        .map(|i| format!("{} ({})", i.name(), physical::scaling(i.variable)))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            }
        }
    }
}

/// An export being written. See the [module docs](self).
pub struct Export {
    pub area: ExportArea,
    pub content: ExportContent,
    /// A derived map's per-DN tables, made when the first tile is: the
    /// app makes an `Export` at every move of the map to show its size.
    evaluator: std::sync::OnceLock<Option<Evaluator>>,
}

impl Export {
    pub fn new(area: ExportArea, content: ExportContent) -> Export {
        Export {
            area,
            content,
            evaluator: std::sync::OnceLock::new(),
        }
    }

    fn evaluator(&self) -> Option<&Evaluator> {
        self.evaluator
            .get_or_init(|| match &self.content {
                ExportContent::Derived {
                    derived, inputs, ..
                } => Some(Evaluator::new(*derived, inputs)),
                ExportContent::Stored(_) => None,
            })
            .as_ref()
    }

    pub fn tiles_across(&self) -> u32 {
        self.area.width.div_ceil(EXPORT_TILE)
    }

    pub fn tiles_down(&self) -> u32 {
        self.area.height.div_ceil(EXPORT_TILE)
    }

    pub fn tile_count(&self) -> usize {
        self.tiles_across() as usize * self.tiles_down() as usize
    }

    /// The grid's tiles the GeoTIFF's tile row `band` reads.
    pub fn tiles_of_band(&self, band: u32) -> Vec<Tile> {
        self.area
            .tiles_of_rows(band * EXPORT_TILE..(band + 1) * EXPORT_TILE)
    }

    /// Every (input, grid tile) the export reads, in the order the
    /// metadata lists their files: tiles north to south, west to east,
    /// each tile's inputs in order.
    pub fn reads(&self) -> Vec<(usize, Tile)> {
        let n = self.content.inputs().len();
        self.area
            .tiles()
            .into_iter()
            .flat_map(|t| (0..n).map(move |i| (i, t)))
            .collect()
    }

    /// A file name for the download: the layer and the area's corner.
    pub fn file_name(&self) -> String {
        let lat = self.area.north();
        let lon = self.area.west();
        format!(
            "{}_{}{:.3}{}{:.3}.tif",
            self.content.stem(),
            if lat >= 0.0 { "N" } else { "S" },
            lat.abs(),
            if lon >= 0.0 { "E" } else { "W" },
            lon.abs()
        )
    }

    /// GeoTIFF tile `index` (row-major) compressed, its values read from
    /// `tile(input, grid tile)` ([`Export::raw_tile`], then
    /// [`compress_tile`]).
    pub fn encode_tile<'a>(
        &self,
        index: usize,
        tile: impl Fn(usize, Tile) -> InputTile<'a>,
    ) -> Vec<u8> {
        compress_tile(&self.raw_tile(index, tile))
    }

    /// GeoTIFF tile `index` (row-major) before compression, its values
    /// read from `tile(input, grid tile)`: a listed file not in (failed)
    /// gives no data, as on the map. Past the image's right and bottom
    /// edges the tile is padded with no data.
    pub fn raw_tile<'a>(
        &self,
        index: usize,
        tile: impl Fn(usize, Tile) -> InputTile<'a>,
    ) -> Vec<u8> {
        let across = self.tiles_across().max(1) as usize;
        let (ty, tx) = ((index / across) as u32, (index % across) as u32);
        let size = EXPORT_TILE as usize;
        let sample = self.content.sample();
        let mut raw = Vec::with_capacity(size * size * sample.bytes());
        let first_column = tx * EXPORT_TILE;
        let columns = self
            .area
            .width
            .saturating_sub(first_column)
            .min(EXPORT_TILE);
        let mut values: Vec<f64> = Vec::with_capacity(size);
        let mut dns: Vec<u16> = Vec::with_capacity(size);
        let mut gathered: Vec<Vec<u16>> =
            (0..MAX_INPUTS).map(|_| Vec::with_capacity(size)).collect();
        for r in 0..EXPORT_TILE {
            let row = ty * EXPORT_TILE + r;
            dns.clear();
            values.clear();
            if row < self.area.height {
                let source_row = self.area.source_row(row);
                let (lat_index, row_in) = (source_row / TILE_PIXELS, source_row % TILE_PIXELS);
                // Runs of output columns over one grid tile each.
                let mut c = 0;
                while c < columns {
                    let lon_index = self.area.source_column(first_column + c) / TILE_PIXELS;
                    let mut end = c + 1;
                    while end < columns
                        && self.area.source_column(first_column + end) / TILE_PIXELS == lon_index
                    {
                        end += 1;
                    }
                    let grid_tile = u16::try_from(lat_index)
                        .ok()
                        .zip(u16::try_from(lon_index).ok())
                        .and_then(|(i, j)| Tile::from_indices(i, j));
                    let base = row_in as usize * TILE_PIXELS as usize;
                    let column_in = |k: u32| {
                        base + (self.area.source_column(first_column + k) % TILE_PIXELS) as usize
                    };
                    match (self.evaluator(), grid_tile) {
                        (None, Some(t)) => match tile(0, t) {
                            InputTile::Samples(s) => {
                                dns.extend((c..end).map(|k| s.get(column_in(k))))
                            }
                            InputTile::NoFile | InputTile::Missing => {
                                dns.extend((c..end).map(|_| 0))
                            }
                        },
                        (None, None) => dns.extend((c..end).map(|_| 0)),
                        (Some(evaluator), Some(t)) => {
                            let n = evaluator.inputs().min(MAX_INPUTS);
                            let mut present = [false; MAX_INPUTS];
                            let mut missing = false;
                            for (i, slot) in gathered.iter_mut().enumerate().take(n) {
                                slot.clear();
                                match tile(i, t) {
                                    InputTile::Samples(s) => {
                                        present[i] = true;
                                        slot.extend((c..end).map(|k| s.get(column_in(k))));
                                    }
                                    InputTile::NoFile => {}
                                    InputTile::Missing => missing = true,
                                }
                            }
                            let start = values.len();
                            values.resize(start + (end - c) as usize, f64::NAN);
                            if !missing && present[..n].iter().any(|&p| p) {
                                let mut runs: [Option<&[u16]>; MAX_INPUTS] = [None; MAX_INPUTS];
                                for (i, run) in runs.iter_mut().enumerate().take(n) {
                                    *run = present[i].then(|| gathered[i].as_slice());
                                }
                                evaluator.run(&runs[..n], &mut values[start..]);
                            }
                        }
                        (Some(_), None) => values.extend((c..end).map(|_| f64::NAN)),
                    }
                    c = end;
                }
            }
            self.push_row(&mut raw, &dns, &values);
        }
        raw
    }

    /// One tile row's bytes, padded to the tile's width with no data:
    /// integers with horizontal differencing (TIFF Predictor 2), float32
    /// as they are.
    fn push_row(&self, raw: &mut Vec<u8>, dns: &[u16], values: &[f64]) {
        let width = EXPORT_TILE as usize;
        match self.content.sample() {
            ExportSample::Stored(dtype) => {
                let mut previous = 0u16;
                for k in 0..width {
                    let v = dns.get(k).copied().unwrap_or(0);
                    let stored = v.wrapping_sub(previous);
                    previous = v;
                    match dtype {
                        DType::U8 => raw.push(stored as u8),
                        DType::U16 => raw.extend_from_slice(&stored.to_le_bytes()),
                    }
                }
            }
            ExportSample::F32 => {
                for k in 0..width {
                    let v = values.get(k).copied().unwrap_or(f64::NAN) as f32;
                    raw.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
    }

    /// What GDAL_METADATA says: the variable, layer, scaling, selection
    /// and the files the values came from (`sources`: each file's URL;
    /// `missing`: files listed but not read, whose pixels are no data).
    pub fn metadata(
        &self,
        refs_url: &str,
        sources: &[String],
        missing: &[String],
    ) -> Vec<(String, String)> {
        const LISTED: usize = 200;
        let list = |files: &[String]| {
            let mut text = files
                .iter()
                .take(LISTED)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n");
            if files.len() > LISTED {
                let _ = write!(text, "\n… and {} more", files.len() - LISTED);
            }
            text
        };
        let (variable, layer) = match &self.content {
            ExportContent::Stored(input) => (input.variable, input.layer),
            ExportContent::Derived {
                variable, layer, ..
            } => (*variable, *layer),
        };
        let mut items = vec![
            ("title".to_string(), self.content.title()),
            ("variable".to_string(), variable.name().to_string()),
            ("layer".to_string(), layer_name(layer)),
            ("scaling".to_string(), self.content.scaling()),
            ("references".to_string(), refs_url.to_string()),
            ("xarray_selection".to_string(), self.area.xarray_selection()),
            (
                "sampling".to_string(),
                format!(
                    "{} source pixel(s) per output pixel; each output pixel is the source pixel at its block's centre",
                    self.area.step
                ),
            ),
            ("source_files".to_string(), list(sources)),
            (
                "source".to_string(),
                "Sentinel-1 Global Seasonal Coherence and Backscatter (Earth Big Data, Kellndorfer et al. 2022)"
                    .to_string(),
            ),
        ];
        if let ExportContent::Derived {
            derived, inputs, ..
        } = &self.content
        {
            items.push(("derived".to_string(), derived.kind().to_string()));
            items.push((
                "inputs".to_string(),
                inputs
                    .iter()
                    .map(Input::name)
                    .collect::<Vec<_>>()
                    .join(", "),
            ));
        }
        if !missing.is_empty() {
            items.push(("missing_files".to_string(), list(missing)));
        }
        items
    }

    /// The header and the IFD, given every tile's byte count (row-major)
    /// and the metadata; the tiles follow it in row-major order.
    pub fn header(
        &self,
        byte_counts: &[u32],
        metadata: &[(String, String)],
    ) -> Result<Vec<u8>, ExportError> {
        if byte_counts.len() != self.tile_count() {
            return Err(ExportError::TileCount {
                expected: self.tile_count(),
                actual: byte_counts.len(),
            });
        }
        let placeholder = vec![0u32; byte_counts.len()];
        let header_len = self.encode_ifd(byte_counts, &placeholder, metadata).len() as u64;
        let mut offsets = Vec::with_capacity(byte_counts.len());
        let mut position = header_len;
        for &count in byte_counts {
            offsets.push(u32::try_from(position).map_err(|_| ExportError::FileTooLarge(position))?);
            position += u64::from(count);
        }
        if position > u64::from(u32::MAX) {
            return Err(ExportError::FileTooLarge(position));
        }
        Ok(self.encode_ifd(byte_counts, &offsets, metadata))
    }

    /// The whole GeoTIFF from its tiles (row-major).
    pub fn assemble(
        &self,
        tiles: &[Vec<u8>],
        metadata: &[(String, String)],
    ) -> Result<Vec<u8>, ExportError> {
        let counts: Vec<u32> = tiles.iter().map(|t| t.len() as u32).collect();
        let mut out = self.header(&counts, metadata)?;
        out.reserve(tiles.iter().map(Vec::len).sum());
        for t in tiles {
            out.extend_from_slice(t);
        }
        Ok(out)
    }

    fn encode_ifd(
        &self,
        byte_counts: &[u32],
        offsets: &[u32],
        metadata: &[(String, String)],
    ) -> Vec<u8> {
        let sample = self.content.sample();
        let mut out = Vec::with_capacity(4096);
        out.extend_from_slice(b"II*\0");
        out.extend_from_slice(&8u32.to_le_bytes());
        let mut ifd = Ifd::default();
        ifd.long(256, &[self.area.width]);
        ifd.long(257, &[self.area.height]);
        ifd.short(258, &[8 * sample.bytes() as u16]);
        ifd.short(259, &[8]); // Adobe Deflate
        ifd.short(262, &[1]); // BlackIsZero
        ifd.short(277, &[1]);
        ifd.short(284, &[1]);
        ifd.short(322, &[EXPORT_TILE as u16]);
        ifd.short(323, &[EXPORT_TILE as u16]);
        ifd.long(324, offsets);
        ifd.long(325, byte_counts);
        let degrees = self.area.pixel_degrees();
        ifd.double(33550, &[degrees, degrees, 0.0]);
        ifd.double(
            33922,
            &[0.0, 0.0, 0.0, self.area.west(), self.area.north(), 0.0],
        );
        ifd.short(34735, &GEO_KEY_DIRECTORY);
        ifd.double(34736, &GEO_DOUBLE_PARAMS);
        ifd.ascii(34737, GEO_ASCII_PARAMS);
        if !metadata.is_empty() {
            ifd.ascii(42112, &gdal_metadata(metadata));
        }
        match sample {
            ExportSample::Stored(_) => {
                ifd.short(317, &[2]); // horizontal differencing
                ifd.short(339, &[1]); // unsigned integer
                ifd.ascii(42113, "0");
            }
            ExportSample::F32 => {
                ifd.short(339, &[3]); // IEEE float
                ifd.ascii(42113, "nan");
            }
        }
        ifd.write(&mut out, true);
        out
    }

    /// Python that opens the references at `refs_url` as the seed does and
    /// computes `array`: the same values as the GeoTIFF's band, for the
    /// same pixels (`rasterio.open(path).read(1)`).
    pub fn python(&self, refs_url: &str, parquet: bool) -> String {
        let mut code = python_opening(refs_url, parquet);
        let _ = writeln!(
            code,
            "# {}\n# {} × {} pixels of 1/{}°, {}° to {}° N, {}° to {}° E.\nview = {}",
            self.content.title(),
            self.area.width,
            self.area.height,
            TILE_PIXELS / self.area.step,
            self.area.north(),
            self.area.south(),
            self.area.west(),
            self.area.east(),
            self.area.xarray_selection()
        );
        match &self.content {
            ExportContent::Stored(input) => {
                let _ = writeln!(
                    code,
                    "array = view[{}].sel({})  # DNs; {}",
                    python_string(input.variable.name()),
                    layer_selection(input.layer),
                    physical::scaling(input.variable)
                );
            }
            ExportContent::Derived {
                derived, inputs, ..
            } => {
                code.push_str(
                    "\n\ndef physical(dn, scale):\n    \
                     \"\"\"A layer's DNs in physical units (float64); DN 0 is no data.\"\"\"\n    \
                     dn = dn.values.astype('float64')\n    \
                     dn[dn == 0] = numpy.nan\n    \
                     return scale(dn)\n\n\n",
                );
                for (i, input) in inputs.iter().enumerate() {
                    let _ = writeln!(
                        code,
                        "x{i} = physical(view[{}].sel({}), lambda dn: {})",
                        python_string(input.variable.name()),
                        layer_selection(input.layer),
                        python_scale(input.variable)
                    );
                }
                code.push_str("with numpy.errstate(divide='ignore', invalid='ignore'):\n");
                let body = match *derived {
                    Derived::Coherence { days } => {
                        format!("    # rho, tau: γ(t) = (1 − ρ)·exp(−t/τ) + ρ\n    value = (1 - x0) * numpy.exp(-{days} / x1) + x0\n")
                    }
                    Derived::DeformationError { days, looks } => format!(
                        "    # rho, tau: Kellndorfer et al. 2022 Eq. 1 at γ({days} d), N_L = {looks}\n    \
                         gamma = (1 - x0) * numpy.exp(-{days} / x1) + x0\n    \
                         factor = {wavelength} / (4 * numpy.pi) / numpy.sqrt(2 * {looks})\n    \
                         g2 = gamma * gamma\n    \
                         value = numpy.where(gamma > 0, factor * numpy.sqrt(numpy.maximum(1 - g2, 0) / g2), numpy.nan)\n",
                        wavelength = crate::derived::C_BAND_WAVELENGTH_MM
                    ),
                    Derived::Difference { .. } => "    value = x0 - x1\n".to_string(),
                    Derived::SeasonalRange => format!(
                        "    # Where a season's file is listed but has no data, the map (and\n    \
                         # the GeoTIFF) has none; xarray reads an unlisted file as no data\n    \
                         # too, so here a season without a file is left out only where\n    \
                         # at least two others have values.\n    \
                         seasons = numpy.stack([{}])\n    \
                         count = numpy.sum(~numpy.isnan(seasons), axis=0)\n    \
                         value = numpy.where(count >= 2, numpy.nanmax(seasons, axis=0) - numpy.nanmin(seasons, axis=0), numpy.nan)\n",
                        (0..inputs.len())
                            .map(|i| format!("x{i}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                code.push_str(&body);
                let _ = writeln!(
                    code,
                    "array = xarray.DataArray(value.astype(numpy.float32), name={},\n\
                     \x20                      coords={{'latitude': view.latitude, 'longitude': view.longitude}},\n\
                     \x20                      dims=('latitude', 'longitude'))",
                    python_string(derived.kind())
                );
            }
        }
        code
    }
}

/// A GeoTIFF tile's raw bytes ([`Export::raw_tile`]) as stored: a zlib
/// stream (TIFF Adobe Deflate). The same bytes on every target.
pub fn compress_tile(raw: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(raw, DEFLATE_LEVEL)
}

/// `.sel(...)`'s arguments for a layer's dimensions.
fn layer_selection(layer: Layer) -> String {
    match layer {
        Layer::Coherence(s, p, i) => format!(
            "season='{}', polarization='{}', coherence={}",
            s.name(),
            p.name(),
            i.days()
        ),
        Layer::Seasonal(s, p) => format!("season='{}', polarization='{}'", s.name(), p.name()),
        Layer::Orbital(o, d) => format!("orbit={}, flightdirection='{}'", o.number(), d.name()),
    }
}

/// [`physical::value`]'s arithmetic in numpy, on float64 DNs.
fn python_scale(variable: Variable) -> &'static str {
    match variable {
        Variable::Coh => "dn / 100",
        Variable::Amp => "20 * numpy.log10(dn) - 83",
        Variable::Tau | Variable::Rho | Variable::Rmse => "dn / 1000",
        Variable::Inc | Variable::Lsmap => "dn",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Polarization, RepeatInterval, Season};
    use crate::geotiff::DecodedTile;

    fn coh(season: Season) -> Input {
        Input {
            variable: Variable::Coh,
            layer: Layer::Coherence(season, Polarization::Vv, RepeatInterval::Days12),
        }
    }

    #[test]
    fn the_seeds_selection_is_4200_by_7200() {
        let area = ExportArea::covering(36.0, 32.5, -121.0, -115.0, 1).unwrap();
        assert_eq!((area.width, area.height), (7200, 4200));
        assert_eq!((area.first_row, area.first_column), (55_200, 70_800));
        assert_eq!((area.north(), area.south()), (36.0, 32.5));
        assert_eq!((area.west(), area.east()), (-121.0, -115.0));
        assert_eq!(area.tiles().len(), 4 * 6);
    }

    #[test]
    fn areas_snap_outward_and_clip_to_the_grid() {
        // Half a native pixel inside each edge still takes the whole pixel.
        let d = 0.5 / 1200.0;
        let area = ExportArea::covering(36.0 - d, 35.0 + d, 10.0 + d, 11.0 - d, 1).unwrap();
        assert_eq!((area.width, area.height), (1200, 1200));
        // At 12 source pixels per output pixel, edges go to multiples of 12.
        let area = ExportArea::covering(36.0 - d, 35.0 + d, 10.0 + d, 11.0 - d, 12).unwrap();
        assert_eq!((area.width, area.height), (100, 100));
        assert_eq!(area.first_row % 12, 0);
        // Past the grid's edges: clipped.
        let area = ExportArea::covering(90.0, 80.0, -200.0, -179.0, 1).unwrap();
        assert_eq!((area.first_row, area.first_column), (0, 0));
        assert_eq!((area.height, area.width), (2400, 1200));
        assert!(matches!(
            ExportArea::covering(89.0, 85.0, 0.0, 1.0, 1),
            Err(ExportError::Outside { .. })
        ));
        assert_eq!(
            ExportArea::covering(1.0, 0.0, 0.0, 1.0, 7),
            Err(ExportError::Step(7))
        );
    }

    #[test]
    fn too_many_pixels_names_the_step_that_fits() {
        let area = ExportArea::covering(40.0, 30.0, -125.0, -110.0, 1).unwrap();
        let err = area.within(DEFAULT_MAX_PIXELS).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("18000 × 12000"), "{text}");
        assert!(text.contains("1/400°"), "{text}");
        let fits = |step| {
            ExportArea::covering(40.0, 30.0, -125.0, -110.0, step)
                .unwrap()
                .within(DEFAULT_MAX_PIXELS)
                .is_ok()
        };
        assert!(!fits(2) && fits(3));
    }

    /// A tile whose DN at (row, column) is a function of its global pixel.
    fn pattern(tile: Tile, dtype: DType) -> DecodedTile {
        let f = |i: usize| {
            let (r, c) = (i / 1200, i % 1200);
            let g = (tile.first_row() as usize + r) * 7 + (tile.first_column() as usize + c) * 3;
            (g % 250 + 1) as u16
        };
        match dtype {
            DType::U8 => DecodedTile::U8((0..1_440_000).map(|i| f(i) as u8).collect()),
            DType::U16 => DecodedTile::U16((0..1_440_000).map(|i| f(i) * 100).collect()),
        }
    }

    fn decode(bytes: &[u8]) -> Vec<u8> {
        miniz_oxide::inflate::decompress_to_vec_zlib(bytes).unwrap()
    }

    #[test]
    fn tiles_hold_the_source_pixels_at_block_centres() {
        // Across the border of two tiles, at step 1 and step 4.
        for step in [1, 4] {
            let area = ExportArea::covering(36.1, 35.9, -120.1, -119.9, step).unwrap();
            let export = Export::new(area, ExportContent::Stored(coh(Season::Winter)));
            let tiles: Vec<(Tile, DecodedTile)> = area
                .tiles()
                .into_iter()
                .map(|t| (t, pattern(t, DType::U8)))
                .collect();
            let lookup = |_: usize, t: Tile| match tiles.iter().find(|(k, _)| *k == t) {
                Some((_, d)) => InputTile::Samples(d.samples()),
                None => InputTile::NoFile,
            };
            let raw = decode(&export.encode_tile(0, lookup));
            assert_eq!(raw.len(), 256 * 256);
            for r in 0..area.height.min(256) {
                let mut previous = 0u8;
                for c in 0..area.width.min(256) {
                    let v = raw[(r * 256 + c) as usize].wrapping_add(previous);
                    previous = v;
                    let row = area.first_row + r * step + step / 2;
                    let col = area.first_column + c * step + step / 2;
                    let want = ((row as usize * 7 + col as usize * 3) % 250 + 1) as u8;
                    assert_eq!(v, want, "step {step} at ({r}, {c})");
                }
            }
        }
    }

    #[test]
    fn derived_tiles_are_float32_with_nan_for_missing_inputs() {
        let area = ExportArea::covering(36.0, 35.9, -120.0, -119.9, 1).unwrap();
        let layer = Layer::Seasonal(Season::Winter, Polarization::Vv);
        let inputs = vec![
            Input {
                variable: Variable::Rho,
                layer,
            },
            Input {
                variable: Variable::Tau,
                layer,
            },
        ];
        let derived = Derived::Coherence { days: 24 };
        let export = Export::new(
            area,
            ExportContent::Derived {
                derived,
                variable: Variable::Rho,
                layer,
                inputs: inputs.clone(),
            },
        );
        let t = area.tiles()[0];
        // The same DNs as rho and as tau.
        let rho = pattern(t, DType::U16);
        let raw = decode(&export.encode_tile(0, |_, _| InputTile::Samples(rho.samples())));
        let evaluator = Evaluator::new(derived, &inputs);
        let f = |k: usize| f32::from_le_bytes(raw[k * 4..k * 4 + 4].try_into().unwrap());
        let dn = rho.get(0, 5);
        let want = evaluator.at(&[Some(dn), Some(dn)]).unwrap() as f32;
        assert_eq!(f(5), want);
        // Padding past the image's width is NaN.
        assert!(f(200).is_nan());
        // A failed input file: no data, never a value from the others.
        let raw = decode(&export.encode_tile(0, |i, _| {
            if i == 0 {
                InputTile::Samples(rho.samples())
            } else {
                InputTile::Missing
            }
        }));
        assert!(f32::from_le_bytes(raw[20..24].try_into().unwrap()).is_nan());
    }

    #[test]
    fn the_header_reads_back_as_a_georeferenced_tiled_tiff() {
        let area = ExportArea::covering(36.0, 35.0, -121.0, -120.0, 2).unwrap();
        let export = Export::new(area, ExportContent::Stored(coh(Season::Summer)));
        let tiles: Vec<Vec<u8>> = (0..export.tile_count())
            .map(|i| export.encode_tile(i, |_, _| InputTile::NoFile))
            .collect();
        let metadata = export.metadata("http://h/refs.json", &["a.tif".into()], &[]);
        let bytes = export.assemble(&tiles, &metadata).unwrap();
        let mut decoder = tiff::decoder::Decoder::new(std::io::Cursor::new(&bytes)).unwrap();
        assert_eq!(decoder.dimensions().unwrap(), (600, 600));
        assert_eq!(decoder.tile_count().unwrap(), 9);
        let scale = decoder
            .get_tag_f64_vec(tiff::tags::Tag::ModelPixelScaleTag)
            .unwrap();
        assert_eq!(scale[0], 2.0 / 1200.0);
        let tie = decoder
            .get_tag_f64_vec(tiff::tags::Tag::ModelTiepointTag)
            .unwrap();
        assert_eq!((tie[3], tie[4]), (-121.0, 36.0));
        let image = decoder.read_image().unwrap();
        match image {
            tiff::decoder::DecodingResult::U8(v) => assert!(v.iter().all(|&x| x == 0)),
            other => panic!("not uint8: {:?}", std::mem::discriminant(&other)),
        }
    }

    #[test]
    fn the_python_selects_the_same_pixels() {
        let area = ExportArea::covering(36.0, 32.5, -121.0, -115.0, 4).unwrap();
        let export = Export::new(area, ExportContent::Stored(coh(Season::Winter)));
        let code = export.python("http://h/refs.json", false);
        assert!(code.contains(
            "view = ds.sel(latitude=slice(36, 32.5), longitude=slice(-121, -115))\
             .isel(latitude=slice(2, None, 4), longitude=slice(2, None, 4))"
        ));
        assert!(code
            .contains("array = view['COH'].sel(season='winter', polarization='vv', coherence=12)"));
        assert_eq!(export.file_name(), "COH_winter_vv_12_N36.000W121.000.tif");
    }
}
