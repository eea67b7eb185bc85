//! RGB composites: any three stored layers as red, green and blue, each
//! stretched over its own range in physical units, the way radar users
//! read seasons and polarizations together in one picture.
//!
//! Each channel's DN-to-byte mapping is a table built once; painting is
//! three lookups per screen pixel on the decoded tiles where the view's
//! files already are.

use std::fmt;

use crate::dataset::{Layer, Polarization, RepeatInterval, Season, Tile, Variable};
use crate::derived::{layer_name, parse_layer_name, Input, InputTile};
use crate::mosaic::{ScreenGrid, TileSamples};
use crate::physical;
use crate::viewport::Viewport;

/// One channel: a stored layer and the range (physical units) stretched
/// over 0..255.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Channel {
    pub variable: Variable,
    pub layer: Layer,
    pub range: (f64, f64),
}

/// Red, green and blue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Composite {
    pub channels: [Channel; 3],
}

/// The channels' names, in order, as the URL writes them.
pub const CHANNEL_NAMES: [&str; 3] = ["red", "green", "blue"];

impl Channel {
    /// `VAR:layer:min:max` as the URL writes it (`COH:winter_vv_12:0:1`).
    pub fn to_param(&self) -> String {
        let input = Input {
            variable: self.variable,
            layer: self.layer,
        };
        format!("{}:{}:{}", input.name(), self.range.0, self.range.1)
    }

    /// Reads [`Channel::to_param`]'s form; the range may be left out
    /// (`COH:winter_vv_12`: the variable's default range).
    pub fn parse(text: &str) -> Result<Channel, String> {
        let parts: Vec<&str> = text.split(':').collect();
        let (var, layer, range) = match parts.as_slice() {
            [var, layer] => (var, layer, None),
            [var, layer, lo, hi] => (var, layer, Some((lo, hi))),
            _ => return Err("not VARIABLE:LAYER or VARIABLE:LAYER:MIN:MAX".into()),
        };
        let variable = Variable::from_name(var)
            .ok_or_else(|| format!("{var:?} is not a variable (COH, AMP, tau, rmse, rho, inc)"))?;
        let layer = parse_layer_name(variable, layer)
            .ok_or_else(|| format!("{layer:?} is not a layer of {variable} (e.g. winter_vv_12 for COH, winter_vv for AMP, 64A for inc)"))?;
        let range = match range {
            None => physical::default_range(variable),
            Some((lo, hi)) => {
                let number = |t: &str| t.trim().parse::<f64>().ok().filter(|x| x.is_finite());
                match (number(lo), number(hi)) {
                    (Some(lo), Some(hi)) if lo != hi => (lo, hi),
                    _ => return Err("the range is not two different finite numbers".into()),
                }
            }
        };
        Ok(Channel {
            variable,
            layer,
            range,
        })
    }

    /// What the legend says of it: `COH winter_vv_12 0–1`.
    pub fn label(&self) -> String {
        let unit = match physical::unit(self.variable) {
            "" => String::new(),
            unit => format!(" {unit}"),
        };
        format!(
            "{} {} {}–{}{unit}",
            self.variable.name(),
            layer_name(self.layer),
            self.range.0,
            self.range.1
        )
    }
}

impl fmt::Display for Composite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = &self.channels;
        write!(f, "R {}, G {}, B {}", r.label(), g.label(), b.label())
    }
}

impl Composite {
    /// The layers read, red first.
    pub fn inputs(&self) -> Vec<Input> {
        self.channels
            .iter()
            .map(|c| Input {
                variable: c.variable,
                layer: c.layer,
            })
            .collect()
    }

    /// Composites radar users know, for the season and polarization
    /// given: (name, composite).
    pub fn presets(season: Season, pol: Polarization) -> Vec<(&'static str, Composite)> {
        let coh = |s| Channel {
            variable: Variable::Coh,
            layer: Layer::Coherence(s, pol, RepeatInterval::Days12),
            range: (0.0, 1.0),
        };
        let amp = |p| Channel {
            variable: Variable::Amp,
            layer: Layer::Seasonal(season, p),
            range: (-25.0, 0.0),
        };
        let cross = if pol == Polarization::Hh {
            Polarization::Hv
        } else {
            Polarization::Vh
        };
        vec![
            (
                "winter and summer coherence, backscatter",
                Composite {
                    channels: [coh(Season::Winter), coh(Season::Summer), amp(pol)],
                },
            ),
            (
                "coherence through the year (winter, spring, summer)",
                Composite {
                    channels: [
                        coh(Season::Winter),
                        coh(Season::Spring),
                        coh(Season::Summer),
                    ],
                },
            ),
            (
                "backscatter co- and cross-pol, coherence",
                Composite {
                    channels: [
                        amp(pol),
                        amp(cross),
                        Channel {
                            layer: Layer::Coherence(season, pol, RepeatInterval::Days12),
                            ..coh(season)
                        },
                    ],
                },
            ),
        ]
    }
}

/// The byte of every DN per channel (`None`: no data).
pub struct CompositePalette {
    tables: [Vec<Option<u8>>; 3],
}

impl CompositePalette {
    pub fn new(composite: &Composite) -> CompositePalette {
        let table = |c: &Channel| -> Vec<Option<u8>> {
            let len = match c.variable.dtype() {
                crate::DType::U8 => 1 << 8,
                crate::DType::U16 => 1 << 16,
            };
            (0..len)
                .map(|dn| {
                    physical::normalized(c.variable, dn as u16, c.range)
                        .map(|t| (t * 255.0).round() as u8)
                })
                .collect()
        };
        let [r, g, b] = &composite.channels;
        CompositePalette {
            tables: [table(r), table(g), table(b)],
        }
    }

    /// The colour of three DNs: opaque where all three have data,
    /// transparent elsewhere.
    pub fn rgba(&self, dns: [u16; 3]) -> [u8; 4] {
        let byte = |i: usize| self.tables[i].get(usize::from(dns[i])).copied().flatten();
        match (byte(0), byte(1), byte(2)) {
            (Some(r), Some(g), Some(b)) => [r, g, b, 255],
            _ => [0; 4],
        }
    }
}

/// The composite of `view`: RGBA as [`crate::mosaic::paint`] gives it; a
/// pixel is drawn only where all three channels' files are in and have
/// data.
pub fn paint<'a>(
    view: &Viewport,
    palette: &CompositePalette,
    tile: impl Fn(usize, Tile) -> InputTile<'a>,
    rgba: &mut Vec<u8>,
) {
    let (width, height) = view.size();
    rgba.clear();
    rgba.resize(width as usize * height as usize * 4, 0);
    let grid = ScreenGrid::new(view);
    grid.for_each_tile_run(|y, start, tile_id, base, columns| {
        let mut inputs: [Option<TileSamples>; 3] = [None; 3];
        for (i, slot) in inputs.iter_mut().enumerate() {
            match tile(i, tile_id) {
                InputTile::Samples(s) => *slot = Some(s),
                InputTile::NoFile | InputTile::Missing => return,
            }
        }
        let [Some(r), Some(g), Some(b)] = inputs else {
            return;
        };
        let at = (y * grid.width + start) * 4;
        let Some(out) = rgba.get_mut(at..at + columns.len() * 4) else {
            return;
        };
        for (pixel, column) in out.chunks_exact_mut(4).zip(columns) {
            if let Some(c) = column {
                let i = base + *c as usize;
                pixel.copy_from_slice(&palette.rgba([r.get(i), g.get(i), b.get(i)]));
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_in_the_url() {
        let c = Channel::parse("COH:winter_vv_12:0.2:0.9").unwrap();
        assert_eq!(c.variable, Variable::Coh);
        assert_eq!(c.range, (0.2, 0.9));
        assert_eq!(Channel::parse(&c.to_param()), Ok(c));
        let amp = Channel::parse("AMP:summer_vh").unwrap();
        assert_eq!(amp.range, physical::default_range(Variable::Amp));
        for bad in [
            "",
            "COH",
            "NDVI:winter_vv",
            "AMP:winter_vv_12",
            "COH:winter_vv_12:0",
            "COH:winter_vv_12:1:1",
            "COH:winter_vv_12:x:1",
            "COH:winter_vv_12:0:inf",
        ] {
            assert!(Channel::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn each_channel_through_its_own_range() {
        let composite = Composite::presets(Season::Winter, Polarization::Vv)[0].1;
        let palette = CompositePalette::new(&composite);
        // COH 0.5 and 1.0 over 0..1; AMP DN 10000 = −3 dB over −25..0.
        let b = ((22.0f64 / 25.0) * 255.0).round() as u8;
        assert_eq!(palette.rgba([50, 100, 10_000]), [128, 255, b, 255]);
        assert_eq!(palette.rgba([0, 100, 10_000]), [0; 4]);
        assert_eq!(palette.rgba([50, 100, 0]), [0; 4]);
    }

    #[test]
    fn presets_are_of_the_season_and_polarization() {
        for (name, c) in Composite::presets(Season::Fall, Polarization::Hh) {
            assert!(!name.is_empty());
            for ch in c.channels {
                assert!(ch.layer.fits(ch.variable), "{name}");
            }
        }
        let third = Composite::presets(Season::Fall, Polarization::Hh)[2].1;
        assert_eq!(
            third.channels[1].layer,
            Layer::Seasonal(Season::Fall, Polarization::Hv)
        );
    }

    #[test]
    fn painting_needs_all_three_channels() {
        let composite = Composite::presets(Season::Winter, Polarization::Vv)[1].1;
        let palette = CompositePalette::new(&composite);
        let here = Tile::parse("N36W121").unwrap();
        let values: Vec<u8> = (0..1_440_000u32).map(|i| (i % 100 + 1) as u8).collect();
        let view = Viewport::new(35.5, -120.0, 0.01, 200, 100).unwrap();
        let mut rgba = Vec::new();
        paint(
            &view,
            &palette,
            |i, t| match (i, t == here) {
                (_, true) => InputTile::Samples(TileSamples::U8(&values)),
                (2, false) => InputTile::Missing,
                _ => InputTile::Samples(TileSamples::U8(&values)),
            },
            &mut rgba,
        );
        // N36W121 is the left half; the right half's blue is missing.
        for y in [0usize, 50, 99] {
            assert_eq!(rgba[(y * 200 + 20) * 4 + 3], 255);
            assert_eq!(rgba[(y * 200 + 150) * 4 + 3], 0);
        }
        let (lat, lon) = view.screen_to_lat_lon(20.5, 50.5);
        let (_, r, c) = crate::coordinates::GlobalPixel::containing(lat, lon)
            .unwrap()
            .tile_pixel()
            .unwrap();
        let dn = u16::from(values[(r * 1200 + c) as usize]);
        assert_eq!(
            rgba[(50 * 200 + 20) * 4..(50 * 200 + 20) * 4 + 4],
            palette.rgba([dn; 3])
        );
    }
}
