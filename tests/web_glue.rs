//! The web app's browser glue, tested in headless Chromium with
//! wasm-bindgen-test (`scripts/test.sh`): URL resolution, fetching with
//! progress, cancellation and HTTP errors, and drawing a mosaic into a real
//! canvas.
#![cfg(target_arch = "wasm32")]

use tessera_app::fetch::{fetch_buffer, fetch_with_progress, resolve_url, FetchError};
use tessera_app::map::canvas::{context_2d, degrees_label, graticule_step, put_rgba};
use tessera_app::worker::pool::WorkerPool;
use tessera_core::colormap::{Colormap, Palette};
use tessera_core::mosaic::{paint, TileSamples};
use tessera_core::viewport::Viewport;
use tessera_core::{Tile, Variable};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn chunk_urls_resolve_against_the_references_url() {
    let base = "http://127.0.0.1:9000/demo/refs.json";
    assert_eq!(
        resolve_url("data/tiles/N35W119/N35W119_winter_vv_COH12.tif", base).unwrap(),
        "http://127.0.0.1:9000/demo/data/tiles/N35W119/N35W119_winter_vv_COH12.tif"
    );
    assert_eq!(
        resolve_url("https://bucket.example/a.tif", base).unwrap(),
        "https://bucket.example/a.tif"
    );
    assert!(matches!(
        resolve_url("http://[bad", base),
        Err(FetchError::BadUrl(_))
    ));
}

#[wasm_bindgen_test]
fn parquet_stores_are_told_by_their_url() {
    use tessera_app::data::record_loader::parquet_store_folder;
    let folder = Some("http://h/demo/refs.parq/".to_string());
    assert_eq!(parquet_store_folder("http://h/demo/refs.parq"), folder);
    assert_eq!(parquet_store_folder("http://h/demo/refs.parq/"), folder);
    assert_eq!(
        parquet_store_folder("http://h/demo/refs.parq/.zmetadata"),
        folder
    );
    assert_eq!(parquet_store_folder("http://h/demo/refs.parq?x=1"), folder);
    assert_eq!(
        parquet_store_folder("http://h/x/.zmetadata"),
        Some("http://h/x/".to_string())
    );
    assert_eq!(parquet_store_folder("http://h/demo/refs.json"), None);
    assert_eq!(parquet_store_folder("http://h/demo/refs.json.gz"), None);
    assert_eq!(parquet_store_folder("http://h/a.zmetadata"), None);
}

#[wasm_bindgen_test]
async fn fetch_with_progress_reads_the_whole_body() {
    // A data: URL is fetched through the same streaming path as HTTP.
    let url = "data:application/octet-stream;base64,AAECAwQFBgcICQ==";
    let mut calls = Vec::new();
    let bytes = fetch_with_progress(url, |loaded, total| calls.push((loaded, total)))
        .await
        .unwrap();
    assert_eq!(bytes, (0u8..10).collect::<Vec<_>>());
    assert_eq!(calls.last().map(|c| c.0), Some(10));
}

#[wasm_bindgen_test]
async fn a_missing_file_is_an_http_status() {
    let controller = web_sys::AbortController::new().unwrap();
    let page = tessera_app::fetch::page_url();
    let url = resolve_url("no-such-file-here.tif", &page).unwrap();
    let error = fetch_buffer(&url, None, &controller.signal())
        .await
        .unwrap_err();
    assert!(
        matches!(error, FetchError::Status { status: 404, .. }),
        "{error:?}"
    );
    assert!(error.to_string().starts_with("HTTP 404"), "{error}");
}

#[wasm_bindgen_test]
async fn an_aborted_request_is_cancelled_not_failed() {
    let controller = web_sys::AbortController::new().unwrap();
    controller.abort();
    let page = tessera_app::fetch::page_url();
    let error = fetch_buffer(&page, None, &controller.signal())
        .await
        .unwrap_err();
    assert_eq!(error, FetchError::Aborted);
}

#[wasm_bindgen_test]
async fn a_byte_range_is_cut_even_when_the_server_ignores_range() {
    let controller = web_sys::AbortController::new().unwrap();
    let url = "data:application/octet-stream;base64,AAECAwQFBgcICQ==";
    let bytes = fetch_buffer(url, Some((3, 4)), &controller.signal())
        .await
        .unwrap();
    assert_eq!(js_sys::Uint8Array::new(&bytes).to_vec(), vec![3, 4, 5, 6]);
}

/// The mosaic of one tile at one screen pixel per data pixel: every canvas
/// pixel has the palette's colour of the data pixel under it, and no data
/// (0) is transparent.
#[wasm_bindgen_test]
fn the_mosaic_lands_in_the_canvas_pixel_for_pixel() {
    let document = web_sys::window().unwrap().document().unwrap();
    let canvas: web_sys::HtmlCanvasElement = document
        .create_element("canvas")
        .unwrap()
        .dyn_into()
        .unwrap();
    let (width, height) = (64u32, 48u32);
    canvas.set_width(width);
    canvas.set_height(height);
    let tile = Tile::from_corner(35, -119).unwrap();
    // Centre the view on a pixel corner inside the tile, 1/1200° per pixel.
    let dpp = 1.0 / 1200.0;
    let view = Viewport::new(34.5, -118.5, dpp, width, height).unwrap();
    let values: Vec<u8> = (0..1200 * 1200)
        .map(|i| ((i % 1200 + i / 1200) % 101) as u8)
        .collect();
    let palette = Palette::new(Variable::Coh, Colormap::Viridis, (0.0, 1.0));
    // A reused buffer with an earlier draw's pixels: all are painted over.
    let mut rgba = vec![7u8; 64];
    paint(
        &view,
        |t| (t == tile).then_some(TileSamples::U8(&values)),
        &palette,
        &mut rgba,
    );
    put_rgba(&canvas, &view, &mut rgba).unwrap();
    let ctx = context_2d(&canvas).unwrap();
    let image = ctx
        .get_image_data(0.0, 0.0, f64::from(width), f64::from(height))
        .unwrap();
    let data = image.data().0;
    // Screen (0, 0) has its centre half a pixel inside the top-left corner.
    let first_row = ((35.0 - 34.5) * 1200.0) as usize - height as usize / 2;
    let first_col = ((-118.5 + 119.0) * 1200.0) as usize - width as usize / 2;
    let mut transparent = 0;
    for y in 0..height as usize {
        for x in 0..width as usize {
            let dn = values[(first_row + y) * 1200 + first_col + x];
            let want = palette.rgba(u16::from(dn));
            let got = &data[(y * width as usize + x) * 4..][..4];
            assert_eq!(got, want, "pixel ({x}, {y}), DN {dn}");
            transparent += usize::from(dn == 0);
        }
    }
    assert!(transparent > 0, "the pattern includes no-data pixels");
}

#[wasm_bindgen_test]
fn graticule_labels_read_like_a_map() {
    assert_eq!(graticule_step(0.7), 1.0);
    assert_eq!(degrees_label(34.0, 1.0, 'N', 'S'), "34°N");
    assert_eq!(degrees_label(-118.5, 0.5, 'E', 'W'), "118.5°W");
    assert_eq!(degrees_label(0.0, 1.0, 'E', 'W'), "0°");
}

/// This test page has no worker script, so the decode pool's workers fail
/// to start and it decodes on the main thread: the same pixels as the
/// core's decoder, and a bad file is an error, not a hang.
#[wasm_bindgen_test]
async fn the_decode_pool_decodes_here_when_no_worker_starts() {
    use tessera_core::geotiff::decode_tile;
    use tessera_core::DType;
    let pool = WorkerPool::start();
    let file: &[u8] = include_bytes!("fixtures/tiff-variants/u16_lzw_predictor.tif");
    let expected = decode_tile(file, DType::U16).unwrap();
    let tile = pool
        .decode_tile(js_sys::Uint8Array::from(file).buffer(), DType::U16)
        .await
        .unwrap();
    assert_eq!(tile, expected);
    let bad = pool
        .decode_tile(
            js_sys::Uint8Array::from(&b"not a tiff"[..]).buffer(),
            DType::U8,
        )
        .await
        .unwrap_err();
    assert!(!bad.reason().is_empty());
    let stats = pool.stats();
    assert_eq!((stats.workers, stats.on_main_thread), (0, 2), "{stats:?}");
}

#[wasm_bindgen_test]
fn a_document_text_goes_out_in_whole_pieces_whatever_the_chunks() {
    use js_sys::{ArrayBuffer, Uint8Array};
    use tessera_app::worker::jobs::OutgoingText;
    let text: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    // Chunks from the browser and from the decompressor, of sizes around
    // the piece's (7 bytes), one ending just on a piece's end.
    for piece_len in [1u32, 7, 4096, 20_000] {
        let mut out = OutgoingText::with_piece_len(piece_len);
        let mut sent: Vec<Vec<u8>> = Vec::new();
        let mut send = |b: ArrayBuffer| sent.push(Uint8Array::new(&b).to_vec());
        let mut at = 0;
        for (k, len) in [3usize, 7, 4, 0, 1, 13, 9000, 6].iter().cycle().enumerate() {
            let end = (at + len).min(text.len());
            if k % 2 == 0 {
                out.append(&text[at..end], &mut send);
            } else {
                out.append_js(&Uint8Array::from(&text[at..end]), &mut send);
            }
            at = end;
            if at == text.len() {
                break;
            }
        }
        out.finish(&mut send);
        assert_eq!(sent.concat(), text, "pieces of {piece_len}");
        let (last, whole) = sent.split_last().unwrap();
        assert!(whole.iter().all(|p| p.len() == piece_len as usize));
        assert!(!last.is_empty() && last.len() <= piece_len as usize);
    }
}

/// The LZW decoder's bit reader has a wasm-only path (a SIMD byte shuffle
/// for big-endian loads). A tile whose fast path fails still decodes,
/// through the `tiff` crate, so only a test here shows the path works:
/// noisy strips of the data set's size, one after another through the
/// thread's tables (a static in wasm32).
#[wasm_bindgen_test]
fn the_lzw_decoder_reads_what_the_encoder_wrote_in_wasm() {
    use tessera_core::lzw::{decode_strip, LzwEncoder};
    let mut encoder = LzwEncoder::default();
    let mut seed = 0x2545_f491_u32;
    for strip in 0..4u32 {
        let data: Vec<u8> = (0..7200u32)
            .flat_map(|i| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (((i % 1200) + (seed >> 22) * (strip + 1)) as u16).to_le_bytes()
            })
            .collect();
        let mut encoded = Vec::new();
        encoder.encode(&data, &mut encoded);
        let mut decoded = Vec::new();
        decode_strip(&encoded, data.len(), &mut |bytes| {
            decoded.extend_from_slice(bytes)
        })
        .unwrap();
        assert_eq!(decoded, data, "strip {strip}");
    }
}
