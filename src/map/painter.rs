//! Painting a view plan on the map's two canvases, and nothing else: it
//! paints the view's files, over the budget its overview (or, with none,
//! squares where files are), and the overlay. It
//! never changes the selection and never starts a load. A paint whose
//! picture is the last one's draws nothing (a parquet store's record files
//! for the layer choices arrive after the first view, tens of them, and
//! each redrew the unchanged view: 53 frames and 291 ms of the page's
//! thread in a traced load).

use std::collections::HashSet;

use tessera_core::colormap::{Colormap, Palette, Scale, ValuePalette};
use tessera_core::composite::{self, Composite, CompositePalette};
use tessera_core::derived::Input;
use tessera_core::derived::{self, Derived, DerivedColours, Evaluator, InputTile};
use tessera_core::mosaic;
use tessera_core::mosaic::TileSamples;
use tessera_core::overview_view;
use tessera_core::tile_requests::TileRequests;
use tessera_core::topojson::Coastlines;
use tessera_core::view_plan::ViewPlan;
use tessera_core::viewport::Viewport;
use tessera_core::ChunkKey;
use tessera_core::{Layer, Tile, Variable};
use web_sys::HtmlCanvasElement;

use crate::data::overviews::{overview_tile, OverviewView};
use crate::map::canvas::{
    clear, draw_coverage, draw_overlay, draw_overlay_panels, fit_backing_store, put_rgba, TileMarks,
};

/// The colours asked for: a variable's (or a derived map's) colormap over
/// a range of physical values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Colours {
    pub variable: Variable,
    pub colormap: Colormap,
    pub range: (f64, f64),
    pub scale: Scale,
    pub derived: Option<Derived>,
    pub composite: Option<Composite>,
}

impl Colours {
    /// The colours of `selection`'s map.
    pub fn of(selection: &tessera_core::view_state::ViewState) -> Colours {
        Colours {
            variable: selection.variable,
            colormap: selection.colormap_shown(),
            range: selection.range_shown(),
            scale: selection.scale(),
            derived: selection.derived,
            composite: selection.composite,
        }
    }
}

/// A derived map's colours and arithmetic, made again only when they
/// change: they depend on the inputs' variables, not their layers, so
/// the four seasons' panels share them.
struct DerivedPalette {
    colours: Colours,
    variables: Vec<Variable>,
    colouring: DerivedColours,
}

/// What to paint.
#[derive(Clone, Copy)]
pub struct Scene<'a> {
    pub plan: &'a ViewPlan,
    /// Whether the references are read (else the map shows no data yet).
    pub references: bool,
    pub colours: Colours,
    pub tiles: &'a TileRequests,
    pub coastlines: Option<&'a Coastlines>,
    /// The pinned pixel's centre.
    pub pin: Option<(f64, f64)>,
    /// Where the swipe's divider is, a fraction of the map's width.
    pub divide: Option<f64>,
    /// The layer's overview, and the overviews' tile generation (a new
    /// tile changes the picture); its tiles are in `tiles`' cache.
    pub overview: Option<(&'a OverviewView, u64)>,
    /// The overview is being looked for (its header being read).
    pub overview_pending: bool,
}

/// The overview painted: its COG, level, and the overviews' tile
/// generation (a new tile changes the picture).
#[derive(Debug, PartialEq, Clone, Copy)]
struct OverviewPicture {
    cog: u32,
    level: usize,
    generation: u64,
}

/// What the canvases show.
#[derive(Debug, PartialEq)]
struct Picture {
    viewport: Viewport,
    content: Content,
    marks: TileMarks,
    /// The coastlines drawn (by address: they are read once).
    coastlines: Option<usize>,
}

#[derive(Debug, PartialEq)]
enum Content {
    /// No references yet: graticule and coastlines only.
    Nothing,
    /// Over the budget: where the files are.
    Coverage(Vec<Tile>),
    /// Over the budget, the overview's header being read: the files in.
    Waiting { colours: Colours, files: usize },
    /// Over the budget: the overview's level and the coarser ones in.
    Overview {
        colours: Colours,
        overview: OverviewPicture,
    },
    /// The view's files: which are loaded, loading or failed is in the
    /// marks (a file the pixel inspector reads changes nothing here);
    /// under them, the overview tiles already in.
    /// Small multiples: each panel's content and its top left corner.
    Multiples(Vec<(Content, (u32, u32))>),
    Mosaic {
        layer: Option<Layer>,
        /// A derived map of the layer's inputs (in the plan).
        derived: bool,
        /// An RGB composite (in the plan), shown instead.
        composite: bool,
        /// The swipe's layer right of the divider (device pixels from the
        /// left), and its colours.
        swipe: Option<(Input, u32, Colours)>,
        colours: Colours,
        under: Option<OverviewPicture>,
    },
}

/// The decoded tile of `plan`'s layer, for stitching.
pub fn stored_tile<'a>(
    plan: &'a ViewPlan,
    tiles: &'a TileRequests,
) -> impl Fn(Tile) -> Option<TileSamples<'a>> + Copy {
    move |tile| {
        plan.key_of(tile)
            .and_then(|k| tiles.tile(&k))
            .map(|t| t.samples())
    }
}

/// Input `i`'s tile of a derived map or composite: decoded, not listed,
/// or missing (`listed`: the plan's keys).
pub fn input_tile<'a>(
    inputs: &'a [Input],
    listed: &'a HashSet<&ChunkKey>,
    tiles: &'a TileRequests,
) -> impl Fn(usize, Tile) -> InputTile<'a> + Copy {
    move |i, tile| match inputs
        .get(i)
        .and_then(|input| ChunkKey::new(input.variable, input.layer, tile).ok())
    {
        Some(key) => match tiles.tile(&key) {
            Some(t) => InputTile::Samples(t.samples()),
            None if listed.contains(&key) => InputTile::Missing,
            None => InputTile::NoFile,
        },
        None => InputTile::NoFile,
    }
}

pub struct Painter {
    map: HtmlCanvasElement,
    overlay: HtmlCanvasElement,
    /// The mosaic's RGBA pixels, kept between paints.
    rgba: Vec<u8>,
    palette: Option<(Colours, Palette)>,
    derived: Option<DerivedPalette>,
    composite: Option<(Composite, CompositePalette)>,
    /// The swipe layer's palette, and its pixels before they are copied
    /// right of the divider.
    swipe_palette: Option<(Colours, Palette)>,
    scratch: Vec<u8>,
    /// Small multiples: the composed picture being made.
    panels_rgba: Vec<u8>,
    painted: Option<Picture>,
}

impl Painter {
    pub fn new(map: HtmlCanvasElement, overlay: HtmlCanvasElement) -> Painter {
        Painter {
            map,
            overlay,
            rgba: Vec::new(),
            palette: None,
            derived: None,
            composite: None,
            swipe_palette: None,
            scratch: Vec::new(),
            panels_rgba: Vec::new(),
            painted: None,
        }
    }

    /// Paints `scene`, unless the canvases show it already: whether it
    /// drew.
    pub fn paint(&mut self, scene: Scene) -> bool {
        let plan = scene.plan;
        let (width, height) = plan.canvas.device();
        fit_backing_store(&self.map, width, height);
        fit_backing_store(&self.overlay, width, height);
        let overview = scene.overview.map(|(view, generation)| OverviewPicture {
            cog: view.cog,
            level: view.need.level,
            generation,
        });
        let content = match (scene.references, plan.over_budget, overview) {
            (false, _, _) => Content::Nothing,
            (true, true, Some(overview)) => Content::Overview {
                colours: scene.colours,
                overview,
            },
            // Its header on the way: the files already in (the view
            // before a zoom out) stay, rather than squares for a moment.
            (true, true, None) if scene.overview_pending => Content::Waiting {
                colours: scene.colours,
                files: plan
                    .keys
                    .iter()
                    .filter(|k| scene.tiles.tile(k).is_some())
                    .count(),
            },
            (true, true, None) => Content::Coverage(plan.tiles().collect()),
            (true, false, _) if !plan.panels.is_empty() => Content::Multiples(
                plan.panels
                    .iter()
                    .map(|panel| {
                        let content = Content::Mosaic {
                            layer: panel.plan.layer,
                            derived: panel.plan.derived.is_some(),
                            composite: false,
                            swipe: None,
                            colours: scene.colours,
                            under: None,
                        };
                        (content, panel.origin)
                    })
                    .collect(),
            ),
            (true, false, under) => Content::Mosaic {
                layer: plan.layer,
                derived: plan.derived.is_some(),
                composite: plan.composite.is_some(),
                swipe: plan.swipe.map(|other| {
                    let width = plan.viewport.size().0;
                    let x = (scene.divide.unwrap_or(0.5) * f64::from(width)).round() as u32;
                    (
                        other,
                        x.min(width),
                        swipe_colours(&scene.colours, other, plan),
                    )
                }),
                colours: scene.colours,
                // Once every file is in, nothing shows under them.
                under: under.filter(|_| plan.keys.iter().any(|k| scene.tiles.tile(k).is_none())),
            },
        };
        let mut marks = TileMarks {
            pin: scene.pin,
            ..TileMarks::default()
        };
        if let Content::Mosaic { .. } | Content::Multiples(_) = content {
            for key in &plan.keys {
                if scene.tiles.failure(key).is_some() {
                    marks.failed.push(key.tile);
                } else if scene.tiles.tile(key).is_none() {
                    marks.loading.push(key.tile);
                }
            }
            // A derived map lists a tile once per input.
            marks.failed.dedup();
            marks.loading.dedup();
            marks.loading.retain(|t| !marks.failed.contains(t));
        }
        let picture = Picture {
            viewport: plan.viewport,
            content,
            marks,
            coastlines: scene.coastlines.map(|c| c as *const Coastlines as usize),
        };
        if self.painted.as_ref() == Some(&picture) {
            return false;
        }
        let view = &plan.viewport;
        let pixel_ratio = plan.canvas.pixel_ratio;
        let painted = self.paint_content(&picture.content, &scene);
        // The swipe's layer over the right of the divider.
        if let (
            Content::Mosaic {
                swipe: Some((other, x, colours)),
                ..
            },
            Ok(true),
        ) = (&picture.content, &painted)
        {
            self.paint_swipe(plan, scene.tiles, *other, *x, colours);
        }
        let painted = match painted {
            Ok(true) => put_rgba(&self.map, view, &mut self.rgba),
            Ok(false) => Ok(()),
            Err(e) => Err(e),
        };
        if plan.panels.is_empty() {
            draw_overlay(
                &self.overlay,
                view,
                scene.coastlines,
                &picture.marks,
                pixel_ratio,
            );
        } else {
            let panels: Vec<(Viewport, (u32, u32), &str)> = plan
                .panels
                .iter()
                .map(|p| (p.plan.viewport, p.origin, p.season.name()))
                .collect();
            draw_overlay_panels(
                &self.overlay,
                view,
                &panels,
                scene.coastlines,
                &picture.marks,
                pixel_ratio,
            );
        }
        match painted {
            Ok(()) => self.painted = Some(picture),
            Err(e) => {
                self.painted = None;
                leptos::logging::warn!("drawing the mosaic failed: {e:?}");
            }
        }
        true
    }

    /// Paints the picture's content: on the map canvas (`false`), or into
    /// `self.rgba` (`true`: to be put on the canvas).
    fn paint_content(
        &mut self,
        content: &Content,
        scene: &Scene,
    ) -> Result<bool, wasm_bindgen::JsValue> {
        let plan = scene.plan;
        let view = &plan.viewport;
        match content {
            Content::Multiples(panels) => {
                let (width, height) = view.size();
                let (width, height) = (width as usize, height as usize);
                let mut out = std::mem::take(&mut self.panels_rgba);
                out.clear();
                out.resize(width * height * 4, 0);
                for (panel, (content, origin)) in plan.panels.iter().zip(panels) {
                    let sub = Scene {
                        plan: &panel.plan,
                        overview: None,
                        ..*scene
                    };
                    if let Ok(true) = self.paint_content(content, &sub) {
                        let (pw, _) = panel.plan.viewport.size();
                        let pw = pw as usize;
                        let (ox, oy) = (origin.0 as usize, origin.1 as usize);
                        for (row, from) in self.rgba.chunks_exact(pw * 4).enumerate() {
                            let at = ((oy + row) * width + ox) * 4;
                            if let Some(to) = out.get_mut(at..at + pw * 4) {
                                to.copy_from_slice(from);
                            }
                        }
                    }
                }
                // The composed picture is the one to put; the buffers
                // swap, so both are kept for the next paint.
                self.panels_rgba = std::mem::replace(&mut self.rgba, out);
                Ok(true)
            }
            Content::Nothing => {
                clear(&self.map);
                Ok(false)
            }
            Content::Coverage(tiles) => {
                draw_coverage(&self.map, view, tiles);
                Ok(false)
            }
            Content::Mosaic {
                composite: true, ..
            } => match &plan.composite {
                Some(of) => {
                    if self.composite.as_ref().map(|(c, _)| c) != Some(&of.composite) {
                        let palette = CompositePalette::new(&of.composite);
                        self.composite = Some((of.composite, palette));
                    }
                    match &self.composite {
                        Some((_, palette)) => {
                            let listed: HashSet<&ChunkKey> = plan.keys.iter().collect();
                            let input = input_tile(&of.inputs, &listed, scene.tiles);
                            composite::paint(view, palette, input, &mut self.rgba);
                            Ok(true)
                        }
                        None => Ok(false),
                    }
                }
                None => Ok(false),
            },
            Content::Mosaic {
                derived: true,
                colours,
                ..
            } => match &plan.derived {
                Some(of) => {
                    let variables: Vec<Variable> = of.inputs.iter().map(|i| i.variable).collect();
                    let fresh = self
                        .derived
                        .as_ref()
                        .is_some_and(|d| d.colours == *colours && d.variables == variables);
                    if !fresh {
                        let palette =
                            ValuePalette::new(colours.colormap, colours.range, colours.scale);
                        self.derived = Some(DerivedPalette {
                            colours: *colours,
                            colouring: DerivedColours::new(
                                Evaluator::new(of.derived, &of.inputs),
                                palette,
                            ),
                            variables,
                        });
                    }
                    match &self.derived {
                        Some(d) => {
                            let listed: HashSet<&ChunkKey> = plan.keys.iter().collect();
                            let input = input_tile(&of.inputs, &listed, scene.tiles);
                            derived::paint(view, &d.colouring, input, &mut self.rgba);
                            Ok(true)
                        }
                        None => Ok(false),
                    }
                }
                None => Ok(false),
            },
            Content::Overview { colours, .. }
            | Content::Mosaic { colours, .. }
            | Content::Waiting { colours, .. } => {
                // The palette is made again only when the colours change.
                if self.palette.as_ref().map(|(c, _)| c) != Some(colours) {
                    let palette = Palette::new(colours.variable, colours.colormap, colours.range);
                    self.palette = Some((*colours, palette));
                }
                match &self.palette {
                    Some((_, palette)) => {
                        let rgba = &mut self.rgba;
                        // The overview first: alone over the budget, under
                        // the files within it.
                        let tiles = scene.tiles;
                        let files = stored_tile(plan, tiles);
                        match (content, scene.overview) {
                            // Over the budget: the files already in (the
                            // view before a zoom out) show until the
                            // overview's tiles cover them.
                            (Content::Overview { .. }, Some((of, _))) => {
                                mosaic::paint(view, files, palette, rgba);
                                overview_view::paint_over(
                                    view,
                                    &of.header,
                                    of.need.level,
                                    |l, t| overview_tile(tiles, of.cog, l, t),
                                    palette,
                                    rgba,
                                );
                            }
                            // Within it: the overview's tiles already in
                            // show until the files cover them.
                            (Content::Mosaic { under: Some(_), .. }, Some((of, _))) => {
                                overview_view::paint(
                                    view,
                                    &of.header,
                                    of.need.level,
                                    |l, t| overview_tile(tiles, of.cog, l, t),
                                    palette,
                                    rgba,
                                );
                                mosaic::paint_over(view, files, palette, rgba);
                            }
                            _ => mosaic::paint(view, files, palette, rgba),
                        }
                        Ok(true)
                    }
                    None => Ok(false),
                }
            }
        }
    }

    /// Paints `other` (a stored layer) over the columns from `x` on.
    fn paint_swipe(
        &mut self,
        plan: &ViewPlan,
        tiles: &TileRequests,
        other: Input,
        x: u32,
        colours: &Colours,
    ) {
        if self.swipe_palette.as_ref().map(|(c, _)| c) != Some(colours) {
            let palette = Palette::new(colours.variable, colours.colormap, colours.range);
            self.swipe_palette = Some((*colours, palette));
        }
        let Some((_, palette)) = &self.swipe_palette else {
            return;
        };
        let view = &plan.viewport;
        let files = move |tile| {
            ChunkKey::new(other.variable, other.layer, tile)
                .ok()
                .and_then(|k| tiles.tile(&k))
                .map(|t| t.samples())
        };
        mosaic::paint(view, files, palette, &mut self.scratch);
        let width = view.size().0 as usize;
        let x = (x as usize).min(width);
        for (row, from) in self
            .rgba
            .chunks_exact_mut(width * 4)
            .zip(self.scratch.chunks_exact(width * 4))
        {
            row[x * 4..].copy_from_slice(&from[x * 4..]);
        }
    }
}

/// The colours of the swipe's layer: the map's own when it is a layer of
/// the stored variable shown (so that two seasons compare colour for
/// colour), else its variable's defaults.
fn swipe_colours(main: &Colours, other: Input, plan: &ViewPlan) -> Colours {
    let stored = main.derived.is_none() && main.composite.is_none();
    if stored && other.variable == plan.variable {
        return *main;
    }
    Colours {
        variable: other.variable,
        colormap: tessera_core::colormap::default_for(other.variable),
        range: tessera_core::physical::default_range(other.variable),
        scale: Scale::Linear,
        derived: None,
        composite: None,
    }
}
