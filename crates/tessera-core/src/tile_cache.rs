//! Decoded tiles kept in memory, bounded in bytes rather than in entries:
//! a uint16 tile takes twice the memory of a uint8 one, and what runs out
//! in a browser tab is memory.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// A least-recently-used cache whose entries have sizes in bytes.
#[derive(Debug)]
pub struct LruCache<K, V> {
    entries: HashMap<K, Entry<V>>,
    /// Keys by their last use: the first is the next to go.
    by_use: BTreeMap<u64, K>,
    clock: u64,
    bytes: usize,
    budget: usize,
}

#[derive(Debug)]
struct Entry<V> {
    value: V,
    bytes: usize,
    last_use: u64,
}

impl<K: Eq + Hash + Clone, V> LruCache<K, V> {
    pub fn new(budget: usize) -> Self {
        LruCache {
            entries: HashMap::new(),
            by_use: BTreeMap::new(),
            clock: 0,
            bytes: 0,
            budget,
        }
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// Keeps `value` (replacing what `key` had) as the most recently used,
    /// then evicts the least recently used until the total fits the budget.
    /// Returns the evicted keys; a value larger than the whole budget is
    /// not kept, and its key is among them.
    pub fn insert(&mut self, key: K, value: V, bytes: usize) -> Vec<K> {
        self.remove(&key);
        let last_use = self.tick();
        self.by_use.insert(last_use, key.clone());
        self.entries.insert(
            key,
            Entry {
                value,
                bytes,
                last_use,
            },
        );
        self.bytes += bytes;
        self.evict()
    }

    fn evict(&mut self) -> Vec<K> {
        let mut evicted = Vec::new();
        while self.bytes > self.budget {
            let Some((_, key)) = self.by_use.pop_first() else {
                break;
            };
            if let Some(entry) = self.entries.remove(&key) {
                self.bytes -= entry.bytes;
            }
            evicted.push(key);
        }
        evicted
    }

    /// The value of `key`, which counts as a use.
    pub fn get(&mut self, key: &K) -> Option<&V> {
        let now = self.tick();
        let entry = self.entries.get_mut(key)?;
        if let Some(k) = self.by_use.remove(&entry.last_use) {
            self.by_use.insert(now, k);
        }
        entry.last_use = now;
        Some(&entry.value)
    }

    /// The value of `key`, without counting as a use.
    pub fn peek(&self, key: &K) -> Option<&V> {
        self.entries.get(key).map(|e| &e.value)
    }

    pub fn contains(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }

    pub fn remove(&mut self, key: &K) -> Option<V> {
        let entry = self.entries.remove(key)?;
        self.by_use.remove(&entry.last_use);
        self.bytes -= entry.bytes;
        Some(entry.value)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes of all entries kept.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn budget(&self) -> usize {
        self.budget
    }

    /// Changes the budget, evicting what no longer fits.
    pub fn set_budget(&mut self, budget: usize) -> Vec<K> {
        self.budget = budget;
        self.evict()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.by_use.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn evicts_the_least_recently_used_first() {
        let mut c = LruCache::new(10);
        assert!(c.insert('a', 1, 4).is_empty());
        assert!(c.insert('b', 2, 4).is_empty());
        assert_eq!(c.get(&'a'), Some(&1));
        // 'b' is now the oldest.
        assert_eq!(c.insert('c', 3, 4), vec!['b']);
        assert!(c.contains(&'a') && c.contains(&'c') && !c.contains(&'b'));
        assert_eq!((c.len(), c.bytes()), (2, 8));
    }

    #[test]
    fn peek_does_not_count_as_a_use() {
        let mut c = LruCache::new(8);
        c.insert(1, "one", 4);
        c.insert(2, "two", 4);
        assert_eq!(c.peek(&1), Some(&"one"));
        assert_eq!(c.insert(3, "three", 4), vec![1]);
    }

    #[test]
    fn replacing_adjusts_the_bytes() {
        let mut c = LruCache::new(100);
        c.insert(1, (), 30);
        c.insert(1, (), 50);
        assert_eq!((c.len(), c.bytes()), (1, 50));
        assert_eq!(c.remove(&1), Some(()));
        assert_eq!((c.len(), c.bytes()), (0, 0));
        assert!(c.is_empty());
    }

    #[test]
    fn a_value_larger_than_the_budget_is_not_kept() {
        let mut c = LruCache::new(10);
        c.insert(1, (), 5);
        assert_eq!(c.insert(2, (), 11), vec![1, 2]);
        assert!(c.is_empty());
        assert_eq!(c.bytes(), 0);
    }

    #[test]
    fn a_smaller_budget_evicts() {
        let mut c = LruCache::new(10);
        for k in 0..5 {
            c.insert(k, (), 2);
        }
        assert_eq!(c.set_budget(5), vec![0, 1, 2]);
        assert_eq!((c.len(), c.bytes(), c.budget()), (2, 4, 5));
        c.clear();
        assert_eq!((c.len(), c.bytes()), (0, 0));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u8, usize),
        Get(u8),
        Remove(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..12, 0usize..40).prop_map(|(k, b)| Op::Insert(k, b)),
            (0u8..12).prop_map(Op::Get),
            (0u8..12).prop_map(Op::Remove),
        ]
    }

    proptest! {
        /// Against a model: a list of (key, bytes), most recent last.
        #[test]
        fn behaves_like_a_list_in_order_of_use(ops in proptest::collection::vec(op(), 0..200)) {
            let budget = 100;
            let mut cache = LruCache::new(budget);
            let mut model: Vec<(u8, usize)> = Vec::new();
            for op in ops {
                match op {
                    Op::Insert(k, b) => {
                        model.retain(|(key, _)| *key != k);
                        model.push((k, b));
                        let mut evicted = Vec::new();
                        while model.iter().map(|(_, b)| b).sum::<usize>() > budget {
                            evicted.push(model.remove(0).0);
                        }
                        prop_assert_eq!(cache.insert(k, b, b), evicted);
                    }
                    Op::Get(k) => {
                        let found = model.iter().position(|(key, _)| *key == k);
                        if let Some(i) = found {
                            let e = model.remove(i);
                            model.push(e);
                        }
                        let expected = found.and_then(|_| model.last()).map(|(_, b)| *b);
                        prop_assert_eq!(cache.get(&k).copied(), expected);
                    }
                    Op::Remove(k) => {
                        let found = model.iter().position(|(key, _)| *key == k).map(|i| model.remove(i).1);
                        prop_assert_eq!(cache.remove(&k), found);
                    }
                }
                prop_assert_eq!(cache.len(), model.len());
                prop_assert_eq!(cache.bytes(), model.iter().map(|(_, b)| b).sum::<usize>());
            }
        }
    }
}
