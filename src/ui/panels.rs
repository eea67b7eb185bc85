//! The side panel: loading the references, notices about the URL, the
//! value under the pointer, and the status of the view's files. Panels
//! read the state's reports; a retry is the session's to do.

use leptos::prelude::*;

use crate::data::Session;
use crate::state::report::{Readout, RefsLoad, ViewMode};
use crate::state::AppState;

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

#[component]
pub fn LoadPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let session = expect_context::<Session>();
    move || {
        match state.load.get() {
        None => view! { <section id="refs-status">"Starting…"</section> }.into_any(),
        Some(RefsLoad::Fetching { url, loaded, total }) => {
            let text = match total {
                Some(total) => format!("{} of {}", megabytes(loaded), megabytes(total)),
                None => megabytes(loaded),
            };
            view! {
                <section id="refs-status">
                    <p>"Loading references "<span class="url">{url}</span></p>
                    <progress id="refs-progress" max=total.unwrap_or(0).max(1) as f64 value=loaded as f64></progress>
                    <p>{text}</p>
                </section>
            }
            .into_any()
        }
        Some(RefsLoad::Parsing { url, bytes }) => view! {
            <section id="refs-status">
                <p>"Indexing "{megabytes(bytes)}" of references from "<span class="url">{url}</span>"…"</p>
            </section>
        }
        .into_any(),
        Some(RefsLoad::Ready { url }) => {
            let summary = state.references.get().unwrap_or_default();
            let variables = summary
                .variables
                .iter()
                .map(|(v, files)| match files {
                    Some(n) => format!("{} ({n} files)", v.name()),
                    // Parquet references list files as record files are read.
                    None => v.name().to_string(),
                })
                .collect::<Vec<_>>()
                .join(", ");
            let records = summary.records.map(|r| {
                let failed = if r.failed == 0 {
                    String::new()
                } else {
                    format!(", {} failed", r.failed)
                };
                format!(
                    "parquet references: {} record files read ({:.0} KB with .zmetadata){failed}",
                    r.files,
                    r.bytes as f64 / 1e3
                )
            });
            let failed = summary.records.is_some_and(|r| r.failed > 0);
            view! {
                <section id="refs-status">
                    <p>"References: "<span class="url">{url}</span></p>
                    <p id="variables-found">{variables}</p>
                    {records.map(|s| view! { <p id="records-read">{s}</p> })}
                    {failed.then(|| {
                        let on_retry = move |_| session.retry_records();
                        view! {
                            <button id="retry-records" on:click=on_retry>"Retry the record files"</button>
                        }
                    })}
                </section>
            }
            .into_any()
        }
        Some(RefsLoad::Failed { tried, reason }) => {
            let tried = tried
                .into_iter()
                .map(|t| view! { <li>{t}</li> })
                .collect_view();
            view! {
                <section id="load-error" role="alert">
                    <h2>"The references could not be loaded"</h2>
                    <p>"Tried:"</p>
                    <ul>{tried}</ul>
                    <p class="reason">"They "{reason}</p>
                    <p class="hint">"Give another URL with ?refs=… in the address bar."</p>
                </section>
            }
            .into_any()
        }
    }
    }
}

#[component]
pub fn Notices() -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        let notices = state.notices.get();
        (!notices.is_empty()).then(|| {
            let items = notices
                .into_iter()
                .map(|n| view! { <li class="notice">{n}</li> })
                .collect_view();
            view! {
                <section id="notices">
                    <h2>"Notices"</h2>
                    <ul>{items}</ul>
                    <button on:click=move |_| state.notices.set(Vec::new())>"Dismiss"</button>
                </section>
            }
        })
    }
}

#[component]
pub fn ReadoutPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let field = move |f: fn(&Readout) -> String| {
        move || {
            state
                .readout
                .with(|r| r.as_ref().map(f).unwrap_or_else(|| "—".into()))
        }
    };
    view! {
        <section id="readout">
            <h2>"Under the pointer"</h2>
            <dl>
                <dt>"Latitude"</dt><dd><span data-field="lat">{field(|r| format!("{:.5}", r.lat))}</span></dd>
                <dt>"Longitude"</dt><dd><span data-field="lon">{field(|r| format!("{:.5}", r.lon))}</span></dd>
                <dt>"Tile"</dt><dd><span data-field="tile">{field(|r| r.tile.clone().unwrap_or_else(|| "outside the grid".into()))}</span></dd>
                <dt>"DN"</dt><dd><span data-field="dn">{field(|r| r.dn.map(|d| d.to_string()).unwrap_or_else(|| "—".into()))}</span></dd>
                <dt>"Value"</dt><dd><span data-field="value"
                    data-number=move || state.readout.with(|r| r.as_ref().and_then(|r| r.number).map(|n| n.to_string()))>
                    {field(|r| r.value.clone())}</span></dd>
                {move || state.readout.with(|r| r.as_ref().filter(|r| !r.inputs.is_empty()).map(|r| {
                    let items = r.inputs.iter().map(|(file, value)| view! {
                        <li data-file=file.clone()>{format!("{file}: {value}")}</li>
                    }).collect_view();
                    view! { <dt>"From"</dt><dd><ul data-field="inputs">{items}</ul></dd> }
                }))}
                <dt>"Read from"</dt><dd><span data-field="source">{field(|r| r.source.clone().unwrap_or_else(|| "the file".into()))}</span></dd>
            </dl>
        </section>
    }
}

#[component]
pub fn StatusPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let session = expect_context::<Session>();
    let progress = move || {
        let r = state.report.get();
        let p = r.progress;
        match r.mode {
            ViewMode::Budget => {
                format!("{} files in view: zoom in to load them", r.needed)
            }
            ViewMode::Overview | ViewMode::Loading if r.overview.is_some() => {
                let o = r.overview.as_ref().map(|o| {
                    format!(
                        "{} files in view, more than the budget: overview 1:{} of {}, {} of {} tiles",
                        r.needed, o.scale, o.layer, o.loaded, o.tiles
                    )
                });
                o.unwrap_or_default()
            }
            _ if p.total == 0 => "No files in view".to_string(),
            _ => {
                let failed = if p.failed > 0 {
                    format!(", {} failed", p.failed)
                } else {
                    String::new()
                };
                format!("{} of {} files{failed}", p.loaded, p.total)
            }
        }
    };
    let stats = move || {
        let s = state.report.get().stats;
        let decoding = match (s.workers, s.decoded) {
            (0, _) => "decoding on the main thread".to_string(),
            (workers, 0) => format!("{workers} decoder workers"),
            (workers, n) => format!(
                "{workers} decoder workers, {:.1} ms per tile",
                s.decode_ms / n as f64
            ),
        };
        let t = s.tiles;
        let ranges = if s.range_ignored {
            " The data server ignores Range requests: the pixel inspector reads whole files."
        } else {
            ""
        };
        format!(
            "Cache: {} tiles, {} of {}. Requests: {}, cancelled {}, {} fetched; {decoding}.{ranges}",
            t.cached_tiles,
            megabytes(t.cache_bytes as u64),
            megabytes(t.cache_budget as u64),
            t.requests,
            t.cancelled,
            megabytes(t.bytes_fetched),
        )
    };
    let failures = move || {
        state
            .report
            .get()
            .failures
            .into_iter()
            .map(|f| {
                let key = f.key;
                let on_retry = move |_| session.retry_tiles(&[key]);
                view! {
                    <li class="failure" data-key=key.to_string()>
                        <span class="key">{key.to_string()}</span>
                        <span class="url">{f.url}</span>
                        <span class="reason">{f.reason}</span>
                        <button class="retry" on:click=on_retry>"Retry"</button>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <section id="status">
            <h2>"Files"</h2>
            <p id="progress">{progress}</p>
            {move || {
                let p = state.report.get().progress;
                (p.total > 0).then(|| view! {
                    <progress id="files-progress" max=p.total as f64 value=(p.loaded + p.failed) as f64></progress>
                })
            }}
            {move || {
                let keys: Vec<_> = state.report.get().failures.iter().map(|f| f.key).collect();
                (keys.len() > 1).then(|| {
                    let on_retry_all = move |_| session.retry_tiles(&keys);
                    view! { <button id="retry-all" on:click=on_retry_all>"Retry all"</button> }
                })
            }}
            <ul id="failures">{failures}</ul>
            {move || {
                let r = state.report.get();
                let failure = r.overview.as_ref().and_then(|o| o.failure.clone().map(|f| (o.url.clone(), f)));
                failure.map(|(url, reason)| {
                    let on_retry = move |_| session.retry_overviews();
                    view! {
                        <p class="failure" id="overview-failure">
                            <span class="url">{url}</span>
                            <span class="reason">{reason}</span>
                            <button class="retry" on:click=on_retry>"Retry"</button>
                        </p>
                    }
                })
            }}
            {move || {
                let r = state.report.get();
                r.overview.map(|o| view! {
                    <p id="overview-stats">{format!(
                        "Overviews: {} requests, {} fetched.{}",
                        o.requests,
                        megabytes(o.bytes),
                        if o.range_ignored {
                            " The COG's server ignores Range requests: each read fetched the whole file."
                        } else {
                            ""
                        },
                    )}</p>
                })
            }}
            <p id="cache-stats">{stats}</p>
        </section>
    }
}
