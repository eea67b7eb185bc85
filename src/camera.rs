//! The camera (centre and zoom, as in the URL) and the viewport it gives
//! on a canvas; moving it by drag, wheel, pinch, buttons and keys.

use tessera_core::view_state::{Camera, SEED_BOUNDS};
use tessera_core::viewport::Viewport;

use crate::model::CanvasSize;

/// The limits the URL accepts (see `view_state`), so that every camera
/// the app makes survives a reload.
const MIN_ZOOM: f64 = -4.0;
const MAX_ZOOM: f64 = 16.0;

/// The viewport in device pixels: degrees per CSS pixel is 2^-zoom.
pub fn viewport(camera: Camera, size: CanvasSize) -> Option<Viewport> {
    let (width, height) = size.device();
    let degrees_per_pixel = (-camera.zoom).exp2() / size.pixel_ratio;
    Viewport::new(camera.lat, camera.lon, degrees_per_pixel, width, height).ok()
}

/// The seed's selection (36–32.5 N, 121–115 W) fitted to the canvas.
pub fn fit_seed(size: CanvasSize) -> Camera {
    let width = size.css_width.max(1.0) as u32;
    let height = size.css_height.max(1.0) as u32;
    match Viewport::fit(SEED_BOUNDS, width, height) {
        Ok(view) => {
            let (lat, lon) = view.centre();
            clamp(Camera {
                lat,
                lon,
                zoom: -view.degrees_per_pixel().log2(),
            })
        }
        Err(_) => Camera {
            lat: 34.25,
            lon: -118.0,
            zoom: 7.0,
        },
    }
}

fn clamp(camera: Camera) -> Camera {
    Camera {
        lat: camera.lat.clamp(-90.0, 90.0),
        lon: camera.lon.clamp(-180.0, 180.0),
        zoom: camera.zoom.clamp(MIN_ZOOM, MAX_ZOOM),
    }
}

/// The camera after a drag of (dx, dy) CSS pixels.
pub fn panned(camera: Camera, size: CanvasSize, dx: f64, dy: f64) -> Camera {
    let Some(view) = viewport(camera, size) else {
        return camera;
    };
    let (lat, lon) = view
        .panned(dx * size.pixel_ratio, dy * size.pixel_ratio)
        .centre();
    clamp(Camera { lat, lon, ..camera })
}

/// The camera zoomed in by `factor` (< 1 zooms out), keeping the point
/// under (x, y) CSS pixels where it is.
pub fn zoomed_at(camera: Camera, size: CanvasSize, factor: f64, x: f64, y: f64) -> Camera {
    let zoom = (camera.zoom + factor.log2()).clamp(MIN_ZOOM, MAX_ZOOM);
    let factor = (zoom - camera.zoom).exp2();
    let Some(view) = viewport(camera, size) else {
        return camera;
    };
    let (lat, lon) = view
        .zoomed_at(factor, x * size.pixel_ratio, y * size.pixel_ratio)
        .centre();
    clamp(Camera { lat, lon, zoom })
}
