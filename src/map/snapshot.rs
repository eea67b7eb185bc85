//! The view as a picture: the map's two canvases as they are seen (the
//! mosaic, then the graticule and coastlines over it, on the map's
//! background), and beneath them a band with the legend, the scale, the
//! layer and the data set's attribution; saved as a PNG. The map's pixels
//! are copied, never drawn again, so they are the canvas's.

use leptos::prelude::*;
use tessera_core::camera::viewport;
use tessera_core::derived::layer_name;
use tessera_core::legend::{Legend, LegendKey};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use crate::map::canvas::{context_2d, scale_bar};
use crate::state::AppState;

/// The map's background (`#map-wrap` in the style sheet).
const BACKGROUND: &str = "#0b0c0e";
const BAND: &str = "#16181c";
const TEXT: &str = "#e8eaed";
/// Who made the data, as the data set asks to be cited.
pub const ATTRIBUTION: &str = "Sentinel-1 Global Seasonal Coherence and Backscatter · Earth Big Data · Kellndorfer et al., Sci. Data 2022 · Tessera";

fn canvas_by_id(id: &str) -> Option<HtmlCanvasElement> {
    web_sys::window()?
        .document()?
        .get_element_by_id(id)?
        .dyn_into()
        .ok()
}

/// Draws the view and its legend band on a new canvas; returns it and a
/// file name.
pub fn compose(state: AppState) -> Result<(HtmlCanvasElement, String), String> {
    let problem = |what: &str| format!("the picture could not be made ({what})");
    let map = canvas_by_id("map").ok_or_else(|| problem("no map"))?;
    let overlay = canvas_by_id("overlay");
    let size = state
        .canvas
        .get_untracked()
        .ok_or_else(|| problem("no canvas"))?;
    let r: f64 = size.pixel_ratio.max(1.0);
    let (w, h) = (f64::from(map.width()), f64::from(map.height()));
    let selection = state.selection.get_untracked();
    let legend = Legend::of(&selection);
    let rows = match &legend.key {
        LegendKey::Channels(c) => c.len() as f64,
        _ => 1.0,
    };
    let band = (44.0 + 16.0 * rows) * r;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| problem("no document"))?;
    let out: HtmlCanvasElement = document
        .create_element("canvas")
        .ok()
        .and_then(|c| c.dyn_into().ok())
        .ok_or_else(|| problem("no canvas element"))?;
    out.set_width(w as u32);
    out.set_height((h + band).ceil() as u32);
    let ctx = context_2d(&out).ok_or_else(|| problem("no 2D context"))?;
    ctx.set_fill_style_str(BACKGROUND);
    ctx.fill_rect(0.0, 0.0, w, h);
    ctx.draw_image_with_html_canvas_element(&map, 0.0, 0.0)
        .map_err(|_| problem("map"))?;
    if let Some(overlay) = overlay {
        ctx.draw_image_with_html_canvas_element(&overlay, 0.0, 0.0)
            .map_err(|_| problem("overlay"))?;
    }
    ctx.set_fill_style_str(BAND);
    ctx.fill_rect(0.0, h, w, band);
    ctx.set_fill_style_str(TEXT);
    ctx.set_font(&format!("{}px sans-serif", (12.0 * r).round()));
    ctx.set_text_baseline("alphabetic");
    let x0 = 12.0 * r;
    let _ = ctx.fill_text(&legend.title, x0, h + 18.0 * r);
    draw_key(&ctx, &legend.key, x0, h + 26.0 * r, r);

    // Right: the layer, the scale, the attribution.
    ctx.set_text_align("right");
    let right = w - 12.0 * r;
    let layer = selection
        .shown_layer()
        .map(|l| format!("{} {}", selection.shown_variable().name(), layer_name(l)))
        .unwrap_or_else(|| selection.shown_variable().name().to_string());
    let _ = ctx.fill_text(&layer, right, h + 18.0 * r);
    if let Some(view) = selection.camera.and_then(|c| viewport(c, size)) {
        let (degrees, css_length) = scale_bar(&view, size.pixel_ratio);
        let length = css_length * r;
        let y = h + 28.0 * r;
        ctx.fill_rect(right - length, y, length, 3.0 * r);
        let _ = ctx.fill_text(
            &format!("{degrees}°"),
            right - length - 6.0 * r,
            y + 5.0 * r,
        );
    }
    ctx.set_font(&format!("{}px sans-serif", (10.0 * r).round()));
    let _ = ctx.fill_text(ATTRIBUTION, right, h + band - 6.0 * r);
    ctx.set_text_align("left");
    let name = format!(
        "tessera_{}.png",
        selection
            .shown_layer()
            .map(|l| format!("{}_{}", selection.shown_variable().name(), layer_name(l)))
            .unwrap_or_else(|| "view".into())
    );
    Ok((out, name))
}

/// The legend's key at (x, y): a colour bar 256 CSS pixels wide with its
/// ticks, swatches in a row, or one row per channel.
fn draw_key(ctx: &CanvasRenderingContext2d, key: &LegendKey, x: f64, y: f64, r: f64) {
    match key {
        LegendKey::Bar { colormap, ticks } => {
            let width = (256.0 * r).round();
            for i in 0..width as u32 {
                let t = f64::from(i) / (width - 1.0).max(1.0);
                let [cr, cg, cb] = colormap.rgb(t);
                ctx.set_fill_style_str(&format!("rgb({cr}, {cg}, {cb})"));
                ctx.fill_rect(x + f64::from(i), y, 1.0, 10.0 * r);
            }
            ctx.set_fill_style_str(TEXT);
            let ty = y + 24.0 * r;
            let _ = ctx.fill_text(&ticks[0], x, ty);
            ctx.set_text_align("center");
            let _ = ctx.fill_text(&ticks[1], x + width / 2.0, ty);
            ctx.set_text_align("right");
            let _ = ctx.fill_text(&ticks[2], x + width, ty);
            ctx.set_text_align("left");
        }
        LegendKey::Categories(rows) => {
            let mut at = x;
            for ([cr, cg, cb], text) in rows {
                ctx.set_fill_style_str(&format!("rgb({cr}, {cg}, {cb})"));
                ctx.fill_rect(at, y + 4.0 * r, 10.0 * r, 10.0 * r);
                ctx.set_fill_style_str(TEXT);
                let _ = ctx.fill_text(text, at + 14.0 * r, y + 14.0 * r);
                let advance = ctx.measure_text(text).map_or(120.0 * r, |m| m.width());
                at += advance + 30.0 * r;
            }
        }
        LegendKey::Channels(rows) => {
            for (i, ([cr, cg, cb], text)) in rows.iter().enumerate() {
                let row_y = y + 16.0 * r * i as f64;
                ctx.set_fill_style_str(&format!("rgb({cr}, {cg}, {cb})"));
                ctx.fill_rect(x, row_y + 3.0 * r, 10.0 * r, 10.0 * r);
                ctx.set_fill_style_str(TEXT);
                let _ = ctx.fill_text(text, x + 14.0 * r, row_y + 13.0 * r);
            }
        }
    }
}

/// Composes the picture and offers it as a PNG download; returns what
/// was saved.
pub async fn save_png(state: AppState) -> Result<String, String> {
    let (canvas, name) = compose(state)?;
    let (width, height) = (canvas.width(), canvas.height());
    let blob = canvas_png(&canvas).await?;
    let parts = js_sys::Array::of1(&blob);
    crate::download::download_parts(&name, &parts, "image/png")?;
    Ok(format!("Saved {name}: {width} × {height} pixels"))
}

/// `canvas.toBlob('image/png')`, awaited.
async fn canvas_png(canvas: &HtmlCanvasElement) -> Result<JsValue, String> {
    let canvas = canvas.clone();
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let callback = wasm_bindgen::closure::Closure::once_into_js(move |blob: JsValue| {
            let _ = resolve.call1(&JsValue::NULL, &blob);
        });
        if canvas
            .to_blob_with_type(callback.unchecked_ref(), "image/png")
            .is_err()
        {
            let _ = reject.call0(&JsValue::NULL);
        }
    });
    let blob = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|_| "the browser could not encode the PNG".to_string())?;
    if blob.is_null() {
        return Err("the browser could not encode the PNG".into());
    }
    Ok(blob)
}
