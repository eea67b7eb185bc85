//! When the map is painted: once per animation frame however many changes
//! arrive, and for tiles arriving while a view loads no more often than
//! every [`PROGRESS_DRAW_MS`] (the tile that completes the view is painted
//! at once). After each paint, what the view has is reported to the
//! panels.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;

use crate::data::Session;
use crate::map::painter::{Colours, Painter, Scene};
use crate::state::report::{ViewMode, ViewReport};
use crate::state::AppState;

/// At least this long between two paints for tiles arriving while a view
/// loads. A paint stitches and paints the whole canvas: painting for every
/// tile took main-thread time from the loading it showed (measured in
/// bench-web.sh's (c)).
const PROGRESS_DRAW_MS: f64 = 100.0;

pub struct Frames {
    state: AppState,
    session: Session,
    painter: RefCell<Painter>,
    frame_pending: Cell<bool>,
    /// When the last paint was, and whether a paint for arrived tiles
    /// waits for [`PROGRESS_DRAW_MS`] to pass.
    last_draw: Cell<f64>,
    progress_pending: Cell<bool>,
    /// The last report sent to the panels.
    reported: RefCell<Option<ViewReport>>,
    /// Paints that drew: how many, their total and longest time (ms), for
    /// the benchmark (`tessera:paints`).
    paints: Cell<(u32, f64, f64)>,
}

impl Frames {
    pub fn new(state: AppState, session: Session, painter: Painter) -> Rc<Frames> {
        Rc::new(Frames {
            state,
            session,
            painter: RefCell::new(painter),
            frame_pending: Cell::new(false),
            last_draw: Cell::new(f64::NEG_INFINITY),
            progress_pending: Cell::new(false),
            reported: RefCell::new(None),
            paints: Cell::new((0, 0.0, 0.0)),
        })
    }

    /// Paints at the next animation frame (once, however often called).
    pub fn schedule(self: &Rc<Self>) {
        if self.frame_pending.replace(true) {
            return;
        }
        let this = self.clone();
        request_animation_frame(move || {
            this.frame_pending.set(false);
            this.paint();
        });
    }

    /// Paints for tiles that arrived (or failed): at the next animation
    /// frame when they complete the view, else no sooner than
    /// [`PROGRESS_DRAW_MS`] after the last paint.
    pub fn schedule_progress(self: &Rc<Self>) {
        let wait = PROGRESS_DRAW_MS - (crate::time::now() - self.last_draw.get());
        let complete = self.session.plan.with_untracked(|plan| {
            plan.as_ref()
                .is_some_and(|plan| self.session.tiles().with(|r| r.progress(&plan.keys).done()))
        });
        if wait <= 0.0 || complete {
            self.schedule();
            return;
        }
        if self.progress_pending.replace(true) {
            return;
        }
        let this = self.clone();
        set_timeout(
            move || {
                this.progress_pending.set(false);
                this.schedule();
            },
            Duration::from_millis(wait.ceil() as u64),
        );
    }

    fn paint(&self) {
        self.last_draw.set(crate::time::now());
        let session = self.session;
        let (colours, pin, divide) = self
            .state
            .selection
            .with_untracked(|s| (Colours::of(s), s.pin, s.swipe.map(|w| w.position)));
        let coastlines = session.coastlines.get_untracked();
        let references = session.has_references();
        let report = session.plan.with_untracked(|plan| {
            let plan = plan.as_ref()?;
            let overview = session.overview();
            let generation = session.with_overviews(|o| o.generation);
            let started = crate::time::now();
            let drew = session.tiles().with(|tiles| {
                self.painter.borrow_mut().paint(Scene {
                    plan,
                    references,
                    colours,
                    tiles,
                    coastlines: coastlines.as_deref(),
                    pin,
                    divide,
                    overview: overview.as_ref().map(|v| (v, generation)),
                    overview_pending: session.overview_pending(),
                })
            });
            if drew {
                let ms = crate::time::now() - started;
                let (n, total, max) = self.paints.get();
                let paints = (n + 1, total + ms, max.max(ms));
                self.paints.set(paints);
                crate::perf::record(
                    crate::perf::PAINTS,
                    &[
                        ("count", f64::from(paints.0)),
                        ("totalMs", paints.1),
                        ("maxMs", paints.2),
                    ],
                );
            }
            Some(session.view_report(plan))
        });
        if let Some(report) = report {
            self.report(report);
        }
    }

    /// Sends the report to the panels, if it changed.
    fn report(&self, report: ViewReport) {
        if self.reported.borrow().as_ref() == Some(&report) {
            return;
        }
        *self.reported.borrow_mut() = Some(report.clone());
        record_session(&report);
        if report.mode == ViewMode::Ready && report.progress.total > 0 {
            if let Some((files, bytes)) = self.session.records_transferred() {
                crate::perf::record_once(
                    crate::perf::FIRST_VIEW_REFERENCES,
                    &[("files", f64::from(files)), ("bytes", bytes as f64)],
                );
            }
            crate::perf::mark(crate::perf::FIRST_VIEW_COMPLETE);
        }
        if let (ViewMode::Overview, Some(o)) = (report.mode, &report.overview) {
            let now = web_sys::window()
                .and_then(|w| w.performance())
                .map_or(f64::NAN, |p| p.now());
            crate::perf::record_once(
                crate::perf::FIRST_OVERVIEW_COMPLETE,
                &[
                    ("time", now),
                    ("requests", f64::from(o.requests)),
                    ("bytes", o.bytes as f64),
                    ("level", o.level as f64),
                ],
            );
        }
        // The panels follow in a task of their own: updating them (new
        // rows, options, lazily compiled code the first time) after the
        // paint in the same frame made tasks over 50 ms.
        let target = self.state.report;
        set_timeout(move || target.set(report), Duration::ZERO);
    }
}

/// The session's figures, for the benchmark.
fn record_session(report: &ViewReport) {
    let s = report.stats;
    let t = s.tiles;
    crate::perf::record(
        crate::perf::SESSION,
        &[
            ("cacheBytes", t.cache_bytes as f64),
            ("cacheBudget", t.cache_budget as f64),
            ("cachedTiles", t.cached_tiles as f64),
            ("requests", t.requests as f64),
            ("bytesFetched", t.bytes_fetched as f64),
            ("cancelled", t.cancelled as f64),
            ("decoded", s.decoded as f64),
            ("workerMs", s.decode_ms),
            ("wasmBytes", crate::perf::wasm_memory_bytes()),
            ("loaded", report.progress.loaded as f64),
            ("failed", report.progress.failed as f64),
            ("total", report.progress.total as f64),
        ],
    );
}
