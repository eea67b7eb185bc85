//! Reference documents other than the fixture: version 1 with templates and
//! "gen", byte ranges, inline chunks, unsorted keys, every kind of error, and
//! a synthetic document of 100,000 keys.

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use tessera_core::reader::{ByteRange, ChunkRef, ReaderError, References, RemoteRef};
use tessera_core::zarr::ArrayValues;
use tessera_core::{ChunkKey, Dimension, FileName, Layer, Tile, Variable};

/// A variable's `.zarray` as tifffile writes it, with `shape` replaceable.
fn zarray(variable: Variable, shape: Option<Vec<u64>>) -> String {
    let mut zarray = tessera_core::writer::variable_zarray(variable);
    if let Some(shape) = shape {
        zarray["shape"] = json!(shape);
    }
    zarray.to_string()
}

fn read(doc: &Value) -> Result<References, ReaderError> {
    References::from_json(doc.to_string().as_bytes())
}

fn key(text: &str) -> ChunkKey {
    let (name, indices) = text.split_once('/').unwrap();
    ChunkKey::parse_indices(Variable::from_name(name).unwrap(), indices).unwrap()
}

fn remote(refs: &References, text: &str) -> (String, Option<ByteRange>) {
    match refs.chunk(key(text)) {
        Some(ChunkRef::Remote(r)) => (r.url(), r.range),
        other => panic!("{text}: {other:?}"),
    }
}

#[test]
fn version_1_with_templates_and_gen() {
    let doc = json!({
        "version": 1,
        "templates": {"u": "https://bucket.example/data/tiles", "ext": "tif"},
        "refs": {
            ".zgroup": "{\"zarr_format\": 2}",
            "COH/.zarray": zarray(Variable::Coh, None),
            "AMP/.zarray": zarray(Variable::Amp, None),
            "COH/0.0.0.45.59": ["{{u}}/N37W121/N37W121_winter_vv_COH06.{{ext}}"],
            "COH/0.0.1.45.59": ["{{u}}/big.bin", 100, 2000],
            "coherence/0": "base64:BgwSGCQw",
        },
        "gen": [{
            "key": "AMP/0.{{p}}.46.{{lon + 59}}",
            "url": "{{u}}/gen/{{p}}_{{lon}}.bin",
            "offset": "{{ (lon * 1000) + 16 }}",
            "length": 1000,
            "dimensions": {"p": [0, 1], "lon": {"stop": 6, "step": 2}},
        }],
    });
    let refs = read(&doc).unwrap();
    assert_eq!(refs.version(), 1);
    assert_eq!(
        refs.variables().collect::<Vec<_>>(),
        [Variable::Coh, Variable::Amp]
    );
    assert_eq!(refs.chunk_count(Variable::Coh), 2);
    assert_eq!(refs.chunk_count(Variable::Amp), 6);
    assert_eq!(
        remote(&refs, "COH/0.0.0.45.59"),
        (
            "https://bucket.example/data/tiles/N37W121/N37W121_winter_vv_COH06.tif".into(),
            None
        )
    );
    assert_eq!(
        remote(&refs, "COH/0.0.1.45.59"),
        (
            "https://bucket.example/data/tiles/big.bin".into(),
            Some(ByteRange {
                offset: 100,
                length: 2000
            })
        )
    );
    assert_eq!(
        remote(&refs, "AMP/0.1.46.63"),
        (
            "https://bucket.example/data/tiles/gen/1_4.bin".into(),
            Some(ByteRange {
                offset: 4016,
                length: 1000
            })
        )
    );
    assert_eq!(refs.url_prefix(), "https://bucket.example/data/tiles/");
    assert_eq!(
        refs.inline("coherence/0"),
        Some(&[6u8, 12, 18, 24, 36, 48][..])
    );
    assert_eq!(refs.inline(".zgroup"), Some(&b"{\"zarr_format\": 2}"[..]));
}

#[test]
fn templates_after_refs_still_apply() {
    // serde_json's map sorts keys, so write the text by hand.
    let text = format!(
        r#"{{"refs": {{"COH/.zarray": {}, "COH/0.0.0.45.59": ["{{{{u}}}}/a.tif"], "x/0": ["{{{{u}}}}/x"]}},
            "templates": {{"u": "http://h"}}, "version": 1}}"#,
        Value::String(zarray(Variable::Coh, None))
    );
    let refs = References::from_json(text.as_bytes()).unwrap();
    assert_eq!(remote(&refs, "COH/0.0.0.45.59").0, "http://h/a.tif");
    let Some(ChunkRef::Remote(x)) = refs.get("x/0") else {
        panic!()
    };
    assert_eq!(x.url(), "http://h/x");
}

#[test]
fn without_templates_braces_stay_as_written() {
    let doc = json!({"version": 1, "refs": {"COH/.zarray": zarray(Variable::Coh, None), "COH/0.0.0.45.59": ["{{u}}/a.tif"]}});
    assert_eq!(
        remote(&read(&doc).unwrap(), "COH/0.0.0.45.59").0,
        "{{u}}/a.tif"
    );
}

#[test]
fn byte_ranges_inline_chunks_and_unsorted_keys() {
    let mut doc = Map::new();
    doc.insert("inc/.zarray".into(), zarray(Variable::Inc, None).into());
    // Unsorted, with prefixes that shrink as URLs arrive, and one inline chunk.
    let entries = [
        ("inc/0.0.1.1", json!(["http://a/tiles/x/1.tif"])),
        ("inc/0.0.0.0", json!(["http://a/tiles/x/2.tif", 0, 10])),
        ("inc/0.0.0.1", json!(["http://a/tiles/y.tif"])),
        ("inc/0.0.0.3", json!("base64:AAEC")),
        ("inc/0.0.0.2", json!(["http://a/t", 5, 7])),
        ("inc/174.1.160.359", json!(["http://a/tiles/é/ü.tif"])),
        ("inc/3.1.0.2", json!(["ftp://z/a.tif"])),
    ];
    for (k, v) in &entries {
        doc.insert(k.to_string(), v.clone());
    }
    // Write the entries in the order above, not sorted.
    let mut text = format!(
        "{{\"inc/.zarray\": {}",
        Value::String(zarray(Variable::Inc, None))
    );
    for (k, v) in &entries {
        text.push_str(&format!(",\n \"{k}\": {v}"));
    }
    text.push('}');
    let refs = References::from_json(text.as_bytes()).unwrap();
    assert_eq!(refs.url_prefix(), "");
    assert_eq!(refs.chunk_count(Variable::Inc), 7);
    for (k, v) in &entries {
        let got = refs.chunk(key(k)).unwrap();
        match v {
            Value::String(_) => assert_eq!(got, ChunkRef::Inline(&[0, 1, 2])),
            Value::Array(a) => {
                let ChunkRef::Remote(r) = got else {
                    panic!("{k}")
                };
                assert_eq!(r.url(), a[0].as_str().unwrap(), "{k}");
                let range = a.get(1).map(|o| ByteRange {
                    offset: o.as_u64().unwrap(),
                    length: a[2].as_u64().unwrap(),
                });
                assert_eq!(r.range, range, "{k}");
            }
            _ => unreachable!(),
        }
    }
    let order: Vec<String> = refs
        .chunks(Variable::Inc)
        .map(|(k, _)| k.to_string())
        .collect();
    assert_eq!(
        order,
        [
            "inc/0.0.0.0",
            "inc/0.0.0.1",
            "inc/0.0.0.2",
            "inc/0.0.0.3",
            "inc/0.0.1.1",
            "inc/3.1.0.2",
            "inc/174.1.160.359"
        ]
    );
}

#[test]
fn sorted_documents_whose_prefix_shrinks_late_keep_every_url() {
    let urls = [
        json!(["http://a/tiles/x1.tif"]),
        json!(["http://a/tiles/x2.tif", 3, 4]),
        json!(["http://a/tiles/x3.tif"]),
        json!(["http://a/t/4.tif", 5, 6]),
        json!(["http://b"]),
        json!(["http://b/6.tif", 7, 8]),
        json!(["http://b/7.tif"]),
    ];
    let mut text = format!(
        "{{\"rho/.zarray\": {}",
        Value::String(zarray(Variable::Rho, None))
    );
    for (i, url) in urls.iter().enumerate() {
        text.push_str(&format!(", \"rho/0.0.0.{i}\": {url}"));
    }
    text.push('}');
    let refs = References::from_json(text.as_bytes()).unwrap();
    assert_eq!(refs.url_prefix(), "http://");
    for (i, url) in urls.iter().enumerate() {
        let (got, range) = remote(&refs, &format!("rho/0.0.0.{i}"));
        assert_eq!(got, url[0].as_str().unwrap());
        let expected = url.get(1).map(|o| ByteRange {
            offset: o.as_u64().unwrap(),
            length: url[2].as_u64().unwrap(),
        });
        assert_eq!(range, expected);
    }
}

/// The message of reading `doc`, which must fail.
fn error(doc: &str) -> String {
    match References::from_json(doc.as_bytes()) {
        Ok(_) => panic!("read without error: {doc}"),
        Err(e) => e.to_string(),
    }
}

fn with_coh(entries: &str) -> String {
    format!(
        "{{\"COH/.zarray\": {}{}{entries}}}",
        Value::String(zarray(Variable::Coh, None)),
        if entries.is_empty() { "" } else { ", " }
    )
}

#[test]
fn errors_name_the_key_and_the_problem() {
    let partial =
        json!({"COH/.zarray": zarray(Variable::Coh, Some(vec![4, 2, 6, 7200, 9600]))}).to_string();
    assert_eq!(
        error(&partial),
        "COH/.zarray: shape [4, 2, 6, 7200, 9600] does not match the global grid [4, 4, 6, 193200, 432000]"
    );
    let cases: Vec<(String, &str)> = vec![
        (json!({"COH/0.0.0.45.59": ["http://x"]}).to_string(), "COH/0.0.0.45.59: there is no COH/.zarray"),
        (with_coh(r#""COH/0.0.x": ["http://x"]"#), "COH/0.0.x: not a chunk key"),
        (with_coh(r#""COH/0.0.0.45": ["http://x"]"#), "COH/0.0.0.45: not a chunk key"),
        (with_coh(r#""COH/0.0.9.45.59": ["http://x"]"#), "COH/0.0.9.45.59: not a chunk key"),
        (with_coh(r#""COH/0.0.0.045.59": ["http://x"]"#), "COH/0.0.0.045.59: chunk indices must not have leading zeros"),
        (with_coh(r#""COH/0.0.0.45.59": ["http://x", 1]"#), "COH/0.0.0.45.59: expected [url] or [url, offset, length], found a list of 2"),
        (with_coh(r#""COH/0.0.0.45.59": ["http://x", 1, 2, 3]"#), "COH/0.0.0.45.59: expected [url] or [url, offset, length], found a list of 4"),
        (with_coh(r#""COH/0.0.0.45.59": []"#), "COH/0.0.0.45.59: expected [url] or [url, offset, length], found a list of 0"),
        (with_coh(r#""COH/0.0.0.45.59": ["http://x", -1, 2]"#), "COH/0.0.0.45.59: offset and length must be non-negative integers, found -1, 2"),
        (with_coh(r#""COH/0.0.0.45.59": 5"#), "COH/0.0.0.45.59: expected a string, [url] or [url, offset, length], found a number"),
        (with_coh(r#""COH/0.0.0.45.59": {"a": 1}"#), "COH/0.0.0.45.59: expected a string, [url] or [url, offset, length], found an object"),
        (with_coh(r#""COH/0.0.0.45.59": null"#), "COH/0.0.0.45.59: expected a string, [url] or [url, offset, length], found null"),
        (with_coh(r#""COH/0.0.0.45.59": [5]"#), "COH/0.0.0.45.59: the URL must be a string, found a number"),
        (with_coh(r#""latitude/0": "base64:!!!""#), "latitude/0: not valid base64"),
        (with_coh(r#""COH/0.0.0.45.59": ["a"], "COH/0.0.0.45.59": ["b"]"#), "COH/0.0.0.45.59: the key appears more than once"),
        (with_coh(r#""COH/0.0.0.45.59": ["a"], "COH/0.0.0.45.59": "inline""#), "COH/0.0.0.45.59: the key appears more than once"),
        (with_coh(r#"".zgroup": "{}", ".zgroup": "{}""#), ".zgroup: the key appears more than once"),
        (with_coh(r#""latitude/.zarray": "{not json""#), "latitude/.zarray: not valid .zarray JSON"),
        (with_coh(r#""latitude/.zarray": ["http://remote/.zarray"]"#), "latitude/.zarray: zarr metadata must be inline"),
        (with_coh(r#""COH/.zattrs": "{\"_ARRAY_DIMENSIONS\": [\"a\"]}""#), "COH/.zattrs: _ARRAY_DIMENSIONS [\"a\"] are not"),
        (json!({"AMP/.zarray": zarray(Variable::Amp, None).replace("<u2", "|u1")}).to_string(), "AMP/.zarray: dtype \"|u1\" is not \"<u2\""),
        (json!({"inc/.zarray": zarray(Variable::Inc, None).replace("imagecodecs_tiff", "zlib")}).to_string(), "inc/.zarray: compressor \"zlib\" is not imagecodecs_tiff"),
        (json!({"inc/.zarray": zarray(Variable::Inc, None).replace("\"fill_value\":0", "\"fill_value\":255")}).to_string(), "inc/.zarray: fill_value 255 is not 0"),
        (json!({"inc/.zarray": zarray(Variable::Inc, None).replace("[1,1,1200,1200]", "[1,1,600,1200]")}).to_string(), "inc/.zarray: chunks [1, 1, 600, 1200] do not match"),
        (r#"{"refs": {}}"#.to_string(), "\"refs\" belongs to a version 1 document"),
        (r#"{"version": 2, "refs": {}}"#.to_string(), "\"version\" is 2"),
        (r#"{"version": 1, "refs": {}, ".zgroup": "{}"}"#.to_string(), ".zgroup: a version 1 document keeps its references under \"refs\""),
        (r#"{"version": 1, "refs": []}"#.to_string(), "refs: expected an object of references, found a list"),
        (r#"{"version": 1, "templates": {"u": 5}}"#.to_string(), "templates.u: a template must be a string"),
        (r#"{"version": 1, "gen": [{"key": "x/{{i % 2}}", "url": "u", "dimensions": {"i": [1]}}]}"#.to_string(), "gen[0]: key \"x/{{i % 2}}\": in {{i % 2}}: unsupported syntax"),
        (r#"{"version": 1, "gen": [{"key": "x", "url": "u"}]}"#.to_string(), "gen[0]: \"dimensions\" must be an object"),
        (r#"{"version": 1, "gen": [{}, {"key": "x", "url": "u", "offset": 1, "dimensions": {}}]}"#.to_string(), "gen[0]: \"key\" must be a string"),
        (r#"{"version": 1, "gen": [{"key": "x", "url": "u", "offset": 1, "dimensions": {}}]}"#.to_string(), "gen[0]: needs both \"offset\" and \"length\""),
        (r#"{"version": 1, "gen": [{"key": "x/{{i}}", "url": "u", "dimensions": {"i": {"stop": 100000}, "j": {"stop": 100000}}}]}"#.to_string(), "gen[0]: generates more than"),
        (r#"{"version": 1, "gen": [{"key": "COH/{{i}}", "url": "u", "dimensions": {"i": [1]}}]}"#.to_string(), "COH/1: not a chunk key"),
    ];
    for (doc, expected) in cases {
        let message = error(&doc);
        assert!(
            message.starts_with(expected),
            "{doc}\n  gave {message}\n  not {expected}"
        );
    }
}

#[test]
fn json_syntax_errors_give_line_and_column() {
    let e = References::from_json(b"{\n \".zgroup\": \"{}\",\n \"a\" 1\n}").unwrap_err();
    assert!(
        matches!(
            e,
            ReaderError::Json {
                line: 3,
                column: 6,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with("JSON, line 3, column 6: expected `:`"),
        "{e}"
    );
    for bad in [
        "",
        "[]",
        "5",
        "{",
        "{\"a\": [\"x\"]} trailing",
        "\u{feff}{}",
    ] {
        assert!(
            matches!(
                References::from_json(bad.as_bytes()),
                Err(ReaderError::Json { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(matches!(
        References::from_json(b"{\"a\": \"\xff\"}"),
        Err(ReaderError::Json { .. })
    ));
}

#[test]
fn coordinate_errors_name_the_chunk() {
    let mut doc: Map<String, Value> = serde_json::from_slice(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/small_refs.json"
        ))
        .unwrap(),
    )
    .unwrap();
    doc.insert("latitude/1".into(), "base64:AgEhBAAAAAA=".into());
    doc.insert("orbit/0".into(), json!(["http://remote/orbit"]));
    doc.remove("season/.zarray");
    let refs = read(&Value::Object(doc)).unwrap();
    let e = refs
        .coordinate(Dimension::Latitude)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("latitude/1: "), "{e}");
    let e = refs.coordinate(Dimension::Orbit).unwrap_err().to_string();
    assert!(
        e.starts_with("orbit/0: coordinate chunks must be inline"),
        "{e}"
    );
    let e = refs.coordinate(Dimension::Season).unwrap_err().to_string();
    assert!(e.starts_with("no season/.zarray"), "{e}");
    assert_eq!(
        refs.coordinate(Dimension::Coherence).unwrap(),
        ArrayValues::U8(vec![6, 12, 18, 24, 36, 48])
    );
}

#[test]
fn a_synthetic_document_of_100k_keys_reads() {
    const PREFIX: &str =
        "https://sentinel-1-global-coherence-earthbigdata.s3.us-west-2.amazonaws.com/data/tiles/";
    let mut text = String::from("{\n \".zgroup\": \"{\\n    \\\"zarr_format\\\": 2\\n}\"");
    let mut keys = Vec::new();
    'fill: for variable in [Variable::Coh, Variable::Lsmap] {
        text.push_str(&format!(
            ",\n \"{variable}/.zarray\": {}",
            Value::String(zarray(variable, None))
        ));
        for layer_index in 0..(if variable == Variable::Coh {
            96u16
        } else {
            350
        }) {
            let layer = match variable {
                Variable::Coh => Layer::from_indices(
                    variable,
                    &[layer_index / 24, layer_index / 6 % 4, layer_index % 6],
                ),
                _ => Layer::from_indices(variable, &[layer_index / 2, layer_index % 2]),
            }
            .unwrap();
            for row in (0..161).step_by(8) {
                for col in (0..360).step_by(4) {
                    let tile = Tile::from_indices(row, col).unwrap();
                    let key = ChunkKey::new(variable, layer, tile).unwrap();
                    text.push_str(&format!(
                        ",\n \"{key}\": [\"{PREFIX}{tile}/{}\"]",
                        FileName(key)
                    ));
                    keys.push(key);
                    if keys.len() == 100_000 {
                        break 'fill;
                    }
                }
            }
        }
    }
    text.push_str("\n}");
    let refs = References::from_json(text.as_bytes()).unwrap();
    assert_eq!(refs.url_prefix(), PREFIX);
    assert_eq!(
        refs.chunk_count(Variable::Coh) + refs.chunk_count(Variable::Lsmap),
        100_000
    );
    for key in keys.iter().step_by(997) {
        let Some(ChunkRef::Remote(RemoteRef {
            suffix,
            range: None,
            ..
        })) = refs.chunk(*key)
        else {
            panic!("{key}");
        };
        assert_eq!(suffix, format!("{}/{}", key.tile, FileName(*key)));
    }
    assert!(refs.chunks(Variable::Lsmap).map(|(k, _)| k).eq(keys
        .iter()
        .copied()
        .filter(|k| k.variable == Variable::Lsmap)));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = References::from_json(&bytes);
    }

    #[test]
    fn json_ish_text_never_panics(text in r#"\{("[A-Za-z0-9/.{}]{0,12}": ?([\[\]{}",:0-9a-z/. \\-]{0,20}|\["[a-z/{}]{0,8}"(, ?-?[0-9]{1,3}){0,3}\]|"base64:[A-Za-z0-9+/=]{0,12}"),? ?){0,6}\}?"#) {
        let _ = References::from_json(text.as_bytes());
    }

    #[test]
    fn version_1_documents_never_panic(
        key in r#"[A-Za-z]{0,4}/[0-9.{}a-z +*/()-]{0,16}"#,
        url in r#"[a-z:/{} ]{0,16}"#,
        offset in r#"[0-9{}a-z +*/()-]{0,12}"#,
        stop in -5i64..20,
        step in -3i64..4,
    ) {
        let doc = json!({
            "version": 1,
            "templates": {"u": "http://x"},
            "refs": {"COH/.zarray": zarray(Variable::Coh, None)},
            "gen": [{"key": key, "url": url, "offset": offset, "length": "1",
                     "dimensions": {"i": {"start": 0, "stop": stop, "step": step}, "j": [1, "a"]}}],
        });
        let _ = read(&doc);
    }
}
