//! What a view needs, worked out before anything is fetched or painted.
//!
//! From the user's selection ([`ViewState`]), the references' index, the
//! canvas and the file budget, [`ViewPlan::new`] gives the viewport, the
//! layer actually shown (for inc and lsmap without an orbit, the first
//! orbit with files in view: picked, not written into the selection), the
//! chunk keys of the view in the order they should load with where their
//! bytes are, whether the view is over the budget, the values each
//! selector can offer, and, for parquet references read a record file at a
//! time, the record files still to read.
//!
//! It is pure: the web app computes it whenever the selection, the canvas
//! or the references change, and hands it to the tile loader (what to
//! fetch) and the painter (what to draw).

use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::Arc;

use crate::camera::{viewport, CanvasSize};
use crate::composite::Composite;
use crate::dataset::{
    ChunkKey, DType, FlightDirection, Layer, Orbit, Polarization, RepeatInterval, Season, Tile,
    Variable,
};
use crate::derived::{Derived, Input};
use crate::parquet_refs::{ParquetReferences, RecordFile};
use crate::reader::{ByteRange, ChunkRef, References};
use crate::view_state::ViewState;
use crate::viewport::Viewport;

/// Most files a plan names to prefetch around the view: a ring of tiles
/// is 8 for a view of one tile and 24 for the seed's view of 24; the
/// nearest few are the likeliest next, and each is 1-3 MB to download.
pub const PREFETCH_FILES: usize = 8;

/// The references a plan reads.
#[derive(Debug, Clone, Copy)]
pub enum ReferenceIndex<'a> {
    /// A reference document read whole: what it lists is all there is.
    Document(&'a References),
    /// A parquet store read a record file at a time: record files not
    /// read yet may list more.
    Store(&'a ParquetReferences),
}

impl<'a> ReferenceIndex<'a> {
    /// A parquet store's record files, not read yet, that hold the files
    /// of `inputs` in `tiles` (empty for a reference document).
    pub fn records_for(self, inputs: &[Input], tiles: &[Tile]) -> Vec<RecordFile> {
        let (Some(rows), Some(columns)) = (
            span(tiles.iter().map(|t| t.lat_index())),
            span(tiles.iter().map(|t| t.lon_index())),
        ) else {
            return Vec::new();
        };
        let mut records = Vec::new();
        for input in inputs {
            for record in self.records_needed(
                input.variable,
                &[input.layer],
                rows.clone(),
                columns.clone(),
            ) {
                if !records.contains(&record) {
                    records.push(record);
                }
            }
        }
        records
    }

    /// The chunk references read so far.
    pub fn references(self) -> &'a References {
        match self {
            ReferenceIndex::Document(refs) => refs,
            ReferenceIndex::Store(store) => store.read_so_far(),
        }
    }

    /// The layers that may have files in the tile rows and columns given:
    /// for a store, also those whose record files are not read yet.
    fn layers_possible(
        self,
        variable: Variable,
        rows: Range<u16>,
        columns: Range<u16>,
    ) -> Vec<Layer> {
        match self {
            ReferenceIndex::Document(refs) => refs.layers_in(variable, rows, columns),
            ReferenceIndex::Store(store) => store.layers_in(variable, rows, columns),
        }
    }

    fn records_needed(
        self,
        variable: Variable,
        layers: &[Layer],
        rows: Range<u16>,
        columns: Range<u16>,
    ) -> Vec<RecordFile> {
        match self {
            ReferenceIndex::Document(_) => Vec::new(),
            ReferenceIndex::Store(store) => store.records_needed(variable, layers, rows, columns),
        }
    }
}

/// What a plan is made from.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    pub selection: &'a ViewState,
    pub canvas: CanvasSize,
    /// `None` while the references load: the plan then has the viewport
    /// alone.
    pub index: Option<ReferenceIndex<'a>>,
    /// A number the caller changes whenever the references grow (a record
    /// file read): what a plan reuses of the previous one depends on it.
    pub generation: u64,
}

/// Where a chunk's bytes are.
#[derive(Debug, Clone, PartialEq)]
pub enum ChunkLocation {
    /// A file (or a byte range of one) at this URL, as the references
    /// write it: absolute, or relative to the references' own URL.
    Remote {
        url: String,
        range: Option<ByteRange>,
    },
    /// The bytes themselves, inline in the references.
    Inline(Arc<[u8]>),
}

/// One file of a view: its chunk key, where it is, and the stored type the
/// references' `.zarray` gives.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkSource {
    pub key: ChunkKey,
    pub location: ChunkLocation,
    pub dtype: DType,
}

/// Layer-dimension values with at least one file in the view (for a
/// parquet store, or whose record files there are not read yet).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Available {
    pub seasons: Vec<Season>,
    pub polarizations: Vec<Polarization>,
    pub intervals: Vec<RepeatInterval>,
    pub orbits: Vec<(Orbit, FlightDirection)>,
}

impl Available {
    /// The values of `layers`, each once, in the data set's order.
    fn of(layers: Vec<Layer>) -> Available {
        // Flags by index rather than sorting: four sorts of four small
        // types made 15 KB of the app's wasm.
        let mut seasons = [false; 4];
        let mut polarizations = [false; 4];
        let mut intervals = [false; 6];
        let mut orbits = Vec::new();
        for layer in layers {
            match layer {
                Layer::Coherence(s, p, i) => {
                    seasons[usize::from(s.index())] = true;
                    polarizations[usize::from(p.index())] = true;
                    intervals[usize::from(i.index())] = true;
                }
                Layer::Seasonal(s, p) => {
                    seasons[usize::from(s.index())] = true;
                    polarizations[usize::from(p.index())] = true;
                }
                Layer::Orbital(o, d) => orbits.push((o, d)),
            }
        }
        fn flagged<T: Copy>(all: &[T], flags: &[bool]) -> Vec<T> {
            all.iter()
                .zip(flags)
                .filter_map(|(v, f)| f.then_some(*v))
                .collect()
        }
        // Layers come in chunk-index order (orbit, then direction).
        orbits.dedup();
        Available {
            seasons: flagged(Season::ALL, &seasons),
            polarizations: flagged(Polarization::ALL, &polarizations),
            intervals: flagged(RepeatInterval::ALL, &intervals),
            orbits,
        }
    }
}

/// A derived map a view shows: what it computes and from which layers.
#[derive(Debug, Clone, PartialEq)]
pub struct DerivedPlan {
    pub derived: Derived,
    pub inputs: Vec<Input>,
}

impl DerivedPlan {
    /// The chunk key of input `i` in `tile`.
    pub fn key(&self, i: usize, tile: Tile) -> Option<ChunkKey> {
        let input = self.inputs.get(i)?;
        ChunkKey::new(input.variable, input.layer, tile).ok()
    }
}

/// One of the small multiples.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    pub season: Season,
    /// Its top left corner on the canvas, in device pixels.
    pub origin: (u32, u32),
    /// The season's plan on the panel (its viewport the panel's size).
    pub plan: ViewPlan,
}

/// An RGB composite a view shows, and its three layers.
#[derive(Debug, Clone, PartialEq)]
pub struct CompositePlan {
    pub composite: Composite,
    pub inputs: Vec<Input>,
}

/// Tile rows and columns of the grid a view shows.
pub type TileRanges = (Range<u16>, Range<u16>);

/// What the plan worked out from the tiles in view alone, kept while they
/// (and the variable, the layer and the references) stay the same: a pan
/// within the same tiles reuses it.
#[derive(Debug, Clone, PartialEq)]
struct PerTiles {
    variable: Variable,
    layer: Option<Layer>,
    ranges: Option<TileRanges>,
    over_budget: bool,
    generation: u64,
    available: Available,
    records: Vec<RecordFile>,
    other_records: Vec<RecordFile>,
}

/// What a view needs. See the [module docs](self).
#[derive(Debug, Clone, PartialEq)]
pub struct ViewPlan {
    pub viewport: Viewport,
    pub canvas: CanvasSize,
    pub variable: Variable,
    /// The layer shown: the selection's, or the one picked for it; `None`
    /// when the selection names no orbit and none is known in view.
    pub layer: Option<Layer>,
    /// A derived map's arithmetic and the layers it reads (whose files are
    /// `keys`, per tile every input's); `None` for a stored layer.
    pub derived: Option<DerivedPlan>,
    /// An RGB composite's layers (whose files are `keys`, per tile every
    /// channel's); shown instead of a derived map.
    pub composite: Option<CompositePlan>,
    /// The stored layer shown right of the swipe's divider (its files are
    /// in `keys` too).
    pub swipe: Option<Input>,
    /// Small multiples: the four seasons' plans, each on a quarter of the
    /// canvas (their files are `keys`); empty for a single map.
    pub panels: Vec<Panel>,
    /// The orbit and flight direction picked because the selection names
    /// none (inc, lsmap); the selection itself is left as it is.
    pub picked: Option<(Orbit, FlightDirection)>,
    /// The view's files (those the references list), nearest the centre
    /// first: the order to load them in.
    pub keys: Vec<ChunkKey>,
    /// More files than the budget: the map shows where files are, and
    /// nothing is loaded.
    pub over_budget: bool,
    /// Where each of `keys` is, when within the budget (else empty).
    pub sources: Vec<ChunkSource>,
    /// Files of the layer shown in the tiles around the view (at most
    /// [`PREFETCH_FILES`], nearest the centre first), to load once the
    /// view is complete, so that a pan shows them at once; empty over the
    /// budget.
    pub prefetch: Vec<ChunkSource>,
    /// The values each selector can offer here.
    pub available: Available,
    /// Parquet references: the record files, not read yet, of the layer
    /// shown here (of every layer while none is known).
    pub records: Vec<RecordFile>,
    /// Parquet references: those of the variable's other layers here (for
    /// the layer choices), to read once the view is complete; empty over
    /// the budget.
    pub other_records: Vec<RecordFile>,
    per_tiles: PerTiles,
}

impl ViewPlan {
    /// The plan for `input`; `None` when the selection has no camera yet
    /// or the canvas cannot be viewed. `previous` (the last plan, if any)
    /// only saves work: the result is the same without it.
    pub fn new(input: &PlanInput, previous: Option<&ViewPlan>) -> Option<ViewPlan> {
        if input.selection.shows_multiples() && input.index.is_some() {
            return ViewPlan::multiples(input);
        }
        let selection = input.selection;
        let viewport = viewport(selection.camera?, input.canvas)?;
        let variable = selection.shown_variable();
        let ranges = viewport.tile_ranges();
        let Some(index) = input.index else {
            return Some(ViewPlan::without_references(
                viewport,
                input.canvas,
                selection,
                ranges,
                input.generation,
            ));
        };
        let refs = index.references();

        let (layer, picked) = match selection.shown_layer() {
            Some(layer) => (Some(layer), None),
            None => match pick_orbit(refs, variable, ranges.clone()) {
                Some((orbit, direction)) => (
                    Some(Layer::Orbital(orbit, direction)),
                    Some((orbit, direction)),
                ),
                None => (None, None),
            },
        };
        // A composite shows instead of a derived map.
        let composite = selection.composite.map(|c| (c, c.inputs()));
        let derived = selection
            .derived
            .filter(|_| composite.is_none())
            .and_then(|d| Some((d, d.inputs(variable, layer).ok()?)));
        let inputs = composite
            .as_ref()
            .map(|(_, i)| i)
            .or(derived.as_ref().map(|(_, i)| i));
        let swipe = selection.swipe.map(|s| Input {
            variable: s.variable,
            layer: s.layer,
        });
        // A swipe's layer is one more input per tile.
        let with_swipe: Option<Vec<Input>> = match (swipe, inputs, layer) {
            (None, _, _) => None,
            (Some(other), Some(inputs), _) => Some(inputs.iter().copied().chain([other]).collect()),
            (Some(other), None, Some(layer)) => Some(vec![Input { variable, layer }, other]),
            (Some(other), None, None) => Some(vec![other]),
        };
        let inputs = with_swipe.as_ref().or(inputs);
        let keys = match (layer, inputs) {
            // Per tile, every input's file: a tile's inputs arrive together.
            (_, Some(inputs)) => viewport
                .tiles()
                .into_iter()
                .flat_map(|tile| {
                    inputs
                        .iter()
                        .filter_map(move |i| ChunkKey::new(i.variable, i.layer, tile).ok())
                })
                .filter(|&k| refs.chunk(k).is_some())
                .collect(),
            (Some(layer), None) => {
                viewport.chunk_keys(variable, layer, |k| refs.chunk(k).is_some())
            }
            (None, None) => Vec::new(),
        };
        let over_budget = keys.len() > selection.budget as usize;

        let reusable = previous.map(|p| &p.per_tiles).filter(|p| {
            p.variable == variable
                && p.layer == layer
                && p.ranges == ranges
                && p.over_budget == over_budget
                && p.generation == input.generation
        });
        let per_tiles = match reusable {
            Some(p) => p.clone(),
            None => per_tiles(
                index,
                variable,
                layer,
                ranges.clone(),
                over_budget,
                input.generation,
            ),
        };
        // A derived map's inputs' record files come first too.
        let mut records = per_tiles.records.clone();
        if let (Some(inputs), Some((rows, columns))) = (inputs, ranges.clone()) {
            for i in inputs {
                for record in
                    index.records_needed(i.variable, &[i.layer], rows.clone(), columns.clone())
                {
                    if !records.contains(&record) {
                        records.push(record);
                    }
                }
            }
        }

        let dtype_of = |variable: Variable| {
            refs.array_metadata(variable.name())
                .and_then(|m| DType::from_zarr(&m.dtype))
                .unwrap_or(variable.dtype())
        };
        let dtype = dtype_of(variable);
        let (sources, prefetch) = match (over_budget, layer, ranges.clone()) {
            // A derived map's files are of several variables; nothing
            // around it is prefetched yet.
            (false, _, _) if inputs.is_some() => (
                keys.iter()
                    .filter_map(|&key| chunk_source(refs, key, dtype_of(key.variable)))
                    .collect(),
                Vec::new(),
            ),
            (false, Some(layer), Some(ranges)) => (
                keys.iter()
                    .filter_map(|&key| chunk_source(refs, key, dtype))
                    .collect(),
                ring(&viewport, ranges)
                    .into_iter()
                    .filter_map(|tile| ChunkKey::new(variable, layer, tile).ok())
                    .filter_map(|key| chunk_source(refs, key, dtype))
                    .take(PREFETCH_FILES)
                    .collect(),
            ),
            (false, _, _) => (
                keys.iter()
                    .filter_map(|&key| chunk_source(refs, key, dtype))
                    .collect(),
                Vec::new(),
            ),
            _ => (Vec::new(), Vec::new()),
        };
        Some(ViewPlan {
            viewport,
            canvas: input.canvas,
            variable,
            layer,
            derived: derived.map(|(derived, inputs)| DerivedPlan { derived, inputs }),
            composite: composite.map(|(composite, inputs)| CompositePlan { composite, inputs }),
            swipe,
            panels: Vec::new(),
            picked,
            keys,
            over_budget,
            sources,
            prefetch,
            available: per_tiles.available.clone(),
            records,
            other_records: per_tiles.other_records.clone(),
            per_tiles,
        })
    }

    /// The four seasons side by side: a plan per season on a quarter of
    /// the canvas, the same centre and scale; the view's files are all of
    /// theirs, counted together against the budget.
    fn multiples(input: &PlanInput) -> Option<ViewPlan> {
        let single = ViewState {
            multiples: false,
            ..input.selection.clone()
        };
        let mut plan = ViewPlan::new(
            &PlanInput {
                selection: &single,
                ..*input
            },
            None,
        )?;
        let (width, height) = input.canvas.device();
        let (pw, ph) = ((width / 2).max(1), (height / 2).max(1));
        let ratio = input.canvas.pixel_ratio;
        let quarter = CanvasSize {
            css_width: f64::from(pw) / ratio,
            css_height: f64::from(ph) / ratio,
            pixel_ratio: ratio,
        };
        let panels: Vec<Panel> = Season::ALL
            .iter()
            .enumerate()
            .filter_map(|(i, &season)| {
                let selection = ViewState {
                    season,
                    ..single.clone()
                };
                let plan = ViewPlan::new(
                    &PlanInput {
                        selection: &selection,
                        canvas: quarter,
                        ..*input
                    },
                    None,
                )?;
                let origin = ((i % 2) as u32 * pw, (i / 2) as u32 * ph);
                Some(Panel {
                    season,
                    origin,
                    plan,
                })
            })
            .collect();
        // A layer two panels read (a difference's `minus`) is loaded once.
        let mut keys = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut records = Vec::new();
        for panel in &panels {
            keys.extend(panel.plan.keys.iter().filter(|k| seen.insert(**k)));
            for record in &panel.plan.records {
                if !records.contains(record) {
                    records.push(*record);
                }
            }
        }
        plan.over_budget = keys.len() > input.selection.budget as usize;
        let mut sources = Vec::new();
        if !plan.over_budget {
            let mut seen = std::collections::HashSet::new();
            for panel in &panels {
                sources.extend(
                    panel
                        .plan
                        .sources
                        .iter()
                        .filter(|s| seen.insert(s.key))
                        .cloned(),
                );
            }
        }
        plan.keys = keys;
        plan.sources = sources;
        plan.records = records;
        plan.prefetch = Vec::new();
        // Over the budget the map is one map (the selected season's
        // overview or coverage), not four panels: panels would label
        // seasons they do not show.
        if !plan.over_budget {
            plan.panels = panels;
        }
        Some(plan)
    }

    fn without_references(
        viewport: Viewport,
        canvas: CanvasSize,
        selection: &ViewState,
        ranges: Option<TileRanges>,
        generation: u64,
    ) -> ViewPlan {
        let layer = selection.shown_layer();
        ViewPlan {
            viewport,
            canvas,
            variable: selection.shown_variable(),
            layer,
            derived: None,
            composite: None,
            swipe: None,
            panels: Vec::new(),
            picked: None,
            keys: Vec::new(),
            over_budget: false,
            sources: Vec::new(),
            prefetch: Vec::new(),
            available: Available::default(),
            records: Vec::new(),
            other_records: Vec::new(),
            per_tiles: PerTiles {
                variable: selection.shown_variable(),
                layer,
                ranges,
                over_budget: false,
                generation,
                available: Available::default(),
                records: Vec::new(),
                other_records: Vec::new(),
            },
        }
    }

    /// The tiles of the view that have a file, nearest the centre first.
    pub fn tiles(&self) -> impl Iterator<Item = Tile> + '_ {
        self.keys.iter().map(|k| k.tile)
    }

    /// The chunk key of `tile` in the layer shown.
    pub fn key_of(&self, tile: Tile) -> Option<ChunkKey> {
        ChunkKey::new(self.variable, self.layer?, tile).ok()
    }
}

fn per_tiles(
    index: ReferenceIndex,
    variable: Variable,
    layer: Option<Layer>,
    ranges: Option<TileRanges>,
    over_budget: bool,
    generation: u64,
) -> PerTiles {
    let (available, records, other_records) = match ranges.clone() {
        None => (Available::default(), Vec::new(), Vec::new()),
        Some((rows, columns)) => {
            let available =
                Available::of(index.layers_possible(variable, rows.clone(), columns.clone()));
            // No layer yet (an orbit to pick): every layer's are needed now.
            let layers = layer.map_or_else(|| Layer::all(variable), |l| vec![l]);
            let records = index.records_needed(variable, &layers, rows.clone(), columns.clone());
            let other_records = if over_budget {
                Vec::new()
            } else {
                let first: BTreeSet<RecordFile> = records.iter().copied().collect();
                index
                    .records_needed(variable, &Layer::all(variable), rows, columns)
                    .into_iter()
                    .filter(|r| !first.contains(r))
                    .collect()
            };
            (available, records, other_records)
        }
    };
    PerTiles {
        variable,
        layer,
        ranges,
        over_budget,
        generation,
        available,
        records,
        other_records,
    }
}

/// The tiles of the grid next to those the view shows (a ring one tile
/// wide around its rows and columns), nearest the view's centre first.
fn ring(viewport: &Viewport, (rows, columns): TileRanges) -> Vec<Tile> {
    let grow = |r: Range<u16>| r.start.saturating_sub(1)..r.end.saturating_add(1);
    viewport.nearest_first(
        grow(rows.clone())
            .flat_map(|r| grow(columns.clone()).map(move |c| (r, c)))
            .filter(|(r, c)| !(rows.contains(r) && columns.contains(c)))
            .filter_map(|(r, c)| Tile::from_indices(r, c)),
    )
}

/// For inc and lsmap without an orbit: the first orbit with a file in the
/// tile rows and columns given (known to have one: a parquet store's
/// unread record files do not count).
fn pick_orbit(
    refs: &References,
    variable: Variable,
    ranges: Option<TileRanges>,
) -> Option<(Orbit, FlightDirection)> {
    let (rows, columns) = ranges?;
    refs.layers_in(variable, rows, columns)
        .into_iter()
        .find_map(|layer| match layer {
            Layer::Orbital(orbit, direction) => Some((orbit, direction)),
            _ => None,
        })
}

/// The smallest range holding every index.
fn span(indices: impl Iterator<Item = u16>) -> Option<Range<u16>> {
    let (lo, hi) = indices.fold((u16::MAX, None), |(lo, hi): (u16, Option<u16>), i| {
        (lo.min(i), Some(hi.map_or(i, |h| h.max(i))))
    });
    Some(lo..hi? + 1)
}

/// Where the references say `key`'s bytes are, if they list it.
pub fn chunk_source(refs: &References, key: ChunkKey, dtype: DType) -> Option<ChunkSource> {
    let location = match refs.chunk(key)? {
        ChunkRef::Inline(bytes) => ChunkLocation::Inline(Arc::from(bytes)),
        ChunkRef::Remote(remote) => ChunkLocation::Remote {
            url: remote.url(),
            range: remote.range,
        },
    };
    Some(ChunkSource {
        key,
        location,
        dtype,
    })
}
