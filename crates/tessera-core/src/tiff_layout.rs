//! Where a TIFF file keeps its image, read from byte ranges of it: the
//! header, the first image file directory (IFD) wherever it is, the strip
//! table; then the one strip that holds a row, decoded. A pixel of a
//! 1200×1200 tile then costs the file's tables and a strip of six rows (a
//! few KB) instead of the whole file (about 1 MB).
//!
//! No I/O happens here. [`LayoutReader::next`] says which byte range it
//! needs ([`Step::Need`]); the caller fetches it (an HTTP Range request)
//! and hands it back with [`LayoutReader::add`], until the layout is known
//! ([`Step::Ready`]). [`StripLayout::strip_of_row`] then names the strip's
//! byte range, and [`StripLayout::decode_strip`] decodes its bytes.
//!
//! Nothing from the file is trusted before it is checked: entry counts,
//! strip counts and offsets against the file's length and fixed limits,
//! the decoded size of a strip against its rows and width, so that a
//! crafted file costs at most [`MAX_STRIP_BYTES`] of memory and work in
//! proportion to the bytes it has.

use std::io::Read;

use crate::dataset::DType;

/// What the first request should read: enough for the header, an IFD
/// written right after it and its strip table (1,600 bytes for 200
/// strips), as tifffile and GDAL's COG driver place them.
pub const FIRST_READ: u64 = 4 << 10;

/// The window read around an IFD found elsewhere: the `tiff` crate (and
/// GDAL) write it after the image data, its tables just before it.
const IFD_BEFORE: u64 = 4 << 10;
const IFD_AFTER: u64 = 2 << 10;

/// Bytes read beyond a hint's tail, in case a file's tables are a little
/// longer than the file's the hint came from.
const TAIL_MARGIN: u64 = 512;

/// Most IFD entries a file may have (the data set's files have 19).
const MAX_ENTRIES: u64 = 4096;

/// Most pixels along each side of an image read by strip.
const MAX_SIDE: u32 = 1 << 16;

/// Most bytes one strip may decode to (a strip of 6 rows of a tile is
/// 14,400 bytes of uint16).
pub const MAX_STRIP_BYTES: usize = 64 << 20;

/// Why a file cannot be read by strip.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TiffLayoutError {
    #[error("not a TIFF file: it starts with {0:02x?}")]
    NotTiff(Vec<u8>),
    #[error("a BigTIFF file (64-bit offsets), which the data set does not use")]
    BigTiff,
    #[error("the file ends at byte {len}, before {what} at byte {offset}")]
    Truncated {
        what: &'static str,
        offset: u64,
        len: u64,
    },
    #[error("its first IFD has {0} entries, more than {MAX_ENTRIES}")]
    TooManyEntries(u64),
    #[error("tag {0} ({1}) is missing")]
    MissingTag(u16, &'static str),
    #[error("tag {tag} has type {kind}, not an unsigned integer")]
    TagType { tag: u16, kind: u16 },
    #[error("the image is {width}×{height} pixels, at most {MAX_SIDE} on a side is read by strip")]
    Size { width: u32, height: u32 },
    #[error("{0}: only images of one unsigned 8- or 16-bit sample per pixel are read by strip")]
    Samples(String),
    #[error("compression {0} is not read by strip (none, LZW, Deflate and PackBits are)")]
    Compression(u16),
    #[error("predictor {0} is not read by strip (1 and 2 are)")]
    Predictor(u16),
    #[error("the image is tiled, not in strips")]
    Tiled,
    #[error("{strips} strips of {rows_per_strip} rows for {height} rows, but {offsets} offsets and {counts} byte counts")]
    StripTable {
        strips: u64,
        rows_per_strip: u32,
        height: u32,
        offsets: u64,
        counts: u64,
    },
    #[error("strip {index} is at bytes {offset}..{end}, past the file's end at {len}")]
    StripOutside {
        index: usize,
        offset: u64,
        end: u64,
        len: u64,
    },
    #[error("strip {index} decodes to {found} bytes, not {expected}")]
    StripSize {
        index: usize,
        expected: usize,
        found: usize,
    },
    #[error("strip {index} cannot be decoded: {reason}")]
    StripData { index: usize, reason: String },
    #[error("no strip {0}: the image has {1}")]
    NoStrip(usize, usize),
    #[error(
        "strip {index} decodes to {bytes} bytes, too large to read alone: read the whole file"
    )]
    StripTooLarge { index: usize, bytes: usize },
}

/// The byte order of a TIFF file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteOrder {
    Little,
    Big,
}

impl ByteOrder {
    /// The 16-bit number at the start of `b` (at least 2 bytes).
    pub(crate) fn u16(self, b: &[u8]) -> u16 {
        match self {
            ByteOrder::Little => u16::from_le_bytes([b[0], b[1]]),
            ByteOrder::Big => u16::from_be_bytes([b[0], b[1]]),
        }
    }

    /// The 32-bit number at the start of `b` (at least 4 bytes).
    pub(crate) fn u32(self, b: &[u8]) -> u32 {
        match self {
            ByteOrder::Little => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            ByteOrder::Big => u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        }
    }
}

/// How the strips are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Lzw,
    Deflate,
    PackBits,
}

/// What reading a strip of the image needs: its shape, its sample type,
/// how strips are encoded, and where each one is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripLayout {
    pub byte_order: ByteOrder,
    pub width: u32,
    pub height: u32,
    pub rows_per_strip: u32,
    pub dtype: DType,
    pub compression: Compression,
    /// Horizontal differencing (TIFF Predictor 2).
    pub predictor: bool,
    /// Each strip's byte offset and length in the file.
    pub strips: Vec<(u64, u64)>,
    /// Where the first IFD is (at the start, or after the image data).
    pub ifd_offset: u64,
    /// Where the IFD and its strip table begin (the lowest of their
    /// offsets).
    pub tables_offset: u64,
    /// The file's length, if a response said it.
    pub file_len: Option<u64>,
}

/// One strip's rows, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripRows {
    /// The image row of the strip's first row.
    pub first_row: u32,
    pub rows: u32,
    pub width: u32,
    pub values: StripValues,
}

/// A strip's samples, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StripValues {
    U8(Vec<u8>),
    U16(Vec<u16>),
}

impl StripRows {
    /// The value at image row `row`, column `column`, if the strip holds it.
    pub fn get(&self, row: u32, column: u32) -> Option<u16> {
        let r = row.checked_sub(self.first_row).filter(|r| *r < self.rows)?;
        if column >= self.width {
            return None;
        }
        let i = (r as usize) * (self.width as usize) + column as usize;
        match &self.values {
            StripValues::U8(v) => v.get(i).map(|&x| u16::from(x)),
            StripValues::U16(v) => v.get(i).copied(),
        }
    }
}

/// What [`LayoutReader::next`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// These bytes of the file are needed next.
    Need { offset: u64, length: u64 },
    /// The layout is known.
    Ready(StripLayout),
}

/// What one file's layout says of the files the same writer made: that
/// their IFD and tables are at the end, in the last `tail` bytes. Such a
/// file is then read with its header alone (8 bytes, which also say its
/// length) and exactly its tail, instead of a first read of
/// [`FIRST_READ`] bytes and a window around the IFD. (A suffix range,
/// `bytes=-N`, would save the header's request but is not a CORS-safe
/// Range: a browser asks the server's leave first, a request more.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayoutHint {
    /// The file's length minus where its IFD and tables begin.
    pub tail: u64,
}

/// Reads a TIFF's layout from the byte ranges it is given. See the
/// [module docs](self).
#[derive(Debug, Clone, Default)]
pub struct LayoutReader {
    /// Byte ranges known, each (offset, bytes), merged where they touch.
    known: Vec<(u64, Vec<u8>)>,
    /// The file's length, once a response has said it.
    len: Option<u64>,
    /// How a file of the same writer was laid out.
    hint: Option<LayoutHint>,
}

/// A read that needs bytes not given yet.
enum Miss {
    Need { offset: u64, length: u64 },
    Error(TiffLayoutError),
}

impl From<TiffLayoutError> for Miss {
    fn from(e: TiffLayoutError) -> Miss {
        Miss::Error(e)
    }
}

impl LayoutReader {
    pub fn new() -> LayoutReader {
        LayoutReader::default()
    }

    /// A reader that reads the header alone, then the tail `hint` says
    /// holds the IFD and tables. A file laid out otherwise is read as
    /// without a hint.
    pub fn with_hint(hint: LayoutHint) -> LayoutReader {
        LayoutReader {
            hint: Some(hint),
            ..LayoutReader::default()
        }
    }

    /// The bytes of the file at `offset`, and the file's length if the
    /// response said it (an HTTP `Content-Range: bytes a-b/LEN`).
    pub fn add(&mut self, offset: u64, bytes: Vec<u8>, file_len: Option<u64>) {
        if file_len.is_some() {
            self.len = file_len;
        }
        if bytes.is_empty() {
            return;
        }
        // In order of offset (a few ranges: an insertion, not a sort).
        let at = self.known.partition_point(|(o, _)| *o <= offset);
        self.known.insert(at, (offset, bytes));
        // Merge ranges that touch or overlap, so that a read may span them.
        let mut merged: Vec<(u64, Vec<u8>)> = Vec::with_capacity(self.known.len());
        for (offset, bytes) in std::mem::take(&mut self.known) {
            match merged.last_mut() {
                Some((o, b)) if *o + b.len() as u64 >= offset => {
                    let end = offset + bytes.len() as u64;
                    let have = *o + b.len() as u64;
                    if end > have {
                        let skip = (have - offset) as usize;
                        b.extend_from_slice(&bytes[skip..]);
                    }
                }
                _ => merged.push((offset, bytes)),
            }
        }
        self.known = merged;
    }

    /// The file's length, if known.
    pub fn file_len(&self) -> Option<u64> {
        self.len
    }

    /// The next byte range needed, or the layout.
    pub fn next(&self) -> Result<Step, TiffLayoutError> {
        match self.layout() {
            Ok(layout) => Ok(Step::Ready(layout)),
            Err(Miss::Need { offset, length }) => Ok(Step::Need { offset, length }),
            Err(Miss::Error(e)) => Err(e),
        }
    }

    /// `length` bytes at `offset`; a miss asks for `window` bytes there.
    fn read(
        &self,
        offset: u64,
        length: u64,
        what: &'static str,
        window: u64,
    ) -> Result<&[u8], Miss> {
        let end = offset
            .checked_add(length)
            .ok_or(TiffLayoutError::Truncated {
                what,
                offset,
                len: u64::MAX,
            })?;
        if let Some(len) = self.len {
            if end > len {
                return Err(TiffLayoutError::Truncated { what, offset, len }.into());
            }
        }
        for (o, bytes) in &self.known {
            let have = *o + bytes.len() as u64;
            if *o <= offset && end <= have {
                let start = (offset - o) as usize;
                return Ok(&bytes[start..start + length as usize]);
            }
        }
        let wanted = length.max(window);
        let wanted = match self.len {
            Some(len) => wanted.min(len.saturating_sub(offset)).max(length),
            None => wanted,
        };
        Err(Miss::Need {
            offset,
            length: wanted,
        })
    }

    fn layout(&self) -> Result<StripLayout, Miss> {
        let first = if self.hint.is_some() { 8 } else { FIRST_READ };
        let header = self.read(0, 8, "the header", first)?;
        let order = match &header[..2] {
            b"II" => ByteOrder::Little,
            b"MM" => ByteOrder::Big,
            _ => return Err(TiffLayoutError::NotTiff(header[..4].to_vec()).into()),
        };
        match order.u16(&header[2..]) {
            42 => {}
            43 => return Err(TiffLayoutError::BigTiff.into()),
            _ => return Err(TiffLayoutError::NotTiff(header[..4].to_vec()).into()),
        }
        let ifd = u64::from(order.u32(&header[4..]));
        if ifd < 8 {
            return Err(TiffLayoutError::Truncated {
                what: "the first IFD",
                offset: ifd,
                len: 8,
            }
            .into());
        }
        // Around the IFD: its tables may be before it (the tiff crate,
        // GDAL) or after it (tifffile). With a hint, the tail it names.
        let hinted = match (self.hint, self.len) {
            (Some(hint), Some(len)) => {
                let start = len.saturating_sub(hint.tail + TAIL_MARGIN).max(8);
                (start <= ifd).then_some((start, len - start))
            }
            _ => None,
        };
        let (window_start, window) = hinted.unwrap_or_else(|| {
            let start = ifd.saturating_sub(IFD_BEFORE).max(8);
            (start, ifd + IFD_AFTER - start)
        });
        let count = match self.read(ifd, 2, "the first IFD", 0) {
            Ok(b) => u64::from(order.u16(b)),
            Err(Miss::Need { .. }) => {
                return Err(Miss::Need {
                    offset: window_start,
                    length: self
                        .len
                        .map_or(window, |len| window.min(len.saturating_sub(window_start))),
                })
            }
            Err(e) => return Err(e),
        };
        if count > MAX_ENTRIES {
            return Err(TiffLayoutError::TooManyEntries(count).into());
        }
        let entries = self.read(ifd + 2, 12 * count, "the IFD's entries", IFD_AFTER)?;
        let entries: Vec<Entry> = entries
            .chunks_exact(12)
            .map(|e| Entry {
                tag: order.u16(e),
                kind: order.u16(&e[2..]),
                count: u64::from(order.u32(&e[4..])),
                value: [e[8], e[9], e[10], e[11]],
            })
            .collect();
        let find = |tag: u16| entries.iter().find(|e| e.tag == tag);
        // One unsigned number (or the first of several).
        let number = |tag: u16, name: &'static str, default: Option<u64>| -> Result<u64, Miss> {
            match find(tag) {
                Some(e) => match e.kind {
                    3 => Ok(u64::from(order.u16(&e.value))),
                    4 => Ok(u64::from(order.u32(&e.value))),
                    1 => Ok(u64::from(e.value[0])),
                    kind => Err(TiffLayoutError::TagType { tag, kind }.into()),
                },
                None => default.ok_or_else(|| TiffLayoutError::MissingTag(tag, name).into()),
            }
        };
        if find(322).is_some() {
            return Err(TiffLayoutError::Tiled.into());
        }
        let width = number(256, "ImageWidth", None)?;
        let height = number(257, "ImageLength", None)?;
        let (width, height) = match (u32::try_from(width), u32::try_from(height)) {
            (Ok(w), Ok(h)) if (1..=MAX_SIDE).contains(&w) && (1..=MAX_SIDE).contains(&h) => (w, h),
            _ => {
                return Err(TiffLayoutError::Size {
                    width: width.min(u64::from(u32::MAX)) as u32,
                    height: height.min(u64::from(u32::MAX)) as u32,
                }
                .into())
            }
        };
        let samples = number(277, "SamplesPerPixel", Some(1))?;
        let bits = number(258, "BitsPerSample", Some(1))?;
        let format = number(339, "SampleFormat", Some(1))?;
        let dtype = match (samples, bits, format) {
            (1, 8, 1) => DType::U8,
            (1, 16, 1) => DType::U16,
            _ => {
                return Err(TiffLayoutError::Samples(format!(
                    "{samples} sample(s) of {bits} bits, sample format {format}"
                ))
                .into())
            }
        };
        let compression = match number(259, "Compression", Some(1))? {
            1 => Compression::None,
            5 => Compression::Lzw,
            8 | 32946 => Compression::Deflate,
            32773 => Compression::PackBits,
            other => return Err(TiffLayoutError::Compression(other.min(65535) as u16).into()),
        };
        let predictor = match number(317, "Predictor", Some(1))? {
            1 => false,
            2 => true,
            other => return Err(TiffLayoutError::Predictor(other.min(65535) as u16).into()),
        };
        let rows_per_strip = number(278, "RowsPerStrip", Some(u64::from(height)))?
            .clamp(1, u64::from(height)) as u32;
        let strips = u64::from(height.div_ceil(rows_per_strip));
        let table_error = |offsets: u64, counts: u64| TiffLayoutError::StripTable {
            strips,
            rows_per_strip,
            height,
            offsets,
            counts,
        };
        let offsets_entry = find(273).ok_or(TiffLayoutError::MissingTag(273, "StripOffsets"))?;
        let counts_entry = find(279).ok_or(TiffLayoutError::MissingTag(279, "StripByteCounts"))?;
        if offsets_entry.count != strips || counts_entry.count != strips {
            return Err(table_error(offsets_entry.count, counts_entry.count).into());
        }
        let offsets = self.array(offsets_entry, order, "the strip offsets")?;
        let counts = self.array(counts_entry, order, "the strip byte counts")?;
        let tables_offset = [offsets_entry, counts_entry]
            .iter()
            .filter(|e| e.count * if e.kind == 3 { 2 } else { 4 } > 4)
            .map(|e| u64::from(order.u32(&e.value)))
            .fold(ifd, u64::min);
        let strips: Vec<(u64, u64)> = offsets.into_iter().zip(counts).collect();
        if let Some(len) = self.len {
            for (index, &(offset, count)) in strips.iter().enumerate() {
                let end = offset.saturating_add(count);
                if end > len {
                    return Err(TiffLayoutError::StripOutside {
                        index,
                        offset,
                        end,
                        len,
                    }
                    .into());
                }
            }
        }
        Ok(StripLayout {
            byte_order: order,
            width,
            height,
            rows_per_strip,
            dtype,
            compression,
            predictor,
            strips,
            ifd_offset: ifd,
            tables_offset,
            file_len: self.len,
        })
    }

    /// The values of an array tag (SHORT or LONG), inline or at its offset.
    fn array(&self, entry: &Entry, order: ByteOrder, what: &'static str) -> Result<Vec<u64>, Miss> {
        let size = match entry.kind {
            3 => 2,
            4 => 4,
            kind => {
                return Err(TiffLayoutError::TagType {
                    tag: entry.tag,
                    kind,
                }
                .into())
            }
        };
        let total = entry.count * size;
        let bytes: &[u8] = if total <= 4 {
            &entry.value[..total as usize]
        } else {
            let at = order.u32(&entry.value);
            self.read(u64::from(at), total, what, total)?
        };
        Ok(bytes
            .chunks_exact(size as usize)
            .map(|b| match size {
                2 => u64::from(order.u16(b)),
                _ => u64::from(order.u32(b)),
            })
            .collect())
    }
}

/// One IFD entry as written: tag, field type, count, value or offset.
struct Entry {
    tag: u16,
    kind: u16,
    count: u64,
    value: [u8; 4],
}

impl StripLayout {
    /// What this layout says of other files of the same writer, when its
    /// IFD is beyond the first read (at the end of the file): `None` when
    /// the first read finds it anyway, or the file's length is unknown.
    pub fn hint(&self) -> Option<LayoutHint> {
        let file_len = self.file_len?;
        (self.ifd_offset >= FIRST_READ && file_len > self.tables_offset).then(|| LayoutHint {
            tail: file_len - self.tables_offset,
        })
    }

    /// Whether a strip can be decoded alone: not an LZW strip larger than
    /// our decoder's window (a whole image in one strip), which is no
    /// cheaper than the whole file anyway.
    pub fn readable_by_strip(&self) -> bool {
        let strip_bytes = self.rows_per_strip as usize * self.width as usize * self.dtype.bytes();
        self.compression != Compression::Lzw || strip_bytes <= crate::lzw::MAX_STRIP_LEN
    }

    /// The strip holding image row `row`: its index and byte range.
    pub fn strip_of_row(&self, row: u32) -> Option<(usize, u64, u64)> {
        if row >= self.height {
            return None;
        }
        let index = (row / self.rows_per_strip) as usize;
        let &(offset, length) = self.strips.get(index)?;
        Some((index, offset, length))
    }

    /// Decodes strip `index` from its bytes (exactly its byte range).
    pub fn decode_strip(&self, index: usize, bytes: &[u8]) -> Result<StripRows, TiffLayoutError> {
        if index >= self.strips.len() {
            return Err(TiffLayoutError::NoStrip(index, self.strips.len()));
        }
        let first_row = index as u32 * self.rows_per_strip;
        let rows = self.rows_per_strip.min(self.height - first_row);
        let width = self.width as usize;
        let sample_bytes = self.dtype.bytes();
        let expected = rows as usize * width * sample_bytes;
        if expected > MAX_STRIP_BYTES {
            return Err(TiffLayoutError::StripSize {
                index,
                expected,
                found: 0,
            });
        }
        let data_error = |reason: String| TiffLayoutError::StripData { index, reason };
        let raw: Vec<u8> = match self.compression {
            Compression::None => bytes
                .get(..expected)
                .map(<[u8]>::to_vec)
                .unwrap_or_else(|| bytes.to_vec()),
            Compression::Lzw if expected <= crate::lzw::MAX_STRIP_LEN => {
                let mut out = Vec::with_capacity(expected);
                crate::lzw::decode_strip(bytes, expected, &mut |s| out.extend_from_slice(s))
                    .map_err(|e| data_error(e.to_string()))?;
                out
            }
            // A strip larger than our decoder's window (a whole image in
            // one strip) is no cheaper than the whole file: read that.
            Compression::Lzw => {
                return Err(TiffLayoutError::StripTooLarge {
                    index,
                    bytes: expected,
                })
            }
            Compression::Deflate => {
                let mut out = Vec::with_capacity(expected);
                // One byte more than a strip holds tells a long strip.
                flate2::read::ZlibDecoder::new(bytes)
                    .take(expected as u64 + 1)
                    .read_to_end(&mut out)
                    .map_err(|e| data_error(e.to_string()))?;
                out
            }
            Compression::PackBits => unpack_bits(bytes, expected),
        };
        if raw.len() < expected {
            return Err(TiffLayoutError::StripSize {
                index,
                expected,
                found: raw.len(),
            });
        }
        let raw = &raw[..expected];
        let values = match self.dtype {
            DType::U8 => {
                let mut v = raw.to_vec();
                if self.predictor {
                    for row in v.chunks_mut(width) {
                        for i in 1..row.len() {
                            row[i] = row[i].wrapping_add(row[i - 1]);
                        }
                    }
                }
                StripValues::U8(v)
            }
            DType::U16 => {
                let mut v: Vec<u16> = raw
                    .chunks_exact(2)
                    .map(|b| self.byte_order.u16(b))
                    .collect();
                if self.predictor {
                    for row in v.chunks_mut(width) {
                        for i in 1..row.len() {
                            row[i] = row[i].wrapping_add(row[i - 1]);
                        }
                    }
                }
                StripValues::U16(v)
            }
        };
        Ok(StripRows {
            first_row,
            rows,
            width: self.width,
            values,
        })
    }
}

/// PackBits, stopping at `limit` bytes of output.
fn unpack_bits(mut input: &[u8], limit: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(limit);
    while out.len() < limit {
        let Some((&n, rest)) = input.split_first() else {
            break;
        };
        input = rest;
        let n = n as i8;
        if n >= 0 {
            let take = (n as usize + 1).min(input.len());
            out.extend_from_slice(&input[..take]);
            input = &input[take..];
        } else if n != -128 {
            let Some((&b, rest)) = input.split_first() else {
                break;
            };
            input = rest;
            out.extend(std::iter::repeat_n(b, (1 - n as isize) as usize));
        }
    }
    out.truncate(limit);
    out
}
