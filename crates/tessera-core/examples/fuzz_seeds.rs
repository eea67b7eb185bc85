//! Small GeoTIFF-like files for the fuzzers' seed corpora
//! (scripts/fuzz.sh): the `tiff` crate's layout, the IFD after the image
//! data, in strips of 6 rows, uint8 and uint16, LZW and none.
//!
//!     cargo run -p tessera-core --example fuzz_seeds -- DIR
//!     cargo run -p tessera-core --example fuzz_seeds -- --cog DIR
//!
//! With `--cog`: small COGs as `tessera overviews` writes them (a 5° grid,
//! one level; a 0.3° grid, two levels), for the `cog` target.

use std::io::Cursor;

use tiff::encoder::{colortype, Compression, DeflateLevel, TiffEncoder};

fn cogs(dir: &str) -> Result<(), Box<dyn std::error::Error>> {
    use std::collections::BTreeSet;
    use tessera_core::cog::{CogCompression, CogLayout};
    use tessera_core::geotiff::DecodedTile;
    use tessera_core::overview::{build_cog, Aggregation, OverviewGrid, PyramidSources};
    use tessera_core::{DType, Tile};
    std::fs::create_dir_all(dir)?;
    let tile = Tile::from_corner(36, -121).ok_or("tile")?;
    for (name, resolution, dtype, compression) in [
        (
            "u8-deflate-5deg.tif",
            5.0,
            DType::U8,
            CogCompression::Deflate,
        ),
        ("u16-lzw-0.3deg.tif", 0.3, DType::U16, CogCompression::Lzw),
    ] {
        let grid = OverviewGrid::new(resolution)?;
        let layout = CogLayout::new(grid.image(), dtype, compression, true)?;
        let tiles: BTreeSet<Tile> = [tile].into();
        let read = |_: Tile| -> Result<DecodedTile, String> {
            let values = (0..1200 * 1200u32).map(|i| (i % 1200 + i / 1200) % 200 + 1);
            Ok(match dtype {
                DType::U8 => DecodedTile::U8(values.map(|v| v as u8).collect()),
                DType::U16 => DecodedTile::U16(values.map(|v| v as u16 * 50).collect()),
            })
        };
        let on_file = || {};
        let sources = PyramidSources {
            tiles: &tiles,
            read: &read,
            on_file: &on_file,
        };
        let (cog, _) = build_cog(&grid, &layout, Aggregation::Mean, &sources)?;
        std::fs::write(format!("{dir}/{name}"), cog)?;
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let first = args.next().ok_or("usage: fuzz_seeds [--cog] DIR")?;
    if first == "--cog" {
        return cogs(&args.next().ok_or("usage: fuzz_seeds --cog DIR")?);
    }
    let dir = first;
    std::fs::create_dir_all(&dir)?;
    let (w, h) = (64u32, 48u32);
    let u8s: Vec<u8> = (0..w * h).map(|i| (i % w + i / w * 3) as u8).collect();
    let u16s: Vec<u16> = (0..w * h).map(|i| (i % w * 700 + i / w) as u16).collect();
    type Image<'a> = dyn Fn(&mut TiffEncoder<&mut Cursor<Vec<u8>>>) -> tiff::TiffResult<()> + 'a;
    let write = |name: &str,
                 compression: Compression,
                 f: &Image|
     -> Result<(), Box<dyn std::error::Error>> {
        let mut out = Cursor::new(Vec::new());
        f(&mut TiffEncoder::new(&mut out)?.with_compression(compression))?;
        // The fuzz target's first byte picks a hint: 0, none.
        let mut bytes = vec![0u8];
        bytes.extend(out.into_inner());
        std::fs::write(format!("{dir}/{name}"), &bytes)?;
        bytes[0] = 2;
        std::fs::write(format!("{dir}/hint-{name}"), &bytes)?;
        Ok(())
    };
    write("u8-lzw.tif", Compression::Lzw, &|e| {
        let mut image = e.new_image::<colortype::Gray8>(w, h)?;
        image.rows_per_strip(6)?;
        image.write_data(&u8s)
    })?;
    write("u16-none.tif", Compression::Uncompressed, &|e| {
        let mut image = e.new_image::<colortype::Gray16>(w, h)?;
        image.rows_per_strip(6)?;
        image.write_data(&u16s)
    })?;
    write(
        "u16-deflate.tif",
        Compression::Deflate(DeflateLevel::default()),
        &|e| {
            let mut image = e.new_image::<colortype::Gray16>(w, h)?;
            image.rows_per_strip(6)?;
            image.write_data(&u16s)
        },
    )?;
    Ok(())
}
