//! TopoJSON as world-atlas writes it (Natural Earth land and coastlines):
//! the topology, its arcs in degrees, and the polylines of an object, for
//! the map's coastlines and the demo's land mask.

use std::collections::HashMap;

use serde::Deserialize;

use crate::dataset::Bounds;

#[derive(Debug, thiserror::Error)]
pub enum TopoJsonError {
    #[error("not TopoJSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the topology has no object {0:?}")]
    NoObject(String),
    #[error("the topology has no objects")]
    NoObjects,
    #[error("a geometry refers to arc {0}, which does not exist")]
    BadArc(i64),
    #[error("a {kind} geometry's \"arcs\" are not {expected}")]
    ArcList {
        kind: String,
        expected: &'static str,
    },
    #[error("arc {arc} has a position with fewer than two numbers")]
    Position { arc: usize },
    #[error("packed lines: {0}")]
    Packed(&'static str),
}

/// A parsed topology: arcs as stored, and the named geometry objects.
#[derive(Debug, Deserialize)]
pub struct Topology {
    /// Present for quantized topologies, whose arcs are delta-encoded.
    #[serde(default)]
    transform: Option<Transform>,
    arcs: Vec<Vec<StoredPosition>>,
    objects: HashMap<String, Geometry>,
}

/// A position as stored in an arc: its first two numbers, `None` if it has
/// fewer. Read without a vector of its own: a topology has hundreds of
/// thousands of positions, and allocating each one made reading the map's
/// coastlines take the page's main thread for tens of milliseconds.
#[derive(Debug, Clone, Copy)]
struct StoredPosition(Option<(f64, f64)>);

impl<'de> Deserialize<'de> for StoredPosition {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Numbers;
        impl<'de> serde::de::Visitor<'de> for Numbers {
            type Value = StoredPosition;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a position (a list of numbers)")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let x: Option<f64> = seq.next_element()?;
                let y: Option<f64> = seq.next_element()?;
                // Elevation and other extra numbers are allowed, and unused.
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(StoredPosition(x.zip(y)))
            }
        }
        deserializer.deserialize_seq(Numbers)
    }
}

#[derive(Debug, Deserialize)]
struct Transform {
    scale: [f64; 2],
    translate: [f64; 2],
}

/// One geometry object (possibly a collection of others).
#[derive(Debug, Deserialize)]
pub struct Geometry {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    geometries: Vec<Geometry>,
    #[serde(default)]
    arcs: serde_json::Value,
}

impl Topology {
    pub fn from_json(json: &[u8]) -> Result<Topology, TopoJsonError> {
        Ok(serde_json::from_slice(json)?)
    }

    pub fn object(&self, name: &str) -> Result<&Geometry, TopoJsonError> {
        self.objects
            .get(name)
            .ok_or_else(|| TopoJsonError::NoObject(name.to_string()))
    }

    /// Every arc as (longitude, latitude) positions in degrees.
    pub fn decoded_arcs(&self) -> Result<Vec<Vec<(f64, f64)>>, TopoJsonError> {
        self.arcs
            .iter()
            .enumerate()
            .map(|(i, arc)| {
                let (mut x, mut y) = (0.0, 0.0);
                arc.iter()
                    .map(|p| {
                        let Some((px, py)) = p.0 else {
                            return Err(TopoJsonError::Position { arc: i });
                        };
                        Ok(match &self.transform {
                            Some(t) => {
                                x += px;
                                y += py;
                                (
                                    x * t.scale[0] + t.translate[0],
                                    y * t.scale[1] + t.translate[1],
                                )
                            }
                            None => (px, py),
                        })
                    })
                    .collect()
            })
            .collect()
    }
}

impl Geometry {
    /// The geometry's type ("Polygon", "GeometryCollection", …).
    pub fn kind(&self) -> &str {
        self.kind.as_deref().unwrap_or("")
    }

    /// Its rings (polygons) or lines (line strings) as lists of arc
    /// indices, collections flattened; points and null geometries have none.
    pub fn arc_lists(&self) -> Result<Vec<Vec<i64>>, TopoJsonError> {
        let parse = |expected: &'static str| TopoJsonError::ArcList {
            kind: self.kind().to_string(),
            expected,
        };
        Ok(match self.kind() {
            "GeometryCollection" => {
                let mut all = Vec::new();
                for g in &self.geometries {
                    all.extend(g.arc_lists()?);
                }
                all
            }
            "LineString" => vec![serde_json::from_value(self.arcs.clone())
                .map_err(|_| parse("a list of arc indices"))?],
            "Polygon" | "MultiLineString" => serde_json::from_value(self.arcs.clone())
                .map_err(|_| parse("lists of arc indices"))?,
            "MultiPolygon" => {
                let polygons: Vec<Vec<Vec<i64>>> = serde_json::from_value(self.arcs.clone())
                    .map_err(|_| parse("lists of lists of arc indices"))?;
                polygons.into_iter().flatten().collect()
            }
            _ => Vec::new(),
        })
    }
}

/// A position: (longitude, latitude) in degrees.
pub type Position = (f64, f64);

/// Arc `index` of `arcs` and whether it runs reversed (TopoJSON writes arc
/// i reversed as !i, i.e. −i − 1).
pub fn arc(arcs: &[Vec<Position>], index: i64) -> Result<(&[Position], bool), TopoJsonError> {
    let reversed = index < 0;
    usize::try_from(if reversed { !index } else { index })
        .ok()
        .and_then(|i| arcs.get(i))
        .map(|a| (a.as_slice(), reversed))
        .ok_or(TopoJsonError::BadArc(index))
}

/// The outlines of object "land" (or, without one, of the first object),
/// as (longitude, latitude) polylines in degrees for drawing: each ring's
/// arcs joined in order, and cut where they cross the antimeridian so that
/// no line spans the map.
pub fn coastlines(json: &[u8]) -> Result<Vec<Vec<(f32, f32)>>, TopoJsonError> {
    let topology = Topology::from_json(json)?;
    let object = match topology.object("land") {
        Ok(o) => o,
        Err(_) => {
            let mut names: Vec<&String> = topology.objects.keys().collect();
            names.sort();
            let first = names.first().ok_or(TopoJsonError::NoObjects)?;
            topology.object(first)?
        }
    };
    let arcs = topology.decoded_arcs()?;
    let mut lines = Vec::new();
    for list in object.arc_lists()? {
        let mut line: Vec<(f32, f32)> = Vec::new();
        for &index in &list {
            let (positions, reversed) = arc(&arcs, index)?;
            let mut push = |&(lon, lat): &(f64, f64)| {
                let p = (lon as f32, lat as f32);
                match line.last() {
                    // Consecutive arcs share their joining position.
                    Some(&last) if last == p => {}
                    Some(&(last_lon, _)) if (p.0 - last_lon).abs() > 180.0 => {
                        lines.push(std::mem::take(&mut line));
                        line.push(p);
                    }
                    _ => line.push(p),
                }
            };
            if reversed {
                positions.iter().rev().for_each(&mut push);
            } else {
                positions.iter().for_each(&mut push);
            }
        }
        lines.push(line);
    }
    lines.retain(|l| l.len() >= 2);
    Ok(lines)
}

/// Polylines packed into one buffer of 32-bit words, so that a worker can
/// hand the page what it read in one transfer: the number of lines, each
/// line's number of points, then every point's longitude and latitude as
/// `f32` bits. Read back with [`unpack_lines`].
pub fn pack_lines(lines: &[Vec<(f32, f32)>]) -> Vec<u32> {
    let points: usize = lines.iter().map(Vec::len).sum();
    let mut words = Vec::with_capacity(1 + lines.len() + 2 * points);
    words.push(lines.len() as u32);
    words.extend(lines.iter().map(|line| line.len() as u32));
    for &(lon, lat) in lines.iter().flatten() {
        words.push(lon.to_bits());
        words.push(lat.to_bits());
    }
    words
}

/// The polylines [`pack_lines`] packed; an error for words that are not
/// such a packing (too few, too many, or counts that do not add up).
pub fn unpack_lines(words: &[u32]) -> Result<Vec<Vec<(f32, f32)>>, TopoJsonError> {
    let (&count, rest) = words
        .split_first()
        .ok_or(TopoJsonError::Packed("no line count"))?;
    let counts = rest
        .get(..count as usize)
        .ok_or(TopoJsonError::Packed("fewer point counts than lines"))?;
    let mut points = &rest[counts.len()..];
    // In u64: on wasm32 a usize sum of bad counts could wrap around.
    let total = counts.iter().map(|&n| u64::from(n)).sum::<u64>();
    if total.checked_mul(2) != Some(points.len() as u64) {
        return Err(TopoJsonError::Packed(
            "the point counts do not match the points",
        ));
    }
    let mut lines = Vec::with_capacity(counts.len());
    for &n in counts {
        let (line, next) = points.split_at(2 * n as usize);
        lines.push(
            line.chunks_exact(2)
                .map(|p| (f32::from_bits(p[0]), f32::from_bits(p[1])))
                .collect(),
        );
        points = next;
    }
    Ok(lines)
}

/// Coastlines ready to draw: each line with its bounding box, so that a
/// view draws only those it may show.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Coastlines {
    lines: Vec<(Bounds, Vec<(f32, f32)>)>,
}

impl Coastlines {
    /// Lines of (longitude, latitude) points; those of fewer than two
    /// points are dropped.
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

    /// How many lines there are.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_lines_read_back_as_they_were() {
        let lines = coastlines(SQUARE.as_bytes()).unwrap();
        assert!(!lines.is_empty());
        assert_eq!(unpack_lines(&pack_lines(&lines)).unwrap(), lines);
        let odd = vec![
            vec![],
            vec![(-180.0, 90.0), (f32::MIN, 1e-30)],
            vec![(0.5, -0.25)],
        ];
        assert_eq!(unpack_lines(&pack_lines(&odd)).unwrap(), odd);
        assert_eq!(
            unpack_lines(&pack_lines(&[])).unwrap(),
            Vec::<Vec<(f32, f32)>>::new()
        );
    }

    #[test]
    fn damaged_packings_say_what_is_wrong() {
        let words = pack_lines(&[vec![(1.0, 2.0), (3.0, 4.0)]]);
        let error = |w: &[u32]| unpack_lines(w).unwrap_err().to_string();
        assert_eq!(error(&[]), "packed lines: no line count");
        assert_eq!(
            error(&[3, 1]),
            "packed lines: fewer point counts than lines"
        );
        let short = &words[..words.len() - 1];
        assert_eq!(
            error(short),
            "packed lines: the point counts do not match the points"
        );
        let mut long = words.clone();
        long.push(0);
        assert!(unpack_lines(&long).is_err());
        // Counts that overflow when added up are refused, not trusted.
        assert!(unpack_lines(&[2, u32::MAX, u32::MAX, 0, 0]).is_err());
    }

    /// A unit square ring from two arcs, the second one stored reversed;
    /// quantized with scale 0.5 and translate (10, 20).
    const SQUARE: &str = r#"{
        "type": "Topology",
        "transform": {"scale": [0.5, 0.5], "translate": [10, 20]},
        "arcs": [
            [[0, 0], [2, 0], [0, 2]],
            [[0, 0], [0, 2], [2, 0]]
        ],
        "objects": {"land": {"type": "GeometryCollection", "geometries": [
            {"type": "Polygon", "arcs": [[0, -2]]},
            {"type": null}
        ]}}
    }"#;

    #[test]
    fn positions_may_have_more_than_two_numbers() {
        let with_elevation = SQUARE.replace(
            "[[0, 0], [2, 0], [0, 2]]",
            "[[0, 0, 5], [2, 0, 7, 1], [0, 2, 9]]",
        );
        assert_ne!(with_elevation, SQUARE);
        assert_eq!(
            coastlines(with_elevation.as_bytes()).unwrap(),
            coastlines(SQUARE.as_bytes()).unwrap()
        );
    }

    #[test]
    fn joins_a_quantized_ring() {
        let lines = coastlines(SQUARE.as_bytes()).unwrap();
        assert_eq!(
            lines,
            [vec![
                (10.0, 20.0),
                (11.0, 20.0),
                (11.0, 21.0),
                (10.0, 21.0),
                (10.0, 20.0)
            ]]
        );
    }

    #[test]
    fn reads_absolute_positions_and_cuts_at_the_antimeridian() {
        let json = r#"{
            "type": "Topology",
            "arcs": [[[170.5, 10.25], [179.5, 10.5], [-179.5, 11], [-170, 12]]],
            "objects": {"coast": {"type": "MultiLineString", "arcs": [[0]]}}
        }"#;
        let lines = coastlines(json.as_bytes()).unwrap();
        assert_eq!(
            lines,
            [
                vec![(170.5, 10.25), (179.5, 10.5)],
                vec![(-179.5, 11.0), (-170.0, 12.0)]
            ]
        );
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let bad_arc = SQUARE.replace("[[0, -2]]", "[[0, 7]]");
        assert_eq!(
            coastlines(bad_arc.as_bytes()).unwrap_err().to_string(),
            "a geometry refers to arc 7, which does not exist"
        );
        let bad_list = SQUARE.replace("[[0, -2]]", "\"x\"");
        assert_eq!(
            coastlines(bad_list.as_bytes()).unwrap_err().to_string(),
            "a Polygon geometry's \"arcs\" are not lists of arc indices"
        );
        let short_position = SQUARE.replace("[[0, 0], [2, 0], [0, 2]]", "[[0, 0], [2], [0, 2]]");
        assert_ne!(short_position, SQUARE);
        assert_eq!(
            coastlines(short_position.as_bytes())
                .unwrap_err()
                .to_string(),
            "arc 0 has a position with fewer than two numbers"
        );
        let no_objects = r#"{"type": "Topology", "arcs": [], "objects": {}}"#;
        assert!(matches!(
            coastlines(no_objects.as_bytes()),
            Err(TopoJsonError::NoObjects)
        ));
        let err = coastlines(b"{\"type\": \"Topology\",\n \"arcs\": [}").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn the_shipped_coastlines_are_the_world() {
        let json = include_bytes!("../../../www/land-50m.json");
        let lines = coastlines(json).unwrap();
        assert!(lines.len() > 1000, "{} lines", lines.len());
        let points = || lines.iter().flatten();
        assert!(points()
            .all(|&(lon, lat)| (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)));
        // San Francisco's coast, and no jump across the map.
        let near = |lon: f32, lat: f32| {
            points().any(|&(x, y)| (x - lon).abs() < 0.3 && (y - lat).abs() < 0.3)
        };
        assert!(near(-122.5, 37.8));
        assert!(!near(-40.0, 30.0), "a coast in the middle of the Atlantic");
        for line in &lines {
            for w in line.windows(2) {
                assert!((w[1].0 - w[0].0).abs() <= 180.0);
            }
        }
    }

    #[test]
    fn coastlines_draw_only_what_a_view_may_show() {
        let lines = Coastlines::new(vec![
            vec![(-120.0, 34.0), (-119.0, 35.0)],
            vec![(10.0, 50.0), (11.0, 51.0)],
            vec![(0.0, 0.0)],
        ]);
        assert_eq!(lines.len(), 2);
        let view = Bounds {
            south: 33.0,
            north: 36.0,
            west: -121.0,
            east: -115.0,
        };
        let shown: Vec<&[(f32, f32)]> = lines.visible(&view).collect();
        assert_eq!(shown, [&[(-120.0, 34.0), (-119.0, 35.0)][..]]);
    }
}
