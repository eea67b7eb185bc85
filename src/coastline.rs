//! Coastlines for orientation: Natural Earth 1:50m land from world-atlas,
//! shipped in `www/`, each line with its bounding box so a view draws only
//! what it shows.

use tessera_core::Bounds;

pub struct Coastlines {
    lines: Vec<(Bounds, Vec<(f32, f32)>)>,
}

impl Coastlines {
    pub fn new(lines: Vec<Vec<(f32, f32)>>) -> Coastlines {
        let lines = lines
            .into_iter()
            .filter(|l| l.len() >= 2)
            .map(|line| {
                let mut b = Bounds {
                    south: f64::INFINITY,
                    north: f64::NEG_INFINITY,
                    west: f64::INFINITY,
                    east: f64::NEG_INFINITY,
                };
                for &(lon, lat) in &line {
                    b.south = b.south.min(f64::from(lat));
                    b.north = b.north.max(f64::from(lat));
                    b.west = b.west.min(f64::from(lon));
                    b.east = b.east.max(f64::from(lon));
                }
                (b, line)
            })
            .collect();
        Coastlines { lines }
    }

    /// The lines that may cross `view`.
    pub fn visible<'a>(&'a self, view: &'a Bounds) -> impl Iterator<Item = &'a [(f32, f32)]> + 'a {
        self.lines
            .iter()
            .filter(|(b, _)| {
                b.north >= view.south
                    && b.south <= view.north
                    && b.east >= view.west
                    && b.west <= view.east
            })
            .map(|(_, line)| line.as_slice())
    }
}
