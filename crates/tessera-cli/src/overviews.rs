//! `tessera overviews`: one Cloud-Optimized GeoTIFF per layer of the whole
//! grid, with internal overviews, and a manifest beside them (a thin shell
//! over `tessera_core::overview` and `tessera_core::cog`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use tessera_core::cog::{CogCompression, CogLayout};
use tessera_core::geotiff::decode_tile;
use tessera_core::overview::{
    build_pyramid, layer_name, Aggregation, Manifest, ManifestLayer, OverviewGrid, PyramidSources,
};
use tessera_core::reader::References;
use tessera_core::{Layer, Tile, Variable};

use crate::files::{fetch, read_references, Source};

/// The bucket's own mosaics' pixel size, degrees.
pub const DEFAULT_RESOLUTION: f64 = 0.01;

/// The manifest's file name in the output folder.
pub const MANIFEST: &str = "overviews.json";

#[derive(clap::Args)]
pub struct OverviewsArgs {
    /// The reference JSON (as `tessera refs` or the seed writes it). Chunk
    /// URLs are read over HTTP(S), from file:// URLs or as paths; relative
    /// ones are relative to this file's folder.
    #[arg(value_name = "REFS")]
    pub refs: PathBuf,

    /// The folder to write into (made if missing): DIR/<variable>/<layer>.tif
    /// and DIR/overviews.json.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,

    /// Only these layers, comma-separated: a variable (COH, AMP, tau, rmse,
    /// rho, inc, lsmap) for all its layers, or one layer named as its files
    /// are without the tile (winter_vv_COH12, summer_vh_AMP, 061A_inc).
    #[arg(long, value_name = "LAYERS", value_delimiter = ',')]
    pub layers: Vec<String>,

    /// Pixel size of the full resolution image, in degrees (the data's own
    /// is 1/1200; the bucket's mosaics are 0.01).
    #[arg(long, value_name = "DEG", default_value_t = DEFAULT_RESOLUTION)]
    pub resolution: f64,

    /// Make only shard I of N (0 ≤ I < N): every N-th layer, starting at
    /// the I-th, so that N machines make the whole set with no
    /// coordination (an AWS Batch array job's AWS_BATCH_JOB_ARRAY_INDEX, a
    /// Kubernetes Indexed Job's JOB_COMPLETION_INDEX).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,

    /// How tiles are compressed (both with the horizontal predictor).
    /// Deflate files are about a fifth smaller and decode as fast or
    /// faster in Tessera's decoder (docs/performance.md).
    #[arg(long, value_enum, default_value = "deflate")]
    pub compression: Compression,

    /// Print nothing on standard error but errors.
    #[arg(short, long)]
    pub quiet: bool,

    /// Chunk URLs starting with this prefix are read from this folder
    /// instead (the demo's own files, whatever base URL its references
    /// give).
    #[arg(skip)]
    pub rebase: Option<(String, PathBuf)>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Compression {
    Lzw,
    Deflate,
}

/// `--shard I/N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let usage = || format!("{text:?}: expected I/N with 0 <= I < N, e.g. 3/16");
        let (i, n) = text.split_once('/').ok_or_else(usage)?;
        let index: usize = i.trim().parse().map_err(|_| usage())?;
        let count: usize = n.trim().parse().map_err(|_| usage())?;
        if count == 0 || index >= count {
            return Err(usage());
        }
        Ok(Shard { index, count })
    }
}

/// One layer to make: its files by tile.
struct LayerJob {
    variable: Variable,
    layer: Layer,
    /// `winter_vv_COH12`: the file names' part after the tile.
    name: String,
    files: BTreeMap<Tile, Source>,
}

pub fn run(args: &OverviewsArgs) -> Result<ExitCode> {
    let outcome = make(args)?;
    Ok(if outcome.failed_files > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// What a run made.
pub struct Outcome {
    pub cogs: usize,
    pub files: u64,
    pub failed_files: usize,
    pub seconds: f64,
}

/// Makes the overviews `args` ask for; files that cannot be read are
/// reported on standard error and counted, not fatal.
pub fn make(args: &OverviewsArgs) -> Result<Outcome> {
    let started = Instant::now();
    let grid = OverviewGrid::new(args.resolution).context("--resolution")?;
    let (refs, base) = read_references(&args.refs)?;

    let all = layer_jobs(&refs);
    let chosen = choose(&all, &args.layers)?;
    let mine: Vec<&LayerJob> = chosen
        .iter()
        .enumerate()
        .filter(|(i, _)| args.shard.is_none_or(|s| i % s.count == s.index))
        .map(|(_, job)| *job)
        .collect();
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("creating {}", args.output.display()))?;

    let compression = match args.compression {
        Compression::Lzw => CogCompression::Lzw,
        Compression::Deflate => CogCompression::Deflate,
    };
    // The manifest lists every chosen layer, so every shard writes the same
    // bytes and none has to wait for the others. It is written last: a
    // folder with a manifest has its COGs.
    let manifest = manifest(&grid, compression, &chosen)?;

    let total: u64 = mine.iter().map(|j| j.files.len() as u64).sum();
    let bar = crate::progress_bar(
        total,
        args.quiet,
        "{spinner} overviews {bar:40} {pos}/{len} files ETA {eta}",
    );
    let done = AtomicU64::new(0);
    let client = ureq::Agent::new_with_defaults();
    let failures = Mutex::new(Vec::new());
    let results: Vec<Result<()>> = mine
        .par_iter()
        .map(|job| {
            let layout = layout(&grid, compression, job)?;
            let path = args.output.join(cog_path(job));
            let read = |tile: Tile| -> Result<tessera_core::geotiff::DecodedTile, String> {
                let source = job.files.get(&tile).ok_or("not in the references")?;
                let bytes = match &args.rebase {
                    Some((prefix, dir)) if source.location.starts_with(prefix.as_str()) => {
                        let local = Source {
                            location: dir
                                .join(&source.location[prefix.len()..])
                                .to_string_lossy()
                                .into_owned(),
                            range: source.range,
                        };
                        // Relative to the working directory, as the folder was given.
                        fetch(&client, Path::new(""), &local)?
                    }
                    _ => fetch(&client, &base, source)?,
                };
                decode_tile(&bytes, job.variable.dtype())
                    .map_err(|e| format!("{}: {e}", source.location))
            };
            let on_file = || {
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                bar.set_position(n);
            };
            let tiles: BTreeSet<Tile> = job.files.keys().copied().collect();
            let sources = PyramidSources {
                tiles: &tiles,
                read: &read,
                on_file: &on_file,
            };
            let summary = write_cog(&path, &grid, &layout, job.variable, &sources)
                .with_context(|| format!("writing {}", path.display()))?;
            for (tile, reason) in summary.failures {
                let file = job
                    .files
                    .get(&tile)
                    .map_or(String::new(), |s| s.location.clone());
                bar.suspend(|| eprintln!("tessera: {}: skipped {file}: {reason}", job.name));
                failures.lock().map(|mut f| f.push(file)).ok();
            }
            Ok(())
        })
        .collect();
    bar.finish_and_clear();
    for result in results {
        result?;
    }
    crate::write_atomically(&args.output.join(MANIFEST), |out| {
        out.write_all(manifest.as_bytes())
    })?;
    let failed = failures.into_inner().map(|f| f.len()).unwrap_or(0);
    if !args.quiet {
        eprintln!(
            "{} COGs of {} files at {}° in {} ({}) in {:.1} s{}",
            mine.len(),
            total,
            args.resolution,
            args.output.display(),
            args.shard.map_or("all layers".to_string(), |s| format!(
                "shard {}/{}",
                s.index, s.count
            )),
            started.elapsed().as_secs_f64(),
            if failed > 0 {
                format!("; {failed} files could not be read (their pixels are nodata)")
            } else {
                String::new()
            }
        );
    }
    Ok(Outcome {
        cogs: mine.len(),
        files: total,
        failed_files: failed,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Every layer the references have files of, in chunk-key order.
fn layer_jobs(refs: &References) -> Vec<LayerJob> {
    let mut jobs: BTreeMap<(Variable, Layer), LayerJob> = BTreeMap::new();
    for variable in Variable::ALL {
        for (key, chunk) in refs.chunks(variable) {
            // Inline chunks do not occur in the data set's references.
            let Some(source) = Source::of(&chunk) else {
                continue;
            };
            jobs.entry((variable, key.layer))
                .or_insert_with(|| LayerJob {
                    variable,
                    layer: key.layer,
                    name: layer_name(variable, key.layer),
                    files: BTreeMap::new(),
                })
                .files
                .insert(key.tile, source);
        }
    }
    jobs.into_values().collect()
}

fn choose<'a>(all: &'a [LayerJob], wanted: &[String]) -> Result<Vec<&'a LayerJob>> {
    if wanted.is_empty() {
        return Ok(all.iter().collect());
    }
    let mut chosen = Vec::new();
    for w in wanted {
        let w = w.trim();
        let matches: Vec<&LayerJob> = match Variable::from_name(w) {
            Some(v) => all.iter().filter(|j| j.variable == v).collect(),
            None => all.iter().filter(|j| j.name == w).collect(),
        };
        if matches.is_empty() {
            let known: Vec<&str> = all.iter().take(6).map(|j| j.name.as_str()).collect();
            bail!(
                "--layers {w:?}: no such layer in the references (layers are named as files without the tile, e.g. {})",
                known.join(", ")
            );
        }
        for m in matches {
            if !chosen.iter().any(|c: &&LayerJob| std::ptr::eq(*c, m)) {
                chosen.push(m);
            }
        }
    }
    chosen.sort_by_key(|j| (j.variable, j.layer));
    Ok(chosen)
}

fn cog_path(job: &LayerJob) -> PathBuf {
    PathBuf::from(job.variable.name()).join(format!("{}.tif", job.name))
}

fn layout(grid: &OverviewGrid, compression: CogCompression, job: &LayerJob) -> Result<CogLayout> {
    let mut layout = CogLayout::new(grid.image(), job.variable.dtype(), compression, true)?;
    let aggregation = Aggregation::of(job.variable);
    layout.metadata = vec![
        ("variable".into(), job.variable.name().into()),
        ("layer".into(), job.name.clone()),
        ("aggregation".into(), aggregation.describe().into()),
        (
            "scaling".into(),
            tessera_core::physical::scaling(job.variable).into(),
        ),
        ("source".into(), "Sentinel-1 Global Seasonal Coherence and Backscatter (Earth Big Data); tessera overviews".into()),
    ];
    Ok(layout)
}

/// Whether the manifest at `path` has the levels this build writes at
/// `resolution`: a folder made by an older build (before the image was
/// padded, say) is made again rather than reused.
pub fn manifest_is_current(path: &Path, resolution: f64) -> bool {
    let found = std::fs::read(path)
        .ok()
        .and_then(|bytes| Manifest::parse(&bytes).ok());
    let expected = OverviewGrid::new(resolution).ok().and_then(|grid| {
        let image = grid.image();
        CogLayout::new(
            image,
            tessera_core::DType::U8,
            CogCompression::Deflate,
            true,
        )
        .ok()
        .map(|layout| Manifest::new(&grid, &layout, Vec::new()))
    });
    matches!((found, expected), (Some(f), Some(e)) if f.levels == e.levels)
}

fn manifest(
    grid: &OverviewGrid,
    compression: CogCompression,
    jobs: &[&LayerJob],
) -> Result<String> {
    let layout = CogLayout::new(grid.image(), tessera_core::DType::U8, compression, true)?;
    let layers = jobs
        .iter()
        .map(|j| ManifestLayer {
            variable: j.variable.name().to_string(),
            layer: j.name.clone(),
            url: cog_path(j).to_string_lossy().replace('\\', "/"),
            dtype: j.variable.dtype().name().to_string(),
            aggregation: Aggregation::of(j.variable).describe().to_string(),
            files: j.files.len() as u64,
        })
        .collect();
    let manifest = Manifest::new(grid, &layout, layers);
    Ok(serde_json::to_string_pretty(&manifest)? + "\n")
}

/// Builds the pyramid into per-level spool files, then writes the COG
/// (header, then tiles smallest level first) through a temporary file.
fn write_cog(
    path: &Path,
    grid: &OverviewGrid,
    layout: &CogLayout,
    variable: Variable,
    sources: &PyramidSources,
) -> Result<tessera_core::overview::PyramidSummary> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut spools: Vec<File> = layout
        .levels
        .iter()
        .map(|_| tempfile::tempfile_in(dir))
        .collect::<io::Result<_>>()
        .context("creating spool files")?;
    let mut spooled: Vec<Vec<(u64, u32)>> = layout
        .levels
        .iter()
        .map(|l| vec![(0, 0); l.tile_count()])
        .collect();
    let mut sink = |level: usize, tile: usize, bytes: Vec<u8>| -> Result<(), String> {
        let spool = &mut spools[level];
        let at = spool.stream_position().map_err(|e| e.to_string())?;
        spool.write_all(&bytes).map_err(|e| e.to_string())?;
        spooled[level][tile] = (at, bytes.len() as u32);
        Ok(())
    };
    let summary = build_pyramid(grid, layout, Aggregation::of(variable), sources, &mut sink)?;
    let counts: Vec<Vec<u32>> = spooled
        .iter()
        .map(|l| l.iter().map(|&(_, n)| n).collect())
        .collect();
    let header = layout.header(&counts)?;
    crate::write_atomically(path, |out| {
        out.write_all(&header)?;
        let mut buffer = Vec::new();
        for (level, tile) in layout.data_order() {
            let (at, len) = spooled[level][tile];
            if len == 0 {
                continue;
            }
            buffer.resize(len as usize, 0);
            let spool = &mut spools[level];
            spool.seek(SeekFrom::Start(at))?;
            spool.read_exact(&mut buffer)?;
            out.write_all(&buffer)?;
        }
        Ok(())
    })?;
    Ok(summary)
}
