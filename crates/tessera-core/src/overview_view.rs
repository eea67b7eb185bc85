//! What a view reads from a layer's overviews (a Cloud-Optimized GeoTIFF
//! of the whole grid, ours or GDAL's): where the COG is, the level whose
//! pixels are no larger than the screen's, the tiles of that level under
//! the view in merged Range reads, and the picture: each screen pixel from
//! the finest level whose tile is in, so that a zoom never flashes empty.

use crate::cog::{CogHeader, TileRead};
use crate::colormap::Palette;
use crate::dataset::{Layer, Variable, FILL_VALUE, TILE_PIXELS};
use crate::overview::{layer_name, Manifest};
use crate::viewport::Viewport;

/// Where a view's overviews come from, as the page URL's `overviews`
/// parameter says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverviewSource {
    /// A manifest written by `tessera overviews` (absent: the one beside
    /// the references, `overviews/overviews.json`, if there is one).
    Manifest(Option<String>),
    /// A URL template of one COG per layer, such as the bucket's own
    /// global mosaics: `{variable}`, `{layer}`, `{season}`,
    /// `{polarization}`, `{interval}` (06 … 48), `{orbit}` (e.g. 061),
    /// `{direction}` (A or D) are replaced by the layer's. Without any,
    /// one COG for every layer.
    Template(String),
    /// `overviews=none`: coverage squares only.
    None,
}

/// The manifest looked for beside the references when the URL names none.
pub const DEFAULT_MANIFEST: &str = "overviews/overviews.json";

impl OverviewSource {
    /// The source the URL parameter names.
    pub fn from_param(param: Option<&str>) -> OverviewSource {
        match param.map(str::trim) {
            None | Some("") => OverviewSource::Manifest(None),
            Some("none") => OverviewSource::None,
            // A manifest is JSON; anything else names COGs.
            Some(p)
                if p.split(['?', '#'])
                    .next()
                    .is_some_and(|p| p.ends_with(".json")) =>
            {
                OverviewSource::Manifest(Some(p.to_string()))
            }
            Some(p) => OverviewSource::Template(p.to_string()),
        }
    }
}

/// A URL template filled in for one layer (see [`OverviewSource::Template`]).
pub fn expand_template(template: &str, variable: Variable, layer: Layer) -> String {
    let mut out = template
        .replace("{variable}", variable.name())
        .replace("{layer}", &layer_name(variable, layer));
    match layer {
        Layer::Coherence(s, p, c) => {
            out = out
                .replace("{season}", &s.to_string())
                .replace("{polarization}", &p.to_string())
                .replace("{interval}", &c.to_string());
        }
        Layer::Seasonal(s, p) => {
            out = out
                .replace("{season}", &s.to_string())
                .replace("{polarization}", &p.to_string());
        }
        Layer::Orbital(o, d) => {
            out = out
                .replace("{orbit}", &format!("{:03}", o.number()))
                .replace("{direction}", &d.to_string());
        }
    }
    out
}

/// The COG of a layer: from the template, or from the manifest's entry
/// (relative to the manifest's URL, which the caller resolves).
pub fn cog_url(
    source: &OverviewSource,
    manifest: Option<&Manifest>,
    variable: Variable,
    layer: Layer,
) -> Option<String> {
    match source {
        OverviewSource::Template(t) => Some(expand_template(t, variable, layer)),
        OverviewSource::Manifest(_) => manifest?.layer(variable, layer).map(|l| l.url.clone()),
        OverviewSource::None => None,
    }
}

/// What a view reads of a COG: one level, its tiles under the view, and
/// the reads that fetch them.
#[derive(Debug, Clone, PartialEq)]
pub struct OverviewNeed {
    pub level: usize,
    /// Data pixels (3 arc-seconds) per pixel of the level, across:
    /// "overview 1:96".
    pub scale: u32,
    /// Tiles of the level under the view that hold data.
    pub tiles: Vec<usize>,
    /// Their Range reads, adjacent tiles merged.
    pub reads: Vec<TileRead>,
}

/// Bytes beyond which adjacent tiles are read in separate requests (the
/// reads of a view then still overlap in time).
pub const MAX_READ: u64 = 4 << 20;

/// What `view` needs of `header`: the coarsest level whose pixels are no
/// larger than the screen's (at least one data pixel per screen pixel),
/// or a coarser one if that level's reads would be more than `budget`.
pub fn need(header: &CogHeader, view: &Viewport, budget: usize) -> OverviewNeed {
    let b = view.bounds();
    let mut level = header.level_for(view.degrees_per_pixel());
    loop {
        let tiles = header.tiles_in(level, b.west, b.south, b.east, b.north);
        let reads = header.reads(level, &tiles, 0, MAX_READ);
        if reads.len() <= budget.max(1) || level + 1 >= header.levels.len() {
            return OverviewNeed {
                level,
                scale: level_scale(header, level),
                tiles,
                reads,
            };
        }
        level += 1;
    }
}

/// Data pixels per pixel of `level`, across (rounded).
pub fn level_scale(header: &CogHeader, level: usize) -> u32 {
    (header.level_degrees(level) * f64::from(TILE_PIXELS)).round() as u32
}

/// Where on a level each screen column and row falls: (tile column or
/// row, pixel inside the tile), `None` off the image.
struct LevelGrid {
    columns: Vec<Option<(u32, u32)>>,
    rows: Vec<Option<(u32, u32)>>,
    across: u32,
    tile_width: usize,
}

impl LevelGrid {
    fn new(header: &CogHeader, level: usize, view: &Viewport) -> Option<LevelGrid> {
        let l = header.levels.get(level)?;
        let (tw, th) = (l.format.width, l.format.height);
        if tw == 0 || th == 0 {
            return None;
        }
        let (width, height) = view.size();
        let place = |v: f64, n: u32, t: u32| {
            (v >= 0.0 && v < f64::from(n)).then(|| {
                let p = v as u32;
                (p / t, p % t)
            })
        };
        let columns = (0..width)
            .map(|x| {
                let (_, lon) = view.screen_to_lat_lon(f64::from(x) + 0.5, 0.5);
                let (column, _) = header.level_position(level, 0.0, lon)?;
                place(column.floor(), l.width, tw)
            })
            .collect();
        let rows = (0..height)
            .map(|y| {
                let (lat, _) = view.screen_to_lat_lon(0.5, f64::from(y) + 0.5);
                let (_, row) = header.level_position(level, lat, 0.0)?;
                place(row.floor(), l.height, th)
            })
            .collect();
        Some(LevelGrid {
            columns,
            rows,
            across: l.tiles_across(),
            tile_width: tw as usize,
        })
    }
}

/// What a tile of a level is to the painter.
#[derive(Debug, Clone, Copy)]
pub enum OverviewTile<'a> {
    /// Decoded: its values, row-major.
    Loaded(&'a [u16]),
    /// Not in (yet): a coarser level shows through.
    Missing,
}

/// Paints `view` from `header`'s levels, `level` and coarser: RGBA, 4
/// bytes per screen pixel (`rgba` is resized and overwritten). Coarser
/// levels first, finer over them, so each pixel shows the finest level
/// whose tile is in; a sparse tile is known nodata and clears what is
/// under it. Returns whether every tile of `level` in view was in.
pub fn paint<'a>(
    view: &Viewport,
    header: &CogHeader,
    level: usize,
    tile: impl Fn(usize, usize) -> OverviewTile<'a>,
    palette: &Palette,
    rgba: &mut Vec<u8>,
) -> bool {
    let (width, height) = view.size();
    rgba.clear();
    rgba.resize(width as usize * height as usize * 4, 0);
    paint_over(view, header, level, tile, palette, rgba)
}

/// [`paint`] over what `rgba` holds (width × height × 4 bytes): where no
/// level has a tile in, the picture under it stays (the files of the
/// view before, while the overview's tiles load).
pub fn paint_over<'a>(
    view: &Viewport,
    header: &CogHeader,
    level: usize,
    tile: impl Fn(usize, usize) -> OverviewTile<'a>,
    palette: &Palette,
    rgba: &mut [u8],
) -> bool {
    let (width, height) = view.size();
    let (width, height) = (width as usize, height as usize);
    if rgba.len() < width * height * 4 {
        return false;
    }
    // Levels under the finest one whose tiles in view are all in are
    // hidden by it: painting starts there.
    let b = view.bounds();
    let in_view = |l: usize| {
        header
            .tiles_in(l, b.west, b.south, b.east, b.north)
            .into_iter()
            .all(|t| matches!(tile(l, t), OverviewTile::Loaded(_)))
    };
    let coarsest = (level..header.levels.len())
        .find(|&l| in_view(l))
        .unwrap_or(header.levels.len().saturating_sub(1));
    let mut complete = true;
    for l in (level..=coarsest).rev() {
        let Some(grid) = LevelGrid::new(header, l, view) else {
            continue;
        };
        let Some(cog_level) = header.levels.get(l) else {
            continue;
        };
        for (y, row) in grid.rows.iter().enumerate() {
            let Some((tile_row, row_in_tile)) = *row else {
                continue;
            };
            let line = &mut rgba[y * width * 4..(y + 1) * width * 4];
            let mut x = 0;
            while x < width {
                let Some((tile_column, _)) = grid.columns[x] else {
                    x += 1;
                    continue;
                };
                // A run of screen columns over one tile.
                let start = x;
                while x < width && grid.columns[x].map(|c| c.0) == Some(tile_column) {
                    x += 1;
                }
                let index = (tile_row * grid.across + tile_column) as usize;
                let out = &mut line[start * 4..x * 4];
                if cog_level.tile_range(index).is_none() {
                    out.fill(0);
                    continue;
                }
                match tile(l, index) {
                    OverviewTile::Loaded(values) => {
                        let base = row_in_tile as usize * grid.tile_width;
                        for (pixel, column) in out.chunks_exact_mut(4).zip(&grid.columns[start..x])
                        {
                            let dn = column
                                .and_then(|(_, c)| values.get(base + c as usize).copied())
                                .unwrap_or(FILL_VALUE);
                            pixel.copy_from_slice(&palette.rgba(dn));
                        }
                    }
                    OverviewTile::Missing => {
                        if l == level {
                            complete = false;
                        }
                    }
                }
            }
        }
    }
    complete
}

/// The value at (`lat`, `lon`) from the finest level, `level` or coarser,
/// whose tile is in: (DN, level read). DN 0 is nodata.
pub fn value_at<'a>(
    header: &CogHeader,
    level: usize,
    lat: f64,
    lon: f64,
    tile: impl Fn(usize, usize) -> OverviewTile<'a>,
) -> Option<(u16, usize)> {
    for l in level..header.levels.len() {
        let cog_level = &header.levels[l];
        let (column, row) = header.level_position(l, lat, lon)?;
        let (column, row) = (column.floor(), row.floor());
        if !(column >= 0.0
            && row >= 0.0
            && column < f64::from(cog_level.width)
            && row < f64::from(cog_level.height))
        {
            return None;
        }
        let (column, row) = (column as u32, row as u32);
        let (tw, th) = (
            cog_level.format.width.max(1),
            cog_level.format.height.max(1),
        );
        let index = ((row / th) * cog_level.tiles_across() + column / tw) as usize;
        if cog_level.tile_range(index).is_none() {
            return Some((FILL_VALUE, l));
        }
        if let OverviewTile::Loaded(values) = tile(l, index) {
            let at = ((row % th) * tw + column % tw) as usize;
            return Some((values.get(at).copied().unwrap_or(FILL_VALUE), l));
        }
    }
    None
}
