//! Small GeoTIFF-like files for the fuzzers' seed corpora
//! (scripts/fuzz.sh): the `tiff` crate's layout, the IFD after the image
//! data, in strips of 6 rows, uint8 and uint16, LZW and none.
//!
//!     cargo run -p tessera-core --example fuzz_seeds -- DIR

use std::io::Cursor;

use tiff::encoder::{colortype, Compression, DeflateLevel, TiffEncoder};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: fuzz_seeds DIR")?;
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
