//! Reading a reference document as it arrives, piece by piece.
//!
//! A browser receives the full data set's 151 MB document in pieces of tens
//! of kilobytes; collecting them first would hold the whole text and the
//! index at once. [`ReferenceStream`] takes each piece as it comes, indexes
//! every complete entry in it and keeps only the unfinished tail, so the
//! text never exists whole and the parse overlaps the download.
//!
//! The top level (and a version 1 document's `"refs"` object) is split into
//! entries here; each entry's value is then read as the one-shot reader
//! always did. The common `["url"]` value is taken without serde.

use std::borrow::Cow;
use std::io::Write;

use serde::de::{DeserializeSeed, IgnoredAny};
use serde_json::Value;

use super::{entry_error, Builder, Entry, EntryProblem, ReaderError, References};

/// A reference document read piece by piece: [`push`](Self::push) each
/// piece as it arrives, then [`finish`](Self::finish). A gzip-compressed
/// document (magic bytes `1f 8b`) is decompressed on the way
/// ([`DocumentText`]).
///
/// ```
/// # use tessera_core::reader::ReferenceStream;
/// let mut stream = ReferenceStream::new();
/// stream.push(br#"{".zgroup": "{\"zarr_format\": 2}","#)?;
/// stream.push(br#" "latitude/.zattrs": "{}"}"#)?;
/// let refs = stream.finish()?;
/// assert_eq!(refs.inline("latitude/.zattrs"), Some(&b"{}"[..]));
/// # Ok::<(), tessera_core::reader::ReaderError>(())
/// ```
pub struct ReferenceStream {
    text: DocumentText,
    splitter: Splitter,
    /// An error was returned: nothing more is read.
    failed: bool,
}

impl Default for ReferenceStream {
    fn default() -> Self {
        ReferenceStream::new()
    }
}

impl ReferenceStream {
    pub fn new() -> ReferenceStream {
        ReferenceStream::with_limit(super::MAX_DOCUMENT_BYTES)
    }

    /// Reads a gzip document up to `limit` bytes decompressed (an error
    /// past it, before the text is held).
    pub fn with_limit(limit: u64) -> ReferenceStream {
        ReferenceStream {
            text: DocumentText::with_limit(limit),
            splitter: Splitter::new(),
            failed: false,
        }
    }

    /// Reads the next piece of the document. After an error the stream is
    /// spent: later calls report that it failed.
    pub fn push(&mut self, piece: &[u8]) -> Result<(), ReaderError> {
        if self.failed {
            return Err(spent());
        }
        let result = self
            .text
            .push(piece)
            .and_then(|text| self.splitter.push(text, false));
        self.failed = result.is_err();
        result
    }

    /// Ends the document and builds the index.
    pub fn finish(mut self) -> Result<References, ReaderError> {
        if self.failed {
            return Err(spent());
        }
        let rest = self.text.finish()?;
        self.splitter.push(&rest, false)?;
        self.splitter.finish()
    }
}

/// The text of a reference document from its bytes as they arrive: the
/// bytes themselves, or, when they start with gzip's magic bytes `1f 8b`,
/// what they decompress to, whatever the file name or content type said
/// (a `.json.gz` served as is). Concatenated gzip members are one text.
///
/// A decoder worker uses it alone: it decompresses there, off the page's
/// thread, and the page reads the text ([`ReferenceStream`]).
///
/// ```
/// # use tessera_core::reader::DocumentText;
/// let mut text = DocumentText::new();
/// assert_eq!(text.push(b"{}")?, b"{}");
/// assert!(!text.is_gzip());
/// # Ok::<(), tessera_core::reader::ReaderError>(())
/// ```
pub struct DocumentText {
    input: Input,
    /// Most bytes a gzip document may decompress to.
    limit: u64,
    /// The first bytes of a plain document, held back while undecided and
    /// handed out with the piece that decided it.
    head: Vec<u8>,
}

enum Input {
    /// Fewer than two bytes so far: gzip or not is still open.
    Undecided,
    Plain,
    /// The decompressor writes into a buffer emptied at every piece.
    Gzip(Box<flate2::write::MultiGzDecoder<Capped>>),
    /// An error was returned; nothing more is read.
    Failed,
}

impl Default for DocumentText {
    fn default() -> Self {
        DocumentText::new()
    }
}

/// Most bytes a gzip reference document may decompress to by default:
/// the whole data set's document is 151 MB; a few MB of gzip can expand
/// to gigabytes of nothing.
pub const MAX_DOCUMENT_BYTES: u64 = 1 << 30;

/// The decompressor's output: emptied at every piece, and an error once
/// the document's text passes its limit.
struct Capped {
    out: Vec<u8>,
    total: u64,
    limit: u64,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.total += buf.len() as u64;
        if self.total > self.limit {
            return Err(std::io::Error::other(format!(
                "the document decompresses to more than {} bytes, the limit",
                self.limit
            )));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl DocumentText {
    /// Reads a document of any size plain, up to [`MAX_DOCUMENT_BYTES`]
    /// decompressed.
    pub fn new() -> DocumentText {
        DocumentText::with_limit(MAX_DOCUMENT_BYTES)
    }

    /// Reads a gzip document up to `limit` bytes decompressed.
    pub fn with_limit(limit: u64) -> DocumentText {
        DocumentText {
            input: Input::Undecided,
            head: Vec::new(),
            limit,
        }
    }

    /// Whether the document is gzip-compressed (false until two bytes came).
    pub fn is_gzip(&self) -> bool {
        matches!(self.input, Input::Gzip(_))
    }

    /// Whether the document is known to be plain text: from then on every
    /// piece is its own text, and a caller may pass pieces on without
    /// [`DocumentText::push`].
    pub fn is_plain(&self) -> bool {
        matches!(self.input, Input::Plain)
    }

    /// The text that `piece` completes: the piece itself for a plain
    /// document, what it decompresses to for gzip (possibly nothing yet).
    /// After an error, later calls report that the document failed.
    pub fn push<'a>(&'a mut self, piece: &'a [u8]) -> Result<&'a [u8], ReaderError> {
        if let Input::Undecided = self.input {
            self.head.extend_from_slice(piece);
            if self.head.len() < 2 {
                return Ok(&[]);
            }
            if !self.head.starts_with(&[0x1f, 0x8b]) {
                self.input = Input::Plain;
                return Ok(&self.head);
            }
            let head = std::mem::take(&mut self.head);
            self.input = Input::Gzip(Box::new(flate2::write::MultiGzDecoder::new(Capped {
                out: Vec::new(),
                total: 0,
                limit: self.limit,
            })));
            return self.inflate(&head);
        }
        self.head = Vec::new();
        match self.input {
            Input::Plain => Ok(piece),
            Input::Gzip(_) => self.inflate(piece),
            Input::Undecided | Input::Failed => Err(spent()),
        }
    }

    fn inflate(&mut self, piece: &[u8]) -> Result<&[u8], ReaderError> {
        let written = match &mut self.input {
            Input::Gzip(gzip) => {
                gzip.get_mut().out.clear();
                gzip.write_all(piece)
            }
            _ => return Err(spent()),
        };
        if let Err(e) = written {
            self.input = Input::Failed;
            return Err(ReaderError::Gzip(e.to_string()));
        }
        match &self.input {
            Input::Gzip(gzip) => Ok(&gzip.get_ref().out),
            _ => Err(spent()),
        }
    }

    /// Ends the document: the rest of its text (a gzip document that stops
    /// short is an error).
    pub fn finish(self) -> Result<Vec<u8>, ReaderError> {
        match self.input {
            // Fewer than two bytes: not gzip.
            Input::Undecided => Ok(self.head),
            Input::Plain => Ok(Vec::new()),
            Input::Gzip(mut gzip) => {
                gzip.get_mut().out.clear();
                gzip.try_finish()
                    .map_err(|e| ReaderError::Gzip(e.to_string()))?;
                gzip.finish()
                    .map(|capped| capped.out)
                    .map_err(|e| ReaderError::Gzip(e.to_string()))
            }
            Input::Failed => Err(spent()),
        }
    }
}

fn spent() -> ReaderError {
    ReaderError::Gzip("the document already failed to read".into())
}

/// Where the splitter is in the document's structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the opening `{`.
    Start,
    /// Where a key (or, if `first`, the closing `}`) comes: at the top
    /// level, or inside `"refs"`.
    Key { refs: bool, first: bool },
    /// After an entry: `,` or `}`.
    AfterEntry { refs: bool },
    /// After the closing `}`: only whitespace.
    End,
}

/// Splits the JSON text into entries as it arrives and feeds them to the
/// index builder.
pub(super) struct Splitter {
    builder: Builder,
    /// The unread tail of what arrived: never more than one unfinished
    /// entry plus the latest piece.
    buf: Vec<u8>,
    state: State,
    /// Where `buf[0]` is in the document, and the line bookkeeping for the
    /// bytes before it, for error positions.
    base: u64,
    lines_before: usize,
    line_start: u64,
    /// An unfinished entry is read again only once the tail has grown to
    /// this length (twice what it was at the last try): each byte is then
    /// scanned a bounded number of times however the document is cut
    /// into pieces, instead of once per piece (quadratic).
    retry_at: usize,
}

/// The least an unfinished tail grows by before it is read again.
const RETRY_MIN: usize = 64 << 10;

/// A syntax problem at `at` (an index into the text being split).
struct Syntax {
    at: usize,
    message: &'static str,
}

/// An incomplete entry: wait for more bytes (or, at the end, report `eof`).
type Step<T> = Result<Option<T>, Syntax>;

impl Splitter {
    pub(super) fn new() -> Splitter {
        Splitter {
            builder: Builder::default(),
            buf: Vec::new(),
            state: State::Start,
            base: 0,
            lines_before: 0,
            line_start: 0,
            retry_at: 0,
        }
    }

    /// Reads what `piece` completes; `last` when no more will come.
    pub(super) fn push(&mut self, piece: &[u8], last: bool) -> Result<(), ReaderError> {
        if self.buf.is_empty() {
            return self.push_in_place(piece, last);
        }
        if !last && self.buf.len() + piece.len() < self.retry_at {
            self.buf.extend_from_slice(piece);
            return Ok(());
        }
        let result = self.complete_tail(piece, last);
        self.retry_at = (2 * self.buf.len()).max(self.buf.len() + RETRY_MIN);
        result
    }

    /// [`push`](Self::push) when the last piece left an unfinished entry.
    fn complete_tail(&mut self, piece: &[u8], last: bool) -> Result<(), ReaderError> {
        // The unfinished entry left by the last piece is completed with
        // the start of this one, taken a little at a time, and the rest is
        // read in place: copying every piece behind the tail would cost a
        // copy of the whole document.
        let mut buf = std::mem::take(&mut self.buf);
        let mut tail = buf.len();
        let mut taken = 0;
        loop {
            let more = (2 * (taken + 256)).min(piece.len());
            buf.extend_from_slice(piece.get(taken..more).unwrap_or_default());
            taken = more;
            let all = taken == piece.len();
            let (consumed, result) = self.split(&buf, last && all);
            self.advance(&buf, consumed);
            if result.is_ok() && consumed >= tail {
                return self.push_in_place(piece.get(consumed - tail..).unwrap_or_default(), last);
            }
            buf.drain(..consumed.min(buf.len()));
            if result.is_err() || all {
                self.buf = buf;
                return result;
            }
            tail -= consumed;
        }
    }

    /// [`push`](Self::push) with nothing left from the last piece: reads
    /// straight from the piece and keeps only its unfinished tail.
    fn push_in_place(&mut self, piece: &[u8], last: bool) -> Result<(), ReaderError> {
        let (consumed, result) = self.split(piece, last);
        self.advance(piece, consumed);
        self.buf
            .extend_from_slice(piece.get(consumed..).unwrap_or_default());
        self.retry_at = (2 * self.buf.len()).max(self.buf.len() + RETRY_MIN);
        result
    }

    /// Reads the complete entries of `text`: how many bytes were read, and
    /// the first error.
    fn split(&mut self, text: &[u8], last: bool) -> (usize, Result<(), ReaderError>) {
        let mut pos = 0;
        loop {
            match self.step(text, pos, last) {
                Ok(Some(next)) => pos = next,
                Ok(None) => return (pos, Ok(())),
                Err(e) => return (pos, Err(e)),
            }
        }
    }

    /// Moves the document position past `text[..n]`, counting its lines.
    fn advance(&mut self, text: &[u8], n: usize) {
        let read = text.get(..n).unwrap_or(text);
        if let Some(last) = memchr::memrchr(b'\n', read) {
            self.lines_before += memchr::memchr_iter(b'\n', read).count();
            self.line_start = self.base + last as u64 + 1;
        }
        self.base += read.len() as u64;
    }

    pub(super) fn finish(mut self) -> Result<References, ReaderError> {
        self.push(&[], true)?;
        self.builder.finish()
    }

    /// The JSON error for a syntax problem at `buf[at]`, with serde_json's
    /// line and column conventions (1-based; the column counts bytes).
    fn json_error(&self, text: &[u8], at: usize, message: impl Into<String>) -> ReaderError {
        let (line, column) = self.line_column(text, at);
        ReaderError::Json {
            line,
            column,
            message: message.into(),
        }
    }

    /// The error for a document that ends too soon; serde_json places it
    /// on the last byte (column 0 on an empty line).
    fn eof_error(&self, text: &[u8], what: &str) -> ReaderError {
        let (line, column) = self.line_column(text, text.len());
        ReaderError::Json {
            line,
            column: column - 1,
            message: format!("EOF while parsing {what}"),
        }
    }

    fn line_column(&self, text: &[u8], at: usize) -> (usize, usize) {
        let before = text.get(..at).unwrap_or(text);
        let mut line = self.lines_before + 1;
        let mut line_start = self.line_start;
        for newline in memchr::memchr_iter(b'\n', before) {
            line += 1;
            line_start = self.base + newline as u64 + 1;
        }
        let column = (self.base + before.len() as u64 - line_start) as usize;
        (line, column + 1)
    }

    /// Reads one step of structure from `buf[pos..]`: returns where the
    /// next step starts, or `None` when more bytes are needed (or, with
    /// `last`, the document is complete).
    fn step(&mut self, text: &[u8], pos: usize, last: bool) -> Result<Option<usize>, ReaderError> {
        let at = skip_whitespace(text, pos);
        let Some(&byte) = text.get(at) else {
            return match (last, self.state) {
                // Whitespace between tokens is read, not kept for the
                // next piece.
                (false, _) if at > pos => Ok(Some(at)),
                (false, _) | (true, State::End) => Ok(None),
                (true, State::Start) => Err(self.eof_error(text, "a value")),
                (true, _) => Err(self.eof_error(text, "an object")),
            };
        };
        match self.state {
            State::Start => {
                if byte != b'{' {
                    return Err(self.not_an_object(text, at, last));
                }
                self.state = State::Key {
                    refs: false,
                    first: true,
                };
                Ok(Some(at + 1))
            }
            State::End => Err(self.json_error(text, at, "trailing characters")),
            State::AfterEntry { refs } => match byte {
                b',' => {
                    self.state = State::Key { refs, first: false };
                    Ok(Some(at + 1))
                }
                b'}' => {
                    self.state = if refs {
                        State::AfterEntry { refs: false }
                    } else {
                        State::End
                    };
                    Ok(Some(at + 1))
                }
                _ => Err(self.json_error(text, at, "expected `,` or `}`")),
            },
            State::Key { refs, first } => {
                if byte == b'}' {
                    if !first {
                        return Err(self.json_error(text, at, "trailing comma"));
                    }
                    self.state = State::AfterEntry { refs: false };
                    if !refs {
                        self.state = State::End;
                    }
                    return Ok(Some(at + 1));
                }
                if byte != b'"' {
                    return Err(self.json_error(text, at, "key must be a string"));
                }
                self.entry(text, at, refs, last)
            }
        }
    }

    /// The error for a document that does not start with `{`.
    fn not_an_object(&self, text: &[u8], at: usize, last: bool) -> ReaderError {
        let rest = text.get(at..).unwrap_or_default();
        match serde_json::from_slice::<IgnoredAny>(rest) {
            Err(e) if e.is_syntax() || (e.is_eof() && last) => self.serde_error(text, at, &e),
            _ => self.json_error(
                text,
                at,
                format!(
                    "invalid type: {}, expected a JSON object of references",
                    kind_of(rest)
                ),
            ),
        }
    }

    /// Reads the entry whose key starts at `buf[at]`.
    fn entry(
        &mut self,
        text: &[u8],
        at: usize,
        refs: bool,
        last: bool,
    ) -> Result<Option<usize>, ReaderError> {
        let eof = |s: &Self, what: &str| {
            if last {
                Err(s.eof_error(text, what))
            } else {
                Ok(None)
            }
        };
        if let Some(next) = self.plain_entry(text, at, refs)? {
            return Ok(Some(next));
        }
        let buf = text;
        let key_end = match string_end(buf, at) {
            Ok(Some(end)) => end,
            Ok(None) => return eof(self, "a string"),
            Err(s) => return Err(self.json_error(text, s.at, s.message)),
        };
        let colon = skip_whitespace(buf, key_end);
        match buf.get(colon) {
            None => return eof(self, "an object"),
            Some(b':') => {}
            Some(_) => return Err(self.json_error(text, colon, "expected `:`")),
        }
        let value_start = skip_whitespace(buf, colon + 1);
        if value_start >= buf.len() {
            return eof(self, "a value");
        }
        let top_level_refs = !refs && &buf[at..key_end] == b"\"refs\"";
        if top_level_refs && buf.get(value_start) == Some(&b'{') {
            // The references of a version 1 document: entries of their own.
            self.builder.v1_key.get_or_insert("refs");
            self.state = State::Key {
                refs: true,
                first: true,
            };
            return Ok(Some(value_start + 1));
        }
        let value_end = match value_end(buf, value_start) {
            Ok(Some(end)) => end,
            Ok(None) if last => {
                // Cut short: serde_json names what was being read.
                let rest = buf.get(value_start..).unwrap_or_default();
                return Err(match serde_json::from_slice::<IgnoredAny>(rest) {
                    Err(e) => self.serde_error(text, value_start, &e),
                    Ok(_) => self.eof_error(text, "a value"),
                });
            }
            Ok(None) => return Ok(None),
            Err(s) => return Err(self.json_error(text, s.at, s.message)),
        };
        let key = self.key(text, at, key_end)?;
        self.read_value(text, &key, refs, value_start, value_end)?;
        self.state = State::AfterEntry { refs };
        Ok(Some(value_end))
    }

    /// The common entry, `"KEY": ["URL"]` with no escapes or control
    /// characters in either string, read in one pass over each
    /// (a million times in the full data set's document): where the next
    /// step starts, or `None` for any other entry (or one cut short),
    /// which [`Splitter::entry`] reads in full.
    fn plain_entry(
        &mut self,
        text: &[u8],
        at: usize,
        refs: bool,
    ) -> Result<Option<usize>, ReaderError> {
        let Some((key, key_end)) = plain_string(text, at) else {
            return Ok(None);
        };
        let colon = skip_whitespace(text, key_end);
        if text.get(colon) != Some(&b':') {
            return Ok(None);
        }
        let open = skip_whitespace(text, colon + 1);
        if text.get(open) != Some(&b'[') {
            return Ok(None);
        }
        let Some((url, url_end)) = plain_string(text, open + 1) else {
            return Ok(None);
        };
        if text.get(url_end) != Some(&b']') {
            return Ok(None);
        }
        let b = &mut self.builder;
        if !refs {
            if matches!(key, "version" | "templates" | "gen" | "refs") {
                return Ok(None);
            }
            if b.first_direct_key.is_none() {
                b.first_direct_key = Some(key.to_string());
            }
        }
        b.add_url(key, url, None)?;
        self.state = State::AfterEntry { refs };
        Ok(Some(url_end + 1))
    }

    /// The key whose quoted text is `text[start..end]`.
    fn key<'t>(
        &self,
        text: &'t [u8],
        start: usize,
        end: usize,
    ) -> Result<Cow<'t, str>, ReaderError> {
        let quoted = text.get(start..end).unwrap_or_default();
        let inner = quoted
            .get(1..quoted.len().saturating_sub(1))
            .unwrap_or_default();
        if memchr::memchr(b'\\', inner).is_none() && !has_control(inner) {
            if let Ok(key) = std::str::from_utf8(inner) {
                return Ok(Cow::Borrowed(key));
            }
        }
        serde_json::from_slice::<String>(quoted)
            .map(Cow::Owned)
            .map_err(|e| self.serde_error(text, start, &e))
    }

    /// Reads the value `buf[start..end]` of `key`.
    fn read_value(
        &mut self,
        text: &[u8],
        key: &str,
        refs: bool,
        start: usize,
        end: usize,
    ) -> Result<(), ReaderError> {
        let b = &mut self.builder;
        let value = text.get(start..end).unwrap_or_default();
        if !refs {
            if matches!(key, "version" | "templates" | "gen" | "refs") {
                let parsed: Value =
                    serde_json::from_slice(value).map_err(|e| self.serde_error(text, start, &e))?;
                let b = &mut self.builder;
                return match key {
                    "version" => b.set_version(parsed),
                    "templates" => {
                        b.v1_key.get_or_insert("templates");
                        b.set_templates(parsed)
                    }
                    "gen" => {
                        b.v1_key.get_or_insert("gen");
                        b.set_gen(parsed)
                    }
                    _ => {
                        b.v1_key.get_or_insert("refs");
                        Err(entry_error(
                            "refs",
                            EntryProblem::NotAnObject(kind_of(value)),
                        ))
                    }
                };
            }
            if b.first_direct_key.is_none() {
                b.first_direct_key = Some(key.to_string());
            }
        }
        // The common case, `["url"]` with a plain URL, without serde.
        if let Some(url) = plain_single_url(value) {
            return b.add_url(key, url, None);
        }
        let mut de = serde_json::Deserializer::from_slice(value);
        let result = Entry { b, key }
            .deserialize(&mut de)
            .and_then(|()| de.end());
        if let Some(error) = self.builder.error.take() {
            return Err(error);
        }
        result.map_err(|e| self.serde_error(text, start, &e))
    }

    /// A serde_json error in the text that starts at `buf[start]`, placed
    /// in the whole document.
    fn serde_error(&self, text: &[u8], start: usize, e: &serde_json::Error) -> ReaderError {
        // A value cut short by the splitter (`nul` of `nul}`) is an EOF to
        // serde, which reading on finds where reading the whole would.
        let rest = text.get(start..).unwrap_or_default();
        let on = e.is_eof().then(|| {
            serde_json::Deserializer::from_slice(rest)
                .into_iter::<IgnoredAny>()
                .next()
        });
        let e = match &on {
            Some(Some(Err(further))) if !further.is_eof() => further,
            _ => e,
        };
        let (line, column) = self.line_column(text, start);
        let (line, column) = if e.line() <= 1 {
            (line, column + e.column().saturating_sub(1))
        } else {
            (line + e.line() - 1, e.column())
        };
        let message = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        ReaderError::Json {
            line,
            column,
            message: message
                .strip_suffix(&suffix)
                .unwrap_or(&message)
                .to_string(),
        }
    }
}

/// `url` when `value` is exactly `["url"]` with no escapes or control
/// characters in the URL.
fn plain_single_url(value: &[u8]) -> Option<&str> {
    if value.first() != Some(&b'[') {
        return None;
    }
    let (url, end) = plain_string(value, 1)?;
    (value.get(end..) == Some(&b"]"[..])).then_some(url)
}

/// The string whose opening quote is `text[at]`, and where it ends (after
/// its closing quote), when it has no escapes or control characters:
/// such a string is its own value. `None` for any other (or one cut short).
fn plain_string(text: &[u8], at: usize) -> Option<(&str, usize)> {
    if text.get(at) != Some(&b'"') {
        return None;
    }
    let rest = text.get(at + 1..)?;
    let len = memchr::memchr2(b'"', b'\\', rest)?;
    let inner = &rest[..len];
    if rest[len] != b'"' || has_control(inner) {
        return None;
    }
    let string = std::str::from_utf8(inner).ok()?;
    Some((string, at + len + 2))
}

/// Whether `text` has a byte JSON strings must escape (below 0x20).
fn has_control(text: &[u8]) -> bool {
    // Eight bytes at a time: wasm's compiler leaves a byte loop scalar, and
    // this runs over every key and URL of the document.
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let mut words = text.chunks_exact(8);
    let mut seen = 0u64;
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        // The lowest byte below 0x20 borrows when 0x20 is taken from it and
        // has no high bit of its own: its high bit shows. (Bytes above it
        // may show too; without one, none does.)
        seen |= w.wrapping_sub(0x20 * ONES) & !w;
    }
    seen & HIGH_BITS != 0
        || words
            .remainder()
            .iter()
            .fold(false, |found, &b| found | (b < 0x20))
}

/// What kind of JSON value `text` starts with, in the reader's words.
fn kind_of(text: &[u8]) -> &'static str {
    match text.first() {
        Some(b'{') => "an object",
        Some(b'[') => "a list",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

fn skip_whitespace(buf: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = buf.get(at) {
        at += 1;
    }
    at
}

/// Where the string starting with the quote at `buf[at]` ends (after its
/// closing quote); `None` if it goes past the end of `buf`.
fn string_end(buf: &[u8], at: usize) -> Step<usize> {
    let mut i = at + 1;
    loop {
        let rest = buf.get(i..).unwrap_or_default();
        match memchr::memchr2(b'"', b'\\', rest) {
            None => return Ok(None),
            Some(n) => {
                i += n;
                if buf.get(i) == Some(&b'"') {
                    return Ok(Some(i + 1));
                }
                // A backslash: skip the escaped character.
                if i + 1 >= buf.len() {
                    return Ok(None);
                }
                i += 2;
            }
        }
    }
}

/// Where the JSON value starting at `buf[at]` ends; `None` if it goes past
/// the end of `buf`. Only finds the end: the value is checked when read.
fn value_end(buf: &[u8], at: usize) -> Step<usize> {
    let mut depth = 0usize;
    let mut i = at;
    loop {
        let Some(&byte) = buf.get(i) else {
            return Ok(None);
        };
        match byte {
            b'"' => match string_end(buf, i)? {
                Some(end) => i = end,
                None => return Ok(None),
            },
            b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b']' | b'}' => {
                if depth == 0 {
                    return Err(Syntax {
                        at: i,
                        message: "expected value",
                    });
                }
                depth -= 1;
                i += 1;
            }
            _ if depth > 0 => i += 1,
            // A number, true, false or null: up to the next delimiter.
            _ => {
                let rest = buf.get(i..).unwrap_or_default();
                match rest
                    .iter()
                    .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'))
                {
                    Some(n) => return Ok(Some(i + n)),
                    None => return Ok(None),
                }
            }
        }
        if depth == 0 {
            return Ok(Some(i));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn has_control_is_any_byte_below_0x20(
            text in prop::collection::vec(prop::sample::select(vec![0u8, 0x1f, 0x20, 0x21, b'a', 0x7e, 0x7f, 0x80, 0x9f, 0xa0, 0xff]), 0..40),
        ) {
            let expected = text.iter().any(|&b| b < 0x20);
            prop_assert_eq!(has_control(&text), expected);
        }
    }
}
