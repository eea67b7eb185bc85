//! The bookkeeping of loading tiles for several consumers at once: named
//! request groups (the map's view, a prefetch around it, and room for
//! others such as a pixel inspector or an export), each with its own list
//! of wanted files.
//!
//! * A group's wanted list replaces only that group's: a file no group
//!   wants any more is cancelled, one another group still wants is not.
//! * A file wanted by several groups is fetched once.
//! * Requests start in group order (the view first), each group's files
//!   in its list's order, at most `max_in_flight` at a time.
//! * Decoded tiles go into an LRU cache bounded in bytes; failures are kept
//!   with their URL and reason until retried.
//!
//! No I/O happens here: the web app's tile loader starts what
//! [`TileRequests::next_request`] gives, aborts what
//! [`TileRequests::set_wanted`] cancels, and reports back with
//! [`TileRequests::fetched`] and [`TileRequests::finished`], naming the
//! request by its [`Ticket`], so that a late answer to a cancelled request
//! never settles a newer request for the same file.

use std::collections::{BTreeMap, HashMap};

use crate::dataset::ChunkKey;
use crate::geotiff::DecodedTile;
use crate::tile_cache::LruCache;
use crate::view_plan::ChunkSource;

/// Who wants a file. Requests start in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RequestGroup {
    /// The files of the view the map shows.
    View,
    /// Files the map will likely need next: started only when no other
    /// group's file waits.
    Prefetch,
}

/// One request for a file, from its start to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(pub u64);

/// A file that could not be shown, and why.
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
    /// Requests cancelled because no group wanted their file any more.
    pub cancelled: u64,
    /// Bytes of files fetched.
    pub bytes_fetched: u64,
}

/// See the [module docs](self).
#[derive(Debug)]
pub struct TileRequests {
    cache: LruCache<ChunkKey, DecodedTile>,
    wanted: BTreeMap<RequestGroup, Vec<ChunkSource>>,
    /// Requests under way (their connections are busy).
    in_flight: HashMap<ChunkKey, Ticket>,
    /// Files fetched and being decoded: their connections are free for
    /// the next requests, so that fetching and decoding overlap.
    decoding: HashMap<ChunkKey, Ticket>,
    failures: BTreeMap<ChunkKey, FileFailure>,
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
            failures: BTreeMap::new(),
            max_in_flight: max_in_flight.max(1),
            next_ticket: 0,
            stats: RequestStats {
                cache_budget,
                ..RequestStats::default()
            },
        }
    }

    /// Makes `sources` what `group` wants (in the order to load them):
    /// returns the requests to cancel, those whose files no group wants
    /// any more. Cached files wanted are marked as used, the first last
    /// (so that the view's centre is evicted last).
    pub fn set_wanted(&mut self, group: RequestGroup, sources: Vec<ChunkSource>) -> Vec<Ticket> {
        if self
            .wanted
            .get(&group)
            .map_or(sources.is_empty(), |w| *w == sources)
        {
            return Vec::new();
        }
        for source in sources.iter().rev() {
            let _ = self.cache.get(&source.key);
        }
        if sources.is_empty() {
            self.wanted.remove(&group);
        } else {
            self.wanted.insert(group, sources);
        }
        let gone: Vec<ChunkKey> = self
            .in_flight
            .keys()
            .filter(|key| !self.is_wanted(key))
            .copied()
            .collect();
        let mut cancelled = Vec::with_capacity(gone.len());
        for key in gone {
            if let Some(ticket) = self.in_flight.remove(&key) {
                self.stats.cancelled += 1;
                cancelled.push(ticket);
            }
        }
        cancelled
    }

    /// What `group` wants, in order.
    pub fn wanted(&self, group: RequestGroup) -> &[ChunkSource] {
        self.wanted.get(&group).map_or(&[], Vec::as_slice)
    }

    /// Whether any group wants the file of `key`.
    pub fn is_wanted(&self, key: &ChunkKey) -> bool {
        self.wanted
            .values()
            .any(|w| w.iter().any(|s| s.key == *key))
    }

    /// The next request to start, if the limits allow one and a file
    /// waits: it counts as in flight from now on.
    pub fn next_request(&mut self) -> Option<(Ticket, ChunkSource)> {
        // Fetched files waiting for a decoder hold memory: a few
        // connections' worth at most.
        if self.in_flight.len() >= self.max_in_flight
            || self.decoding.len() >= 2 * self.max_in_flight
        {
            return None;
        }
        let source = self
            .wanted
            .values()
            .flatten()
            .find(|s| {
                !self.cache.contains(&s.key)
                    && !self.failures.contains_key(&s.key)
                    && !self.in_flight.contains_key(&s.key)
                    && !self.decoding.contains_key(&s.key)
            })?
            .clone();
        self.next_ticket += 1;
        let ticket = Ticket(self.next_ticket);
        self.in_flight.insert(source.key, ticket);
        self.stats.requests += 1;
        Some((ticket, source))
    }

    /// The request's file is in (`bytes` long): its connection is free,
    /// and the file is not fetched again while it is decoded.
    pub fn fetched(&mut self, key: ChunkKey, ticket: Ticket, bytes: u64) {
        self.stats.bytes_fetched += bytes;
        if self.in_flight.get(&key) == Some(&ticket) {
            self.in_flight.remove(&key);
            self.decoding.insert(key, ticket);
        }
    }

    /// The request ended with the decoded tile, or a failure. A tile is
    /// kept even from a cancelled request; a failure only counts for the
    /// file's current request.
    pub fn finished(
        &mut self,
        key: ChunkKey,
        ticket: Ticket,
        result: Result<DecodedTile, FileFailure>,
    ) {
        let current =
            self.in_flight.get(&key) == Some(&ticket) || self.decoding.get(&key) == Some(&ticket);
        if current {
            self.in_flight.remove(&key);
            self.decoding.remove(&key);
        }
        match result {
            Ok(tile) => {
                let bytes = tile.byte_len();
                self.failures.remove(&key);
                self.cache.insert(key, tile, bytes);
            }
            Err(failure) if current => {
                self.failures.insert(key, failure);
            }
            Err(_) => {}
        }
    }

    /// A request that ended without an answer (cancelled): forgets it if
    /// it is still the file's current one.
    pub fn abandoned(&mut self, key: ChunkKey, ticket: Ticket) {
        if self.in_flight.get(&key) == Some(&ticket) {
            self.in_flight.remove(&key);
        }
        if self.decoding.get(&key) == Some(&ticket) {
            self.decoding.remove(&key);
        }
    }

    /// Forgets the failures of `keys`: they are requested again.
    pub fn retry(&mut self, keys: &[ChunkKey]) {
        for key in keys {
            self.failures.remove(key);
        }
    }

    /// The decoded tile of `key`, if loaded (not counted as a use).
    pub fn tile(&self, key: &ChunkKey) -> Option<&DecodedTile> {
        self.cache.peek(key)
    }

    pub fn failure(&self, key: &ChunkKey) -> Option<&FileFailure> {
        self.failures.get(key)
    }

    /// Whether a request for `key` is under way (fetching or decoding).
    pub fn is_loading(&self, key: &ChunkKey) -> bool {
        self.in_flight.contains_key(key) || self.decoding.contains_key(key)
    }

    /// How many of `keys` are loaded and failed.
    pub fn progress<'a>(&self, keys: impl IntoIterator<Item = &'a ChunkKey>) -> Progress {
        let mut p = Progress::default();
        for key in keys {
            p.total += 1;
            if self.cache.contains(key) {
                p.loaded += 1;
            } else if self.failures.contains_key(key) {
                p.failed += 1;
            }
        }
        p
    }

    /// The failures among `keys`, in their order.
    pub fn failures_among<'a>(
        &self,
        keys: impl IntoIterator<Item = &'a ChunkKey>,
    ) -> Vec<FileFailure> {
        keys.into_iter()
            .filter_map(|k| self.failures.get(k).cloned())
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

    fn sources(ns: impl IntoIterator<Item = u16>) -> Vec<ChunkSource> {
        ns.into_iter().map(source).collect()
    }

    fn tile() -> DecodedTile {
        DecodedTile::U8(vec![1; 16])
    }

    /// Starts every request the limits allow: their keys.
    fn start_all(r: &mut TileRequests) -> Vec<(Ticket, ChunkKey)> {
        std::iter::from_fn(|| r.next_request().map(|(t, s)| (t, s.key))).collect()
    }

    #[test]
    fn the_view_goes_first_and_in_its_order() {
        let mut r = TileRequests::new(1 << 20, 3);
        r.set_wanted(RequestGroup::Prefetch, sources([7, 8]));
        r.set_wanted(RequestGroup::View, sources([3, 1, 2, 4]));
        let started: Vec<ChunkKey> = start_all(&mut r).into_iter().map(|(_, k)| k).collect();
        assert_eq!(started, [key(3), key(1), key(2)]);
        assert_eq!(r.stats().requests, 3);
    }

    #[test]
    fn a_file_two_groups_want_is_fetched_once() {
        let mut r = TileRequests::new(1 << 20, 6);
        r.set_wanted(RequestGroup::View, sources([1, 2]));
        r.set_wanted(RequestGroup::Prefetch, sources([2, 3]));
        let started = start_all(&mut r);
        let keys: Vec<ChunkKey> = started.iter().map(|(_, k)| *k).collect();
        assert_eq!(keys, [key(1), key(2), key(3)]);
        for (ticket, k) in started {
            r.finished(k, ticket, Ok(tile()));
        }
        assert_eq!(r.progress(&[key(2)]).loaded, 1);
        assert!(r.next_request().is_none());
    }

    #[test]
    fn cancelling_one_group_leaves_the_others_alone() {
        let mut r = TileRequests::new(1 << 20, 6);
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
        let mut r = TileRequests::new(1 << 20, 6);
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
        r.finished(key(1), old, Err(failure.clone()));
        assert!(r.failure(&key(1)).is_none() && r.is_loading(&key(1)));
        r.finished(key(1), new, Err(failure.clone()));
        assert_eq!(r.failure(&key(1)), Some(&failure));
        assert_eq!(r.progress(&[key(1)]).failed, 1);
        // Failures are not requested again until retried.
        assert!(r.next_request().is_none());
        r.retry(&[key(1)]);
        assert!(r.next_request().is_some());
    }

    #[test]
    fn fetched_files_free_their_connection_but_are_not_fetched_again() {
        let mut r = TileRequests::new(1 << 20, 1);
        r.set_wanted(RequestGroup::View, sources([1, 2]));
        let (t1, s1) = r.next_request().unwrap();
        assert!(r.next_request().is_none(), "one at a time");
        r.fetched(s1.key, t1, 1000);
        let (t2, s2) = r.next_request().unwrap();
        assert_eq!(s2.key, key(2));
        assert!(r.next_request().is_none());
        r.finished(s1.key, t1, Ok(tile()));
        r.finished(s2.key, t2, Ok(tile()));
        assert_eq!(r.stats().bytes_fetched, 1000);
        assert_eq!(r.progress(&[key(1), key(2)]).loaded, 2);
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
            let mut r = TileRequests::new(1 << 20, 3);
            let mut live: BTreeMap<Ticket, ChunkKey> = BTreeMap::new();
            for (view, wanted, finish) in steps {
                let group = if view { RequestGroup::View } else { RequestGroup::Prefetch };
                for ticket in r.set_wanted(group, sources(wanted)) {
                    let k = live.remove(&ticket).expect("a cancelled request was live");
                    prop_assert!(!r.is_wanted(&k));
                }
                live.extend(start_all(&mut r));
                let keys: Vec<ChunkKey> = live.values().copied().collect();
                let unique: std::collections::BTreeSet<_> = keys.iter().collect();
                prop_assert_eq!(unique.len(), keys.len());
                prop_assert!(keys.iter().all(|k| r.is_wanted(k)));
                for (ticket, k) in live.clone().into_iter().take(finish) {
                    r.finished(k, ticket, Ok(tile()));
                    live.remove(&ticket);
                }
            }
        }
    }
}
