//! The overviews: for a view over the file budget, the layer's COG of the
//! whole grid. The manifest beside the references (or the URL's own, or a
//! URL template) names each layer's COG; its header and every IFD are read
//! with one or two Range requests here on the page (a few KB, parsed in
//! well under a millisecond); its tiles are read by merged Range requests
//! and decoded in the worker pool, and kept in the tile loader's cache,
//! with the files, under one budget in bytes.
//! A manifest or COG that cannot be read is a notice, and the map falls
//! back to the coverage squares.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::Uint8Array;
use tessera_core::cog::{CogHeader, CogReadError, HEADER_FIRST_READ};
use tessera_core::overview::{layer_name, Manifest};
use tessera_core::overview_view::{
    cog_url, need, OverviewNeed, OverviewSource, OverviewTile, DEFAULT_MANIFEST,
};
use tessera_core::tile_requests::TileRequests;
use tessera_core::{Layer, Variable};

use crate::data::tile_loader::TileLoader;
use crate::fetch::{fetch_range, fetch_with_progress, resolve_url, FetchError};
use crate::worker::pool::{JobError, WorkerPool};
use crate::worker::protocol::JobId;

/// Overview reads in flight at once.
const MAX_READS: usize = 6;
/// Range requests for a COG's header at most (GDAL's and ours need one).
const MAX_HEADER_READS: u32 = 3;

/// A COG's number in this session (tile keys stay small).
pub type CogId = u32;

enum ManifestState {
    /// `overviews=none`, or a template (no manifest).
    NotUsed,
    Reading,
    Ready(Rc<Manifest>),
    /// No manifest beside the references: no overviews, no notice.
    Absent,
    Failed(String),
}

enum CogState {
    Reading,
    Ready(Rc<CogHeader>),
    Failed(String),
}

/// A read's key: the COG, its level and the offset of the read.
type ReadKey = (CogId, usize, u64);

/// What the overviews can give a view now.
pub enum OverviewStatus {
    /// None for this layer (no manifest, not in it, `overviews=none`), or
    /// it could not be read (why).
    Unavailable(Option<String>),
    /// The manifest or the COG's header is being read.
    Pending,
    /// The COG is known: what the view reads of it.
    Ready(OverviewView),
}

/// A view's overview: the COG, and what the view reads of it.
#[derive(Clone)]
pub struct OverviewView {
    pub cog: CogId,
    pub url: String,
    /// The layer's name in the data set's words (`winter_vv_COH12`).
    pub layer: String,
    pub header: Rc<CogHeader>,
    pub need: OverviewNeed,
}

/// See the [module docs](self).
pub struct Overviews {
    /// The source and the references' base the manifest state is for.
    source: Option<(OverviewSource, String)>,
    manifest: ManifestState,
    /// The manifest's resolved URL (COG URLs in it are relative to it).
    manifest_url: String,
    cogs: HashMap<String, (CogId, CogState)>,
    /// The last number given to a COG.
    next_cog: CogId,
    reads: HashMap<ReadKey, JobId>,
    failed: HashMap<ReadKey, String>,
    /// Bumped whenever a tile is kept: painting compares it.
    pub generation: u64,
    /// Bytes and requests for overviews (manifest, headers, tiles).
    pub bytes: u64,
    pub requests: u32,
    /// A server sent a whole COG for a Range request.
    pub range_ignored: bool,
}

impl Default for Overviews {
    fn default() -> Self {
        Overviews {
            source: None,
            manifest: ManifestState::NotUsed,
            manifest_url: String::new(),
            cogs: HashMap::new(),
            next_cog: 0,
            reads: HashMap::new(),
            failed: HashMap::new(),
            generation: 0,
            bytes: 0,
            requests: 0,
            range_ignored: false,
        }
    }
}

/// What the overviews ask the session to do after [`Overviews::want`]:
/// reads to start, jobs to cancel.
#[derive(Default)]
pub struct OverviewWork {
    pub manifest: Option<String>,
    pub header: Option<String>,
    pub reads: Vec<(ReadKey, String, tessera_core::cog::TileRead)>,
    pub cancel: Vec<JobId>,
}

/// The tile of a COG's level, if it is in the cache.
pub fn overview_tile(
    tiles: &TileRequests,
    cog: CogId,
    level: usize,
    tile: usize,
) -> OverviewTile<'_> {
    match tiles.overview_tile((cog, level, tile)) {
        Some(values) => OverviewTile::Loaded(values),
        None => OverviewTile::Missing,
    }
}

impl Overviews {
    /// Sets the source (the URL's `overviews` parameter and the
    /// references' base URL); a new one forgets the manifest.
    fn set_source(&mut self, source: OverviewSource, base: &str) -> Option<String> {
        if self.source.as_ref() == Some(&(source.clone(), base.to_string())) {
            return None;
        }
        self.source = Some((source.clone(), base.to_string()));
        match source {
            OverviewSource::Manifest(url) => {
                let url = url.unwrap_or_else(|| DEFAULT_MANIFEST.to_string());
                match resolve_url(&url, base) {
                    Ok(url) => {
                        self.manifest = ManifestState::Reading;
                        self.manifest_url = url.clone();
                        Some(url)
                    }
                    Err(e) => {
                        self.manifest = ManifestState::Failed(e.to_string());
                        None
                    }
                }
            }
            OverviewSource::Template(_) | OverviewSource::None => {
                self.manifest = ManifestState::NotUsed;
                None
            }
        }
    }

    /// What a view of `variable`'s `layer` on `view` can have now, and
    /// the work to do for it (reads only when `read_tiles`: a view within
    /// the budget uses the tiles already in, under its files).
    #[allow(clippy::too_many_arguments)]
    pub fn want(
        &mut self,
        source: OverviewSource,
        base: &str,
        variable: Variable,
        layer: Option<Layer>,
        view: &tessera_core::viewport::Viewport,
        budget: usize,
        read_tiles: bool,
        tiles: &TileLoader,
    ) -> (OverviewStatus, OverviewWork) {
        let mut work = OverviewWork {
            manifest: self.set_source(source.clone(), base),
            ..OverviewWork::default()
        };
        let status = self.status(
            &source, variable, layer, view, budget, read_tiles, &mut work,
        );
        // Reads no longer wanted: another COG's, or a finer level's.
        let (keep_cog, keep_from) = match &status {
            OverviewStatus::Ready(v) if read_tiles => (Some(v.cog), v.need.level),
            _ => (None, usize::MAX),
        };
        self.reads.retain(|&(cog, level, _), id| {
            let keep = Some(cog) == keep_cog && level >= keep_from;
            if !keep {
                work.cancel.push(*id);
            }
            keep
        });
        if let (OverviewStatus::Ready(v), true) = (&status, read_tiles) {
            for read in &v.need.reads {
                let key = (v.cog, v.need.level, read.offset);
                // (Every tile checked: each counts as used.)
                let all_in = read.tiles.iter().fold(true, |all, &(t, _, _)| {
                    tiles.use_overview_tile((v.cog, v.need.level, t)) && all
                });
                if all_in || self.reads.contains_key(&key) || self.failed.contains_key(&key) {
                    continue;
                }
                if self.reads.len() + work.reads.len() >= MAX_READS {
                    break;
                }
                work.reads.push((key, v.url.clone(), read.clone()));
            }
        }
        (status, work)
    }

    #[allow(clippy::too_many_arguments)]
    fn status(
        &mut self,
        source: &OverviewSource,
        variable: Variable,
        layer: Option<Layer>,
        view: &tessera_core::viewport::Viewport,
        budget: usize,
        read_header: bool,
        work: &mut OverviewWork,
    ) -> OverviewStatus {
        let Some(layer) = layer else {
            return OverviewStatus::Unavailable(None);
        };
        let manifest = match &self.manifest {
            ManifestState::Reading => return OverviewStatus::Pending,
            ManifestState::Absent => return OverviewStatus::Unavailable(None),
            ManifestState::Failed(why) => return OverviewStatus::Unavailable(Some(why.clone())),
            ManifestState::Ready(m) => Some(m.clone()),
            ManifestState::NotUsed => None,
        };
        let Some(relative) = cog_url(source, manifest.as_deref(), variable, layer) else {
            return OverviewStatus::Unavailable(None);
        };
        let base = match source {
            OverviewSource::Manifest(_) => self.manifest_url.clone(),
            _ => crate::fetch::page_url(),
        };
        let url = match resolve_url(&relative, &base) {
            Ok(url) => url,
            Err(e) => return OverviewStatus::Unavailable(Some(e.to_string())),
        };
        // A view within the budget reads no header: it uses a COG only
        // when an earlier view over the budget read it.
        if !read_header && !self.cogs.contains_key(&url) {
            return OverviewStatus::Unavailable(None);
        }
        // A COG seen first (or again after a retry forgot it) gets a
        // number never used before, and its header is read.
        let (cog, state) = match self.cogs.entry(url.clone()) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                self.next_cog += 1;
                work.header = Some(url.clone());
                e.insert((self.next_cog, CogState::Reading))
            }
        };
        match state {
            CogState::Reading => OverviewStatus::Pending,
            CogState::Failed(why) => OverviewStatus::Unavailable(Some(format!(
                "the overviews of {} ({url}): {why}",
                layer_name(variable, layer)
            ))),
            CogState::Ready(header) => OverviewStatus::Ready(OverviewView {
                cog: *cog,
                url: url.clone(),
                layer: layer_name(variable, layer),
                header: header.clone(),
                // The header's request counts too: a cold view makes at
                // most `budget` requests for its overview.
                need: need(header, view, budget.saturating_sub(1).max(1)),
            }),
        }
    }

    /// Of `view`'s reads: tiles in, and the failure of one, if any.
    pub fn progress(&self, view: &OverviewView, tiles: &TileRequests) -> (usize, Option<String>) {
        let loaded = view
            .need
            .tiles
            .iter()
            .filter(|&&t| {
                tiles
                    .overview_tile((view.cog, view.need.level, t))
                    .is_some()
            })
            .count();
        let failure = view.need.reads.iter().find_map(|r| {
            self.failed
                .get(&(view.cog, view.need.level, r.offset))
                .cloned()
        });
        (loaded, failure)
    }

    /// Forgets failed reads and COGs, so that they are tried again.
    pub fn retry(&mut self) {
        self.failed.clear();
        self.cogs
            .retain(|_, (_, s)| !matches!(s, CogState::Failed(_)));
    }

    fn manifest_read(&mut self, url: &str, result: Result<Vec<u8>, FetchError>) -> Option<String> {
        if url != self.manifest_url {
            return None;
        }
        let explicit = matches!(self.source, Some((OverviewSource::Manifest(Some(_)), _)));
        match result.map(|bytes| {
            self.bytes += bytes.len() as u64;
            Manifest::parse(&bytes)
        }) {
            Ok(Ok(manifest)) => {
                self.manifest = ManifestState::Ready(Rc::new(manifest));
                None
            }
            // No manifest beside the references is not a problem.
            Err(FetchError::Status { status: 404, .. }) if !explicit => {
                self.manifest = ManifestState::Absent;
                None
            }
            Err(e) => {
                let why = format!("the overviews manifest {url} could not be read: {e}");
                self.manifest = ManifestState::Failed(why.clone());
                Some(why)
            }
            Ok(Err(e)) => {
                let why = format!("the overviews manifest {url} could not be used: {e}");
                self.manifest = ManifestState::Failed(why.clone());
                Some(why)
            }
        }
    }

    fn header_read(&mut self, url: &str, result: Result<CogHeader, String>) -> Option<String> {
        let (_, state) = self.cogs.get_mut(url)?;
        match result {
            Ok(header) => {
                *state = CogState::Ready(Rc::new(header));
                None
            }
            Err(why) => {
                *state = CogState::Failed(why.clone());
                Some(format!(
                    "the overview COG {url} could not be read: {why}; the map shows where files are"
                ))
            }
        }
    }

    fn tiles_read(
        &mut self,
        key: ReadKey,
        url: &str,
        result: Result<crate::worker::pool::CogTilesRead, JobError>,
        tiles: &TileLoader,
    ) -> Option<String> {
        self.reads.remove(&key);
        let (cog, level, _) = key;
        match result {
            Ok(read) => {
                self.bytes += read.bytes;
                self.range_ignored |= read.whole;
                for (tile, values) in read.tiles {
                    tiles.keep_overview_tile((cog, level, tile), values);
                }
                self.generation += 1;
                None
            }
            Err(JobError::Cancelled) => None,
            Err(e) => {
                let why = e.reason().to_string();
                self.failed.insert(key, why.clone());
                self.generation += 1;
                Some(format!(
                    "overview tiles of {url} (level {level}) could not be read: {why}"
                ))
            }
        }
    }
}

/// Reads a COG's header and every IFD: the first 64 KB, then as much as
/// the header says it needs.
async fn read_header(url: &str) -> (Result<CogHeader, String>, u64, u32) {
    let Ok(controller) = web_sys::AbortController::new() else {
        return (Err("the browser cannot make requests".into()), 0, 0);
    };
    let signal = controller.signal();
    let (mut bytes, mut requests) = (0u64, 0u32);
    let mut want = HEADER_FIRST_READ;
    loop {
        let got = match fetch_range(url, 0, want, &signal).await {
            Ok(got) => got,
            Err(e) => return (Err(e.to_string()), bytes, requests),
        };
        requests += 1;
        let body = Uint8Array::new(&got.body).to_vec();
        bytes += body.len() as u64;
        match CogHeader::parse(&body) {
            Ok(header) => return (Ok(header), bytes, requests),
            Err(CogReadError::NeedBytes(n)) => {
                let short = got.whole || (body.len() as u64) < want;
                if short || n <= want || requests >= MAX_HEADER_READS {
                    let len = got.file_len.unwrap_or(body.len() as u64);
                    return (
                        Err(format!(
                            "its header needs {n} bytes but the file has {len}: truncated?"
                        )),
                        bytes,
                        requests,
                    );
                }
                want = n;
            }
            Err(e) => return (Err(e.to_string()), bytes, requests),
        }
    }
}

/// Starts `work`: the manifest, a header, tile reads in the pool; cancels
/// what is no longer wanted. `done(notice)` is called after each result.
pub fn start(
    overviews: &Rc<RefCell<Overviews>>,
    pool: &WorkerPool,
    tiles: &TileLoader,
    work: OverviewWork,
    done: Rc<dyn Fn(Option<String>)>,
) {
    for id in work.cancel {
        pool.cancel(id);
    }
    if let Some(url) = work.manifest {
        let (overviews, done) = (overviews.clone(), done.clone());
        overviews.borrow_mut().requests += 1;
        leptos::task::spawn_local(async move {
            let result = fetch_with_progress(&url, |_, _| {}).await;
            let notice = overviews.borrow_mut().manifest_read(&url, result);
            done(notice);
        });
    }
    if let Some(url) = work.header {
        let (overviews, done) = (overviews.clone(), done.clone());
        leptos::task::spawn_local(async move {
            let (result, bytes, requests) = read_header(&url).await;
            let notice = {
                let mut o = overviews.borrow_mut();
                o.bytes += bytes;
                o.requests += requests;
                o.header_read(&url, result)
            };
            done(notice);
        });
    }
    for (key, url, read) in work.reads {
        let format = {
            let o = overviews.borrow();
            let header = o.cogs.get(&url).and_then(|(_, s)| match s {
                CogState::Ready(h) => Some(h.clone()),
                _ => None,
            });
            match header.and_then(|h| h.levels.get(key.1).map(|l| l.format)) {
                Some(format) => format,
                None => continue,
            }
        };
        let (id, result) = pool.read_cog_tiles(url.clone(), &read, format);
        {
            let mut o = overviews.borrow_mut();
            o.reads.insert(key, id);
            o.requests += 1;
        }
        let (overviews, done, tiles) = (overviews.clone(), done.clone(), tiles.clone());
        leptos::task::spawn_local(async move {
            let result = result.await;
            let notice = overviews.borrow_mut().tiles_read(key, &url, result, &tiles);
            done(notice);
        });
    }
}
