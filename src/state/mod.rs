//! The app's state in one place, shared through Leptos context: the
//! user's selection (which is the page URL), the canvas it is shown on,
//! notices, and the reports the data layer and the map write for the
//! panels. Signals hold plain data; the live objects (references, loaders,
//! workers) are the data layer's [`crate::data::Session`].

pub mod report;
pub mod url;

use leptos::prelude::*;
use tessera_core::camera::{fit_seed, CanvasSize};
use tessera_core::view_state::ViewState;

use report::{
    ExportChoice, ExportReport, PixelReport, Readout, ReferencesSummary, RefsLoad, ViewHistogram,
    ViewReport,
};

#[derive(Clone, Copy)]
pub struct AppState {
    /// Everything the user selected: the page URL.
    pub selection: RwSignal<ViewState>,
    /// Messages for the user (URL parameters not used, files not read).
    pub notices: RwSignal<Vec<String>>,
    /// The map's canvas, once measured.
    pub canvas: RwSignal<Option<CanvasSize>>,
    pub load: RwSignal<Option<RefsLoad>>,
    pub references: RwSignal<Option<ReferencesSummary>>,
    pub report: RwSignal<ViewReport>,
    pub readout: RwSignal<Option<Readout>>,
    /// The pinned pixel's card, while a pixel is pinned.
    pub pixel: RwSignal<Option<PixelReport>>,
    /// The complete view's histogram in the colour range.
    pub histogram: RwSignal<Option<ViewHistogram>>,
    /// What an export writes (area, resolution).
    pub export_choice: RwSignal<ExportChoice>,
    /// An export under way, or the last one's outcome.
    pub export: RwSignal<ExportReport>,
}

impl AppState {
    /// The state the page URL's query gives (its problems as notices).
    pub fn from_query(query: &str) -> AppState {
        let (selection, notices) = ViewState::from_query(query);
        AppState {
            selection: RwSignal::new(selection),
            notices: RwSignal::new(notices.iter().map(|n| n.to_string()).collect()),
            canvas: RwSignal::new(None),
            load: RwSignal::new(None),
            references: RwSignal::new(None),
            report: RwSignal::new(ViewReport::default()),
            readout: RwSignal::new(None),
            pixel: RwSignal::new(None),
            histogram: RwSignal::new(None),
            export_choice: RwSignal::new(ExportChoice::default()),
            export: RwSignal::new(ExportReport::default()),
        }
    }

    /// The map's canvas measured `size`. With no view in the URL, it
    /// opens on the seed's selection fitted to it.
    pub fn set_canvas(&self, size: CanvasSize) {
        if self.canvas.get_untracked() != Some(size) {
            self.canvas.set(Some(size));
        }
        if self.selection.with_untracked(|s| s.camera.is_none()) {
            self.selection.update(|s| s.camera = Some(fit_seed(size)));
        }
    }

    /// Pins the pixel at (lat, lon), or unpins.
    pub fn pin(&self, at: Option<(f64, f64)>) {
        if self.selection.with_untracked(|s| s.pin) != at {
            self.selection.update(|s| s.pin = at);
        }
    }

    /// Adds a notice for the user.
    pub fn notice(&self, text: String) {
        self.notices.update(|n| n.push(text));
    }
}
