//! Parquet references read by our own reader: record files as fsspec
//! (kerchunk), fastparquet and pyarrow write them, a store read a record
//! file at a time, and chunks added to an index as they arrive.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine;
use proptest::prelude::*;
use serde_json::Value;
use tessera_core::dataset::{PackedChunkKey, Variable};
use tessera_core::parquet_refs::{
    read_record_file, ParquetReferences, ParquetStoreError, RecordFile, RecordFileError,
    RecordState, Row,
};
use tessera_core::reader::{ByteRange, ChunkRef, NewChunk, References};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn small_refs() -> References {
    References::from_json(&std::fs::read(fixtures().join("small_refs.json")).unwrap()).unwrap()
}

/// A chunk reference as (URL or inline bytes, range), comparable.
fn described(r: Option<ChunkRef<'_>>) -> Option<(String, Option<ByteRange>)> {
    r.map(|r| match r {
        ChunkRef::Inline(bytes) => (format!("inline {bytes:?}"), None),
        ChunkRef::Remote(remote) => (remote.url(), remote.range),
    })
}

#[test]
fn record_files_of_other_writers_read_as_written() {
    let dir = fixtures().join("parquet/variants");
    let expected: BTreeMap<String, Vec<Value>> =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    assert!(expected.len() >= 10, "{:?}", expected.keys());
    for (name, rows) in expected {
        let read = read_record_file(&std::fs::read(dir.join(&name)).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let wanted: Vec<Row> = rows
            .iter()
            .map(|r| Row {
                path: r["path"].as_str().map(str::to_string),
                offset: r["offset"].as_u64().unwrap(),
                size: r["size"].as_u64().unwrap(),
                raw: r["raw"]
                    .as_str()
                    .map(|b| base64::engine::general_purpose::STANDARD.decode(b).unwrap()),
            })
            .collect();
        assert_eq!(read, wanted, "{name}");
    }
}

#[test]
fn damaged_record_files_say_what_is_wrong() {
    let good = std::fs::read(fixtures().join("parquet/variants/zstd.parq")).unwrap();
    // Every truncation and many corruptions: an error or rows, never a panic.
    for cut in 0..good.len() {
        let _ = read_record_file(&good[..cut]);
    }
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x5a;
        let _ = read_record_file(&bad);
    }
    assert_eq!(
        read_record_file(&good[..good.len() - 1]),
        Err(RecordFileError::NotParquet)
    );
}

/// Reads every record file of `store` (a folder) for the data variables.
fn read_whole_store(store: &Path) -> ParquetReferences {
    let mut parquet =
        ParquetReferences::from_zmetadata(&std::fs::read(store.join(".zmetadata")).unwrap())
            .unwrap();
    for variable in Variable::ALL {
        let Ok(files) = std::fs::read_dir(store.join(variable.name())) else {
            continue;
        };
        for file in files {
            let file = file.unwrap();
            let name = file.file_name().into_string().unwrap();
            let number: u64 = name
                .strip_prefix("refs.")
                .and_then(|n| n.strip_suffix(".parq"))
                .unwrap()
                .parse()
                .unwrap();
            let record = RecordFile { variable, number };
            parquet
                .add_record(record, &std::fs::read(file.path()).unwrap())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(matches!(
                parquet.record(record),
                Some(RecordState::Read { .. })
            ));
        }
    }
    parquet
}

#[test]
fn a_store_written_by_fsspec_reads_as_its_references() {
    let store = fixtures().join("parquet/fsspec_store");
    let expected: BTreeMap<String, Value> =
        serde_json::from_slice(&std::fs::read(store.join("expected.json")).unwrap()).unwrap();
    let parquet = read_whole_store(&store);
    assert_eq!(parquet.record_size(), 10_000);
    let refs = parquet.references();
    for (key, value) in &expected {
        let url = value[0].as_str().unwrap().to_string();
        let range = value.get(1).map(|offset| ByteRange {
            offset: offset.as_u64().unwrap(),
            length: value[2].as_u64().unwrap(),
        });
        assert_eq!(described(refs.get(key)), Some((url, range)), "{key}");
    }
    let listed: usize = [Variable::Coh, Variable::Amp]
        .iter()
        .map(|&v| refs.chunk_count(v))
        .sum();
    assert_eq!(listed, expected.len());
    // The metadata came through .zmetadata.
    assert_eq!(refs.variables().count(), 7);
}

#[test]
fn zmetadata_problems_are_named() {
    let cases: [(&[u8], &str); 4] = [
        (b"not json", "not JSON"),
        (br#"{"metadata": {}}"#, "record_size"),
        (br#"{"record_size": 10}"#, "metadata"),
        (
            br#"{"record_size": 10, "metadata": {"COH/.zarray": {"shape": [1]}}}"#,
            "COH/.zarray",
        ),
    ];
    for (bytes, words) in cases {
        let e = ParquetReferences::from_zmetadata(bytes).unwrap_err();
        assert!(e.to_string().contains(words), "{e}");
    }
    let store = fixtures().join("parquet/fsspec_store");
    let zmetadata = std::fs::read(store.join(".zmetadata")).unwrap();
    let mut parquet = ParquetReferences::from_zmetadata(&zmetadata).unwrap();
    // Gzip-compressed as a static host may serve it.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &zmetadata).unwrap();
    let gzipped = ParquetReferences::from_zmetadata(&gz.finish().unwrap()).unwrap();
    assert_eq!(gzipped.record_size(), parquet.record_size());
    // Before any record file is read, every layer may have chunks.
    assert_eq!(parquet.layers_in(Variable::Coh, 40..45, 50..60).len(), 96);
    let record = RecordFile {
        variable: Variable::Coh,
        number: 3,
    };
    let e = parquet.add_record(record, b"PAR1 broken PAR1").unwrap_err();
    assert!(matches!(e, ParquetStoreError::Record { .. }));
    assert!(e.to_string().starts_with("COH/refs.3.parq: "), "{e}");
    assert_eq!(parquet.record(record), None);
    parquet.add_missing(record);
    assert_eq!(parquet.record(record), Some(RecordState::Missing));
}

#[cfg(feature = "parquet")]
mod with_our_writer {
    use super::*;
    use tessera_core::dataset::{ChunkKey, Layer, Tile};
    use tessera_core::parquet_refs::parquet_store;

    /// A store of the fixture's references, written by us, in a temporary
    /// folder.
    fn our_store(record_size: usize) -> (tempfile::TempDir, ParquetReferences) {
        let (files, _) = parquet_store(&small_refs(), record_size, |_| {}).unwrap();
        let dir = tempfile::tempdir().unwrap();
        for file in files {
            let path = dir.path().join(&file.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, file.bytes).unwrap();
        }
        let zmetadata = std::fs::read(dir.path().join(".zmetadata")).unwrap();
        let parquet = ParquetReferences::from_zmetadata(&zmetadata).unwrap();
        (dir, parquet)
    }

    #[test]
    fn our_store_read_whole_equals_the_json() {
        let (dir, _) = our_store(7200);
        let parquet = read_whole_store(dir.path());
        let refs = parquet.references();
        let json = small_refs();
        for variable in Variable::ALL {
            let ours: Vec<_> = refs
                .chunks(variable)
                .map(|(k, r)| (k, described(Some(r))))
                .collect();
            let theirs: Vec<_> = json
                .chunks(variable)
                .map(|(k, r)| (k, described(Some(r))))
                .collect();
            assert_eq!(ours, theirs, "{variable}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// The record files a view asks for hold every chunk of its tiles.
        #[test]
        fn the_records_a_view_needs_hold_its_chunks(
            record_size in prop::sample::select(vec![360usize, 1000, 7200, 10_000]),
            row in 40u16..60, rows in 1u16..6,
            column in 50u16..70, columns in 1u16..12,
            layer_index in 0usize..96,
        ) {
            let json = small_refs();
            let (dir, mut parquet) = our_store(record_size);
            let layer = Layer::all(Variable::Coh)[layer_index];
            let (rows, columns) = (row..row + rows, column..column + columns);
            let needed = parquet.records_needed(Variable::Coh, &[layer], rows.clone(), columns.clone());
            for record in &needed {
                match std::fs::read(dir.path().join(record.path())) {
                    Ok(bytes) => { parquet.add_record(*record, &bytes).unwrap(); }
                    Err(_) => parquet.add_missing(*record),
                }
            }
            prop_assert!(parquet
                .records_needed(Variable::Coh, &[layer], rows.clone(), columns.clone())
                .is_empty());
            // The layer is offered exactly when it has a chunk in view.
            let has_chunk = rows.clone().any(|r| columns.clone().any(|c| {
                let key = ChunkKey::new(Variable::Coh, layer, Tile::from_indices(r, c).unwrap()).unwrap();
                json.chunk(key).is_some()
            }));
            let offered = parquet.layers_in(Variable::Coh, rows.clone(), columns.clone());
            prop_assert_eq!(offered.contains(&layer), has_chunk);
            let refs = parquet.references();
            for r in rows {
                for c in columns.clone() {
                    let key = ChunkKey::new(Variable::Coh, layer, Tile::from_indices(r, c).unwrap()).unwrap();
                    prop_assert_eq!(described(refs.chunk(key)), described(json.chunk(key)), "{}", key);
                }
            }
        }
    }
}

/// (linear chunk number, URL or inline bytes, range)
type Model = BTreeMap<u32, (String, Option<(u64, u64)>)>;

fn chunk_strategy() -> impl Strategy<Value = (u32, String, Option<(u64, u64)>)> {
    (
        0u32..2000,
        prop::sample::select(vec![
            "http://a/data/tiles/",
            "http://a/data/other/",
            "http://b/",
            "relative/",
            "",
            "inline:",
        ]),
        "[a-z_é]{0,6}",
        prop::option::of((0u64..1000, 1u64..1000)),
    )
        .prop_map(|(n, prefix, name, range)| (n, format!("{prefix}{name}"), range))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Chunks added in batches read back as the last reference of each key,
    /// whatever the URL prefixes (which make the shared prefix shrink).
    #[test]
    fn chunks_added_in_batches_read_back(
        batches in prop::collection::vec(prop::collection::vec(chunk_strategy(), 0..40), 1..8)
    ) {
        let json = small_refs();
        let zmetadata = serde_json::json!({
            "record_size": 100,
            "metadata": json.other_keys()
                .filter(|k| k.rsplit('/').next().is_some_and(|l| l.starts_with(".z")))
                .map(|k| (k.to_string(), Value::String(String::from_utf8(json.inline(k).unwrap().to_vec()).unwrap())))
                .collect::<serde_json::Map<_, _>>(),
        });
        let parquet = ParquetReferences::from_zmetadata(zmetadata.to_string().as_bytes()).unwrap();
        let mut refs = (*parquet.references()).clone();
        let mut model = Model::new();
        for batch in batches {
            let mut chunks = Vec::new();
            for (n, url, range) in batch {
                let key = PackedChunkKey::from_linear(Variable::Coh, n).unwrap();
                let chunk = match url.strip_prefix("inline:") {
                    Some(bytes) => NewChunk::Inline(bytes.as_bytes().to_vec()),
                    None => NewChunk::Remote {
                        url: url.clone(),
                        range: range.map(|(offset, length)| ByteRange { offset, length }),
                    },
                };
                let described = match &chunk {
                    NewChunk::Inline(bytes) => (format!("inline {bytes:?}"), None),
                    NewChunk::Remote { url, range } => (url.clone(), range.map(|r| (r.offset, r.length))),
                };
                model.insert(n, described);
                chunks.push((key, chunk));
            }
            refs.add_chunks(chunks).unwrap();
            let read: Model = refs
                .chunks(Variable::Coh)
                .map(|(k, r)| {
                    let (url, range) = described(Some(r)).unwrap();
                    (k.pack().linear(), (url, range.map(|r| (r.offset, r.length))))
                })
                .collect();
            prop_assert_eq!(&read, &model);
            for (&n, want) in &model {
                let key = PackedChunkKey::from_linear(Variable::Coh, n).unwrap().unpack().unwrap();
                let got = described(refs.chunk(key)).map(|(u, r)| (u, r.map(|r| (r.offset, r.length))));
                prop_assert_eq!(got.as_ref(), Some(want));
            }
            prop_assert!(model.values().filter(|(u, _)| !u.starts_with("inline ")).all(|(u, _)| u.starts_with(refs.url_prefix())));
        }
    }
}

#[test]
fn chunks_outside_the_grid_or_without_metadata_are_refused() {
    assert_eq!(
        PackedChunkKey::from_linear(Variable::Coh, 96 * 161 * 360),
        None
    );
    let mut refs = References::from_json(br#"{".zgroup": "{\"zarr_format\": 2}"}"#).unwrap();
    let key = PackedChunkKey::from_linear(Variable::Coh, 5).unwrap();
    let e = refs
        .add_chunks(vec![(
            key,
            NewChunk::Remote {
                url: "http://x/a.tif".into(),
                range: None,
            },
        )])
        .unwrap_err();
    assert!(e.to_string().contains("COH"), "{e}");
}
