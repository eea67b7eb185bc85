//! Drawing on the two canvases: `#map` holds the mosaic only (so its
//! pixels are the data's colours), `#overlay` the graticule, coastlines,
//! tile marks and coverage outlines drawn over it.

use tessera_core::topojson::Coastlines;
use tessera_core::viewport::Viewport;
use tessera_core::Tile;
use wasm_bindgen::{Clamped, JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

pub fn context_2d(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok()??.dyn_into().ok()
}

/// Makes the canvas's backing store match its CSS size × device pixel
/// ratio, so one canvas pixel is one screen pixel.
pub fn fit_backing_store(canvas: &HtmlCanvasElement, width: u32, height: u32) {
    if canvas.width() != width {
        canvas.set_width(width);
    }
    if canvas.height() != height {
        canvas.set_height(height);
    }
}

/// The map's picture, RGBA at screen resolution (the mosaic of the loaded
/// files, or the overview), put on the canvas whole.
pub fn put_rgba(
    canvas: &HtmlCanvasElement,
    view: &Viewport,
    rgba: &mut [u8],
) -> Result<(), JsValue> {
    let Some(ctx) = context_2d(canvas) else {
        return Ok(());
    };
    let (width, height) = view.size();
    let image = ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), width, height)?;
    ctx.put_image_data(&image, 0.0, 0.0)
}

/// Too many files for the view: the tiles that have one, as translucent
/// squares, instead of the data.
pub fn draw_coverage(canvas: &HtmlCanvasElement, view: &Viewport, tiles: &[Tile]) {
    let Some(ctx) = context_2d(canvas) else {
        return;
    };
    let (width, height) = view.size();
    ctx.clear_rect(0.0, 0.0, f64::from(width), f64::from(height));
    ctx.set_fill_style_str("rgba(86, 180, 233, 0.45)");
    for tile in tiles {
        let (x, y, w, h) = tile_rect(view, *tile);
        ctx.fill_rect(x, y, w, h);
    }
}

pub fn clear(canvas: &HtmlCanvasElement) {
    if let Some(ctx) = context_2d(canvas) {
        ctx.clear_rect(
            0.0,
            0.0,
            f64::from(canvas.width()),
            f64::from(canvas.height()),
        );
    }
}

/// A tile's square on screen: x, y, width, height.
fn tile_rect(view: &Viewport, tile: Tile) -> (f64, f64, f64, f64) {
    let b = tile.bounds();
    let (x0, y0) = view.lat_lon_to_screen(b.north, b.west);
    let (x1, y1) = view.lat_lon_to_screen(b.south, b.east);
    (x0, y0, x1 - x0, y1 - y0)
}

/// What the overlay marks on the view: tiles loading or failed, and the
/// pinned pixel.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TileMarks {
    pub loading: Vec<Tile>,
    pub failed: Vec<Tile>,
    /// The pinned pixel's centre (latitude, longitude).
    pub pin: Option<(f64, f64)>,
}

/// Graticule with labels, coastlines, and marks on loading and failed
/// tiles. `pixel_ratio` scales line widths and fonts.
pub fn draw_overlay(
    canvas: &HtmlCanvasElement,
    view: &Viewport,
    coastlines: Option<&Coastlines>,
    marks: &TileMarks,
    pixel_ratio: f64,
) {
    draw_overlay_panels(canvas, view, &[], coastlines, marks, pixel_ratio);
}

/// Small multiples: each panel's overlay (clipped to it) and its season's
/// name, and the lines between the panels. `view` is the whole canvas's;
/// with no panels, its overlay is drawn ([`draw_overlay`]).
pub fn draw_overlay_panels(
    canvas: &HtmlCanvasElement,
    view: &Viewport,
    panels: &[(Viewport, (u32, u32), &str)],
    coastlines: Option<&Coastlines>,
    marks: &TileMarks,
    pixel_ratio: f64,
) {
    let Some(ctx) = context_2d(canvas) else {
        return;
    };
    let (width, height) = view.size();
    ctx.clear_rect(0.0, 0.0, f64::from(width), f64::from(height));
    if panels.is_empty() {
        draw_overlay_on(&ctx, view, coastlines, marks, pixel_ratio);
        return;
    }
    for (panel, (x, y), name) in panels {
        let (pw, ph) = panel.size();
        ctx.save();
        ctx.begin_path();
        ctx.rect(f64::from(*x), f64::from(*y), f64::from(pw), f64::from(ph));
        ctx.clip();
        let _ = ctx.translate(f64::from(*x), f64::from(*y));
        draw_overlay_on(&ctx, panel, coastlines, marks, pixel_ratio);
        ctx.set_font(&format!(
            "bold {}px system-ui, sans-serif",
            (13.0 * pixel_ratio).round()
        ));
        ctx.set_fill_style_str("rgba(255, 255, 255, 0.95)");
        ctx.set_stroke_style_str("rgba(0, 0, 0, 0.8)");
        ctx.set_line_width(3.0 * pixel_ratio);
        // At the top's middle, clear of the graticule's labels.
        ctx.set_text_align("center");
        let middle = f64::from(pw) / 2.0;
        let _ = ctx.stroke_text(name, middle, 18.0 * pixel_ratio);
        let _ = ctx.fill_text(name, middle, 18.0 * pixel_ratio);
        ctx.restore();
    }
    // The lines between the panels.
    ctx.set_stroke_style_str("rgba(255, 255, 255, 0.9)");
    ctx.set_line_width(2.0 * pixel_ratio);
    ctx.begin_path();
    for (panel, (x, y), _) in panels {
        let (pw, ph) = panel.size();
        ctx.rect(f64::from(*x), f64::from(*y), f64::from(pw), f64::from(ph));
    }
    ctx.stroke();
}

/// [`draw_overlay`]'s drawing, on a context already cleared (and perhaps
/// clipped and moved to a panel).
fn draw_overlay_on(
    ctx: &CanvasRenderingContext2d,
    view: &Viewport,
    coastlines: Option<&Coastlines>,
    marks: &TileMarks,
    pixel_ratio: f64,
) {
    let (width, height) = view.size();
    let (w, h) = (f64::from(width), f64::from(height));
    let bounds = view.bounds();

    if let Some(coastlines) = coastlines {
        // Light on the dark page and on every colormap.
        ctx.set_stroke_style_str("rgba(240, 240, 230, 0.8)");
        ctx.set_line_width(1.2 * pixel_ratio);
        ctx.begin_path();
        for line in coastlines.visible(&bounds) {
            let mut first = true;
            for &(lon, lat) in line {
                let (x, y) = view.lat_lon_to_screen(f64::from(lat), f64::from(lon));
                if first {
                    ctx.move_to(x, y);
                    first = false;
                } else {
                    ctx.line_to(x, y);
                }
            }
        }
        ctx.stroke();
    }

    // Graticule: lines about every 90 screen pixels, at round degrees.
    let step = graticule_step(view.degrees_per_pixel() * 90.0 * pixel_ratio);
    ctx.set_stroke_style_str("rgba(255, 255, 255, 0.35)");
    ctx.set_line_width(pixel_ratio);
    ctx.begin_path();
    // Only the Earth's meridians and parallels: a view wider than the
    // world (zoomed out past it) has no 270° N or 450° W.
    let mut lon = (bounds.west.max(-180.0) / step).ceil() * step;
    let mut lon_labels = Vec::new();
    while lon <= bounds.east.min(180.0) {
        let (x, _) = view.lat_lon_to_screen(0.0, lon);
        ctx.move_to(x.round() + 0.5, 0.0);
        ctx.line_to(x.round() + 0.5, h);
        lon_labels.push((x, lon));
        lon += step;
    }
    let mut lat = (bounds.south.max(-90.0) / step).ceil() * step;
    let mut lat_labels = Vec::new();
    while lat <= bounds.north.min(90.0) {
        let (_, y) = view.lat_lon_to_screen(lat, 0.0);
        ctx.move_to(0.0, y.round() + 0.5);
        ctx.line_to(w, y.round() + 0.5);
        lat_labels.push((y, lat));
        lat += step;
    }
    ctx.stroke();

    ctx.set_font(&format!(
        "{}px system-ui, sans-serif",
        (11.0 * pixel_ratio).round()
    ));
    ctx.set_fill_style_str("rgba(255, 255, 255, 0.9)");
    ctx.set_stroke_style_str("rgba(0, 0, 0, 0.7)");
    ctx.set_line_width(3.0 * pixel_ratio);
    for (x, lon) in lon_labels {
        let text = degrees_label(lon, step, 'E', 'W');
        let _ = ctx.stroke_text(&text, x + 3.0 * pixel_ratio, h - 6.0 * pixel_ratio);
        let _ = ctx.fill_text(&text, x + 3.0 * pixel_ratio, h - 6.0 * pixel_ratio);
    }
    for (y, lat) in lat_labels {
        let text = degrees_label(lat, step, 'N', 'S');
        let _ = ctx.stroke_text(&text, 4.0 * pixel_ratio, y - 3.0 * pixel_ratio);
        let _ = ctx.fill_text(&text, 4.0 * pixel_ratio, y - 3.0 * pixel_ratio);
    }

    // Loading tiles: a thin dashed outline; failed tiles: a red cross.
    ctx.set_line_width(pixel_ratio);
    ctx.set_stroke_style_str("rgba(255, 255, 255, 0.6)");
    let dash = js_sys::Array::of2(&(4.0 * pixel_ratio).into(), &(4.0 * pixel_ratio).into());
    let _ = ctx.set_line_dash(&dash);
    for tile in &marks.loading {
        let (x, y, tw, th) = tile_rect(view, *tile);
        ctx.stroke_rect(x + 0.5, y + 0.5, tw - 1.0, th - 1.0);
    }
    let _ = ctx.set_line_dash(&js_sys::Array::new());
    ctx.set_stroke_style_str("rgba(230, 30, 30, 0.9)");
    ctx.set_line_width(2.0 * pixel_ratio);
    for tile in &marks.failed {
        let (x, y, tw, th) = tile_rect(view, *tile);
        ctx.stroke_rect(x + 1.0, y + 1.0, tw - 2.0, th - 2.0);
        ctx.begin_path();
        ctx.move_to(x, y);
        ctx.line_to(x + tw, y + th);
        ctx.move_to(x + tw, y);
        ctx.line_to(x, y + th);
        ctx.stroke();
    }
    if let Some((lat, lon)) = marks.pin {
        draw_pin(ctx, view, lat, lon, pixel_ratio);
    }
}

/// The pinned pixel: its outline when a data pixel is large enough to
/// see, and a ring around it whatever the zoom.
fn draw_pin(ctx: &CanvasRenderingContext2d, view: &Viewport, lat: f64, lon: f64, pixel_ratio: f64) {
    let half = tessera_core::geotiff::PIXEL_DEGREES / 2.0;
    let (x0, y0) = view.lat_lon_to_screen(lat + half, lon - half);
    let (x1, y1) = view.lat_lon_to_screen(lat - half, lon + half);
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let ring = 9.0 * pixel_ratio;
    let _ = ctx.set_line_dash(&js_sys::Array::new());
    for (colour, width) in [("rgba(0, 0, 0, 0.8)", 4.0), ("rgba(255, 214, 10, 1)", 2.0)] {
        ctx.set_stroke_style_str(colour);
        ctx.set_line_width(width * pixel_ratio);
        ctx.begin_path();
        let _ = ctx.arc(cx, cy, ring, 0.0, std::f64::consts::TAU);
        ctx.stroke();
        if x1 - x0 >= 4.0 {
            ctx.stroke_rect(x0, y0, x1 - x0, y1 - y0);
        }
    }
}

/// A round number of degrees near `degrees`.
/// The scale bar of a view: a round number of degrees about 120 CSS
/// pixels long, and its length in CSS pixels (for the map's widget and
/// the PNG alike).
pub fn scale_bar(view: &Viewport, pixel_ratio: f64) -> (f64, f64) {
    let degrees_per_css_pixel = view.degrees_per_pixel() * pixel_ratio;
    let degrees = graticule_step(degrees_per_css_pixel * 120.0);
    (degrees, degrees / degrees_per_css_pixel)
}

pub fn graticule_step(degrees: f64) -> f64 {
    const STEPS: [f64; 14] = [
        0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 45.0, 90.0,
    ];
    STEPS.into_iter().find(|&s| s >= degrees).unwrap_or(90.0)
}

/// "34°N", "118.5°W", "0°".
pub fn degrees_label(value: f64, step: f64, positive: char, negative: char) -> String {
    let decimals = if step >= 1.0 {
        0
    } else if step >= 0.1 {
        1
    } else if step >= 0.01 {
        2
    } else {
        3
    };
    let magnitude = format!("{:.*}", decimals, value.abs());
    let zero = magnitude.trim_start_matches(['0', '.']).is_empty();
    if zero {
        format!("{magnitude}°")
    } else if value > 0.0 {
        format!("{magnitude}°{positive}")
    } else {
        format!("{magnitude}°{negative}")
    }
}
