//! What a map's legend says: its title and its key (a colour bar with its
//! ticks, the categories' swatches, or an RGB composite's channels). The
//! page's legend and the PNG of the view both draw it from here, so the
//! two never disagree.

use crate::colormap::{Colormap, Palette, Scale};
use crate::composite::CHANNEL_NAMES;
use crate::physical;
use crate::view_state::ViewState;

/// The legend's key.
#[derive(Debug, Clone, PartialEq)]
pub enum LegendKey {
    /// A colour bar from the range's low end to its high end, and the
    /// labels under its left end, middle and right end (the last with the
    /// unit and the scale).
    Bar {
        colormap: Colormap,
        ticks: [String; 3],
    },
    /// A category's colour and its code and meaning, per category.
    Categories(Vec<([u8; 3], String)>),
    /// An RGB composite's channels: the channel's colour and its layer and
    /// range.
    Channels(Vec<([u8; 3], String)>),
}

/// A map's legend. See the [module docs](self).
#[derive(Debug, Clone, PartialEq)]
pub struct Legend {
    pub title: String,
    pub key: LegendKey,
}

/// A range bound as users type it: short, but exact for those values.
pub fn format_bound(value: f64) -> String {
    let text = format!("{value:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl Legend {
    /// The legend of what `selection` shows.
    pub fn of(selection: &ViewState) -> Legend {
        if let Some(composite) = selection.composite {
            let colours = [[230, 60, 60], [60, 200, 90], [70, 120, 240]];
            return Legend {
                title: "RGB composite".into(),
                key: LegendKey::Channels(
                    composite
                        .channels
                        .iter()
                        .zip(CHANNEL_NAMES)
                        .zip(colours)
                        .map(|((c, name), rgb)| (rgb, format!("{name}: {}", c.label())))
                        .collect(),
                ),
            };
        }
        let variable = selection.variable;
        let layer = selection.layer();
        let colormap = selection.colormap_shown();
        let range = selection.range_shown();
        let title = match selection.derived {
            Some(d) => d.title(variable, layer),
            None => format!("{} — {}", variable.name(), physical::quantity(variable)),
        };
        if selection.derived.is_none()
            && physical::is_categorical(variable)
            && colormap == Colormap::Categories
        {
            let palette = Palette::new(variable, colormap, range);
            let rows = physical::LSMAP_CATEGORIES
                .iter()
                .map(|&(code, _)| {
                    let [r, g, b, _] = palette.rgba(code);
                    (
                        [r, g, b],
                        format!("{code}: {}", physical::format_value(variable, code)),
                    )
                })
                .collect();
            return Legend {
                title,
                key: LegendKey::Categories(rows),
            };
        }
        let unit = match selection.derived {
            Some(d) => d.unit(variable),
            None => physical::unit(variable),
        };
        let scale = selection.scale();
        // The middle tick at the middle of the bar: the geometric mean on
        // a log scale, 0 on a diverging one.
        let mid = match scale {
            Scale::Log if range.0 > 0.0 => (range.0 * range.1).sqrt(),
            Scale::Diverging if range.0 < 0.0 && range.1 > 0.0 => 0.0,
            _ => (range.0 + range.1) / 2.0,
        };
        let scale_note = match scale {
            Scale::Log => " (log scale)",
            _ => "",
        };
        Legend {
            title,
            key: LegendKey::Bar {
                colormap,
                ticks: [
                    format_bound(range.0),
                    format_bound(mid),
                    format!("{} {unit}{scale_note}", format_bound(range.1)),
                ],
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_derived_maps_legend_has_its_unit_and_scale() {
        let (state, _) = ViewState::from_query("var=rho&derive=sigma&t=24");
        let legend = Legend::of(&state);
        assert!(legend.title.starts_with("σ LOS (24 d"), "{}", legend.title);
        match legend.key {
            LegendKey::Bar { ticks, .. } => {
                assert_eq!(ticks[0], "0.1");
                assert_eq!(ticks[2], "100 mm (log scale)");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lsmap_has_its_categories_and_composites_their_channels() {
        let (state, _) = ViewState::from_query("var=lsmap&orbit=64&dir=A");
        match Legend::of(&state).key {
            LegendKey::Categories(rows) => assert_eq!(rows.len(), 4),
            other => panic!("{other:?}"),
        }
        let (state, _) = ViewState::from_query(
            "var=COH&red=COH:winter_vv_12:0:1&green=COH:summer_vv_12:0:1&blue=AMP:winter_vv:-25:0",
        );
        match Legend::of(&state).key {
            LegendKey::Channels(rows) => assert!(rows[2].1.starts_with("blue: AMP winter_vv")),
            other => panic!("{other:?}"),
        }
    }
}
