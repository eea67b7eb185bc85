//! `tessera info`: the reference reader as a user meets it.

mod common;

use common::{fixture, tessera};

#[test]
fn summarizes_the_seeds_references() {
    let refs = fixture("small_refs.json");
    let run = tessera(&["info", refs.to_str().unwrap()], None);
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for expected in [
        "fsspec references version 0, 412925 bytes",
        "URL prefix: http://127.0.0.1:8765/data/tiles/",
        "COH         2376  4, 4, 6, 193200, 432000        uint8   season, polarization, coherence, latitude, longitude",
        "inc          148  175, 2, 193200, 432000         uint8   orbit, flightdirection, latitude, longitude",
        "latitude          193200 float32  81.99958 … -78.99958",
        "coherence              6 uint8    6, 12, 18, 24, 36, 48",
        "flightdirection        2 str      \"A\", \"D\"",
    ] {
        assert!(out.contains(expected), "{expected:?} in\n{out}");
    }
}

#[test]
fn resolves_keys_and_file_names() {
    let refs = fixture("small_refs.json");
    let run = tessera(
        &[
            "info",
            refs.to_str().unwrap(),
            "--key",
            "COH/0.0.1.46.59",
            "--key",
            "N10E010_winter_vv_AMP.tif",
        ],
        None,
    );
    assert!(run.status.success());
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(out.contains("COH/0.0.1.46.59\tN36W121_winter_vv_COH12.tif\thttp://127.0.0.1:8765/data/tiles/N36W121/N36W121_winter_vv_COH12.tif"), "{out}");
    assert!(
        out.contains("AMP/0.0.72.190\tN10E010_winter_vv_AMP.tif\tno file: reads as 0"),
        "{out}"
    );

    let run = tessera(&["info", refs.to_str().unwrap(), "--key", "COH/9.9"], None);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("COH/9.9: expected 5 chunk indices"));
}

#[test]
fn malformed_references_name_the_key_and_the_problem() {
    let cases: [(&[u8], &str); 3] = [
        (br#"{"COH/.zarray": 5}"#, "COH/.zarray: expected a string"),
        (b"{\"a\": [\"x\"],\n \"b\": }", "line 2"),
        (
            br#"{"COH/.zarray": "{\"chunks\": [1, 1, 1, 1200, 1200], \"compressor\": {\"id\": \"imagecodecs_tiff\"}, \"dtype\": \"|u1\", \"fill_value\": 0, \"filters\": null, \"order\": \"C\", \"shape\": [4, 2, 6, 7200, 9600], \"zarr_format\": 2}"}"#,
            "COH/.zarray: shape [4, 2, 6, 7200, 9600] does not match the global grid [4, 4, 6, 193200, 432000]",
        ),
    ];
    for (doc, expected) in cases {
        let run = tessera(&["info", "-"], Some(doc));
        assert_eq!(run.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains("reading <stdin>: "), "{stderr}");
        assert!(stderr.contains(expected), "{expected:?} in {stderr}");
    }
}
