//! Colormaps: stored values of a layer to the colours a mosaic shows.

/// A colormap the app offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Colormap {
    Viridis,
    Magma,
    Gray,
    /// Categorical colours for lsmap's four categories.
    Categories,
    /// Diverging red–white–blue, for differences centred on 0.
    RedBlue,
}

impl Colormap {
    pub const ALL: [Colormap; 5] = [
        Colormap::Viridis,
        Colormap::Magma,
        Colormap::Gray,
        Colormap::Categories,
        Colormap::RedBlue,
    ];

    /// The name in URLs and menus.
    pub fn name(self) -> &'static str {
        match self {
            Colormap::Viridis => "viridis",
            Colormap::Magma => "magma",
            Colormap::Gray => "gray",
            Colormap::Categories => "lsmap",
            Colormap::RedBlue => "rdbu",
        }
    }

    pub fn from_name(name: &str) -> Option<Colormap> {
        Colormap::ALL.into_iter().find(|c| c.name() == name)
    }
}

use crate::dataset::{Variable, FILL_VALUE};
use crate::physical;

/// lsmap's categories in their own colours: plain terrain neutral, the
/// radar geometry problems loud and distinct.
const LSMAP_COLOURS: [(u16, [u8; 3]); 4] = [
    (1, [200, 200, 190]),  // no layover or shadow
    (5, [230, 159, 0]),    // layover
    (17, [0, 90, 181]),    // shadow
    (21, [204, 121, 167]), // shadow in layover
];

impl Colormap {
    /// The colour at `t` in 0..1 (clamped). For [`Colormap::Categories`],
    /// one of ten qualitative colours, stepping along `t`.
    pub fn rgb(self, t: f64) -> [u8; 3] {
        let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
        let c = match self {
            Colormap::Viridis => colorous::VIRIDIS.eval_continuous(t),
            Colormap::Magma => colorous::MAGMA.eval_continuous(t),
            Colormap::RedBlue => colorous::RED_BLUE.eval_continuous(t),
            Colormap::Gray => {
                let v = (t * 255.0).round() as u8;
                return [v, v, v];
            }
            Colormap::Categories => {
                let n = colorous::TABLEAU10.len();
                let i = ((t * n as f64) as usize).min(n - 1);
                colorous::TABLEAU10[i]
            }
        };
        [c.r, c.g, c.b]
    }

    /// The colour of one category code: lsmap's own colours, or for other
    /// variables a qualitative colour per distinct value.
    fn category_rgb(variable: Variable, dn: u16) -> [u8; 3] {
        if physical::is_categorical(variable) {
            if let Some((_, rgb)) = LSMAP_COLOURS.iter().find(|(code, _)| *code == dn) {
                return *rgb;
            }
        }
        let c = colorous::TABLEAU10[usize::from(dn) % colorous::TABLEAU10.len()];
        [c.r, c.g, c.b]
    }
}

/// The colormap a variable opens with: categories for lsmap, viridis for
/// the rest.
pub fn default_for(variable: Variable) -> Colormap {
    if physical::is_categorical(variable) {
        Colormap::Categories
    } else {
        Colormap::Viridis
    }
}

/// The colour of every possible DN of a variable, for one colormap and
/// physical range: drawing a mosaic is then one table lookup per pixel.
pub struct Palette {
    /// RGBA per DN (65536 entries covers uint8 and uint16 variables).
    table: Vec<[u8; 4]>,
}

impl Palette {
    /// Builds the table. No data (DN 0) is transparent; other values map
    /// their physical value's place in `range` to the colormap.
    pub fn new(variable: Variable, colormap: Colormap, range: (f64, f64)) -> Palette {
        let len = match variable.dtype() {
            crate::dataset::DType::U8 => 1 << 8,
            crate::dataset::DType::U16 => 1 << 16,
        };
        let mut table = vec![[0u8; 4]; len];
        for (dn, rgba) in table.iter_mut().enumerate().skip(1) {
            let dn = dn as u16;
            let rgb = if colormap == Colormap::Categories {
                Colormap::category_rgb(variable, dn)
            } else {
                match physical::normalized(variable, dn, range) {
                    Some(t) => colormap.rgb(t),
                    None => continue,
                }
            };
            *rgba = [rgb[0], rgb[1], rgb[2], 255];
        }
        Palette { table }
    }

    /// The colour of one DN: transparent for no data, and for values the
    /// variable's dtype cannot hold.
    pub fn rgba(&self, dn: u16) -> [u8; 4] {
        if dn == FILL_VALUE {
            return [0; 4];
        }
        self.table.get(usize::from(dn)).copied().unwrap_or([0; 4])
    }

    /// Colours `values` into `rgba` (4 bytes per value, as canvas
    /// ImageData wants them); stops at the shorter of the two.
    pub fn paint(&self, values: &[u16], rgba: &mut [u8]) {
        for (dn, out) in values.iter().zip(rgba.chunks_exact_mut(4)) {
            out.copy_from_slice(&self.rgba(*dn));
        }
    }
}

/// How a value's place in a colour range is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    Linear,
    /// Equal ratios take equal steps (errors spanning decades). A range
    /// whose low end is not above 0 starts at a thousandth of its high end.
    Log,
    /// Linear on each side of 0, with 0 in the middle of the colours
    /// whatever the range (differences); linear if the range is all on one
    /// side.
    Diverging,
}

/// Colours of values that are not stored DNs (derived maps): 256 steps of
/// a colormap, as plotting libraries draw them, over a range in physical
/// units. NaN (no data) is transparent.
#[derive(Debug, Clone)]
pub struct ValuePalette {
    table: Vec<[u8; 4]>,
    range: (f64, f64),
    scale: Scale,
    /// The step of a value: `(v − lo)·slope` for linear scales (and each
    /// side of a diverging one), or, on a log scale, the count of
    /// `bounds` at or below it (no logarithm per pixel).
    slope: f64,
    negative_slope: f64,
    bounds: Vec<f64>,
    /// ln of the first bound, and bounds per unit of ln.
    log_scale: (f64, f64),
    /// ln(1 + (m + ½)/1024) for a mantissa's top 10 bits m (log scales).
    ln_table: Vec<f64>,
}

/// ln(v) to about 5·10⁻⁴ for positive finite `v`: the exponent, and the
/// logarithm of the mantissa's top 10 bits from `table`.
fn fast_ln(table: &[f64], v: f64) -> f64 {
    let bits = v.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mantissa = ((bits >> 42) & 0x3ff) as usize;
    exponent as f64 * std::f64::consts::LN_2 + table.get(mantissa).copied().unwrap_or(0.0)
}

/// The step nearest `s` (in steps from the bottom), clamped.
fn step_of(s: f64) -> usize {
    if s.is_nan() {
        return 0;
    }
    // Half up by adding a half and truncating: `f64::round` is a library
    // call per pixel in wasm and on baseline x86-64.
    (s.clamp(0.0, (VALUE_STEPS - 1) as f64) + 0.5) as usize
}

/// Steps of a [`ValuePalette`].
pub const VALUE_STEPS: usize = 256;

impl ValuePalette {
    pub fn new(colormap: Colormap, range: (f64, f64), scale: Scale) -> ValuePalette {
        let table = (0..VALUE_STEPS)
            .map(|i| {
                let [r, g, b] = colormap.rgb(i as f64 / (VALUE_STEPS - 1) as f64);
                [r, g, b, 255]
            })
            .collect();
        let (lo, hi) = range;
        let last = (VALUE_STEPS - 1) as f64;
        let bounds = match scale {
            // The value at each half step: t·255 = j + 0.5.
            Scale::Log => {
                let lo = if lo > 0.0 { lo } else { hi * 1e-3 };
                (0..VALUE_STEPS - 1)
                    .map(|j| (lo.ln() + (j as f64 + 0.5) / last * (hi.ln() - lo.ln())).exp())
                    .collect()
            }
            _ => Vec::new(),
        };
        let diverging = scale == Scale::Diverging && lo < 0.0 && hi > 0.0;
        let log_scale = match (bounds.first(), bounds.last()) {
            (Some(first), Some(end)) if bounds.len() > 1 => (
                first.ln(),
                (bounds.len() - 1) as f64 / (end.ln() - first.ln()),
            ),
            _ => (0.0, 0.0),
        };
        let ln_table = if bounds.is_empty() {
            Vec::new()
        } else {
            (0..1024)
                .map(|m| (1.0 + (f64::from(m) + 0.5) / 1024.0).ln())
                .collect()
        };
        ValuePalette {
            ln_table,
            log_scale,
            table,
            range,
            scale,
            slope: if diverging {
                0.5 * last / hi
            } else {
                last / (hi - lo)
            },
            negative_slope: if diverging { 0.5 * last / -lo } else { 0.0 },
            bounds,
        }
    }

    /// Where `value` falls in the range, 0..1 clamped; `None` for NaN.
    pub fn position(&self, value: f64) -> Option<f64> {
        if value.is_nan() {
            return None;
        }
        let (lo, hi) = self.range;
        let t = match self.scale {
            Scale::Linear => (value - lo) / (hi - lo),
            Scale::Log => {
                let lo = if lo > 0.0 { lo } else { hi * 1e-3 };
                if value <= 0.0 {
                    0.0
                } else {
                    (value.ln() - lo.ln()) / (hi.ln() - lo.ln())
                }
            }
            Scale::Diverging if lo < 0.0 && hi > 0.0 => {
                if value < 0.0 {
                    0.5 * (value - lo) / -lo
                } else {
                    0.5 + 0.5 * value / hi
                }
            }
            Scale::Diverging => (value - lo) / (hi - lo),
        };
        Some(if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) })
    }

    /// A value's step on a log scale: the number of half-step bounds at or
    /// below it. A logarithm from the float's exponent and a table of
    /// its mantissa's top bits guesses within a step; the bounds settle
    /// it (a binary search cost as much as the rest of a pixel).
    fn log_step(&self, value: f64) -> usize {
        if value.is_nan() || value <= self.bounds[0] {
            return 0;
        }
        let last = self.bounds.len();
        // The bounds are evenly spaced in ln: step j + 1 starts at bound j.
        let (ln_first, steps_per_ln) = self.log_scale;
        let guess = 1.0 + (fast_ln(&self.ln_table, value) - ln_first) * steps_per_ln;
        let mut i = if guess.is_nan() {
            0
        } else {
            (guess.clamp(0.0, last as f64) + 0.5) as usize
        };
        while i > 0 && self.bounds[i - 1] > value {
            i -= 1;
        }
        while i < last && self.bounds[i] <= value {
            i += 1;
        }
        i
    }

    /// Colours `values` into `out` (4 bytes each) where `columns` has a
    /// column; NaN stays as `out` has it (transparent).
    pub fn paint_run(&self, values: &[f64], columns: &[Option<u32>], out: &mut [u8]) {
        for ((pixel, &v), column) in out.chunks_exact_mut(4).zip(values).zip(columns) {
            if column.is_some() && !v.is_nan() {
                pixel.copy_from_slice(&self.rgba(v));
            }
        }
    }

    /// The colour of `value`: the step nearest its position (as
    /// [`ValuePalette::position`] gives it, to rounding at half steps).
    pub fn rgba(&self, value: f64) -> [u8; 4] {
        if value.is_nan() {
            return [0; 4];
        }
        let (lo, hi) = self.range;
        // A range of zero width: everything at or above it is the top.
        if lo == hi {
            return self.table[if value >= hi { VALUE_STEPS - 1 } else { 0 }];
        }
        let last = (VALUE_STEPS - 1) as f64;
        match self.scale {
            Scale::Log if !self.bounds.is_empty() => self.table[self.log_step(value)],
            Scale::Diverging if self.negative_slope > 0.0 => {
                let s = if value < 0.0 {
                    (value - lo) * self.negative_slope
                } else {
                    0.5 * last + value * self.slope
                };
                self.table[step_of(s)]
            }
            _ => self.table[step_of((value - lo) * self.slope)],
        }
    }

    /// The colour of step `i` (0 to 255).
    pub fn step_rgba(&self, i: usize) -> [u8; 4] {
        self.table.get(i).copied().unwrap_or([0; 4])
    }

    /// On a log scale, the value at each half step (255 of them,
    /// increasing): a value's step is how many are at or below it.
    pub fn log_bounds(&self) -> Option<&[f64]> {
        (self.scale == Scale::Log && !self.bounds.is_empty()).then_some(&self.bounds[..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The colour is the step nearest the value's position, except
        /// within a hair of a half step (where rounding may go either
        /// way).
        #[test]
        fn value_colours_are_the_nearest_step(
            v in -1e3f64..1e3,
            lo in -100f64..100.0,
            span in 1e-3f64..1e3,
            scale in 0usize..3,
        ) {
            let scale = [Scale::Linear, Scale::Log, Scale::Diverging][scale];
            let (lo, hi) = if scale == Scale::Log { (lo.abs() + 1e-3, lo.abs() + 1e-3 + span) } else { (lo, lo + span) };
            let p = ValuePalette::new(Colormap::Gray, (lo, hi), scale);
            let t = p.position(v).unwrap() * 255.0;
            let near_half = (t - t.floor() - 0.5).abs() < 1e-6;
            let expected = t.round() as u8;
            let got = p.rgba(v)[0];
            proptest::prop_assert!(got == expected || near_half, "{} vs {} (t·255 = {})", got, expected, t);
        }
    }

    proptest::proptest! {
        /// The log scale's fast step is the count of bounds at or below
        /// the value, for values across many decades.
        #[test]
        fn log_steps_count_the_bounds(exp in -12f64..12.0, lo in 1e-3f64..10.0, decades in 0.1f64..8.0) {
            let v = 10f64.powf(exp);
            let p = ValuePalette::new(Colormap::Gray, (lo, lo * 10f64.powf(decades)), Scale::Log);
            proptest::prop_assert_eq!(p.log_step(v), p.bounds.partition_point(|b| *b <= v));
        }
    }

    #[test]
    fn value_palettes_by_scale() {
        let gray = ValuePalette::new(Colormap::Gray, (0.0, 1.0), Scale::Linear);
        assert_eq!(gray.rgba(f64::NAN), [0; 4]);
        assert_eq!(gray.rgba(0.5), [128, 128, 128, 255]);
        assert_eq!(gray.rgba(-3.0), [0, 0, 0, 255]);
        assert_eq!(gray.rgba(0.3), {
            let v = (0.3f64 * 255.0).round() as u8;
            [v, v, v, 255]
        });
        let log = ValuePalette::new(Colormap::Gray, (0.1, 100.0), Scale::Log);
        assert_eq!(log.position(1.0), Some(1.0 / 3.0));
        assert_eq!(log.position(0.0), Some(0.0));
        assert_eq!(log.position(1e6), Some(1.0));
        let div = ValuePalette::new(Colormap::RedBlue, (-0.2, 0.6), Scale::Diverging);
        assert_eq!(div.position(0.0), Some(0.5));
        assert_eq!(div.position(-0.1), Some(0.25));
        assert_eq!(div.position(0.3), Some(0.75));
        // All above 0: linear.
        let div = ValuePalette::new(Colormap::RedBlue, (1.0, 3.0), Scale::Diverging);
        assert_eq!(div.position(2.0), Some(0.5));
    }

    #[test]
    fn names_round_trip() {
        for c in Colormap::ALL {
            assert_eq!(Colormap::from_name(c.name()), Some(c));
        }
        assert_eq!(Colormap::from_name("jet"), None);
    }

    #[test]
    fn ends_of_the_colormaps() {
        assert_eq!(Colormap::Gray.rgb(0.0), [0, 0, 0]);
        assert_eq!(Colormap::Gray.rgb(1.0), [255, 255, 255]);
        assert_eq!(Colormap::Gray.rgb(7.0), [255, 255, 255]);
        assert_eq!(Colormap::Viridis.rgb(0.0), [68, 1, 84]);
        assert_eq!(Colormap::Viridis.rgb(1.0), [253, 231, 37]);
        assert_eq!(Colormap::Magma.rgb(f64::NAN), Colormap::Magma.rgb(0.0));
    }

    #[test]
    fn no_data_is_transparent_and_values_follow_the_range() {
        let p = Palette::new(Variable::Coh, Colormap::Gray, (0.0, 1.0));
        assert_eq!(p.rgba(0), [0, 0, 0, 0]);
        assert_eq!(p.rgba(100), [255, 255, 255, 255]);
        assert_eq!(p.rgba(50), [128, 128, 128, 255]);
        // Beyond uint8: not a COH value, drawn as nothing.
        assert_eq!(p.rgba(300), [0, 0, 0, 0]);
        let narrow = Palette::new(Variable::Coh, Colormap::Gray, (0.5, 1.0));
        assert_eq!(narrow.rgba(40), [0, 0, 0, 255]);
        assert_eq!(narrow.rgba(75), [128, 128, 128, 255]);
    }

    #[test]
    fn amp_is_coloured_in_decibels() {
        let p = Palette::new(Variable::Amp, Colormap::Gray, (-30.0, 5.0));
        // 20·log10(10000) − 83 = −3 dB: (−3 + 30) / 35 of the way.
        let v = ((27.0 / 35.0) * 255.0_f64).round() as u8;
        assert_eq!(p.rgba(10_000), [v, v, v, 255]);
        assert_eq!(p.rgba(65_535)[3], 255);
    }

    #[test]
    fn lsmap_categories_have_distinct_colours() {
        let p = Palette::new(Variable::Lsmap, default_for(Variable::Lsmap), (1.0, 21.0));
        let colours: Vec<[u8; 4]> = [1, 5, 17, 21].iter().map(|&c| p.rgba(c)).collect();
        for (i, a) in colours.iter().enumerate() {
            assert_eq!(a[3], 255);
            for b in &colours[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(p.rgba(0)[3], 0);
    }

    #[test]
    fn paints_row_major_rgba() {
        let p = Palette::new(Variable::Coh, Colormap::Gray, (0.0, 1.0));
        let mut out = [9u8; 12];
        p.paint(&[0, 100, 50], &mut out);
        assert_eq!(out, [0, 0, 0, 0, 255, 255, 255, 255, 128, 128, 128, 255]);
    }
}
