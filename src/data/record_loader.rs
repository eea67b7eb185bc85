//! Parquet references read as views need them: the store's `.zmetadata`
//! when the page loads ([`crate::data::references`]), then the record
//! files (`<variable>/refs.<n>.parq`) the view plan names: its layer's at
//! once, the other layers' (for the layer choices) once the view's files
//! are in, so that they never hold the view up. The full data set's
//! references are never downloaded.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use tessera_core::parquet_refs::{ParquetReferences, RecordFile};

use crate::fetch::FetchError;
use crate::state::report::RecordsSummary;

/// Record files fetched at once; tiles use the browser's other connections.
const MAX_IN_FLIGHT: usize = 4;

/// A parquet store and the reading of its record files.
pub struct RecordLoader {
    store: ParquetReferences,
    /// The store's folder URL, ending in `/`.
    folder: String,
    queue: VecDeque<RecordFile>,
    in_flight: BTreeSet<RecordFile>,
    failed: BTreeMap<RecordFile, String>,
    /// Files fetched (`.zmetadata` included) and their bytes.
    files: u32,
    bytes: u64,
}

impl RecordLoader {
    /// Reads `store`'s record files from `folder` (ending in `/`);
    /// `zmetadata_bytes` is what its `.zmetadata` took, counted in.
    pub fn new(store: ParquetReferences, folder: String, zmetadata_bytes: u64) -> RecordLoader {
        RecordLoader {
            store,
            folder,
            queue: VecDeque::new(),
            in_flight: BTreeSet::new(),
            failed: BTreeMap::new(),
            files: 1,
            bytes: zmetadata_bytes,
        }
    }

    pub fn store(&self) -> &ParquetReferences {
        &self.store
    }

    /// Asks for `records` before anything asked for earlier (those that
    /// failed wait for [`RecordLoader::retry_failed`]).
    pub fn request_first(&mut self, records: &[RecordFile]) {
        for &record in records.iter().rev() {
            if !self.failed.contains_key(&record) && !self.in_flight.contains(&record) {
                self.queue.retain(|q| *q != record);
                self.queue.push_front(record);
            }
        }
    }

    /// Asks for `records` after those asked for already.
    pub fn request_later(&mut self, records: &[RecordFile]) {
        for &record in records {
            if !self.failed.contains_key(&record)
                && !self.in_flight.contains(&record)
                && !self.queue.contains(&record)
            {
                self.queue.push_back(record);
            }
        }
    }

    /// Whether every one of `records` is read, missing or failed.
    pub fn settled(&self, records: &[RecordFile]) -> bool {
        records
            .iter()
            .all(|r| self.store.record(*r).is_some() || self.failed.contains_key(r))
    }

    /// The next record file to fetch and its URL, if there is room.
    pub fn next_fetch(&mut self) -> Option<(RecordFile, String)> {
        while self.in_flight.len() < MAX_IN_FLIGHT {
            let record = self.queue.pop_front()?;
            if self.store.record(record).is_some() || !self.in_flight.insert(record) {
                continue;
            }
            return Some((record, format!("{}{}", self.folder, record.path())));
        }
        None
    }

    /// A record file's fetch ended: its chunks join the references, a
    /// missing file (404, or S3's 403) means no chunks there. Returns why
    /// it could not be read, if it could not.
    pub fn arrived(
        &mut self,
        record: RecordFile,
        url: &str,
        fetched: Result<Vec<u8>, FetchError>,
    ) -> Option<String> {
        self.in_flight.remove(&record);
        let problem = match fetched {
            Ok(bytes) => {
                self.files += 1;
                self.bytes += bytes.len() as u64;
                self.store
                    .add_record(record, &bytes)
                    .err()
                    .map(|e| e.to_string())
            }
            // No such record file: its chunks are absent (S3 says 403 to
            // those who may not list the bucket).
            Err(FetchError::Status {
                status: 403 | 404, ..
            }) => {
                self.store.add_missing(record);
                None
            }
            Err(e) => Some(format!("{url}: {e}")),
        };
        if let Some(p) = &problem {
            self.failed.insert(record, p.clone());
        }
        problem
    }

    /// Forgets which record files could not be read, so that views ask
    /// for them again.
    pub fn retry_failed(&mut self) {
        self.failed.clear();
    }

    /// Files and bytes fetched so far (`.zmetadata` included).
    pub fn transferred(&self) -> (u32, u64) {
        (self.files, self.bytes)
    }

    pub fn summary(&self) -> RecordsSummary {
        RecordsSummary {
            files: self.files - 1,
            bytes: self.bytes,
            failed: self.failed.len(),
        }
    }
}

/// The folder URL (ending in `/`) of a parquet reference store, if `url`
/// names one: `…/refs.parq`, `…/refs.parq/`, or `…/.zmetadata`.
pub fn parquet_store_folder(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    if let Some(folder) = path.strip_suffix(".zmetadata").filter(|f| f.ends_with('/')) {
        return Some(folder.to_string());
    }
    let trimmed = path.trim_end_matches('/');
    (trimmed.ends_with(".parq") || trimmed.ends_with(".parquet")).then(|| format!("{trimmed}/"))
}
