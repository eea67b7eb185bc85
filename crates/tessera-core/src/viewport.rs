//! The map view: which part of the plate carrée world a canvas shows, and
//! which tiles of the data set that needs, nearest the centre first.
//!
//! Screen coordinates are canvas pixels from the top-left corner (x right,
//! y down); a screen pixel's centre is at (x + ½, y + ½). The data are in
//! EPSG:4326, so one screen pixel spans the same number of degrees in
//! latitude and longitude.

use crate::dataset::{
    Bounds, ChunkKey, Layer, Tile, Variable, LATITUDE_TILES, LONGITUDE_TILES, NORTH_EDGE,
    TILE_PIXELS, WEST_EDGE,
};
use std::ops::Range;

/// Southern edge of the data set's grid (79 S).
pub const SOUTH_EDGE: i32 = NORTH_EDGE - LATITUDE_TILES as i32;
/// Eastern edge of the grid (180 E).
pub const EAST_EDGE: i32 = WEST_EDGE + LONGITUDE_TILES as i32;

/// Why a view cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ViewportError {
    #[error("the canvas must be at least 1×1 pixels, not {width}×{height}")]
    EmptyCanvas { width: u32, height: u32 },
    #[error("the centre ({lat}, {lon}) is not a finite latitude/longitude")]
    Centre { lat: f64, lon: f64 },
    #[error("degrees per pixel must be finite and positive, not {0}")]
    Scale(f64),
}

/// What a canvas shows: its centre, its scale and its size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Viewport {
    /// Latitude and longitude at the canvas centre, degrees.
    lat: f64,
    lon: f64,
    /// Degrees per screen pixel, on both axes.
    degrees_per_pixel: f64,
    /// Canvas size in screen pixels.
    width: u32,
    height: u32,
}

impl Viewport {
    pub fn new(
        lat: f64,
        lon: f64,
        degrees_per_pixel: f64,
        width: u32,
        height: u32,
    ) -> Result<Viewport, ViewportError> {
        if width == 0 || height == 0 {
            return Err(ViewportError::EmptyCanvas { width, height });
        }
        if !lat.is_finite() || !lon.is_finite() {
            return Err(ViewportError::Centre { lat, lon });
        }
        if !(degrees_per_pixel.is_finite() && degrees_per_pixel > 0.0) {
            return Err(ViewportError::Scale(degrees_per_pixel));
        }
        Ok(Viewport {
            lat,
            lon,
            degrees_per_pixel,
            width,
            height,
        })
    }

    /// The view of `bounds` that fits a `width`×`height` canvas, centred.
    pub fn fit(bounds: Bounds, width: u32, height: u32) -> Result<Viewport, ViewportError> {
        let w = f64::from(width.max(1));
        let h = f64::from(height.max(1));
        let scale = ((bounds.east - bounds.west) / w).max((bounds.north - bounds.south) / h);
        Viewport::new(
            (bounds.north + bounds.south) / 2.0,
            (bounds.west + bounds.east) / 2.0,
            scale,
            width,
            height,
        )
    }

    pub fn centre(&self) -> (f64, f64) {
        (self.lat, self.lon)
    }

    pub fn degrees_per_pixel(&self) -> f64 {
        self.degrees_per_pixel
    }

    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Data pixels (3 arc-seconds) per screen pixel: above 1 the view shows
    /// less than the full resolution.
    pub fn data_pixels_per_screen_pixel(&self) -> f64 {
        self.degrees_per_pixel * f64::from(TILE_PIXELS)
    }

    /// Latitude and longitude at a screen position.
    pub fn screen_to_lat_lon(&self, x: f64, y: f64) -> (f64, f64) {
        (
            self.lat - (y - f64::from(self.height) / 2.0) * self.degrees_per_pixel,
            self.lon + (x - f64::from(self.width) / 2.0) * self.degrees_per_pixel,
        )
    }

    /// Screen position of a latitude and longitude.
    pub fn lat_lon_to_screen(&self, lat: f64, lon: f64) -> (f64, f64) {
        (
            (lon - self.lon) / self.degrees_per_pixel + f64::from(self.width) / 2.0,
            (self.lat - lat) / self.degrees_per_pixel + f64::from(self.height) / 2.0,
        )
    }

    /// What the canvas covers, in degrees (may reach beyond the grid).
    pub fn bounds(&self) -> Bounds {
        let (north, west) = self.screen_to_lat_lon(0.0, 0.0);
        let (south, east) = self.screen_to_lat_lon(f64::from(self.width), f64::from(self.height));
        Bounds {
            south,
            north,
            west,
            east,
        }
    }

    /// The view moved by a drag of (dx, dy) screen pixels: the content
    /// follows the pointer.
    pub fn panned(&self, dx: f64, dy: f64) -> Viewport {
        Viewport {
            lat: self.lat + dy * self.degrees_per_pixel,
            lon: self.lon - dx * self.degrees_per_pixel,
            ..*self
        }
    }

    /// The view zoomed in by `factor` (> 1 in, < 1 out) keeping the point
    /// under the screen position (x, y) where it is.
    pub fn zoomed_at(&self, factor: f64, x: f64, y: f64) -> Viewport {
        if !(factor.is_finite() && factor > 0.0) {
            return *self;
        }
        let (lat, lon) = self.screen_to_lat_lon(x, y);
        let degrees_per_pixel = self.degrees_per_pixel / factor;
        let moved = Viewport {
            degrees_per_pixel,
            ..*self
        };
        // Shift the centre so that (lat, lon) comes back under (x, y).
        let (lat2, lon2) = moved.screen_to_lat_lon(x, y);
        Viewport {
            lat: self.lat + (lat - lat2),
            lon: self.lon + (lon - lon2),
            ..moved
        }
    }

    /// The tiles of the grid (82 N..79 S, 180 W..180 E) the canvas shows,
    /// the one nearest the centre first: the order to fetch them in.
    pub fn tiles(&self) -> Vec<Tile> {
        let Some((rows, columns)) = self.tile_ranges() else {
            return Vec::new();
        };
        self.nearest_first(
            rows.flat_map(|r| columns.clone().map(move |c| (r, c)))
                .filter_map(|(r, c)| Tile::from_indices(r, c)),
        )
    }

    /// `tiles` ordered by the distance of their centres from the view's
    /// centre, nearest first (ties in tile order).
    pub fn nearest_first(&self, tiles: impl Iterator<Item = Tile>) -> Vec<Tile> {
        let mut tiles: Vec<(f64, Tile)> = tiles
            .map(|tile| {
                let t = tile.bounds();
                let dy = (t.north + t.south) / 2.0 - self.lat;
                let dx = (t.west + t.east) / 2.0 - self.lon;
                (dx * dx + dy * dy, tile)
            })
            .collect();
        tiles.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        tiles.into_iter().map(|(_, tile)| tile).collect()
    }

    /// The tile rows (latitude chunk indices) and columns (longitude chunk
    /// indices) the canvas shows; `None` when it shows none of the grid.
    pub fn tile_ranges(&self) -> Option<(Range<u16>, Range<u16>)> {
        let b = self.bounds();
        let north = b.north.min(f64::from(NORTH_EDGE));
        let south = b.south.max(f64::from(SOUTH_EDGE));
        let west = b.west.max(f64::from(WEST_EDGE));
        let east = b.east.min(f64::from(EAST_EDGE));
        if north <= south || east <= west {
            return None;
        }
        // Tiles overlapping the box by more than rounding error (a view
        // fitted to whole degrees must not pull in the next row of tiles).
        const EPS: f64 = 1e-9;
        let index = |degrees: f64| degrees.clamp(0.0, f64::from(u16::MAX)) as u16;
        let rows = index((f64::from(NORTH_EDGE) - north + EPS).floor())
            ..index((f64::from(NORTH_EDGE) - south - EPS).ceil());
        let columns = index((west - f64::from(WEST_EDGE) + EPS).floor())
            ..index((east - f64::from(WEST_EDGE) - EPS).ceil());
        (!rows.is_empty() && !columns.is_empty()).then_some((rows, columns))
    }

    /// The chunk keys of one layer of a variable that the view needs, in
    /// fetch order, keeping only those `exists` (e.g. present in the
    /// references): the others are the fill value.
    pub fn chunk_keys(
        &self,
        variable: Variable,
        layer: Layer,
        exists: impl Fn(ChunkKey) -> bool,
    ) -> Vec<ChunkKey> {
        self.tiles()
            .into_iter()
            .filter_map(|tile| ChunkKey::new(variable, layer, tile).ok())
            .filter(|&key| exists(key))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Polarization, RepeatInterval, Season};

    /// The seed's selection on a 1200×700 canvas.
    fn socal() -> Viewport {
        let bounds = Bounds {
            south: 32.5,
            north: 36.0,
            west: -121.0,
            east: -115.0,
        };
        Viewport::fit(bounds, 1200, 700).unwrap()
    }

    #[test]
    fn screen_and_lat_lon_round_trip() {
        let v = socal();
        assert!((v.degrees_per_pixel() - 0.005).abs() < 1e-15);
        let near =
            |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9;
        assert!(near(v.screen_to_lat_lon(600.0, 350.0), (34.25, -118.0)));
        assert!(near(v.screen_to_lat_lon(0.0, 0.0), (36.0, -121.0)));
        for (x, y) in [(0.5, 0.5), (1199.5, 699.5), (123.25, 456.75)] {
            let (lat, lon) = v.screen_to_lat_lon(x, y);
            let (x2, y2) = v.lat_lon_to_screen(lat, lon);
            assert!((x - x2).abs() < 1e-9 && (y - y2).abs() < 1e-9);
        }
    }

    #[test]
    fn the_seed_selection_needs_its_24_tiles_nearest_first() {
        let v = socal();
        let tiles = v.tiles();
        assert_eq!(tiles.len(), 24);
        // The centre (34.25 N, 118 W) is on the corner of four tiles.
        let first: Vec<String> = tiles[..4].iter().map(Tile::to_string).collect();
        for name in ["N35W119", "N35W118", "N34W119", "N34W118"] {
            assert!(first.contains(&name.to_string()), "{first:?}");
        }
        let keys = v.chunk_keys(
            Variable::Coh,
            Layer::Coherence(Season::Winter, Polarization::Vv, RepeatInterval::Days12),
            |key| key.tile.to_string() != "N33W121",
        );
        assert_eq!(keys.len(), 23);
    }

    #[test]
    fn zoom_keeps_the_point_under_the_pointer() {
        let v = socal();
        let (x, y) = (300.0, 200.0);
        let before = v.screen_to_lat_lon(x, y);
        for factor in [2.0, 0.5, 1.25, 10.0] {
            let z = v.zoomed_at(factor, x, y);
            let after = z.screen_to_lat_lon(x, y);
            assert!((before.0 - after.0).abs() < 1e-9 && (before.1 - after.1).abs() < 1e-9);
            assert!((z.degrees_per_pixel() - v.degrees_per_pixel() / factor).abs() < 1e-15);
        }
        assert_eq!(v.zoomed_at(f64::NAN, x, y), v);
        assert_eq!(v.zoomed_at(0.0, x, y), v);
    }

    #[test]
    fn panning_moves_the_content_with_the_pointer() {
        let v = socal();
        let point = v.screen_to_lat_lon(100.0, 100.0);
        let p = v.panned(30.0, -20.0);
        let moved = p.screen_to_lat_lon(130.0, 80.0);
        assert!((point.0 - moved.0).abs() < 1e-9 && (point.1 - moved.1).abs() < 1e-9);
    }

    #[test]
    fn views_beyond_the_grid_need_only_the_grid() {
        // The whole world and more: every tile, none outside.
        let world = Viewport::new(0.0, 0.0, 0.5, 1000, 500).unwrap();
        assert_eq!(world.tiles().len(), 161 * 360);
        // Over the North Pole: nothing.
        let pole = Viewport::new(89.0, 0.0, 0.001, 100, 100).unwrap();
        assert!(pole.tiles().is_empty());
        // Across the antimeridian: only the western side exists on the grid.
        let edge = Viewport::new(0.5, 180.0, 0.01, 100, 100).unwrap();
        let tiles = edge.tiles();
        assert!(!tiles.is_empty() && tiles.iter().all(|t| t.west() == 179));
    }

    #[test]
    fn bad_views_are_refused() {
        assert_eq!(
            Viewport::new(0.0, 0.0, 0.1, 0, 10),
            Err(ViewportError::EmptyCanvas {
                width: 0,
                height: 10
            })
        );
        assert!(matches!(
            Viewport::new(f64::NAN, 0.0, 0.1, 10, 10),
            Err(ViewportError::Centre { .. })
        ));
        assert!(matches!(
            Viewport::new(0.0, 0.0, -1.0, 10, 10),
            Err(ViewportError::Scale(_))
        ));
    }
}
