//! One pixel of the data set across every file that covers it (the pixel
//! inspector): where the pixel is, which files it needs, what they say
//! there in physical units, the coherence of each season and polarization
//! against the repeat interval with the decay model fitted to it,
//! γ(t) = (1 − ρ)·exp(−t/τ) + ρ, and the pixel as CSV rows and as the
//! xarray code that selects it.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::coordinates::GlobalPixel;
use crate::dataset::{
    ChunkKey, FlightDirection, Layer, Orbit, Polarization, RepeatInterval, Season, Tile, Variable,
    FILL_VALUE,
};
use crate::parquet_refs::RecordFile;
use crate::physical;
use crate::view_plan::{ChunkLocation, ChunkSource, ReferenceIndex};

/// A pixel of the grid: its centre, its tile, and its row and column there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PixelPlace {
    pub pixel: GlobalPixel,
    pub tile: Tile,
    pub row: u32,
    pub column: u32,
    /// Latitude and longitude of the pixel's centre.
    pub lat: f64,
    pub lon: f64,
}

impl PixelPlace {
    /// The pixel holding (lat, lon), if it is inside the grid.
    pub fn at(lat: f64, lon: f64) -> Option<PixelPlace> {
        let pixel = GlobalPixel::containing(lat, lon)?;
        let (tile, row, column) = pixel.tile_pixel()?;
        Some(PixelPlace {
            pixel,
            tile,
            row,
            column,
            lat: pixel.latitude(),
            lon: pixel.longitude(),
        })
    }
}

/// The variables a pixel's card shows, in its order.
pub const CARD_VARIABLES: [Variable; 7] = [
    Variable::Coh,
    Variable::Rho,
    Variable::Tau,
    Variable::Rmse,
    Variable::Amp,
    Variable::Inc,
    Variable::Lsmap,
];

/// The files of `tile` the references list, for every layer of every
/// variable they have: what a pixel there needs. (A parquet store lists
/// only the record files read so far: see [`pixel_records`].)
pub fn pixel_files(index: ReferenceIndex, tile: Tile) -> Vec<ChunkSource> {
    let refs = index.references();
    let mut files = Vec::new();
    for variable in CARD_VARIABLES {
        if !refs.variables().any(|v| v == variable) {
            continue;
        }
        let dtype = refs
            .array_metadata(variable.name())
            .and_then(|m| crate::DType::from_zarr(&m.dtype))
            .unwrap_or(variable.dtype());
        let row = tile.lat_index();
        let column = tile.lon_index();
        for layer in refs.layers_in(variable, row..row + 1, column..column + 1) {
            let Ok(key) = ChunkKey::new(variable, layer, tile) else {
                continue;
            };
            let Some(chunk) = refs.chunk(key) else {
                continue;
            };
            let location = match chunk {
                crate::reader::ChunkRef::Inline(bytes) => ChunkLocation::Inline(bytes.into()),
                crate::reader::ChunkRef::Remote(remote) => ChunkLocation::Remote {
                    url: remote.url(),
                    range: remote.range,
                },
            };
            files.push(ChunkSource {
                key,
                location,
                dtype,
            });
        }
    }
    files
}

/// For a parquet store: the record files, not read yet, that list the
/// files of `tile` (every layer of every variable of the card).
pub fn pixel_records(index: ReferenceIndex, tile: Tile) -> Vec<RecordFile> {
    let ReferenceIndex::Store(store) = index else {
        return Vec::new();
    };
    let row = tile.lat_index();
    let column = tile.lon_index();
    let refs = store.read_so_far();
    CARD_VARIABLES
        .into_iter()
        .filter(|v| refs.variables().any(|w| w == *v))
        .flat_map(|v| store.records_needed(v, &Layer::all(v), row..row + 1, column..column + 1))
        .collect()
}

/// What one file says at the pixel.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// Not read yet.
    Loading,
    /// The stored value (0: no data).
    Dn(u16),
    /// The file could not be read: why.
    Failed(String),
}

/// The decay model of one season and polarization at a pixel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecayModel {
    /// Long-term coherence ρ (0..1).
    pub rho: f64,
    /// Decay time τ in days.
    pub tau: f64,
    /// The fit's RMSE, in coherence.
    pub rmse: Option<f64>,
}

impl DecayModel {
    /// γ(t) = (1 − ρ)·exp(−t/τ) + ρ, for a repeat interval of `days`.
    pub fn coherence(&self, days: f64) -> f64 {
        (1.0 - self.rho) * (-days / self.tau).exp() + self.rho
    }
}

/// Everything a pixel's card shows: its place, and what each of its files
/// says there.
#[derive(Debug, Clone, PartialEq)]
pub struct PixelCard {
    pub place: PixelPlace,
    /// Every file the references list at the pixel, with its URL as the
    /// references write it.
    pub files: BTreeMap<ChunkKey, (String, Reading)>,
}

impl PixelCard {
    /// A card for the pixel at `place` whose files are `files`, none read.
    pub fn new(place: PixelPlace, files: &[ChunkSource]) -> PixelCard {
        // Inserted one by one: collecting sorts first, which made its own
        // copy of the sort in the app's wasm.
        let mut map = BTreeMap::new();
        for s in files {
            let url = match &s.location {
                ChunkLocation::Remote { url, .. } => url.clone(),
                ChunkLocation::Inline(_) => "(inline in the references)".to_string(),
            };
            map.insert(s.key, (url, Reading::Loading));
        }
        PixelCard { place, files: map }
    }

    /// Records what the file of `key` says at the pixel.
    pub fn set(&mut self, key: ChunkKey, reading: Reading) {
        if let Some((_, r)) = self.files.get_mut(&key) {
            *r = reading;
        }
    }

    /// What the file of `key` says: `None` when the references list no
    /// such file ("no file").
    pub fn reading(&self, key: &ChunkKey) -> Option<&Reading> {
        self.files.get(key).map(|(_, r)| r)
    }

    /// The physical value of `variable`'s `layer` at the pixel, if its
    /// file is read and has data there.
    pub fn value(&self, variable: Variable, layer: Layer) -> Option<f64> {
        let key = ChunkKey::new(variable, layer, self.place.tile).ok()?;
        match self.reading(&key)? {
            Reading::Dn(dn) => physical::value(variable, *dn),
            _ => None,
        }
    }

    /// Whether every file is read or failed.
    pub fn complete(&self) -> bool {
        self.files.values().all(|(_, r)| *r != Reading::Loading)
    }

    /// Files read, and in all.
    pub fn progress(&self) -> (usize, usize) {
        let read = self
            .files
            .values()
            .filter(|(_, r)| *r != Reading::Loading)
            .count();
        (read, self.files.len())
    }

    /// The polarizations with any file of COH, rho, tau, rmse or AMP here.
    pub fn polarizations(&self) -> Vec<Polarization> {
        let mut found = [false; 4];
        for key in self.files.keys() {
            if let Layer::Coherence(_, p, _) | Layer::Seasonal(_, p) = key.layer {
                found[usize::from(p.index())] = true;
            }
        }
        Polarization::ALL
            .iter()
            .zip(found)
            .filter_map(|(p, f)| f.then_some(*p))
            .collect()
    }

    /// Coherence γ against the repeat interval for one season and
    /// polarization: (days, γ) for each interval with data here.
    pub fn coherence_series(&self, season: Season, polarization: Polarization) -> Vec<(u8, f64)> {
        RepeatInterval::ALL
            .iter()
            .filter_map(|&i| {
                let layer = Layer::Coherence(season, polarization, i);
                Some((i.days(), self.value(Variable::Coh, layer)?))
            })
            .collect()
    }

    /// The decay model of one season and polarization, from this pixel's
    /// own rho and tau files (and rmse, if read).
    pub fn model(&self, season: Season, polarization: Polarization) -> Option<DecayModel> {
        let layer = Layer::Seasonal(season, polarization);
        let rho = self.value(Variable::Rho, layer)?;
        let tau = self.value(Variable::Tau, layer)?;
        (tau > 0.0).then(|| DecayModel {
            rho,
            tau,
            rmse: self.value(Variable::Rmse, layer),
        })
    }

    /// The orbits and flight directions with an inc or lsmap file here.
    pub fn orbits(&self) -> Vec<(Orbit, FlightDirection)> {
        let mut orbits = std::collections::BTreeSet::new();
        for key in self.files.keys() {
            if let Layer::Orbital(o, d) = key.layer {
                orbits.insert((o, d));
            }
        }
        orbits.into_iter().collect()
    }

    /// One CSV row per file: variable, season, polarization, repeat
    /// interval, orbit, flight direction, DN, physical value, unit, URL
    /// (as the references write it), and a note for no data or failures.
    pub fn csv(&self) -> String {
        let mut out = String::from(
            "variable,season,polarization,repeat_interval_days,orbit,flight_direction,dn,value,unit,url,note\n",
        );
        for (key, (url, reading)) in &self.files {
            let (season, polarization, days, orbit, direction) = match key.layer {
                Layer::Coherence(s, p, i) => {
                    (s.name(), p.name(), i.days().to_string(), String::new(), "")
                }
                Layer::Seasonal(s, p) => (s.name(), p.name(), String::new(), String::new(), ""),
                Layer::Orbital(o, d) => ("", "", String::new(), o.number().to_string(), d.name()),
            };
            let (dn, value, note) = match reading {
                Reading::Dn(dn) if *dn == FILL_VALUE => {
                    (dn.to_string(), String::new(), "no data".to_string())
                }
                Reading::Dn(dn) => (
                    dn.to_string(),
                    physical::value(key.variable, *dn)
                        .map(|v| format!("{v}"))
                        .unwrap_or_default(),
                    String::new(),
                ),
                Reading::Loading => (String::new(), String::new(), "not read".to_string()),
                Reading::Failed(reason) => {
                    (String::new(), String::new(), format!("failed: {reason}"))
                }
            };
            let _ = writeln!(
                out,
                "{},{season},{polarization},{days},{orbit},{direction},{dn},{value},{},{},{}",
                key.variable.name(),
                physical::unit(key.variable),
                csv_field(url),
                csv_field(&note),
            );
        }
        out
    }
}

/// A CSV field, quoted when it must be.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Python that opens the references at `refs_url` with fsspec and xarray
/// as the seed does and selects this pixel of every variable: a JSON
/// document's relative chunk URLs are resolved against its own URL; a
/// parquet store (`parquet`) is opened lazily, as fsspec reads it, and
/// needs absolute chunk URLs.
pub fn python_snippet(
    refs_url: &str,
    parquet: bool,
    place: &PixelPlace,
    variables: &[Variable],
) -> String {
    let names: Vec<String> = variables
        .iter()
        .map(|v| format!("'{}'", v.name()))
        .collect();
    let open = python_opening(refs_url, parquet);
    format!(
        "{open}\
         # Tile {tile}, row {row}, column {column}; the pixel's centre:\n\
         pixel = ds.sel(latitude={lat}, longitude={lon}, method='nearest')\n\
         for name in [{names}]:\n\
         \x20   print(name, pixel[name].values)\n",
        tile = place.tile,
        row = place.row,
        column = place.column,
        lat = place.lat,
        lon = place.lon,
        names = names.join(", "),
    )
}

/// Python that imports what the snippets use and opens the references at
/// `refs_url` as `ds`, as the seed does (see [`python_snippet`]).
pub(crate) fn python_opening(refs_url: &str, parquet: bool) -> String {
    let url = python_string(refs_url);
    let open = if parquet {
        "# A parquet reference store, read a record file at a time (its\n\
         # chunk URLs must be absolute: tessera refs --baseurl).\n\
         protocol = url.split(':')[0]\n\
         mapper = fsspec.get_mapper('reference://', fo=url,\n\
         \x20                          target_protocol=protocol, remote_protocol=protocol)\n"
    } else {
        "with fsspec.open(url) as f:\n\
         \x20   refs = json.load(f)\n\
         refs = refs.get('refs', refs)\n\
         # Chunk URLs may be relative to the references' own URL.\n\
         for value in refs.values():\n\
         \x20   if isinstance(value, list):\n\
         \x20       value[0] = urllib.parse.urljoin(url, value[0])\n\
         mapper = fsspec.get_mapper('reference://', fo=refs, remote_protocol=url.split(':')[0])\n"
    };
    format!(
        "import json, urllib.parse\n\
         import fsspec, imagecodecs.numcodecs, numpy, xarray\n\
         imagecodecs.numcodecs.register_codecs()\n\
         \n\
         url = {url}\n\
         {open}\
         ds = xarray.open_dataset(mapper, engine='zarr', mask_and_scale=False,\n\
         \x20                        backend_kwargs={{'consolidated': False}})\n"
    )
}

/// A Python string literal of `text`.
pub(crate) fn python_string(text: &str) -> String {
    let mut out = String::from("'");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_pixel() {
        // The seed checks COH[winter, vv, 12] at global (55300, 70900) ==
        // 53: file N36W121, row 100, column 100.
        let lat = 82.0 - (55300.0 + 0.5) / 1200.0;
        let lon = -180.0 + (70900.0 + 0.5) / 1200.0;
        let place = PixelPlace::at(lat, lon).unwrap();
        assert_eq!(place.tile.to_string(), "N36W121");
        assert_eq!((place.row, place.column), (100, 100));
        assert!((place.lat - lat).abs() < 1e-12 && (place.lon - lon).abs() < 1e-12);
        assert!(PixelPlace::at(85.0, 0.0).is_none());
    }

    #[test]
    fn the_decay_model_is_the_papers() {
        let m = DecayModel {
            rho: 0.2,
            tau: 12.0,
            rmse: Some(0.05),
        };
        assert!((m.coherence(0.0) - 1.0).abs() < 1e-12);
        assert!((m.coherence(12.0) - (0.8 * (-1.0f64).exp() + 0.2)).abs() < 1e-12);
        assert!((m.coherence(1e6) - 0.2).abs() < 1e-9);
    }

    #[test]
    fn a_card_reads_its_files_and_writes_csv() {
        let place = PixelPlace::at(35.5, -118.5).unwrap();
        let key = |variable, layer| ChunkKey::new(variable, layer, place.tile).unwrap();
        let (w, vv) = (Season::Winter, Polarization::Vv);
        let keys = [
            key(
                Variable::Coh,
                Layer::Coherence(w, vv, RepeatInterval::Days06),
            ),
            key(
                Variable::Coh,
                Layer::Coherence(w, vv, RepeatInterval::Days12),
            ),
            key(Variable::Rho, Layer::Seasonal(w, vv)),
            key(Variable::Tau, Layer::Seasonal(w, vv)),
            key(Variable::Amp, Layer::Seasonal(w, vv)),
            key(
                Variable::Inc,
                Layer::Orbital(Orbit::new(64).unwrap(), FlightDirection::Descending),
            ),
        ];
        let files: Vec<ChunkSource> = keys
            .iter()
            .map(|&key| ChunkSource {
                key,
                location: ChunkLocation::Remote {
                    url: format!("data/tiles/{}/{}", key.tile, crate::FileName(key)),
                    range: None,
                },
                dtype: key.variable.dtype(),
            })
            .collect();
        let mut card = PixelCard::new(place, &files);
        assert_eq!(card.progress(), (0, 6));
        card.set(keys[0], Reading::Dn(80));
        card.set(keys[1], Reading::Dn(0));
        card.set(keys[2], Reading::Dn(300));
        card.set(keys[3], Reading::Dn(9_000));
        card.set(keys[4], Reading::Failed("HTTP 500".into()));
        card.set(keys[5], Reading::Dn(38));
        assert!(card.complete());
        assert_eq!(card.coherence_series(w, vv), [(6, 0.8)]);
        let model = card.model(w, vv).unwrap();
        assert_eq!((model.rho, model.tau, model.rmse), (0.3, 9.0, None));
        assert!(card.model(Season::Summer, vv).is_none());
        assert_eq!(card.polarizations(), [vv]);
        assert_eq!(card.orbits().len(), 1);
        // "No file" is a key the references do not list.
        assert!(card
            .reading(&key(
                Variable::Coh,
                Layer::Coherence(w, vv, RepeatInterval::Days48)
            ))
            .is_none());
        let csv = card.csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 7, "{csv}");
        assert!(lines
            .iter()
            .any(|l| l.starts_with("COH,winter,vv,6,,,80,0.8,,data/tiles/")));
        assert!(lines
            .iter()
            .any(|l| l.starts_with("COH,winter,vv,12,,,0,,,") && l.ends_with(",no data")));
        assert!(lines
            .iter()
            .any(|l| l.starts_with("AMP,winter,vv,,,,,,dB,") && l.ends_with("failed: HTTP 500")));
        assert!(lines.iter().any(|l| l.starts_with("inc,,,,64,D,38,38,°,")));
    }

    #[test]
    fn the_python_selects_the_pixels_centre() {
        let place = PixelPlace::at(35.91625, -120.91625).unwrap();
        let code = python_snippet(
            "http://h/refs.json?a='b'",
            false,
            &place,
            &[Variable::Coh, Variable::Amp],
        );
        assert!(
            code.contains("url = 'http://h/refs.json?a=\\'b\\''"),
            "{code}"
        );
        assert!(code.contains(&format!(
            "ds.sel(latitude={}, longitude={}, method='nearest')",
            place.lat, place.lon
        )));
        assert!(code.contains("for name in ['COH', 'AMP']:"));
        let store = python_snippet("http://h/refs.parq", true, &place, &[Variable::Coh]);
        assert!(store.contains("fo=url,"), "{store}");
        assert!(store.contains("method='nearest'"));
    }
}
