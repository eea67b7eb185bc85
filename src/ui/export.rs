//! The export panel: what to take away (the view's extent or a rectangle
//! drawn on the map, at a chosen resolution), and the GeoTIFF, the PNG
//! and the Python that selects the same array; a progress bar while a
//! GeoTIFF is written, and what came of it.

use leptos::ev;
use leptos::prelude::*;
use tessera_core::dataset::TILE_PIXELS;
use tessera_core::export::STEPS;

use crate::data::export::{export_request, write_geotiff};
use crate::data::Session;
use crate::map::snapshot::save_png;
use crate::state::report::ExportPhase;
use crate::state::AppState;
use crate::ui::copy_text;

/// A step's label: the pixel size, and roughly in metres at the equator.
fn step_label(step: u32) -> String {
    let metres = 111_320.0 * f64::from(step) / f64::from(TILE_PIXELS);
    let size = if metres >= 1000.0 {
        format!("≈ {:.0} km", metres / 1000.0)
    } else {
        format!("≈ {metres:.0} m")
    };
    if step == 1 {
        format!("1/1200° (native, {size})")
    } else {
        format!("1/{}° ({size})", TILE_PIXELS / step)
    }
}

#[component]
pub fn ExportPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let session = expect_context::<Session>();
    let choice = state.export_choice;

    // What the export would be now: its size and Python, or why none.
    let request = Memo::new(move |_| {
        session.plan.track();
        state.selection.track();
        choice.track();
        state.load.track();
        export_request(state, session).map(|r| {
            let area = r.export.area;
            (
                // The snapped area, exactly (for scripts and tests).
                format!(
                    "{},{},{},{}",
                    area.north(),
                    area.south(),
                    area.west(),
                    area.east()
                ),
                format!(
                    "{} × {} pixels of {}, {} GeoTIFF tiles",
                    area.width,
                    area.height,
                    r.export.content.sample().name(),
                    r.export.tile_count()
                ),
                r.export.python(&r.refs_url, r.parquet),
            )
        })
    });
    Effect::new(move |_| {
        let drawing = choice.with(|c| c.drawing);
        if let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let _ = body.set_attribute("data-drawing", if drawing { "true" } else { "false" });
        }
    });

    let busy = move || state.export.with(|e| e.phase.busy());
    let geotiff = move |_: ev::MouseEvent| {
        leptos::task::spawn_local(write_geotiff(state, session));
    };
    let png = move |_: ev::MouseEvent| {
        leptos::task::spawn_local(async move {
            let outcome = save_png(state).await;
            state.export.update(|e| {
                e.phase = if outcome.is_ok() {
                    ExportPhase::Done
                } else {
                    ExportPhase::Failed
                };
                e.message = Some(outcome.unwrap_or_else(|problem| problem));
            });
        });
    };
    let copied = RwSignal::new(false);
    let copy_python = move |_: ev::MouseEvent| {
        if let Ok((_, _, python)) = request.get_untracked() {
            copy_text(&python, copied);
        }
    };
    let stop = move |_: ev::MouseEvent| state.export.update(|e| e.cancel = true);
    let draw = move |_: ev::MouseEvent| {
        choice.update(|c| {
            c.drawing = !c.drawing;
        })
    };
    let use_view = move |_: ev::MouseEvent| {
        state.selection.update(|s| s.area = None);
        choice.update(|c| c.drawing = false);
    };
    let pick_step = move |e: ev::Event| {
        if let Ok(step) = event_target_value(&e).parse::<u32>() {
            choice.update(|c| c.step = step);
        }
    };
    let steps = STEPS
        .iter()
        .map(|&s| {
            view! {
                <option value=s.to_string() selected=move || choice.with(|c| c.step == s)>
                    {step_label(s)}
                </option>
            }
        })
        .collect_view();
    let area_text = move || match state.selection.with(|s| s.area) {
        Some(a) => format!(
            "Drawn: {:.4}° to {:.4}° N, {:.4}° to {:.4}° E",
            a.north, a.south, a.west, a.east
        ),
        None => "The view's extent".to_string(),
    };
    let progress = move || {
        let e = state.export.get();
        e.phase.busy().then(|| {
            let (done, total, what) = match e.phase {
                ExportPhase::Loading => (e.files.0, e.files.1, "files read"),
                _ => (e.tiles.0, e.tiles.1, "tiles compressed"),
            };
            view! {
                <div id="export-progress-row">
                    <progress id="export-progress" max=total.max(1).to_string() value=done.to_string()></progress>
                    <span>{format!("{done}/{total} {what}")}</span>
                    <button id="export-stop" on:click=stop>"Stop"</button>
                </div>
            }
        })
    };

    view! {
        <section id="export">
            <h2>"Take the data away"</h2>
            <p id="export-area-text">
                {area_text}
                " "
                <button id="export-draw" on:click=draw aria-pressed=move || choice.with(|c| c.drawing).to_string()>
                    {move || if choice.with(|c| c.drawing) { "Drag on the map…" } else { "Draw an area" }}
                </button>
                <Show when=move || state.selection.with(|s| s.area.is_some())>
                    " "
                    <button id="export-use-view" on:click=use_view>"Use the view"</button>
                </Show>
            </p>
            <label class="choice">
                <span>"Resolution"</span>
                <select id="export-step" on:change=pick_step>{steps}</select>
            </label>
            <p
                id="export-size"
                data-bbox=move || request.with(|r| r.as_ref().map(|(b, _, _)| b.clone()).unwrap_or_default())
                data-step=move || choice.with(|c| c.step).to_string()
            >
                {move || match request.get() {
                    Ok((_, size, _)) => size,
                    Err(problem) => problem,
                }}
            </p>
            <div class="buttons">
                <button id="export-geotiff" on:click=geotiff disabled=move || busy() || request.with(|r| r.is_err())>
                    "GeoTIFF"
                </button>
                <button id="export-png" on:click=png disabled=busy>"PNG"</button>
                <button id="copy-export-python" on:click=copy_python disabled=move || request.with(|r| r.is_err())>
                    {move || if copied.get() { "Python copied" } else { "Copy Python" }}
                </button>
            </div>
            {progress}
            <p id="export-message" role="status">
                {move || state.export.with(|e| e.message.clone())}
            </p>
            <details>
                <summary>"Python (fsspec + xarray) for this export"</summary>
                <pre id="export-python">
                    {move || request.with(|r| r.as_ref().map(|(_, _, p)| p.clone()).unwrap_or_default())}
                </pre>
            </details>
        </section>
    }
}
