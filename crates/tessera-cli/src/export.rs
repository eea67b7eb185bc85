//! `tessera export`: a layer (stored or derived) over an area as a GeoTIFF
//! of native or coarser pixels, and the xarray code that selects the same
//! array (a thin shell over `tessera_core::export`, which the web app's
//! download uses too: the same view gives the same bytes).

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use tessera_core::derived::InputTile;
use tessera_core::export::{Export, ExportArea, ExportContent, DEFAULT_MAX_PIXELS};
use tessera_core::geotiff::{decode_tile, DecodedTile};
use tessera_core::view_state::ViewState;
use tessera_core::{ChunkKey, Tile};

use crate::files::{fetch, read_references, Source};

#[derive(clap::Args)]
pub struct ExportArgs {
    /// The reference JSON (as `tessera refs` or the seed writes it). Chunk
    /// URLs are read over HTTP(S), from file:// URLs or as paths; relative
    /// ones are relative to this file's folder.
    #[arg(value_name = "REFS")]
    pub refs: PathBuf,

    /// What to export, as the web app's URL writes it (its query string):
    /// the variable and layer, and a derived map with its parameters,
    /// e.g. "var=COH&season=winter&pol=vv&days=12" or
    /// "var=rho&season=summer&pol=vv&derive=gamma&t=24".
    #[arg(long, value_name = "QUERY", default_value = "")]
    pub view: String,

    /// The area: north, south, west and east edges in degrees, snapped
    /// outward to whole output pixels, e.g. 36,32.5,-121,-115 (default:
    /// the view's `area`, the rectangle drawn in the app).
    #[arg(
        long,
        value_name = "N,S,W,E",
        value_delimiter = ',',
        allow_hyphen_values = true
    )]
    pub bbox: Vec<f64>,

    /// Source pixels per output pixel along each axis: 1 is the data's own
    /// 1/1200°; 12 is 0.01°. A divisor of 1200. Each output pixel is the
    /// source pixel at its block's centre, as xarray's
    /// .isel(latitude=slice(step // 2, None, step)).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub step: u32,

    /// The GeoTIFF to write.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,

    /// Also write the Python (fsspec + xarray) that selects the same array.
    #[arg(long, value_name = "FILE")]
    pub python: Option<PathBuf>,

    /// The references' URL as the GeoTIFF's metadata and the Python name
    /// it (default: REFS as given).
    #[arg(long, value_name = "URL")]
    pub references_url: Option<String>,

    /// Most output pixels to write.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_PIXELS)]
    pub max_pixels: u64,

    /// Print nothing on standard error but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(args: &ExportArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let (selection, notices) = ViewState::from_query(args.view.trim_start_matches('?'));
    if let Some(n) = notices.first() {
        bail!("--view: {}={}: {}", n.parameter, n.value, n.problem);
    }
    let content = ExportContent::of_view(&selection, None).context("--view")?;
    let [north, south, west, east] = match (args.bbox.as_slice(), selection.area) {
        (&[n, s, w, e], _) => [n, s, w, e],
        ([], Some(a)) => [a.north, a.south, a.west, a.east],
        ([], None) => bail!("give the area: --bbox N,S,W,E, or area=N,S,W,E in --view"),
        _ => bail!("--bbox takes four numbers: north, south, west, east"),
    };
    let area = ExportArea::covering(north, south, west, east, args.step)
        .and_then(|a| a.within(args.max_pixels))
        .context("--bbox")?;
    let (refs, base) = read_references(&args.refs)?;
    // By default a file:// URL, against which fsspec (in the Python) and
    // the metadata's readers resolve relative chunk URLs.
    let refs_url = match &args.references_url {
        Some(url) => url.clone(),
        None => {
            let path = std::fs::canonicalize(&args.refs)
                .with_context(|| format!("{}", args.refs.display()))?;
            format!("file://{}", path.display())
        }
    };

    let export = Export::new(area, content);
    let inputs = export.content.inputs().to_vec();
    // Where each (input, tile) file is; absent: not listed.
    let mut sources: HashMap<(usize, Tile), Source> = HashMap::new();
    let mut listed = Vec::new();
    for (i, tile) in export.reads() {
        let Ok(key) = ChunkKey::new(inputs[i].variable, inputs[i].layer, tile) else {
            continue;
        };
        if let Some(source) = refs.chunk(key).as_ref().and_then(Source::of) {
            listed.push(source.location.clone());
            sources.insert((i, tile), source);
        }
    }

    let bar = crate::progress_bar(
        sources.len() as u64,
        args.quiet,
        "{spinner} export {bar:40} {pos}/{len} files ETA {eta}",
    );
    let done = AtomicU64::new(0);
    let client = ureq::Agent::new_with_defaults();
    // Decoded files of the current band of GeoTIFF tiles (and those the
    // next band shares): memory holds a band's files, not the area's.
    let mut decoded: HashMap<(usize, Tile), Result<DecodedTile, String>> = HashMap::new();
    let mut missing: Vec<String> = Vec::new();
    let mut tiles: Vec<Vec<u8>> = Vec::with_capacity(export.tile_count());
    for band in 0..export.tiles_down() {
        let wanted: Vec<(usize, Tile)> = export
            .tiles_of_band(band)
            .into_iter()
            .flat_map(|t| (0..inputs.len()).map(move |i| (i, t)))
            .filter(|k| sources.contains_key(k))
            .collect();
        decoded.retain(|k, _| wanted.contains(k));
        let new: Vec<(usize, Tile)> = wanted
            .iter()
            .copied()
            .filter(|k| !decoded.contains_key(k))
            .collect();
        let read: Vec<((usize, Tile), Result<DecodedTile, String>)> = new
            .par_iter()
            .map(|&(i, tile)| {
                let source = &sources[&(i, tile)];
                let result = fetch(&client, &base, source).and_then(|bytes| {
                    decode_tile(&bytes, inputs[i].variable.dtype())
                        .map_err(|e| format!("{}: {e}", source.location))
                });
                bar.set_position(done.fetch_add(1, Ordering::Relaxed) + 1);
                ((i, tile), result)
            })
            .collect();
        for (k, result) in read {
            if let Err(reason) = &result {
                bar.suspend(|| eprintln!("tessera: export: {reason}; its pixels are no data"));
                missing.push(sources[&k].location.clone());
            }
            decoded.insert(k, result);
        }
        let lookup = |i: usize, t: Tile| match decoded.get(&(i, t)) {
            Some(Ok(tile)) => InputTile::Samples(tile.samples()),
            Some(Err(_)) => InputTile::Missing,
            None if sources.contains_key(&(i, t)) => InputTile::Missing,
            None => InputTile::NoFile,
        };
        let across = export.tiles_across() as usize;
        let first = band as usize * across;
        let encoded: Vec<Vec<u8>> = (first..first + across)
            .into_par_iter()
            .map(|index| export.encode_tile(index, lookup))
            .collect();
        tiles.extend(encoded);
    }
    bar.finish_and_clear();
    // Failures listed in the order the references list the files.
    missing.sort_by_key(|m| listed.iter().position(|l| l == m));
    let metadata = export.metadata(&refs_url, &listed, &missing);
    let counts: Vec<u32> = tiles.iter().map(|t| t.len() as u32).collect();
    let header = export.header(&counts, &metadata)?;
    let written = crate::write_atomically(&args.output, |out| {
        out.write_all(&header)?;
        for t in &tiles {
            out.write_all(t)?;
        }
        Ok(header.len() + tiles.iter().map(Vec::len).sum::<usize>())
    })?;
    if let Some(path) = &args.python {
        let parquet = !refs_url.ends_with(".json") && !refs_url.ends_with(".json.gz");
        crate::write_atomically(path, |out| {
            out.write_all(export.python(&refs_url, parquet).as_bytes())
        })?;
    }
    if !args.quiet {
        eprintln!(
            "{}: {} × {} pixels of {} from {} files, {} bytes in {:.2} s{}",
            args.output.display(),
            area.width,
            area.height,
            export.content.sample().name(),
            listed.len(),
            written,
            started.elapsed().as_secs_f64(),
            if missing.is_empty() {
                String::new()
            } else {
                format!(
                    "; {} files could not be read (their pixels are no data)",
                    missing.len()
                )
            }
        );
    }
    Ok(if missing.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
