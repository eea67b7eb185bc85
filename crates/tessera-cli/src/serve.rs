//! `tessera serve`: a static file server for local use that answers as the
//! data set's S3 bucket does — byte ranges, `ETag`, `Last-Modified` and, with
//! `--cors`, the CORS headers of a bucket configured for browser access — so
//! that the web app and fsspec/xarray can be tried against local files.
//!
//! Files are served by tower-http's `ServeDir`; this module adds what it
//! lacks: an `ETag` (a hash of size and modification time, in nanoseconds),
//! `If-None-Match` → 304 and `If-Range`, `Vary: Accept-Encoding` where a
//! precompressed `.gz` sibling exists, and S3-like CORS (no CORS header at
//! all for an origin that is not allowed, 403 for its preflight).

use std::fs::Metadata;
use std::future::IntoFuture;
use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tokio::sync::Notify;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// The folder to serve.
    #[arg(value_name = "DIR")]
    dir: PathBuf,

    /// Port to listen on; 0 picks a free one.
    #[arg(short, long, value_name = "P", default_value_t = 8080)]
    port: u16,

    /// Address to listen on (0.0.0.0 or :: for every interface).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    bind: IpAddr,

    /// Let web pages from ORIGIN (scheme://host[:port], e.g.
    /// http://localhost:9000; may be given several times) or from anywhere
    /// ('*') read the files, as a bucket's CORS rules do. Without it
    /// browsers block cross-origin reads.
    #[arg(long, value_name = "ORIGIN|*", value_parser = parse_cors_origin)]
    cors: Vec<CorsOrigin>,

    /// Print nothing on standard error but errors (no request log).
    #[arg(short, long)]
    quiet: bool,
}

/// How long open connections may go on after Ctrl-C or SIGTERM.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// `Access-Control-Max-Age` of preflight answers, as in S3's CORS examples.
const CORS_MAX_AGE: Duration = Duration::from_secs(3000);

pub fn run(args: &ServeArgs) -> Result<ExitCode> {
    let dir = &args.dir;
    let meta = std::fs::metadata(dir).with_context(|| format!("cannot serve {}", dir.display()))?;
    if !meta.is_dir() {
        bail!("cannot serve {}: not a directory", dir.display());
    }
    let cors = cors_layer(&args.cors)?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the server")?
        .block_on(serve(args, cors))
}

async fn serve(args: &ServeArgs, cors: Option<CorsLayer>) -> Result<ExitCode> {
    // Before anything is printed, so that a signal sent as soon as the
    // address is known stops the server cleanly.
    let signals = Signals::install()?;

    let addr = SocketAddr::new(args.bind, args.port);
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
            bail!("cannot listen on {addr}: address already in use (--port 0 picks a free port)")
        }
        Err(e) => return Err(e).with_context(|| format!("cannot listen on {addr}")),
    };
    let local = listener
        .local_addr()
        .with_context(|| format!("cannot listen on {addr}"))?;

    let files = Arc::new(Files {
        root: args.dir.clone(),
        plain: ServeDir::new(&args.dir),
        precompressed: ServeDir::new(&args.dir).precompressed_gzip(),
    });
    let mut app = Router::new().fallback(serve_file).with_state(files);
    if let Some(cors) = cors {
        app = app
            .layer(cors)
            .layer(middleware::from_fn(cors_only_for_allowed_origins));
    }
    if !args.quiet {
        app = app.layer(middleware::from_fn(log_request));
    }

    {
        // Scripts and tests read the port from this first line. A closed
        // standard output is no reason not to serve.
        let mut out = io::stdout().lock();
        let _ = writeln!(out, "Serving {} at http://{local}/", args.dir.display());
        let _ = out.flush();
    }

    let stopping = Arc::new(Notify::new());
    let notify = Arc::clone(&stopping);
    let quiet = args.quiet;
    let server = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            signals.recv().await;
            if !quiet {
                let _ = writeln!(io::stderr(), "tessera: shutting down");
            }
            notify.notify_one();
        })
        .into_future();
    tokio::select! {
        result = server => result.with_context(|| format!("serving on {local}"))?,
        () = async {
            stopping.notified().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => {
            if !quiet {
                let _ = writeln!(
                    io::stderr(),
                    "tessera: connections still open after {} s; closing them",
                    SHUTDOWN_GRACE.as_secs()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C and, on Unix, SIGTERM.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt()).context("handling Ctrl-C")?,
                terminate: signal(SignalKind::terminate()).context("handling SIGTERM")?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    async fn recv(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The served folder, through `ServeDir`: `precompressed` also sends
/// `FILE.gz` for `FILE` to clients accepting gzip, `plain` never does (for
/// Range requests, whose bytes must be those of FILE itself).
struct Files {
    root: PathBuf,
    plain: ServeDir,
    precompressed: ServeDir,
}

async fn serve_file(State(files): State<Arc<Files>>, mut req: Request) -> Response {
    let file = match local_path(&files.root, req.uri().path()) {
        Some(path) => file_to_serve(path, req.uri().path().ends_with('/')).await,
        None => None,
    };
    let (identity, gzipped) = match &file {
        Some(path) => (
            metadata_of_file(path.clone()).await,
            metadata_of_file(gz_sibling(path)).await,
        ),
        None => (None, None),
    };
    let identity_etag = identity.as_ref().and_then(|m| etag(m, ""));

    let headers = req.headers_mut();
    let if_none_match = headers.get(header::IF_NONE_MATCH).cloned();
    if if_none_match.is_some() {
        // RFC 9110 §13.1.3: If-None-Match takes precedence.
        headers.remove(header::IF_MODIFIED_SINCE);
    }
    if headers.contains_key(header::RANGE) {
        if let Some(if_range) = headers.get(header::IF_RANGE) {
            // Only a strong ETag match keeps the Range (a date is taken as
            // a mismatch, which is allowed: the client gets the whole file).
            if identity_etag.as_ref() != Some(if_range) {
                headers.remove(header::RANGE);
            }
        }
    }
    let mut dir = if headers.contains_key(header::RANGE) {
        files.plain.clone()
    } else {
        files.precompressed.clone()
    };

    let mut response = match dir.try_call(req).await {
        Ok(response) => response.map(Body::new),
        Err(_) => status_response(StatusCode::INTERNAL_SERVER_ERROR),
    };
    let status = response.status();
    if !matches!(
        status,
        StatusCode::OK | StatusCode::PARTIAL_CONTENT | StatusCode::NOT_MODIFIED
    ) {
        return response;
    }
    let headers = response.headers_mut();
    if gzipped.is_some() {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    // Browsers revalidate (cheaply, with If-None-Match) instead of guessing
    // how long a file that is being rebuilt stays fresh.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    let is_gzip = headers
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v == "gzip");
    let tag = if is_gzip {
        gzipped.as_ref().and_then(|m| etag(m, "-gz"))
    } else {
        identity_etag
    };
    let Some(tag) = tag else {
        return response;
    };
    if status != StatusCode::NOT_MODIFIED
        && if_none_match
            .as_ref()
            .is_some_and(|v| etag_list_matches(v, &tag))
    {
        return not_modified(&response, tag);
    }
    response.headers_mut().insert(header::ETAG, tag);
    response
}

/// The path below `root` that `ServeDir` reads for a request path, or
/// `None` where `ServeDir` refuses it (`..`, absolute parts, bad UTF-8).
fn local_path(root: &Path, uri_path: &str) -> Option<PathBuf> {
    let decoded = percent_encoding::percent_decode_str(uri_path.trim_start_matches('/'))
        .decode_utf8()
        .ok()?;
    let mut path = root.to_path_buf();
    for component in Path::new(&*decoded).components() {
        match component {
            Component::Normal(part)
                if Path::new(part)
                    .components()
                    .all(|c| matches!(c, Component::Normal(_))) =>
            {
                path.push(part)
            }
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(path)
}

/// `path`, or its `index.html` if it is a directory asked for with a
/// trailing slash.
async fn file_to_serve(path: PathBuf, trailing_slash: bool) -> Option<PathBuf> {
    match tokio::fs::metadata(&path).await {
        Ok(meta) if meta.is_dir() => trailing_slash.then(|| path.join("index.html")),
        _ => Some(path),
    }
}

fn gz_sibling(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".gz");
    PathBuf::from(name)
}

async fn metadata_of_file(path: PathBuf) -> Option<Metadata> {
    tokio::fs::metadata(path)
        .await
        .ok()
        .filter(Metadata::is_file)
}

/// A strong validator as S3 sends one: quoted, from the file's modification
/// time (nanoseconds) and size, then `suffix` (which tells a precompressed
/// representation from the file itself).
fn etag(meta: &Metadata, suffix: &str) -> Option<HeaderValue> {
    let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    let tag = format!("\"{:x}-{:x}{suffix}\"", modified.as_nanos(), meta.len());
    HeaderValue::try_from(tag).ok()
}

/// Whether an If-None-Match value (`*` or a list of entity tags, weak or
/// not) matches `tag` by weak comparison (RFC 9110 §13.1.2).
fn etag_list_matches(list: &HeaderValue, tag: &HeaderValue) -> bool {
    let (Ok(list), Ok(tag)) = (list.to_str(), tag.to_str()) else {
        return false;
    };
    list.trim() == "*"
        || list
            .split(',')
            .any(|t| t.trim().trim_start_matches("W/") == tag)
}

/// The 304 for a response whose validator the client already has.
fn not_modified(full: &Response, tag: HeaderValue) -> Response {
    let mut response = status_response(StatusCode::NOT_MODIFIED);
    let headers = response.headers_mut();
    headers.insert(header::ETAG, tag);
    for name in [header::LAST_MODIFIED, header::CACHE_CONTROL] {
        if let Some(value) = full.headers().get(&name) {
            headers.insert(name, value.clone());
        }
    }
    for value in full.headers().get_all(header::VARY) {
        headers.append(header::VARY, value.clone());
    }
    response
}

fn status_response(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

/// One line per request on standard error: method, path, status, bytes of
/// the body ("-" when not known in advance).
async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().to_string(), ToString::to_string);
    let response = next.run(req).await;
    let status = response.status();
    let bytes = if method == Method::HEAD || status == StatusCode::NOT_MODIFIED {
        "0".to_owned()
    } else if let Some(length) = response.headers().get(header::CONTENT_LENGTH) {
        String::from_utf8_lossy(length.as_bytes()).into_owned()
    } else {
        response
            .body()
            .size_hint()
            .exact()
            .map_or_else(|| "-".to_owned(), |n| n.to_string())
    };
    // One write per line, so that a reader never sees half of one.
    let line = format!("{method} {target} {} {bytes}\n", status.as_u16());
    let _ = io::stderr().lock().write_all(line.as_bytes());
    response
}

/// A `--cors` value: `*`, or an origin as browsers send it.
#[derive(Clone, Debug)]
enum CorsOrigin {
    Any,
    Exact(HeaderValue),
}

/// Parses `*` or `scheme://host[:port]`, lower-cased and without the
/// scheme's default port, as browsers write the Origin header.
fn parse_cors_origin(text: &str) -> Result<CorsOrigin, String> {
    const EXPECTED: &str = "expected '*' or an origin scheme://host[:port] such as http://localhost:9000, without path or trailing slash";
    if text == "*" {
        return Ok(CorsOrigin::Any);
    }
    let fail = |why: &str| Err(format!("{why}: {EXPECTED}"));
    let Some((scheme, authority)) = text.split_once("://") else {
        return fail("not an origin (no scheme://)");
    };
    let scheme = scheme.to_ascii_lowercase();
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok {
        return fail("bad scheme");
    }
    if authority.contains(['/', '?', '#']) {
        return fail("an origin has no path, query or fragment");
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return fail("unclosed [ in the host");
        };
        if inside.is_empty() || !inside.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
            return fail("bad IPv6 address");
        }
        let port = match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(port) => Some(port),
                None => return fail("unexpected text after ]"),
            },
        };
        (format!("[{inside}]"), port)
    } else {
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c));
        if !host_ok {
            return fail("bad or missing host");
        }
        (host.to_owned(), port)
    };
    let port = match port {
        None => None,
        Some(port) => match port.parse::<u16>() {
            Ok(n) if port.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return fail("bad port"),
        },
    };
    let default_port = match scheme.as_str() {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    };
    let origin = match port {
        Some(port) if Some(port) != default_port => {
            format!("{scheme}://{}:{port}", host.to_ascii_lowercase())
        }
        _ => format!("{scheme}://{}", host.to_ascii_lowercase()),
    };
    HeaderValue::try_from(origin)
        .map(CorsOrigin::Exact)
        .or_else(|_| fail("not a valid header value"))
}

/// The CORS rules of a bucket set up for browser access: GET and HEAD from
/// the given origins, Range (and conditional) request headers, and the
/// response headers a ranged reader needs exposed.
fn cors_layer(origins: &[CorsOrigin]) -> Result<Option<CorsLayer>> {
    if origins.is_empty() {
        return Ok(None);
    }
    let allow_origin = if origins.iter().any(|o| matches!(o, CorsOrigin::Any)) {
        if origins.len() > 1 {
            bail!(
                "--cors '*' allows every origin; it cannot be combined with other --cors origins"
            );
        }
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| match o {
            CorsOrigin::Exact(value) => Some(value.clone()),
            CorsOrigin::Any => None,
        }))
    };
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allow_origin)
            .allow_methods([Method::GET, Method::HEAD])
            .allow_headers([
                header::RANGE,
                header::IF_MATCH,
                header::IF_NONE_MATCH,
                header::IF_MODIFIED_SINCE,
                header::IF_UNMODIFIED_SINCE,
                header::IF_RANGE,
            ])
            .expose_headers([
                header::ACCEPT_RANGES,
                header::CONTENT_ENCODING,
                header::CONTENT_LENGTH,
                header::CONTENT_RANGE,
                header::ETAG,
                header::LAST_MODIFIED,
            ])
            .max_age(CORS_MAX_AGE),
    ))
}

/// As S3 does: a request from an origin that is not allowed gets no CORS
/// header at all (`CorsLayer` would still send the exposed and allowed
/// headers), and its preflight is refused with 403. `Vary` stays.
async fn cors_only_for_allowed_origins(req: Request, next: Next) -> Response {
    let preflight = req.method() == Method::OPTIONS;
    let mut response = next.run(req).await;
    if response
        .headers()
        .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    {
        return response;
    }
    let cors_headers: Vec<HeaderName> = response
        .headers()
        .keys()
        .filter(|name| name.as_str().starts_with("access-control-"))
        .cloned()
        .collect();
    for name in cors_headers {
        response.headers_mut().remove(name);
    }
    if preflight {
        *response.status_mut() = StatusCode::FORBIDDEN;
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(text: &str) -> Result<String, String> {
        parse_cors_origin(text).map(|o| match o {
            CorsOrigin::Any => "*".to_owned(),
            CorsOrigin::Exact(v) => String::from_utf8_lossy(v.as_bytes()).into_owned(),
        })
    }

    #[test]
    fn cors_origins_are_checked_and_normalized() {
        assert_eq!(origin("*").unwrap(), "*");
        assert_eq!(
            origin("http://localhost:9000").unwrap(),
            "http://localhost:9000"
        );
        assert_eq!(
            origin("HTTPS://Example.COM:443").unwrap(),
            "https://example.com"
        );
        assert_eq!(origin("http://[::1]:8080").unwrap(), "http://[::1]:8080");
        assert_eq!(origin("http://127.0.0.1").unwrap(), "http://127.0.0.1");
        for bad in [
            "",
            "**",
            "localhost:9000",
            "http://",
            "http://localhost:9000/",
            "http://localhost/path",
            "http://host?x",
            "http://user@host",
            "http://host:",
            "http://host:99999",
            "http://host:+80",
            "http://[::1",
            "1http://host",
            "http://ho st",
        ] {
            assert!(origin(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn request_paths_stay_below_the_root() {
        let root = Path::new("/srv");
        assert_eq!(
            local_path(root, "/a/b.tif"),
            Some(PathBuf::from("/srv/a/b.tif"))
        );
        assert_eq!(
            local_path(root, "/a%20b/./c"),
            Some(PathBuf::from("/srv/a b/c"))
        );
        assert_eq!(local_path(root, "/"), Some(PathBuf::from("/srv")));
        for bad in [
            "/../x",
            "/%2e%2e/x",
            "/a/..%2f..%2fx",
            "//etc/passwd",
            "/%ff",
        ] {
            let path = local_path(root, bad);
            assert!(
                path.as_ref()
                    .is_none_or(|p| p.starts_with(root)
                        && !p.components().any(|c| c == Component::ParentDir)),
                "{bad:?} -> {path:?}"
            );
        }
        assert_eq!(local_path(root, "/../x"), None);
        assert_eq!(local_path(root, "/%2e%2e/x"), None);
    }

    #[test]
    fn if_none_match_lists() {
        let tag = HeaderValue::from_static("\"1a-2b\"");
        let matches = |v: &'static str| etag_list_matches(&HeaderValue::from_static(v), &tag);
        assert!(matches("\"1a-2b\""));
        assert!(matches("W/\"1a-2b\""));
        assert!(matches("\"x\", \"1a-2b\""));
        assert!(matches("*"));
        assert!(!matches("\"1a-2c\""));
        assert!(!matches("1a-2b"));
    }
}
