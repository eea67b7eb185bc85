//! The map's camera (centre and zoom, as in the URL) on a canvas of some
//! size: the [`Viewport`] it gives, and how drags, wheels, pinches, buttons
//! and keys move it. The centre of the camera is the centre of the canvas
//! at every size, so a link opens on the point it names whatever the
//! window.

use crate::view_state::{Camera, MAX_ZOOM, MIN_ZOOM, SEED_BOUNDS};
use crate::viewport::Viewport;

/// A canvas's size in CSS pixels and the device pixel ratio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CanvasSize {
    pub css_width: f64,
    pub css_height: f64,
    pub pixel_ratio: f64,
}

impl CanvasSize {
    /// The backing store's size in device pixels (at least 1×1).
    pub fn device(&self) -> (u32, u32) {
        let w = (self.css_width * self.pixel_ratio).round().max(1.0);
        let h = (self.css_height * self.pixel_ratio).round().max(1.0);
        (w as u32, h as u32)
    }

    /// The canvas's centre in CSS pixels.
    pub fn centre(&self) -> (f64, f64) {
        (self.css_width / 2.0, self.css_height / 2.0)
    }

    /// A CSS position in device pixels. (The backing store is rounded to
    /// whole device pixels: positions may be off by a fraction of one,
    /// so that a CSS pixel always spans 2^-zoom degrees, as the URL says.)
    pub fn to_device(&self, x: f64, y: f64) -> (f64, f64) {
        (x * self.pixel_ratio, y * self.pixel_ratio)
    }
}

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

/// The camera within the limits the URL accepts (see `view_state`), so
/// that every camera the app makes survives a reload.
pub fn clamp(camera: Camera) -> Camera {
    Camera {
        lat: camera.lat.clamp(-90.0, 90.0),
        lon: camera.lon.clamp(-180.0, 180.0),
        zoom: camera.zoom.clamp(MIN_ZOOM, MAX_ZOOM),
    }
}

/// The camera after a drag of (dx, dy) CSS pixels: the content follows
/// the pointer.
pub fn panned(camera: Camera, size: CanvasSize, dx: f64, dy: f64) -> Camera {
    let Some(view) = viewport(camera, size) else {
        return camera;
    };
    let (dx, dy) = size.to_device(dx, dy);
    let (lat, lon) = view.panned(dx, dy).centre();
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
    let (x, y) = size.to_device(x, y);
    let (lat, lon) = view.zoomed_at(factor, x, y).centre();
    clamp(Camera { lat, lon, zoom })
}

/// Latitude and longitude under (x, y) CSS pixels of the canvas.
pub fn lat_lon_at(camera: Camera, size: CanvasSize, x: f64, y: f64) -> Option<(f64, f64)> {
    let view = viewport(camera, size)?;
    let (x, y) = size.to_device(x, y);
    Some(view.screen_to_lat_lon(x, y))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn size(w: f64, h: f64, ratio: f64) -> CanvasSize {
        CanvasSize {
            css_width: w,
            css_height: h,
            pixel_ratio: ratio,
        }
    }

    #[test]
    fn the_seed_fits_the_canvas() {
        let camera = fit_seed(size(1200.0, 700.0, 1.0));
        assert!((camera.lat - 34.25).abs() < 1e-12 && (camera.lon + 118.0).abs() < 1e-12);
        assert!((camera.zoom - (-(0.005f64).log2())).abs() < 1e-12);
    }

    #[test]
    fn the_camera_centre_is_the_canvas_centre_at_every_size() {
        let camera = Camera {
            lat: 35.91625,
            lon: -120.91625,
            zoom: 12.0,
        };
        for (w, h, ratio) in [
            (1280.0 - 320.0, 800.0 - 52.0, 1.0),
            (680.0, 647.0, 1.0),
            (1280.0, 751.0, 2.0),
            (333.0, 201.0, 1.5),
        ] {
            let s = size(w, h, ratio);
            let (cx, cy) = s.centre();
            let (lat, lon) = lat_lon_at(camera, s, cx, cy).unwrap();
            // Within the rounding of the backing store to device pixels.
            let device_pixel = (-camera.zoom).exp2() / ratio;
            assert!(
                (lat - camera.lat).abs() <= device_pixel / 4.0 + 1e-12,
                "{w}x{h}@{ratio}: {lat}"
            );
            assert!(
                (lon - camera.lon).abs() <= device_pixel / 4.0 + 1e-12,
                "{w}x{h}@{ratio}: {lon}"
            );
        }
    }

    proptest! {
        #[test]
        fn zoom_keeps_the_point_under_the_pointer(
            lat in -40.0f64..40.0, lon in -100.0f64..100.0, zoom in 5.0f64..14.0,
            factor in 0.5f64..3.0, x in 0.0f64..800.0, y in 0.0f64..600.0,
        ) {
            let s = size(800.0, 600.0, 1.0);
            let camera = Camera { lat, lon, zoom };
            let before = lat_lon_at(camera, s, x, y).unwrap();
            let after = lat_lon_at(zoomed_at(camera, s, factor, x, y), s, x, y).unwrap();
            prop_assert!((before.0 - after.0).abs() < 1e-6 && (before.1 - after.1).abs() < 1e-6);
        }

        #[test]
        fn a_drag_moves_the_content_with_the_pointer(
            lat in -60.0f64..60.0, lon in -150.0f64..150.0, zoom in 4.0f64..14.0,
            dx in -300.0f64..300.0, dy in -300.0f64..300.0,
        ) {
            let s = size(800.0, 600.0, 2.0);
            let camera = Camera { lat, lon, zoom };
            let before = lat_lon_at(camera, s, 100.0, 100.0).unwrap();
            let after = lat_lon_at(panned(camera, s, dx, dy), s, 100.0 + dx, 100.0 + dy).unwrap();
            prop_assert!((before.0 - after.0).abs() < 1e-6 && (before.1 - after.1).abs() < 1e-6);
        }
    }

    #[test]
    fn moves_stay_within_what_the_url_accepts() {
        let s = size(800.0, 600.0, 1.0);
        let camera = Camera {
            lat: 89.0,
            lon: 179.0,
            zoom: MAX_ZOOM,
        };
        let moved = zoomed_at(panned(camera, s, -1e9, 1e9), s, 1e6, 0.0, 0.0);
        assert_eq!(moved, clamp(moved));
        assert!(moved.zoom <= MAX_ZOOM && moved.lat <= 90.0 && moved.lon <= 180.0);
    }
}
