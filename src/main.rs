//! The web app's entry point (built for wasm32 by Trunk).

#[cfg(target_arch = "wasm32")]
fn main() {
    tessera_app::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "tessera-app is the web app: it runs in a browser. Build and serve it with scripts/run.sh."
    );
    std::process::exit(2);
}

/// Decodes every tile of every level of a whole COG as the app's workers
/// do, for the overviews benchmark (`bench/web/overviews.mjs`), which
/// times Deflate against LZW in the browser. Returns the number of tiles.
// In the app's binary, not the library: the decoder worker links the
// library, and would carry the COG header reader for nothing.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(js_name = decodeCogForBench)]
pub fn decode_cog_for_bench(bytes: &[u8]) -> Result<u32, wasm_bindgen::JsValue> {
    let error = |e: String| wasm_bindgen::JsValue::from_str(&e);
    let header = tessera_core::cog::CogHeader::parse(bytes).map_err(|e| error(e.to_string()))?;
    let mut tiles = 0;
    for level in &header.levels {
        for index in 0..level.offsets.len() {
            let Some((offset, count)) = level.tile_range(index) else {
                continue;
            };
            let tile = usize::try_from(offset)
                .ok()
                .zip(usize::try_from(offset + count).ok())
                .and_then(|(start, end)| bytes.get(start..end))
                .ok_or_else(|| error(format!("tile {index} is past the file's end")))?;
            tessera_core::cog::decode_tile(tile, &level.format)
                .map_err(|e| error(e.to_string()))?;
            tiles += 1;
        }
    }
    Ok(tiles)
}
