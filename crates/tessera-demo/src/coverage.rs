//! Which tiles the demo covers: by default the seed's southern California
//! selection and its surroundings, plus a scatter of land tiles around the
//! world; or the land tiles of a bounding box.

use std::fmt;
use std::str::FromStr;

use tessera_core::Tile;

use crate::land::LandMask;

/// A longitude/latitude box in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

/// Around the seed's selection (latitude 36–32.5 N, longitude 121–115 W):
/// latitude 32–37 N, longitude 122–114 W, 40 tiles.
pub const SEED_SURROUNDINGS: BoundingBox = BoundingBox {
    west: -122.0,
    south: 32.0,
    east: -114.0,
    north: 37.0,
};

/// Land tiles elsewhere, so that panning across the globe finds data: high
/// mountains, a delta, rain forest, coasts and islands on every inhabited
/// continent. (Each tile adds about 88 files, 85 MB and 1.2 s to the
/// default demo, which must stay well under a minute on 2 cores.)
pub const SCATTER: &[&str] = &[
    "N47E010", // Alps: Ötztal and Bernina
    "N28E086", // Himalaya: Everest
    "N31E031", // Nile delta: Cairo
    "S03W061", // Amazon: Manaus
    "S33E151", // Sydney and the Blue Mountains
    "N36E138", // Japan: Mount Fuji
    "N65W020", // Iceland
    "N40W107", // Colorado Rockies
];

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BoundingBoxError {
    #[error("expected WEST,SOUTH,EAST,NORTH in degrees, e.g. -121,32.5,-115,36")]
    Format,
    #[error("{0} is not a number")]
    Number(String),
    #[error(
        "west {west} must be less than east {east}, and south {south} less than north {north}"
    )]
    Empty {
        west: f64,
        south: f64,
        east: f64,
        north: f64,
    },
    #[error(
        "the box must lie within longitude -180..180 and latitude -79..82 (the data set's grid)"
    )]
    OutOfRange,
}

impl FromStr for BoundingBox {
    type Err = BoundingBoxError;

    fn from_str(text: &str) -> Result<BoundingBox, BoundingBoxError> {
        let parts: Vec<&str> = text.split(',').map(str::trim).collect();
        let [w, s, e, n] = parts[..] else {
            return Err(BoundingBoxError::Format);
        };
        let number = |t: &str| {
            t.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| BoundingBoxError::Number(t.to_string()))
        };
        let b = BoundingBox {
            west: number(w)?,
            south: number(s)?,
            east: number(e)?,
            north: number(n)?,
        };
        if b.west >= b.east || b.south >= b.north {
            return Err(BoundingBoxError::Empty {
                west: b.west,
                south: b.south,
                east: b.east,
                north: b.north,
            });
        }
        if b.west < -180.0 || b.east > 180.0 || b.south < -79.0 || b.north > 82.0 {
            return Err(BoundingBoxError::OutOfRange);
        }
        Ok(b)
    }
}

impl fmt::Display for BoundingBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{},{},{},{}",
            self.west, self.south, self.east, self.north
        )
    }
}

impl BoundingBox {
    /// The tiles overlapping the box (not merely touching it), north to
    /// south, west to east.
    pub fn tiles(&self) -> Vec<Tile> {
        let mut out = Vec::new();
        let mut north = self.north.ceil() as i32;
        while f64::from(north) > self.south {
            let mut west = self.west.floor() as i32;
            while f64::from(west) < self.east {
                out.extend(Tile::from_corner(north, west));
                west += 1;
            }
            north -= 1;
        }
        out
    }
}

/// The tiles to generate: only those with land (sea tiles are absent from
/// the data set).
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    tiles: Vec<Tile>,
}

impl Coverage {
    /// The seed's surroundings and the scatter.
    pub fn default_tiles(land: &LandMask) -> Coverage {
        let mut tiles = SEED_SURROUNDINGS.tiles();
        tiles.extend(SCATTER.iter().filter_map(|name| Tile::parse(name).ok()));
        Coverage::with_land(land, tiles)
    }

    /// The land tiles of a box.
    pub fn bounding_box(land: &LandMask, bbox: &BoundingBox) -> Coverage {
        Coverage::with_land(land, bbox.tiles())
    }

    fn with_land(land: &LandMask, mut tiles: Vec<Tile>) -> Coverage {
        let mut seen = std::collections::HashSet::new();
        tiles.retain(|t| seen.insert(*t) && land.tile_has_land(*t));
        Coverage { tiles }
    }

    pub fn tiles(&self) -> &[Tile] {
        &self.tiles
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks_boxes() {
        let b: BoundingBox = "-121, 32.5,-115,36".parse().unwrap();
        assert_eq!(b.tiles().len(), 4 * 6);
        assert_eq!(b.tiles()[0].to_string(), "N36W121");
        assert_eq!(b.tiles()[23].to_string(), "N33W116");
        assert_eq!(
            "1,2,3".parse::<BoundingBox>(),
            Err(BoundingBoxError::Format)
        );
        assert!(matches!(
            "a,2,3,4".parse::<BoundingBox>(),
            Err(BoundingBoxError::Number(t)) if t == "a"
        ));
        assert!(matches!(
            "3,2,1,4".parse::<BoundingBox>(),
            Err(BoundingBoxError::Empty { .. })
        ));
        assert_eq!(
            "-190,0,1,1".parse::<BoundingBox>(),
            Err(BoundingBoxError::OutOfRange)
        );
        assert_eq!(SEED_SURROUNDINGS.tiles().len(), 40);
    }

    #[test]
    fn default_coverage_is_land_around_the_seed_and_the_scatter() {
        let land = LandMask::natural_earth().unwrap();
        let coverage = Coverage::default_tiles(&land);
        let names: Vec<String> = coverage.tiles().iter().map(Tile::to_string).collect();
        // Every scatter tile has land.
        for name in SCATTER {
            assert!(names.iter().any(|n| n == name), "{name} has no land?");
        }
        // The seed's 24 tiles are there (N34W121 for San Miguel and Santa
        // Rosa islands) but for the open sea south of the Channel Islands.
        for tile in "-121,32.5,-115,36".parse::<BoundingBox>().unwrap().tiles() {
            let name = tile.to_string();
            let sea = ["N33W121", "N33W120"].contains(&name.as_str());
            assert_eq!(names.contains(&name), !sea, "{name}");
        }
        let box_tiles = SEED_SURROUNDINGS.tiles().len();
        let sea: Vec<String> = SEED_SURROUNDINGS
            .tiles()
            .iter()
            .map(Tile::to_string)
            .filter(|n| !names.contains(n))
            .collect();
        assert_eq!(
            sea,
            ["N35W122", "N34W122", "N33W122", "N33W121", "N33W120"],
            "sea tiles of the {box_tiles} around the seed"
        );
    }
}
