//! The legend: the colour bar with its range and unit, or lsmap's
//! categories.

use leptos::prelude::*;
use tessera_core::colormap::{Colormap, Palette, Scale};
use tessera_core::physical;

use crate::data::Session;
use crate::map::stretch::set_auto_range;
use crate::state::AppState;
use crate::ui::format_bound;

/// The colour bar with its range and unit, or lsmap's categories.
#[component]
pub fn Legend() -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        let (variable, layer, colormap, range, scale, derived) = state.selection.with(|s| {
            (
                s.variable,
                s.layer(),
                s.colormap_shown(),
                s.range_shown(),
                s.scale(),
                s.derived,
            )
        });
        let title = match derived {
            Some(d) => d.title(variable, layer),
            None => format!("{} — {}", variable.name(), physical::quantity(variable)),
        };
        if derived.is_none()
            && physical::is_categorical(variable)
            && colormap == Colormap::Categories
        {
            let palette = Palette::new(variable, colormap, range);
            let rows = [1u16, 5, 17, 21]
                .into_iter()
                .map(|code| {
                    let [r, g, b, _] = palette.rgba(code);
                    let style = format!("background: rgb({r}, {g}, {b})");
                    let text = format!("{code}: {}", physical::format_value(variable, code));
                    view! { <li><span class="swatch" style=style></span>{text}</li> }
                })
                .collect_view();
            view! {
                <section id="legend"><h2>{title}</h2><ul class="categories">{rows}</ul></section>
            }
            .into_any()
        } else {
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
            let unit = match derived {
                Some(d) => d.unit(variable),
                None => physical::unit(variable),
            };
            // The middle tick at the middle of the bar: the geometric mean
            // on a log scale, 0 on a diverging one.
            let mid = match scale {
                Scale::Log if range.0 > 0.0 => (range.0 * range.1).sqrt(),
                Scale::Diverging if range.0 < 0.0 && range.1 > 0.0 => 0.0,
                _ => (range.0 + range.1) / 2.0,
            };
            let scale_note = match scale {
                Scale::Log => " (log scale)",
                _ => "",
            };
            view! {
                <section id="legend">
                    <h2>{title}</h2>
                    <HistogramBars/>
                    <div class="colour-bar" style=style></div>
                    <div class="ticks">
                        <span>{format_bound(range.0)}</span>
                        <span>{format_bound(mid)}</span>
                        <span>{format!("{} {unit}{scale_note}", format_bound(range.1))}</span>
                    </div>
                    <StretchControls/>
                    <p class="hint">"Transparent: no data (0) or no file."</p>
                </section>
            }
            .into_any()
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
