//! The decay chart: coherence γ (0–1) against the repeat interval (0–48
//! days) for one polarization, a series of measured points per season,
//! the decay model γ(t) = (1 − ρ)·exp(−t/τ) + ρ from the pixel's own rho
//! and tau drawn as a curve, and a band of ± its rmse. SVG drawn here, no
//! charting library; it scales to the panel's width (320 px and up).

use leptos::prelude::*;
use tessera_core::pixel::PixelCard;
use tessera_core::{Polarization, RepeatInterval, Season};

/// The chart's coordinate system (the SVG's viewBox).
const WIDTH: f64 = 320.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 34.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 30.0;
/// The x axis ends at the longest repeat interval.
const MAX_DAYS: f64 = 48.0;

/// Season colours (Okabe–Ito: told apart with any colour vision).
pub fn season_colour(season: Season) -> &'static str {
    match season {
        Season::Winter => "#56b4e9",
        Season::Spring => "#009e73",
        Season::Summer => "#e69f00",
        Season::Fall => "#cc79a7",
    }
}

fn x(days: f64) -> f64 {
    LEFT + days / MAX_DAYS * (WIDTH - LEFT - RIGHT)
}

fn y(gamma: f64) -> f64 {
    TOP + (1.0 - gamma.clamp(0.0, 1.0)) * (HEIGHT - TOP - BOTTOM)
}

/// Days at which the model's curve is drawn: every day, 0 to 48.
fn curve_days() -> impl Iterator<Item = f64> {
    (0..=MAX_DAYS as u32).map(f64::from)
}

#[component]
pub fn DecayChart(card: PixelCard, polarization: Polarization) -> impl IntoView {
    let mut layers = Vec::new();
    for season in Season::ALL.iter().copied() {
        let colour = season_colour(season);
        let points = card.coherence_series(season, polarization);
        let model = card.model(season, polarization);
        if points.is_empty() && model.is_none() {
            continue;
        }
        if let Some(m) = model {
            if let Some(rmse) = m.rmse {
                // The band: the curve + rmse, back along the curve − rmse.
                let upper =
                    curve_days().map(|d| format!("{:.1},{:.1}", x(d), y(m.coherence(d) + rmse)));
                let lower: Vec<String> = curve_days()
                    .map(|d| format!("{:.1},{:.1}", x(d), y(m.coherence(d) - rmse)))
                    .collect();
                let band = upper
                    .chain(lower.into_iter().rev())
                    .collect::<Vec<_>>()
                    .join(" ");
                layers.push(
                    view! { <polygon class="band" points=band fill=colour fill-opacity="0.18" stroke="none"/> }
                        .into_any(),
                );
            }
            let path = curve_days()
                .enumerate()
                .map(|(i, d)| {
                    let cmd = if i == 0 { 'M' } else { 'L' };
                    format!("{cmd}{:.1},{:.1}", x(d), y(m.coherence(d)))
                })
                .collect::<String>();
            // The model at the data set's intervals, for scripts and tests.
            let at_intervals = RepeatInterval::ALL
                .iter()
                .map(|i| format!("{:.6}", m.coherence(f64::from(i.days()))))
                .collect::<Vec<_>>()
                .join(",");
            layers.push(
                view! {
                    <path class="model" d=path fill="none" stroke=colour stroke-width="1.8"
                        data-season=season.name() data-pol=polarization.name()
                        data-rho=m.rho.to_string() data-tau=m.tau.to_string() data-gamma=at_intervals/>
                }
                .into_any(),
            );
        }
        for (days, gamma) in points {
            let title = format!(
                "{} {}, {days} days: γ = {gamma:.2}",
                season.name(),
                polarization.name()
            );
            layers.push(
                view! {
                    <circle class="measured" cx=format!("{:.1}", x(f64::from(days))) cy=format!("{:.1}", y(gamma)) r="3.2"
                        fill=colour stroke="#14161a" stroke-width="1"
                        data-season=season.name() data-days=days.to_string() data-gamma=gamma.to_string()>
                        <title>{title}</title>
                    </circle>
                }
                .into_any(),
            );
        }
    }
    let x_ticks = RepeatInterval::ALL
        .iter()
        .map(|i| {
            let d = f64::from(i.days());
            view! {
                <line x1=x(d) x2=x(d) y1=HEIGHT - BOTTOM y2=HEIGHT - BOTTOM + 4.0 stroke="currentColor"/>
                <text x=x(d) y=HEIGHT - BOTTOM + 14.0 text-anchor="middle">{i.days().to_string()}</text>
            }
        })
        .collect_view();
    let y_ticks = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        .into_iter()
        .map(|g| {
            view! {
                <line x1=LEFT x2=WIDTH - RIGHT y1=y(g) y2=y(g) stroke="currentColor" stroke-opacity="0.15"/>
                <text x=LEFT - 4.0 y=y(g) + 3.5 text-anchor="end">{format!("{g:.1}")}</text>
            }
        })
        .collect_view();
    let label = format!(
        "Coherence γ against repeat interval, {}: points measured, lines the decay model, bands ± its rmse",
        polarization.name().to_uppercase()
    );
    view! {
        <svg class="decay-chart" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=label
            data-pol=polarization.name()>
            <g class="axes" font-size="10" fill="currentColor">
                {y_ticks}
                {x_ticks}
                <line x1=LEFT x2=WIDTH - RIGHT y1=HEIGHT - BOTTOM y2=HEIGHT - BOTTOM stroke="currentColor"/>
                <line x1=LEFT x2=LEFT y1=TOP y2=HEIGHT - BOTTOM stroke="currentColor"/>
                <text x=(LEFT + WIDTH - RIGHT) / 2.0 y=HEIGHT - 3.0 text-anchor="middle">"repeat interval (days)"</text>
                <text x=LEFT y=TOP - 6.0 text-anchor="middle">"γ"</text>
            </g>
            {layers}
        </svg>
    }
}
