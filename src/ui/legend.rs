//! The legend: the colour bar with its range and unit, or lsmap's
//! categories.

use leptos::ev;
use leptos::prelude::*;
use tessera_core::composite::{Channel, Composite, CHANNEL_NAMES};
use tessera_core::derived::Input;
use tessera_core::legend::LegendKey;
use tessera_core::physical;
use tessera_core::{Layer, Variable};

use crate::data::Session;
use crate::map::stretch::set_auto_range;
use crate::state::AppState;
use crate::ui::format_bound;

/// The colour bar with its range and unit, or lsmap's categories.
#[component]
pub fn Legend() -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        let legend = state.selection.with(tessera_core::legend::Legend::of);
        let title = legend.title;
        match legend.key {
            LegendKey::Channels(_) => view! { <CompositeLegend/> }.into_any(),
            LegendKey::Categories(rows) => {
                let rows = rows
                    .into_iter()
                    .map(|([r, g, b], text)| {
                        let style = format!("background: rgb({r}, {g}, {b})");
                        view! { <li><span class="swatch" style=style></span>{text}</li> }
                    })
                    .collect_view();
                view! {
                    <section id="legend"><h2>{title}</h2><ul class="categories">{rows}</ul></section>
                }
                .into_any()
            }
            LegendKey::Bar { colormap, ticks } => {
                // The bar's colours come from our own colormap, never from input.
                let stops: Vec<String> = (0..=16)
                    .map(|i| {
                        let t = f64::from(i) / 16.0;
                        let [r, g, b] = colormap.rgb(t);
                        format!("rgb({r}, {g}, {b}) {:.1}%", t * 100.0)
                    })
                    .collect();
                let style = format!(
                    "background: linear-gradient(to right, {})",
                    stops.join(", ")
                );
                let [low, mid, high] = ticks;
                view! {
                    <section id="legend">
                        <h2>{title}</h2>
                        <HistogramBars/>
                        <div class="colour-bar" style=style></div>
                        <div class="ticks">
                            <span>{low}</span>
                            <span>{mid}</span>
                            <span>{high}</span>
                        </div>
                        <StretchControls/>
                        <p class="hint">"Transparent: no data (0) or no file."</p>
                    </section>
                }
                .into_any()
            }
        }
    }
}

/// The complete view's histogram, drawn over the colour bar.
#[component]
fn HistogramBars() -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        state.histogram.with(|h| {
            let h = h.as_ref()?;
            let counts = &h.histogram.counts;
            let peak = f64::from(h.histogram.peak().max(1));
            let rects = counts
                .iter()
                .enumerate()
                .map(|(i, &n)| {
                    let height = 20.0 * f64::from(n) / peak;
                    view! { <rect x=i.to_string() y=format!("{:.3}", 20.0 - height) width="0.9" height=format!("{height:.3}")></rect> }
                })
                .collect_view();
            let counts_text = counts
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let view_box = format!("0 0 {} 20", counts.len());
            Some(view! {
                <svg class="histogram" viewBox=view_box preserveAspectRatio="none"
                    role="img" aria-label="Histogram of the view's values over the colour range"
                    data-below=h.histogram.below.to_string() data-above=h.histogram.above.to_string()
                    data-counts=counts_text>
                    {rects}
                </svg>
            })
        })
    }
}

/// What of the view falls outside the range, and the auto-range button.
#[component]
fn StretchControls() -> impl IntoView {
    let state = expect_context::<AppState>();
    let session = expect_context::<Session>();
    let failed = RwSignal::new(false);
    let auto = move |_| failed.set(!set_auto_range(state, session));
    let outside = move || {
        state.histogram.with(|h| {
            let h = &h.as_ref()?.histogram;
            let values = h.in_range() as f64 + f64::from(h.below) + f64::from(h.above);
            let share = |n: u32| {
                if values > 0.0 {
                    100.0 * f64::from(n) / values
                } else {
                    0.0
                }
            };
            Some(view! {
                <p class="hint" id="histogram-outside">{format!(
                    "In view: {:.1} % below the range, {:.1} % above.",
                    share(h.below),
                    share(h.above)
                )}</p>
            })
        })
    };
    view! {
        {outside}
        <button id="auto-range" title="Set the range to the 2nd–98th percentile of the values in view" on:click=auto>
            "Auto range (2–98 %)"
        </button>
        {move || failed.get().then(|| view! { <span class="hint">" no values in view"</span> })}
    }
}

/// An RGB composite's legend, which is also where it is edited: a preset,
/// and per channel its layer and range.
#[component]
fn CompositeLegend() -> impl IntoView {
    let state = expect_context::<AppState>();
    let sel = state.selection;
    let presets = move || {
        let (season, pol) = sel.with(|s| (s.season, s.polarization));
        Composite::presets(season, pol)
    };
    let preset_options = move || {
        let current = sel.with(|s| s.composite);
        let presets = presets();
        let chosen = presets.iter().position(|(_, c)| Some(*c) == current);
        let mut options: Vec<_> = presets
            .iter()
            .enumerate()
            .map(|(i, (name, _))| view! { <option value=i.to_string() selected=chosen == Some(i)>{name.to_string()}</option> })
            .collect();
        if chosen.is_none() {
            options.insert(0, view! { <option value=String::new() selected=true>{"(your own)".to_string()}</option> });
        }
        options
    };
    let pick_preset = move |e: ev::Event| {
        if let Ok(i) = event_target_value(&e).parse::<usize>() {
            if let Some((_, c)) = presets().get(i) {
                let c = *c;
                sel.update(|s| s.composite = Some(c));
            }
        }
    };
    // Every layer a channel can show (the stored quantities).
    let layers: Vec<(Variable, Layer)> = [
        Variable::Coh,
        Variable::Amp,
        Variable::Rho,
        Variable::Tau,
        Variable::Rmse,
    ]
    .into_iter()
    .flat_map(|v| Layer::all(v).into_iter().map(move |l| (v, l)))
    .collect();
    let rows = CHANNEL_NAMES
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let channel = move || sel.with(|s| s.composite.map(|c| c.channels[i]));
            let layers = layers.clone();
            let options = move || {
                let current = channel();
                layers
                    .iter()
                    .map(|&(v, l)| {
                        let value = Input {
                            variable: v,
                            layer: l,
                        }
                        .name();
                        let selected = current.is_some_and(|c| c.variable == v && c.layer == l);
                        let text = value.clone();
                        view! { <option value=value selected=selected>{text}</option> }
                    })
                    .collect_view()
            };
            let set = move |f: &dyn Fn(&mut Channel)| {
                sel.update(|s| {
                    if let Some(c) = s.composite.as_mut() {
                        f(&mut c.channels[i]);
                    }
                })
            };
            let pick_layer = move |e: ev::Event| {
                let text = event_target_value(&e);
                if let Ok(picked) = Channel::parse(&text) {
                    set(&|c: &mut Channel| {
                        // A new variable brings its own default range.
                        if c.variable != picked.variable {
                            c.range = picked.range;
                        }
                        c.variable = picked.variable;
                        c.layer = picked.layer;
                    });
                }
            };
            let set_bound = move |which: usize, text: String| {
                let Ok(v) = text.trim().parse::<f64>() else { return };
                if !v.is_finite() {
                    return;
                }
                set(&|c: &mut Channel| {
                    let mut r = c.range;
                    if which == 0 { r.0 = v } else { r.1 = v }
                    if r.0 != r.1 {
                        c.range = r;
                    }
                });
            };
            let swatch = ["rgb(255, 0, 0)", "rgb(0, 255, 0)", "rgb(0, 96, 255)"][i];
            let unit = move || channel().map(|c| physical::unit(c.variable)).unwrap_or("");
            view! {
                <li class="channel" data-channel=*name>
                    <span class="swatch" style=format!("background: {swatch}")></span>
                    <select id=format!("rgb-{name}-layer") aria-label=format!("{name} layer") on:change=pick_layer>{options}</select>
                    <span class="range-inputs">
                        <input id=format!("rgb-{name}-min") type="number" step="any" aria-label=format!("{name} minimum")
                            prop:value=move || channel().map(|c| format_bound(c.range.0)).unwrap_or_default()
                            on:change=move |e: ev::Event| set_bound(0, event_target_value(&e))/>
                        "–"
                        <input id=format!("rgb-{name}-max") type="number" step="any" aria-label=format!("{name} maximum")
                            prop:value=move || channel().map(|c| format_bound(c.range.1)).unwrap_or_default()
                            on:change=move |e: ev::Event| set_bound(1, event_target_value(&e))/>
                        {unit}
                    </span>
                </li>
            }
        })
        .collect_view();
    view! {
        <section id="legend" class="composite">
            <h2>"RGB composite"</h2>
            <label class="choice">
                <span>"Preset"</span>
                <select id="rgb-preset" on:change=pick_preset>{preset_options}</select>
            </label>
            <ul class="channels">{rows}</ul>
            <p class="hint">"Each channel's range is stretched over 0–255. Transparent: no data in any channel, or a file missing."</p>
        </section>
    }
}
