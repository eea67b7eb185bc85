//! The bucket listing: `aws s3 ls sentinel-1-global-coherence-earthbigdata/data/tiles
//! --recursive` output, parsed into chunk keys.
//!
//! Like the seed, a line counts only if it contains `.tif`, and its path is
//! the last whitespace-separated field. Unlike the seed, a line that is not a
//! file of the data set (a name outside the grammar, an out-of-range tile or
//! orbit, a second file for the same chunk) does not abort the run: it is
//! recorded as a [`ListingProblem`] with its line number and skipped.

use std::fmt;

use crate::dataset::{FileName, FileNameError, PackedChunkKey, Variable};

/// The prefix of every key in the listing; the seed strips it (`[11:]`).
pub const TILES_PREFIX: &str = "data/tiles/";

/// One GeoTIFF file of the listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedFile {
    /// The file's chunk key.
    pub key: PackedChunkKey,
    /// 1-based line number in the listing.
    pub line: u32,
    path_start: u32,
    path_len: u32,
}

/// Why a `.tif` line of the listing was skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProblemKind {
    #[error("path does not start with {TILES_PREFIX}")]
    NotUnderTiles,
    #[error("not UTF-8")]
    NotUtf8,
    #[error("{0}")]
    FileName(#[from] FileNameError),
    #[error("second file for chunk {key} (first on line {first_line})")]
    Duplicate { key: String, first_line: u32 },
}

/// A skipped `.tif` line: where, what, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingProblem {
    /// 1-based line number in the listing.
    pub line: u32,
    /// The path as listed (lossily decoded, at most 200 characters).
    pub path: String,
    pub kind: ProblemKind,
}

impl fmt::Display for ListingProblem {
    /// Control characters from the listing are escaped (`\u{1b}`): a
    /// terminal never receives them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format!("{}: {}", self.path, self.kind);
        write!(f, "line {}: {}", self.line, printable(&text))
    }
}

/// `text` with its control characters escaped as Rust writes them.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The listing is too large for 32-bit line and byte positions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("listing too large: {0} bytes (at most 4 GiB)")]
pub struct ListingTooLarge(pub usize);

/// A parsed listing: the data set's files sorted by chunk key, each key once.
///
/// It borrows the listing text (a memory-mapped file, say).
#[derive(Debug, Clone)]
pub struct Listing<'a> {
    text: &'a [u8],
    files: Vec<ListedFile>,
    problems: Vec<ListingProblem>,
    lines: u32,
    other_lines: u32,
}

impl<'a> Listing<'a> {
    /// Parses listing text. Never fails on content: bad lines become
    /// [`ListingProblem`]s.
    pub fn parse(text: &'a [u8]) -> Result<Listing<'a>, ListingTooLarge> {
        if u32::try_from(text.len()).is_err() {
            return Err(ListingTooLarge(text.len()));
        }
        let pieces = split_at_lines(text, piece_count(text.len()));
        let parsed = map_pieces(text, &pieces);

        let mut files = Vec::new();
        let mut problems = Vec::new();
        let mut lines = 0u32;
        let mut other_lines = 0u32;
        for mut piece in parsed {
            for f in &mut piece.files {
                f.line += lines;
            }
            for p in &mut piece.problems {
                p.line += lines;
            }
            files.append(&mut piece.files);
            problems.append(&mut piece.problems);
            lines += piece.lines;
            other_lines += piece.other_lines;
        }

        // Sorting by (key, line) puts a key's duplicates after its first file.
        sort_files(&mut files);
        let mut unique: Vec<ListedFile> = Vec::with_capacity(files.len());
        for f in files {
            match unique.last() {
                Some(first) if first.key == f.key => problems.push(ListingProblem {
                    line: f.line,
                    path: format!("{TILES_PREFIX}{}", shorten(&text[f.path_range()])),
                    kind: ProblemKind::Duplicate {
                        key: f.key.unpack().map(|k| k.to_string()).unwrap_or_default(),
                        first_line: first.line,
                    },
                }),
                _ => unique.push(f),
            }
        }
        problems.sort_by_key(|p| p.line);
        Ok(Listing {
            text,
            files: unique,
            problems,
            lines,
            other_lines,
        })
    }

    /// The data set's files, sorted by chunk key (variable first).
    pub fn files(&self) -> &[ListedFile] {
        &self.files
    }

    /// The files of one variable, sorted by chunk key.
    pub fn variable_files(&self, variable: Variable) -> &[ListedFile] {
        let keys = PackedChunkKey::variable_range(variable);
        let start = self.files.partition_point(|f| f.key < keys.start);
        let end = self.files.partition_point(|f| f.key < keys.end);
        &self.files[start..end]
    }

    /// The path of a file below `data/tiles/`, as listed.
    pub fn path(&self, file: &ListedFile) -> &'a str {
        // Checked to be UTF-8 when parsed.
        std::str::from_utf8(self.path_bytes(file)).unwrap_or_default()
    }

    /// [`Listing::path`] as bytes, without the UTF-8 check.
    pub fn path_bytes(&self, file: &ListedFile) -> &'a [u8] {
        self.text.get(file.path_range()).unwrap_or_default()
    }

    /// Skipped `.tif` lines, in line order.
    pub fn problems(&self) -> &[ListingProblem] {
        &self.problems
    }

    /// Number of lines in the listing.
    pub fn line_count(&self) -> u32 {
        self.lines
    }

    /// Lines without `.tif` (folders, VRTs, GeoJSON, …), skipped as the seed does.
    pub fn other_line_count(&self) -> u32 {
        self.other_lines
    }
}

impl ListedFile {
    fn path_range(&self) -> std::ops::Range<usize> {
        self.path_start as usize..(self.path_start + self.path_len) as usize
    }
}

struct ParsedPiece {
    files: Vec<ListedFile>,
    problems: Vec<ListingProblem>,
    lines: u32,
    other_lines: u32,
}

fn piece_count(len: usize) -> usize {
    const PIECE_BYTES: usize = 4 << 20;
    len.div_ceil(PIECE_BYTES).max(1)
}

/// Cuts the text into about `n` byte ranges that end at line ends.
fn split_at_lines(text: &[u8], n: usize) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::with_capacity(n);
    let mut start = 0;
    for i in 1..=n {
        let target = (text.len() * i / n).max(start);
        let end = if i == n {
            text.len()
        } else {
            match memchr::memchr(b'\n', &text[target..]) {
                Some(nl) => target + nl + 1,
                None => text.len(),
            }
        };
        if end > start {
            ranges.push(start..end);
        }
        start = end;
    }
    ranges
}

#[cfg(feature = "parallel")]
fn map_pieces(text: &[u8], pieces: &[std::ops::Range<usize>]) -> Vec<ParsedPiece> {
    use rayon::prelude::*;
    pieces
        .par_iter()
        .map(|r| parse_piece(text, r.clone()))
        .collect()
}

#[cfg(not(feature = "parallel"))]
fn map_pieces(text: &[u8], pieces: &[std::ops::Range<usize>]) -> Vec<ParsedPiece> {
    pieces
        .iter()
        .map(|r| parse_piece(text, r.clone()))
        .collect()
}

#[cfg(feature = "parallel")]
fn sort_files(files: &mut [ListedFile]) {
    use rayon::slice::ParallelSliceMut;
    files.par_sort_unstable_by_key(|f| (f.key, f.line));
}

#[cfg(not(feature = "parallel"))]
fn sort_files(files: &mut [ListedFile]) {
    files.sort_unstable_by_key(|f| (f.key, f.line));
}

/// Parses the lines in `range`; line numbers are relative to its start.
fn parse_piece(bytes: &[u8], range: std::ops::Range<usize>) -> ParsedPiece {
    let tif = memchr::memmem::Finder::new(b".tif");
    let mut piece = ParsedPiece {
        // Real listing lines are ~75 bytes.
        files: Vec::with_capacity(range.len() / 64),
        problems: Vec::new(),
        lines: 0,
        other_lines: 0,
    };
    let mut start = range.start;
    while start < range.end {
        let end = memchr::memchr(b'\n', &bytes[start..range.end]).map_or(range.end, |i| start + i);
        piece.lines += 1;
        let line = &bytes[start..end];
        if tif.find(line).is_none() {
            piece.other_lines += 1;
        } else {
            let (path_start, path_len) = last_field(line);
            let path_start = start + path_start;
            let path = &bytes[path_start..path_start + path_len];
            match parse_path(path) {
                Ok((key, prefix)) => piece.files.push(ListedFile {
                    key,
                    line: piece.lines,
                    path_start: (path_start + prefix) as u32,
                    path_len: (path_len - prefix) as u32,
                }),
                Err(kind) => piece.problems.push(ListingProblem {
                    line: piece.lines,
                    path: shorten(path),
                    kind,
                }),
            }
        }
        start = end + 1;
    }
    piece
}

/// The last whitespace-separated field of a line, as (start, length): the
/// seed's `line.split()[-1]`.
fn last_field(line: &[u8]) -> (usize, usize) {
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    let start = line[..end]
        .iter()
        .rposition(|b| b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    (start, end - start)
}

/// A listed path to its chunk key and the length of the `data/tiles/` prefix.
fn parse_path(path: &[u8]) -> Result<(PackedChunkKey, usize), ProblemKind> {
    let rest = path
        .strip_prefix(TILES_PREFIX.as_bytes())
        .ok_or(ProblemKind::NotUnderTiles)?;
    let rest = std::str::from_utf8(rest).map_err(|_| ProblemKind::NotUtf8)?;
    let name = rest.rsplit_once('/').map_or(rest, |(_, name)| name);
    let key = FileName::parse(name)?.key();
    Ok((key.pack(), TILES_PREFIX.len()))
}

fn shorten(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    match text.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(text: &str) -> Listing<'_> {
        Listing::parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn keeps_tif_files_and_reports_bad_lines_with_their_numbers() {
        let l = listing(concat!(
            "2021-03-17 18:11:28          0 data/tiles/\n",
            "2021-03-03 13:49:18     120331 data/tiles/N36W121/N36W121_winter_vv_COH12.tif\n",
            "2021-03-03 13:49:18     120331 data/tiles/N36W121/N36W121_winter_vv_COH13.tif\n",
            "2021-03-03 13:49:18     120331 data/tiles/N35W121/N35W121_winter_vv_COH12.tif\r\n",
            "2021-03-03 13:49:18     120331 data/tiles/N36W121/N36W121_winter_vv_COH12.tif\n",
            "2021-03-03 13:49:18     120331 data/tiles/N36W121/N36W121_000A_inc.tif\n",
            "2021-03-03 13:49:18     120331 other/N36W121/N36W121_001A_inc.tif\n",
            "2021-03-03 13:49:18     120331 data/tiles/N00E005/N00E005_fall_vv_COH12.ovr\n",
            "data/tiles/N36W121/N36W121_012D_lsmap.tif",
        ));
        assert_eq!(l.line_count(), 9);
        assert_eq!(l.other_line_count(), 2);
        let keys: Vec<String> = l
            .files()
            .iter()
            .map(|f| f.key.unpack().unwrap().to_string())
            .collect();
        assert_eq!(
            keys,
            ["COH/0.0.1.46.59", "COH/0.0.1.47.59", "lsmap/11.1.46.59"]
        );
        assert_eq!(l.path(&l.files()[1]), "N35W121/N35W121_winter_vv_COH12.tif");
        assert_eq!(l.files()[1].line, 4);
        let problems: Vec<String> = l.problems().iter().map(|p| p.to_string()).collect();
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(problems[0].starts_with(
            "line 3: data/tiles/N36W121/N36W121_winter_vv_COH13.tif: unknown repeat interval"
        ));
        assert!(problems[1].contains("line 5:") && problems[1].contains("first on line 2"));
        assert!(problems[2].starts_with("line 6:") && problems[2].contains("orbit 000"));
        assert!(problems[3].starts_with("line 7:") && problems[3].contains("data/tiles/"));
        assert_eq!(l.variable_files(Variable::Coh).len(), 2);
        assert_eq!(l.variable_files(Variable::Amp).len(), 0);
        assert_eq!(l.variable_files(Variable::Lsmap).len(), 1);
    }

    #[test]
    fn pieces_cover_the_text_at_line_ends() {
        let text = b"a\nbb\nccc\ndddd\n";
        for n in 1..8 {
            let r = split_at_lines(text, n);
            assert_eq!(r.first().unwrap().start, 0);
            assert_eq!(r.last().unwrap().end, text.len());
            for w in r.windows(2) {
                assert_eq!(w[0].end, w[1].start);
                assert_eq!(text[w[0].end - 1], b'\n');
            }
        }
    }
}
