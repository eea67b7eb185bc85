//! One [`Session`] per page, provided through Leptos context: it owns the
//! live objects (the references, the record loader of a parquet store, the
//! tile loader, the decoder workers), and derives the [`ViewPlan`] from
//! the selection, the canvas and the references.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use tessera_core::reader::References;
use tessera_core::tile_requests::{RequestGroup, Want};
use tessera_core::topojson::Coastlines;
use tessera_core::view_plan::{ChunkSource, PlanInput, ReferenceIndex, ViewPlan};
use tessera_core::ChunkKey;

use crate::data::overviews::{OverviewStatus, OverviewView, Overviews};
use crate::data::record_loader::RecordLoader;
use crate::data::tile_loader::TileLoader;
use crate::fetch::fetch_with_progress;
use crate::state::report::{
    LoadStats, OverviewReport, ReferencesSummary, RefsLoad, ViewMode, ViewReport,
};
use crate::state::AppState;
use crate::worker::pool::WorkerPool;

/// Decoded tiles kept in memory (a COH tile is 1.4 MB, AMP 2.9 MB).
pub const CACHE_BYTES: usize = 384 << 20;
/// Tile requests in flight at once (browsers allow 6 per HTTP/1.1 host).
pub const MAX_IN_FLIGHT: usize = 6;

/// The references, once read.
pub enum Loaded {
    /// A reference document, read whole.
    Document {
        refs: Box<References>,
        /// What relative chunk URLs are relative to.
        base: String,
    },
    /// A parquet store, read a record file at a time.
    Store { records: RecordLoader, base: String },
}

impl Loaded {
    pub fn index(&self) -> ReferenceIndex<'_> {
        match self {
            Loaded::Document { refs, .. } => ReferenceIndex::Document(refs),
            Loaded::Store { records, .. } => ReferenceIndex::Store(records.store()),
        }
    }

    fn base(&self) -> &str {
        match self {
            Loaded::Document { base, .. } | Loaded::Store { base, .. } => base,
        }
    }

    fn summary(&self) -> ReferencesSummary {
        let refs = self.index().references();
        match self {
            Loaded::Document { .. } => ReferencesSummary {
                variables: refs
                    .variables()
                    .map(|v| (v, Some(refs.chunk_count(v))))
                    .collect(),
                records: None,
            },
            Loaded::Store { records, .. } => ReferencesSummary {
                variables: refs.variables().map(|v| (v, None)).collect(),
                records: Some(records.summary()),
            },
        }
    }
}

struct Parts {
    pool: WorkerPool,
    tiles: TileLoader,
    references: RefCell<Option<Loaded>>,
    overviews: Rc<RefCell<Overviews>>,
    /// What the overviews gave the last plan asked for.
    overview: RefCell<OverviewStatus>,
}

/// See the [module docs](self). A handle: copying it is free.
#[derive(Clone, Copy)]
pub struct Session {
    parts: StoredValue<Rc<Parts>, LocalStorage>,
    state: AppState,
    /// Changes whenever the references do (read, grown by a record file,
    /// or their failed record files forgotten).
    pub references_changed: RwSignal<u64>,
    /// Changes whenever a tile arrives, fails or is retried.
    pub tiles_changed: RwSignal<u64>,
    /// The map's coastlines, once read.
    pub coastlines: RwSignal<Option<Arc<Coastlines>>>,
    /// What the view needs: worked out again whenever the selection, the
    /// canvas or the references change.
    pub plan: Memo<Option<ViewPlan>>,
}

impl Session {
    /// Starts the decoder workers (the first reads the references) and
    /// the tile loader.
    pub fn new(state: AppState) -> Session {
        let pool = WorkerPool::start();
        let tiles_changed = RwSignal::new(0u64);
        let on_change = Rc::new(move || tiles_changed.update(|n| *n += 1));
        let tiles = TileLoader::new(pool.clone(), CACHE_BYTES, MAX_IN_FLIGHT, on_change);
        let parts = StoredValue::new_local(Rc::new(Parts {
            pool,
            tiles,
            references: RefCell::new(None),
            overviews: Rc::new(RefCell::new(Overviews::default())),
            overview: RefCell::new(OverviewStatus::Unavailable(None)),
        }));
        let references_changed = RwSignal::new(0u64);
        let plan = Memo::new(move |previous: Option<&Option<ViewPlan>>| {
            let generation = references_changed.get();
            let canvas = state.canvas.get()?;
            let parts = parts.get_value();
            let references = parts.references.borrow();
            state.selection.with(|selection| {
                let input = PlanInput {
                    selection,
                    canvas,
                    index: references.as_ref().map(Loaded::index),
                    generation,
                };
                ViewPlan::new(&input, previous.and_then(Option::as_ref))
            })
        });
        Session {
            parts,
            state,
            references_changed,
            tiles_changed,
            coastlines: RwSignal::new(None),
            plan,
        }
    }

    fn parts(&self) -> Rc<Parts> {
        self.parts.get_value()
    }

    pub fn pool(&self) -> WorkerPool {
        self.parts().pool.clone()
    }

    pub fn tiles(&self) -> TileLoader {
        self.parts().tiles.clone()
    }

    /// `f` of the references' index, once they are read.
    pub fn with_index<R>(&self, f: impl FnOnce(ReferenceIndex) -> R) -> Option<R> {
        self.parts()
            .references
            .borrow()
            .as_ref()
            .map(|l| f(l.index()))
    }

    /// Whether every one of a parquet store's `records` is read, missing
    /// or failed (true for a reference document).
    pub fn records_settled_for(&self, records: &[tessera_core::parquet_refs::RecordFile]) -> bool {
        match self.parts().references.borrow().as_ref() {
            Some(Loaded::Store {
                records: loader, ..
            }) => loader.settled(records),
            _ => true,
        }
    }

    /// Whether the references are read.
    pub fn has_references(&self) -> bool {
        self.parts().references.borrow().is_some()
    }

    /// The references are read: views use them from now on.
    pub fn set_references(&self, loaded: Loaded) {
        let parts = self.parts();
        parts.tiles.set_base(loaded.base().to_string());
        *parts.references.borrow_mut() = Some(loaded);
        self.references_grew();
    }

    fn references_grew(&self) {
        let summary = self
            .parts()
            .references
            .borrow()
            .as_ref()
            .map(Loaded::summary);
        self.state.references.set(summary);
        self.references_changed.update(|n| *n += 1);
    }

    /// Loads the files of `keys` again, forgetting their failures.
    pub fn retry_tiles(&self, keys: &[ChunkKey]) {
        self.tiles().retry(keys);
    }

    /// Forgets which record files of a parquet store could not be read:
    /// the view asks for them again.
    pub fn retry_records(&self) {
        if let Some(Loaded::Store { records, .. }) = self.parts().references.borrow_mut().as_mut() {
            records.retry_failed();
        }
        self.references_grew();
    }

    /// Whether the references are a parquet store whose record files
    /// (those of `plan`) are all read, missing or failed; true for a
    /// reference document.
    pub fn records_settled(&self, plan: &ViewPlan) -> bool {
        self.records_settled_for(&plan.records)
    }

    /// Files and bytes of references fetched so far, for a parquet store.
    pub fn records_transferred(&self) -> Option<(u32, u64)> {
        match self.parts().references.borrow().as_ref() {
            Some(Loaded::Store { records, .. }) => Some(records.transferred()),
            _ => None,
        }
    }

    /// Asks a parquet store's record loader for `first` (before anything
    /// asked for earlier) and `later` (after), and fetches while there is
    /// room.
    pub fn request_records(
        &self,
        first: &[tessera_core::parquet_refs::RecordFile],
        later: &[tessera_core::parquet_refs::RecordFile],
    ) {
        let started = {
            let parts = self.parts();
            let mut references = parts.references.borrow_mut();
            let Some(Loaded::Store { records, .. }) = references.as_mut() else {
                return;
            };
            records.request_first(first);
            records.request_later(later);
            std::iter::from_fn(|| records.next_fetch()).collect::<Vec<_>>()
        };
        for (record, url) in started {
            let session = *self;
            leptos::task::spawn_local(async move {
                let fetched = fetch_with_progress(&url, |_, _| {}).await;
                session.record_arrived(record, &url, fetched);
            });
        }
    }

    fn record_arrived(
        &self,
        record: tessera_core::parquet_refs::RecordFile,
        url: &str,
        fetched: Result<Vec<u8>, crate::fetch::FetchError>,
    ) {
        let problem = {
            let parts = self.parts();
            let mut references = parts.references.borrow_mut();
            let Some(Loaded::Store { records, .. }) = references.as_mut() else {
                return;
            };
            let problem = records.arrived(record, url, fetched);
            let (files, bytes) = records.transferred();
            crate::perf::record(
                crate::perf::RECORDS,
                &[
                    ("files", f64::from(files)),
                    ("bytes", bytes as f64),
                    ("known", records.store().records_known() as f64),
                ],
            );
            problem
        };
        if let Some(problem) = problem {
            self.state.notice(format!(
                "a record file of the references could not be read: {problem}"
            ));
        }
        self.references_grew();
        // Room for the next ones.
        self.request_records(&[], &[]);
    }

    /// What `plan` has of its files now, for the panels.
    pub fn view_report(&self, plan: &ViewPlan) -> ViewReport {
        let stats = self.load_stats();
        if !self.has_references() {
            let failed = self
                .state
                .load
                .with_untracked(|l| matches!(l, Some(RefsLoad::Failed { .. })));
            return ViewReport {
                mode: if failed {
                    ViewMode::Error
                } else {
                    ViewMode::Loading
                },
                stats,
                ..ViewReport::default()
            };
        }
        if plan.over_budget {
            let overview = self.overview().map(|view| {
                self.with_overviews(|o| {
                    let (loaded, failure) = self.tiles().with(|t| o.progress(&view, t));
                    OverviewReport {
                        layer: view.layer.clone(),
                        url: view.url.clone(),
                        level: view.need.level,
                        scale: view.need.scale,
                        tiles: view.need.tiles.len(),
                        loaded,
                        failure,
                        requests: o.requests,
                        bytes: o.bytes,
                        range_ignored: o.range_ignored,
                    }
                })
            });
            let mode = match &overview {
                None if self.overview_pending() => ViewMode::Loading,
                None => ViewMode::Budget,
                Some(o) if o.loaded == o.tiles || o.failure.is_some() => ViewMode::Overview,
                Some(_) => ViewMode::Loading,
            };
            return ViewReport {
                mode,
                needed: plan.keys.len(),
                stats,
                available: plan.available.clone(),
                overview,
                overview_problem: self.overview_problem(),
                ..ViewReport::default()
            };
        }
        let (progress, failures) = self
            .tiles()
            .with(|r| (r.progress(&plan.keys), r.failures_among(&plan.keys)));
        let done = progress.done() && self.records_settled(plan);
        ViewReport {
            mode: if done {
                ViewMode::Ready
            } else {
                ViewMode::Loading
            },
            progress,
            needed: plan.keys.len(),
            failures,
            stats,
            available: plan.available.clone(),
            ..ViewReport::default()
        }
    }

    fn load_stats(&self) -> LoadStats {
        let decoding = self.pool().stats();
        LoadStats {
            tiles: self.tiles().with(|r| r.stats()),
            workers: decoding.workers,
            decoded: decoding.decoded,
            decode_ms: decoding.worker_ms,
            range_ignored: self.tiles().range_ignored(),
        }
    }

    /// Asks the overviews for what `plan` can have of them: over the
    /// budget, the tiles of its level are read; within it, the tiles
    /// already in show under the files while they load. A tile or header
    /// arriving counts as a tile change (the map paints).
    pub fn want_overview(&self, plan: &ViewPlan) {
        let parts = self.parts();
        // The overviews hold stored layers; a derived map has none yet.
        if plan.derived.is_some() || plan.composite.is_some() {
            *parts.overview.borrow_mut() = OverviewStatus::Unavailable(None);
            return;
        }
        let Some(base) = parts
            .references
            .borrow()
            .as_ref()
            .map(|l| l.base().to_string())
        else {
            return;
        };
        let (param, budget) = self
            .state
            .selection
            .with_untracked(|s| (s.overviews.clone(), s.budget as usize));
        let source = tessera_core::overview_view::OverviewSource::from_param(param.as_deref());
        let (status, work) = parts.overviews.borrow_mut().want(
            source,
            &base,
            plan.variable,
            plan.layer,
            &plan.viewport,
            budget,
            plan.over_budget,
            &parts.tiles,
        );
        *parts.overview.borrow_mut() = status;
        let (state, tiles_changed) = (self.state, self.tiles_changed);
        crate::data::overviews::start(
            &parts.overviews,
            &parts.pool,
            &parts.tiles,
            work,
            Rc::new(move |notice| {
                if let Some(notice) = notice {
                    state.notice(notice);
                }
                tiles_changed.update(|n| *n += 1);
            }),
        );
    }

    /// The overview the last plan has, if its COG is known.
    pub fn overview(&self) -> Option<OverviewView> {
        match &*self.parts().overview.borrow() {
            OverviewStatus::Ready(view) => Some(view.clone()),
            _ => None,
        }
    }

    /// Whether the last plan's overview is still being looked for (its
    /// manifest or header being read).
    pub fn overview_pending(&self) -> bool {
        matches!(&*self.parts().overview.borrow(), OverviewStatus::Pending)
    }

    /// Why the last plan has no overview, if one was looked for and
    /// failed.
    pub fn overview_problem(&self) -> Option<String> {
        match &*self.parts().overview.borrow() {
            OverviewStatus::Unavailable(why) => why.clone(),
            _ => None,
        }
    }

    /// `f` of the overviews (their tiles, for painting and the readout).
    pub fn with_overviews<R>(&self, f: impl FnOnce(&Overviews) -> R) -> R {
        f(&self.parts().overviews.borrow())
    }

    /// Reads failed overview tiles and COGs again.
    pub fn retry_overviews(&self) {
        self.parts().overviews.borrow_mut().retry();
        self.tiles_changed.update(|n| *n += 1);
    }

    /// Asks for `group`'s files, whole.
    pub fn want_tiles(&self, group: RequestGroup, sources: Vec<ChunkSource>) {
        let wants = sources.into_iter().map(Want::whole).collect();
        self.tiles().set_wanted(group, wants);
    }

    /// Asks for `group`'s parts of files.
    pub fn want_parts(&self, group: RequestGroup, wants: Vec<Want>) {
        self.tiles().set_wanted(group, wants);
    }
}
