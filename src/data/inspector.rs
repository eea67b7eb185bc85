//! The pinned pixel: its files (every layer of every variable the
//! references list at its tile), asked for as the Inspector request group
//! (the strip holding the pixel's row of each, by Range requests; a tile
//! the map has decoded already costs nothing), a parquet store's record
//! files that list them, and the card of what they say there, written to
//! `AppState.pixel` for the panels.

use leptos::prelude::*;
use tessera_core::parquet_refs::RecordFile;
use tessera_core::pixel::{pixel_files, pixel_records, PixelCard, PixelPlace, Reading};
use tessera_core::tile_requests::{Part, RequestGroup, Want};
use tessera_core::view_plan::ChunkSource;

use crate::data::Session;
use crate::state::report::PixelReport;
use crate::state::AppState;

/// The pinned pixel and what it needs.
#[derive(Debug, Clone, PartialEq)]
struct Pinned {
    place: PixelPlace,
    files: Vec<ChunkSource>,
    records: Vec<RecordFile>,
}

/// Keeps the pinned pixel's files asked for and its card up to date.
pub fn inspect_the_pinned_pixel(state: AppState, session: Session) {
    // The pin alone, not every pan of the selection.
    let pin = Memo::new(move |_| state.selection.with(|s| s.pin));
    // A pin outside the grid is a notice, and no pin.
    Effect::new(move |_| {
        let Some((lat, lon)) = pin.get() else {
            return;
        };
        if PixelPlace::at(lat, lon).is_none() {
            state.notice(format!(
                "the pin at {lat}, {lon} is outside the data set's grid (82 N to 79 S); unpinned"
            ));
            state.pin(None);
        }
    });

    let pinned = Memo::new(move |_| {
        let (lat, lon) = pin.get()?;
        session.references_changed.track();
        let place = PixelPlace::at(lat, lon)?;
        session.with_index(|index| Pinned {
            place,
            files: pixel_files(index, place.tile),
            records: pixel_records(index, place.tile),
        })
    });

    // What the pixel needs, asked for.
    let asked_for = StoredValue::new(None::<(f64, f64)>);
    Effect::new(move |_| {
        let wants = pinned.with(|p| match p {
            Some(p) => {
                let place = (p.place.lat, p.place.lon);
                if asked_for.get_value() != Some(place) {
                    asked_for.set_value(Some(place));
                    let stats = session.tiles().with(|t| t.stats());
                    crate::perf::record(
                        crate::perf::PIXEL_PINNED,
                        &[
                            ("at", crate::time::now()),
                            ("rowBytes", stats.row_bytes as f64),
                            ("rowRequests", stats.row_requests as f64),
                        ],
                    );
                }
                session.request_records(&p.records, &[]);
                p.files
                    .iter()
                    .map(|s| Want::row(s.clone(), p.place.row))
                    .collect()
            }
            None => Vec::new(),
        });
        session.want_parts(RequestGroup::Inspector, wants);
    });

    // The card, as files arrive: at once when it is complete or its pixel
    // changes, else at most every CARD_UPDATE_MS (drawing the card for
    // each of its 88 files took the page's thread from reading them).
    let pinned_at = StoredValue::new(None::<(f64, f64)>);
    let last_update = StoredValue::new(f64::NEG_INFINITY);
    let pending = StoredValue::new(false);
    let tick = RwSignal::new(0u64);
    Effect::new(move |_| {
        session.tiles_changed.track();
        tick.track();
        let report = pinned.with(|p| {
            let p = p.as_ref()?;
            let mut card = PixelCard::new(p.place, &p.files);
            let row = p.place.row;
            session.tiles().with(|tiles| {
                for source in &p.files {
                    let key = source.key;
                    let reading = match tiles.value_at(&key, row, p.place.column) {
                        Some(dn) => Reading::Dn(dn),
                        None => match tiles.failure_of(&key, Part::Row(row)) {
                            Some(f) => Reading::Failed(f.reason.clone()),
                            None => Reading::Loading,
                        },
                    };
                    card.set(key, reading);
                }
            });
            Some(PixelReport {
                card,
                records_pending: !session.records_settled_for(&p.records),
            })
        });
        match &report {
            // No file of the references covers the pixel.
            Some(r) if r.card.files.is_empty() && !r.records_pending => {
                let place = r.card.place;
                state.notice(format!(
                    "no file of the references covers the pixel at {:.5}, {:.5} (tile {}); unpinned",
                    place.lat, place.lon, place.tile
                ));
                state.pin(None);
            }
            Some(r) if r.card.complete() && !r.records_pending => {
                record_complete(session, r, pinned_at);
            }
            _ => {}
        }
        let urgent = match (
            &report,
            state
                .pixel
                .with_untracked(|p| p.as_ref().map(|r| r.card.place)),
        ) {
            (Some(r), Some(place)) => r.card.complete() || r.card.place != place,
            _ => true,
        };
        let wait = CARD_UPDATE_MS - (crate::time::now() - last_update.get_value());
        if !urgent && wait > 0.0 {
            if !pending.get_value() {
                pending.set_value(true);
                set_timeout(
                    move || {
                        pending.set_value(false);
                        tick.update(|n| *n += 1);
                    },
                    std::time::Duration::from_millis(wait.ceil() as u64),
                );
            }
            return;
        }
        if state.pixel.with_untracked(|p| p != &report) {
            last_update.set_value(crate::time::now());
            state.pixel.set(report);
        }
    });
}

/// At least this long between two updates of a card still loading.
const CARD_UPDATE_MS: f64 = 150.0;

/// Marks, once per pin, when its card was complete and what it took (for
/// the benchmark).
fn record_complete(
    session: Session,
    report: &PixelReport,
    pinned_at: StoredValue<Option<(f64, f64)>>,
) {
    let place = (report.card.place.lat, report.card.place.lon);
    if pinned_at.get_value() == Some(place) {
        return;
    }
    pinned_at.set_value(Some(place));
    let stats = session.tiles().with(|t| t.stats());
    crate::perf::record(
        crate::perf::PIXEL_CARD,
        &[
            ("completeAt", crate::time::now()),
            ("files", report.card.files.len() as f64),
            ("rowBytes", stats.row_bytes as f64),
            ("rowRequests", stats.row_requests as f64),
        ],
    );
}
