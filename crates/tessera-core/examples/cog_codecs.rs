//! How fast Tessera's decoder reads a COG's tiles, to choose the
//! compression `tessera overviews` writes (the browser runs the same code
//! as wasm).
//!
//!     cargo run --release -p tessera-core --example cog_codecs -- A.tif B.tif …
//!
//! For each COG: its size, the tiles written, and the median time over
//! 5 runs of decoding all of them (decompression and the predictor undone).

use std::time::Instant;

use tessera_core::cog::{decode_tile, CogCompression, TileFormat};
use tessera_core::DType;
use tiff::decoder::Decoder;
use tiff::tags::Tag;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path)?;
        let mut decoder = Decoder::new(std::io::Cursor::new(&bytes))?;
        let mut tiles: Vec<(TileFormat, Vec<u8>)> = Vec::new();
        loop {
            let tag = |d: &mut Decoder<_>, t| d.get_tag_u32(t);
            let format = TileFormat {
                width: tag(&mut decoder, Tag::TileWidth)?,
                height: tag(&mut decoder, Tag::TileLength)?,
                dtype: if tag(&mut decoder, Tag::BitsPerSample)? == 8 {
                    DType::U8
                } else {
                    DType::U16
                },
                compression: if tag(&mut decoder, Tag::Compression)? == 5 {
                    CogCompression::Lzw
                } else {
                    CogCompression::Deflate
                },
                predictor: decoder.get_tag_u32(Tag::Predictor).unwrap_or(1) == 2,
                big_endian: false,
            };
            let offsets = decoder.get_tag_u64_vec(Tag::TileOffsets)?;
            let counts = decoder.get_tag_u64_vec(Tag::TileByteCounts)?;
            for (&o, &n) in offsets.iter().zip(&counts) {
                if n > 0 {
                    tiles.push((format, bytes[o as usize..(o + n) as usize].to_vec()));
                }
            }
            if !decoder.more_images() {
                break;
            }
            decoder.next_image()?;
        }
        let mut times = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            for (format, tile) in &tiles {
                std::hint::black_box(decode_tile(tile, format)?);
            }
            times.push(started.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{path}: {:.2} MB, {} tiles, decoded in {:.1} ms (median of 5), {:.3} ms per tile",
            bytes.len() as f64 / 1e6,
            tiles.len(),
            times[2],
            times[2] / tiles.len() as f64
        );
    }
    Ok(())
}
