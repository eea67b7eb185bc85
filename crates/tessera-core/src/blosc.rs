//! Blosc 1 frames (c-blosc 1.x, format version 2) with LZ4 and byte shuffle:
//! the compressor zarr 2 gives the float and integer coordinate arrays
//! (`{"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1}`).
//!
//! A frame is a 16-byte header, a table of block starts, then per block one
//! stream (or `typesize` streams when the block is split), each a `u32le`
//! compressed size followed by an LZ4 block, or the raw bytes when that size
//! equals the stream's length. The rules below follow c-blosc 1.21's
//! `blosc_d`/`blosc_c` so that frames move both ways between it and us.

/// Length of the frame header.
pub const HEADER_LEN: usize = 16;
/// The Blosc 1 frame format version (c-blosc 1.x writes 2).
pub const VERSION_FORMAT: u8 = 2;
/// The LZ4 format version c-blosc writes in header byte 1.
const LZ4_VERSION_FORMAT: u8 = 1;
/// Largest `nbytes` a frame can hold: c-blosc reads sizes as `i32`.
pub const MAX_BUFFERSIZE: usize = i32::MAX as usize - HEADER_LEN;
/// c-blosc's limit on a block, so that its temporaries fit an `i32`.
const MAX_BLOCKSIZE: usize = (i32::MAX as usize - 255 * 4) / 3;
/// c-blosc splits a block into per-byte streams only up to this typesize...
const MAX_SPLITS: usize = 16;
/// ...and only when each stream has at least this many bytes; smaller
/// buffers are stored uncompressed.
const MIN_BUFFERSIZE: usize = 128;
/// c-blosc's idea of an L1 cache, the base of its automatic block size.
const L1: usize = 32 * 1024;
/// An LZ4 block cannot expand its input more than ~255 times; this bounds
/// `nbytes` by the frame's length before anything is allocated.
const MAX_RATIO: usize = 256;

/// Header flag bits.
const DOSHUFFLE: u8 = 0x01;
const MEMCPYED: u8 = 0x02;
const DOBITSHUFFLE: u8 = 0x04;
/// c-blosc rejects this bit as "compressor flags from the future".
const RESERVED: u8 = 0x08;
const DONT_SPLIT: u8 = 0x10;
/// The compressor format sits in bits 5..7.
const LZ4_FORMAT: u8 = 1;

/// Why a Blosc frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BloscError {
    #[error("a Blosc frame starts with a 16-byte header, but there are only {0} bytes")]
    TruncatedHeader(usize),
    #[error("Blosc format version {0} is not supported (only version 2, written by c-blosc 1.x)")]
    Version(u8),
    #[error("Blosc compressor {0} is not supported (only lz4)")]
    UnsupportedCompressor(&'static str),
    #[error("Blosc bit shuffle is not supported (only byte shuffle)")]
    BitShuffle,
    #[error("Blosc header flag 0x08 is reserved but set")]
    ReservedFlag,
    #[error("Blosc header: {0}")]
    Header(&'static str),
    #[error("Blosc header says the frame is {header} bytes, but there are only {actual}")]
    Truncated { header: usize, actual: usize },
    #[error("Blosc block {block}: {problem}")]
    Block { block: usize, problem: &'static str },
    #[error("{0} bytes are more than a Blosc frame can hold")]
    TooLarge(usize),
}

/// The 16-byte frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    version: u8,
    flags: u8,
    typesize: usize,
    nbytes: usize,
    blocksize: usize,
    cbytes: usize,
}

fn read_u32(bytes: &[u8], at: usize) -> Option<usize> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

impl Header {
    fn parse(frame: &[u8]) -> Result<Header, BloscError> {
        let h = frame
            .get(..HEADER_LEN)
            .ok_or(BloscError::TruncatedHeader(frame.len()))?;
        let field = |at| read_u32(h, at).ok_or(BloscError::TruncatedHeader(frame.len()));
        Ok(Header {
            version: h[0],
            flags: h[2],
            typesize: h[3] as usize,
            nbytes: field(4)?,
            blocksize: field(8)?,
            cbytes: field(12)?,
        })
    }
}

fn compressor_name(format: u8) -> &'static str {
    match format {
        0 => "blosclz",
        1 => "lz4",
        2 => "snappy",
        3 => "zlib",
        4 => "zstd",
        _ => "unknown",
    }
}

/// Decodes one Blosc 1 frame (LZ4 or uncompressed, with or without byte
/// shuffle). Bytes after the frame's `cbytes` are ignored, as c-blosc does.
/// Corrupt input gives an error, never a panic or a huge allocation.
pub fn decompress(frame: &[u8]) -> Result<Vec<u8>, BloscError> {
    let h = Header::parse(frame)?;
    if h.version != VERSION_FORMAT {
        return Err(BloscError::Version(h.version));
    }
    if h.flags & RESERVED != 0 {
        return Err(BloscError::ReservedFlag);
    }
    if h.cbytes < HEADER_LEN {
        return Err(BloscError::Header(
            "compressed size is smaller than the header",
        ));
    }
    if h.cbytes > frame.len() {
        return Err(BloscError::Truncated {
            header: h.cbytes,
            actual: frame.len(),
        });
    }
    if h.nbytes > MAX_BUFFERSIZE {
        return Err(BloscError::Header("uncompressed size exceeds 2 GiB"));
    }
    // Only the frame itself, so offsets cannot reach bytes after it.
    let frame = &frame[..h.cbytes];
    if h.nbytes == 0 {
        return Ok(Vec::new());
    }
    if h.typesize == 0 {
        return Err(BloscError::Header("typesize is 0"));
    }
    if h.blocksize == 0 || h.blocksize > h.nbytes || h.blocksize > MAX_BLOCKSIZE {
        return Err(BloscError::Header(
            "block size is 0 or larger than the uncompressed size",
        ));
    }
    if h.flags & MEMCPYED != 0 {
        // Stored: the header and then the bytes as they are (not shuffled).
        return match frame.get(HEADER_LEN..) {
            Some(data) if data.len() == h.nbytes => Ok(data.to_vec()),
            _ => Err(BloscError::Header(
                "an uncompressed frame must be the header plus nbytes bytes",
            )),
        };
    }
    let format = h.flags >> 5;
    if format != LZ4_FORMAT {
        return Err(BloscError::UnsupportedCompressor(compressor_name(format)));
    }
    let shuffle = h.flags & DOSHUFFLE != 0 && h.typesize > 1;
    if h.flags & DOBITSHUFFLE != 0 && !shuffle && h.blocksize >= h.typesize {
        return Err(BloscError::BitShuffle);
    }
    if h.nbytes / MAX_RATIO > h.cbytes {
        return Err(BloscError::Header(
            "uncompressed size is impossibly large for the frame's length",
        ));
    }
    let nblocks = h.nbytes.div_ceil(h.blocksize);
    if nblocks > (h.cbytes - HEADER_LEN) / 4 {
        return Err(BloscError::Header(
            "the frame is too short for its block table",
        ));
    }
    let leftover = h.nbytes % h.blocksize;
    let mut out = vec![0u8; h.nbytes];
    let mut scratch = if shuffle {
        vec![0u8; h.blocksize]
    } else {
        Vec::new()
    };
    for (block, dest) in out.chunks_mut(h.blocksize).enumerate() {
        let start = read_u32(frame, HEADER_LEN + 4 * block).ok_or(BloscError::Block {
            block,
            problem: "block start is missing",
        })?;
        let is_leftover = block + 1 == nblocks && leftover > 0;
        let fail = |problem| BloscError::Block { block, problem };
        if shuffle {
            let tmp = scratch
                .get_mut(..dest.len())
                .ok_or(fail("block too long"))?;
            decode_block(&h, frame, start, is_leftover, tmp).map_err(fail)?;
            unshuffle(h.typesize, tmp, dest);
        } else {
            decode_block(&h, frame, start, is_leftover, dest).map_err(fail)?;
        }
    }
    Ok(out)
}

/// Whether c-blosc 1.21 reads (and writes) a block as `typesize` streams.
/// The size rule is there "for compatibility with before the introduction
/// of the split flag" and applies on both sides.
fn splits(flags: u8, typesize: usize, blocksize: usize, is_leftover: bool) -> bool {
    flags & DONT_SPLIT == 0
        && typesize <= MAX_SPLITS
        && blocksize / typesize >= MIN_BUFFERSIZE
        && !is_leftover
}

/// Decodes the streams of one block starting at `start` into `dest`.
fn decode_block(
    h: &Header,
    frame: &[u8],
    mut offset: usize,
    is_leftover: bool,
    dest: &mut [u8],
) -> Result<(), &'static str> {
    let nsplits = if splits(h.flags, h.typesize, dest.len(), is_leftover) {
        h.typesize
    } else {
        1
    };
    if !dest.len().is_multiple_of(nsplits) {
        // c-blosc would leave the tail of such a block uninitialised.
        return Err("split block size is not a multiple of the typesize");
    }
    let neblock = dest.len() / nsplits;
    for stream in dest.chunks_mut(neblock) {
        let csize = read_u32(frame, offset).ok_or("stream size lies outside the frame")?;
        let data_start = offset + 4;
        let data = data_start
            .checked_add(csize)
            .and_then(|end| frame.get(data_start..end))
            .ok_or("stream data lies outside the frame")?;
        if csize == neblock {
            stream.copy_from_slice(data);
        } else {
            let n =
                lz4_flex::block::decompress_into(data, stream).map_err(|_| "corrupt LZ4 data")?;
            if n != neblock {
                return Err("LZ4 data decodes to the wrong length");
            }
        }
        offset = data_start + csize;
    }
    Ok(())
}

/// Byte shuffle: byte `j` of every element goes to stream `j`; a tail that is
/// not a whole element stays where it is (c-blosc's generic shuffle).
fn shuffle(typesize: usize, src: &[u8], dest: &mut [u8]) {
    let elements = src.len() / typesize;
    let body = elements * typesize;
    for (i, element) in src[..body].chunks_exact(typesize).enumerate() {
        for (j, &byte) in element.iter().enumerate() {
            dest[j * elements + i] = byte;
        }
    }
    dest[body..].copy_from_slice(&src[body..]);
}

/// The inverse of [`shuffle`]. `src` and `dest` have the same length.
fn unshuffle(typesize: usize, src: &[u8], dest: &mut [u8]) {
    let elements = src.len() / typesize;
    let body = elements * typesize;
    for (i, element) in dest[..body].chunks_exact_mut(typesize).enumerate() {
        for (j, byte) in element.iter_mut().enumerate() {
            *byte = src[j * elements + i];
        }
    }
    dest[body..].copy_from_slice(&src[body..]);
}

/// c-blosc's `split_block` in its default (forward compatible) mode, for LZ4.
fn split_block(typesize: usize, blocksize: usize) -> bool {
    typesize <= MAX_SPLITS && blocksize / typesize >= MIN_BUFFERSIZE
}

/// c-blosc's automatic block size for LZ4 at clevel 5 (numcodecs' default);
/// for the coordinate chunks this is the whole chunk, as in the seed's frames.
fn compute_blocksize(typesize: usize, nbytes: usize) -> usize {
    if nbytes < typesize {
        return 1;
    }
    let mut blocksize = if nbytes >= L1 { L1 * 4 } else { nbytes };
    if split_block(typesize, blocksize) {
        blocksize = (blocksize.min(1 << 18) * typesize).clamp(1 << 16, 1 << 20);
    }
    blocksize = blocksize.min(nbytes);
    if blocksize > typesize {
        blocksize = blocksize / typesize * typesize;
    }
    blocksize
}

/// Encodes `data` as a Blosc 1 frame with LZ4 and byte shuffle, as numcodecs'
/// `Blosc(cname="lz4", clevel=5, shuffle=1)` would: the same block size and
/// split rule, raw streams where LZ4 does not shrink them, and a stored
/// frame when compressing does not pay. (The LZ4 bytes differ from c-blosc's,
/// the decoded data does not.) `typesize` outside 1..=255 counts as 1, as in
/// c-blosc.
///
/// Input longer than [`MAX_BUFFERSIZE`] cannot be framed; this then returns
/// an empty `Vec`, which [`decompress`] rejects. Use [`try_compress`] to get
/// an error instead.
pub fn compress(data: &[u8], typesize: usize) -> Vec<u8> {
    try_compress(data, typesize).unwrap_or_default()
}

/// [`compress`], with an error for input longer than [`MAX_BUFFERSIZE`].
pub fn try_compress(data: &[u8], typesize: usize) -> Result<Vec<u8>, BloscError> {
    let nbytes = data.len();
    if nbytes > MAX_BUFFERSIZE {
        return Err(BloscError::TooLarge(nbytes));
    }
    let typesize = if (1..=255).contains(&typesize) {
        typesize
    } else {
        1
    };
    let blocksize = compute_blocksize(typesize, nbytes);
    let mut flags = DOSHUFFLE | LZ4_FORMAT << 5;
    if !split_block(typesize, blocksize) {
        flags |= DONT_SPLIT;
    }
    let header = |flags: u8, cbytes: usize| {
        let mut h = Vec::with_capacity(cbytes);
        h.extend_from_slice(&[VERSION_FORMAT, LZ4_VERSION_FORMAT, flags, typesize as u8]);
        for n in [nbytes, blocksize, cbytes] {
            // All three are at most MAX_BUFFERSIZE + HEADER_LEN < 2³¹.
            h.extend_from_slice(&(n as u32).to_le_bytes());
        }
        h
    };
    let stored = || {
        let mut frame = header(flags | MEMCPYED, nbytes + HEADER_LEN);
        frame.extend_from_slice(data);
        frame
    };
    if nbytes < MIN_BUFFERSIZE {
        return Ok(stored());
    }
    let nblocks = nbytes.div_ceil(blocksize);
    let mut body = Vec::new();
    let mut starts = Vec::with_capacity(nblocks);
    let table_end = HEADER_LEN + 4 * nblocks;
    let mut shuffled = vec![0u8; blocksize];
    for (block, src) in data.chunks(blocksize).enumerate() {
        starts.push(table_end + body.len());
        let is_leftover = block + 1 == nblocks && src.len() < blocksize;
        let src = if typesize > 1 {
            let tmp = &mut shuffled[..src.len()];
            shuffle(typesize, src, tmp);
            &*tmp
        } else {
            src
        };
        let nsplits = if splits(flags, typesize, src.len(), is_leftover) {
            typesize
        } else {
            1
        };
        for stream in src.chunks(src.len() / nsplits) {
            let packed = lz4_flex::block::compress(stream);
            // A size equal to the stream's length means "stored raw".
            let packed = if packed.len() < stream.len() {
                &packed[..]
            } else {
                stream
            };
            body.extend_from_slice(&(packed.len() as u32).to_le_bytes());
            body.extend_from_slice(packed);
        }
        if table_end + body.len() >= nbytes + HEADER_LEN {
            return Ok(stored());
        }
    }
    let cbytes = table_end + body.len();
    let mut frame = header(flags, cbytes);
    for start in starts {
        frame.extend_from_slice(&(start as u32).to_le_bytes());
    }
    frame.extend_from_slice(&body);
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use proptest::prelude::*;

    fn fixture_value(key: &str) -> Vec<u8> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/small_refs.json"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let value = doc[key].as_str().unwrap();
        let b64 = value.strip_prefix("base64:").unwrap();
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap()
    }

    fn f32s(bytes: &[u8]) -> Vec<f32> {
        bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    }

    #[test]
    fn fixture_latitude_chunks_decode_to_the_seed_values() {
        let expected: Vec<f32> = (-78..=82)
            .rev()
            .flat_map(|i| {
                (0..1200)
                    .map(move |j| (j as f64 * -0.00083333333 - 0.000416666665 + i as f64) as f32)
            })
            .collect();
        assert_eq!(expected.len(), 193200);
        let mut got = Vec::new();
        for n in 0..4 {
            let frame = fixture_value(&format!("latitude/{n}"));
            assert_eq!(&frame[..4], &[2, 1, 0x21, 4]);
            let data = decompress(&frame).unwrap();
            assert_eq!(data.len(), 193200);
            got.extend(f32s(&data));
        }
        assert_eq!(
            got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            expected.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn fixture_longitude_chunks_decode_to_the_seed_values() {
        let expected: Vec<u32> = (-180..180)
            .flat_map(|i| {
                (0..1200).map(move |j| {
                    ((j as f64 * 0.00083333333 + 0.000416666665 + i as f64) as f32).to_bits()
                })
            })
            .collect();
        let mut got = Vec::new();
        for n in 0..4 {
            let data = decompress(&fixture_value(&format!("longitude/{n}"))).unwrap();
            assert_eq!(data.len(), 108000 * 4);
            got.extend(f32s(&data).iter().map(|v| v.to_bits()));
        }
        assert_eq!(got, expected);
    }

    #[test]
    fn fixture_orbit_chunk_decodes_to_1_to_175() {
        let data = decompress(&fixture_value("orbit/0")).unwrap();
        let orbits: Vec<i32> = data
            .chunks_exact(4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        assert_eq!(orbits, (1..=175).collect::<Vec<i32>>());
    }

    #[test]
    fn compressed_coordinates_look_like_the_seeds() {
        let frame = fixture_value("latitude/0");
        let data = decompress(&frame).unwrap();
        let ours = compress(&data, 4);
        // Same header apart from the compressed size.
        assert_eq!(&ours[..12], &frame[..12]);
        assert_eq!(decompress(&ours).unwrap(), data);
    }

    #[test]
    fn small_and_incompressible_input_is_stored() {
        let small = compress(b"abc", 4);
        assert_eq!(small[2] & MEMCPYED, MEMCPYED);
        assert_eq!(small.len(), HEADER_LEN + 3);
        assert_eq!(decompress(&small).unwrap(), b"abc");
        assert_eq!(decompress(&compress(&[], 4)).unwrap(), Vec::<u8>::new());
        // xorshift noise does not compress.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let noise: Vec<u8> = (0..5000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let frame = compress(&noise, 4);
        assert_eq!(frame.len(), noise.len() + HEADER_LEN);
        assert_eq!(decompress(&frame).unwrap(), noise);
    }

    #[test]
    fn multi_block_frames_round_trip() {
        // 300,001 bytes: several 256 KiB blocks plus a leftover block.
        let data: Vec<u8> = (0..300_001u32).map(|i| (i / 7 % 251) as u8).collect();
        for typesize in [1, 2, 4, 8, 16, 17] {
            let frame = compress(&data, typesize);
            assert!(frame.len() < data.len(), "typesize {typesize}");
            assert_eq!(decompress(&frame).unwrap(), data, "typesize {typesize}");
        }
    }

    #[test]
    fn corrupt_frames_say_what_is_wrong() {
        let frame = compress(&[7u8; 4000], 4);
        assert_eq!(
            decompress(&frame[..10]),
            Err(BloscError::TruncatedHeader(10))
        );
        assert!(matches!(
            decompress(&frame[..frame.len() - 1]),
            Err(BloscError::Truncated { .. })
        ));
        let mut v = frame.clone();
        v[0] = 3;
        assert_eq!(decompress(&v), Err(BloscError::Version(3)));
        let mut v = frame.clone();
        v[2] = (v[2] & 0x1f) | 4 << 5;
        assert_eq!(
            decompress(&v),
            Err(BloscError::UnsupportedCompressor("zstd"))
        );
        let mut v = frame.clone();
        v[2] = (v[2] & !DOSHUFFLE) | DOBITSHUFFLE;
        assert_eq!(decompress(&v), Err(BloscError::BitShuffle));
        let mut v = frame.clone();
        v[16] = 200;
        assert!(matches!(
            decompress(&v),
            Err(BloscError::Block { block: 0, .. })
        ));
    }

    proptest! {
        #[test]
        fn compress_round_trips(data in proptest::collection::vec(any::<u8>(), 0..3000), typesize in 0usize..20, repeat in 1usize..40) {
            // Repeating each byte gives LZ4 something to find.
            let data: Vec<u8> = data.iter().flat_map(|&b| std::iter::repeat_n(b, repeat)).collect();
            prop_assert_eq!(decompress(&compress(&data, typesize)).unwrap(), data);
        }

        #[test]
        fn decompress_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = decompress(&bytes);
        }

        #[test]
        fn decompress_never_panics_on_plausible_headers(
            flags in any::<u8>(), typesize in any::<u8>(), nbytes in 0u32..5000,
            blocksize in 0u32..5000, body in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let mut frame = vec![2, 1, flags, typesize];
            frame.extend(nbytes.to_le_bytes());
            frame.extend(blocksize.to_le_bytes());
            frame.extend(((body.len() + 16) as u32).to_le_bytes());
            frame.extend(body);
            let _ = decompress(&frame);
        }
    }
}
