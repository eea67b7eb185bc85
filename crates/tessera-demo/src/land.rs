//! The land/sea mask: Natural Earth's 1:10m land polygons (from the npm
//! package `world-atlas`, shipped in `data/`), rasterized on the data set's
//! global pixel grid.
//!
//! A pixel is land when its centre is inside the polygons by the even–odd
//! rule. Every query goes through [`LandMask::row_crossings`], so a whole tile
//! and a single pixel are decided by the same arithmetic and always agree.

use std::io::Read;

use tessera_core::coordinates::GlobalPixel;
use tessera_core::dataset::TILE_PIXELS;
use tessera_core::topojson::{arc, TopoJsonError, Topology};
use tessera_core::Tile;

/// The shipped TopoJSON (world-atlas 2.0.2 `land-10m.json`, gzipped).
const LAND_10M_GZ: &[u8] = include_bytes!("../data/land-10m.json.gz");

/// Latitude bands the edges are binned into: 1° each, from 90 N to 90 S.
const BANDS: usize = 180;

#[derive(Debug, thiserror::Error)]
pub enum LandError {
    #[error("the land polygons are not gzip: {0}")]
    Gzip(#[from] std::io::Error),
    #[error("the land polygons: {0}")]
    TopoJson(#[from] TopoJsonError),
}

/// One polygon edge in degrees, from (x0, y0) to (x1, y1) with y0 < y1.
#[derive(Debug, Clone, Copy)]
struct Edge {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Edge {
    /// Longitude where the edge meets latitude `y`, if it does. Half-open in
    /// latitude so that a vertex exactly on the row counts once.
    #[inline]
    fn crossing(&self, y: f64) -> Option<f64> {
        if y >= self.y0 && y < self.y1 {
            Some(self.x0 + (y - self.y0) * (self.x1 - self.x0) / (self.y1 - self.y0))
        } else {
            None
        }
    }
}

/// Land polygons, indexed by latitude band for fast row queries.
#[derive(Debug)]
pub struct LandMask {
    /// Edges crossing each 1° band (index 0 is 90..89 N).
    bands: Vec<Vec<Edge>>,
}

/// The land pixels of one row: where polygon edges cross it, and whether the
/// row starts (at 180 W) inside land.
#[derive(Debug, Clone, PartialEq)]
pub struct RowCrossings {
    /// Sorted longitudes of the crossings.
    longitudes: Vec<f64>,
}

impl RowCrossings {
    /// Whether the point at `lon` (a pixel centre) is land.
    pub fn is_land(&self, lon: f64) -> bool {
        self.longitudes.partition_point(|&x| x < lon) % 2 == 1
    }

    /// Land flags for `count` consecutive pixels from global column `first`.
    pub fn fill(&self, first: u32, out: &mut [bool]) {
        let lon_of = |c: u32| GlobalPixel { row: 0, column: c }.longitude();
        let mut next = self.longitudes.partition_point(|&x| x < lon_of(first));
        for (i, flag) in out.iter_mut().enumerate() {
            let lon = lon_of(first + i as u32);
            while next < self.longitudes.len() && self.longitudes[next] < lon {
                next += 1;
            }
            *flag = next % 2 == 1;
        }
    }
}

impl LandMask {
    /// The shipped Natural Earth 1:10m land.
    pub fn natural_earth() -> Result<LandMask, LandError> {
        let mut json = Vec::with_capacity(4 << 20);
        flate2::read::GzDecoder::new(LAND_10M_GZ).read_to_end(&mut json)?;
        LandMask::from_topojson(&json)
    }

    /// Reads the object `land` of a TopoJSON topology (quantized, as
    /// world-atlas writes it).
    pub fn from_topojson(json: &[u8]) -> Result<LandMask, LandError> {
        let topology = Topology::from_json(json)?;
        let arcs = topology.decoded_arcs()?;
        let land = topology.object("land")?;
        let mut mask = LandMask {
            bands: vec![Vec::new(); BANDS],
        };
        // Under the even–odd rule only the edges matter, not how arcs join
        // into rings: every arc of every ring contributes its segments.
        for ring in land.arc_lists()? {
            for index in ring {
                let (arc, _) = arc(&arcs, index)?;
                for pair in arc.windows(2) {
                    mask.add_segment(pair[0], pair[1]);
                }
            }
        }
        Ok(mask)
    }

    /// Adds one segment of a ring. world-atlas keeps rings whole across the
    /// antimeridian (Chukotka, Fiji, Antarctica), so a segment may jump from
    /// about 180 to about −180: it is cut there, and the cut gets a vertical
    /// edge on −180 from the cut down to the south pole. Two cuts of one ring
    /// cancel on that line except between them, which closes the ring in the
    /// plane; the single cut of Antarctica, which surrounds the pole, closes
    /// it along the pole.
    fn add_segment(&mut self, a: (f64, f64), b: (f64, f64)) {
        if (b.0 - a.0).abs() <= 180.0 {
            self.add_edge(a, b);
            return;
        }
        let (bound, unwrapped) = if a.0 > 0.0 {
            (180.0, b.0 + 360.0)
        } else {
            (-180.0, b.0 - 360.0)
        };
        let t = (bound - a.0) / (unwrapped - a.0);
        let cut = a.1 + t * (b.1 - a.1);
        self.add_edge(a, (bound, cut));
        self.add_edge((-bound, cut), b);
        self.add_edge((-180.0, cut), (-180.0, -90.0));
    }

    fn add_edge(&mut self, a: (f64, f64), b: (f64, f64)) {
        if a.1 == b.1 {
            return; // horizontal edges never cross a row
        }
        let (lo, hi) = if a.1 < b.1 { (a, b) } else { (b, a) };
        let edge = Edge {
            x0: lo.0,
            y0: lo.1,
            x1: hi.0,
            y1: hi.1,
        };
        for band in band_of(hi.1)..=band_of(lo.1) {
            self.bands[band].push(edge);
        }
    }

    /// Where land begins and ends along the centre line of a global pixel row.
    pub fn row_crossings(&self, row: u32) -> RowCrossings {
        let lat = GlobalPixel { row, column: 0 }.latitude();
        let mut longitudes: Vec<f64> = self.bands[band_of(lat)]
            .iter()
            .filter_map(|e| e.crossing(lat))
            .collect();
        longitudes.sort_by(f64::total_cmp);
        RowCrossings { longitudes }
    }

    /// Whether the centre of a global pixel is on land.
    pub fn is_land(&self, pixel: GlobalPixel) -> bool {
        self.row_crossings(pixel.row).is_land(pixel.longitude())
    }

    /// The land flags of a whole tile, row-major, 1200×1200.
    pub fn tile(&self, tile: Tile) -> Vec<bool> {
        let n = TILE_PIXELS as usize;
        let mut out = vec![false; n * n];
        for (r, row) in out.chunks_mut(n).enumerate() {
            self.row_crossings(tile.first_row() + r as u32)
                .fill(tile.first_column(), row);
        }
        out
    }

    /// Whether any pixel of the tile is land (checked on every 8th row).
    pub fn tile_has_land(&self, tile: Tile) -> bool {
        let (west, east) = (tile.west() as f64, tile.west() as f64 + 1.0);
        (0..TILE_PIXELS).step_by(8).any(|r| {
            let row = self.row_crossings(tile.first_row() + r);
            row.is_land(west) || row.longitudes.iter().any(|&x| x > west && x < east)
        })
    }
}

fn band_of(lat: f64) -> usize {
    ((90.0 - lat).floor().max(0.0) as usize).min(BANDS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask() -> LandMask {
        LandMask::natural_earth().expect("shipped land polygons")
    }

    fn land_at(mask: &LandMask, lat: f64, lon: f64) -> bool {
        mask.is_land(GlobalPixel::containing(lat, lon).unwrap())
    }

    #[test]
    fn knows_land_from_sea() {
        let m = mask();
        // Land: Los Angeles, the Mojave, Paris, Manaus, Lake Eyre basin.
        for (lat, lon) in [
            (34.05, -118.25),
            (35.0, -116.0),
            (48.85, 2.35),
            (-3.1, -60.0),
            (-28.0, 137.0),
        ] {
            assert!(land_at(&m, lat, lon), "({lat}, {lon}) should be land");
        }
        // Sea: off Santa Monica, mid-Pacific, North Sea, Gulf of Guinea (not
        // at 0°, 0°: Natural Earth has a tiny "Null Island" there).
        for (lat, lon) in [(33.9, -118.6), (20.0, -150.0), (55.0, 3.0), (-2.0, 5.0)] {
            assert!(!land_at(&m, lat, lon), "({lat}, {lon}) should be sea");
        }
    }

    #[test]
    fn rings_across_the_antimeridian_are_closed() {
        let m = mask();
        // Chukotka on both sides of 180°, Taveuni (Fiji) across it, the
        // Ross Ice Shelf's coast south of it, and open sea around them.
        for (lat, lon) in [
            (67.5, 179.5),
            (67.5, -179.5),
            (67.0, -175.0),
            (-16.85, 179.97),
        ] {
            assert!(land_at(&m, lat, lon), "({lat}, {lon}) should be land");
        }
        for (lat, lon) in [
            (60.0, 179.5),
            (60.0, -179.5),
            (0.5, -179.5),
            (-60.0, -179.5),
        ] {
            assert!(!land_at(&m, lat, lon), "({lat}, {lon}) should be sea");
        }
    }

    #[test]
    fn a_tile_agrees_with_its_pixels() {
        let m = mask();
        // N34W119: the coast at Santa Monica Bay.
        let tile = Tile::parse("N34W119").unwrap();
        let flags = m.tile(tile);
        let land = flags.iter().filter(|&&f| f).count();
        assert!(land > 100_000 && land < 1_400_000, "{land} land pixels");
        for (r, c) in [(0, 0), (517, 3), (1199, 1199), (640, 888), (1000, 200)] {
            let pixel = GlobalPixel {
                row: tile.first_row() + r,
                column: tile.first_column() + c,
            };
            assert_eq!(flags[(r * 1200 + c) as usize], m.is_land(pixel));
        }
        assert!(m.tile_has_land(tile));
        assert!(!m.tile_has_land(Tile::parse("N33W122").unwrap()));
    }
}
