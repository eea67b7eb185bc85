//! Taking the view's data away: what an export writes (the layer the map
//! shows over the view or a drawn rectangle, at the chosen resolution),
//! and the GeoTIFF written from it. The area's files are asked for as the
//! Export request group, a band of the GeoTIFF's tiles at a time (memory
//! holds a band's files, not the area's); files the view has already are
//! taken from the cache. The page gathers each tile's values (yielding
//! between tiles, so the tab never freezes and the user can stop it);
//! the decoder workers compress them.

use leptos::prelude::*;
use tessera_core::derived::InputTile;
use tessera_core::export::{Export, ExportArea, ExportContent, DEFAULT_MAX_PIXELS};
use tessera_core::tile_requests::RequestGroup;
use tessera_core::view_plan::{chunk_source, ChunkLocation, ChunkSource};
use tessera_core::{ChunkKey, Tile};

use crate::data::Session;
use crate::state::report::{ExportPhase, ExportReport, RefsLoad};
use crate::state::AppState;
use crate::time::{now, sleep_ms};

/// Most pixels one export writes: the seed's selection (30 million) fits.
pub const EXPORT_MAX_PIXELS: u64 = DEFAULT_MAX_PIXELS;

/// Compressing runs this long (ms) before the page gets a turn.
const SLICE_MS: f64 = 30.0;

/// What an export of the current view writes, and the references' URL
/// and kind, or why there is none.
pub struct ExportRequest {
    pub export: Export,
    pub refs_url: String,
    pub parquet: bool,
}

/// The export the current view and export choices ask for.
pub fn export_request(state: AppState, session: Session) -> Result<ExportRequest, String> {
    let refs_url = state.load.with_untracked(|l| match l {
        Some(RefsLoad::Ready { url }) => Some(url.clone()),
        _ => None,
    });
    let refs_url = refs_url.ok_or("the references are not read yet")?;
    let parquet = state
        .references
        .with_untracked(|r| r.as_ref().is_some_and(|r| r.records.is_some()));
    let (viewport, layer) = session
        .plan
        .with_untracked(|p| p.as_ref().map(|p| (p.viewport, p.layer)))
        .ok_or("the map has no view yet")?;
    let content = state
        .selection
        .with_untracked(|s| ExportContent::of_view(s, layer))
        .map_err(|e| e.to_string())?;
    let choice = state.export_choice.get_untracked();
    let b = state
        .selection
        .with_untracked(|s| s.area)
        .unwrap_or_else(|| viewport.bounds());
    let area = ExportArea::covering(b.north, b.south, b.west, b.east, choice.step)
        .and_then(|a| a.within(EXPORT_MAX_PIXELS))
        .map_err(|e| e.to_string())?;
    Ok(ExportRequest {
        export: Export::new(area, content),
        refs_url,
        parquet,
    })
}

/// Writes the export the view asks for and offers it as a download,
/// reporting progress in `state.export`.
pub async fn write_geotiff(state: AppState, session: Session) {
    if state.export.with_untracked(|e| e.phase.busy()) {
        return;
    }
    state.export.set(ExportReport {
        phase: ExportPhase::Loading,
        ..ExportReport::default()
    });
    let started = now();
    let outcome = match export_request(state, session) {
        Ok(request) => write(state, session, request).await,
        Err(message) => Err(message),
    };
    session.want_tiles(RequestGroup::Export, Vec::new());
    state.export.update(|e| match outcome {
        Ok(message) => {
            e.phase = ExportPhase::Done;
            e.message = Some(format!("{message} in {:.1} s", (now() - started) / 1000.0));
        }
        Err(message) => {
            e.phase = ExportPhase::Failed;
            e.message = Some(message);
        }
    });
}

/// The files of `reads` the references list, as (read, source).
fn sources_of(
    session: Session,
    export: &Export,
    reads: &[(usize, Tile)],
) -> Vec<((usize, Tile), ChunkSource)> {
    let inputs = export.content.inputs();
    session
        .with_index(|index| {
            reads
                .iter()
                .filter_map(|&(i, tile)| {
                    let input = inputs.get(i)?;
                    let key = ChunkKey::new(input.variable, input.layer, tile).ok()?;
                    let source = chunk_source(index.references(), key, input.variable.dtype())?;
                    Some(((i, tile), source))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn cancelled(state: AppState) -> bool {
    state.export.with_untracked(|e| e.cancel)
}

async fn write(
    state: AppState,
    session: Session,
    request: ExportRequest,
) -> Result<String, String> {
    let ExportRequest {
        export,
        refs_url,
        parquet,
    } = request;
    let stopped = || Err("stopped".to_string());
    // A parquet store: the record files listing the area's files first.
    if parquet {
        let tiles = export.area.tiles();
        let records = session
            .with_index(|index| index.records_for(export.content.inputs(), &tiles))
            .unwrap_or_default();
        session.request_records(&records, &[]);
        while !session.records_settled_for(&records) {
            if cancelled(state) {
                return stopped();
            }
            sleep_ms(50).await;
        }
    }
    let reads = export.reads();
    let all = sources_of(session, &export, &reads);
    let listed: Vec<String> = all.iter().map(|(_, s)| location_name(s)).collect();
    state.export.update(|e| {
        e.files = (0, all.len());
        e.tiles = (0, export.tile_count());
    });
    let key_of = |source: &ChunkSource| source.key;
    let mut missing: Vec<String> = Vec::new();
    // Tiles being compressed in the workers, in order.
    let mut compressing = Vec::with_capacity(export.tile_count());
    let pool = session.pool();
    let mut files_done: std::collections::HashSet<ChunkKey> = std::collections::HashSet::new();
    let tiles_down = export.tiles_down();
    // The page gets a turn every SLICE_MS across bands (a band of cached
    // files takes less than a slice to gather).
    let mut slice_start = now();
    for band in 0..tiles_down {
        // This band's files, then the next band's (so that fetching goes
        // on while this one is compressed).
        let of_band = |band: u32| -> Vec<((usize, Tile), ChunkSource)> {
            let tiles = export.tiles_of_band(band);
            all.iter()
                .filter(|((_, t), _)| tiles.contains(t))
                .cloned()
                .collect()
        };
        let here = of_band(band);
        let mut wanted: Vec<ChunkSource> = here.iter().map(|(_, s)| s.clone()).collect();
        if band + 1 < tiles_down {
            for (_, s) in of_band(band + 1) {
                if !wanted.iter().any(|w| w.key == s.key) {
                    wanted.push(s);
                }
            }
        }
        session.want_tiles(RequestGroup::Export, wanted);
        loop {
            let waiting = session.tiles().with(|r| {
                here.iter()
                    .filter(|(_, s)| {
                        r.tile(&key_of(s)).is_none() && r.failure(&key_of(s)).is_none()
                    })
                    .count()
            });
            let read = here
                .iter()
                .filter(|(_, s)| !files_done.contains(&s.key))
                .count()
                - waiting;
            state.export.update(|e| e.files.0 = files_done.len() + read);
            if waiting == 0 {
                break;
            }
            if cancelled(state) {
                return stopped();
            }
            sleep_ms(30).await;
        }
        // Failures, once each, in the references' order.
        session.tiles().with(|r| {
            for (_, s) in &here {
                if r.failure(&key_of(s)).is_some() {
                    let name = location_name(s);
                    if !missing.contains(&name) {
                        missing.push(name);
                    }
                }
            }
        });
        files_done.extend(here.iter().map(|(_, s)| s.key));
        state.export.update(|e| e.files.0 = files_done.len());
        let across = export.tiles_across() as usize;
        let first = band as usize * across;
        for index in first..first + across {
            let raw = session.tiles().with(|r| {
                export.raw_tile(index, |i, tile| {
                    match here.iter().find(|((j, t), _)| *j == i && *t == tile) {
                        None => InputTile::NoFile,
                        Some((_, s)) => match r.tile(&key_of(s)) {
                            Some(decoded) => InputTile::Samples(decoded.samples()),
                            None => InputTile::Missing,
                        },
                    }
                })
            });
            // Compressed in a worker (the page only gathers the values).
            compressing.push(pool.deflate(js_sys::Uint8Array::from(&raw[..]).buffer()));
            if now() - slice_start > SLICE_MS {
                sleep_ms(0).await;
                if cancelled(state) {
                    return stopped();
                }
                slice_start = now();
            }
        }
    }
    state.export.update(|e| e.phase = ExportPhase::Encoding);
    let mut blob_parts: Vec<js_sys::Uint8Array> = Vec::with_capacity(compressing.len());
    let mut counts: Vec<u32> = Vec::with_capacity(compressing.len());
    let total = compressing.len();
    for (index, tile) in compressing.into_iter().enumerate() {
        let buffer = tile.await.map_err(|e| e.reason().to_string())?;
        let bytes = js_sys::Uint8Array::new(&buffer);
        counts.push(bytes.length());
        blob_parts.push(bytes);
        // Tiles done already resolve at once: the progress bar is redrawn
        // and the page given a turn once per slice, not per tile.
        if now() - slice_start > SLICE_MS || index + 1 == total {
            state.export.update(|e| e.tiles.0 = index + 1);
            sleep_ms(0).await;
            if cancelled(state) {
                return stopped();
            }
            slice_start = now();
        }
    }
    missing.sort_by_key(|m| listed.iter().position(|l| l == m));
    let metadata = export.metadata(&refs_url, &listed, &missing);
    let header = export
        .header(&counts, &metadata)
        .map_err(|e| e.to_string())?;
    let parts = js_sys::Array::new();
    parts.push(&js_sys::Uint8Array::from(&header[..]));
    let mut size = header.len() as u64;
    for (part, count) in blob_parts.iter().zip(&counts) {
        parts.push(part);
        size += u64::from(*count);
    }
    let name = export.file_name();
    crate::download::download_parts(&name, &parts, "image/tiff")?;
    let area = export.area;
    let mut message = format!(
        "Saved {name}: {} × {} pixels of {}, {:.1} MB",
        area.width,
        area.height,
        export.content.sample().name(),
        size as f64 / 1e6
    );
    if !missing.is_empty() {
        message.push_str(&format!(
            "; {} file(s) could not be read and are no data: {}",
            missing.len(),
            missing.join(", ")
        ));
    }
    Ok(message)
}

/// A file as the references name it (its URL as written, or "inline").
fn location_name(source: &ChunkSource) -> String {
    match &source.location {
        ChunkLocation::Remote { url, .. } => url.clone(),
        ChunkLocation::Inline(_) => format!("{} (inline)", source.key),
    }
}
