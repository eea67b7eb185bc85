//! Overviews: a layer's files onto one global grid with a pyramid of
//! levels, written as a COG and read back by the `tiff` crate (a decoder we
//! did not write), against a brute-force reference computed here from the
//! source pixels one by one.

use std::collections::{BTreeSet, HashMap};
use std::io::Cursor;

use tessera_core::cog::{decode_tile, CogCompression, CogLayout, TileFormat, COG_TILE};
use tessera_core::geotiff::DecodedTile;
use tessera_core::overview::{build_cog, Aggregation, OverviewGrid, PyramidSources};
use tessera_core::{DType, Tile};
use tiff::decoder::{Decoder, DecodingResult};
use tiff::tags::Tag;

/// A tile's pixels from a formula, with nodata stripes and corners.
fn pixels(tile: Tile, dtype: DType) -> DecodedTile {
    let seed = u32::from(tile.lat_index()) * 7 + u32::from(tile.lon_index()) * 13;
    let values = (0..1200u32 * 1200).map(move |i| {
        let (r, c) = (i / 1200, i % 1200);
        if (r + c + seed) % 17 == 0 || (r < 50 && c < 80) {
            0
        } else {
            1 + (r * 31 + c * 7 + seed * 3) % 250
        }
    });
    match dtype {
        DType::U8 => DecodedTile::U8(values.map(|v| v as u8).collect()),
        DType::U16 => DecodedTile::U16(values.map(|v| (v * 97) as u16).collect()),
    }
}

/// The reference: each level's value per pixel, from every source pixel.
fn reference(
    grid: &OverviewGrid,
    files: &[(Tile, DecodedTile)],
    aggregation: Aggregation,
    level: u32,
) -> HashMap<(u32, u32), u16> {
    let mut acc: HashMap<(u32, u32), (u64, u64)> = HashMap::new();
    for (tile, px) in files {
        for r in 0..1200 {
            for c in 0..1200 {
                let v = u64::from(px.get(r, c));
                if v == 0 {
                    continue;
                }
                let x = grid.output_of(tile.first_column() + c) >> level;
                let y = grid.output_of(tile.first_row() + r) >> level;
                let e = acc.entry((x, y)).or_default();
                match aggregation {
                    Aggregation::Mean => e.0 += v,
                    Aggregation::MeanPower => e.0 += v * v,
                    Aggregation::MostSevere => e.0 = e.0.max(v),
                }
                e.1 += 1;
            }
        }
    }
    acc.into_iter()
        .map(|(k, (s, n))| {
            let v = match aggregation {
                Aggregation::Mean => (2 * s + n) / (2 * n),
                Aggregation::MeanPower => ((s as f64 / n as f64).sqrt() + 0.5).floor() as u64,
                Aggregation::MostSevere => s,
            };
            (k, v as u16)
        })
        .collect()
}

fn build(
    resolution: f64,
    files: &[(Tile, DecodedTile)],
    dtype: DType,
    aggregation: Aggregation,
    compression: CogCompression,
) -> (OverviewGrid, CogLayout, Vec<u8>) {
    let grid = OverviewGrid::new(resolution).unwrap();
    let layout = CogLayout::new(grid.image(), dtype, compression, true).unwrap();
    let tiles: BTreeSet<Tile> = files.iter().map(|(t, _)| *t).collect();
    let by_tile: HashMap<Tile, &DecodedTile> = files.iter().map(|(t, p)| (*t, p)).collect();
    let read = |t: Tile| -> Result<DecodedTile, String> {
        by_tile
            .get(&t)
            .map(|p| (*p).clone())
            .ok_or("missing".into())
    };
    let on_file = || {};
    let sources = PyramidSources {
        tiles: &tiles,
        read: &read,
        on_file: &on_file,
    };
    // (A tile written twice is an error of build_cog's.)
    let (cog, summary) = build_cog(&grid, &layout, aggregation, &sources).unwrap();
    assert_eq!(summary.files_read, files.len());
    assert!(summary.failures.is_empty());
    (grid, layout, cog)
}

/// Every level of the COG as the `tiff` crate reads it: (width, height,
/// values row-major), sparse tiles as 0.
fn read_back(cog: &[u8]) -> Vec<(u32, u32, Vec<u16>)> {
    let mut decoder = Decoder::new(Cursor::new(cog)).unwrap();
    let mut levels = Vec::new();
    loop {
        let (width, height) = decoder.dimensions().unwrap();
        let offsets = decoder.get_tag_u64_vec(Tag::TileOffsets).unwrap();
        let counts = decoder.get_tag_u64_vec(Tag::TileByteCounts).unwrap();
        let across = width.div_ceil(COG_TILE);
        let mut image = vec![0u16; (width * height) as usize];
        for (i, (&o, &n)) in offsets.iter().zip(&counts).enumerate() {
            assert_eq!(o == 0, n == 0, "tile {i}: offset {o}, count {n}");
            if n == 0 {
                continue;
            }
            let (tw, th) = decoder.chunk_data_dimensions(i as u32);
            let values: Vec<u16> = match decoder.read_chunk(i as u32).unwrap() {
                DecodingResult::U8(v) => v.into_iter().map(u16::from).collect(),
                DecodingResult::U16(v) => v,
                other => panic!("unexpected sample type {other:?}"),
            };
            let (x0, y0) = (
                (i as u32 % across) * COG_TILE,
                (i as u32 / across) * COG_TILE,
            );
            for y in 0..th {
                for x in 0..tw {
                    image[((y0 + y) * width + x0 + x) as usize] = values[(y * tw + x) as usize];
                }
            }
        }
        levels.push((width, height, image));
        if !decoder.more_images() {
            break;
        }
        decoder.next_image().unwrap();
    }
    levels
}

fn check(resolution: f64, dtype: DType, aggregation: Aggregation, compression: CogCompression) {
    // Three neighbours (their footprints share output pixels at coarse
    // levels) and one far away, in different full resolution tiles.
    let tiles = [
        Tile::from_corner(36, -121).unwrap(),
        Tile::from_corner(36, -120).unwrap(),
        Tile::from_corner(35, -121).unwrap(),
        Tile::from_corner(-10, 30).unwrap(),
    ];
    let files: Vec<(Tile, DecodedTile)> = tiles.iter().map(|&t| (t, pixels(t, dtype))).collect();
    let (grid, layout, cog) = build(resolution, &files, dtype, aggregation, compression);
    let levels = read_back(&cog);
    assert_eq!(levels.len(), layout.levels.len());
    for (level, (width, height, image)) in levels.iter().enumerate() {
        assert_eq!(
            (*width, *height),
            (layout.levels[level].width, layout.levels[level].height)
        );
        let want = reference(&grid, &files, aggregation, level as u32);
        let mut nonzero = 0;
        for (i, &got) in image.iter().enumerate() {
            let (x, y) = (i as u32 % width, i as u32 / width);
            let expected = want.get(&(x, y)).copied().unwrap_or(0);
            assert_eq!(
                got, expected,
                "{resolution}° {aggregation:?} level {level} pixel ({x}, {y})"
            );
            nonzero += usize::from(got != 0);
        }
        assert_eq!(nonzero, want.len(), "level {level}");
    }
}

#[test]
fn every_level_is_the_mean_of_the_source_pixels_under_it() {
    // 0.1°: 12 source pixels per output pixel, 3600×1610 with 3 levels.
    check(0.1, DType::U8, Aggregation::Mean, CogCompression::Deflate);
}

#[test]
fn amp_is_averaged_in_power_and_lsmap_keeps_the_most_severe_category() {
    check(0.1, DType::U16, Aggregation::MeanPower, CogCompression::Lzw);
    check(
        0.25,
        DType::U8,
        Aggregation::MostSevere,
        CogCompression::Deflate,
    );
}

#[test]
fn a_resolution_that_does_not_divide_a_tile_splits_source_pixels_unevenly() {
    // 0.07°: 84 source pixels per output pixel; 360 / 0.07 is not whole.
    check(0.07, DType::U8, Aggregation::Mean, CogCompression::Lzw);
}

#[test]
fn the_default_grid_has_the_levels_gdal_makes() {
    let grid = OverviewGrid::new(0.01).unwrap();
    assert_eq!((grid.width, grid.height), (36000, 16100));
    let layout = CogLayout::new(grid.image(), DType::U8, CogCompression::Deflate, true).unwrap();
    // Padded with nodata to a multiple of 2^6, so that every overview is
    // exactly half the level above: GDAL's pixel size of an overview
    // (the full extent over its size) is then the one it was made with.
    let widths: Vec<u32> = layout.levels.iter().map(|l| l.width).collect();
    assert_eq!(widths, [36032, 18016, 9008, 4504, 2252, 1126, 563]);
    let heights: Vec<u32> = layout.levels.iter().map(|l| l.height).collect();
    assert_eq!(heights, [16128, 8064, 4032, 2016, 1008, 504, 252]);
    for (i, l) in layout.levels.iter().enumerate() {
        let full = &layout.levels[0];
        assert_eq!(
            f64::from(full.width) * 0.01 / f64::from(l.width),
            l.degrees,
            "level {i}"
        );
        assert_eq!(
            f64::from(full.height) * 0.01 / f64::from(l.height),
            l.degrees,
            "level {i}"
        );
    }
    assert_eq!(layout.levels[0].tile_count(), 71 * 32);
}

#[test]
fn resolutions_outside_the_data_are_refused() {
    for bad in [0.0, -0.01, f64::NAN, 1.0 / 2400.0, 11.0] {
        assert!(OverviewGrid::new(bad).is_err(), "{bad}");
    }
    assert!(OverviewGrid::new(1.0 / 1200.0).is_ok());
}

#[test]
fn the_header_puts_every_ifd_before_the_data_smallest_level_first() {
    let grid = OverviewGrid::new(0.1).unwrap();
    let layout = CogLayout::new(grid.image(), DType::U8, CogCompression::Deflate, true).unwrap();
    let counts: Vec<Vec<u32>> = layout
        .levels
        .iter()
        .map(|l| {
            (0..l.tile_count() as u32)
                .map(|i| if i % 3 == 0 { 10 + i } else { 0 })
                .collect()
        })
        .collect();
    let header = layout.header(&counts).unwrap();
    let mut tiles: Vec<Vec<Option<Vec<u8>>>> = Vec::new();
    for level in &counts {
        tiles.push(
            level
                .iter()
                .map(|&n| (n > 0).then(|| vec![0u8; n as usize]))
                .collect(),
        );
    }
    let cog = layout.assemble(&tiles).unwrap();
    assert_eq!(&cog[..header.len()], &header[..]);
    let mut decoder = Decoder::new(Cursor::new(&cog)).unwrap();
    let mut firsts = Vec::new();
    loop {
        let offsets = decoder.get_tag_u64_vec(Tag::TileOffsets).unwrap();
        let counts = decoder.get_tag_u64_vec(Tag::TileByteCounts).unwrap();
        for (&o, &n) in offsets.iter().zip(&counts) {
            assert!(n == 0 && o == 0 || o >= header.len() as u64 && o + n <= cog.len() as u64);
        }
        firsts.push(offsets.iter().copied().filter(|&o| o > 0).min().unwrap());
        if !decoder.more_images() {
            break;
        }
        decoder.next_image().unwrap();
    }
    // Each level's data comes after the next smaller level's.
    assert!(firsts.windows(2).all(|w| w[0] > w[1]), "{firsts:?}");
    let short = layout.header(&counts[..1]).unwrap_err().to_string();
    assert!(short.contains("tiles"), "{short}");
}

#[test]
fn our_tile_decoder_reads_what_the_encoder_wrote() {
    let grid = OverviewGrid::new(0.1).unwrap();
    for dtype in [DType::U8, DType::U16] {
        for compression in [CogCompression::Lzw, CogCompression::Deflate] {
            for predictor in [false, true] {
                let layout = CogLayout::new(grid.image(), dtype, compression, predictor).unwrap();
                let max = if dtype == DType::U8 { 255 } else { 65535 };
                let values: Vec<u16> = (0..COG_TILE * COG_TILE)
                    .map(|i| (i.wrapping_mul(2654435761) >> 7) as u16 % max)
                    .collect();
                let bytes = layout.encode_tile(&values).unwrap();
                let format = TileFormat {
                    width: COG_TILE,
                    height: COG_TILE,
                    dtype,
                    compression,
                    predictor,
                    big_endian: false,
                };
                assert_eq!(decode_tile(&bytes, &format).unwrap(), values);
                assert!(decode_tile(&bytes[..bytes.len() / 2], &format).is_err());
            }
        }
    }
}

#[test]
fn our_cogs_header_reads_back_with_every_level() {
    let tiles = [Tile::from_corner(36, -121).unwrap()];
    let files: Vec<(Tile, DecodedTile)> =
        tiles.iter().map(|&t| (t, pixels(t, DType::U16))).collect();
    let (_, layout, cog) = build(
        0.1,
        &files,
        DType::U16,
        Aggregation::MeanPower,
        CogCompression::Deflate,
    );
    // From a short prefix, each answer asks for more until it has all.
    let mut want = 100;
    let mut reads = 0;
    let header = loop {
        reads += 1;
        assert!(reads < 20);
        match tessera_core::cog::CogHeader::parse(&cog[..want]) {
            Ok(h) => break h,
            Err(tessera_core::cog::CogReadError::NeedBytes(n)) => {
                assert!(n as usize > want);
                want = n as usize;
            }
            Err(e) => panic!("{e}"),
        }
    };
    // From the first read the app makes, at once.
    let first = tessera_core::cog::HEADER_FIRST_READ as usize;
    assert!(tessera_core::cog::CogHeader::parse(&cog[..first.min(cog.len())]).is_ok());
    assert_eq!(header.levels.len(), layout.levels.len());
    assert_eq!((header.west, header.north), (-180.0, 82.0));
    assert_eq!(header.pixel_degrees, (0.1, 0.1));
    assert_eq!(header.nodata.as_deref(), Some("0"));
    for (read, made) in header.levels.iter().zip(&layout.levels) {
        assert_eq!((read.width, read.height), (made.width, made.height));
        assert_eq!(read.format.compression, CogCompression::Deflate);
        assert!(read.format.predictor);
    }
    // Level choice: the coarsest whose pixels are no larger than asked.
    assert_eq!(header.level_for(0.05), 0);
    assert_eq!(header.level_for(0.2), 1);
    assert_eq!(header.level_for(100.0), layout.levels.len() - 1);
    // Garbage and truncation are named errors, never panics.
    assert!(tessera_core::cog::CogHeader::parse(b"GIF89a..").is_err());
    for cut in [0, 7, 8, 9, 30, 200] {
        let _ = tessera_core::cog::CogHeader::parse(&cog[..cut]);
    }
}

#[test]
fn the_tiles_a_view_needs_are_read_in_merged_ranges() {
    // Three 1° tiles on one row of COG tiles (columns 1, 2 and 3 at 0.1°:
    // 512 pixels of 0.1° are 51.2° wide, from 180° W).
    let tiles = [
        Tile::from_corner(36, -121).unwrap(),
        Tile::from_corner(36, -60).unwrap(),
        Tile::from_corner(36, -10).unwrap(),
    ];
    let files: Vec<(Tile, DecodedTile)> =
        tiles.iter().map(|&t| (t, pixels(t, DType::U8))).collect();
    let (_, _, cog) = build(
        0.1,
        &files,
        DType::U8,
        Aggregation::Mean,
        CogCompression::Lzw,
    );
    let header = tessera_core::cog::CogHeader::parse(&cog).unwrap();
    // One 1° box: the one COG tile under it.
    assert_eq!(header.tiles_in(0, -121.0, 36.0, -120.0, 37.0), vec![1]);
    // The whole grid: only the tiles that hold data (the rest are sparse).
    assert_eq!(
        header.tiles_in(0, -180.0, -79.0, 180.0, 82.0),
        vec![1, 2, 3]
    );
    // Boxes off the grid or empty meet nothing.
    assert!(header.tiles_in(0, -200.0, 36.0, -190.0, 37.0).is_empty());
    assert!(header.tiles_in(0, 10.0, 36.0, 5.0, 37.0).is_empty());
    assert!(header.tiles_in(99, -180.0, -79.0, 180.0, 82.0).is_empty());

    // Adjacent tiles are one read; each tile keeps its own place in it.
    let level = &header.levels[0];
    let reads = header.reads(0, &[3, 1, 2], 0, u64::MAX);
    assert_eq!(reads.len(), 1, "{reads:?}");
    let read = &reads[0];
    let (first, _) = level.tile_range(1).unwrap();
    let (last, last_count) = level.tile_range(3).unwrap();
    assert_eq!(read.offset, first);
    assert_eq!(read.length, last + last_count - first);
    let bytes = &cog[read.offset as usize..(read.offset + read.length) as usize];
    for &(tile, at, count) in &read.tiles {
        let (offset, n) = level.tile_range(tile).unwrap();
        assert_eq!((read.offset + at, count), (offset, n));
        let decoded =
            decode_tile(&bytes[at as usize..(at + count) as usize], &level.format).unwrap();
        assert!(
            decoded.iter().any(|&v| v != 0),
            "tile {tile} decoded to nodata"
        );
    }
    // A cap on a read's length splits it; a tile is never cut.
    let split = header.reads(0, &[1, 2, 3], 0, last_count);
    assert_eq!(split.len(), 3);
    assert!(split.iter().all(|r| r.tiles.len() == 1));
    // Sparse tiles ask for nothing.
    assert!(header.reads(0, &[0, 4, 5], 0, u64::MAX).is_empty());
}

#[test]
fn the_manifest_reads_back_and_names_each_layer() {
    use tessera_core::overview::{layer_name, Manifest, ManifestError, ManifestLayer};
    use tessera_core::Variable;
    use tessera_core::{Layer, Polarization, RepeatInterval, Season};
    let grid = OverviewGrid::new(0.01).unwrap();
    let layout = CogLayout::new(grid.image(), DType::U8, CogCompression::Deflate, true).unwrap();
    let layer = Layer::Coherence(Season::Winter, Polarization::Vv, RepeatInterval::Days12);
    assert_eq!(layer_name(Variable::Coh, layer), "winter_vv_COH12");
    let manifest = Manifest::new(
        &grid,
        &layout,
        vec![ManifestLayer {
            variable: "COH".into(),
            layer: layer_name(Variable::Coh, layer),
            url: "COH/winter_vv_COH12.tif".into(),
            dtype: "uint8".into(),
            aggregation: "mean".into(),
            files: 3,
        }],
    );
    let json = serde_json::to_vec(&manifest).unwrap();
    let back = Manifest::parse(&json).unwrap();
    assert_eq!(back, manifest);
    assert_eq!(back.levels.len(), layout.levels.len());
    assert_eq!(
        back.layer(Variable::Coh, layer).unwrap().url,
        "COH/winter_vv_COH12.tif"
    );
    assert!(back
        .layer(
            Variable::Coh,
            Layer::Coherence(Season::Summer, Polarization::Vv, RepeatInterval::Days12)
        )
        .is_none());
    assert!(matches!(
        Manifest::parse(b"{}"),
        Err(ManifestError::Json(_))
    ));
    let mut newer = manifest.clone();
    newer.tessera_overviews = 2;
    let json = serde_json::to_vec(&newer).unwrap();
    assert_eq!(Manifest::parse(&json), Err(ManifestError::Version(2)));
}

/// Every tile of every level of a COG, decoded: [level][tile].
fn decoded_levels(cog: &[u8]) -> (tessera_core::cog::CogHeader, Vec<Vec<Option<Vec<u16>>>>) {
    let header = tessera_core::cog::CogHeader::parse(cog).unwrap();
    let levels = header
        .levels
        .iter()
        .map(|l| {
            (0..l.offsets.len())
                .map(|t| {
                    l.tile_range(t).map(|(o, n)| {
                        decode_tile(&cog[o as usize..(o + n) as usize], &l.format).unwrap()
                    })
                })
                .collect()
        })
        .collect();
    (header, levels)
}

#[test]
fn a_view_reads_the_level_with_a_data_pixel_per_screen_pixel_and_paints_the_finest_in() {
    use tessera_core::colormap::{Colormap, Palette};
    use tessera_core::overview_view::{need, paint, value_at, OverviewTile};
    use tessera_core::viewport::Viewport;
    use tessera_core::Variable;
    let tiles = [
        Tile::from_corner(36, -121).unwrap(),
        Tile::from_corner(35, -120).unwrap(),
        // Between the two in the COG's byte order, far from them on the map.
        Tile::from_corner(36, 0).unwrap(),
    ];
    let files: Vec<(Tile, DecodedTile)> =
        tiles.iter().map(|&t| (t, pixels(t, DType::U8))).collect();
    let (_, layout, cog) = build(
        0.01,
        &files,
        DType::U8,
        Aggregation::Mean,
        CogCompression::Deflate,
    );
    let (header, levels) = decoded_levels(&cog);
    let back = read_back(&cog);

    // The whole world on 1000 px: 0.36° a pixel; the level of 0.32°.
    let world = Viewport::new(1.5, 0.0, 0.36, 1000, 450).unwrap();
    let n = need(&header, &world, 64);
    assert_eq!(header.level_degrees(n.level), 0.32);
    assert_eq!(n.scale, 384);
    assert_eq!(
        n.tiles.len(),
        2,
        "only the tiles holding data: {:?}",
        n.tiles
    );
    assert_eq!(n.reads.len(), 1, "adjacent tiles in one read");
    // Two screen pixels a data pixel of the base level: level 0, 1:12.
    let close = Viewport::new(36.5, -120.5, 0.005, 400, 300).unwrap();
    let n0 = need(&header, &close, 64);
    assert_eq!((n0.level, n0.scale), (0, 12));
    // Two reads here (the tile at 0° between them in the file is not in
    // view); a budget of one read takes a coarser level instead.
    let wide = Viewport::new(36.0, -120.0, 0.01, 2000, 1500).unwrap();
    let many = need(&header, &wide, 64);
    let few = need(&header, &wide, 1);
    assert_eq!(many.reads.len(), 2, "{many:?}");
    assert!(few.level > many.level && few.reads.len() == 1, "{few:?}");

    // Painting with every tile in gives the level's own values; at the
    // pixel under each screen pixel's centre.
    let palette = Palette::new(
        Variable::Coh,
        Colormap::from_name("gray").unwrap(),
        (0.0, 1.0),
    );
    let view = Viewport::new(36.0, -120.0, 0.02, 200, 150).unwrap();
    let level = need(&header, &view, 64).level;
    assert_eq!(level, 1);
    let all = |l: usize, t: usize| match levels[l][t].as_deref() {
        Some(v) => OverviewTile::Loaded(v),
        None => OverviewTile::Missing,
    };
    let mut rgba = Vec::new();
    assert!(paint(&view, &header, level, all, &palette, &mut rgba));
    let (w, h, values) = &back[level];
    let mut checked = 0;
    for (x, y) in [(10u32, 10u32), (60, 80), (90, 120), (110, 130), (140, 145)] {
        let (lat, lon) = view.screen_to_lat_lon(f64::from(x) + 0.5, f64::from(y) + 0.5);
        let column = ((lon + 180.0) / 0.02).floor() as u32;
        let row = ((82.0 - lat) / 0.02).floor() as u32;
        assert!(column < *w && row < *h);
        let dn = values[(row * w + column) as usize];
        let at = ((y * 200 + x) * 4) as usize;
        assert_eq!(rgba[at..at + 4], palette.rgba(dn), "({x}, {y})");
        assert_eq!(value_at(&header, level, lat, lon, all), Some((dn, level)));
        checked += usize::from(dn != 0);
    }
    assert_eq!(checked, 4, "the chosen points must hold data");

    // With the chosen level missing, the next coarser shows through,
    // and the paint says it is not complete.
    let coarse = |l: usize, t: usize| match (l > level, levels[l][t].as_deref()) {
        (true, Some(v)) => OverviewTile::Loaded(v),
        _ => OverviewTile::Missing,
    };
    let mut fallback = Vec::new();
    assert!(!paint(
        &view,
        &header,
        level,
        coarse,
        &palette,
        &mut fallback
    ));
    assert!(fallback.chunks(4).filter(|p| p[3] == 255).count() > 1000);
    let (x, y) = (110u32, 130u32);
    let (lat, lon) = view.screen_to_lat_lon(f64::from(x) + 0.5, f64::from(y) + 0.5);
    let (dn, read) = value_at(&header, level, lat, lon, coarse).unwrap();
    assert_eq!(read, level + 1);
    let (w, _, values) = &back[level + 1];
    let column = ((lon + 180.0) / 0.04).floor() as u32;
    let row = ((82.0 - lat) / 0.04).floor() as u32;
    assert_eq!(dn, values[(row * w + column) as usize]);
    // Off the grid: nothing.
    assert_eq!(value_at(&header, level, 85.0, 0.0, all), None);
    // Nothing in at all: transparent, incomplete.
    let none = |_: usize, _: usize| OverviewTile::Missing;
    assert!(!paint(&view, &header, level, none, &palette, &mut rgba));
    assert!(rgba.iter().all(|&b| b == 0));
    let _ = layout;
}

#[test]
fn overview_sources_from_the_url_and_templates_for_the_buckets_mosaics() {
    use tessera_core::overview_view::{expand_template, OverviewSource};
    use tessera_core::{
        FlightDirection, Layer, Orbit, Polarization, RepeatInterval, Season, Variable,
    };
    assert_eq!(
        OverviewSource::from_param(None),
        OverviewSource::Manifest(None)
    );
    assert_eq!(
        OverviewSource::from_param(Some("none")),
        OverviewSource::None
    );
    assert_eq!(
        OverviewSource::from_param(Some("https://h/o/overviews.json")),
        OverviewSource::Manifest(Some("https://h/o/overviews.json".into()))
    );
    assert_eq!(
        OverviewSource::from_param(Some("o/overviews.json?v=2")),
        OverviewSource::Manifest(Some("o/overviews.json?v=2".into()))
    );
    // One COG, no placeholder: a template all the same.
    assert_eq!(
        OverviewSource::from_param(Some("https://h/one.tif")),
        OverviewSource::Template("https://h/one.tif".into())
    );
    let t = "https://h/data/mosaics/Global_{season}_{polarization}_COH{interval}.tif";
    assert_eq!(
        OverviewSource::from_param(Some(t)),
        OverviewSource::Template(t.into())
    );
    let layer = Layer::Coherence(Season::Fall, Polarization::Vh, RepeatInterval::Days06);
    assert_eq!(
        expand_template(t, Variable::Coh, layer),
        "https://h/data/mosaics/Global_fall_vh_COH06.tif"
    );
    assert_eq!(
        expand_template(
            "o/{variable}/{layer}.tif",
            Variable::Amp,
            Layer::Seasonal(Season::Summer, Polarization::Hh)
        ),
        "o/AMP/summer_hh_AMP.tif"
    );
    let orbit = Orbit::new(61).unwrap();
    assert_eq!(
        expand_template(
            "{orbit}{direction}_{variable}",
            Variable::Inc,
            Layer::Orbital(orbit, FlightDirection::Descending)
        ),
        "061D_inc"
    );
}
