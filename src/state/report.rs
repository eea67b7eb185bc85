//! What the app reports to its panels and to scripts: how loading the
//! references goes, what they hold, what the map shows now, and the value
//! under the pointer. Plain data, written by the data layer and the map,
//! read by the panels.

use tessera_core::pixel::PixelCard;
use tessera_core::tile_requests::{FileFailure, Progress, RequestStats};
use tessera_core::view_plan::Available;
use tessera_core::Variable;

/// Loading the references.
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

/// What the references hold, once read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReferencesSummary {
    /// The data variables, each with its number of files (`None` for a
    /// parquet store, which is read as views need it).
    pub variables: Vec<(Variable, Option<usize>)>,
    /// A parquet store's record files so far.
    pub records: Option<RecordsSummary>,
}

/// A parquet store's record files read so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordsSummary {
    /// Record files read (`.zmetadata` not counted).
    pub files: u32,
    /// Bytes fetched, `.zmetadata` included.
    pub bytes: u64,
    /// Record files that could not be read.
    pub failed: usize,
}

/// What the map shows now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ViewMode {
    /// Files of the view are still loading (or the references are).
    #[default]
    Loading,
    /// Every file of the view is loaded or failed, and drawn.
    Ready,
    /// The view needs more files than the budget and no overview can
    /// draw it: coverage only.
    Budget,
    /// The view needs more files than the budget: drawn from the
    /// overviews, every tile of its level in (or failed).
    Overview,
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
            ViewMode::Overview => "overview",
            ViewMode::Error => "error",
        }
    }
}

/// Totals over the session, for the status panel.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoadStats {
    /// Requests, cancellations, bytes, the tile cache.
    pub tiles: RequestStats,
    /// Decoder workers alive (0: tiles are decoded on the page).
    pub workers: usize,
    pub decoded: u64,
    /// Time spent decoding, summed.
    pub decode_ms: f64,
    /// A data server sent a whole file for a Range request: the pixel
    /// inspector reads whole files from it.
    pub range_ignored: bool,
}

/// What the last drawn view reported.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ViewReport {
    pub mode: ViewMode,
    pub progress: Progress,
    /// Files the view needs (with mode Budget, more than the budget).
    pub needed: usize,
    pub failures: Vec<FileFailure>,
    pub stats: LoadStats,
    /// The layer values that have files in the view.
    pub available: Available,
    /// Over the budget, the overview drawn.
    pub overview: Option<OverviewReport>,
    /// Over the budget, why there is no overview (a COG or manifest that
    /// could not be read).
    pub overview_problem: Option<String>,
}

/// The overview a view over the budget draws.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OverviewReport {
    /// The layer (`winter_vv_COH12`) and its COG.
    pub layer: String,
    pub url: String,
    pub level: usize,
    /// Data pixels per overview pixel, across: "overview 1:96".
    pub scale: u32,
    /// Tiles of the level in view, and those in.
    pub tiles: usize,
    pub loaded: usize,
    /// A read of the view's that failed: why.
    pub failure: Option<String>,
    /// Requests and bytes for overviews over the session.
    pub requests: u32,
    pub bytes: u64,
    /// A COG's server sent the whole file for a Range request.
    pub range_ignored: bool,
}

/// The value under the pointer.
#[derive(Debug, Clone, PartialEq)]
pub struct Readout {
    pub lat: f64,
    pub lon: f64,
    pub tile: Option<String>,
    pub dn: Option<u16>,
    pub value: String,
    /// A derived map's value unrounded (for scripts and tests).
    pub number: Option<f64>,
    /// A derived map's inputs there: each file's name and value.
    pub inputs: Vec<(String, String)>,
    /// Where the value is read: `None` for the file, else the overview
    /// level ("overview 1:96").
    pub source: Option<String>,
}

/// The histogram of the complete view's values beside the legend.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewHistogram {
    /// Over the colour range (its logarithms, when `log`).
    pub histogram: tessera_core::stretch::Histogram,
    pub log: bool,
}

/// The pinned pixel's card.
#[derive(Debug, Clone, PartialEq)]
pub struct PixelReport {
    pub card: PixelCard,
    /// A parquet store's record files that list the pixel's files are
    /// still being read.
    pub records_pending: bool,
}

/// How an export is chosen beyond the selection (whose `area` is the
/// rectangle drawn on the map): the resolution, and whether a rectangle
/// is being drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExportChoice {
    /// The next drag on the map draws the rectangle.
    pub drawing: bool,
    /// Source pixels per output pixel (1: native).
    pub step: u32,
}

impl Default for ExportChoice {
    fn default() -> ExportChoice {
        ExportChoice {
            drawing: false,
            step: 1,
        }
    }
}

/// Where an export is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ExportPhase {
    #[default]
    Idle,
    /// Fetching the area's files not in memory.
    Loading,
    /// Compressing the GeoTIFF's tiles.
    Encoding,
    Done,
    Failed,
}

impl ExportPhase {
    /// As `<body data-export>` writes it.
    pub fn name(self) -> &'static str {
        match self {
            ExportPhase::Idle => "idle",
            ExportPhase::Loading => "loading",
            ExportPhase::Encoding => "encoding",
            ExportPhase::Done => "done",
            ExportPhase::Failed => "failed",
        }
    }

    pub fn busy(self) -> bool {
        matches!(self, ExportPhase::Loading | ExportPhase::Encoding)
    }
}

/// An export under way, or how the last one ended.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportReport {
    pub phase: ExportPhase,
    /// Files of the area read (loaded or failed), and in all.
    pub files: (usize, usize),
    /// GeoTIFF tiles compressed, and in all.
    pub tiles: (usize, usize),
    /// What happened, for the user (the file saved, the limit, the
    /// files that could not be read).
    pub message: Option<String>,
    /// The user asked to stop.
    pub cancel: bool,
}
