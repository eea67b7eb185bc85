//! `tessera`: the command line of Tessera, a thin shell over `tessera-core`.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tessera_core::listing::Listing;
use tessera_core::writer::{self, BUCKET_TILES_URL};

/// Tessera: the Sentinel-1 Global Seasonal Coherence and Backscatter data set
/// (Earth Big Data) as one lazy multi-dimensional dataset.
#[derive(Parser)]
#[command(name = "tessera", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Turn a bucket listing into an fsspec ReferenceFileSystem JSON that
    /// xarray opens as one dataset.
    ///
    /// LISTING is the output of
    ///
    ///   aws s3 ls sentinel-1-global-coherence-earthbigdata/data/tiles --recursive
    ///
    /// Lines without ".tif" are skipped, as tifffile's example does. A ".tif"
    /// line that is not a file of the data set (unknown variable, season,
    /// polarization or repeat interval, tile outside N82..S78 / W180..E179,
    /// orbit outside 1..175, a second file for the same chunk) is reported
    /// with its line number and skipped; --strict makes that an error.
    ///
    /// The output is the JSON tifffile writes (byte-identical from
    /// "COH/.zattrs" on), except that chunk indices are always global
    /// (N82 and W180 are chunk 0), so a partial listing still lines up with
    /// the global latitude/longitude coordinates.
    ///
    /// Example:
    ///
    ///   tessera refs earthbigdata.txt -o earthbigdata.json
    #[command(verbatim_doc_comment)]
    Refs(RefsArgs),
}

#[derive(clap::Args)]
struct RefsArgs {
    /// The bucket listing; "-" reads standard input.
    #[arg(value_name = "LISTING")]
    listing: PathBuf,

    /// Where to write the reference JSON (default: standard output).
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,

    /// URL of the bucket's data/tiles/ folder that file paths are appended to.
    #[arg(long, value_name = "URL", default_value = BUCKET_TILES_URL)]
    baseurl: String,

    /// Fail (exit code 2, nothing written) if any .tif line is skipped.
    #[arg(long)]
    strict: bool,

    /// Print at most this many skipped lines (0: all of them).
    #[arg(long, value_name = "N", default_value_t = 50)]
    max_problems: usize,

    /// Print nothing on standard error but errors.
    #[arg(short, long)]
    quiet: bool,
}

/// Exit code when --strict finds skipped lines.
const EXIT_STRICT: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Refs(args) => refs(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tessera: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn refs(args: &RefsArgs) -> Result<ExitCode> {
    let text = read_listing(&args.listing)?;
    let listing = Listing::parse(&text).with_context(|| display(&args.listing))?;

    let problems = listing.problems();
    let shown = if args.max_problems == 0 {
        problems.len()
    } else {
        args.max_problems.min(problems.len())
    };
    if !args.quiet || args.strict {
        let source = display(&args.listing);
        for p in &problems[..shown] {
            eprintln!("tessera: {source}: {p}");
        }
        if shown < problems.len() {
            eprintln!(
                "tessera: … {} more skipped lines not shown (--max-problems 0 shows all)",
                problems.len() - shown
            );
        }
    }
    if args.strict && !problems.is_empty() {
        eprintln!(
            "tessera: error: {} .tif lines of {} are not files of the data set (--strict); nothing written",
            problems.len(),
            display(&args.listing)
        );
        return Ok(ExitCode::from(EXIT_STRICT));
    }

    let bar = progress_bar(listing.files().len() as u64, args.quiet);
    let mut on_progress = |p: writer::Progress| bar.set_position(p.files_written);
    let summaries = match &args.output {
        None => {
            let stdout = io::stdout();
            let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
            writer::write_references(&mut out, &listing, &args.baseurl, &mut on_progress)
                .and_then(|s| out.flush().map(|()| s))
                .context("writing to standard output")?
        }
        Some(path) => write_atomically(path, |out| {
            writer::write_references(out, &listing, &args.baseurl, &mut on_progress)
        })?,
    };
    bar.finish_and_clear();

    if !args.quiet {
        for s in &summaries {
            let shape: Vec<String> = s.shape.iter().map(u64::to_string).collect();
            let chunks: Vec<String> = s.variable.chunks().iter().map(u64::to_string).collect();
            eprintln!(
                "{:<5} files: {} ({} missing)  shape: {}  chunks: {}  dtype: {}",
                s.variable.name(),
                s.files,
                s.missing,
                shape.join(", "),
                chunks.join(", "),
                s.variable.dtype().name(),
            );
        }
        eprintln!(
            "{} files from {} lines ({} without .tif, {} skipped)",
            listing.files().len(),
            listing.line_count(),
            listing.other_line_count(),
            problems.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn display(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".into()
    } else {
        path.display().to_string()
    }
}

/// The listing's bytes: a memory map of a file, or standard input read whole.
enum ListingBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for ListingBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            ListingBytes::Mapped(map) => map,
            ListingBytes::Read(bytes) => bytes,
        }
    }
}

fn read_listing(path: &Path) -> Result<ListingBytes> {
    let context = || format!("reading the listing {}", path.display());
    if path == Path::new("-") {
        let mut text = Vec::new();
        io::stdin()
            .lock()
            .read_to_end(&mut text)
            .context("reading the listing from standard input")?;
        return Ok(ListingBytes::Read(text));
    }
    let file = File::open(path).with_context(context)?;
    let is_file = file.metadata().with_context(context)?.is_file();
    if is_file {
        // SAFETY: the map is only read, and only while this run lasts; as
        // with ripgrep, a listing truncated by another process meanwhile
        // is outside what we guard against. Mapping saves copying ~100 MB.
        if let Ok(map) = unsafe { memmap2::Mmap::map(&file) } {
            return Ok(ListingBytes::Mapped(map));
        }
    }
    let mut text = Vec::new();
    (&file).read_to_end(&mut text).with_context(context)?;
    Ok(ListingBytes::Read(text))
}

/// Writes through a temporary file beside `path` and renames it into place,
/// so that a failed run never leaves a truncated reference file behind.
fn write_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<T>,
) -> Result<T> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Some(name) = path.file_name() else {
        bail!("{}: not a file name", path.display());
    };
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> io::Result<T> {
        let file = File::create(&tmp)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let value = write(&mut out)?;
        out.into_inner().map_err(|e| e.into_error())?;
        std::fs::rename(&tmp, path)?;
        Ok(value)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

fn progress_bar(total: u64, quiet: bool) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} writing references {bar:40} {pos}/{len} files")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}
