//! Drawing a view: from the selection and the canvas size to chunk keys,
//! requests, the stitched mosaic and the overlay, once per animation frame
//! however many changes arrive.

use std::cell::{Cell, RefCell};
use std::ops::Range;
use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use tessera_core::colormap::{Colormap, Palette};
use tessera_core::reader::{ChunkRef, References};
use tessera_core::view_state::Camera;
use tessera_core::{physical, ChunkKey, DType, Layer, Tile, Variable};
use web_sys::HtmlCanvasElement;

use crate::camera::viewport;
use crate::coastline::Coastlines;
use crate::fetch::resolve_url;
use crate::map_canvas::{
    clear, draw_coverage, draw_mosaic, draw_overlay, fit_backing_store, TileMarks,
};
use crate::model::{AppState, Available, CanvasSize, Readout, ViewMode, ViewReport};
use crate::tile_loader::{set_wanted, SharedLoader, TileLoader, TileSource};

/// Decoded tiles kept in memory (a COH tile is 1.4 MB, AMP 2.9 MB).
pub const CACHE_BYTES: usize = 384 << 20;
/// Requests in flight at once (browsers allow 6 per HTTP/1.1 host).
pub const MAX_IN_FLIGHT: usize = 6;
/// At least this long between two draws for tiles arriving while a view
/// loads (the tile that completes it is drawn at once). A draw stitches
/// and paints the whole canvas: drawing for every tile took main-thread
/// time from the loading it showed (measured in bench-web.sh's (c)).
const PROGRESS_DRAW_MS: f64 = 100.0;

thread_local! {
    /// The loader of the page's one map, for the status panel's retry.
    static LOADER: RefCell<Option<SharedLoader>> = const { RefCell::new(None) };
}

/// The map's tile loader, once the map exists.
pub fn loader() -> Option<SharedLoader> {
    LOADER.with(|l| l.borrow().clone())
}

type PaletteKey = (Variable, Colormap, (u64, u64));

fn palette_key(variable: Variable, colormap: Colormap, range: (f64, f64)) -> PaletteKey {
    (variable, colormap, (range.0.to_bits(), range.1.to_bits()))
}

/// Everything the two canvases show of a view: a draw whose picture is
/// the last one's paints nothing. (A parquet store's record files for the
/// layer choices arrive after the first view, tens of them, and each
/// redrew the unchanged view: 53 frames and 291 ms of the page's thread in
/// a traced load.)
#[derive(Debug, PartialEq)]
struct Picture {
    size: CanvasSize,
    camera: Camera,
    layer: Option<Layer>,
    palette: PaletteKey,
    /// The tile loader's changes so far (tiles arrived, failed, evicted).
    tiles: u64,
    marks: TileMarks,
    coastlines: bool,
}

/// What the layer choices were worked out for: the references (by
/// address), the parquet record files known (parquet references grow in
/// place), the variable and the tile rows and columns in view.
type AvailableKey = (usize, usize, Variable, Option<(Range<u16>, Range<u16>)>);

pub struct Renderer {
    state: AppState,
    map: HtmlCanvasElement,
    overlay: HtmlCanvasElement,
    pub loader: SharedLoader,
    palette: RefCell<Option<(PaletteKey, Rc<Palette>)>>,
    coastlines: RefCell<Option<Coastlines>>,
    /// The layer values with files in view, until the tiles in view change.
    available: RefCell<Option<(AvailableKey, Available)>>,
    frame_pending: Cell<bool>,
    /// When the last draw was (`performance.now()`), and whether a draw for
    /// arrived tiles waits for [`PROGRESS_DRAW_MS`] to pass.
    last_draw: Cell<f64>,
    progress_pending: Cell<bool>,
    /// The mosaic's RGBA pixels, kept between draws.
    rgba: RefCell<Vec<u8>>,
    /// The last report for the panels (see [`Renderer::report`]).
    reported: RefCell<Option<ViewReport>>,
    /// What the canvases show, when it is a mosaic.
    painted: RefCell<Option<Picture>>,
}

impl Renderer {
    pub fn new(
        state: AppState,
        map: HtmlCanvasElement,
        overlay: HtmlCanvasElement,
    ) -> Rc<Renderer> {
        let tiles_changed = state.tiles_changed;
        let on_change = Rc::new(move || tiles_changed.update(|n| *n += 1));
        let loader = TileLoader::new(CACHE_BYTES, MAX_IN_FLIGHT, on_change);
        LOADER.with(|l| *l.borrow_mut() = Some(loader.clone()));
        Rc::new(Renderer {
            state,
            map,
            overlay,
            loader,
            palette: RefCell::new(None),
            coastlines: RefCell::new(None),
            available: RefCell::new(None),
            frame_pending: Cell::new(false),
            last_draw: Cell::new(f64::NEG_INFINITY),
            progress_pending: Cell::new(false),
            rgba: RefCell::new(Vec::new()),
            reported: RefCell::new(None),
            painted: RefCell::new(None),
        })
    }

    /// The layer values with files in view: worked out again only when the
    /// tiles in view (or the variable, or the references) change, not for
    /// every frame of a pan.
    fn available_in_view(
        &self,
        refs: &Arc<References>,
        variable: Variable,
        ranges: &Option<(Range<u16>, Range<u16>)>,
    ) -> Available {
        let key = (
            Arc::as_ptr(refs) as usize,
            crate::record_loader::records_known(),
            variable,
            ranges.clone(),
        );
        let mut cached = self.available.borrow_mut();
        match &*cached {
            Some((k, available)) if *k == key => available.clone(),
            _ => {
                let available = available_in(refs, variable, ranges.clone());
                *cached = Some((key, available.clone()));
                available
            }
        }
    }

    pub fn set_coastlines(self: &Rc<Self>, coastlines: Coastlines) {
        *self.coastlines.borrow_mut() = Some(coastlines);
        self.schedule();
    }

    /// Draws at the next animation frame (once, however often called).
    pub fn schedule(self: &Rc<Self>) {
        if self.frame_pending.replace(true) {
            return;
        }
        let this = self.clone();
        request_animation_frame(move || {
            this.frame_pending.set(false);
            this.draw();
        });
    }

    /// Draws for tiles that arrived (or failed): at the next animation
    /// frame when they complete the view, else no sooner than
    /// [`PROGRESS_DRAW_MS`] after the last draw.
    pub fn schedule_progress(self: &Rc<Self>) {
        let wait = PROGRESS_DRAW_MS - (crate::perf::now() - self.last_draw.get());
        if wait <= 0.0 || self.loader.borrow().progress().done() {
            self.schedule();
            return;
        }
        if self.progress_pending.replace(true) {
            return;
        }
        let this = self.clone();
        set_timeout(
            move || {
                this.progress_pending.set(false);
                this.schedule();
            },
            std::time::Duration::from_millis(wait.ceil() as u64),
        );
    }

    fn palette(&self, variable: Variable, colormap: Colormap, range: (f64, f64)) -> Rc<Palette> {
        let key = palette_key(variable, colormap, range);
        let mut cached = self.palette.borrow_mut();
        match cached.as_ref() {
            Some((k, palette)) if *k == key => palette.clone(),
            _ => {
                let palette = Rc::new(Palette::new(variable, colormap, range));
                *cached = Some((key, palette.clone()));
                palette
            }
        }
    }

    fn report(&self, report: ViewReport) {
        let current = self.state.report;
        // Compared with the last report sent, not the panels' (which may
        // not have it yet).
        if self.reported.borrow().as_ref() != Some(&report) {
            *self.reported.borrow_mut() = Some(report.clone());
            let s = report.stats;
            crate::perf::record(
                crate::perf::SESSION,
                &[
                    ("cacheBytes", s.cache_bytes as f64),
                    ("cacheBudget", s.cache_budget as f64),
                    ("cachedTiles", s.cached_tiles as f64),
                    ("requests", s.requests as f64),
                    ("cancelled", s.cancelled as f64),
                    ("decoded", s.decoding.decoded as f64),
                    ("workerMs", s.decoding.worker_ms),
                    ("wasmBytes", crate::perf::wasm_memory_bytes()),
                    ("loaded", report.progress.loaded as f64),
                    ("failed", report.progress.failed as f64),
                    ("total", report.progress.total as f64),
                ],
            );
            // The panels follow in a task of their own: updating them
            // (new rows, options, lazily compiled code the first time)
            // after the draw in the same frame made tasks over 50 ms.
            set_timeout(move || current.set(report), std::time::Duration::ZERO);
        }
    }

    fn draw(self: &Rc<Self>) {
        self.last_draw.set(crate::perf::now());
        let state = self.state;
        let Some(size) = state.size.get_untracked() else {
            return;
        };
        let (width, height) = size.device();
        fit_backing_store(&self.map, width, height);
        fit_backing_store(&self.overlay, width, height);
        let selection = state.selection.get_untracked();
        // Set with the size when the map is measured (the seed's view when
        // the URL has none).
        let Some(camera) = selection.camera else {
            return;
        };
        let Some(view) = viewport(camera, size) else {
            return;
        };
        let coastlines = self.coastlines.borrow();
        let Some(refs) = state.refs.get_untracked() else {
            *self.painted.borrow_mut() = None;
            clear(&self.map);
            let marks = TileMarks::default();
            draw_overlay(
                &self.overlay,
                &view,
                coastlines.as_ref(),
                &marks,
                size.pixel_ratio,
            );
            let mode = if matches!(
                state.load.get_untracked(),
                Some(crate::model::RefsLoad::Failed { .. })
            ) {
                ViewMode::Error
            } else {
                ViewMode::Loading
            };
            self.report(ViewReport {
                mode,
                ..ViewReport::default()
            });
            return;
        };

        let variable = selection.variable;
        let ranges = view.tile_ranges();
        let available = self.available_in_view(&refs, variable, &ranges);
        let layer = match selection.layer() {
            Some(layer) => Some(layer),
            None => {
                // inc/lsmap without an orbit: the first one with files here
                // (known to have them: parquet references may not be read
                // that far yet).
                let known = ranges
                    .clone()
                    .map(|(rows, columns)| refs.layers_in(variable, rows, columns))
                    .unwrap_or_default();
                let first = known.iter().find_map(|layer| match layer {
                    Layer::Orbital(orbit, direction) => Some((*orbit, *direction)),
                    _ => None,
                });
                if let Some((orbit, direction)) = first {
                    state.selection.update(|s| {
                        s.orbit = Some(orbit);
                        s.direction = direction;
                    });
                    return;
                }
                None
            }
        };
        let keys = layer
            .map(|layer| view.chunk_keys(variable, layer, |k| refs.chunk(k).is_some()))
            .unwrap_or_default();
        let stats = self.loader.borrow().stats();
        // Parquet references: the record files this view needs.
        let records_complete =
            crate::record_loader::request_for_layer(state, variable, layer, ranges.clone())
                .unwrap_or(true);

        if keys.len() > selection.budget as usize {
            *self.painted.borrow_mut() = None;
            set_wanted(&self.loader, Vec::new());
            let tiles: Vec<Tile> = keys.iter().map(|k| k.tile).collect();
            draw_coverage(&self.map, &view, &tiles);
            let marks = TileMarks::default();
            draw_overlay(
                &self.overlay,
                &view,
                coastlines.as_ref(),
                &marks,
                size.pixel_ratio,
            );
            self.report(ViewReport {
                mode: ViewMode::Budget,
                needed: keys.len(),
                stats,
                available,
                ..ViewReport::default()
            });
            return;
        }

        let refs_url = state.refs_url.get_untracked();
        let dtype = refs
            .array_metadata(variable.name())
            .and_then(|m| DType::from_zarr(&m.dtype))
            .unwrap_or(variable.dtype());
        let sources: Vec<TileSource> = keys
            .iter()
            .filter_map(|&key| tile_source(&refs, &refs_url, key, dtype))
            .collect();
        set_wanted(&self.loader, sources);

        let colormap = selection
            .colormap
            .unwrap_or(tessera_core::colormap::default_for(variable));
        let range = selection.range.unwrap_or(physical::default_range(variable));
        let palette = self.palette(variable, colormap, range);
        let key_of = |tile: Tile| layer.and_then(|l| ChunkKey::new(variable, l, tile).ok());
        let loader = self.loader.borrow();
        let mut marks = TileMarks::default();
        for key in &keys {
            if loader.failure(key).is_some() {
                marks.failed.push(key.tile);
            } else if loader.tile(key).is_none() {
                marks.loading.push(key.tile);
            }
        }
        let picture = Picture {
            size,
            camera,
            layer,
            palette: palette_key(variable, colormap, range),
            tiles: state.tiles_changed.get_untracked(),
            marks,
            coastlines: coastlines.is_some(),
        };
        if self.painted.borrow().as_ref() != Some(&picture) {
            let tile_samples = |tile: Tile| {
                key_of(tile)
                    .and_then(|key| loader.tile(&key))
                    .map(|t| t.samples())
            };
            let drawn = draw_mosaic(
                &self.map,
                &view,
                tile_samples,
                &palette,
                &mut self.rgba.borrow_mut(),
            );
            draw_overlay(
                &self.overlay,
                &view,
                coastlines.as_ref(),
                &picture.marks,
                size.pixel_ratio,
            );
            match drawn {
                Ok(()) => *self.painted.borrow_mut() = Some(picture),
                Err(e) => leptos::logging::warn!("drawing the mosaic failed: {e:?}"),
            }
        }
        let progress = loader.progress();
        let done = progress.done() && records_complete;
        if done {
            // The other layers' record files, for the layer choices.
            crate::record_loader::request_for_other_layers(state, variable, ranges);
        }
        if progress.total > 0 && done {
            if let Some((files, bytes)) = crate::record_loader::transferred() {
                crate::perf::record_once(
                    crate::perf::FIRST_VIEW_REFERENCES,
                    &[("files", f64::from(files)), ("bytes", bytes as f64)],
                );
            }
            crate::perf::mark(crate::perf::FIRST_VIEW_COMPLETE);
        }
        self.report(ViewReport {
            mode: if done {
                ViewMode::Ready
            } else {
                ViewMode::Loading
            },
            progress,
            needed: keys.len(),
            failures: loader.view_failures(),
            stats: loader.stats(),
            available,
        });
    }

    /// The value under CSS position (x, y) of the canvas.
    pub fn readout(&self, x: f64, y: f64) -> Option<Readout> {
        let state = self.state;
        let size = state.size.get_untracked()?;
        let selection = state.selection.get_untracked();
        let view = viewport(selection.camera?, size)?;
        let (lat, lon) = view.screen_to_lat_lon(x * size.pixel_ratio, y * size.pixel_ratio);
        let pixel = tessera_core::coordinates::GlobalPixel::containing(lat, lon)
            .and_then(|p| p.tile_pixel());
        let variable = selection.variable;
        let (tile, dn) = match (pixel, selection.layer()) {
            (Some((tile, row, col)), Some(layer)) => {
                let dn = ChunkKey::new(variable, layer, tile).ok().and_then(|key| {
                    let loader = self.loader.borrow();
                    loader.tile(&key).map(|t| t.get(row, col))
                });
                (Some(tile.to_string()), dn)
            }
            (Some((tile, _, _)), None) => (Some(tile.to_string()), None),
            _ => (None, None),
        };
        let value = match dn {
            Some(dn) if dn != tessera_core::dataset::FILL_VALUE => {
                physical::format_value(variable, dn)
            }
            Some(_) => "no data".to_string(),
            None => "—".to_string(),
        };
        Some(Readout {
            lat,
            lon,
            tile,
            dn,
            value,
        })
    }
}

/// Where a chunk's bytes are, for the loader.
fn tile_source(
    refs: &References,
    refs_url: &str,
    key: ChunkKey,
    dtype: DType,
) -> Option<TileSource> {
    match refs.chunk(key)? {
        ChunkRef::Inline(bytes) => Some(TileSource {
            key,
            url: String::new(),
            range: None,
            inline: Some(Rc::new(bytes.to_vec())),
            dtype,
        }),
        ChunkRef::Remote(remote) => {
            let url = remote.url();
            // A URL that cannot be resolved is kept as written: its request
            // then fails and is listed with the reason.
            let url = resolve_url(&url, refs_url).unwrap_or(url);
            Some(TileSource {
                key,
                url,
                range: remote.range.map(|r| (r.offset, r.length)),
                inline: None,
                dtype,
            })
        }
    }
}

/// The layer values of `variable` with files in the tiles `ranges` (tile
/// rows and columns).
fn available_in(
    refs: &References,
    variable: Variable,
    ranges: Option<(Range<u16>, Range<u16>)>,
) -> Available {
    let mut available = Available::default();
    let Some((rows, columns)) = ranges else {
        return available;
    };
    let layers = crate::record_loader::layers_in(variable, rows.clone(), columns.clone())
        .unwrap_or_else(|| refs.layers_in(variable, rows, columns));
    for layer in layers {
        match layer {
            Layer::Coherence(s, p, i) => {
                push_new(&mut available.seasons, s);
                push_new(&mut available.polarizations, p);
                push_new(&mut available.intervals, i);
            }
            Layer::Seasonal(s, p) => {
                push_new(&mut available.seasons, s);
                push_new(&mut available.polarizations, p);
            }
            Layer::Orbital(o, d) => push_new(&mut available.orbits, (o, d)),
        }
    }
    available.seasons.sort();
    available.polarizations.sort();
    available.intervals.sort();
    available.orbits.sort();
    available
}

fn push_new<T: PartialEq>(values: &mut Vec<T>, value: T) {
    if !values.contains(&value) {
        values.push(value);
    }
}
