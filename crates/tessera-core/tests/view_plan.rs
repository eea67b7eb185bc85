//! What a view needs (`view_plan`): the seed's view over the seed's own
//! references, orbits picked without touching the selection, the budget,
//! parquet stores read a record file at a time, and a property: the plan's
//! keys are those a brute-force scan of the tiles in view finds.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use tessera_core::camera::CanvasSize;
use tessera_core::listing::Listing;
use tessera_core::parquet_refs::{ParquetReferences, RecordFile};
use tessera_core::reader::References;
use tessera_core::view_plan::{ChunkLocation, PlanInput, ReferenceIndex, ViewPlan};
use tessera_core::view_state::{Camera, ViewState};
use tessera_core::{
    ChunkKey, FileName, FlightDirection, Layer, Orbit, Polarization, RepeatInterval, Season, Tile,
    Variable,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn small_refs() -> References {
    References::from_json(&std::fs::read(fixtures().join("small_refs.json")).unwrap()).unwrap()
}

/// References listing exactly `keys`, as `tessera refs` writes them.
fn refs_of(keys: &[ChunkKey]) -> References {
    let mut text = String::new();
    for key in keys {
        let name = FileName(*key).to_string();
        text.push_str(&format!(
            "2021-03-17 18:11:28    1000 data/tiles/{}/{name}\n",
            key.tile
        ));
    }
    let listing = Listing::parse(text.as_bytes()).unwrap();
    let mut json = Vec::new();
    tessera_core::writer::write_references(
        &mut json,
        &listing,
        "https://example.org/",
        &mut |_| {},
    )
    .unwrap();
    References::from_json(&json).unwrap()
}

fn canvas(w: f64, h: f64) -> CanvasSize {
    CanvasSize {
        css_width: w,
        css_height: h,
        pixel_ratio: 1.0,
    }
}

/// The seed's view: 36–32.5 N, 121–115 W on 1200×700.
fn seed_selection() -> ViewState {
    ViewState {
        camera: Some(Camera {
            lat: 34.25,
            lon: -118.0,
            zoom: -(0.005f64).log2(),
        }),
        ..ViewState::default()
    }
}

fn plan(selection: &ViewState, size: CanvasSize, index: ReferenceIndex) -> ViewPlan {
    let input = PlanInput {
        selection,
        canvas: size,
        index: Some(index),
        generation: 0,
    };
    ViewPlan::new(&input, None).expect("a plan")
}

#[test]
fn the_seed_view_needs_its_24_files_nearest_the_centre_first() {
    let refs = small_refs();
    let selection = seed_selection();
    let p = plan(
        &selection,
        canvas(1200.0, 700.0),
        ReferenceIndex::Document(&refs),
    );
    let layer = Layer::Coherence(Season::Winter, Polarization::Vv, RepeatInterval::Days12);
    assert_eq!(p.layer, Some(layer));
    assert_eq!(p.picked, None);
    assert_eq!(p.keys.len(), 24);
    assert!(!p.over_budget);
    let first: Vec<String> = p.keys[..4].iter().map(|k| k.tile.to_string()).collect();
    for name in ["N35W119", "N35W118", "N34W119", "N34W118"] {
        assert!(first.contains(&name.to_string()), "{first:?}");
    }
    // Every file has its source, the URL the references give.
    assert_eq!(p.sources.len(), 24);
    for (source, key) in p.sources.iter().zip(&p.keys) {
        assert_eq!(source.key, *key);
        match &source.location {
            ChunkLocation::Remote { url, range } => {
                assert!(url.ends_with(&FileName(*key).to_string()), "{url}");
                assert!(range.is_none());
            }
            ChunkLocation::Inline(_) => panic!("inline"),
        }
    }
    // Around it, the nearest files of the ring of tiles, none in view.
    assert_eq!(p.prefetch.len(), tessera_core::view_plan::PREFETCH_FILES);
    for source in &p.prefetch {
        assert!(!p.keys.contains(&source.key));
        let b = source.key.tile.bounds();
        assert!(
            b.north >= 32.5 - 1.0 && b.south <= 36.0 + 1.0,
            "{}",
            source.key.tile
        );
        assert!(b.west >= -122.0 && b.east <= -114.0, "{}", source.key.tile);
    }
    // The selectors offer what the fixture has here.
    assert_eq!(p.available.seasons, Season::ALL);
    assert!(p.available.intervals.contains(&RepeatInterval::Days12));
    assert!(p.records.is_empty() && p.other_records.is_empty());
}

#[test]
fn without_a_camera_there_is_no_plan_and_without_references_only_the_view() {
    let refs = small_refs();
    let selection = ViewState::default();
    let input = PlanInput {
        selection: &selection,
        canvas: canvas(800.0, 600.0),
        index: Some(ReferenceIndex::Document(&refs)),
        generation: 0,
    };
    assert!(ViewPlan::new(&input, None).is_none());
    let selection = seed_selection();
    let input = PlanInput {
        selection: &selection,
        canvas: canvas(800.0, 600.0),
        index: None,
        generation: 0,
    };
    let p = ViewPlan::new(&input, None).unwrap();
    assert!(p.keys.is_empty() && p.sources.is_empty());
    assert_eq!(p.viewport.centre(), (34.25, -118.0));
}

#[test]
fn an_orbit_is_picked_for_inc_without_writing_the_selection() {
    let refs = small_refs();
    let selection = ViewState {
        variable: Variable::Inc,
        ..seed_selection()
    };
    let before = selection.clone();
    let p = plan(
        &selection,
        canvas(1200.0, 700.0),
        ReferenceIndex::Document(&refs),
    );
    assert_eq!(selection, before);
    let (orbit, direction) = p.picked.expect("an orbit with files in view");
    assert_eq!(p.layer, Some(Layer::Orbital(orbit, direction)));
    // The first of those in view, and it has files here.
    assert_eq!(p.available.orbits.first(), Some(&(orbit, direction)));
    assert!(!p.keys.is_empty());
    assert!(p
        .keys
        .iter()
        .all(|k| k.layer == Layer::Orbital(orbit, direction)));
    // A chosen orbit is shown as it is, files or not.
    let chosen = ViewState {
        orbit: Orbit::new(175),
        direction: FlightDirection::Descending,
        ..selection
    };
    let p = plan(
        &chosen,
        canvas(1200.0, 700.0),
        ReferenceIndex::Document(&refs),
    );
    assert_eq!(p.picked, None);
    assert_eq!(
        p.layer,
        Some(Layer::Orbital(
            Orbit::new(175).unwrap(),
            FlightDirection::Descending
        ))
    );
}

#[test]
fn over_the_budget_the_plan_loads_nothing() {
    let refs = small_refs();
    let selection = ViewState {
        budget: 10,
        ..seed_selection()
    };
    let p = plan(
        &selection,
        canvas(1200.0, 700.0),
        ReferenceIndex::Document(&refs),
    );
    assert!(p.over_budget);
    assert_eq!(p.keys.len(), 24, "the files are still named, for coverage");
    assert!(p.sources.is_empty() && p.prefetch.is_empty());
}

#[test]
fn a_parquet_store_names_the_record_files_of_the_layer_first() {
    let dir = fixtures().join("parquet/fsspec_store");
    let mut store =
        ParquetReferences::from_zmetadata(&std::fs::read(dir.join(".zmetadata")).unwrap()).unwrap();
    let selection = seed_selection();
    let generation = 0;
    let input = PlanInput {
        selection: &selection,
        canvas: canvas(1200.0, 700.0),
        index: Some(ReferenceIndex::Store(&store)),
        generation,
    };
    let p = ViewPlan::new(&input, None).unwrap();
    // Nothing read yet: no files, the layer's record files to read, then
    // the other layers' (different files) once the view is in.
    assert!(p.keys.is_empty());
    assert!(!p.records.is_empty());
    assert!(p.records.iter().all(|r| r.variable == Variable::Coh));
    assert!(p.other_records.iter().all(|r| !p.records.contains(r)));
    // Every season may have files until its record files are read.
    assert_eq!(p.available.seasons, Season::ALL);
    for record in p.records.clone() {
        let path = dir.join(record.path());
        match std::fs::read(&path) {
            Ok(bytes) => {
                store.add_record(record, &bytes).unwrap();
            }
            Err(_) => store.add_missing(record),
        }
    }
    let input = PlanInput {
        selection: &selection,
        canvas: canvas(1200.0, 700.0),
        index: Some(ReferenceIndex::Store(&store)),
        generation: generation + 1,
    };
    let after = ViewPlan::new(&input, Some(&p)).unwrap();
    assert!(after.records.is_empty());
    let whole = small_refs();
    let document = plan(
        &selection,
        canvas(1200.0, 700.0),
        ReferenceIndex::Document(&whole),
    );
    assert_eq!(after.keys, document.keys);
    let _: Option<RecordFile> = after.other_records.first().copied();
}

fn any_selection() -> impl Strategy<Value = ViewState> {
    (
        30.0f64..38.0,
        -123.0f64..-113.0,
        4.0f64..11.0,
        0usize..4,
        0usize..6,
        any::<bool>(),
    )
        .prop_map(|(lat, lon, zoom, s, i, inc)| ViewState {
            variable: if inc { Variable::Inc } else { Variable::Coh },
            season: Season::ALL[s],
            interval: RepeatInterval::ALL[i],
            camera: Some(Camera { lat, lon, zoom }),
            budget: 4096,
            ..ViewState::default()
        })
}

fn any_keys() -> impl Strategy<Value = Vec<ChunkKey>> {
    proptest::collection::vec(
        (
            0u16..12,
            0u16..14,
            0usize..4,
            0usize..6,
            1u16..4,
            any::<bool>(),
        ),
        1..80,
    )
    .prop_map(|picks| {
        picks
            .into_iter()
            .filter_map(|(r, c, s, i, o, coh)| {
                let tile = Tile::from_indices(44 + r, 56 + c)?;
                let layer = if coh {
                    Layer::Coherence(Season::ALL[s], Polarization::Vv, RepeatInterval::ALL[i])
                } else {
                    Layer::Orbital(Orbit::new(o * 20)?, FlightDirection::Ascending)
                };
                let variable = if coh { Variable::Coh } else { Variable::Inc };
                ChunkKey::new(variable, layer, tile).ok()
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The keys are exactly those a scan of every listed file finds in
    /// the tiles the view touches (for the layer shown), nearest the
    /// centre first; picking leaves the selection as it was; a plan made
    /// from the previous one equals one made afresh.
    #[test]
    fn the_keys_are_those_a_scan_of_the_view_finds(
        selection in any_selection(),
        keys in any_keys(),
        w in 50.0f64..900.0,
        h in 50.0f64..700.0,
    ) {
        let refs = refs_of(&keys);
        let before = selection.clone();
        let size = canvas(w, h);
        let p = plan(&selection, size, ReferenceIndex::Document(&refs));
        prop_assert_eq!(&selection, &before);
        let bounds = p.viewport.bounds();
        let touches = |t: Tile| {
            let b = t.bounds();
            b.north > bounds.south + 1e-9 && b.south < bounds.north - 1e-9
                && b.east > bounds.west + 1e-9 && b.west < bounds.east - 1e-9
        };
        let mut expected: Vec<ChunkKey> = keys
            .iter()
            .copied()
            .filter(|k| Some(k.layer) == p.layer && k.variable == selection.variable && touches(k.tile))
            .collect();
        expected.sort();
        expected.dedup();
        let mut got = p.keys.clone();
        got.sort();
        prop_assert_eq!(got, expected);
        // Nearest the centre first.
        let (lat, lon) = p.viewport.centre();
        let distance = |t: Tile| {
            let b = t.bounds();
            ((b.north + b.south) / 2.0 - lat).powi(2) + ((b.west + b.east) / 2.0 - lon).powi(2)
        };
        for pair in p.keys.windows(2) {
            prop_assert!(distance(pair[0].tile) <= distance(pair[1].tile) + 1e-12);
        }
        // The orbit picked is the first one with files in view.
        if selection.variable == Variable::Inc {
            let first = keys
                .iter()
                .filter(|k| k.variable == Variable::Inc && touches(k.tile))
                .map(|k| k.layer)
                .min();
            prop_assert_eq!(p.layer, first);
        }
        let input = PlanInput {
            selection: &selection,
            canvas: size,
            index: Some(ReferenceIndex::Document(&refs)),
            generation: 0,
        };
        let again = ViewPlan::new(&input, Some(&p)).unwrap();
        prop_assert_eq!(&again, &p);
    }
}

/// A derived map's plan lists, per tile, the file of every input, and
/// counts them all against the budget.
#[test]
fn derived_maps_load_every_input_per_tile() {
    use tessera_core::derived::Derived;
    let tiles = ["N36W121", "N36W120", "N35W121"].map(|t| Tile::parse(t).unwrap());
    let winter = Layer::Seasonal(Season::Winter, Polarization::Vv);
    let mut keys = Vec::new();
    for &tile in &tiles {
        keys.push(ChunkKey::new(Variable::Rho, winter, tile).unwrap());
        // No tau in the third tile.
        if tile != tiles[2] {
            keys.push(ChunkKey::new(Variable::Tau, winter, tile).unwrap());
        }
    }
    let refs = refs_of(&keys);
    let selection = ViewState {
        derived: Some(Derived::Coherence { days: 24 }),
        ..seed_selection()
    };
    let p = plan(
        &selection,
        canvas(1200.0, 700.0),
        ReferenceIndex::Document(&refs),
    );
    assert_eq!(p.variable, Variable::Rho);
    assert_eq!(p.layer, Some(winter));
    let derived = p.derived.as_ref().expect("a derived plan");
    assert_eq!(derived.inputs.len(), 2);
    let mut planned = p.keys.clone();
    planned.sort();
    let mut listed = keys.clone();
    listed.sort();
    assert_eq!(planned, listed);
    // A tile's inputs are next to each other in the load order.
    assert_eq!(p.keys[0].tile, p.keys[1].tile);
    assert_eq!(p.sources.len(), 5);
    assert!(p.prefetch.is_empty());
    assert_eq!(
        derived.key(1, tiles[0]),
        ChunkKey::new(Variable::Tau, winter, tiles[0]).ok()
    );
    // Five files: over a budget of four.
    let tight = ViewState {
        budget: 4,
        ..selection.clone()
    };
    assert!(
        plan(
            &tight,
            canvas(1200.0, 700.0),
            ReferenceIndex::Document(&refs)
        )
        .over_budget
    );
    // The stored layer of the same selection: rho alone? No: COH.
    let stored = ViewState {
        derived: None,
        ..selection
    };
    let p = plan(
        &stored,
        canvas(1200.0, 700.0),
        ReferenceIndex::Document(&refs),
    );
    assert_eq!(p.variable, Variable::Coh);
    assert!(p.keys.is_empty() && p.derived.is_none());
}

/// Small multiples: a plan per season on a quarter of the canvas, the
/// same centre and scale; the view's files are all of theirs.
#[test]
fn small_multiples_plan_each_season_on_a_quarter() {
    let tiles = ["N35W119", "N35W118", "N34W119", "N34W118"].map(|t| Tile::parse(t).unwrap());
    let keys: Vec<ChunkKey> = tiles
        .iter()
        .flat_map(|&t| {
            Season::ALL.iter().map(move |&s| {
                ChunkKey::new(
                    Variable::Coh,
                    Layer::Coherence(s, Polarization::Vv, RepeatInterval::Days12),
                    t,
                )
                .unwrap()
            })
        })
        .collect();
    let refs = refs_of(&keys);
    let selection = ViewState {
        multiples: true,
        camera: Some(Camera {
            lat: 34.0,
            lon: -118.0,
            zoom: 8.0,
        }),
        ..ViewState::default()
    };
    let p = plan(
        &selection,
        canvas(801.0, 600.0),
        ReferenceIndex::Document(&refs),
    );
    assert_eq!(p.panels.len(), 4);
    let origins: Vec<(u32, u32)> = p.panels.iter().map(|x| x.origin).collect();
    assert_eq!(origins, [(0, 0), (400, 0), (0, 300), (400, 300)]);
    for (panel, season) in p.panels.iter().zip(Season::ALL) {
        assert_eq!(panel.season, *season);
        assert_eq!(panel.plan.viewport.size(), (400, 300));
        assert_eq!(panel.plan.viewport.centre(), p.viewport.centre());
        assert_eq!(
            panel.plan.viewport.degrees_per_pixel(),
            p.viewport.degrees_per_pixel()
        );
        assert_eq!(
            panel.plan.layer,
            Some(Layer::Coherence(
                *season,
                Polarization::Vv,
                RepeatInterval::Days12
            ))
        );
    }
    let mut planned = p.keys.clone();
    planned.sort();
    let mut listed = keys.clone();
    listed.sort();
    assert_eq!(planned, listed);
    assert_eq!(p.sources.len(), 16);
    // Sixteen files: over a budget of fifteen.
    let tight = ViewState {
        budget: 15,
        ..selection.clone()
    };
    let q = plan(
        &tight,
        canvas(801.0, 600.0),
        ReferenceIndex::Document(&refs),
    );
    assert!(q.over_budget && q.sources.is_empty());
    // inc has no seasons: one map.
    let inc = ViewState {
        variable: Variable::Inc,
        ..selection
    };
    assert!(
        plan(&inc, canvas(801.0, 600.0), ReferenceIndex::Document(&refs))
            .panels
            .is_empty()
    );
}
