//! The app's whole selection (references, variable, layer, view, colours,
//! budget) to and from the page URL's query, so that a link restores
//! exactly what its sender saw.
//!
//! Parameters: `refs`, `var`, `season`, `pol`, `days`, `orbit`, `dir`,
//! `lat`, `lon`, `zoom`, `cmap`, `min`, `max`, `budget`, `pin`, `overviews`
//! (a manifest's URL, a URL template with `{layer}` and the like, or
//! `none`; see `overview_view::OverviewSource`), and for a derived map
//! `derive` (`gamma`, `sigma`, `difference`, `range`) with `t` (days),
//! `looks` and `minus` (a layer such as `winter_vv_12`), and for an RGB
//! composite `red`, `green` and `blue` (each `VAR:layer:min:max`), and to
//! compare, `swipe` (`VAR:layer`, shown right of a divider at `divide`, a
//! fraction of the map's width), or `multiples=seasons` (the four
//! seasons of the selection side by side, linked). Reading never
//! fails: a parameter that cannot be used is dropped with a [`Notice`]
//! saying which and why, and the rest still applies.

use std::fmt;

use crate::colormap::{Colormap, Scale};
use crate::composite::{Channel, Composite, CHANNEL_NAMES};
use crate::dataset::{
    Bounds, FlightDirection, Layer, Orbit, Polarization, RepeatInterval, Season, Variable,
};
use crate::derived::{self, Derived};

/// The seed's selection: 36–32.5 N, 121–115 W.
pub const SEED_BOUNDS: Bounds = Bounds {
    south: 32.5,
    north: 36.0,
    west: -121.0,
    east: -115.0,
};

/// Files a view may load at most, unless the URL says otherwise.
pub const DEFAULT_BUDGET: u32 = 64;
/// The most a URL may ask for (each COH file is 1.4 MB decoded).
pub const MAX_BUDGET: u32 = 4096;
/// Zoom limits: degrees per CSS pixel is 2^-zoom. At the least, the
/// whole world (360°) is 180 CSS pixels wide: further out there is nothing
/// more to see.
pub const MIN_ZOOM: f64 = -1.0;
pub const MAX_ZOOM: f64 = 16.0;

/// The map's centre and zoom, as in the URL.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    pub lat: f64,
    pub lon: f64,
    /// Degrees per CSS pixel is 2^-zoom.
    pub zoom: f64,
}

/// Everything the user selected.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewState {
    /// The references' URL as given (absolute or relative to the page).
    pub refs: Option<String>,
    pub variable: Variable,
    pub season: Season,
    pub polarization: Polarization,
    pub interval: RepeatInterval,
    /// inc and lsmap only; `None` until one with files in view is chosen.
    pub orbit: Option<Orbit>,
    pub direction: FlightDirection,
    /// `None`: fit the seed's selection to the canvas.
    pub camera: Option<Camera>,
    /// `None`: the variable's default.
    pub colormap: Option<Colormap>,
    /// Colormap range in physical units; `None`: the variable's default.
    pub range: Option<(f64, f64)>,
    pub budget: u32,
    /// The pinned pixel (latitude, longitude) whose card is open.
    pub pin: Option<(f64, f64)>,
    /// Where the overviews are, as given (`None`: the manifest beside the
    /// references, if any).
    pub overviews: Option<String>,
    /// A map derived from stored layers instead of one of them.
    pub derived: Option<Derived>,
    /// An RGB composite of three stored layers, shown instead of either.
    pub composite: Option<Composite>,
    /// Another stored layer right of a divider, to compare.
    pub swipe: Option<Swipe>,
    /// The four seasons of the selection as linked small multiples.
    pub multiples: bool,
    /// The area an export writes, drawn on the map (`None`: the view's
    /// extent).
    pub area: Option<crate::dataset::Bounds>,
}

/// A stored layer shown right of a divider over the map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Swipe {
    pub variable: Variable,
    pub layer: Layer,
    /// Where the divider is, as a fraction of the map's width (0..1).
    pub position: f64,
}

impl Swipe {
    /// `VAR:layer` as the URL writes it.
    pub fn to_param(&self) -> String {
        derived::Input {
            variable: self.variable,
            layer: self.layer,
        }
        .name()
    }
}

impl Default for ViewState {
    /// The seed's selection: COH, winter, vv, 12 days.
    fn default() -> ViewState {
        ViewState {
            refs: None,
            variable: Variable::Coh,
            season: Season::Winter,
            polarization: Polarization::Vv,
            interval: RepeatInterval::Days12,
            orbit: None,
            direction: FlightDirection::Ascending,
            camera: None,
            colormap: None,
            range: None,
            budget: DEFAULT_BUDGET,
            pin: None,
            overviews: None,
            derived: None,
            composite: None,
            swipe: None,
            multiples: false,
            area: None,
        }
    }
}

/// A URL parameter that was not used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub parameter: String,
    pub value: String,
    pub problem: String,
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values come from whoever wrote the link: shown short.
        let mut value: String = self.value.chars().take(60).collect();
        if value.len() < self.value.len() {
            value.push('…');
        }
        if self.value.is_empty() && self.parameter.contains(',') {
            // About several parameters together.
            return write!(f, "URL parameters {}: {}", self.parameter, self.problem);
        }
        write!(
            f,
            "URL parameter {}={:?}: {}",
            self.parameter, value, self.problem
        )
    }
}

impl ViewState {
    /// The layer the selection shows, `None` for inc/lsmap without an orbit.
    pub fn layer(&self) -> Option<Layer> {
        self.layer_of(self.variable)
    }

    /// The layer of `variable` the selectors choose.
    fn layer_of(&self, variable: Variable) -> Option<Layer> {
        Some(match variable {
            Variable::Coh => Layer::Coherence(self.season, self.polarization, self.interval),
            Variable::Amp | Variable::Tau | Variable::Rmse | Variable::Rho => {
                Layer::Seasonal(self.season, self.polarization)
            }
            Variable::Inc | Variable::Lsmap => Layer::Orbital(self.orbit?, self.direction),
        })
    }

    /// The variable whose files the map shows (for a derived map, the one
    /// whose selectors choose its inputs: rho for γ(t) and σ).
    pub fn shown_variable(&self) -> Variable {
        match self.derived {
            Some(d) => d.variable(self.variable),
            None => self.variable,
        }
    }

    /// The layer of [`ViewState::shown_variable`] the selectors choose.
    pub fn shown_layer(&self) -> Option<Layer> {
        self.layer_of(self.shown_variable())
    }

    /// Whether the map shows the four seasons side by side: asked for,
    /// and the map has seasons (not inc or lsmap, a composite, a
    /// seasonal range or a swipe).
    pub fn shows_multiples(&self) -> bool {
        self.multiples
            && self.composite.is_none()
            && self.swipe.is_none()
            && self.derived != Some(Derived::SeasonalRange)
            && !matches!(self.shown_variable(), Variable::Inc | Variable::Lsmap)
    }

    /// The colormap drawn: the one chosen, or the map's default.
    pub fn colormap_shown(&self) -> Colormap {
        self.colormap.unwrap_or(match self.derived {
            Some(d) => d.default_colormap(),
            None => crate::colormap::default_for(self.variable),
        })
    }

    /// The map's default colour range, in its units.
    pub fn default_range(&self) -> (f64, f64) {
        match self.derived {
            Some(d) => d.default_range(self.variable),
            None => crate::physical::default_range(self.variable),
        }
    }

    /// The colour range drawn: the one chosen, or the map's default.
    pub fn range_shown(&self) -> (f64, f64) {
        self.range.unwrap_or(self.default_range())
    }

    /// How values take their place in the range.
    pub fn scale(&self) -> Scale {
        self.derived.map_or(Scale::Linear, |d| d.scale())
    }

    /// Reads a page URL's query (with or without the leading `?`).
    pub fn from_query(query: &str) -> (ViewState, Vec<Notice>) {
        let mut state = ViewState::default();
        let mut notices = Vec::new();
        let mut camera = (None, None, None);
        let mut range = (None, None);
        // derive, t, looks, minus: combined once the variable is known.
        let mut derive: (Option<String>, Option<u16>, Option<u16>, Option<String>) =
            (None, None, None, None);
        let mut channels: [Option<Channel>; 3] = [None; 3];
        let mut swipe: (Option<String>, Option<f64>) = (None, None);
        let query = query.strip_prefix('?').unwrap_or(query);
        // A set, so that many parameters read in linear time.
        let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let (name, value) = match (decode_component(raw_name), decode_component(raw_value)) {
                (Ok(n), Ok(v)) => (n, v),
                _ => {
                    notices.push(Notice {
                        parameter: raw_name.to_string(),
                        value: raw_value.to_string(),
                        problem: "not valid percent-encoded UTF-8; ignored".into(),
                    });
                    continue;
                }
            };
            let mut notice = |problem: &str| {
                notices.push(Notice {
                    parameter: name.clone(),
                    value: value.clone(),
                    problem: problem.to_string(),
                })
            };
            if seen.contains(&name) {
                notice("given more than once; the last one is used");
            } else {
                seen.insert(name.clone());
            }
            let v = value.as_str();
            match name.as_str() {
                "refs" => {
                    if v.trim().is_empty() {
                        notice("empty; the default references are used");
                    } else {
                        state.refs = Some(v.to_string());
                    }
                }
                "overviews" => {
                    if v.trim().is_empty() {
                        notice("empty; the manifest beside the references is used");
                    } else {
                        state.overviews = Some(v.to_string());
                    }
                }
                "var" => match Variable::from_name(v) {
                    Some(x) => state.variable = x,
                    None => notice("not a variable (COH, AMP, tau, rmse, rho, inc, lsmap)"),
                },
                "season" => match Season::from_name(v) {
                    Some(x) => state.season = x,
                    None => notice("not a season (winter, spring, summer, fall)"),
                },
                "pol" => match Polarization::from_name(v) {
                    Some(x) => state.polarization = x,
                    None => notice("not a polarization (vv, vh, hv, hh)"),
                },
                "days" => match v.parse::<u8>().ok().and_then(RepeatInterval::from_days) {
                    Some(x) => state.interval = x,
                    None => notice("not a repeat interval (6, 12, 18, 24, 36, 48 days)"),
                },
                "orbit" => match v.parse::<u16>().ok().and_then(Orbit::new) {
                    Some(x) => state.orbit = Some(x),
                    None => notice("not a relative orbit (1 to 175)"),
                },
                "dir" => match FlightDirection::from_name(v) {
                    Some(x) => state.direction = x,
                    None => notice("not a flight direction (A, D)"),
                },
                "lat" => camera.0 = clamped(v, -90.0, 90.0, &mut notice),
                "lon" => camera.1 = clamped(v, -180.0, 180.0, &mut notice),
                "zoom" => camera.2 = clamped(v, MIN_ZOOM, MAX_ZOOM, &mut notice),
                "cmap" => match Colormap::from_name(v) {
                    Some(x) => state.colormap = Some(x),
                    None => notice("not a colormap (viridis, magma, gray, lsmap)"),
                },
                "min" => range.0 = clamped(v, -RANGE_LIMIT, RANGE_LIMIT, &mut notice),
                "max" => range.1 = clamped(v, -RANGE_LIMIT, RANGE_LIMIT, &mut notice),
                "pin" => match parse_pin(v) {
                    Ok(pin) => state.pin = Some(pin),
                    Err(e) => notice(&e),
                },
                "area" => match parse_area(v) {
                    Ok(area) => state.area = Some(area),
                    Err(e) => notice(&e),
                },
                "derive" => match derived::KINDS.iter().find(|k| **k == v) {
                    Some(_) => derive.0 = Some(v.to_string()),
                    None => notice("not a derived map (gamma, sigma, difference, range); showing the stored layer"),
                },
                "t" => match v.parse::<u16>() {
                    Ok(t) if (1..=365).contains(&t) => derive.1 = Some(t),
                    _ => notice(&format!("not a repeat interval in days from 1 to 365; using {}", derived::DEFAULT_DAYS)),
                },
                "looks" => match v.parse::<u16>() {
                    Ok(n) if (1..=10_000).contains(&n) => derive.2 = Some(n),
                    _ => notice(&format!("not a number of looks from 1 to 10000; using {}", derived::DEFAULT_LOOKS)),
                },
                "minus" => derive.3 = Some(v.to_string()),
                "multiples" => match v {
                    "seasons" => state.multiples = true,
                    _ => notice("not a kind of small multiples (seasons); ignored"),
                },
                "swipe" => swipe.0 = Some(v.to_string()),
                "divide" => {
                    swipe.1 = number_in(v, 0.0, 1.0).map_err(|e| notice(&e)).ok();
                }
                "red" | "green" | "blue" => match Channel::parse(v) {
                    Ok(c) => {
                        let i = CHANNEL_NAMES.iter().position(|n| *n == name).unwrap_or(0);
                        channels[i] = Some(c);
                    }
                    Err(e) => notice(&format!("{e}; no composite")),
                },
                "budget" => match v.trim().parse::<i64>() {
                    Ok(n) if (1..=i64::from(MAX_BUDGET)).contains(&n) => state.budget = n as u32,
                    Ok(n) => {
                        state.budget = n.clamp(1, i64::from(MAX_BUDGET)) as u32;
                        notice(&format!(
                            "out of range (1 to {MAX_BUDGET} files); using {}",
                            state.budget
                        ));
                    }
                    Err(_) => notice(&format!(
                        "not a number of files from 1 to {MAX_BUDGET}; using {DEFAULT_BUDGET}"
                    )),
                },
                _ => notice("unknown parameter; ignored"),
            }
        }
        match camera {
            (Some(lat), Some(lon), Some(zoom)) => state.camera = Some(Camera { lat, lon, zoom }),
            (None, None, None) => {}
            _ => notices.push(Notice {
                parameter: "lat, lon, zoom".into(),
                value: String::new(),
                problem: "a view needs all three valid; showing the seed's selection".into(),
            }),
        }
        state.derived = derived_of(&state, derive, &mut notices);
        match swipe {
            (Some(text), position) => match derived::Input::parse(&text) {
                Some(derived::Input { variable, layer }) => {
                    state.swipe = Some(Swipe {
                        variable,
                        layer,
                        position: position.unwrap_or(0.5),
                    })
                }
                None => notices.push(Notice {
                    parameter: "swipe".into(),
                    value: text,
                    problem: "not VARIABLE:LAYER (e.g. COH:summer_vv_12); no comparison".into(),
                }),
            },
            (None, Some(p)) => notices.push(Notice {
                parameter: "divide".into(),
                value: p.to_string(),
                problem: "only swipe= uses it; ignored".into(),
            }),
            (None, None) => {}
        }
        match channels {
            [Some(r), Some(g), Some(b)] => {
                state.composite = Some(Composite {
                    channels: [r, g, b],
                })
            }
            [None, None, None] => {}
            _ => notices.push(Notice {
                parameter: "red, green, blue".into(),
                value: String::new(),
                problem: "a composite needs all three channels valid; showing the layer".into(),
            }),
        }
        let default = state.default_range();
        match range {
            (None, None) => {}
            (lo, hi) => {
                let (mut lo, mut hi) = (lo.unwrap_or(default.0), hi.unwrap_or(default.1));
                if lo > hi {
                    notices.push(Notice {
                        parameter: "min, max".into(),
                        value: format!("{lo}, {hi}"),
                        problem: "min above max; swapped".into(),
                    });
                    (lo, hi) = (hi, lo);
                }
                if lo == hi {
                    notices.push(Notice {
                        parameter: "min, max".into(),
                        value: format!("{lo}"),
                        problem: "an empty range; using the default".into(),
                    });
                } else {
                    state.range = Some((lo, hi));
                }
            }
        }
        (state, notices)
    }

    /// The query that [`ViewState::from_query`] reads back into this state
    /// (numbers in Rust's shortest round-trip form, so views restore to the
    /// pixel). Only the parameters the variable uses are written.
    pub fn to_query(&self) -> String {
        let mut out: Vec<(&str, String)> = Vec::new();
        if let Some(refs) = &self.refs {
            out.push(("refs", encode_component(refs)));
        }
        out.push(("var", self.variable.name().into()));
        match self.variable {
            Variable::Coh => {
                out.push(("season", self.season.name().into()));
                out.push(("pol", self.polarization.name().into()));
                out.push(("days", self.interval.days().to_string()));
            }
            Variable::Amp | Variable::Tau | Variable::Rmse | Variable::Rho => {
                out.push(("season", self.season.name().into()));
                out.push(("pol", self.polarization.name().into()));
            }
            Variable::Inc | Variable::Lsmap => {
                if let Some(orbit) = self.orbit {
                    out.push(("orbit", orbit.number().to_string()));
                    out.push(("dir", self.direction.name().into()));
                }
            }
        }
        match self.derived {
            Some(d @ Derived::Coherence { days }) => {
                out.push(("derive", d.kind().into()));
                out.push(("t", days.to_string()));
            }
            Some(d @ Derived::DeformationError { days, looks }) => {
                out.push(("derive", d.kind().into()));
                out.push(("t", days.to_string()));
                out.push(("looks", looks.to_string()));
            }
            Some(d @ Derived::Difference { minus }) => {
                out.push(("derive", d.kind().into()));
                out.push(("minus", derived::layer_name(minus)));
            }
            Some(d @ Derived::SeasonalRange) => out.push(("derive", d.kind().into())),
            None => {}
        }
        if let Some(composite) = &self.composite {
            for (name, channel) in CHANNEL_NAMES.iter().zip(&composite.channels) {
                out.push((name, encode_component(&channel.to_param())));
            }
        }
        if self.multiples {
            out.push(("multiples", "seasons".into()));
        }
        if let Some(swipe) = &self.swipe {
            out.push(("swipe", encode_component(&swipe.to_param())));
            out.push(("divide", swipe.position.to_string()));
        }
        if let Some(c) = self.camera {
            out.push(("lat", c.lat.to_string()));
            out.push(("lon", c.lon.to_string()));
            out.push(("zoom", c.zoom.to_string()));
        }
        if let Some(c) = self.colormap {
            out.push(("cmap", c.name().into()));
        }
        if let Some((lo, hi)) = self.range {
            out.push(("min", lo.to_string()));
            out.push(("max", hi.to_string()));
        }
        if self.budget != DEFAULT_BUDGET {
            out.push(("budget", self.budget.to_string()));
        }
        if let Some((lat, lon)) = self.pin {
            out.push(("pin", format!("{lat},{lon}")));
        }
        if let Some(overviews) = &self.overviews {
            out.push(("overviews", encode_component(overviews)));
        }
        if let Some(a) = self.area {
            out.push((
                "area",
                format!("{},{},{},{}", a.north, a.south, a.west, a.east),
            ));
        }
        out.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// The derived map `derive`, `t`, `looks` and `minus` name, if any: a
/// parameter it does not use, or a map the variable cannot have, is a
/// notice.
fn derived_of(
    state: &ViewState,
    (kind, days, looks, minus): (Option<String>, Option<u16>, Option<u16>, Option<String>),
    notices: &mut Vec<Notice>,
) -> Option<Derived> {
    let mut unused = |parameter: &str, value: String, problem: &str| {
        notices.push(Notice {
            parameter: parameter.into(),
            value,
            problem: problem.into(),
        })
    };
    let kind = kind.as_deref();
    if let (Some(t), false) = (days, matches!(kind, Some("gamma" | "sigma"))) {
        unused(
            "t",
            t.to_string(),
            "only derive=gamma and derive=sigma use it; ignored",
        );
    }
    if let (Some(n), false) = (looks, kind == Some("sigma")) {
        unused("looks", n.to_string(), "only derive=sigma uses it; ignored");
    }
    if let (Some(m), false) = (&minus, kind == Some("difference")) {
        unused(
            "minus",
            m.clone(),
            "only derive=difference uses it; ignored",
        );
    }
    let days = days.unwrap_or(derived::DEFAULT_DAYS);
    let derived = match kind? {
        "gamma" => Derived::Coherence { days },
        "sigma" => Derived::DeformationError {
            days,
            looks: looks.unwrap_or(derived::DEFAULT_LOOKS),
        },
        "difference" => {
            let Some(text) = minus else {
                unused(
                    "derive",
                    "difference".into(),
                    "needs minus=<layer> (e.g. minus=winter_vv_12); showing the stored layer",
                );
                return None;
            };
            match derived::parse_layer_name(state.variable, &text) {
                Some(minus) => Derived::Difference { minus },
                None => {
                    unused("minus", text, &format!("not a layer of {} (e.g. winter_vv_12 for COH, winter_vv for AMP, 64A for inc); showing the stored layer", state.variable.name()));
                    return None;
                }
            }
        }
        _ => Derived::SeasonalRange,
    };
    // A map the variable cannot have (a seasonal range of inc).
    if derived == Derived::SeasonalRange
        && matches!(state.variable, Variable::Inc | Variable::Lsmap)
    {
        let e = derived::DerivedError::NoSeasons(state.variable);
        unused(
            "derive",
            derived.kind().into(),
            &format!("{e}; showing the stored layer"),
        );
        return None;
    }
    Some(derived)
}

/// `LAT,LON` of a pinned pixel, or what is wrong with it.
fn parse_pin(text: &str) -> Result<(f64, f64), String> {
    let Some((lat, lon)) = text.split_once(',') else {
        return Err("not LAT,LON; ignored".into());
    };
    let lat = number_in(lat, -90.0, 90.0).map_err(|e| format!("latitude {e}"))?;
    let lon = number_in(lon, -180.0, 180.0).map_err(|e| format!("longitude {e}"))?;
    Ok((lat, lon))
}

/// `N,S,W,E` in degrees, north above south and west of east.
fn parse_area(text: &str) -> Result<crate::dataset::Bounds, String> {
    let parts: Vec<&str> = text.split(',').collect();
    let [north, south, west, east] = parts.as_slice() else {
        return Err("not NORTH,SOUTH,WEST,EAST; ignored".into());
    };
    let lat = |t: &str| number_in(t, -90.0, 90.0).map_err(|e| format!("latitude {e}"));
    let lon = |t: &str| number_in(t, -180.0, 180.0).map_err(|e| format!("longitude {e}"));
    let area = crate::dataset::Bounds {
        north: lat(north)?,
        south: lat(south)?,
        west: lon(west)?,
        east: lon(east)?,
    };
    if area.north <= area.south || area.east <= area.west {
        return Err("north must be above south and west of east; ignored".into());
    }
    Ok(area)
}

/// The colour range's bounds, in physical units, are within ±this: no
/// variable or derived map comes near it.
const RANGE_LIMIT: f64 = 1e9;

/// A finite number, clamped into `lo..=hi` with a notice when outside it;
/// `None` with a notice when not a number.
fn clamped(text: &str, lo: f64, hi: f64, notice: &mut impl FnMut(&str)) -> Option<f64> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && (lo..=hi).contains(&x) => Some(x),
        Ok(x) if !x.is_nan() => {
            let y = x.clamp(lo, hi);
            notice(&format!("out of range ({lo} to {hi}); using {y}"));
            Some(y)
        }
        _ => {
            notice("not a number; ignored");
            None
        }
    }
}

/// A finite number within `lo..=hi`, or what is wrong with it.
fn number_in(text: &str, lo: f64, hi: f64) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && (lo..=hi).contains(&x) => Ok(x),
        Ok(x) if x.is_finite() => Err(format!("out of range ({lo} to {hi}); ignored")),
        _ => Err("not a number; ignored".into()),
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters and `/:`
/// kept, so that URLs in `refs` stay readable).
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' | b':' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Decodes a query component (`%XX` escapes, `+` as space).
pub fn decode_component(text: &str) -> Result<String, std::string::FromUtf8Error> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    // A lone '%' is kept as written, as browsers do.
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_empty_query_is_the_seed_selection() {
        let (state, notices) = ViewState::from_query("");
        assert_eq!(state, ViewState::default());
        assert!(notices.is_empty());
        assert_eq!(
            state.layer(),
            Some(Layer::Coherence(
                Season::Winter,
                Polarization::Vv,
                RepeatInterval::Days12
            ))
        );
        assert_eq!(state.to_query(), "var=COH&season=winter&pol=vv&days=12");
    }

    #[test]
    fn reads_every_parameter() {
        let (state, notices) = ViewState::from_query(
            "?refs=https%3A%2F%2Fexample.org%2Frefs.json&var=inc&orbit=64&dir=D&lat=34.5&lon=-118.25&zoom=9.5&cmap=magma&min=20&max=45&budget=12&pin=35.91625,-120.91625&overviews=https%3A%2F%2Fh%2Fmosaics%2F%7Blayer%7D.tif",
        );
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(
            state.overviews.as_deref(),
            Some("https://h/mosaics/{layer}.tif")
        );
        let back = ViewState::from_query(&state.to_query()).0;
        assert_eq!(back.overviews, state.overviews);
        assert_eq!(state.refs.as_deref(), Some("https://example.org/refs.json"));
        assert_eq!(state.variable, Variable::Inc);
        assert_eq!(state.orbit, Orbit::new(64));
        assert_eq!(state.direction, FlightDirection::Descending);
        assert_eq!(
            state.camera,
            Some(Camera {
                lat: 34.5,
                lon: -118.25,
                zoom: 9.5
            })
        );
        assert_eq!(state.colormap, Some(Colormap::Magma));
        assert_eq!(state.range, Some((20.0, 45.0)));
        assert_eq!(state.budget, 12);
        assert_eq!(state.pin, Some((35.91625, -120.91625)));
        assert_eq!(ViewState::from_query(&state.to_query()).0, state);
    }

    #[test]
    fn bad_parameters_become_notices_and_the_rest_applies() {
        let (state, notices) = ViewState::from_query(
            "var=COH&season=monsoon&days=7&lat=abc&lon=-118&zoom=8&budget=0&what=1&cmap=jet&orbit=176",
        );
        let named: Vec<&str> = notices.iter().map(|n| n.parameter.as_str()).collect();
        assert_eq!(
            named,
            [
                "season",
                "days",
                "lat",
                "budget",
                "what",
                "cmap",
                "orbit",
                "lat, lon, zoom"
            ]
        );
        assert_eq!(state.season, Season::Winter);
        assert_eq!(state.camera, None);
        // Out of range is clamped, with a notice.
        assert_eq!(state.budget, 1);
        assert!(notices[2].to_string().contains("lat=\"abc\": not a number"));
    }

    #[test]
    fn values_out_of_range_are_clamped_with_a_notice() {
        let (state, notices) =
            ViewState::from_query("zoom=99&lat=95&lon=-200&budget=100000&min=2e12&max=-5");
        let camera = state.camera.unwrap();
        assert_eq!(
            (camera.lat, camera.lon, camera.zoom),
            (90.0, -180.0, MAX_ZOOM)
        );
        assert_eq!(state.budget, MAX_BUDGET);
        // Clamped to ±1e9, then swapped: min above max.
        assert_eq!(state.range, Some((-5.0, 1e9)));
        let named: Vec<&str> = notices.iter().map(|n| n.parameter.as_str()).collect();
        assert_eq!(named, ["zoom", "lat", "lon", "budget", "min", "min, max"]);
        assert!(
            notices[0]
                .problem
                .contains("out of range (-1 to 16); using 16"),
            "{notices:?}"
        );
        // zoom=-2 drew a world 16 times smaller than the canvas.
        let (state, notices) = ViewState::from_query("zoom=-2&lat=0&lon=0");
        assert_eq!(state.camera.unwrap().zoom, MIN_ZOOM);
        assert_eq!(notices.len(), 1);
    }

    #[test]
    fn many_parameters_read_in_linear_time() {
        // 200,000 different parameters: a list of the names seen made
        // this 2·10^10 string comparisons (minutes); a set, a fraction of
        // a second.
        let query = (0..200_000)
            .map(|i| format!("p{i}=1"))
            .collect::<Vec<_>>()
            .join("&");
        let (_, notices) = ViewState::from_query(&query);
        assert_eq!(notices.len(), 200_000);
        for bad in ["pin=35", "pin=95,0", "pin=1,x", "pin=,"] {
            let (state, notices) = ViewState::from_query(bad);
            assert_eq!(state.pin, None, "{bad}");
            assert_eq!(notices.len(), 1, "{bad}: {notices:?}");
            assert_eq!(notices[0].parameter, "pin");
        }
        for bad in [
            "area=1,2,3,4",
            "area=36,32.5,-115,-121",
            "area=95,0,0,1",
            "area=1,0,0",
        ] {
            let (state, notices) = ViewState::from_query(bad);
            assert_eq!(state.area, None, "{bad}");
            assert_eq!(notices[0].parameter, "area", "{bad}");
        }
    }

    #[test]
    fn an_export_area_round_trips() {
        let query = "var=COH&season=winter&pol=vv&days=12&area=36,32.5,-121,-115.25";
        let (state, notices) = ViewState::from_query(query);
        assert!(notices.is_empty(), "{notices:?}");
        let area = state.area.unwrap();
        assert_eq!(
            (area.north, area.south, area.west, area.east),
            (36.0, 32.5, -121.0, -115.25)
        );
        assert_eq!(state.to_query(), query);
    }

    #[test]
    fn derived_maps_in_the_url() {
        let (state, notices) =
            ViewState::from_query("var=COH&season=summer&derive=difference&minus=winter_vv_12");
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(
            state.derived,
            Some(Derived::Difference {
                minus: Layer::Coherence(Season::Winter, Polarization::Vv, RepeatInterval::Days12)
            })
        );
        assert_eq!(state.colormap_shown(), Colormap::RedBlue);
        assert_eq!(state.range_shown(), (-0.5, 0.5));
        assert_eq!(state.scale(), Scale::Diverging);
        let (state, notices) = ViewState::from_query("derive=sigma&t=24&season=fall&pol=vh");
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(
            state.derived,
            Some(Derived::DeformationError {
                days: 24,
                looks: derived::DEFAULT_LOOKS
            })
        );
        assert_eq!(state.shown_variable(), Variable::Rho);
        assert_eq!(
            state.shown_layer(),
            Some(Layer::Seasonal(Season::Fall, Polarization::Vh))
        );
        assert_eq!(
            state.to_query(),
            "var=COH&season=fall&pol=vh&days=12&derive=sigma&t=24&looks=20"
        );
        // Problems are named, and the stored layer shows.
        for (query, parameter) in [
            ("derive=ndvi", "derive"),
            ("derive=gamma&t=0", "t"),
            ("derive=gamma&t=400", "t"),
            ("derive=sigma&looks=0", "looks"),
            ("derive=difference", "derive"),
            ("derive=difference&minus=winter_vv", "minus"),
            ("var=inc&derive=range", "derive"),
            ("t=12", "t"),
            ("minus=winter_vv_12", "minus"),
            ("derive=gamma&looks=4", "looks"),
        ] {
            let (_, notices) = ViewState::from_query(query);
            assert_eq!(notices.len(), 1, "{query}: {notices:?}");
            assert_eq!(notices[0].parameter, parameter, "{query}");
        }
        let (state, _) = ViewState::from_query("derive=gamma&t=0");
        assert_eq!(
            state.derived,
            Some(Derived::Coherence {
                days: derived::DEFAULT_DAYS
            })
        );
        // One-sided ranges fill in from the derived map's default.
        let (state, _) = ViewState::from_query("derive=sigma&min=1");
        assert_eq!(state.range, Some((1.0, 100.0)));
    }

    #[test]
    fn swipes_in_the_url() {
        let (state, notices) = ViewState::from_query("swipe=COH:summer_vv_12&divide=0.25");
        assert!(notices.is_empty(), "{notices:?}");
        let swipe = state.swipe.expect("a swipe");
        assert_eq!(
            swipe.layer,
            Layer::Coherence(Season::Summer, Polarization::Vv, RepeatInterval::Days12)
        );
        assert_eq!(swipe.position, 0.25);
        assert_eq!(
            ViewState::from_query(&state.to_query()).0.swipe,
            Some(swipe)
        );
        assert_eq!(
            ViewState::from_query("swipe=AMP:fall_vh")
                .0
                .swipe
                .map(|s| s.position),
            Some(0.5)
        );
        for (query, parameter) in [
            ("swipe=COH:summer", "swipe"),
            ("divide=0.5", "divide"),
            ("swipe=AMP:fall_vh&divide=2", "divide"),
        ] {
            let (_, notices) = ViewState::from_query(query);
            assert_eq!(notices.len(), 1, "{query}: {notices:?}");
            assert_eq!(notices[0].parameter, parameter, "{query}");
        }
    }

    #[test]
    fn composites_in_the_url() {
        let (state, notices) = ViewState::from_query(
            "red=COH:winter_vv_12:0:1&green=COH:summer_vv_12&blue=AMP:winter_vv:-25:0",
        );
        assert!(notices.is_empty(), "{notices:?}");
        let c = state.composite.expect("a composite");
        assert_eq!(c.channels[2].range, (-25.0, 0.0));
        assert_eq!(
            ViewState::from_query(&state.to_query()).0.composite,
            Some(c)
        );
        let (state, notices) = ViewState::from_query("red=COH:winter_vv_12&green=COH:summer_vv_12");
        assert_eq!(state.composite, None);
        assert_eq!(notices[0].parameter, "red, green, blue");
        let (_, notices) =
            ViewState::from_query("red=COH:winter&green=COH:summer_vv_12&blue=AMP:winter_vv");
        assert_eq!(notices[0].parameter, "red");
        assert!(
            notices[0].problem.contains("not a layer of COH"),
            "{notices:?}"
        );
    }

    #[test]
    fn markup_in_values_is_kept_as_text() {
        let (state, _) = ViewState::from_query("refs=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E");
        assert_eq!(state.refs.as_deref(), Some("<img src=x onerror=alert(1)>"));
        let q = state.to_query();
        assert!(!q.contains('<') && !q.contains(' '), "{q}");
        assert_eq!(ViewState::from_query(&q).0.refs, state.refs);
    }

    #[test]
    fn decodes_leniently() {
        assert_eq!(decode_component("a+b%2Fc").unwrap(), "a b/c");
        assert_eq!(decode_component("100%").unwrap(), "100%");
        assert_eq!(decode_component("%zz").unwrap(), "%zz");
        assert!(decode_component("%FF").is_err());
        let (_, notices) = ViewState::from_query("refs=%FF");
        assert_eq!(notices.len(), 1);
    }

    #[test]
    fn one_sided_and_empty_ranges() {
        let (state, _) = ViewState::from_query("min=0.2");
        assert_eq!(state.range, Some((0.2, 1.0)));
        let (state, notices) = ViewState::from_query("min=0.5&max=0.5");
        assert_eq!(state.range, None);
        assert_eq!(notices.len(), 1);
    }

    fn any_state() -> impl Strategy<Value = ViewState> {
        (
            (
                0usize..7,
                0usize..4,
                0usize..4,
                0usize..6,
                1u16..=175,
                any::<bool>(),
            ),
            (-90.0f64..=90.0, -180.0f64..=180.0, MIN_ZOOM..=MAX_ZOOM),
            (
                proptest::option::of(0usize..4),
                proptest::option::of((-1e3f64..1e3, 1e-3f64..1e3)),
            ),
            (
                1u32..=MAX_BUDGET,
                proptest::option::of("[ -~]{1,40}"),
                proptest::option::of((-90.0f64..=90.0, -180.0f64..=180.0)),
                (0usize..5, 1u16..=365, 1u16..=10_000, 0usize..1000),
                proptest::option::of((0usize..3, 0usize..2, -1e3f64..1e3, 1e-3f64..1e3)),
                proptest::option::of((0usize..1000, 0.0f64..=1.0)),
                any::<bool>(),
            ),
        )
            .prop_map(
                |(
                    (v, s, p, i, o, d),
                    (lat, lon, zoom),
                    (c, r),
                    (budget, refs, pin, (k, days, looks, m), rgb, swipe, multiples),
                )| {
                    let variable = Variable::ALL[v];
                    let orbital = matches!(variable, Variable::Inc | Variable::Lsmap);
                    let refs = refs.filter(|r| !r.trim().is_empty());
                    ViewState {
                        // Any text as an overviews template, too.
                        overviews: refs.clone().map(|r| format!("{r}{{layer}}")),
                        refs,
                        variable,
                        season: Season::ALL[s],
                        polarization: Polarization::ALL[p],
                        interval: RepeatInterval::ALL[i],
                        orbit: if orbital { Orbit::new(o) } else { None },
                        direction: if d && orbital {
                            FlightDirection::Descending
                        } else {
                            FlightDirection::Ascending
                        },
                        camera: Some(Camera { lat, lon, zoom }),
                        colormap: c.map(|c| Colormap::ALL[c]),
                        range: r.map(|(lo, span)| (lo, lo + span)),
                        budget,
                        pin,
                        area: pin.filter(|&(lat, lon)| lat > -89.0 && lon < 179.0).map(
                            |(lat, lon)| crate::dataset::Bounds {
                                north: lat,
                                south: lat - 0.75,
                                west: lon,
                                east: lon + 0.5,
                            },
                        ),
                        derived: match k {
                            1 => Some(Derived::Coherence { days }),
                            2 => Some(Derived::DeformationError { days, looks }),
                            3 => {
                                let layers = Layer::all(variable);
                                Some(Derived::Difference {
                                    minus: layers[m % layers.len()],
                                })
                            }
                            4 if !orbital => Some(Derived::SeasonalRange),
                            _ => None,
                        },
                        multiples,
                        swipe: swipe.map(|(m, position)| {
                            let layers = Layer::all(variable);
                            Swipe {
                                variable,
                                layer: layers[m % layers.len()],
                                position,
                            }
                        }),
                        composite: rgb.map(|(preset, second, lo, span)| {
                            let mut c =
                                Composite::presets(Season::ALL[s], Polarization::ALL[p])[preset].1;
                            c.channels[second].range = (lo, lo + span);
                            c
                        }),
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn the_query_round_trips(state in any_state()) {
            let (back, notices) = ViewState::from_query(&state.to_query());
            prop_assert!(notices.is_empty(), "{:?}", notices);
            // Unused layer values are not written: compare what is shown.
            prop_assert_eq!(back.layer(), state.layer());
            prop_assert_eq!(back.to_query(), state.to_query());
            prop_assert_eq!(back.camera, state.camera);
            prop_assert_eq!(back.range, state.range);
            prop_assert_eq!(back.refs, state.refs);
            prop_assert_eq!(back.pin, state.pin);
            prop_assert_eq!(back.overviews, state.overviews);
            prop_assert_eq!(back.derived, state.derived);
            prop_assert_eq!(back.composite, state.composite);
            prop_assert_eq!(back.swipe, state.swipe);
            prop_assert_eq!(back.multiples, state.multiples);
        }
    }
}
