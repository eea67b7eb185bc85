//! Stitching decoded tiles into what a view shows: for every screen pixel,
//! the stored value of the data pixel under its centre (nearest neighbour,
//! so full zoom shows every data pixel sharp, never blurred).

use crate::colormap::Palette;
use crate::coordinates::GlobalPixel;
use crate::dataset::{Tile, FILL_VALUE, TILE_PIXELS};
use crate::viewport::Viewport;

/// The decoded values of one tile, row-major, 1200×1200, in its stored
/// dtype.
#[derive(Debug, Clone, Copy)]
pub enum TileSamples<'a> {
    U8(&'a [u8]),
    U16(&'a [u16]),
}

impl TileSamples<'_> {
    /// Appends the values at `base` + each of `columns` (fill where a
    /// column is `None` or past the end): one branch on the dtype per
    /// run, not per pixel.
    pub(crate) fn gather(&self, base: usize, columns: &[Option<u32>], out: &mut Vec<u16>) {
        fn from<T: Copy + Into<u16>>(
            v: &[T],
            base: usize,
            columns: &[Option<u32>],
            out: &mut Vec<u16>,
        ) {
            out.extend(columns.iter().map(|c| match c {
                Some(c) => v.get(base + *c as usize).map_or(FILL_VALUE, |&x| x.into()),
                None => FILL_VALUE,
            }));
        }
        match self {
            TileSamples::U8(v) => from(v, base, columns, out),
            TileSamples::U16(v) => from(v, base, columns, out),
        }
    }

    pub(crate) fn get(&self, index: usize) -> u16 {
        match self {
            TileSamples::U8(v) => v.get(index).map_or(FILL_VALUE, |&x| u16::from(x)),
            TileSamples::U16(v) => v.get(index).copied().unwrap_or(FILL_VALUE),
        }
    }
}

/// Where each screen pixel of a view reads from. The data are plate
/// carrée, as the screen: a screen column's data column is the same on
/// every row. So the grid pixel of each screen column and row is worked out
/// once, and a row of the mosaic is runs of lookups in one tile each.
pub(crate) struct ScreenGrid {
    pub(crate) width: usize,
    /// The column inside its tile under each screen column, where the
    /// grid has one.
    columns: Vec<Option<u32>>,
    /// Runs of screen columns over the same tile column: (start, end,
    /// tile column).
    runs: Vec<(usize, usize, u32)>,
    /// (tile row, row inside the tile) under each screen row.
    rows: Vec<Option<(u32, usize)>>,
}

impl ScreenGrid {
    pub(crate) fn new(view: &Viewport) -> ScreenGrid {
        let (width, height) = view.size();
        let n = TILE_PIXELS;
        let mut columns = Vec::with_capacity(width as usize);
        let mut runs: Vec<(usize, usize, u32)> = Vec::new();
        for x in 0..width {
            let (_, lon) = view.screen_to_lat_lon(f64::from(x) + 0.5, 0.5);
            let column = GlobalPixel::column_containing(lon);
            columns.push(column.map(|c| c % n));
            let Some(tile_column) = column.map(|c| c / n) else {
                continue;
            };
            let x = x as usize;
            match runs.last_mut() {
                Some((_, end, t)) if *end == x && *t == tile_column => *end = x + 1,
                _ => runs.push((x, x + 1, tile_column)),
            }
        }
        let rows = (0..height)
            .map(|y| {
                let (lat, _) = view.screen_to_lat_lon(0.5, f64::from(y) + 0.5);
                GlobalPixel::row_containing(lat).map(|row| (row / n, (row % n) as usize))
            })
            .collect();
        ScreenGrid {
            width: width as usize,
            columns,
            runs,
            rows,
        }
    }

    /// Calls `f(y, start, tile, row start in the tile's samples, in-tile
    /// columns)` for every run of a screen row over one tile of the grid.
    pub(crate) fn for_each_tile_run(
        &self,
        mut f: impl FnMut(usize, usize, Tile, usize, &[Option<u32>]),
    ) {
        let n = TILE_PIXELS as usize;
        for (y, row) in self.rows.iter().enumerate() {
            let Some((tile_row, row_in_tile)) = *row else {
                continue;
            };
            for &(start, end, tile_column) in &self.runs {
                let tile = u16::try_from(tile_row)
                    .ok()
                    .zip(u16::try_from(tile_column).ok())
                    .and_then(|(r, c)| Tile::from_indices(r, c));
                let (Some(tile), Some(columns)) = (tile, self.columns.get(start..end)) else {
                    continue;
                };
                f(y, start, tile, row_in_tile * n, columns);
            }
        }
    }

    /// Calls `f(y, start, tile samples, row start in the samples, in-tile
    /// columns)` for every run of a screen row over a tile `tile` has.
    fn for_each_run<'a>(
        &self,
        tile: impl Fn(Tile) -> Option<TileSamples<'a>>,
        mut f: impl FnMut(usize, usize, TileSamples<'a>, usize, &[Option<u32>]),
    ) {
        self.for_each_tile_run(|y, start, t, base, columns| {
            if let Some(samples) = tile(t) {
                f(y, start, samples, base, columns);
            }
        });
    }
}

/// The stored value under each screen pixel of `view`, row-major
/// (width × height), [`FILL_VALUE`] where the grid ends or `tile` has
/// nothing (a file that is absent, not loaded yet or broken).
pub fn stitch<'a>(view: &Viewport, tile: impl Fn(Tile) -> Option<TileSamples<'a>>) -> Vec<u16> {
    let grid = ScreenGrid::new(view);
    let mut out = vec![FILL_VALUE; grid.width * grid.rows.len()];
    grid.for_each_run(tile, |y, start, samples, base, columns| {
        let at = y * grid.width + start;
        for (value, column) in out[at..at + columns.len()].iter_mut().zip(columns) {
            if let Some(c) = column {
                *value = samples.get(base + *c as usize);
            }
        }
    });
    out
}

/// The mosaic of `view` in `palette`'s colours: RGBA, 4 bytes per screen
/// pixel, row-major, as canvas ImageData wants them (`rgba` is resized and
/// overwritten; keep it between draws to save the allocation). The same as
/// [`Palette::paint`] of [`stitch`]'s values, in one pass: drawing stitches
/// the whole screen for every frame of a pan.
pub fn paint<'a>(
    view: &Viewport,
    tile: impl Fn(Tile) -> Option<TileSamples<'a>>,
    palette: &Palette,
    rgba: &mut Vec<u8>,
) {
    let (width, height) = view.size();
    rgba.clear();
    // No data is transparent black.
    rgba.resize(width as usize * height as usize * 4, 0);
    paint_over(view, tile, palette, rgba);
}

/// [`paint`] over what `rgba` holds (width × height × 4 bytes): only the
/// screen pixels over a tile `tile` has are written, so that a picture
/// under them (the overviews, while the files load) shows elsewhere.
pub fn paint_over<'a>(
    view: &Viewport,
    tile: impl Fn(Tile) -> Option<TileSamples<'a>>,
    palette: &Palette,
    rgba: &mut [u8],
) {
    let grid = ScreenGrid::new(view);
    if rgba.len() < grid.width * grid.rows.len() * 4 {
        return;
    }
    grid.for_each_run(tile, |y, start, samples, base, columns| {
        let at = (y * grid.width + start) * 4;
        let out = &mut rgba[at..at + columns.len() * 4];
        // One branch on the dtype per run, not per pixel.
        match samples {
            TileSamples::U8(values) => paint_run(values, base, columns, palette, out),
            TileSamples::U16(values) => paint_run(values, base, columns, palette, out),
        }
    });
}

/// Colours one run of screen pixels from a tile's row starting at `base`.
fn paint_run<T: Copy + Into<u16>>(
    values: &[T],
    base: usize,
    columns: &[Option<u32>],
    palette: &Palette,
    out: &mut [u8],
) {
    for (pixel, column) in out.chunks_exact_mut(4).zip(columns) {
        if let Some(&dn) = column.and_then(|c| values.get(base + c as usize)) {
            pixel.copy_from_slice(&palette.rgba(dn.into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Bounds;
    use crate::geotiff::TILE_LEN;
    use std::collections::HashMap;

    /// A value telling every global pixel apart (mod 65535, never 0).
    fn value(p: GlobalPixel) -> u16 {
        ((u64::from(p.row) * 7919 + u64::from(p.column) * 104_729) % 65_535 + 1) as u16
    }

    fn tiles(names: &[&str]) -> HashMap<Tile, Vec<u16>> {
        names
            .iter()
            .map(|name| {
                let tile = Tile::parse(name).unwrap();
                let values = (0..TILE_LEN)
                    .map(|i| {
                        value(GlobalPixel {
                            row: tile.first_row() + (i / 1200) as u32,
                            column: tile.first_column() + (i % 1200) as u32,
                        })
                    })
                    .collect();
                (tile, values)
            })
            .collect()
    }

    #[test]
    fn full_zoom_shows_every_data_pixel_once() {
        // One screen pixel per data pixel, aligned on the pixel grid, across
        // the corner of four tiles.
        let tiles = tiles(&["N35W119", "N35W118", "N34W119", "N34W118"]);
        let view = Viewport::new(34.0, -118.0, 1.0 / 1200.0, 64, 48).unwrap();
        let out = stitch(&view, |t| tiles.get(&t).map(|v| TileSamples::U16(v)));
        // The top-left screen pixel's centre is a data pixel's centre.
        let first = GlobalPixel::containing(34.0 + 23.5 / 1200.0, -118.0 - 31.5 / 1200.0).unwrap();
        for y in 0..48u32 {
            for x in 0..64u32 {
                let p = GlobalPixel {
                    row: first.row + y,
                    column: first.column + x,
                };
                assert_eq!(out[(y * 64 + x) as usize], value(p), "screen ({x}, {y})");
            }
        }
    }

    #[test]
    fn each_screen_pixel_shows_the_data_pixel_under_its_centre() {
        let names = ["N36W121", "N36W120", "N35W121", "N35W120"];
        let tiles = tiles(&names);
        let bounds = Bounds {
            south: 34.0,
            north: 36.0,
            west: -121.0,
            east: -119.0,
        };
        let view = Viewport::fit(bounds, 300, 300).unwrap();
        let out = stitch(&view, |t| tiles.get(&t).map(|v| TileSamples::U16(v)));
        for (x, y) in [(0u32, 0u32), (150, 150), (299, 299), (17, 250), (280, 3)] {
            let (lat, lon) = view.screen_to_lat_lon(f64::from(x) + 0.5, f64::from(y) + 0.5);
            let p = GlobalPixel::containing(lat, lon).unwrap();
            assert_eq!(out[(y * 300 + x) as usize], value(p));
        }
    }

    #[test]
    fn missing_tiles_and_the_world_beyond_the_grid_are_fill() {
        let tiles = tiles(&["N36W121"]);
        let u8_values: Vec<u8> = vec![7; TILE_LEN];
        // Around the antimeridian at the equator: nothing east of 180.
        let view = Viewport::new(0.5, 180.0, 0.01, 100, 100).unwrap();
        let out = stitch(&view, |_| Some(TileSamples::U8(&u8_values)));
        assert!(out[..50].iter().all(|&v| v == 7));
        assert!(out[50..100].iter().all(|&v| v == FILL_VALUE));
        // Only N36W121 exists: the rest of the view is fill.
        let view = Viewport::new(35.5, -120.5, 0.01, 200, 100).unwrap();
        let out = stitch(&view, |t| tiles.get(&t).map(|v| TileSamples::U16(v)));
        let filled = out.iter().filter(|&&v| v != FILL_VALUE).count();
        assert_eq!(filled, 100 * 100);
    }

    #[test]
    fn painting_over_a_picture_keeps_it_where_no_file_is_in() {
        use crate::colormap::Colormap;
        let tiles = tiles(&["N36W121"]);
        let palette = Palette::new(crate::Variable::Amp, Colormap::Gray, (0.0, 1.0));
        // N36W121 fills the left half; the right half has no file.
        let view = Viewport::new(35.5, -120.0, 0.01, 200, 100).unwrap();
        let mut rgba = vec![9u8; 200 * 100 * 4];
        paint_over(
            &view,
            |t| tiles.get(&t).map(|v| TileSamples::U16(v)),
            &palette,
            &mut rgba,
        );
        let mut expected = vec![0u8; 200 * 100 * 4];
        paint(
            &view,
            |t| tiles.get(&t).map(|v| TileSamples::U16(v)),
            &palette,
            &mut expected,
        );
        for y in 0..100 {
            for x in 0..200 {
                let at = (y * 200 + x) * 4;
                if x < 100 {
                    assert_eq!(rgba[at..at + 4], expected[at..at + 4], "({x}, {y})");
                } else {
                    assert_eq!(rgba[at..at + 4], [9; 4], "({x}, {y}) is kept");
                }
            }
        }
        // A buffer too short for the view is left alone.
        let mut short = vec![9u8; 10];
        paint_over(
            &view,
            |t| tiles.get(&t).map(|v| TileSamples::U16(v)),
            &palette,
            &mut short,
        );
        assert_eq!(short, vec![9u8; 10]);
    }

    proptest::proptest! {
        /// Whatever the view (zoomed far in or out, across tile and grid
        /// edges), every screen pixel shows the value of the grid pixel
        /// under its centre, as `GlobalPixel::containing` finds it one by
        /// one.
        #[test]
        fn any_view_matches_pixel_by_pixel_lookup(
            lat in 30.0f64..40.0,
            lon in -125.0f64..-110.0,
            zoom in -2.0f64..14.0,
            width in 1u32..90,
            height in 1u32..70,
            grid_edge in proptest::bool::ANY,
        ) {
            let tiles = tiles(&["N36W121", "N36W120", "N35W121", "N35W120", "N37W119"]);
            // Some views sit on the grid's eastern and northern edges.
            let (lat, lon) = if grid_edge { (lat + 45.0, lon + 300.0) } else { (lat, lon) };
            let view = Viewport::new(lat, lon, 0.5f64.powf(zoom), width, height).unwrap();
            let everywhere: Vec<u16> = (0..TILE_LEN as u32).map(|i| (i % 65_534 + 1) as u16).collect();
            let out = stitch(&view, |t| match tiles.get(&t) {
                Some(v) => Some(TileSamples::U16(v)),
                None if grid_edge => Some(TileSamples::U16(&everywhere)),
                None => None,
            });
            for y in 0..height {
                for x in 0..width {
                    let (la, lo) = view.screen_to_lat_lon(f64::from(x) + 0.5, f64::from(y) + 0.5);
                    let expected = GlobalPixel::containing(la, lo)
                        .and_then(GlobalPixel::tile_pixel)
                        .map_or(FILL_VALUE, |(t, r, c)| match tiles.get(&t) {
                            Some(v) => v[(r * 1200 + c) as usize],
                            None if grid_edge => everywhere[(r * 1200 + c) as usize],
                            None => FILL_VALUE,
                        });
                    proptest::prop_assert_eq!(out[(y * width + x) as usize], expected, "screen ({}, {})", x, y);
                }
            }
        }

        /// Painting in one pass gives the colours of the stitched values,
        /// for uint8 and uint16 tiles (and a uint8 palette given uint16
        /// values past its end), whatever the buffer held before.
        #[test]
        fn paint_is_the_palette_of_the_stitched_values(
            lat in 33.0f64..38.0,
            lon in -122.0f64..-118.0,
            zoom in -1.0f64..12.0,
            width in 1u32..80,
            height in 1u32..60,
            stale in 0usize..40_000,
            coh in proptest::bool::ANY,
        ) {
            use crate::colormap::Colormap;
            use crate::dataset::Variable;
            let tiles16 = tiles(&["N36W121", "N36W120", "N35W121", "N35W120"]);
            let tiles8: HashMap<Tile, Vec<u8>> =
                tiles16.iter().map(|(t, v)| (*t, v.iter().map(|&x| x as u8).collect())).collect();
            let view = Viewport::new(lat, lon, 0.5f64.powf(zoom), width, height).unwrap();
            let variable = if coh { Variable::Coh } else { Variable::Amp };
            let palette = Palette::new(variable, Colormap::Viridis, crate::physical::default_range(variable));
            for uint8 in [false, true] {
                let samples = |t: Tile| {
                    if uint8 {
                        tiles8.get(&t).map(|v| TileSamples::U8(v))
                    } else {
                        tiles16.get(&t).map(|v| TileSamples::U16(v))
                    }
                };
                let mut expected = vec![0u8; (width * height * 4) as usize];
                palette.paint(&stitch(&view, samples), &mut expected);
                let mut rgba = vec![9u8; stale];
                paint(&view, samples, &palette, &mut rgba);
                proptest::prop_assert!(rgba == expected, "uint8 {}", uint8);
            }
        }
    }
}
