//! A document pushed in pieces reads exactly as the whole document: the
//! same index, or the same error at the same line and column, wherever the
//! pieces are cut (the browser's network pieces fall anywhere, also inside
//! a key, an escape or a multi-byte character).

use std::io::Write;

use proptest::prelude::*;
use tessera_core::reader::{ChunkRef, DocumentText, ReaderError, ReferenceStream, References};
use tessera_core::Variable;

const SMALL_REFS: &[u8] = include_bytes!("../../../tests/fixtures/small_refs.json");

/// Everything the index answers, as text to compare.
fn summary(refs: &References) -> Vec<String> {
    let mut out = vec![format!("version {}", refs.version())];
    for variable in Variable::ALL {
        for (key, r) in refs.chunks(variable) {
            out.push(format!("{key} {}", describe(r)));
        }
    }
    for key in refs.other_keys() {
        out.push(format!(
            "{key} {}",
            refs.get(key).map_or("-".into(), describe)
        ));
    }
    out
}

fn describe(r: ChunkRef<'_>) -> String {
    match r {
        ChunkRef::Inline(bytes) => format!("inline {}", String::from_utf8_lossy(bytes)),
        ChunkRef::Remote(remote) => format!("{} {:?}", remote.url(), remote.range),
    }
}

fn outcome(result: Result<References, ReaderError>) -> Result<Vec<String>, ReaderError> {
    result.map(|r| summary(&r))
}

/// Pushes `doc` cut at `cuts` (positions, in any order, clamped).
fn read_in_pieces(doc: &[u8], cuts: &[usize]) -> Result<References, ReaderError> {
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(doc.len())).collect();
    cuts.sort_unstable();
    let mut stream = ReferenceStream::new();
    let mut start = 0;
    for cut in cuts.into_iter().chain([doc.len()]) {
        stream.push(&doc[start..cut])?;
        start = cut;
    }
    stream.finish()
}

fn gzip(doc: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(doc).unwrap();
    gz.finish().unwrap()
}

/// Documents with every structure the reader knows, good and bad.
fn documents() -> Vec<Vec<u8>> {
    let zarray = serde_json::to_string(
        &String::from_utf8(
            References::from_json(SMALL_REFS)
                .unwrap()
                .inline("COH/.zarray")
                .unwrap()
                .to_vec(),
        )
        .unwrap(),
    )
    .unwrap();
    let mut docs: Vec<Vec<u8>> = vec![SMALL_REFS.to_vec()];
    for text in [
        // Version 1: templates after refs, a gen entry, ranges, escapes.
        format!(
            r#"{{"refs": {{"COH/.zarray": {zarray}, "COH/0.0.0.45.59": ["{{{{u}}}}/a.tif"],
                "COH/0.0.0.45.60": ["http://h/b\u00e9.tif", 10, 20], "x/0": "base64:AAEC",
                "k\"ey": "v\\\"al"}},
              "gen": [{{"key": "COH/0.0.0.46.{{{{i}}}}", "url": "http://h/g{{{{i}}}}.tif", "dimensions": {{"i": {{"start": 1, "stop": 4}}}}}}],
              "templates": {{"u": "http://h"}}, "version": 1}}"#
        ),
        // Version 0, pretty printed, a multi-byte character in a URL.
        format!(
            "{{\n \".zgroup\": \"{{}}\",\n \"COH/.zarray\": {zarray},\n \"COH/0.0.0.45.59\": [\n  \"http://h/\u{00e9}\u{1F600}.tif\"\n ]\n}}\n"
        ),
        "{}".into(),
        " { } ".into(),
        // Errors, each at its own place.
        "{\n \".zgroup\": \"{}\",\n \"a\" 1\n}".into(),
        "{\"a\": [\"x\"]} trailing".into(),
        "{\"a\": [\"x\"],}".into(),
        "{\"a\": [\"x\"] \"b\": 1}".into(),
        "{\"a\": [\"x\", 1]}".into(),
        "{\"a\": [\"x\", -1, 2]}".into(),
        "{\"a\": nul}".into(),
        "{\"a\": [\"x\"".into(),
        "{\"a\": \"x".into(),
        "{5: 1}".into(),
        "[]".into(),
        "".into(),
        "{".into(),
        "\u{feff}{}".into(),
        "{\"refs\": [1], \"version\": 1}".into(),
        "{\"version\": 2, \"refs\": {}}".into(),
        format!("{{\"COH/.zarray\": {zarray}, \"COH/0.0.0.45.59\": [\"a\"], \"COH/0.0.0.45.59\": [\"b\"]}}"),
        "{\"COH/0.0.0.45.59\": [\"a\"]}".into(),
    ] {
        docs.push(text.into_bytes());
    }
    docs.push(b"{\"a\": \"\xff\"}".to_vec());
    docs.push(b"{\"\xff\": \"a\"}".to_vec());
    docs
}

#[test]
fn whole_documents_read_as_from_json() {
    for doc in documents() {
        let whole = outcome(References::from_json(&doc));
        assert_eq!(
            outcome(read_in_pieces(&doc, &[])),
            whole,
            "{}",
            String::from_utf8_lossy(&doc)
        );
    }
}

#[test]
fn byte_by_byte_reads_the_same() {
    for doc in documents() {
        let cuts: Vec<usize> = (0..doc.len()).collect();
        assert_eq!(
            outcome(read_in_pieces(&doc, &cuts)),
            outcome(References::from_json(&doc)),
            "{}",
            String::from_utf8_lossy(&doc)
        );
    }
}

#[test]
fn gzip_in_pieces_reads_the_same() {
    let gz = gzip(SMALL_REFS);
    let whole = outcome(References::from_json(SMALL_REFS)).unwrap();
    for step in [1, 7, 1000, 65536] {
        let cuts: Vec<usize> = (0..gz.len()).step_by(step).collect();
        assert_eq!(outcome(read_in_pieces(&gz, &cuts)).unwrap(), whole);
    }
    let cut = read_in_pieces(&gz[..gz.len() / 2], &[100]).unwrap_err();
    assert!(matches!(cut, ReaderError::Gzip(_)), "{cut}");
}

#[test]
fn a_failed_stream_stays_failed() {
    let mut stream = ReferenceStream::new();
    let first = stream.push(b"{5: 1}").unwrap_err();
    assert!(
        first.to_string().contains("key must be a string"),
        "{first}"
    );
    assert!(stream.push(b"{}").is_err());
    assert!(stream.finish().is_err());
}

#[test]
fn errors_in_later_pieces_give_document_lines() {
    let mut doc = SMALL_REFS.to_vec();
    // Replace the closing brace with a bad entry on a line of its own.
    while doc
        .last()
        .is_some_and(|b| b.is_ascii_whitespace() || *b == b'}')
    {
        doc.pop();
    }
    doc.extend_from_slice(b",\n");
    let line = doc.iter().filter(|&&b| b == b'\n').count() + 1;
    doc.extend_from_slice(b" \"COH/0.0.0.45.59\" 1\n}");
    let cuts: Vec<usize> = (0..doc.len()).step_by(4096).collect();
    let e = read_in_pieces(&doc, &cuts).unwrap_err();
    assert_eq!(
        e,
        ReaderError::Json {
            line,
            column: 20,
            message: "expected `:`".into()
        },
        "{e}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_cuts_read_the_same(doc in 0..24usize, cuts in prop::collection::vec(0..2000usize, 0..12)) {
        let docs = documents();
        let doc = &docs[doc % docs.len()];
        // Spread the cuts over the document whatever its size.
        let scale = doc.len().max(1);
        let cuts: Vec<usize> = cuts.iter().map(|c| c * scale / 2000).collect();
        prop_assert_eq!(
            outcome(read_in_pieces(doc, &cuts)),
            outcome(References::from_json(doc))
        );
    }
}

#[test]
fn syntax_errors_are_where_serde_json_puts_them() {
    for doc in documents() {
        let Err(expected) = serde_json::from_slice::<serde_json::Value>(&doc) else {
            continue;
        };
        if !(expected.is_syntax() || expected.is_eof()) {
            continue;
        }
        match References::from_json(&doc) {
            Err(ReaderError::Json {
                line,
                column,
                message,
            }) => assert_eq!(
                format!("{message} at line {line} column {column}"),
                expected.to_string(),
                "{}: serde_json says {expected}",
                String::from_utf8_lossy(&doc)
            ),
            other => panic!("{}: {other:?}", String::from_utf8_lossy(&doc)),
        }
    }
}

/// All the text `DocumentText` gives for `bytes` pushed cut every `step`.
fn document_text(bytes: &[u8], step: usize) -> Result<Vec<u8>, ReaderError> {
    let mut text = DocumentText::new();
    let mut out = Vec::new();
    for piece in bytes.chunks(step) {
        out.extend_from_slice(text.push(piece)?);
    }
    out.extend(text.finish()?);
    Ok(out)
}

#[test]
fn document_text_is_the_document_plain_or_decompressed_wherever_it_is_cut() {
    let mut two_members = gzip(&SMALL_REFS[..1000]);
    two_members.extend(gzip(&SMALL_REFS[1000..]));
    for step in [1, 2, 7, 1000, 65536] {
        assert_eq!(document_text(SMALL_REFS, step).unwrap(), SMALL_REFS);
        assert_eq!(document_text(&gzip(SMALL_REFS), step).unwrap(), SMALL_REFS);
        assert_eq!(document_text(&two_members, step).unwrap(), SMALL_REFS);
    }
    // Fewer than two bytes in all: plain.
    assert_eq!(document_text(b"{", 1).unwrap(), b"{");
    assert_eq!(document_text(b"", 1).unwrap(), b"");
    let mut text = DocumentText::new();
    text.push(&[0x1f]).unwrap();
    assert!(!text.is_gzip());
    text.push(&[0x8b]).unwrap();
    assert!(text.is_gzip());
}

#[test]
fn document_text_reports_damaged_gzip_and_stays_failed() {
    let gz = gzip(SMALL_REFS);
    let cut = document_text(&gz[..gz.len() / 2], 100).unwrap_err();
    assert!(matches!(cut, ReaderError::Gzip(_)), "{cut}");
    let mut damaged = gz.clone();
    damaged[3] = 0xff; // reserved flag bits set: not a gzip header
    let mut text = DocumentText::new();
    let first = text.push(&damaged).unwrap_err();
    assert!(matches!(first, ReaderError::Gzip(_)), "{first}");
    assert!(text.push(b"{}").is_err());
    assert!(text.finish().is_err());
}

/// Whitespace not yet followed by a token, and an entry longer than many
/// pieces, are read once, not again with every piece: this document took
/// 64 MB × its 1,024 pieces of scanning before (about 15 s).
#[test]
fn long_whitespace_and_long_entries_read_in_linear_time() {
    let mut doc = Vec::new();
    doc.extend_from_slice(b"{\".zgroup\": \"{\\\"zarr_format\\\": 2}\",");
    doc.resize(doc.len() + (48 << 20), b' ');
    doc.extend_from_slice(b"\"latitude/.zattrs\": \"");
    doc.resize(doc.len() + (16 << 20), b'x');
    doc.extend_from_slice(b"\"}");
    let started = std::time::Instant::now();
    let mut stream = ReferenceStream::new();
    for piece in doc.chunks(64 << 10) {
        stream.push(piece).unwrap();
    }
    let refs = stream.finish().unwrap();
    assert_eq!(
        refs.inline("latitude/.zattrs").map(<[u8]>::len),
        Some(16 << 20)
    );
    eprintln!(
        "64 MB in 64 KB pieces: {:.2} s",
        started.elapsed().as_secs_f64()
    );
}

/// A small gzip file that expands to far more than any reference document
/// is an error at its limit, not a machine's memory filled.
#[test]
fn a_gzip_bomb_stops_at_the_limit() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(b"{").unwrap();
    let spaces = vec![b' '; 1 << 20];
    for _ in 0..64 {
        gz.write_all(&spaces).unwrap();
    }
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 200_000, "{} bytes", bomb.len());
    let mut stream = ReferenceStream::with_limit(16 << 20);
    let error = bomb
        .chunks(64 << 10)
        .map(|piece| stream.push(piece))
        .find_map(Result::err)
        .expect("an error past 16 MB");
    assert!(
        error
            .to_string()
            .contains("decompresses to more than 16777216 bytes, the limit"),
        "{error}"
    );
    // Under the limit, the same document reads (to its missing end).
    let mut stream = ReferenceStream::new();
    for piece in bomb.chunks(64 << 10) {
        stream.push(piece).unwrap();
    }
    assert!(stream.finish().unwrap_err().to_string().contains("EOF"));
}
