//! The app's state in one place: the user's selection (which is the page
//! URL), the references, and what the last drawn view reported. Signals
//! hold plain data; browser objects live in [`crate::render::Renderer`].

use std::sync::Arc;

use leptos::prelude::*;
use tessera_core::reader::References;
use tessera_core::view_state::ViewState;
use tessera_core::{FlightDirection, Orbit, Polarization, RepeatInterval, Season};

use crate::tile_loader::{LoaderStats, TileFailure, ViewProgress};

/// Loading the reference JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum RefsLoad {
    Fetching {
        url: String,
        loaded: u64,
        total: Option<u64>,
    },
    Parsing {
        url: String,
        bytes: u64,
    },
    Ready {
        url: String,
    },
    /// What was tried (source and URL), and why it failed.
    Failed {
        tried: Vec<String>,
        reason: String,
    },
}

/// What the map shows now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ViewMode {
    /// Files of the view are still loading (or the references are).
    #[default]
    Loading,
    /// Every file of the view is loaded or failed, and drawn.
    Ready,
    /// The view needs more files than the budget: coverage only.
    Budget,
    /// The references could not be loaded.
    Error,
}

impl ViewMode {
    /// The value of `<body data-view>`.
    pub fn name(self) -> &'static str {
        match self {
            ViewMode::Loading => "loading",
            ViewMode::Ready => "ready",
            ViewMode::Budget => "budget",
            ViewMode::Error => "error",
        }
    }
}

/// What the last drawn view reported.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ViewReport {
    pub mode: ViewMode,
    pub progress: ViewProgress,
    /// Files the view needs (with mode Budget, more than the budget).
    pub needed: usize,
    pub failures: Vec<TileFailure>,
    pub stats: LoaderStats,
    /// The layer values that have files in the view.
    pub available: Available,
}

/// Layer-dimension values with at least one file in the view.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Available {
    pub seasons: Vec<Season>,
    pub polarizations: Vec<Polarization>,
    pub intervals: Vec<RepeatInterval>,
    pub orbits: Vec<(Orbit, FlightDirection)>,
}

/// The value under the pointer.
#[derive(Debug, Clone, PartialEq)]
pub struct Readout {
    pub lat: f64,
    pub lon: f64,
    pub tile: Option<String>,
    pub dn: Option<u16>,
    pub value: String,
}

/// Canvas size in CSS pixels and the device pixel ratio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CanvasSize {
    pub css_width: f64,
    pub css_height: f64,
    pub pixel_ratio: f64,
}

impl CanvasSize {
    /// The backing store's size in device pixels.
    pub fn device(&self) -> (u32, u32) {
        let w = (self.css_width * self.pixel_ratio).round().max(1.0);
        let h = (self.css_height * self.pixel_ratio).round().max(1.0);
        (w as u32, h as u32)
    }
}

/// All signals of the app, shared by context.
#[derive(Clone, Copy)]
pub struct AppState {
    pub selection: RwSignal<ViewState>,
    pub notices: RwSignal<Vec<String>>,
    pub refs: RwSignal<Option<Arc<References>>>,
    /// The references' absolute URL (chunk URLs are relative to it).
    pub refs_url: RwSignal<String>,
    pub load: RwSignal<Option<RefsLoad>>,
    pub report: RwSignal<ViewReport>,
    pub readout: RwSignal<Option<Readout>>,
    pub size: RwSignal<Option<CanvasSize>>,
    /// Bumped when a tile arrives or fails.
    pub tiles_changed: RwSignal<u64>,
}

impl AppState {
    pub fn new(selection: ViewState, notices: Vec<String>) -> AppState {
        AppState {
            selection: RwSignal::new(selection),
            notices: RwSignal::new(notices),
            refs: RwSignal::new(None),
            refs_url: RwSignal::new(String::new()),
            load: RwSignal::new(None),
            report: RwSignal::new(ViewReport::default()),
            readout: RwSignal::new(None),
            size: RwSignal::new(None),
            tiles_changed: RwSignal::new(0),
        }
    }
}
