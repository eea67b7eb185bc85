//! The pinned pixel's card: where it is, coherence against repeat
//! interval with the decay model per polarization (the chart), the same
//! numbers and every other variable as tables in physical units, the
//! files that failed with a retry, and the pixel taken away as CSV or as
//! the xarray code that selects it.

use leptos::ev;
use leptos::prelude::*;
use tessera_core::derived::Sample;
use tessera_core::pixel::{python_snippet, PixelCard, Reading, CARD_VARIABLES};
use tessera_core::{physical, ChunkKey, FileName, Layer, RepeatInterval, Season, Variable};

use crate::data::Session;
use crate::state::report::{PixelReport, RefsLoad};
use crate::state::AppState;
use crate::ui::chart::{season_colour, DecayChart};
use crate::ui::copy_text;

/// What a file says at the pixel, as a table cell: the value in
/// physical units, "no data", "no file", "failed" or "…".
fn cell(card: &PixelCard, variable: Variable, layer: Layer) -> AnyView {
    let Ok(key) = ChunkKey::new(variable, layer, card.place.tile) else {
        return view! { <td class="no-file">"no file"</td> }.into_any();
    };
    let file = FileName(key).to_string();
    match card.reading(&key) {
        None => view! { <td class="no-file" data-file=file>"no file"</td> }.into_any(),
        Some(Reading::Loading) => view! { <td class="loading" data-file=file>"…"</td> }.into_any(),
        Some(Reading::Failed(reason)) => {
            view! { <td class="failed" data-file=file title=reason.clone()>"failed"</td> }
                .into_any()
        }
        Some(Reading::Dn(dn)) => {
            // The column heads carry the units; lsmap's categories are
            // words.
            let text = match variable {
                Variable::Lsmap | Variable::Inc => physical::format_value(variable, *dn),
                _ => physical::format_number(variable, *dn).unwrap_or_else(|| "no data".into()),
            };
            view! { <td data-file=file data-dn=dn.to_string()>{text}</td> }.into_any()
        }
    }
}

fn latitude(lat: f64) -> String {
    format!("{:.5}° {}", lat.abs(), if lat >= 0.0 { 'N' } else { 'S' })
}

fn longitude(lon: f64) -> String {
    format!("{:.5}° {}", lon.abs(), if lon >= 0.0 { 'E' } else { 'W' })
}

#[component]
pub fn PixelCardPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        state
            .pixel
            .get()
            .map(|report| view! { <Card report=report/> })
    }
}

#[component]
fn Card(report: PixelReport) -> impl IntoView {
    let card = report.card;
    let (read, total) = card.progress();
    let status = if report.records_pending {
        "Reading the references' record files for this pixel…".to_string()
    } else if read < total {
        format!("{read} of {total} files read…")
    } else {
        format!("{total} files read")
    };
    // Each part is its own component, its view type erased: one large
    // view of them all made 37 KB of the app's wasm.
    view! {
        <section id="pixel-card" aria-label="The pinned pixel">
            <Place card=card.clone()/>
            <p id="pixel-status" class="hint">{status}</p>
            <DerivedHere card=card.clone()/>
            <Charts card=card.clone()/>
            <CoherenceTable card=card.clone()/>
            <ModelTable card=card.clone()/>
            <OrbitTable card=card.clone()/>
            <Failures card=card.clone()/>
            <TakeAway card=card/>
        </section>
    }
}

#[component]
fn Place(card: PixelCard) -> impl IntoView {
    let state = expect_context::<AppState>();
    let place = card.place;
    view! {
        <div class="card-head">
            <h2>"Pixel"</h2>
            <button id="unpin" title="Unpin (Escape)" aria-label="Unpin" on:click=move |_| state.pin(None)>"×"</button>
        </div>
        <p class="place" data-lat=place.lat.to_string() data-lon=place.lon.to_string()>
            {format!("{}, {}", latitude(place.lat), longitude(place.lon))}<br/>
            {format!("tile {}, row {}, column {}", place.tile, place.row, place.column)}
        </p>
    }
    .into_any()
}

/// The derived map's value at the pixel, beside the files it came from.
#[component]
fn DerivedHere(card: PixelCard) -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        let (derived, variable, layer) = state
            .selection
            .with(|s| (s.derived, s.variable, s.shown_layer()));
        let derived = derived?;
        let inputs = derived.inputs(derived.variable(variable), layer).ok()?;
        let mut samples = Vec::new();
        let rows = inputs
            .iter()
            .map(|input| {
                let key = ChunkKey::new(input.variable, input.layer, card.place.tile).ok();
                let (sample, text) = match key.as_ref().and_then(|k| card.reading(k)) {
                    None => (Sample::NoFile, "no file".to_string()),
                    Some(Reading::Dn(dn)) => (
                        physical::value(input.variable, *dn).map_or(Sample::NoData, Sample::Value),
                        physical::format_value(input.variable, *dn),
                    ),
                    Some(Reading::Loading) => (Sample::NoData, "…".to_string()),
                    Some(Reading::Failed(_)) => (Sample::NoData, "failed".to_string()),
                };
                samples.push(sample);
                let file = key.map(|k| FileName(k).to_string()).unwrap_or_default();
                view! { <li data-file=file.clone()>{format!("{file}: {text}")}</li> }
            })
            .collect_view();
        let value = derived.evaluate(&samples);
        Some(view! {
            <div id="pixel-derived">
                <p><strong>{derived.title(variable, layer)}</strong>": "
                    <span data-number=value.map(|v| v.to_string())>{derived.format(variable, value)}</span></p>
                <ul class="inputs">{rows}</ul>
            </div>
        })
    }
}

#[component]
fn Charts(card: PixelCard) -> impl IntoView {
    let charts = card
        .polarizations()
        .into_iter()
        .map(|p| {
            view! {
                <figure>
                    <figcaption>{p.name().to_uppercase()}</figcaption>
                    <DecayChart card=card.clone() polarization=p/>
                </figure>
            }
            .into_any()
        })
        .collect_view();
    let legend = Season::ALL
        .iter()
        .map(|&s| {
            let style = format!("background: {}", season_colour(s));
            view! { <li><span class="swatch" style=style></span>{s.name()}</li> }
        })
        .collect_view();
    view! {
        {charts}
        <ul class="seasons">{legend}</ul>
        <p class="hint">"Points: coherence γ measured; lines: γ(t) = (1 − ρ)·exp(−t/τ) + ρ from this pixel's ρ and τ; bands: ± its rmse."</p>
    }
    .into_any()
}

/// Season and polarization pairs with files, in the card's order.
fn seasons_by_polarization(card: &PixelCard) -> Vec<(Season, tessera_core::Polarization)> {
    card.polarizations()
        .into_iter()
        .flat_map(|p| Season::ALL.iter().map(move |&s| (s, p)))
        .collect()
}

#[component]
fn CoherenceTable(card: PixelCard) -> impl IntoView {
    let rows = seasons_by_polarization(&card)
        .into_iter()
        .map(|(s, p)| {
            let cells = RepeatInterval::ALL
                .iter()
                .map(|&i| cell(&card, Variable::Coh, Layer::Coherence(s, p, i)))
                .collect_view();
            view! { <tr><th scope="row">{format!("{} {}", s.name(), p.name())}</th>{cells}</tr> }
        })
        .collect_view();
    let heads = RepeatInterval::ALL
        .iter()
        .map(|i| view! { <th scope="col">{i.days().to_string()}</th> })
        .collect_view();
    view! {
        <table id="coherence-table">
            <caption>"Coherence γ by repeat interval (days)"</caption>
            <thead><tr><th></th>{heads}</tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn ModelTable(card: PixelCard) -> impl IntoView {
    let rows = seasons_by_polarization(&card)
        .into_iter()
        .map(|(s, p)| {
            let layer = Layer::Seasonal(s, p);
            let cells = [Variable::Amp, Variable::Rho, Variable::Tau, Variable::Rmse]
                .into_iter()
                .map(|v| cell(&card, v, layer))
                .collect_view();
            view! { <tr><th scope="row">{format!("{} {}", s.name(), p.name())}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <table id="model-table">
            <caption>"Backscatter and the decay model"</caption>
            <thead><tr><th></th><th scope="col">"γ⁰ (dB)"</th><th scope="col">"ρ"</th><th scope="col">"τ (days)"</th><th scope="col">"rmse"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn OrbitTable(card: PixelCard) -> impl IntoView {
    let orbits = card.orbits();
    if orbits.is_empty() {
        return ().into_any();
    }
    let rows = orbits
        .iter()
        .map(|&(o, d)| {
            let layer = Layer::Orbital(o, d);
            let direction = match d {
                tessera_core::FlightDirection::Ascending => "ascending",
                tessera_core::FlightDirection::Descending => "descending",
            };
            let cells = [Variable::Inc, Variable::Lsmap]
                .into_iter()
                .map(|v| cell(&card, v, layer))
                .collect_view();
            view! { <tr><th scope="row">{format!("{} {direction}", o.number())}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <table id="orbit-table">
            <caption>"Incidence angle and layover/shadow by relative orbit"</caption>
            <thead><tr><th></th><th scope="col">"incidence"</th><th scope="col">"layover/shadow"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

/// Files that failed, with their reasons and a retry.
#[component]
fn Failures(card: PixelCard) -> impl IntoView {
    let session = expect_context::<Session>();
    let failed: Vec<(ChunkKey, String, String)> = card
        .files
        .iter()
        .filter_map(|(k, (url, r))| match r {
            Reading::Failed(reason) => Some((*k, url.clone(), reason.clone())),
            _ => None,
        })
        .collect();
    if failed.is_empty() {
        return ().into_any();
    }
    let keys: Vec<ChunkKey> = failed.iter().map(|(k, _, _)| *k).collect();
    let items = failed
        .into_iter()
        .map(|(key, url, reason)| {
            view! {
                <li class="failure">
                    <span class="key">{FileName(key).to_string()}</span>
                    <span class="url">{url}</span>
                    <span class="reason">{reason}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <ul class="pixel-failures">{items}</ul>
        <button id="retry-pixel" on:click=move |_| session.retry_tiles(&keys)>"Retry"</button>
    }
    .into_any()
}

/// The pixel taken away: as CSV, and as the xarray code that selects it.
#[component]
fn TakeAway(card: PixelCard) -> impl IntoView {
    let state = expect_context::<AppState>();
    let place = card.place;
    let refs = state.load.with_untracked(|l| match l {
        Some(RefsLoad::Ready { url }) => url.clone(),
        _ => String::new(),
    });
    let (variables, parquet): (Vec<Variable>, bool) = state.references.with_untracked(|r| {
        r.as_ref()
            .map(|r| {
                let variables = CARD_VARIABLES
                    .into_iter()
                    .filter(|v| r.variables.iter().any(|(w, _)| w == v))
                    .collect();
                (variables, r.records.is_some())
            })
            .unwrap_or_default()
    });
    let python = python_snippet(&refs, parquet, &place, &variables);
    let csv = card.csv();
    let file_name = format!("pixel_{}_{}_{}.csv", place.tile, place.row, place.column);
    let download = move |_: ev::MouseEvent| download_text(&file_name, &csv, "text/csv");
    let copied = RwSignal::new(false);
    let copy_python = {
        let python = python.clone();
        move |_: ev::MouseEvent| copy_text(&python, copied)
    };
    view! {
        <div class="card-actions">
            <button id="download-csv" on:click=download>"Download CSV"</button>
            <button id="copy-python" on:click=copy_python>
                {move || if copied.get() { "Python copied" } else { "Copy Python" }}
            </button>
        </div>
        <details>
            <summary>"Python (fsspec + xarray)"</summary>
            <pre id="python-snippet">{python}</pre>
        </details>
    }
    .into_any()
}

/// Offers `text` as a file download named `name`.
fn download_text(name: &str, text: &str, kind: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    if let Err(problem) = crate::download::download_parts(name, &parts, kind) {
        web_sys::console::warn_1(&problem.into());
    }
}
