//! The coordinate arrays of the dataset and the pixel ⇄ latitude/longitude
//! math that goes with them.
//!
//! Latitude and longitude are computed exactly as the seed computes them
//! (the same float64 operations in the same order, then rounded to float32),
//! so that our references hold bit-identical coordinate values.

use crate::dataset::{
    Dimension, FlightDirection, Orbit, Polarization, RepeatInterval, Season, Tile, LATITUDE_PIXELS,
    LATITUDE_TILES, LONGITUDE_PIXELS, LONGITUDE_TILES, NORTH_EDGE, TILE_PIXELS, WEST_EDGE,
};

/// The seed's pixel size in degrees: 1/1200 written to 11 digits (the exact
/// value is [`crate::geotiff::PIXEL_DEGREES`]).
pub const SEED_PIXEL_DEGREES: f64 = 0.00083333333;
/// The seed's half pixel, the offset of a pixel centre from its edge.
pub const SEED_HALF_PIXEL_DEGREES: f64 = 0.000416666665;

/// Latitude of every pixel row, north to south (193,200 values): the seed's
/// `j * -0.00083333333 - 0.000416666665 + i` for i in 82..-79, j in 0..1200.
pub fn latitude() -> Vec<f32> {
    let mut values = Vec::with_capacity(LATITUDE_PIXELS as usize);
    for tile in 0..LATITUDE_TILES as i32 {
        let i = (NORTH_EDGE - tile) as f64;
        for j in 0..TILE_PIXELS {
            values.push((j as f64 * -SEED_PIXEL_DEGREES - SEED_HALF_PIXEL_DEGREES + i) as f32);
        }
    }
    values
}

/// Longitude of every pixel column, west to east (432,000 values): the
/// seed's `j * 0.00083333333 + 0.000416666665 + i` for i in -180..180.
pub fn longitude() -> Vec<f32> {
    let mut values = Vec::with_capacity(LONGITUDE_PIXELS as usize);
    for tile in 0..LONGITUDE_TILES as i32 {
        let i = (WEST_EDGE + tile) as f64;
        for j in 0..TILE_PIXELS {
            values.push((j as f64 * SEED_PIXEL_DEGREES + SEED_HALF_PIXEL_DEGREES + i) as f32);
        }
    }
    values
}

/// Relative orbit numbers 1..=175.
pub fn orbit() -> Vec<i32> {
    (Orbit::MIN as i32..=Orbit::MAX as i32).collect()
}

/// Repeat intervals in days: 6, 12, 18, 24, 36, 48.
pub fn coherence() -> Vec<u8> {
    RepeatInterval::ALL.iter().map(|r| r.days()).collect()
}

/// The labels of a categorical dimension, in index order; `None` for the
/// numeric ones.
pub fn labels(dim: Dimension) -> Option<Vec<&'static str>> {
    match dim {
        Dimension::Season => Some(Season::ALL.iter().map(|s| s.name()).collect()),
        Dimension::Polarization => Some(Polarization::ALL.iter().map(|p| p.name()).collect()),
        Dimension::FlightDirection => Some(FlightDirection::ALL.iter().map(|d| d.name()).collect()),
        _ => None,
    }
}

/// A pixel of the global grid: row 0 is the northernmost, column 0 the
/// westernmost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalPixel {
    pub row: u32,
    pub column: u32,
}

/// The pixel at `degrees` from the grid's first edge along an axis of
/// `tiles` tiles, clamped into the tile holding that point: a point on a
/// tile's edge may round across it.
fn axis_pixel(degrees: f64, tiles: u16) -> Option<u32> {
    let tile = degrees.floor();
    if !tile.is_finite() || tile < 0.0 || tile >= f64::from(tiles) {
        return None;
    }
    let first = tile as u32 * TILE_PIXELS;
    let pixel = (degrees * f64::from(TILE_PIXELS)).floor();
    Some((pixel.max(f64::from(first)) as u32).min(first + TILE_PIXELS - 1))
}

impl GlobalPixel {
    /// The pixel containing a point, if it is inside the grid.
    pub fn containing(lat: f64, lon: f64) -> Option<GlobalPixel> {
        Some(GlobalPixel {
            row: GlobalPixel::row_containing(lat)?,
            column: GlobalPixel::column_containing(lon)?,
        })
    }

    /// The pixel row containing a latitude, if it is inside the grid. Rows
    /// depend on latitude only (and columns on longitude only): the
    /// stitcher works out each once per screen row and column.
    pub fn row_containing(lat: f64) -> Option<u32> {
        axis_pixel(NORTH_EDGE as f64 - lat, LATITUDE_TILES)
    }

    /// The pixel column containing a longitude, if it is inside the grid.
    pub fn column_containing(lon: f64) -> Option<u32> {
        axis_pixel(lon - WEST_EDGE as f64, LONGITUDE_TILES)
    }

    /// The tile holding this pixel and the pixel's (row, column) inside it.
    pub fn tile_pixel(self) -> Option<(Tile, u32, u32)> {
        let tile = Tile::from_indices(
            u16::try_from(self.row / TILE_PIXELS).ok()?,
            u16::try_from(self.column / TILE_PIXELS).ok()?,
        )?;
        Some((tile, self.row % TILE_PIXELS, self.column % TILE_PIXELS))
    }

    /// Latitude of the pixel centre (exact degrees, not the seed's rounding).
    pub fn latitude(self) -> f64 {
        NORTH_EDGE as f64 - (self.row as f64 + 0.5) / TILE_PIXELS as f64
    }

    /// Longitude of the pixel centre.
    pub fn longitude(self) -> f64 {
        WEST_EDGE as f64 + (self.column as f64 + 0.5) / TILE_PIXELS as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinate_arrays_have_the_seed_shapes_and_ends() {
        let lat = latitude();
        let lon = longitude();
        assert_eq!(lat.len(), 193_200);
        assert_eq!(lon.len(), 432_000);
        assert!((lat[0] - 81.999_58).abs() < 1e-4);
        assert!((lat[193_199] + 78.999_58).abs() < 1e-4);
        assert!((lon[0] + 179.999_58).abs() < 1e-4);
        assert!((lon[431_999] - 179.999_58).abs() < 1e-4);
        assert_eq!(orbit().len(), 175);
        assert_eq!(coherence(), vec![6, 12, 18, 24, 36, 48]);
        assert_eq!(
            labels(Dimension::Season).unwrap(),
            ["winter", "spring", "summer", "fall"]
        );
    }

    #[test]
    fn the_seed_selection_pixel_maps_to_its_file() {
        // socal['COH'].loc['winter','vv',12][100, 100]: global (55300, 70900).
        let p = GlobalPixel {
            row: 55_300,
            column: 70_900,
        };
        let (tile, r, c) = p.tile_pixel().unwrap();
        assert_eq!((tile.to_string().as_str(), r, c), ("N36W121", 100, 100));
        assert_eq!(
            GlobalPixel::containing(p.latitude(), p.longitude()),
            Some(p)
        );
        let lat = latitude();
        assert!((lat[55_300] as f64 - p.latitude()).abs() < 1e-5);
    }
}
