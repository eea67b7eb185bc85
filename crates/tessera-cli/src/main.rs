//! `tessera`: the command line of Tessera, a thin shell over `tessera-core`.

mod demo;
mod export;
mod files;
mod overviews;
mod serve;

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tessera_core::listing::Listing;
use tessera_core::reader::{ChunkRef, References};
use tessera_core::writer::{self, BUCKET_TILES_URL};
use tessera_core::zarr::ArrayValues;
use tessera_core::{ChunkKey, FileName, Variable};

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

    /// Read a reference JSON (fsspec version 0 or 1) and summarize it:
    /// variables, file counts, shapes, coordinates; or resolve chunk keys.
    ///
    /// Checks what the web app and xarray rely on: every data variable's
    /// .zarray matches the global grid, every chunk key parses, every
    /// coordinate array decodes. Errors name the key at fault.
    ///
    /// Example:
    ///
    ///   tessera info earthbigdata.json --key COH/0.0.1.46.59
    #[command(verbatim_doc_comment)]
    Info(InfoArgs),

    /// Write the offline demo data set: GeoTIFFs named, laid out and
    /// encoded like the bucket's files, the listing they correspond to and
    /// the reference JSON made from it.
    ///
    /// DIR/data/tiles/<TILE>/<FILE>.tif   1200x1200 GeoTIFFs (LZW, 6-row strips)
    /// DIR/listing.txt                    the aws s3 ls --recursive listing
    /// DIR/refs.json                      its reference JSON (tessera refs)
    /// DIR/tessera-demo.json              what was made, to reuse next time
    ///
    /// The values follow a synthetic landscape over Natural Earth's
    /// coastlines: coherence decaying with the repeat interval as
    /// (1 - rho) exp(-t/tau) + rho with the rho and tau files written,
    /// seasons, vegetation, lakes, backscatter in dB, incidence angles across
    /// each orbit's swath, layover and shadow on steep terrain. Sea is no
    /// data. The same seed and tiles give the same bytes, and a second run
    /// with them reuses the files (only refs.json is written again).
    ///
    /// Example:
    ///
    ///   tessera demo --out demo && tessera serve demo
    #[command(verbatim_doc_comment)]
    Demo(demo::DemoArgs),

    /// Serve a folder over HTTP for local use, as the data set's S3 bucket
    /// serves its files: Range requests, ETag and Last-Modified, and with
    /// --cors the CORS headers of a bucket set up for browser access.
    ///
    /// Once listening it prints one line on standard output,
    /// "Serving DIR at http://127.0.0.1:PORT/" (--port 0 picks a free port),
    /// then one line per request on standard error (-q: none). Directories
    /// serve their index.html; FILE.gz beside FILE is sent, gzip-encoded,
    /// to clients that accept it. Ctrl-C or SIGTERM stops the server.
    ///
    /// Example:
    ///
    ///   tessera serve demo --cors '*'
    #[command(verbatim_doc_comment)]
    Serve(serve::ServeArgs),

    /// Make overviews of whole layers: one Cloud-Optimized GeoTIFF per
    /// layer covering the whole grid (82 N to 79 S, 180 W to 180 E), so
    /// that a map can show the globe at every zoom.
    ///
    /// Each COG is one band of the layer's stored type at --resolution
    /// degrees, tiled 512x512, LZW (or Deflate) with the horizontal
    /// predictor, with internal overviews halving down to the first level
    /// under 1024 pixels wide, GDAL_NODATA 0, EPSG:4326. Tiles with no data
    /// are not written (sparse, as GDAL's SPARSE_OK). A pixel is the mean of
    /// the valid source pixels whose centres fall in it (AMP: in power;
    /// lsmap: the most severe category), at every level.
    ///
    /// DIR/<variable>/<layer>.tif   e.g. DIR/COH/winter_vv_COH12.tif
    /// DIR/overviews.json           layers, URLs, levels (for the app)
    ///
    /// Source files are read from the references' URLs (HTTP(S), file://
    /// or paths relative to REFS) and decoded on all cores; memory does not
    /// grow with the layer. A file that cannot be read is named, its pixels
    /// are left nodata, and the exit code is 2.
    ///
    /// Examples:
    ///
    ///   tessera overviews demo/refs.json -o demo/overviews
    ///   tessera overviews refs.json -o out --layers COH,summer_vv_AMP
    ///   tessera overviews refs.json -o out --shard "$AWS_BATCH_JOB_ARRAY_INDEX/64"
    #[command(verbatim_doc_comment)]
    Overviews(overviews::OverviewsArgs),

    /// Export a layer over an area as a GeoTIFF of the data's own pixels
    /// (or coarser ones), with the same values the web app's map shows,
    /// and optionally the Python that selects the same array with fsspec
    /// and xarray. The web app's "GeoTIFF" download writes the same bytes
    /// for the same view.
    ///
    /// The GeoTIFF has one band: the variable's stored type (DNs, uint8 or
    /// uint16, GDAL_NODATA 0) for a stored layer, float32 in physical units
    /// (GDAL_NODATA nan) for a derived map; tiled 256x256, Deflate,
    /// EPSG:4326, with the variable, layer, scaling and source files in
    /// its GDAL metadata. A file that cannot be read is named, its pixels
    /// are no data, and the exit code is 2.
    ///
    /// Examples:
    ///
    ///   tessera export demo/refs.json --bbox 36,32.5,-121,-115 \
    ///       --view 'var=COH&season=winter&pol=vv&days=12' -o socal.tif
    ///   tessera export refs.json --bbox 36,35,-119,-118 --step 12 \
    ///       --view 'var=rho&derive=gamma&t=24' -o gamma24.tif --python gamma24.py
    #[command(verbatim_doc_comment)]
    Export(export::ExportArgs),
}

#[derive(clap::Args)]
struct InfoArgs {
    /// The reference JSON; "-" reads standard input.
    #[arg(value_name = "REFS")]
    refs: PathBuf,

    /// Print where this chunk is (e.g. COH/0.0.1.46.59 or the file name
    /// N36W121_winter_vv_COH12.tif); may be given several times.
    #[arg(long, value_name = "KEY")]
    key: Vec<String>,
}

#[derive(clap::Args)]
struct RefsArgs {
    /// The bucket listing; "-" reads standard input.
    #[arg(value_name = "LISTING")]
    listing: PathBuf,

    /// Where to write the reference JSON (default: standard output), or
    /// the folder of the parquet references (required for parquet).
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,

    /// json: one fsspec reference JSON, as the seed writes. parquet:
    /// kerchunk's parquet layout (a folder with .zmetadata and
    /// <variable>/refs.<n>.parq), which fsspec reads one record file at a
    /// time.
    #[arg(long, value_enum, default_value = "json")]
    format: RefsFormat,

    /// Parquet only: references per record file.
    #[arg(long, value_name = "N", default_value_t = tessera_core::parquet_refs::DEFAULT_RECORD_SIZE)]
    record_size: usize,

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

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum RefsFormat {
    Json,
    Parquet,
}

/// Exit code when --strict finds skipped lines.
const EXIT_STRICT: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Serve(_)) {
        remove_temporary_files_on_signal();
    }
    let result = match cli.command {
        Command::Refs(args) => refs(&args),
        Command::Info(args) => info(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Overviews(args) => overviews::run(&args),
        Command::Export(args) => export::run(&args),
    };
    match result {
        Ok(code) => code,
        // `tessera info … | head` closing the pipe early is not an error.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<io::Error>()
                    .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tessera: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn refs(args: &RefsArgs) -> Result<ExitCode> {
    let text = read_input(&args.listing, "the listing")?;
    let listing = Listing::parse(&text).with_context(|| display(&args.listing))?;

    let problems = listing.problems();
    if listing.files().is_empty() {
        // Binary garbage, a gzip file or an empty file: nothing to write.
        bail!(
            "{}: no file of the data set in {} lines ({} without .tif, {} .tif lines skipped); nothing written",
            display(&args.listing),
            listing.line_count(),
            listing.other_line_count(),
            problems.len()
        );
    }
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

    let bar = progress_bar(listing.files().len() as u64, args.quiet, REFS_BAR);
    let mut on_progress = |p: writer::Progress| bar.set_position(p.files_written);
    if args.format == RefsFormat::Parquet {
        let Some(folder) = &args.output else {
            bail!("--format parquet writes a folder: give it with -o");
        };
        let mut json = Vec::new();
        writer::write_references(&mut json, &listing, &args.baseurl, &mut on_progress)
            .context("writing the references")?;
        bar.finish_and_clear();
        write_parquet(&json, folder, args.record_size, args.quiet)?;
        return Ok(ExitCode::SUCCESS);
    }
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

/// Writes the references `json` (as `tessera refs` makes them) in
/// kerchunk's parquet layout into `folder`, replacing a previous store
/// there only once the new one is complete.
fn write_parquet(json: &[u8], folder: &Path, record_size: usize, quiet: bool) -> Result<()> {
    let refs = References::from_json(json).context("reading back the references")?;
    let total: usize = Variable::ALL.iter().map(|&v| refs.chunk_count(v)).sum();
    let bar = progress_bar(total as u64, quiet, REFS_BAR);
    bar.set_message("parquet");
    let (files, summaries) =
        tessera_core::parquet_refs::parquet_store(&refs, record_size, |done| {
            bar.set_position(done as u64)
        })?;
    bar.finish_and_clear();
    let bytes = tessera_core::parquet_refs::write_store(&files, folder)?;
    if !quiet {
        for s in &summaries {
            eprintln!(
                "{:<10} {} chunks in {} record files",
                s.name, s.chunks, s.record_files
            );
        }
        eprintln!(
            "{}: {} files, {:.1} MB, {record_size} references per record file",
            folder.display(),
            files.len(),
            bytes as f64 / 1e6
        );
    }
    Ok(())
}

fn info(args: &InfoArgs) -> Result<ExitCode> {
    let source = display(&args.refs);
    let bytes = read_input(&args.refs, "the references")?;
    let started = std::time::Instant::now();
    let refs = References::from_json(&bytes).with_context(|| format!("reading {source}"))?;
    let elapsed = started.elapsed();

    let mut out = io::stdout().lock();
    let mut code = ExitCode::SUCCESS;
    if !args.key.is_empty() {
        for text in &args.key {
            match parse_key(text) {
                Err(why) => {
                    eprintln!("tessera: {text}: {why}");
                    code = ExitCode::FAILURE;
                }
                Ok(key) => match refs.chunk(key) {
                    Some(ChunkRef::Remote(remote)) => match remote.range {
                        None => writeln!(out, "{key}\t{}\t{remote}", key.file_name())?,
                        Some(r) => writeln!(
                            out,
                            "{key}\t{}\t{remote}\tbytes {}+{}",
                            key.file_name(),
                            r.offset,
                            r.length
                        )?,
                    },
                    Some(ChunkRef::Inline(data)) => writeln!(
                        out,
                        "{key}\t{}\tinline, {} bytes",
                        key.file_name(),
                        data.len()
                    )?,
                    None => writeln!(out, "{key}\t{}\tno file: reads as 0", key.file_name())?,
                },
            }
        }
        return Ok(code);
    }

    writeln!(
        out,
        "{source}: fsspec references version {}, {} bytes, read in {:.2} s",
        refs.version(),
        bytes.len(),
        elapsed.as_secs_f64()
    )?;
    writeln!(out, "URL prefix: {}", refs.url_prefix())?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<6} {:>9}  {:<30} {:<7} dimensions",
        "array", "files", "shape", "dtype"
    )?;
    for variable in refs.variables() {
        let shape: Vec<String> = variable.shape().iter().map(u64::to_string).collect();
        let dims: Vec<&str> = variable.dimensions().iter().map(|d| d.name()).collect();
        writeln!(
            out,
            "{:<6} {:>9}  {:<30} {:<7} {}",
            variable.name(),
            refs.chunk_count(variable),
            shape.join(", "),
            variable.dtype().name(),
            dims.join(", ")
        )?;
    }
    let absent: Vec<&str> = Variable::ALL
        .iter()
        .filter(|v| !refs.variables().any(|w| w == **v))
        .map(|v| v.name())
        .collect();
    if !absent.is_empty() {
        writeln!(out, "not in these references: {}", absent.join(", "))?;
    }
    writeln!(out)?;
    writeln!(out, "coordinates:")?;
    for dim in [
        tessera_core::Dimension::Latitude,
        tessera_core::Dimension::Longitude,
        tessera_core::Dimension::Season,
        tessera_core::Dimension::Polarization,
        tessera_core::Dimension::Coherence,
        tessera_core::Dimension::Orbit,
        tessera_core::Dimension::FlightDirection,
    ] {
        if refs.array_metadata(dim.name()).is_none() {
            writeln!(out, "  {:<16} (absent)", dim.name())?;
            continue;
        }
        match refs.coordinate(dim) {
            Ok(values) => writeln!(out, "  {:<16} {}", dim.name(), describe(&values))?,
            Err(e) => {
                writeln!(out, "  {:<16} error: {e}", dim.name())?;
                code = ExitCode::FAILURE;
            }
        }
    }
    Ok(code)
}

/// A chunk key as `VAR/i.j.k…` or as a file name of the bucket.
fn parse_key(text: &str) -> Result<ChunkKey, String> {
    let name = text.rsplit('/').next().unwrap_or(text);
    if name.ends_with(".tif") {
        return FileName::parse(name)
            .map(FileName::key)
            .map_err(|e| e.to_string());
    }
    let (variable, indices) = text
        .split_once('/')
        .ok_or("expected VARIABLE/i.j… or a file name like N36W121_winter_vv_COH12.tif")?;
    let variable = Variable::from_name(variable).ok_or_else(|| {
        format!("unknown variable {variable:?} (COH, AMP, tau, rmse, rho, inc, lsmap)")
    })?;
    ChunkKey::parse_indices(variable, indices).map_err(|e| e.to_string())
}

/// Length, first and last values of a coordinate array.
fn describe(values: &ArrayValues) -> String {
    fn ends<T: std::fmt::Debug>(v: &[T]) -> String {
        match v {
            [] => "empty".into(),
            [one] => format!("{one:?}"),
            [a, b] => format!("{a:?}, {b:?}"),
            [first, .., last] if v.len() > 8 => format!("{first:?} … {last:?}"),
            all => all
                .iter()
                .map(|x| format!("{x:?}"))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
    let (dtype, text) = match values {
        ArrayValues::U8(v) => ("uint8", ends(v)),
        ArrayValues::U16(v) => ("uint16", ends(v)),
        ArrayValues::I32(v) => ("int32", ends(v)),
        ArrayValues::F32(v) => ("float32", ends(v)),
        ArrayValues::F64(v) => ("float64", ends(v)),
        ArrayValues::Str(v) => ("str", ends(v)),
    };
    format!("{:>7} {dtype:<8} {text}", values.len())
}

fn display(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".into()
    } else {
        path.display().to_string()
    }
}

/// An input's bytes: a memory map of a file, or standard input read whole.
enum InputBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for InputBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            InputBytes::Mapped(map) => map,
            InputBytes::Read(bytes) => bytes,
        }
    }
}

fn read_input(path: &Path, what: &str) -> Result<InputBytes> {
    let context = || format!("reading {what} {}", path.display());
    if path == Path::new("-") {
        let mut text = Vec::new();
        io::stdin()
            .lock()
            .read_to_end(&mut text)
            .with_context(|| format!("reading {what} from standard input"))?;
        return Ok(InputBytes::Read(text));
    }
    let file = File::open(path).with_context(context)?;
    let is_file = file.metadata().with_context(context)?.is_file();
    if is_file {
        // SAFETY: the map is only read, and only while this run lasts; as
        // with ripgrep, a file truncated by another process meanwhile is
        // outside what we guard against. Mapping saves copying ~100 MB.
        if let Ok(map) = unsafe { memmap2::Mmap::map(&file) } {
            return Ok(InputBytes::Mapped(map));
        }
    }
    let mut text = Vec::new();
    (&file).read_to_end(&mut text).with_context(context)?;
    Ok(InputBytes::Read(text))
}

/// Temporary files being written ([`write_atomically`]): removed if the
/// process is stopped by SIGINT or SIGTERM, which end it without running
/// destructors. (`serve` handles its signals with tokio.)
static TEMPORARY_FILES: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

fn remove_temporary_files_on_signal() {
    let installed = ctrlc::set_handler(|| {
        if let Ok(files) = TEMPORARY_FILES.lock() {
            for file in files.iter() {
                let _ = std::fs::remove_file(file);
            }
        }
        eprintln!("tessera: interrupted; nothing written");
        // 128 + SIGINT, as shells report an interrupted command.
        std::process::exit(130);
    });
    if let Err(e) = installed {
        eprintln!("tessera: warning: temporary files will stay if interrupted: {e}");
    }
}

/// Notes `path` as a temporary file while `write` runs, so that a signal
/// removes it.
fn while_temporary<T>(path: &Path, write: impl FnOnce() -> T) -> T {
    if let Ok(mut files) = TEMPORARY_FILES.lock() {
        files.push(path.to_path_buf());
    }
    let value = write();
    if let Ok(mut files) = TEMPORARY_FILES.lock() {
        files.retain(|f| f != path);
    }
    value
}

/// Writes through a temporary file beside `path` and renames it into place,
/// so that a failed run never leaves a truncated reference file behind.
/// Anything but a regular file (`/dev/null`, a FIFO) is written directly:
/// renaming over it would replace the device with a file.
pub(crate) fn write_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<T>,
) -> Result<T> {
    let existing = std::fs::metadata(path).ok();
    if existing
        .as_ref()
        .is_some_and(|m| m.is_file() && m.permissions().readonly())
    {
        bail!(
            "{} exists and is read-only: not replaced (remove it, or make it writable)",
            path.display()
        );
    }
    let special = existing.is_some_and(|m| !m.is_file());
    if special {
        let direct = (|| -> io::Result<T> {
            let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
            let value = write(&mut out)?;
            out.flush()?;
            Ok(value)
        })();
        return direct.with_context(|| format!("writing {}", path.display()));
    }
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
    let result = while_temporary(&tmp, || -> io::Result<T> {
        let file = File::create(&tmp)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let value = write(&mut out)?;
        out.into_inner().map_err(|e| e.into_error())?;
        std::fs::rename(&tmp, path)?;
        Ok(value)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

const REFS_BAR: &str = "{spinner} writing references {bar:40} {pos}/{len} files";

/// A progress bar on standard error (hidden when quiet or not a terminal)
/// in indicatif's `template`.
pub(crate) fn progress_bar(total: u64, quiet: bool, template: &str) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}
