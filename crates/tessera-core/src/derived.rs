//! Maps the bucket does not store, computed per pixel from layers it does:
//! the coherence the decay model expects after any repeat interval, the
//! line-of-sight deformation error that coherence implies, the difference
//! of two layers of a variable, and a variable's range over the seasons.
//!
//! [`Derived::evaluate`] is the scalar definition (the readout and the
//! pixel card use it, tests hold the fast path to it); [`Evaluator`] is the
//! same arithmetic with the per-DN work in tables, and [`paint`] runs it on
//! the decoded tiles where the view's files already are, one screen pixel
//! at a time: no screen-sized copy of any input is made.

use std::fmt;

use crate::colormap::{Colormap, Scale, ValuePalette};
use crate::dataset::{
    FlightDirection, Layer, Orbit, Polarization, RepeatInterval, Season, Tile, Variable, FILL_VALUE,
};
use crate::mosaic::{ScreenGrid, TileSamples};
use crate::physical;
use crate::viewport::Viewport;

/// Sentinel-1's C-band wavelength, in millimetres.
pub const C_BAND_WAVELENGTH_MM: f64 = 55.465763;
/// The effective number of looks the deformation error assumes unless the
/// URL says otherwise. It belongs to the interferogram a user plans, not to
/// the data set; 20 is a common multilook of Sentinel-1 IW pairs (e.g. 5 by
/// 4 or 20 by 1 in range by azimuth).
pub const DEFAULT_LOOKS: u16 = 20;
/// The repeat interval a derived coherence opens with.
pub const DEFAULT_DAYS: u16 = 12;
/// Most layers one derived map reads per tile.
pub const MAX_INPUTS: usize = 4;

/// A derived map. See the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Derived {
    /// γ(t) = (1 − ρ)·exp(−t/τ) + ρ for `days` (1 to 365), from the
    /// selection's season and polarization.
    Coherence { days: u16 },
    /// σ = λ/(4π) · 1/√(2·N_L) · √((1 − γ²)/γ²) in millimetres, with γ
    /// the modelled γ(days) and N_L = `looks` (Kellndorfer et al. 2022,
    /// Eq. 1).
    DeformationError { days: u16, looks: u16 },
    /// The selection's layer minus `minus`, a layer of the same variable.
    Difference { minus: Layer },
    /// Largest minus smallest value over the seasons with a file, for the
    /// selection's polarization (and repeat interval for COH).
    SeasonalRange,
}

/// The kinds of derived maps, as the URL's `derive` names them.
pub const KINDS: [&str; 4] = ["gamma", "sigma", "difference", "range"];

/// One layer a derived map reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Input {
    pub variable: Variable,
    pub layer: Layer,
}

impl Input {
    /// `VAR:layer`, as the URL's `swipe` and composite channels write a
    /// stored layer (`COH:winter_vv_12`, `AMP:summer_vh`, `inc:64A`).
    pub fn name(&self) -> String {
        format!("{}:{}", self.variable.name(), layer_name(self.layer))
    }

    /// Reads [`Input::name`]'s form.
    pub fn parse(text: &str) -> Option<Input> {
        let (variable, layer) = text.split_once(':')?;
        let variable = Variable::from_name(variable)?;
        Some(Input {
            variable,
            layer: parse_layer_name(variable, layer)?,
        })
    }
}

/// Why a derived map cannot be made from a selection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DerivedError {
    #[error("{0} has no seasons: a seasonal range needs COH, AMP, tau, rho or rmse")]
    NoSeasons(Variable),
    #[error("the layer subtracted ({minus}) is not a layer of {variable}")]
    MinusNotOfVariable { minus: String, variable: Variable },
    #[error("{0} has no layer selected yet")]
    NoLayer(Variable),
}

/// What a derived map reads at one pixel of one input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sample {
    /// The physical value there.
    Value(f64),
    /// The file is there but has no data at the pixel, or could not be
    /// read: the map has no value there either.
    NoData,
    /// The references list no file of this input for the tile.
    NoFile,
}

impl Derived {
    /// The name in the URL's `derive`.
    pub fn kind(&self) -> &'static str {
        match self {
            Derived::Coherence { .. } => "gamma",
            Derived::DeformationError { .. } => "sigma",
            Derived::Difference { .. } => "difference",
            Derived::SeasonalRange => "range",
        }
    }

    /// The variable whose selectors (season, polarization, ...) choose the
    /// inputs: rho for the decay model's maps, the selection's otherwise.
    pub fn variable(&self, selected: Variable) -> Variable {
        match self {
            Derived::Coherence { .. } | Derived::DeformationError { .. } => Variable::Rho,
            _ => selected,
        }
    }

    /// The layers read, given the variable and layer the selection shows
    /// (see [`Derived::variable`]).
    pub fn inputs(
        &self,
        variable: Variable,
        layer: Option<Layer>,
    ) -> Result<Vec<Input>, DerivedError> {
        let layer = layer.ok_or(DerivedError::NoLayer(variable))?;
        let input = |variable, layer| Input { variable, layer };
        Ok(match *self {
            Derived::Coherence { .. } | Derived::DeformationError { .. } => {
                let (season, pol) =
                    season_and_polarization(layer).unwrap_or((Season::Winter, Polarization::Vv));
                vec![
                    input(Variable::Rho, Layer::Seasonal(season, pol)),
                    input(Variable::Tau, Layer::Seasonal(season, pol)),
                ]
            }
            Derived::Difference { minus } => {
                if !minus.fits(variable) {
                    return Err(DerivedError::MinusNotOfVariable {
                        minus: layer_name(minus),
                        variable,
                    });
                }
                vec![input(variable, layer), input(variable, minus)]
            }
            Derived::SeasonalRange => match layer {
                Layer::Coherence(_, pol, interval) => Season::ALL
                    .iter()
                    .map(|&s| input(variable, Layer::Coherence(s, pol, interval)))
                    .collect(),
                Layer::Seasonal(_, pol) => Season::ALL
                    .iter()
                    .map(|&s| input(variable, Layer::Seasonal(s, pol)))
                    .collect(),
                Layer::Orbital(..) => return Err(DerivedError::NoSeasons(variable)),
            },
        })
    }

    /// The map's value from its inputs' samples (in [`Derived::inputs`]'
    /// order); `None` for no data. The definition the fast path is held to.
    pub fn evaluate(&self, samples: &[Sample]) -> Option<f64> {
        self.combine(samples, |tau, days| (-f64::from(days) / tau).exp())
    }

    /// [`Derived::evaluate`] with exp(−t/τ) given by `decay(τ, t)`.
    fn combine(&self, samples: &[Sample], decay: impl Fn(f64, u16) -> f64) -> Option<f64> {
        let value = |i: usize| match samples.get(i) {
            Some(Sample::Value(v)) => Some(*v),
            _ => None,
        };
        match *self {
            Derived::Coherence { days } => {
                let (rho, tau) = (value(0)?, value(1)?);
                Some(modelled_coherence(rho, decay(tau, days)))
            }
            Derived::DeformationError { days, looks } => {
                let (rho, tau) = (value(0)?, value(1)?);
                deformation_error(modelled_coherence(rho, decay(tau, days)), looks)
            }
            Derived::Difference { .. } => Some(value(0)? - value(1)?),
            Derived::SeasonalRange => {
                let mut present = 0;
                let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
                for sample in samples {
                    match *sample {
                        Sample::Value(v) => {
                            present += 1;
                            lo = lo.min(v);
                            hi = hi.max(v);
                        }
                        Sample::NoData => return None,
                        Sample::NoFile => {}
                    }
                }
                (present >= 2).then_some(hi - lo)
            }
        }
    }

    /// What the map shows, for menus, legends and files' metadata
    /// (`layer`: the selection's, which a difference subtracts from).
    pub fn title(&self, variable: Variable, layer: Option<Layer>) -> String {
        match *self {
            Derived::Coherence { days } => {
                format!("γ({days} d): coherence the decay model expects after {days} days")
            }
            Derived::DeformationError { days, looks } => format!(
                "σ LOS ({days} d, N_L {looks}): deformation error from the modelled coherence"
            ),
            Derived::Difference { minus } => {
                let of = layer.map_or_else(|| "selected layer".into(), layer_name);
                format!(
                    "{} difference: {of} − {}",
                    variable.name(),
                    layer_name(minus)
                )
            }
            Derived::SeasonalRange => format!(
                "{} seasonal range: max − min over the seasons",
                variable.name()
            ),
        }
    }

    /// The unit of the values ("" when unitless).
    pub fn unit(&self, variable: Variable) -> &'static str {
        match self {
            Derived::Coherence { .. } => "",
            Derived::DeformationError { .. } => "mm",
            Derived::Difference { .. } | Derived::SeasonalRange => physical::unit(variable),
        }
    }

    /// The colour range a map opens with.
    pub fn default_range(&self, variable: Variable) -> (f64, f64) {
        let (lo, hi) = physical::default_range(variable);
        match self {
            Derived::Coherence { .. } => (0.0, 1.0),
            Derived::DeformationError { .. } => (0.1, 100.0),
            Derived::Difference { .. } => {
                let half = (hi - lo) / 2.0;
                (-half, half)
            }
            Derived::SeasonalRange => (0.0, (hi - lo) / 2.0),
        }
    }

    pub fn default_colormap(&self) -> Colormap {
        match self {
            Derived::Coherence { .. } => Colormap::Viridis,
            Derived::DeformationError { .. } | Derived::SeasonalRange => Colormap::Magma,
            Derived::Difference { .. } => Colormap::RedBlue,
        }
    }

    pub fn scale(&self) -> Scale {
        match self {
            Derived::DeformationError { .. } => Scale::Log,
            Derived::Difference { .. } => Scale::Diverging,
            Derived::Coherence { .. } | Derived::SeasonalRange => Scale::Linear,
        }
    }

    /// A value as the readout shows it, with its unit.
    pub fn format(&self, variable: Variable, value: Option<f64>) -> String {
        let Some(v) = value else {
            return "no data".into();
        };
        let text = match self {
            Derived::Coherence { .. } => format!("{v:.3}"),
            Derived::DeformationError { .. } => format!("{v:.2}"),
            Derived::Difference { .. } | Derived::SeasonalRange => match variable {
                Variable::Coh => format!("{v:.2}"),
                Variable::Amp => format!("{v:.2}"),
                Variable::Inc | Variable::Lsmap => format!("{v:.0}"),
                _ => format!("{v:.3}"),
            },
        };
        match self.unit(variable) {
            "" => text,
            "°" => format!("{text}°"),
            unit => format!("{text} {unit}"),
        }
    }
}

/// γ(t) = (1 − ρ)·exp(−t/τ) + ρ, given exp(−t/τ).
fn modelled_coherence(rho: f64, decay: f64) -> f64 {
    (1.0 - rho) * decay + rho
}

/// Kellndorfer et al. 2022, Eq. 1, in millimetres; `None` where γ is not
/// above 0 (no phase to measure).
pub fn deformation_error(gamma: f64, looks: u16) -> Option<f64> {
    if gamma <= 0.0 || gamma.is_nan() {
        return None;
    }
    Some(error_from(error_factor(looks), gamma))
}

/// σ from γ (above 0) and λ/(4π)/√(2·N_L): Eq. 1's arithmetic, written
/// once so that every path gives the same bits.
fn error_from(factor: f64, gamma: f64) -> f64 {
    let g2 = gamma * gamma;
    factor * ((1.0 - g2).max(0.0) / g2).sqrt()
}

/// λ/(4π) · 1/√(2·N_L), in millimetres.
fn error_factor(looks: u16) -> f64 {
    C_BAND_WAVELENGTH_MM / (4.0 * std::f64::consts::PI) / (2.0 * f64::from(looks)).sqrt()
}

fn season_and_polarization(layer: Layer) -> Option<(Season, Polarization)> {
    match layer {
        Layer::Coherence(s, p, _) | Layer::Seasonal(s, p) => Some((s, p)),
        Layer::Orbital(..) => None,
    }
}

/// A layer as the URL and titles write it, in the file names' words:
/// `winter_vv_12` (COH), `winter_vv`, `64A`.
pub fn layer_name(layer: Layer) -> String {
    match layer {
        Layer::Coherence(s, p, i) => format!("{s}_{p}_{}", i.days()),
        Layer::Seasonal(s, p) => format!("{s}_{p}"),
        Layer::Orbital(o, d) => format!("{}{d}", o.number()),
    }
}

/// Reads [`layer_name`]'s form for `variable`.
pub fn parse_layer_name(variable: Variable, text: &str) -> Option<Layer> {
    let parts: Vec<&str> = text.split('_').collect();
    let layer = match parts.as_slice() {
        [s, p, days] => Layer::Coherence(
            Season::from_name(s)?,
            Polarization::from_name(p)?,
            RepeatInterval::from_days(days.parse().ok()?)?,
        ),
        [s, p] => Layer::Seasonal(Season::from_name(s)?, Polarization::from_name(p)?),
        [orbit] => {
            let split = orbit.len().checked_sub(1)?;
            let (number, dir) = (orbit.get(..split)?, orbit.get(split..)?);
            Layer::Orbital(
                Orbit::new(number.parse().ok()?)?,
                FlightDirection::from_name(dir)?,
            )
        }
        _ => return None,
    };
    layer.fits(variable).then_some(layer)
}

impl fmt::Display for Derived {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind())
    }
}

/// A derived map's arithmetic with each input's DN-to-value conversion,
/// and the decay exp(−t/τ), looked up in tables built once: the same
/// numbers as [`Derived::evaluate`], bit for bit.
pub struct Evaluator {
    derived: Derived,
    /// Per input, the physical value of every DN (NaN for no data).
    values: Vec<Vec<f64>>,
    /// exp(−t/τ) per tau DN, for the decay model's maps.
    decay: Vec<f64>,
    /// λ/(4π)/√(2·N_L), for the deformation error.
    error_factor: f64,
}

impl Evaluator {
    pub fn new(derived: Derived, inputs: &[Input]) -> Evaluator {
        let table = |variable: Variable| -> Vec<f64> {
            let len = match variable.dtype() {
                crate::DType::U8 => 1 << 8,
                crate::DType::U16 => 1 << 16,
            };
            (0..len)
                .map(|dn| physical::value(variable, dn as u16).unwrap_or(f64::NAN))
                .collect()
        };
        let decay = match derived {
            Derived::Coherence { days } | Derived::DeformationError { days, .. } => {
                table(Variable::Tau)
                    .into_iter()
                    .map(|tau| (-f64::from(days) / tau).exp())
                    .collect()
            }
            _ => Vec::new(),
        };
        let looks = match derived {
            Derived::DeformationError { looks, .. } => looks,
            _ => DEFAULT_LOOKS,
        };
        Evaluator {
            derived,
            values: inputs.iter().map(|i| table(i.variable)).collect(),
            decay,
            error_factor: error_factor(looks),
        }
    }

    /// Inputs read per pixel.
    pub fn inputs(&self) -> usize {
        self.values.len()
    }

    /// The map's value from each input's DN at a pixel (`None`: that
    /// input has no file in the tile).
    pub fn at(&self, dns: &[Option<u16>]) -> Option<f64> {
        let mut columns = [[0u16; 1]; MAX_INPUTS];
        let mut present = [false; MAX_INPUTS];
        for (i, dn) in dns.iter().enumerate().take(MAX_INPUTS) {
            if let Some(dn) = dn {
                columns[i][0] = *dn;
                present[i] = true;
            }
        }
        let mut inputs: [Option<&[u16]>; MAX_INPUTS] = [None; MAX_INPUTS];
        for ((slot, column), present) in inputs.iter_mut().zip(&columns).zip(present) {
            *slot = present.then_some(&column[..]);
        }
        let mut out = [f64::NAN];
        self.run(&inputs[..dns.len().min(MAX_INPUTS)], &mut out);
        (!out[0].is_nan()).then_some(out[0])
    }

    /// The map's values for a run of pixels: `inputs[i]` is input `i`'s
    /// DNs along the run, `None` where the input has no file in the
    /// tile; `out` gets NaN for no data. Each kind's arithmetic is
    /// written out, its ops in the scalar definition's order (so the same
    /// bits), one kind and one loop per run: painting calls this for
    /// every run of every screen row.
    pub fn run(&self, inputs: &[Option<&[u16]>], out: &mut [f64]) {
        let table = |i: usize| self.values.get(i).map_or(&[][..], Vec::as_slice);
        let at = |t: &[f64], dn: u16| t.get(usize::from(dn)).copied().unwrap_or(f64::NAN);
        let both = match (
            inputs.first().copied().flatten(),
            inputs.get(1).copied().flatten(),
        ) {
            (Some(a), Some(b)) => Some((a, b)),
            _ => None,
        };
        match self.derived {
            Derived::Coherence { .. } | Derived::DeformationError { .. } => {
                let Some((rho, tau)) = both else {
                    out.fill(f64::NAN);
                    return;
                };
                let (rhos, decay) = (table(0), &self.decay[..]);
                let error = matches!(self.derived, Derived::DeformationError { .. });
                for ((v, &r), &t) in out.iter_mut().zip(rho).zip(tau) {
                    let gamma = modelled_coherence(at(rhos, r), at(decay, t));
                    *v = if !error {
                        gamma
                    } else if gamma > 0.0 {
                        error_from(self.error_factor, gamma)
                    } else {
                        f64::NAN
                    };
                }
            }
            Derived::Difference { .. } => {
                let Some((a, b)) = both else {
                    out.fill(f64::NAN);
                    return;
                };
                let (ta, tb) = (table(0), table(1));
                for ((v, &x), &y) in out.iter_mut().zip(a).zip(b) {
                    *v = at(ta, x) - at(tb, y);
                }
            }
            Derived::SeasonalRange => {
                let listed: Vec<(&[u16], &[f64])> = inputs
                    .iter()
                    .enumerate()
                    .filter_map(|(i, dns)| Some(((*dns)?, table(i))))
                    .collect();
                if listed.len() < 2 {
                    out.fill(f64::NAN);
                    return;
                }
                for (x, v) in out.iter_mut().enumerate() {
                    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
                    for (dns, t) in &listed {
                        let value = at(t, dns.get(x).copied().unwrap_or(FILL_VALUE));
                        // A season with a file but no data: no range.
                        lo = lo.min(value);
                        hi = hi.max(value);
                        if value.is_nan() {
                            lo = f64::NAN;
                            break;
                        }
                    }
                    *v = hi - lo;
                }
            }
        }
    }
}

/// One input's tile, as [`paint`] sees it.
#[derive(Debug, Clone, Copy)]
pub enum InputTile<'a> {
    /// Decoded.
    Samples(TileSamples<'a>),
    /// The references list no file of the input for the tile.
    NoFile,
    /// Listed but not in: loading, failed, or evicted. The map has no
    /// value there (never a value made from the other inputs alone).
    Missing,
}

/// Calls `f(first screen index, values)` for every run of a screen row
/// over a tile whose inputs are all in (or listed as having no file),
/// with the map's values along it (NaN: no data). The run's DNs are
/// gathered per input first (a row's worth at most, never a screen's).
fn for_each_run<'a>(
    view: &Viewport,
    evaluator: &Evaluator,
    tile: impl Fn(usize, Tile) -> InputTile<'a>,
    mut f: impl FnMut(usize, &[Option<u32>], &[f64]),
) {
    let grid = ScreenGrid::new(view);
    let n = evaluator.inputs().min(MAX_INPUTS);
    let mut gathered: Vec<Vec<u16>> = vec![Vec::new(); n];
    let mut values: Vec<f64> = Vec::new();
    grid.for_each_tile_run(|y, start, tile_id, base, columns| {
        let mut inputs: [Option<TileSamples>; MAX_INPUTS] = [None; MAX_INPUTS];
        for (i, slot) in inputs.iter_mut().enumerate().take(n) {
            match tile(i, tile_id) {
                InputTile::Samples(s) => *slot = Some(s),
                InputTile::NoFile => {}
                InputTile::Missing => return,
            }
        }
        if inputs[..n].iter().all(Option::is_none) {
            return;
        }
        for (dns, samples) in gathered.iter_mut().zip(&inputs) {
            dns.clear();
            if let Some(s) = samples {
                s.gather(base, columns, dns);
            }
        }
        let mut runs: [Option<&[u16]>; MAX_INPUTS] = [None; MAX_INPUTS];
        for ((run, dns), s) in runs.iter_mut().zip(&gathered).zip(&inputs) {
            *run = s.map(|_| dns.as_slice());
        }
        values.clear();
        values.resize(columns.len(), f64::NAN);
        evaluator.run(&runs[..n], &mut values);
        f(y * grid.width + start, columns, &values);
    });
}

/// The derived map's value under each screen pixel of `view`, row-major,
/// NaN for no data (for the histogram, the auto-range and exports).
pub fn values<'a>(
    view: &Viewport,
    evaluator: &Evaluator,
    tile: impl Fn(usize, Tile) -> InputTile<'a>,
) -> Vec<f64> {
    let (width, height) = view.size();
    let mut out = vec![f64::NAN; width as usize * height as usize];
    for_each_run(view, evaluator, tile, |at, columns, values| {
        for ((slot, column), v) in out[at..].iter_mut().zip(columns).zip(values) {
            if column.is_some() {
                *slot = *v;
            }
        }
    });
    out
}

/// A derived map's arithmetic and colours, with what painting works out
/// from them once rather than per frame: σ's colour steps by γ, and a
/// difference of two uint8 layers as the colour of every DN pair.
pub struct DerivedColours {
    evaluator: Evaluator,
    palette: ValuePalette,
    sigma: Option<SigmaSteps>,
    /// The colour of DN pair (x, y) at `x << 8 | y`.
    pairs: Option<Vec<[u8; 4]>>,
}

impl DerivedColours {
    pub fn new(evaluator: Evaluator, palette: ValuePalette) -> DerivedColours {
        let sigma = SigmaSteps::new(&evaluator, &palette);
        let pairs = match evaluator.derived {
            Derived::Difference { .. } if evaluator.values.iter().all(|t| t.len() == 256) => {
                let (a, b) = (&evaluator.values[0], &evaluator.values[1]);
                // The arithmetic of `Evaluator::run`'s difference.
                Some(
                    (0..1usize << 16)
                        .map(|i| palette.rgba(a[i >> 8] - b[i & 0xff]))
                        .collect(),
                )
            }
            _ => None,
        };
        DerivedColours {
            evaluator,
            palette,
            sigma,
            pairs,
        }
    }
}

/// The derived map of `view` in `colours`, RGBA as
/// [`crate::mosaic::paint`] gives it (no data transparent).
pub fn paint<'a>(
    view: &Viewport,
    colours: &DerivedColours,
    tile: impl Fn(usize, Tile) -> InputTile<'a>,
    rgba: &mut Vec<u8>,
) {
    let (width, height) = view.size();
    rgba.clear();
    rgba.resize(width as usize * height as usize * 4, 0);
    let (evaluator, palette) = (&colours.evaluator, &colours.palette);
    // Maps of two inputs: one pass per run, DNs to colour (painting is
    // per frame while the map moves; the general path below makes three).
    let fused = match evaluator.derived {
        Derived::Coherence { .. } | Derived::DeformationError { .. } => true,
        Derived::Difference { .. } => colours.pairs.is_some(),
        Derived::SeasonalRange => {
            paint_ranges(view, evaluator, tile, palette, rgba);
            return;
        }
    };
    if !(fused && evaluator.inputs() == 2) {
        for_each_run(view, evaluator, tile, |at, columns, values| {
            if let Some(out) = rgba.get_mut(at * 4..(at + columns.len()) * 4) {
                palette.paint_run(values, columns, out);
            }
        });
        return;
    }
    let grid = ScreenGrid::new(view);
    let value = |t: &[f64], dn: u16| t.get(usize::from(dn)).copied().unwrap_or(f64::NAN);
    let (rhos, decay) = (&evaluator.values[0][..], &evaluator.decay[..]);
    grid.for_each_tile_run(|y, start, tile_id, base, columns| {
        let (InputTile::Samples(a), InputTile::Samples(b)) = (tile(0, tile_id), tile(1, tile_id))
        else {
            return;
        };
        let at = (y * grid.width + start) * 4;
        let Some(out) = rgba.get_mut(at..at + columns.len() * 4) else {
            return;
        };
        match (evaluator.derived, &colours.sigma, &colours.pairs) {
            (Derived::DeformationError { .. }, Some(sigma), _) => {
                paint_pairs(a, b, base, columns, out, |r, t| {
                    sigma.rgba(modelled_coherence(value(rhos, r), value(decay, t)), palette)
                })
            }
            (Derived::DeformationError { .. }, None, _) => {
                paint_pairs(a, b, base, columns, out, |r, t| {
                    let gamma = modelled_coherence(value(rhos, r), value(decay, t));
                    if gamma > 0.0 {
                        palette.rgba(error_from(evaluator.error_factor, gamma))
                    } else {
                        [0; 4]
                    }
                })
            }
            (Derived::Coherence { .. }, _, _) => paint_pairs(a, b, base, columns, out, |r, t| {
                palette.rgba(modelled_coherence(value(rhos, r), value(decay, t)))
            }),
            (_, _, Some(pairs)) => paint_pairs(a, b, base, columns, out, |x, y| {
                pairs
                    .get(usize::from(x) << 8 | usize::from(y))
                    .copied()
                    .unwrap_or([0; 4])
            }),
            _ => {}
        }
    });
}

/// A seasonal range in one pass per run: its inputs are one variable's
/// seasons, so of one dtype.
fn paint_ranges<'a>(
    view: &Viewport,
    evaluator: &Evaluator,
    tile: impl Fn(usize, Tile) -> InputTile<'a>,
    palette: &ValuePalette,
    rgba: &mut [u8],
) {
    // Every variable's value rises with its DN (AMP's decibels too), so
    // the range is the value of the largest DN less that of the smallest:
    // integer minima and maxima per pixel, two lookups, the same bits as
    // the scalar definition. DN 0 (no data) in any season is the
    // smallest, and makes no value.
    fn run<T: Copy + Into<u16>>(
        seasons: &[&[T]],
        table: &[f64],
        base: usize,
        columns: &[Option<u32>],
        palette: &ValuePalette,
        out: &mut [u8],
    ) {
        for (pixel, column) in out.chunks_exact_mut(4).zip(columns) {
            let Some(c) = column else { continue };
            let i = base + *c as usize;
            let (mut lo, mut hi) = (u16::MAX, 0u16);
            for dns in seasons {
                let dn = dns.get(i).map_or(FILL_VALUE, |&d| d.into());
                lo = lo.min(dn);
                hi = hi.max(dn);
            }
            if lo == FILL_VALUE {
                continue;
            }
            let value = |dn: u16| table.get(usize::from(dn)).copied().unwrap_or(f64::NAN);
            pixel.copy_from_slice(&palette.rgba(value(hi) - value(lo)));
        }
    }
    let grid = ScreenGrid::new(view);
    let n = evaluator.inputs().min(MAX_INPUTS);
    // The seasons are one variable's: one table of values by DN.
    let table = evaluator.values.first().map_or(&[][..], Vec::as_slice);
    grid.for_each_tile_run(|y, start, tile_id, base, columns| {
        let (mut u8s, mut u16s): ([&[u8]; MAX_INPUTS], [&[u16]; MAX_INPUTS]) =
            ([&[]; MAX_INPUTS], [&[]; MAX_INPUTS]);
        let (mut n8, mut n16) = (0, 0);
        for i in 0..n {
            match tile(i, tile_id) {
                InputTile::Samples(TileSamples::U8(v)) => {
                    u8s[n8] = v;
                    n8 += 1;
                }
                InputTile::Samples(TileSamples::U16(v)) => {
                    u16s[n16] = v;
                    n16 += 1;
                }
                InputTile::NoFile => {}
                InputTile::Missing => return,
            }
        }
        let at = (y * grid.width + start) * 4;
        let Some(out) = rgba.get_mut(at..at + columns.len() * 4) else {
            return;
        };
        // Seasons of mixed dtypes cannot be (a variable has one dtype, its
        // .zarray's); they would stay transparent, never a wrong number.
        match (n8, n16) {
            (listed, 0) if listed >= 2 => run(&u8s[..listed], table, base, columns, palette, out),
            (0, listed) if listed >= 2 => run(&u16s[..listed], table, base, columns, palette, out),
            _ => {}
        }
    });
}

/// Colours a run from two tiles' DNs (each dtype pair its own loop).
fn paint_pairs(
    a: TileSamples,
    b: TileSamples,
    base: usize,
    columns: &[Option<u32>],
    out: &mut [u8],
    colour: impl Fn(u16, u16) -> [u8; 4],
) {
    fn run<A: Copy + Into<u16>, B: Copy + Into<u16>>(
        a: &[A],
        b: &[B],
        base: usize,
        columns: &[Option<u32>],
        out: &mut [u8],
        colour: impl Fn(u16, u16) -> [u8; 4],
    ) {
        for (pixel, column) in out.chunks_exact_mut(4).zip(columns) {
            let Some(c) = column else { continue };
            let i = base + *c as usize;
            if let (Some(&x), Some(&y)) = (a.get(i), b.get(i)) {
                pixel.copy_from_slice(&colour(x.into(), y.into()));
            }
        }
    }
    match (a, b) {
        (TileSamples::U8(a), TileSamples::U8(b)) => run(a, b, base, columns, out, colour),
        (TileSamples::U8(a), TileSamples::U16(b)) => run(a, b, base, columns, out, colour),
        (TileSamples::U16(a), TileSamples::U8(b)) => run(a, b, base, columns, out, colour),
        (TileSamples::U16(a), TileSamples::U16(b)) => run(a, b, base, columns, out, colour),
    }
}

/// σ's colour step straight from γ: σ falls as γ rises, so σ ≥ a log
/// bound b exactly where γ ≤ 1/√(1 + (b/k)²) (k = λ/(4π)/√(2·N_L)).
/// Counting those γ bounds (from a guess by γ's 1/4096th) gives the step
/// without σ's division, square root and logarithm per pixel.
struct SigmaSteps {
    /// Decreasing.
    gamma_bounds: Vec<f64>,
    /// The step of γ = k/4096, k = 0..=4096.
    guess: Vec<u16>,
}

impl SigmaSteps {
    fn new(evaluator: &Evaluator, palette: &ValuePalette) -> Option<SigmaSteps> {
        if !matches!(evaluator.derived, Derived::DeformationError { .. }) {
            return None;
        }
        let bounds = palette.log_bounds()?;
        let k = evaluator.error_factor;
        let gamma_bounds: Vec<f64> = bounds
            .iter()
            .map(|b| 1.0 / (1.0 + (b / k) * (b / k)).sqrt())
            .collect();
        let count = |g: f64| gamma_bounds.partition_point(|c| *c >= g) as u16;
        let guess = (0..=4096).map(|k| count(f64::from(k) / 4096.0)).collect();
        Some(SigmaSteps {
            gamma_bounds,
            guess,
        })
    }

    fn rgba(&self, gamma: f64, palette: &ValuePalette) -> [u8; 4] {
        // No phase to measure (γ not above 0), or no data.
        if gamma.is_nan() || gamma <= 0.0 {
            return [0; 4];
        }
        let n = self.gamma_bounds.len();
        let bin = (gamma.min(1.0) * 4096.0) as usize;
        let mut i = self.guess.get(bin).map_or(0, |&g| usize::from(g));
        while i < n && self.gamma_bounds[i] >= gamma {
            i += 1;
        }
        while i > 0 && self.gamma_bounds[i - 1] < gamma {
            i -= 1;
        }
        palette.step_rgba(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rho_tau(rho: u16, tau: u16) -> [Sample; 2] {
        [
            Sample::Value(physical::value(Variable::Rho, rho).unwrap()),
            Sample::Value(physical::value(Variable::Tau, tau).unwrap()),
        ]
    }

    #[test]
    fn the_decay_model() {
        let g = Derived::Coherence { days: 12 };
        // ρ 0.25, τ 12 days: 0.75·e⁻¹ + 0.25.
        let v = g.evaluate(&rho_tau(250, 12_000)).unwrap();
        assert!((v - (0.75 * (-1.0f64).exp() + 0.25)).abs() < 1e-15, "{v}");
        // t → long: ρ; t = 0 would be 1.
        let long = Derived::Coherence { days: 365 }
            .evaluate(&rho_tau(400, 1_000))
            .unwrap();
        assert!((long - 0.4).abs() < 1e-12);
        assert_eq!(g.evaluate(&[Sample::NoData, rho_tau(1, 1)[1]]), None);
        assert_eq!(g.evaluate(&[rho_tau(1, 1)[0], Sample::NoFile]), None);
    }

    #[test]
    fn deformation_error_is_eq_1() {
        // γ = 0.5: √(0.75/0.25) = √3; λ/(4π)/√40.
        let s = deformation_error(0.5, 20).unwrap();
        let expected = 55.465763 / (4.0 * std::f64::consts::PI) / 40f64.sqrt() * 3f64.sqrt();
        assert!((s - expected).abs() < 1e-12, "{s} vs {expected}");
        assert!((expected - 1.2088).abs() < 1e-3);
        assert_eq!(deformation_error(1.0, 20), Some(0.0));
        assert_eq!(deformation_error(0.0, 20), None);
        let d = Derived::DeformationError {
            days: 12,
            looks: 20,
        };
        let v = d.evaluate(&rho_tau(250, 12_000)).unwrap();
        let g = 0.75 * (-1.0f64).exp() + 0.25;
        assert!((v - deformation_error(g, 20).unwrap()).abs() < 1e-15);
    }

    #[test]
    fn differences_and_seasonal_ranges() {
        let d = Derived::Difference {
            minus: Layer::Seasonal(Season::Winter, Polarization::Vv),
        };
        assert_eq!(
            d.evaluate(&[Sample::Value(0.5), Sample::Value(0.75)]),
            Some(-0.25)
        );
        assert_eq!(d.evaluate(&[Sample::Value(0.5), Sample::NoData]), None);
        assert_eq!(d.evaluate(&[Sample::NoFile, Sample::Value(0.5)]), None);
        let r = Derived::SeasonalRange;
        let v = |x| Sample::Value(x);
        assert_eq!(
            r.evaluate(&[v(0.2), v(0.5), Sample::NoFile, v(0.3)]),
            Some(0.3)
        );
        // A season with a file but no data: no value, never a range of
        // the others.
        assert_eq!(r.evaluate(&[v(0.2), Sample::NoData, v(0.9), v(0.3)]), None);
        assert_eq!(
            r.evaluate(&[v(0.2), Sample::NoFile, Sample::NoFile, Sample::NoFile]),
            None
        );
    }

    #[test]
    fn inputs_of_each_kind() {
        let coh = Layer::Coherence(Season::Summer, Polarization::Vh, RepeatInterval::Days24);
        let g = Derived::Coherence { days: 30 };
        assert_eq!(g.variable(Variable::Coh), Variable::Rho);
        let inputs = g
            .inputs(
                Variable::Rho,
                Some(Layer::Seasonal(Season::Summer, Polarization::Vh)),
            )
            .unwrap();
        assert_eq!(inputs[0].variable, Variable::Rho);
        assert_eq!(inputs[1].variable, Variable::Tau);
        let r = Derived::SeasonalRange
            .inputs(Variable::Coh, Some(coh))
            .unwrap();
        assert_eq!(r.len(), 4);
        assert!(r.iter().all(|i| matches!(
            i.layer,
            Layer::Coherence(_, Polarization::Vh, RepeatInterval::Days24)
        )));
        assert_eq!(
            Derived::SeasonalRange.inputs(
                Variable::Inc,
                Some(Layer::Orbital(
                    Orbit::new(64).unwrap(),
                    FlightDirection::Ascending
                ))
            ),
            Err(DerivedError::NoSeasons(Variable::Inc))
        );
        let wrong = Derived::Difference {
            minus: Layer::Seasonal(Season::Winter, Polarization::Vv),
        };
        assert!(wrong.inputs(Variable::Coh, Some(coh)).is_err());
    }

    #[test]
    fn layer_names_round_trip() {
        for variable in Variable::ALL {
            for layer in Layer::all(variable) {
                assert_eq!(parse_layer_name(variable, &layer_name(layer)), Some(layer));
            }
        }
        assert_eq!(
            layer_name(Layer::Coherence(
                Season::Winter,
                Polarization::Vv,
                RepeatInterval::Days12
            )),
            "winter_vv_12"
        );
        assert_eq!(parse_layer_name(Variable::Amp, "winter_vv_12"), None);
        assert_eq!(parse_layer_name(Variable::Inc, "176A"), None);
        assert_eq!(parse_layer_name(Variable::Inc, ""), None);
        assert_eq!(parse_layer_name(Variable::Inc, "A"), None);
        let input = Input {
            variable: Variable::Amp,
            layer: Layer::Seasonal(Season::Summer, Polarization::Vh),
        };
        assert_eq!(input.name(), "AMP:summer_vh");
        assert_eq!(Input::parse(&input.name()), Some(input));
        assert_eq!(Input::parse("AMP:summer_vh_12"), None);
        assert_eq!(Input::parse("summer_vh"), None);
    }

    /// Every screen pixel of a painted γ(t) map is the scalar value of
    /// the input pixels under it, in the palette's colours; a tile with an
    /// input missing stays transparent, never a value of the others.
    #[test]
    fn painting_is_the_scalar_value_under_each_pixel() {
        use crate::coordinates::GlobalPixel;
        use std::collections::HashMap;
        let derived = Derived::Coherence { days: 24 };
        let layer = Layer::Seasonal(Season::Winter, Polarization::Vv);
        let inputs = derived.inputs(Variable::Rho, Some(layer)).unwrap();
        let tiles = ["N36W121", "N36W120", "N35W121", "N35W120"].map(|t| Tile::parse(t).unwrap());
        let data: HashMap<(usize, Tile), Vec<u16>> = tiles
            .iter()
            .enumerate()
            .flat_map(|(n, &t)| {
                (0..2).map(move |i| {
                    let values = (0..1_440_000u32)
                        .map(|p| {
                            ((p * (7 + i as u32) + n as u32 * 13)
                                % (if i == 0 { 1001 } else { 60_000 }))
                                as u16
                        })
                        .collect();
                    ((i, t), values)
                })
            })
            .collect();
        let missing = tiles[3];
        let tile = |i: usize, t: Tile| {
            if t == missing && i == 1 {
                return InputTile::Missing;
            }
            match data.get(&(i, t)) {
                Some(v) => InputTile::Samples(TileSamples::U16(v)),
                None => InputTile::NoFile,
            }
        };
        let view = Viewport::new(35.0, -120.0, 0.004, 300, 260).unwrap();
        let palette = ValuePalette::new(Colormap::Gray, (0.0, 1.0), Scale::Linear);
        let evaluator = Evaluator::new(derived, &inputs);
        let values = values(&view, &evaluator, tile);
        let mut rgba = Vec::new();
        paint(
            &view,
            &DerivedColours::new(evaluator, palette.clone()),
            tile,
            &mut rgba,
        );
        for y in (0..260).step_by(7) {
            for x in (0..300).step_by(5) {
                let (lat, lon) = view.screen_to_lat_lon(x as f64 + 0.5, y as f64 + 0.5);
                let (t, r, c) = GlobalPixel::containing(lat, lon)
                    .unwrap()
                    .tile_pixel()
                    .unwrap();
                let expected = if t == missing || !tiles.contains(&t) {
                    None
                } else {
                    let samples: Vec<Sample> = inputs
                        .iter()
                        .enumerate()
                        .map(|(i, input)| {
                            let dn = data[&(i, t)][(r * 1200 + c) as usize];
                            physical::value(input.variable, dn)
                                .map_or(Sample::NoData, Sample::Value)
                        })
                        .collect();
                    derived.evaluate(&samples)
                };
                let at = (y * 300 + x) as usize;
                assert_eq!(
                    rgba[at * 4..at * 4 + 4],
                    palette.rgba(expected.unwrap_or(f64::NAN)),
                    "({x}, {y})"
                );
                assert_eq!(
                    values[at].to_bits(),
                    expected.unwrap_or(f64::NAN).to_bits(),
                    "({x}, {y})"
                );
            }
        }
    }

    /// Each kind's one-pass painting (γ, σ from γ, a uint8 difference by
    /// its pair table, a seasonal range with a season not listed) gives
    /// the palette's colour of the scalar value at every screen pixel.
    #[test]
    fn every_kind_paints_its_scalar_value() {
        use crate::coordinates::GlobalPixel;
        let here = Tile::parse("N35W118").unwrap();
        let pol = Polarization::Vv;
        let coh = |s| Layer::Coherence(s, pol, RepeatInterval::Days12);
        let kinds = [
            (
                Derived::Coherence { days: 30 },
                Variable::Rho,
                Layer::Seasonal(Season::Fall, pol),
            ),
            (
                Derived::DeformationError { days: 30, looks: 9 },
                Variable::Rho,
                Layer::Seasonal(Season::Fall, pol),
            ),
            (
                Derived::Difference {
                    minus: coh(Season::Winter),
                },
                Variable::Coh,
                coh(Season::Summer),
            ),
            (Derived::SeasonalRange, Variable::Coh, coh(Season::Summer)),
        ];
        let view = Viewport::new(34.5, -117.5, 0.0021, 200, 150).unwrap();
        for (derived, variable, layer) in kinds {
            let inputs = derived.inputs(variable, Some(layer)).unwrap();
            let data: Vec<Vec<u16>> = inputs
                .iter()
                .enumerate()
                .map(|(i, input)| {
                    let top: u32 = if input.variable.dtype() == crate::DType::U8 {
                        101
                    } else {
                        60_000
                    };
                    (0..1_440_000u32)
                        .map(|p| ((p * (13 + 2 * i as u32) + 7 * i as u32) % top) as u16)
                        .collect()
                })
                .collect();
            let bytes: Vec<Vec<u8>> = data
                .iter()
                .map(|v| v.iter().map(|&x| x as u8).collect())
                .collect();
            let tile = |i: usize, t: Tile| {
                // Spring is not listed for the seasonal range.
                if t != here || (derived == Derived::SeasonalRange && i == 1) {
                    return InputTile::NoFile;
                }
                if inputs[i].variable.dtype() == crate::DType::U8 {
                    InputTile::Samples(TileSamples::U8(&bytes[i]))
                } else {
                    InputTile::Samples(TileSamples::U16(&data[i]))
                }
            };
            let palette = ValuePalette::new(
                Colormap::Gray,
                derived.default_range(variable),
                derived.scale(),
            );
            let colours = DerivedColours::new(Evaluator::new(derived, &inputs), palette.clone());
            let mut rgba = Vec::new();
            paint(&view, &colours, tile, &mut rgba);
            for y in (0..150).step_by(3) {
                for x in (0..200).step_by(3) {
                    let (lat, lon) = view.screen_to_lat_lon(x as f64 + 0.5, y as f64 + 0.5);
                    let (t, r, c) = GlobalPixel::containing(lat, lon)
                        .unwrap()
                        .tile_pixel()
                        .unwrap();
                    let expected = if t != here {
                        None
                    } else {
                        let samples: Vec<Sample> = inputs
                            .iter()
                            .enumerate()
                            .map(|(i, input)| match tile(i, t) {
                                InputTile::NoFile => Sample::NoFile,
                                _ => physical::value(
                                    input.variable,
                                    data[i][(r * 1200 + c) as usize],
                                )
                                .map_or(Sample::NoData, Sample::Value),
                            })
                            .collect();
                        derived.evaluate(&samples)
                    };
                    let at = ((y * 200 + x) * 4) as usize;
                    let want = palette.rgba(expected.unwrap_or(f64::NAN));
                    // σ's step from γ may differ only at a hair from a
                    // half step.
                    let near =
                        |a: &[u8], b: &[u8]| a.iter().zip(b).all(|(p, q)| p.abs_diff(*q) <= 1);
                    assert!(
                        rgba[at..at + 4] == want
                            || (matches!(derived, Derived::DeformationError { .. })
                                && near(&rgba[at..at + 4], &want)),
                        "{derived:?} ({x}, {y}): {:?} vs {want:?} of {expected:?}",
                        &rgba[at..at + 4]
                    );
                }
            }
        }
    }

    /// Painting a seasonal range takes the values of the largest and
    /// smallest DN: it needs every seasonal variable's value to rise with
    /// its DN.
    #[test]
    fn seasonal_values_rise_with_the_dn() {
        for variable in [
            Variable::Coh,
            Variable::Amp,
            Variable::Tau,
            Variable::Rho,
            Variable::Rmse,
        ] {
            let top = if variable.dtype() == crate::DType::U8 {
                255u16
            } else {
                u16::MAX
            };
            let mut last = f64::NEG_INFINITY;
            for dn in 1..=top {
                let v = physical::value(variable, dn).unwrap();
                assert!(v > last, "{variable:?} at DN {dn}");
                last = v;
            }
        }
    }

    proptest::proptest! {
        /// The table-driven evaluator gives the scalar definition's
        /// numbers, bit for bit, for every kind and any DNs.
        #[test]
        fn the_fast_path_is_the_scalar_definition(
            kind in 0usize..4,
            days in 1u16..=365,
            looks in 1u16..100,
            dns in proptest::collection::vec(proptest::option::of(0u16..=u16::MAX), 4),
        ) {
            let (derived, variable, layer) = match kind {
                0 => (Derived::Coherence { days }, Variable::Rho, Layer::Seasonal(Season::Fall, Polarization::Vv)),
                1 => (Derived::DeformationError { days, looks }, Variable::Rho, Layer::Seasonal(Season::Fall, Polarization::Vv)),
                2 => (Derived::Difference { minus: Layer::Seasonal(Season::Winter, Polarization::Vh) }, Variable::Amp, Layer::Seasonal(Season::Fall, Polarization::Vv)),
                _ => (Derived::SeasonalRange, Variable::Coh, Layer::Coherence(Season::Fall, Polarization::Vv, RepeatInterval::Days12)),
            };
            let inputs = derived.inputs(variable, Some(layer)).unwrap();
            let dns: Vec<Option<u16>> = dns.iter().take(inputs.len()).enumerate().map(|(i, dn)| {
                // uint8 inputs get uint8 DNs.
                dn.map(|d| if inputs[i].variable.dtype() == crate::DType::U8 { d % 256 } else { d })
            }).collect();
            let samples: Vec<Sample> = dns.iter().zip(&inputs).map(|(dn, input)| match dn {
                None => Sample::NoFile,
                Some(dn) => physical::value(input.variable, *dn).map_or(Sample::NoData, Sample::Value),
            }).collect();
            let fast = Evaluator::new(derived, &inputs).at(&dns);
            let scalar = derived.evaluate(&samples);
            proptest::prop_assert_eq!(fast.map(f64::to_bits), scalar.map(f64::to_bits));
        }
    }
}
