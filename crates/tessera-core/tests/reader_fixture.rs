//! Reading the seed's output for the small listing (tests/fixtures/small_refs.json).

use tessera_core::reader::{ChunkRef, References};
use tessera_core::zarr::ArrayValues;
use tessera_core::{ChunkKey, Dimension, FileName, Variable};

fn fixture() -> References {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/small_refs.json"
    );
    let bytes = std::fs::read(path).expect("fixture");
    References::from_json(&bytes).expect("the seed's output reads")
}

fn key(text: &str) -> ChunkKey {
    let (name, indices) = text.split_once('/').unwrap();
    ChunkKey::parse_indices(Variable::from_name(name).unwrap(), indices).unwrap()
}

#[test]
fn counts_chunk_references_per_variable() {
    let refs = fixture();
    assert_eq!(refs.version(), 0);
    assert_eq!(refs.variables().collect::<Vec<_>>(), Variable::ALL);
    // Keys per variable prefix in the fixture, less .zarray and .zattrs.
    let expected = [
        (Variable::Coh, 2376),
        (Variable::Amp, 408),
        (Variable::Tau, 204),
        (Variable::Rmse, 204),
        (Variable::Rho, 204),
        (Variable::Inc, 148),
        (Variable::Lsmap, 148),
    ];
    for (variable, count) in expected {
        assert_eq!(refs.chunk_count(variable), count, "{variable}");
        assert_eq!(refs.chunks(variable).count(), count, "{variable}");
    }
    assert_eq!(expected.iter().map(|e| e.1).sum::<usize>(), 3692);
    assert_eq!(refs.url_prefix(), "http://127.0.0.1:8765/data/tiles/");
}

#[test]
fn finds_chunks_by_key() {
    let refs = fixture();
    let cases = [
        ("COH/0.0.0.45.59", "N37W121/N37W121_winter_vv_COH06.tif"),
        ("AMP/0.0.46.59", "N36W121/N36W121_winter_vv_AMP.tif"),
        ("inc/0.0.0.140", "N82W040/N82W040_001A_inc.tif"),
        ("lsmap/174.1.160.359", "S78E179/S78E179_175D_lsmap.tif"),
        ("tau/3.3.160.359", "S78E179/S78E179_fall_hh_tau.tif"),
    ];
    for (text, suffix) in cases {
        let Some(ChunkRef::Remote(remote)) = refs.chunk(key(text)) else {
            panic!("{text} missing");
        };
        assert_eq!(remote.suffix, suffix);
        assert_eq!(remote.range, None);
        assert_eq!(
            remote.url(),
            format!("http://127.0.0.1:8765/data/tiles/{suffix}")
        );
        assert_eq!(refs.get(text), Some(ChunkRef::Remote(remote)));
    }
    // In the grid, but not in the listing.
    assert_eq!(refs.chunk(key("COH/0.0.0.0.0")), None);
}

#[test]
fn every_chunk_url_names_its_own_file() {
    let refs = fixture();
    let mut previous = None;
    for variable in Variable::ALL {
        for (key, chunk) in refs.chunks(variable) {
            assert!(previous < Some(key), "sorted");
            previous = Some(key);
            let ChunkRef::Remote(remote) = chunk else {
                panic!("{key} inline");
            };
            let file = remote.suffix.rsplit('/').next().unwrap();
            assert_eq!(FileName::parse(file).unwrap().key(), key);
            assert_eq!(refs.chunk(key), Some(chunk));
        }
    }
}

#[test]
fn keeps_metadata_inline() {
    let refs = fixture();
    assert_eq!(
        refs.inline(".zgroup"),
        Some(&b"{\n    \"zarr_format\": 2\n}"[..])
    );
    assert_eq!(
        refs.inline("coherence/0"),
        Some(&[6u8, 12, 18, 24, 36, 48][..])
    );
    assert!(refs
        .inline("COH/.zattrs")
        .unwrap()
        .starts_with(b"{\n \"_ARRAY_DIMENSIONS\""));
    let meta = refs.array_metadata("COH").unwrap();
    assert_eq!(meta.shape, Variable::Coh.shape());
    assert_eq!(meta.compressor_id(), Some("imagecodecs_tiff"));
    assert_eq!(refs.array_metadata("latitude").unwrap().chunks, [48300]);
    assert!(refs.array_metadata("nothing").is_none());
    assert!(refs.other_keys().any(|k| k == "season/0"));
    assert!(!refs.other_keys().any(|k| k.starts_with("COH/0")));
}

fn bits(values: ArrayValues) -> Vec<u32> {
    match values {
        ArrayValues::F32(v) => v.iter().map(|x| x.to_bits()).collect(),
        other => panic!("not f32: {other:?}"),
    }
}

#[test]
fn recovers_every_coordinate_value() {
    let refs = fixture();
    let latitude: Vec<u32> = (-78..=82)
        .rev()
        .flat_map(|i| {
            (0..1200).map(move |j| {
                ((j as f64 * -0.00083333333 - 0.000416666665 + i as f64) as f32).to_bits()
            })
        })
        .collect();
    assert_eq!(
        bits(refs.coordinate(Dimension::Latitude).unwrap()),
        latitude
    );
    let longitude: Vec<u32> = (-180..180)
        .flat_map(|i| {
            (0..1200).map(move |j| {
                ((j as f64 * 0.00083333333 + 0.000416666665 + i as f64) as f32).to_bits()
            })
        })
        .collect();
    assert_eq!(
        bits(refs.coordinate(Dimension::Longitude).unwrap()),
        longitude
    );
    assert_eq!(
        refs.coordinate(Dimension::Orbit).unwrap(),
        ArrayValues::I32((1..=175).collect())
    );
    let strings = |v: &[&str]| ArrayValues::Str(v.iter().map(|s| s.to_string()).collect());
    assert_eq!(
        refs.coordinate(Dimension::Season).unwrap(),
        strings(&["winter", "spring", "summer", "fall"])
    );
    assert_eq!(
        refs.coordinate(Dimension::Polarization).unwrap(),
        strings(&["vv", "vh", "hv", "hh"])
    );
    assert_eq!(
        refs.coordinate(Dimension::FlightDirection).unwrap(),
        strings(&["A", "D"])
    );
    assert_eq!(
        refs.coordinate(Dimension::Coherence).unwrap(),
        ArrayValues::U8(vec![6, 12, 18, 24, 36, 48])
    );
}
