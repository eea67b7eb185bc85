//! `tessera demo`: the offline demo data set (a thin shell over
//! `tessera-demo`).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tessera_demo::generate::RELATIVE_BASE_URL;
use tessera_demo::{BoundingBox, Coverage, Model};

#[derive(clap::Args)]
pub struct DemoArgs {
    /// The folder to write into (made if missing).
    #[arg(long, value_name = "DIR", default_value = "demo")]
    out: PathBuf,

    /// Only the land tiles overlapping this box, WEST,SOUTH,EAST,NORTH in
    /// degrees (default: latitude 32–37 N, longitude 122–114 W around the
    /// seed's selection, plus 8 land tiles around the world).
    #[arg(long, value_name = "W,S,E,N", allow_hyphen_values = true)]
    bbox: Option<BoundingBox>,

    /// Seed of the synthetic landscape and noise: the same seed and tiles
    /// give the same bytes.
    #[arg(long, value_name = "N", default_value_t = 1)]
    seed: u64,

    /// URL of the data/tiles/ folder written into refs.json (default: the
    /// relative "data/tiles/", which works wherever DIR is served).
    #[arg(long, value_name = "URL", default_value = RELATIVE_BASE_URL)]
    baseurl: String,

    /// Do not write DIR/overviews/ (the COGs that let the map show the
    /// whole globe; see `tessera overviews`).
    #[arg(long)]
    no_overviews: bool,

    /// Print nothing on standard error but errors.
    #[arg(short, long)]
    quiet: bool,
}

/// Where the demo's overviews go, beside its references.
pub const OVERVIEWS_DIR: &str = "overviews";

pub fn run(args: &DemoArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let model = Model::new(args.seed).context("loading the land polygons")?;
    let coverage = match &args.bbox {
        Some(bbox) => Coverage::bounding_box(model.land(), bbox),
        None => Coverage::default_tiles(model.land()),
    };
    if coverage.tiles().is_empty() {
        anyhow::bail!(
            "no land tile overlaps --bbox {}: the data set has no sea tiles",
            args.bbox.map(|b| b.to_string()).unwrap_or_default()
        );
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;

    let terminal = std::io::stderr().is_terminal();
    let bar = ProgressBar::with_draw_target(
        None,
        if args.quiet || !terminal {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        },
    );
    // Without a terminal (CI logs, pipes), a line at every tenth instead.
    let tenths_shown = AtomicU64::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} generating {pos}/{len} files {wide_bar} {msg} ETA {eta}",
        )
        .expect("a valid progress template")
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let outcome = tessera_demo::generate(&model, &coverage, &args.out, &args.baseurl, &|p| {
        bar.set_length(p.files_total);
        bar.set_position(p.files_done);
        bar.set_message(format!("{} MB", p.bytes / 1_000_000));
        let tenths = (p.files_done * 10).checked_div(p.files_total).unwrap_or(0);
        if !args.quiet && !terminal && tenths > tenths_shown.fetch_max(tenths, Ordering::Relaxed) {
            eprintln!(
                "generated {}/{} files, {} MB, {:.0} s",
                p.files_done,
                p.files_total,
                p.bytes / 1_000_000,
                started.elapsed().as_secs_f64()
            );
        }
    })
    .with_context(|| format!("generating the demo in {}", args.out.display()))?;
    bar.finish_and_clear();

    if !args.quiet {
        let m = &outcome.manifest;
        eprintln!(
            "{} {} GeoTIFFs ({:.1} GB) on {} tiles in {}, seed {}{}",
            if outcome.reused { "Reused" } else { "Wrote" },
            m.files,
            m.bytes as f64 / 1e9,
            m.tiles.len(),
            args.out.display(),
            m.seed,
            if outcome.reused {
                " (same generator, seed and tiles)".to_string()
            } else {
                format!(" in {:.1} s", started.elapsed().as_secs_f64())
            },
        );
        eprintln!("Listing:    {}", outcome.listing.display());
        eprintln!(
            "References: {} (base URL {})",
            outcome.refs.display(),
            args.baseurl
        );
    }
    if !args.no_overviews {
        let dir = args.out.join(OVERVIEWS_DIR);
        let manifest = dir.join(crate::overviews::MANIFEST);
        let current =
            crate::overviews::manifest_is_current(&manifest, crate::overviews::DEFAULT_RESOLUTION);
        if outcome.reused && current {
            if !args.quiet {
                eprintln!("Overviews: {} (reused)", dir.display());
            }
        } else {
            // A manifest only once the COGs are all there, so that an
            // interrupted run is made again next time.
            let _ = std::fs::remove_file(&manifest);
            let made = crate::overviews::make(&crate::overviews::OverviewsArgs {
                refs: outcome.refs.clone(),
                output: dir.clone(),
                layers: Vec::new(),
                resolution: crate::overviews::DEFAULT_RESOLUTION,
                shard: None,
                compression: crate::overviews::Compression::Deflate,
                quiet: true,
                rebase: Some((args.baseurl.clone(), args.out.join("data/tiles"))),
            })
            .context("writing the demo's overviews")?;
            if !args.quiet {
                eprintln!(
                    "Overviews: {} ({} COGs of {} files at {}° in {:.1} s)",
                    dir.display(),
                    made.cogs,
                    made.files,
                    crate::overviews::DEFAULT_RESOLUTION,
                    made.seconds
                );
            }
            if made.failed_files > 0 {
                anyhow::bail!(
                    "{} of the demo's files could not be read",
                    made.failed_files
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
