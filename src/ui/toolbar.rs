//! The toolbar: variable, its dimensions, colormap, value range, copy
//! link. Menus offer the values with files in the view; the selected value
//! stays listed even where it has none.

use leptos::ev;
use leptos::prelude::*;
use tessera_core::colormap::Colormap;
use tessera_core::composite::Composite;
use tessera_core::derived::{self, Derived, Input};
use tessera_core::view_state::Swipe;
use tessera_core::{
    physical, FlightDirection, Layer, Orbit, Polarization, RepeatInterval, Season, Variable,
};

use crate::state::url::write_page_url;
use crate::state::AppState;
use crate::ui::{copy_text, format_bound};

/// One `<select>`: (value, label) options and what choosing does.
#[component]
fn Choice(
    id: &'static str,
    label: &'static str,
    options: Signal<Vec<(String, String)>>,
    selected: Signal<String>,
    on_pick: impl Fn(String) + 'static,
) -> impl IntoView {
    view! {
        <label class="choice">
            <span>{label}</span>
            <select
                id=id
                prop:value=move || selected.get()
                on:change=move |e: ev::Event| on_pick(event_target_value(&e))
            >
                {move || {
                    let current = selected.get();
                    options
                        .get()
                        .into_iter()
                        .map(|(value, text)| {
                            let is_selected = value == current;
                            view! { <option value=value selected=is_selected>{text}</option> }
                        })
                        .collect_view()
                }}
            </select>
        </label>
    }
}

/// Options for the values `available` in the view plus the selected one,
/// which is marked when it has no files here.
fn options<T: Copy + PartialEq + Ord>(
    mut available: Vec<T>,
    selected: T,
    value: impl Fn(T) -> String,
    text: impl Fn(T) -> String,
) -> Vec<(String, String)> {
    let missing = !available.contains(&selected);
    if missing {
        available.push(selected);
        available.sort();
    }
    available
        .into_iter()
        .map(|v| {
            let label = if missing && v == selected {
                format!("{} (no files in view)", text(v))
            } else {
                text(v)
            };
            (value(v), label)
        })
        .collect()
}

fn season_label(s: Season) -> String {
    match s {
        Season::Winter => "winter (DJF)",
        Season::Spring => "spring (MAM)",
        Season::Summer => "summer (JJA)",
        Season::Fall => "fall (SON)",
    }
    .to_string()
}

#[component]
pub fn Toolbar() -> impl IntoView {
    let state = expect_context::<AppState>();
    let sel = state.selection;
    let available = Memo::new(move |_| state.report.with(|r| r.available.clone()));
    let variable = Memo::new(move |_| sel.with(|s| s.variable));
    // The variable whose selectors choose the files (rho for γ(t) and σ).
    let shown = Memo::new(move |_| sel.with(|s| s.shown_variable()));
    let derived = Memo::new(move |_| sel.with(|s| s.derived));

    let variables = Signal::derive(move || {
        let listed: Vec<Variable> = state.references.with(|r| {
            r.as_ref()
                .map(|r| r.variables.iter().map(|(v, _)| *v).collect())
                .unwrap_or_default()
        });
        let listed = if listed.is_empty() {
            vec![sel.with_untracked(|s| s.variable)]
        } else {
            listed
        };
        listed
            .into_iter()
            .map(|v| {
                (
                    v.name().to_string(),
                    format!("{} — {}", v.name(), physical::quantity(v)),
                )
            })
            .collect()
    });
    let pick_variable = move |name: String| {
        if let Some(v) = Variable::from_name(&name) {
            sel.update(|s| {
                if s.variable != v {
                    s.variable = v;
                    s.colormap = None;
                    s.range = None;
                    // A derived map the new variable cannot have goes.
                    s.derived = match s.derived {
                        Some(Derived::Difference { minus }) if !minus.fits(v) => {
                            s.layer().map(|l| Derived::Difference {
                                minus: other_season(l),
                            })
                        }
                        Some(Derived::SeasonalRange)
                            if matches!(v, Variable::Inc | Variable::Lsmap) =>
                        {
                            None
                        }
                        d => d,
                    };
                }
            });
        }
    };

    let seasons = Signal::derive(move || {
        let current = sel.with(|s| s.season);
        options(
            available.get().seasons,
            current,
            |s| s.name().into(),
            season_label,
        )
    });
    let polarizations = Signal::derive(move || {
        let current = sel.with(|s| s.polarization);
        options(
            available.get().polarizations,
            current,
            |p| p.name().into(),
            |p| p.name().to_uppercase(),
        )
    });
    let intervals = Signal::derive(move || {
        let current = sel.with(|s| s.interval);
        options(
            available.get().intervals,
            current,
            |i| i.days().to_string(),
            |i| format!("{} days", i.days()),
        )
    });
    let orbits = Signal::derive(move || {
        let mut numbers: Vec<Orbit> = available.get().orbits.iter().map(|(o, _)| *o).collect();
        numbers.dedup();
        match sel.with(|s| s.orbit) {
            Some(current) => options(
                numbers,
                current,
                |o| o.number().to_string(),
                |o| format!("orbit {}", o.number()),
            ),
            None => numbers
                .into_iter()
                .map(|o| (o.number().to_string(), format!("orbit {}", o.number())))
                .collect(),
        }
    });
    let directions = Signal::derive(move || {
        let (orbit, current) = sel.with(|s| (s.orbit, s.direction));
        let here: Vec<FlightDirection> = available
            .get()
            .orbits
            .iter()
            .filter(|(o, _)| Some(*o) == orbit)
            .map(|(_, d)| *d)
            .collect();
        options(
            here,
            current,
            |d| d.name().into(),
            |d| match d {
                FlightDirection::Ascending => "ascending".into(),
                FlightDirection::Descending => "descending".into(),
            },
        )
    });
    let colormaps = Signal::derive(move || {
        Colormap::ALL
            .iter()
            .map(|c| (c.name().to_string(), c.name().to_string()))
            .collect()
    });
    let colormap = Signal::derive(move || sel.with(|s| s.colormap_shown().name().to_string()));
    let range = Memo::new(move |_| sel.with(|s| s.range_shown()));

    let dims = move || {
        let v = shown.get();
        match v {
            Variable::Coh | Variable::Amp | Variable::Rho | Variable::Tau | Variable::Rmse => {
                let season = Signal::derive(move || sel.with(|s| s.season.name().to_string()));
                let pol = Signal::derive(move || sel.with(|s| s.polarization.name().to_string()));
                let days = Signal::derive(move || sel.with(|s| s.interval.days().to_string()));
                view! {
                    <Choice id="season" label="Season" options=seasons selected=season
                        on_pick=move |v: String| if let Some(x) = Season::from_name(&v) { sel.update(|s| s.season = x) }/>
                    <Choice id="polarization" label="Polarization" options=polarizations selected=pol
                        on_pick=move |v: String| if let Some(x) = Polarization::from_name(&v) { sel.update(|s| s.polarization = x) }/>
                    {(v == Variable::Coh).then(|| view! {
                        <Choice id="interval" label="Repeat interval" options=intervals selected=days
                            on_pick=move |v: String| {
                                if let Some(x) = v.parse::<u8>().ok().and_then(RepeatInterval::from_days) {
                                    sel.update(|s| s.interval = x)
                                }
                            }/>
                    })}
                }
                .into_any()
            }
            Variable::Inc | Variable::Lsmap => {
                let orbit = Signal::derive(move || {
                    sel.with(|s| s.orbit.map(|o| o.number().to_string()).unwrap_or_default())
                });
                let dir = Signal::derive(move || sel.with(|s| s.direction.name().to_string()));
                view! {
                    <Choice id="orbit" label="Relative orbit" options=orbits selected=orbit
                        on_pick=move |v: String| {
                            if let Some(o) = v.parse::<u16>().ok().and_then(Orbit::new) {
                                sel.update(|s| s.orbit = Some(o))
                            }
                        }/>
                    <Choice id="direction" label="Flight direction" options=directions selected=dir
                        on_pick=move |v: String| if let Some(x) = FlightDirection::from_name(&v) { sel.update(|s| s.direction = x) }/>
                }
                .into_any()
            }
        }
    };

    let set_range = move |which: usize, text: String| {
        let Ok(value) = text.trim().parse::<f64>() else {
            return;
        };
        if !value.is_finite() {
            return;
        }
        let (min, max) = range.get_untracked();
        let new = if which == 0 {
            (value, max)
        } else {
            (min, value)
        };
        if new.0 != new.1 {
            sel.update(|s| s.range = Some(new));
        }
    };
    let copied = RwSignal::new(false);
    let copy_link = move |_: ev::MouseEvent| {
        let query = sel.with_untracked(|s| s.to_query());
        write_page_url(&query);
        let href = web_sys::window()
            .and_then(|w| w.location().href().ok())
            .unwrap_or_default();
        copy_text(&href, copied);
    };

    view! {
        <header id="toolbar">
            <h1 title="Sentinel-1 global seasonal coherence and backscatter">"Tessera"</h1>
            <Choice id="variable" label="Variable" options=variables
                selected=Signal::derive(move || variable.get().name().to_string())
                on_pick=pick_variable/>
            {dims}
            <DerivedChoice/>
            <CompareChoice/>
            <Choice id="colormap" label="Colours" options=colormaps selected=colormap
                on_pick=move |v: String| if let Some(c) = Colormap::from_name(&v) { sel.update(|s| s.colormap = Some(c)) }/>
            <label class="choice range">
                <span>{move || {
                    let unit = match derived.get() {
                        Some(d) => d.unit(variable.get()),
                        None => physical::unit(variable.get()),
                    };
                    format!("Range ({})", if unit.is_empty() { "value" } else { unit })
                }}</span>
                <span class="range-inputs">
                    <input id="range-min" type="number" step="any" aria-label="minimum"
                        prop:value=move || format_bound(range.get().0)
                        on:change=move |e: ev::Event| set_range(0, event_target_value(&e))/>
                    "–"
                    <input id="range-max" type="number" step="any" aria-label="maximum"
                        prop:value=move || format_bound(range.get().1)
                        on:change=move |e: ev::Event| set_range(1, event_target_value(&e))/>
                    <button id="range-reset" title="Default range" on:click=move |_| sel.update(|s| s.range = None)>"↺"</button>
                </span>
            </label>
            <button id="copy-link" on:click=copy_link>
                {move || if copied.get() { "Link copied" } else { "Copy link" }}
            </button>
        </header>
    }
}

/// The map shown: the stored layer, or one derived from stored layers,
/// with its parameters (repeat interval, looks, the layer subtracted).
#[component]
fn DerivedChoice() -> impl IntoView {
    let state = expect_context::<AppState>();
    let sel = state.selection;
    let derived = Memo::new(move |_| sel.with(|s| s.derived));
    let kinds = Signal::derive(move || {
        let seasonal = !matches!(sel.with(|s| s.variable), Variable::Inc | Variable::Lsmap);
        [
            ("stored", "the stored layer"),
            ("gamma", "γ(t): modelled coherence"),
            ("sigma", "σ LOS: deformation error"),
            ("difference", "difference of two layers"),
            ("range", "seasonal range"),
            ("rgb", "RGB composite"),
        ]
        .into_iter()
        .filter(|(k, _)| *k != "range" || seasonal)
        .map(|(k, label)| (k.to_string(), label.to_string()))
        .collect()
    });
    let composite = Memo::new(move |_| sel.with(|s| s.composite.is_some()));
    let kind = Signal::derive(move || {
        if composite.get() {
            return "rgb".to_string();
        }
        derived.get().map_or("stored", |d| d.kind()).to_string()
    });
    let pick = move |k: String| {
        sel.update(|s| {
            if k == "rgb" {
                if s.composite.is_none() {
                    s.composite = Composite::presets(s.season, s.polarization)
                        .first()
                        .map(|(_, c)| *c);
                }
                return;
            }
            s.composite = None;
            let days = s.derived.and_then(days_of).unwrap_or(derived::DEFAULT_DAYS);
            let new = match k.as_str() {
                "gamma" => Some(Derived::Coherence { days }),
                "sigma" => Some(Derived::DeformationError {
                    days,
                    looks: derived::DEFAULT_LOOKS,
                }),
                // The selected layer minus the same layer in winter (or,
                // in winter, in summer): the seasonal contrast.
                "difference" => s.layer().map(|layer| Derived::Difference {
                    minus: other_season(layer),
                }),
                "range" => Some(Derived::SeasonalRange),
                _ => None,
            };
            if new.map(|d| d.kind()) != s.derived.map(|d| d.kind()) {
                s.derived = new;
                s.colormap = None;
                s.range = None;
            }
        })
    };
    let number = move |id: &'static str,
                       label: &'static str,
                       get: fn(Derived) -> Option<u16>,
                       set: fn(&mut Derived, u16),
                       max: u16| {
        let value = move || {
            derived
                .get()
                .and_then(get)
                .map(|n| n.to_string())
                .unwrap_or_default()
        };
        view! {
            <label class="choice">
                <span>{label}</span>
                <input id=id type="number" min="1" max=max.to_string() step="1" prop:value=value
                    on:change=move |e: ev::Event| {
                        if let Ok(n) = event_target_value(&e).trim().parse::<u16>() {
                            if (1..=max).contains(&n) {
                                sel.update(|s| if let Some(d) = s.derived.as_mut() { set(d, n) });
                            }
                        }
                    }/>
            </label>
        }
    };
    let parameters = move || match derived.get().filter(|_| !composite.get()) {
        Some(Derived::Coherence { .. }) => {
            number("derive-days", "t (days)", days_of, set_days, 365).into_any()
        }
        Some(Derived::DeformationError { .. }) => view! {
            {number("derive-days", "t (days)", days_of, set_days, 365)}
            {number("derive-looks", "Looks N_L", looks_of, set_looks, 10_000)}
        }
        .into_any(),
        Some(Derived::Difference { minus }) => {
            let options = Signal::derive(move || {
                let v = sel.with(|s| s.variable);
                let a = state.report.with(|r| r.available.clone());
                let mut layers = layers_here(v, &a);
                if !layers.contains(&minus) {
                    layers.push(minus);
                }
                layers
                    .into_iter()
                    .map(|l| (derived::layer_name(l), derived::layer_name(l)))
                    .collect()
            });
            view! {
                <Choice id="minus" label="Minus" options=options
                    selected=Signal::derive(move || derived::layer_name(minus))
                    on_pick=move |name: String| {
                        let v = sel.with_untracked(|s| s.variable);
                        if let Some(minus) = derived::parse_layer_name(v, &name) {
                            sel.update(|s| s.derived = Some(Derived::Difference { minus }));
                        }
                    }/>
            }
            .into_any()
        }
        _ => ().into_any(),
    };
    view! {
        <Choice id="derive" label="Map" options=kinds selected=kind on_pick=pick/>
        {parameters}
    }
}

fn days_of(d: Derived) -> Option<u16> {
    match d {
        Derived::Coherence { days } | Derived::DeformationError { days, .. } => Some(days),
        _ => None,
    }
}

fn set_days(d: &mut Derived, n: u16) {
    if let Derived::Coherence { days } | Derived::DeformationError { days, .. } = d {
        *days = n;
    }
}

fn looks_of(d: Derived) -> Option<u16> {
    match d {
        Derived::DeformationError { looks, .. } => Some(looks),
        _ => None,
    }
}

fn set_looks(d: &mut Derived, n: u16) {
    if let Derived::DeformationError { looks, .. } = d {
        *looks = n;
    }
}

/// The layers of `variable` whose dimension values have files in view.
fn layers_here(variable: Variable, a: &tessera_core::view_plan::Available) -> Vec<Layer> {
    Layer::all(variable)
        .into_iter()
        .filter(|l| match *l {
            Layer::Coherence(s, p, i) => {
                a.seasons.contains(&s) && a.polarizations.contains(&p) && a.intervals.contains(&i)
            }
            Layer::Seasonal(s, p) => a.seasons.contains(&s) && a.polarizations.contains(&p),
            Layer::Orbital(o, d) => a.orbits.contains(&(o, d)),
        })
        .collect()
}

/// Compare: off, the four seasons side by side (linked small multiples),
/// or another layer of the variable right of a divider (swipe).
#[component]
fn CompareChoice() -> impl IntoView {
    let state = expect_context::<AppState>();
    let sel = state.selection;
    let options = Signal::derive(move || {
        let (v, current) = sel.with(|s| (s.shown_variable(), s.swipe));
        let a = state.report.with(|r| r.available.clone());
        let mut layers = layers_here(v, &a);
        let mut out = vec![
            ("off".to_string(), "off".to_string()),
            ("seasons".to_string(), "the four seasons".to_string()),
        ];
        if let Some(w) = current {
            if w.variable != v || !layers.contains(&w.layer) {
                out.push((w.to_param(), format!("swipe: {}", w.to_param())));
                layers.retain(|l| *l != w.layer || w.variable != v);
            }
        }
        out.extend(layers.into_iter().map(|layer| {
            let value = Input { variable: v, layer }.name();
            (value.clone(), format!("swipe: {value}"))
        }));
        out
    });
    let selected = Signal::derive(move || {
        sel.with(|s| match s.swipe {
            Some(w) => w.to_param(),
            None if s.multiples => "seasons".to_string(),
            None => "off".to_string(),
        })
    });
    let pick = move |value: String| {
        let parsed = Input::parse(&value).map(|i| (i.variable, i.layer));
        sel.update(|s| {
            s.multiples = value == "seasons";
            s.swipe = parsed.map(|(variable, layer)| Swipe {
                variable,
                layer,
                position: s.swipe.map_or(0.5, |w| w.position),
            })
        });
    };
    view! { <Choice id="compare" label="Compare" options=options selected=selected on_pick=pick/> }
}

/// The same layer in winter, or in summer when it is winter's; an orbital
/// layer itself.
fn other_season(layer: Layer) -> Layer {
    let other = |s: Season| {
        if s == Season::Winter {
            Season::Summer
        } else {
            Season::Winter
        }
    };
    match layer {
        Layer::Coherence(s, p, i) => Layer::Coherence(other(s), p, i),
        Layer::Seasonal(s, p) => Layer::Seasonal(other(s), p),
        orbital => orbital,
    }
}
