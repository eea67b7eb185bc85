//! Property tests of the listing parser: it never panics, and every file of
//! the data set it is given comes back as its chunk key.

use proptest::prelude::*;
use tessera_core::listing::Listing;
use tessera_core::{
    ChunkKey, FileName, FlightDirection, Layer, Orbit, Polarization, RepeatInterval, Season, Tile,
    Variable,
};

fn chunk_key() -> impl Strategy<Value = ChunkKey> {
    let tile = (0u16..161, 0u16..360).prop_map(|(r, c)| Tile::from_indices(r, c).unwrap());
    let season = (0u16..4).prop_map(|i| Season::from_index(i).unwrap());
    let pol = (0u16..4).prop_map(|i| Polarization::from_index(i).unwrap());
    let coh = (season.clone(), pol.clone(), 0u16..6, tile.clone()).prop_map(|(s, p, c, t)| {
        let layer = Layer::Coherence(s, p, RepeatInterval::from_index(c).unwrap());
        ChunkKey::new(Variable::Coh, layer, t).unwrap()
    });
    let seasonal = (1usize..5, season, pol, tile.clone()).prop_map(|(v, s, p, t)| {
        ChunkKey::new(Variable::ALL[v], Layer::Seasonal(s, p), t).unwrap()
    });
    let orbital = (5usize..7, 1u16..=175, 0u16..2, tile).prop_map(|(v, o, d, t)| {
        let layer = Layer::Orbital(
            Orbit::new(o).unwrap(),
            FlightDirection::from_index(d).unwrap(),
        );
        ChunkKey::new(Variable::ALL[v], layer, t).unwrap()
    });
    prop_oneof![coh, seasonal, orbital]
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let listing = Listing::parse(&bytes).unwrap();
        prop_assert!(listing.files().len() + listing.problems().len() <= listing.line_count() as usize);
    }

    #[test]
    fn mangled_lines_never_panic(lines in proptest::collection::vec(
        "[0-9 :-]{0,30}data/tiles/[NSEW0-9]{0,8}/[A-Za-z0-9_]{0,30}\\.tif[a-z.]{0,4}\r?", 0..50)) {
        let text = lines.join("\n");
        let listing = Listing::parse(text.as_bytes()).unwrap();
        for p in listing.problems() {
            prop_assert!(p.line >= 1 && p.line <= listing.line_count());
        }
    }

    #[test]
    fn file_names_round_trip_through_a_listing(keys in proptest::collection::vec(chunk_key(), 1..100)) {
        let mut text = String::from("2021-03-17 18:11:28          0 data/tiles/\n");
        for key in &keys {
            let name = key.file_name().to_string();
            prop_assert_eq!(FileName::parse(&name).unwrap().key(), *key);
            prop_assert_eq!(key.pack().unpack(), Some(*key));
            text.push_str(&format!("2021-03-03 13:49:18     120331 data/tiles/{}/{name}\n", key.tile));
        }
        let listing = Listing::parse(text.as_bytes()).unwrap();
        let mut expected = keys.clone();
        expected.sort();
        let duplicates = expected.len();
        expected.dedup();
        let got: Vec<ChunkKey> = listing.files().iter().map(|f| f.key.unpack().unwrap()).collect();
        prop_assert_eq!(&got, &expected);
        prop_assert_eq!(listing.problems().len(), duplicates - expected.len());
        for f in listing.files() {
            let key = f.key.unpack().unwrap();
            prop_assert_eq!(listing.path(f), format!("{}/{}", key.tile, key.file_name()));
        }
    }
}
