//! HTTP from the browser: the references with a progress report, and
//! tiles with cancellation. Errors say what was requested and why it failed,
//! in words a user can act on.

use std::fmt;

use js_sys::{ArrayBuffer, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, ReadableStreamDefaultReader, Response};

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchError {
    /// The server answered with an error status.
    Status { status: u16, text: String },
    /// No answer the page may read: network down, host unknown, or refused
    /// by CORS (the browser does not tell a page which).
    Network(String),
    /// The request was cancelled (the tile left the view).
    Aborted,
    /// The URL is not one the browser can fetch.
    BadUrl(String),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Status { status, text } if text.is_empty() => write!(f, "HTTP {status}"),
            FetchError::Status { status, text } => write!(f, "HTTP {status} {text}"),
            FetchError::Network(detail) => write!(
                f,
                "network error or blocked by CORS (the server must send \
                 Access-Control-Allow-Origin for this page): {detail}"
            ),
            FetchError::Aborted => f.write_str("cancelled"),
            FetchError::BadUrl(detail) => write!(f, "not a URL the browser can fetch: {detail}"),
        }
    }
}

fn js_text(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}

/// `url` resolved against `base` (the page, or the references' URL for the
/// chunk URLs in them, which may be relative).
pub fn resolve_url(url: &str, base: &str) -> Result<String, FetchError> {
    web_sys::Url::new_with_base(url, base)
        .map(|u| u.href())
        .map_err(|e| FetchError::BadUrl(format!("{url:?}: {}", js_text(&e))))
}

/// The page's own URL.
pub fn page_url() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default()
}

async fn start(
    url: &str,
    signal: Option<&AbortSignal>,
    range: Option<(u64, u64)>,
) -> Result<Response, FetchError> {
    let init = web_sys::RequestInit::new();
    if let Some(signal) = signal {
        init.set_signal(Some(signal));
    }
    if let Some((offset, length)) = range {
        let headers = web_sys::Headers::new().map_err(|e| FetchError::Network(js_text(&e)))?;
        let last = offset + length.saturating_sub(1);
        headers
            .set("Range", &format!("bytes={offset}-{last}"))
            .map_err(|e| FetchError::Network(js_text(&e)))?;
        init.set_headers(&headers);
    }
    // The page's window, or a decoder worker's scope.
    let global = js_sys::global();
    let promise = if let Some(window) = global.dyn_ref::<web_sys::Window>() {
        window.fetch_with_str_and_init(url, &init)
    } else if let Some(scope) = global.dyn_ref::<web_sys::WorkerGlobalScope>() {
        scope.fetch_with_str_and_init(url, &init)
    } else {
        return Err(FetchError::Network("no fetch here".into()));
    };
    let response = JsFuture::from(promise)
        .await
        .map_err(|e| abort_or(e, signal))?;
    let response: Response = response
        .dyn_into()
        .map_err(|_| FetchError::Network("fetch gave no Response".into()))?;
    if !response.ok() {
        return Err(FetchError::Status {
            status: response.status(),
            text: response.status_text(),
        });
    }
    Ok(response)
}

fn abort_or(error: JsValue, signal: Option<&AbortSignal>) -> FetchError {
    if signal.is_some_and(|s| s.aborted()) {
        FetchError::Aborted
    } else {
        FetchError::Network(js_text(&error))
    }
}

/// Fetches `url` whole, calling `progress(loaded, total)` as bytes arrive
/// (`total` from Content-Length when the server sends it).
pub async fn fetch_with_progress(
    url: &str,
    mut progress: impl FnMut(u64, Option<u64>),
) -> Result<Vec<u8>, FetchError> {
    let mut bytes = Vec::new();
    fetch_in_pieces(url, |piece, loaded, total| {
        if bytes.is_empty() {
            bytes.reserve(total.unwrap_or(0).min(1 << 30) as usize);
        }
        bytes.extend_from_slice(piece);
        progress(loaded, total);
        true
    })
    .await?;
    Ok(bytes)
}

/// Fetches `url`, handing each piece of the body to `piece(bytes,
/// loaded, total)` as it arrives, so that it can be read without holding
/// the whole body (`total` from Content-Length when the server sends it).
/// `piece` returns false to stop reading (the rest is not downloaded).
pub async fn fetch_in_pieces(
    url: &str,
    mut piece: impl FnMut(&[u8], u64, Option<u64>) -> bool,
) -> Result<(), FetchError> {
    // One buffer in wasm memory for every piece.
    let mut scratch = Vec::new();
    fetch_in_js_pieces(url, None, |array, loaded, total| {
        scratch.resize(array.length() as usize, 0);
        array.copy_to(&mut scratch);
        piece(&scratch, loaded, total)
    })
    .await
}

/// [`fetch_in_pieces`] with each piece as the browser gives it, a
/// JavaScript array, for a caller that need not copy it into wasm memory;
/// `signal` aborts the download ([`FetchError::Aborted`]).
pub async fn fetch_in_js_pieces(
    url: &str,
    signal: Option<&AbortSignal>,
    mut piece: impl FnMut(&Uint8Array, u64, Option<u64>) -> bool,
) -> Result<(), FetchError> {
    let response = start(url, signal, None).await?;
    let total = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<u64>().ok());
    let Some(body) = response.body() else {
        piece(&Uint8Array::new_with_length(0), 0, total);
        return Ok(());
    };
    let reader: ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|_| FetchError::Network("the response body cannot be read".into()))?;
    let mut loaded = 0u64;
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| abort_or(e, signal))?;
        let done = Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            return Ok(());
        }
        if let Ok(value) = Reflect::get(&chunk, &"value".into()) {
            if let Some(array) = value.dyn_ref::<Uint8Array>() {
                loaded += u64::from(array.length());
                if !piece(array, loaded, total) {
                    let _ = reader.cancel();
                    return Ok(());
                }
            }
        }
    }
}

/// Fetches a file, or the byte range (offset, length) of one for
/// references of the `[url, offset, length]` form; cancelled when `signal`
/// aborts. The bytes stay a JavaScript `ArrayBuffer`, to be handed to a
/// decoder worker without copying them into this page's memory.
pub async fn fetch_buffer(
    url: &str,
    range: Option<(u64, u64)>,
    signal: &AbortSignal,
) -> Result<ArrayBuffer, FetchError> {
    let response = start(url, Some(signal), range).await?;
    let buffer = response
        .array_buffer()
        .map_err(|e| FetchError::Network(js_text(&e)))?;
    let buffer: ArrayBuffer = JsFuture::from(buffer)
        .await
        .map_err(|e| abort_or(e, Some(signal)))?
        .unchecked_into();
    match range {
        // A server that ignores Range sends the whole file (200).
        Some((offset, length))
            if response.status() == 200 && buffer.byte_length() as u64 > length =>
        {
            let end = offset.saturating_add(length);
            if end > u64::from(buffer.byte_length()) {
                return Err(FetchError::Network(
                    "the file is shorter than its reference says".into(),
                ));
            }
            Ok(buffer.slice_with_end(offset as u32, end as u32))
        }
        _ => Ok(buffer),
    }
}

/// The answer to a Range request.
pub struct RangeResponse {
    /// The body: the range asked for, or the whole file when the server
    /// ignores Range (`whole`).
    pub body: ArrayBuffer,
    /// The server sent the whole file (200) rather than the range (206).
    pub whole: bool,
    /// The file's length, from `Content-Range: bytes A-B/LEN` (`None`
    /// when the server does not expose the header to other origins), or
    /// the whole body's.
    pub file_len: Option<u64>,
}

/// Fetches `length` bytes of `url` at `offset` with a Range request,
/// saying whether the server sent just those or the whole file.
pub async fn fetch_range(
    url: &str,
    offset: u64,
    length: u64,
    signal: &AbortSignal,
) -> Result<RangeResponse, FetchError> {
    // A single `bytes=A-B` range is CORS-safe: no preflight request (a
    // suffix range, `bytes=-N`, would need one).
    let response = start(url, Some(signal), Some((offset, length.max(1)))).await?;
    let whole = response.status() == 200;
    let content_range = response.headers().get("content-range").ok().flatten();
    let body: ArrayBuffer = JsFuture::from(
        response
            .array_buffer()
            .map_err(|e| FetchError::Network(js_text(&e)))?,
    )
    .await
    .map_err(|e| abort_or(e, Some(signal)))?
    .unchecked_into();
    let file_len = if whole {
        Some(u64::from(body.byte_length()))
    } else {
        // "bytes A-B/LEN"
        content_range
            .as_deref()
            .and_then(|r| r.rsplit_once('/'))
            .and_then(|(_, len)| len.trim().parse().ok())
    };
    Ok(RangeResponse {
        body,
        whole,
        file_len,
    })
}
