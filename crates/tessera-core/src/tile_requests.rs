//! The bookkeeping of loading tiles for several consumers at once: named
//! request groups (the map's view, a prefetch around it, the pixel
//! inspector, and room for others such as an export), each with its own
//! list of wanted files, or parts of files: a whole file, or the strip
//! holding one row (a pixel's), read by byte ranges.
//!
//! * A group's wanted list replaces only that group's: a request no group
//!   wants any more is cancelled, one another group still wants is not.
//! * A file part wanted by several groups is fetched once; a row of a file
//!   already decoded whole is not fetched at all.
//! * Requests start in group order (the view first), each group's parts
//!   in its list's order: at most `max_in_flight` whole files at a time,
//!   and twice as many row reads (each makes two or three short requests,
//!   with gaps between them that another's keep the connections busy in).
//! * What is read goes into an LRU cache bounded in bytes; failures are
//!   kept with their URL and reason until retried.
//!
//! No I/O happens here: the web app's tile loader starts what
//! [`TileRequests::next_request`] gives, aborts what
//! [`TileRequests::set_wanted`] cancels, and reports back with
//! [`TileRequests::fetched`] and [`TileRequests::finished`], naming the
//! request by its [`Ticket`], so that a late answer to a cancelled request
//! never settles a newer request for the same part.

use std::collections::{BTreeMap, HashMap};

use crate::dataset::ChunkKey;
use crate::geotiff::DecodedTile;
use crate::tiff_layout::{StripRows, StripValues};
use crate::tile_cache::LruCache;
use crate::view_plan::ChunkSource;

/// Who wants a file. Requests start in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RequestGroup {
    /// The files of the view the map shows.
    View,
    /// The files of the pinned pixel (its rows, read by byte ranges).
    Inspector,
    /// The files of an export being written, a band of its area at a time.
    Export,
    /// Files the map will likely need next: started only when no other
    /// group's file waits.
    Prefetch,
}

/// What part of a file a request reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    /// The whole file, decoded.
    Whole,
    /// The strip holding this image row, read by byte ranges.
    Row(u32),
}

/// A file part someone wants, and where the file is.
#[derive(Debug, Clone, PartialEq)]
pub struct Want {
    pub source: ChunkSource,
    pub part: Part,
}

impl Want {
    pub fn whole(source: ChunkSource) -> Want {
        Want {
            source,
            part: Part::Whole,
        }
    }

    pub fn row(source: ChunkSource, row: u32) -> Want {
        Want {
            source,
            part: Part::Row(row),
        }
    }

    fn id(&self) -> (ChunkKey, Part) {
        (self.source.key, self.part)
    }
}

/// What a request read.
#[derive(Debug, Clone, PartialEq)]
pub enum Loaded {
    /// The whole file, decoded (also the answer to a row request when the
    /// server sent the whole file).
    Tile(DecodedTile),
    /// The strip holding a row.
    Rows(StripRows),
}

impl Loaded {
    fn byte_len(&self) -> usize {
        match self {
            Loaded::Tile(t) => t.byte_len(),
            Loaded::Rows(r) => match &r.values {
                StripValues::U8(v) => v.len(),
                StripValues::U16(v) => 2 * v.len(),
            },
        }
    }
}

/// One request for a file part, from its start to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(pub u64);

/// A file (or part) that could not be read, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct FileFailure {
    pub key: ChunkKey,
    pub url: String,
    pub reason: String,
}

/// Counts of some files (a view's): loaded, failed, and in all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub loaded: usize,
    pub failed: usize,
    pub total: usize,
}

impl Progress {
    /// Every file is loaded or failed.
    pub fn done(&self) -> bool {
        self.loaded + self.failed >= self.total
    }
}

/// Totals over the session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestStats {
    pub cache_bytes: usize,
    pub cache_budget: usize,
    pub cached_tiles: usize,
    /// Requests started.
    pub requests: u64,
    /// Requests cancelled because no group wanted their part any more.
    pub cancelled: u64,
    /// Bytes of files fetched (rows included).
    pub bytes_fetched: u64,
    /// Of those, bytes fetched for rows, in this many HTTP requests (a row
    /// read takes two or three).
    pub row_bytes: u64,
    pub row_requests: u64,
}

type PartId = (ChunkKey, Part);

/// A decoded tile of an overview COG: (the COG's number in the session,
/// level, tile index). Kept in the same cache as the files, so that one
/// budget bounds what the page holds.
pub type OverviewTileId = (u32, usize, usize);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum CacheKey {
    File(PartId),
    Overview(OverviewTileId),
}

#[derive(Debug)]
enum Cached {
    File(Loaded),
    /// DN, row-major.
    Overview(Vec<u16>),
}

/// See the [module docs](self).
#[derive(Debug)]
pub struct TileRequests {
    cache: LruCache<CacheKey, Cached>,
    wanted: BTreeMap<RequestGroup, Vec<Want>>,
    /// Requests under way (their connections are busy).
    in_flight: HashMap<PartId, Ticket>,
    /// Files fetched and being decoded: their connections are free for
    /// the next requests, so that fetching and decoding overlap.
    decoding: HashMap<PartId, Ticket>,
    /// What each live ticket is for.
    tickets: HashMap<Ticket, PartId>,
    failures: BTreeMap<PartId, FileFailure>,
    max_in_flight: usize,
    next_ticket: u64,
    stats: RequestStats,
}

impl TileRequests {
    /// A cache of `cache_budget` bytes, at most `max_in_flight` (≥ 1)
    /// requests at once.
    pub fn new(cache_budget: usize, max_in_flight: usize) -> TileRequests {
        TileRequests {
            cache: LruCache::new(cache_budget),
            wanted: BTreeMap::new(),
            in_flight: HashMap::new(),
            decoding: HashMap::new(),
            tickets: HashMap::new(),
            failures: BTreeMap::new(),
            max_in_flight: max_in_flight.max(1),
            next_ticket: 0,
            stats: RequestStats {
                cache_budget,
                ..RequestStats::default()
            },
        }
    }

    /// Makes `wants` what `group` wants (in the order to load them):
    /// returns the requests to cancel, those whose parts no group wants
    /// any more. Cached parts wanted are marked as used, the first last
    /// (so that the view's centre is evicted last).
    pub fn set_wanted(&mut self, group: RequestGroup, wants: Vec<Want>) -> Vec<Ticket> {
        if self
            .wanted
            .get(&group)
            .map_or(wants.is_empty(), |w| *w == wants)
        {
            return Vec::new();
        }
        for want in wants.iter().rev() {
            let _ = self.cache.get(&CacheKey::File(want.id()));
        }
        if wants.is_empty() {
            self.wanted.remove(&group);
        } else {
            self.wanted.insert(group, wants);
        }
        let gone: Vec<PartId> = self
            .in_flight
            .keys()
            .filter(|id| !self.is_wanted(id))
            .copied()
            .collect();
        let mut cancelled = Vec::with_capacity(gone.len());
        for id in gone {
            if let Some(ticket) = self.in_flight.remove(&id) {
                self.tickets.remove(&ticket);
                self.stats.cancelled += 1;
                cancelled.push(ticket);
            }
        }
        cancelled
    }

    /// What `group` wants, in order.
    pub fn wanted(&self, group: RequestGroup) -> &[Want] {
        self.wanted.get(&group).map_or(&[], Vec::as_slice)
    }

    fn is_wanted(&self, id: &PartId) -> bool {
        self.wanted.values().flatten().any(|w| w.id() == *id)
    }

    /// Whether a part is read already: a row is, if its strip or the
    /// whole file is.
    fn has(&self, id: &PartId) -> bool {
        self.cache.contains(&CacheKey::File(*id))
            || self.cache.contains(&CacheKey::File((id.0, Part::Whole)))
    }

    /// The next request to start, if the limits allow one and a part
    /// waits: it counts as in flight from now on.
    pub fn next_request(&mut self) -> Option<(Ticket, Want)> {
        let rows = self
            .in_flight
            .keys()
            .filter(|(_, part)| *part != Part::Whole)
            .count();
        // Fetched files waiting for a decoder hold memory: a few
        // connections' worth at most.
        let wholes_full = self.in_flight.len() - rows >= self.max_in_flight
            || self.decoding.len() >= 2 * self.max_in_flight;
        let rows_full = rows >= 2 * self.max_in_flight;
        if wholes_full && rows_full {
            return None;
        }
        let want = self
            .wanted
            .values()
            .flatten()
            .find(|w| {
                let id = w.id();
                let full = match w.part {
                    Part::Whole => wholes_full,
                    Part::Row(_) => rows_full,
                };
                !full
                    && !self.has(&id)
                    && !self.failures.contains_key(&id)
                    && !self.in_flight.contains_key(&id)
                    && !self.decoding.contains_key(&id)
            })?
            .clone();
        self.next_ticket += 1;
        let ticket = Ticket(self.next_ticket);
        self.in_flight.insert(want.id(), ticket);
        self.tickets.insert(ticket, want.id());
        self.stats.requests += 1;
        Some((ticket, want))
    }

    /// The request's file is in (`bytes` long): its connection is free,
    /// and the file is not fetched again while it is decoded.
    pub fn fetched(&mut self, ticket: Ticket, bytes: u64) {
        self.stats.bytes_fetched += bytes;
        if let Some(id) = self.tickets.get(&ticket).copied() {
            if self.in_flight.get(&id) == Some(&ticket) {
                self.in_flight.remove(&id);
                self.decoding.insert(id, ticket);
            }
        }
    }

    /// What a row read fetched: `bytes` in `requests` HTTP requests.
    pub fn count_row_read(&mut self, bytes: u64, requests: u64) {
        self.stats.bytes_fetched += bytes;
        self.stats.row_bytes += bytes;
        self.stats.row_requests += requests;
    }

    /// The request for `key`'s `part` ended with what it read, or a
    /// failure. What was read is kept even from a cancelled request; a
    /// failure only counts for the part's current request.
    pub fn finished(
        &mut self,
        key: ChunkKey,
        part: Part,
        ticket: Ticket,
        result: Result<Loaded, FileFailure>,
    ) {
        let id = (key, part);
        let current = self.tickets.remove(&ticket).is_some()
            && (self.in_flight.get(&id) == Some(&ticket)
                || self.decoding.get(&id) == Some(&ticket));
        if current {
            self.in_flight.remove(&id);
            self.decoding.remove(&id);
        }
        match result {
            Ok(loaded) => {
                // A whole file answers any part of it.
                let id = match loaded {
                    Loaded::Tile(_) => (key, Part::Whole),
                    Loaded::Rows(_) => id,
                };
                self.failures.remove(&id);
                let bytes = loaded.byte_len();
                self.cache
                    .insert(CacheKey::File(id), Cached::File(loaded), bytes);
            }
            Err(failure) if current => {
                self.failures.insert(id, failure);
            }
            Err(_) => {}
        }
    }

    /// A request that ended without an answer (cancelled): forgets it if
    /// it is still the part's current one.
    pub fn abandoned(&mut self, ticket: Ticket) {
        let Some(id) = self.tickets.remove(&ticket) else {
            return;
        };
        if self.in_flight.get(&id) == Some(&ticket) {
            self.in_flight.remove(&id);
        }
        if self.decoding.get(&id) == Some(&ticket) {
            self.decoding.remove(&id);
        }
    }

    /// Forgets the failures of every part of `keys`: they are requested
    /// again.
    pub fn retry(&mut self, keys: &[ChunkKey]) {
        self.failures.retain(|(key, _), _| !keys.contains(key));
    }

    /// What was read of a file's part (not counted as a use).
    fn file(&self, id: PartId) -> Option<&Loaded> {
        match self.cache.peek(&CacheKey::File(id))? {
            Cached::File(loaded) => Some(loaded),
            Cached::Overview(_) => None,
        }
    }

    /// The decoded tile of `key`, if loaded whole (not counted as a use).
    pub fn tile(&self, key: &ChunkKey) -> Option<&DecodedTile> {
        match self.file((*key, Part::Whole))? {
            Loaded::Tile(tile) => Some(tile),
            Loaded::Rows(_) => None,
        }
    }

    /// The value of `key`'s file at (row, column), from the whole file or
    /// the strip of `row`, if read.
    pub fn value_at(&self, key: &ChunkKey, row: u32, column: u32) -> Option<u16> {
        match self.file((*key, Part::Whole)) {
            Some(Loaded::Tile(tile)) => return Some(tile.get(row, column)),
            Some(Loaded::Rows(rows)) => return rows.get(row, column),
            None => {}
        }
        match self.file((*key, Part::Row(row)))? {
            Loaded::Rows(rows) => rows.get(row, column),
            Loaded::Tile(tile) => Some(tile.get(row, column)),
        }
    }

    /// Keeps an overview COG's decoded tile, in the cache the files share.
    pub fn keep_overview_tile(&mut self, id: OverviewTileId, values: Vec<u16>) {
        let bytes = values.len() * 2;
        self.cache
            .insert(CacheKey::Overview(id), Cached::Overview(values), bytes);
    }

    /// An overview COG's decoded tile, if kept (not counted as a use).
    pub fn overview_tile(&self, id: OverviewTileId) -> Option<&[u16]> {
        match self.cache.peek(&CacheKey::Overview(id))? {
            Cached::Overview(values) => Some(values),
            Cached::File(_) => None,
        }
    }

    /// Whether an overview tile is kept, counting it as used (a view
    /// needs it: it goes after the others).
    pub fn use_overview_tile(&mut self, id: OverviewTileId) -> bool {
        self.cache.get(&CacheKey::Overview(id)).is_some()
    }

    /// Why the whole file of `key` could not be read, if it could not.
    pub fn failure(&self, key: &ChunkKey) -> Option<&FileFailure> {
        self.failures.get(&(*key, Part::Whole))
    }

    /// Why `key`'s `part` could not be read, if it could not.
    pub fn failure_of(&self, key: &ChunkKey, part: Part) -> Option<&FileFailure> {
        self.failures.get(&(*key, part))
    }

    /// Whether a request for `key`'s whole file is under way.
    pub fn is_loading(&self, key: &ChunkKey) -> bool {
        let id = (*key, Part::Whole);
        self.in_flight.contains_key(&id) || self.decoding.contains_key(&id)
    }

    /// How many of the whole files of `keys` are loaded and failed.
    pub fn progress<'a>(&self, keys: impl IntoIterator<Item = &'a ChunkKey>) -> Progress {
        self.progress_of(keys.into_iter().map(|k| (*k, Part::Whole)))
    }

    /// How many of `parts` are read (a row also by its whole file) and
    /// failed.
    pub fn progress_of(&self, parts: impl IntoIterator<Item = (ChunkKey, Part)>) -> Progress {
        let mut p = Progress::default();
        for id in parts {
            p.total += 1;
            if self.has(&id) {
                p.loaded += 1;
            } else if self.failures.contains_key(&id) {
                p.failed += 1;
            }
        }
        p
    }

    /// The failures among the whole files of `keys`, in their order.
    pub fn failures_among<'a>(
        &self,
        keys: impl IntoIterator<Item = &'a ChunkKey>,
    ) -> Vec<FileFailure> {
        keys.into_iter()
            .filter_map(|k| self.failure(k).cloned())
            .collect()
    }

    pub fn stats(&self) -> RequestStats {
        RequestStats {
            cache_bytes: self.cache.bytes(),
            cached_tiles: self.cache.len(),
            ..self.stats
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Layer, Polarization, RepeatInterval, Season, Tile, Variable};
    use crate::view_plan::ChunkLocation;
    use crate::DType;
    use proptest::prelude::*;

    fn key(n: u16) -> ChunkKey {
        ChunkKey::new(
            Variable::Coh,
            Layer::Coherence(Season::Winter, Polarization::Vv, RepeatInterval::Days12),
            Tile::from_indices(40 + n / 10, 50 + n % 10).unwrap(),
        )
        .unwrap()
    }

    fn source(n: u16) -> ChunkSource {
        ChunkSource {
            key: key(n),
            location: ChunkLocation::Remote {
                url: format!("f{n}.tif"),
                range: None,
            },
            dtype: DType::U8,
        }
    }

    fn sources(ns: impl IntoIterator<Item = u16>) -> Vec<Want> {
        ns.into_iter().map(|n| Want::whole(source(n))).collect()
    }

    fn tile() -> DecodedTile {
        DecodedTile::U8(vec![1; 1200 * 1200])
    }

    fn rows(row: u32, value: u8) -> StripRows {
        StripRows {
            first_row: row - row % 6,
            rows: 6,
            width: 1200,
            values: StripValues::U8(vec![value; 6 * 1200]),
        }
    }

    /// Starts every request the limits allow: their keys.
    fn start_all(r: &mut TileRequests) -> Vec<(Ticket, ChunkKey)> {
        std::iter::from_fn(|| r.next_request().map(|(t, w)| (t, w.source.key))).collect()
    }

    #[test]
    fn the_view_goes_first_and_in_its_order() {
        let mut r = TileRequests::new(64 << 20, 3);
        r.set_wanted(RequestGroup::Prefetch, sources([7, 8]));
        r.set_wanted(RequestGroup::View, sources([3, 1, 2, 4]));
        let started: Vec<ChunkKey> = start_all(&mut r).into_iter().map(|(_, k)| k).collect();
        assert_eq!(started, [key(3), key(1), key(2)]);
        assert_eq!(r.stats().requests, 3);
    }

    #[test]
    fn overview_tiles_share_the_files_cache_and_its_budget() {
        // Room for two 1.4 MB files, or one file and a few overview tiles.
        let mut r = TileRequests::new(3 << 20, 6);
        r.set_wanted(RequestGroup::View, sources([1, 2]));
        for (ticket, k) in start_all(&mut r) {
            r.finished(k, Part::Whole, ticket, Ok(Loaded::Tile(tile())));
        }
        assert!(r.tile(&key(1)).is_some() && r.tile(&key(2)).is_some());
        // A 512² overview tile is 512 KB: the least recently used file goes.
        r.keep_overview_tile((0, 3, 7), vec![5; 512 * 512]);
        assert_eq!(r.overview_tile((0, 3, 7)).map(|v| v[0]), Some(5));
        assert!(r.overview_tile((0, 3, 8)).is_none());
        assert!(r.overview_tile((1, 3, 7)).is_none());
        assert!(r.tile(&key(1)).is_none(), "evicted for the overview tile");
        assert!(r.tile(&key(2)).is_some());
        assert_eq!(r.stats().cached_tiles, 2);
        assert_eq!(r.stats().cache_bytes, 1200 * 1200 + 512 * 512 * 2);
        // Used again, an overview tile outlives a file kept after it.
        r.keep_overview_tile((0, 3, 9), vec![6; 512 * 512]);
        assert!(r.use_overview_tile((0, 3, 7)));
        r.keep_overview_tile((0, 3, 10), vec![7; 512 * 512]);
        r.keep_overview_tile((0, 3, 11), vec![8; 512 * 512]);
        assert!(r.tile(&key(2)).is_none());
        assert!(r.overview_tile((0, 3, 7)).is_some());
        assert!(!r.use_overview_tile((0, 4, 7)));
    }

    #[test]
    fn a_file_two_groups_want_is_fetched_once() {
        let mut r = TileRequests::new(64 << 20, 6);
        r.set_wanted(RequestGroup::View, sources([1, 2]));
        r.set_wanted(RequestGroup::Prefetch, sources([2, 3]));
        let started = start_all(&mut r);
        let keys: Vec<ChunkKey> = started.iter().map(|(_, k)| *k).collect();
        assert_eq!(keys, [key(1), key(2), key(3)]);
        for (ticket, k) in started {
            r.finished(k, Part::Whole, ticket, Ok(Loaded::Tile(tile())));
        }
        assert_eq!(r.progress(&[key(2)]).loaded, 1);
        assert!(r.next_request().is_none());
    }

    #[test]
    fn cancelling_one_group_leaves_the_others_alone() {
        let mut r = TileRequests::new(64 << 20, 6);
        r.set_wanted(RequestGroup::View, sources([1, 2, 3]));
        r.set_wanted(RequestGroup::Prefetch, sources([3, 4]));
        let started = start_all(&mut r);
        assert_eq!(started.len(), 4);
        // The view moves on: 1 and 2 are cancelled, 3 the prefetch keeps.
        let cancelled = r.set_wanted(RequestGroup::View, Vec::new());
        let ticket_of = |k: ChunkKey| started.iter().find(|(_, s)| *s == k).unwrap().0;
        assert_eq!(
            cancelled
                .iter()
                .copied()
                .collect::<std::collections::BTreeSet<_>>(),
            [ticket_of(key(1)), ticket_of(key(2))].into_iter().collect()
        );
        assert!(r.is_loading(&key(3)) && r.is_loading(&key(4)));
        assert_eq!(r.stats().cancelled, 2);
        // The prefetch goes: 3 and 4 now.
        assert_eq!(r.set_wanted(RequestGroup::Prefetch, Vec::new()).len(), 2);
        assert_eq!(r.stats().cancelled, 4);
    }

    #[test]
    fn a_late_answer_to_a_cancelled_request_settles_nothing() {
        let mut r = TileRequests::new(64 << 20, 6);
        r.set_wanted(RequestGroup::View, sources([1]));
        let (old, _) = r.next_request().unwrap();
        assert_eq!(r.set_wanted(RequestGroup::View, Vec::new()), [old]);
        r.set_wanted(RequestGroup::View, sources([1]));
        let (new, _) = r.next_request().unwrap();
        assert_ne!(old, new);
        // The old request fails late: not a failure of the file.
        let failure = FileFailure {
            key: key(1),
            url: "f1.tif".into(),
            reason: "cancelled".into(),
        };
        r.finished(key(1), Part::Whole, old, Err(failure.clone()));
        assert!(r.failure(&key(1)).is_none() && r.is_loading(&key(1)));
        r.finished(key(1), Part::Whole, new, Err(failure.clone()));
        assert_eq!(r.failure(&key(1)), Some(&failure));
        assert_eq!(r.progress(&[key(1)]).failed, 1);
        // Failures are not requested again until retried.
        assert!(r.next_request().is_none());
        r.retry(&[key(1)]);
        assert!(r.next_request().is_some());
    }

    #[test]
    fn fetched_files_free_their_connection_but_are_not_fetched_again() {
        let mut r = TileRequests::new(64 << 20, 1);
        r.set_wanted(RequestGroup::View, sources([1, 2]));
        let (t1, w1) = r.next_request().unwrap();
        assert!(r.next_request().is_none(), "one at a time");
        r.fetched(t1, 1000);
        let (t2, w2) = r.next_request().unwrap();
        assert_eq!(w2.source.key, key(2));
        assert!(r.next_request().is_none());
        r.finished(w1.source.key, Part::Whole, t1, Ok(Loaded::Tile(tile())));
        r.finished(w2.source.key, Part::Whole, t2, Ok(Loaded::Tile(tile())));
        assert_eq!(r.stats().bytes_fetched, 1000);
        assert_eq!(r.progress(&[key(1), key(2)]).loaded, 2);
    }

    #[test]
    fn a_row_is_read_once_and_not_at_all_when_the_file_is_loaded_whole() {
        let mut r = TileRequests::new(64 << 20, 6);
        // The inspector wants row 100 of files 1 and 2; file 2 is the
        // view's too, and loaded whole.
        r.set_wanted(RequestGroup::View, sources([2]));
        let (t2, _) = r.next_request().unwrap();
        r.finished(key(2), Part::Whole, t2, Ok(Loaded::Tile(tile())));
        let rows_of = |n| Want::row(source(n), 100);
        r.set_wanted(RequestGroup::Inspector, vec![rows_of(1), rows_of(2)]);
        let (t1, w1) = r.next_request().unwrap();
        assert_eq!((w1.source.key, w1.part), (key(1), Part::Row(100)));
        assert!(
            r.next_request().is_none(),
            "file 2's row comes from its tile"
        );
        assert_eq!(r.value_at(&key(2), 100, 7), Some(1));
        assert_eq!(r.value_at(&key(1), 100, 7), None);
        r.finished(key(1), Part::Row(100), t1, Ok(Loaded::Rows(rows(100, 9))));
        assert_eq!(r.value_at(&key(1), 100, 7), Some(9));
        let parts = [(key(1), Part::Row(100)), (key(2), Part::Row(100))];
        assert_eq!(r.progress_of(parts).loaded, 2);
        // The view moving on cancels nothing of the inspector's.
        r.set_wanted(RequestGroup::Inspector, vec![Want::row(source(3), 5)]);
        let (t3, _) = r.next_request().unwrap();
        assert!(r.set_wanted(RequestGroup::View, Vec::new()).is_empty());
        // A server that sends the whole file for a row: kept whole.
        r.finished(key(3), Part::Row(5), t3, Ok(Loaded::Tile(tile())));
        assert!(r.tile(&key(3)).is_some());
        assert_eq!(r.value_at(&key(3), 900, 3), Some(1));
    }

    proptest! {
        /// Whatever the groups ask for, in any order: no file is in flight
        /// twice, nothing is in flight that no group wants, and what is
        /// cancelled is exactly what left every group's list.
        #[test]
        fn requests_follow_the_groups(
            steps in proptest::collection::vec(
                (any::<bool>(), proptest::collection::vec(0u16..12, 0..6), 0usize..4),
                1..30,
            ),
        ) {
            let mut r = TileRequests::new(64 << 20, 3);
            let mut live: BTreeMap<Ticket, ChunkKey> = BTreeMap::new();
            for (view, wanted, finish) in steps {
                let group = if view { RequestGroup::View } else { RequestGroup::Prefetch };
                for ticket in r.set_wanted(group, sources(wanted)) {
                    let k = live.remove(&ticket).expect("a cancelled request was live");
                    prop_assert!(!r.is_wanted(&(k, Part::Whole)));
                }
                live.extend(start_all(&mut r));
                let keys: Vec<ChunkKey> = live.values().copied().collect();
                let unique: std::collections::BTreeSet<_> = keys.iter().collect();
                prop_assert_eq!(unique.len(), keys.len());
                prop_assert!(keys.iter().all(|k| r.is_wanted(&(*k, Part::Whole))));
                for (ticket, k) in live.clone().into_iter().take(finish) {
                    r.finished(k, Part::Whole, ticket, Ok(Loaded::Tile(tile())));
                    live.remove(&ticket);
                }
            }
        }
    }
}
