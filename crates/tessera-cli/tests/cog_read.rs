//! Tessera's COG reader (`tessera_core::cog`) on COGs it did not write:
//! GDAL's own (rasterio's COG driver, Deflate and LZW, with and without the
//! predictor, 256² and 512² tiles, uint8 and uint16, GDAL's overviews and
//! ghost header), read as the app reads them, by ranges: the header from
//! the first bytes (at most two reads), then single tiles. Every pixel
//! rasterio reads at chosen places of every level must come out the same.

mod common;

use std::fs;
use std::path::Path;

use common::python::assert_python;
use tessera_core::cog::{decode_tile, CogHeader, CogReadError, HEADER_FIRST_READ};

fn header(bytes: &[u8]) -> (CogHeader, usize) {
    let mut want = HEADER_FIRST_READ as usize;
    for reads in 1..=2 {
        match CogHeader::parse(&bytes[..want.min(bytes.len())]) {
            Ok(h) => return (h, reads),
            Err(CogReadError::NeedBytes(n)) => want = n as usize,
            Err(e) => panic!("{e}"),
        }
    }
    panic!("the header needed more than two reads");
}

#[test]
fn cogs_written_by_gdal_read_to_the_pixels_rasterio_reads() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gdal-cogs");
    let _ = fs::remove_dir_all(&dir);
    assert_python("gdal_cogs.py", &[&dir], String::new);
    let expected: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("expected.json")).unwrap()).unwrap();
    let mut checked = 0;
    for entry in expected.as_array().unwrap() {
        let name = entry["file"].as_str().unwrap();
        let bytes = fs::read(dir.join(name)).unwrap();
        let (header, reads) = header(&bytes);
        assert!(reads <= 2, "{name}: {reads} reads");
        assert_eq!(header.nodata.as_deref(), Some("0"), "{name}");
        assert_eq!(header.pixel_degrees, (0.01, 0.01), "{name}");
        assert_eq!((header.west, header.north), (-125.0, 40.0), "{name}");
        let sizes: Vec<(u32, u32)> = header.levels.iter().map(|l| (l.width, l.height)).collect();
        let want: Vec<(u32, u32)> = entry["levels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l[0].as_u64().unwrap() as u32, l[1].as_u64().unwrap() as u32))
            .collect();
        assert_eq!(sizes, want, "{name}");
        for point in entry["points"].as_array().unwrap() {
            let p: Vec<u64> = point
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            let (level, x, y, value) = (p[0] as usize, p[1] as u32, p[2] as u32, p[3] as u16);
            let l = &header.levels[level];
            let (tw, th) = (l.format.width, l.format.height);
            let index = ((y / th) * l.tiles_across() + x / tw) as usize;
            let got = match l.tile_range(index) {
                None => 0,
                Some((offset, count)) => {
                    let tile = &bytes[offset as usize..(offset + count) as usize];
                    let values = decode_tile(tile, &l.format)
                        .unwrap_or_else(|e| panic!("{name} level {level} tile {index}: {e}"));
                    values[((y % th) * tw + x % tw) as usize]
                }
            };
            assert_eq!(got, value, "{name} level {level} pixel ({x}, {y})");
            checked += 1;
        }
    }
    assert!(checked > 16 * 50, "{checked}");
}
