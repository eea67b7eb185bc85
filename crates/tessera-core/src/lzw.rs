//! TIFF's LZW: a decoder for the data set's strips ([`decode_strip`]), and
//! the encoder that writes the demo's tiles ([`LzwEncoder`]).
//!
//! The data set's files are LZW strips of six rows (1,200 × 6 pixels each).
//! Every table entry's string is, by construction, a run of bytes already
//! written to the output: the previous code's string plus one byte. So an
//! entry is just (where in the output, how long), and decoding a code is a
//! copy within the output, with no string table of its own.
//!
//! What makes the inner loop short, which is what counts on noisy radar
//! tiles (2.3 million codes of one or two bytes in an AMP tile, 0.9
//! million in a COH tile):
//! * A strip is decoded into a window whose first 256 bytes are the
//!   literals 0..=255, so a literal is a table entry like any other and
//!   there is no literal-or-string branch to mispredict.
//! * A code's entry is added before the next code is read: it is this
//!   code's string and the byte that follows it, which is wherever the next
//!   code's string starts. The "KwKwK" code (the entry being defined) then
//!   needs only its last byte put right after the copy.
//! * Strings are copied 16 bytes at a time (the window has room past its
//!   end); what is written past a string is overwritten by the codes that
//!   follow.
//! * The window has a fixed power-of-two size, so masked offsets need no
//!   bounds checks; and a strip is decoded to the window's end, so the one
//!   check that a string fits compares with a constant.
//! * Each group of four codes loads the eight bytes at its first code's
//!   byte, without a branch. Only the bit position goes from one group to
//!   the next: no buffer of bits and no count of them.
//! * The table and the window are the thread's own (a thread local), which
//!   in wasm32 is a static: their addresses are constants in the code, so
//!   V8's loop needs no registers for them.
//!
//! The last three points cut V8's register spills in the loop: an AMP
//! tile's strips took 7.3 ms in Node's V8 before them and 6.4 ms after.
//!
//! Timed natively with `examples/decode_speed.rs` and in Chromium by
//! `scripts/bench-web.sh` (b); the figures are in the README.
//!
//! TIFF flavour: most significant bit first, 9- to 12-bit codes, Clear 256,
//! End of Information 257, and the code width growing one code early.

use std::cell::RefCell;

const CLEAR: usize = 256;
const END: usize = 257;
const FIRST_FREE: usize = 258;
const MAX_ENTRIES: usize = 4096;
/// Code widths, in bits.
const MIN_WIDTH: u32 = 9;
const MAX_WIDTH: u32 = 12;
/// The literals at the head of the window.
const LITERALS: usize = 256;
/// Room past the window's end for the fixed-size copies.
const SHORT_STRING: usize = 16;
/// The window's size, literals included, without the room past its end: a
/// power of two, so that offsets masked with `WINDOW - 1` need no bounds
/// checks. 64 KiB holds strips of up to 54 rows of 1,200 bytes (the data
/// set's are 6 rows, of 1 or 2 bytes a pixel).
const WINDOW: usize = 1 << 16;
/// The length of Clear's and End of Information's table entries: longer
/// than any strip, so the one check that a string fits catches them too.
const NOT_A_STRING: u32 = WINDOW as u32;
/// The longest strip this decoder takes.
pub const MAX_STRIP_LEN: usize = WINDOW - LITERALS;
/// Codes taken from one load of eight bytes: the load has at least 57 bits
/// past the group's first one, and codes have at most [`MAX_WIDTH`].
const CODES_PER_LOAD: usize = 4;

/// Why a strip could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LzwError {
    #[error("LZW code {code} at bit {bit} is not in the table (next free code {next})")]
    BadCode { code: u16, bit: usize, next: u16 },
    #[error("the strip decodes to more than its {0} bytes")]
    TooLong(usize),
    #[error("a strip of {0} bytes is more than this decoder's {MAX_STRIP_LEN}")]
    StripTooLarge(usize),
}

/// A string in the window: where it starts and how long it is. Clear and
/// End of Information have length [`NOT_A_STRING`].
#[derive(Debug, Clone, Copy)]
struct Entry {
    offset: u32,
    len: u32,
}

/// The string table and the window of one decoder, kept from strip to strip
/// so that a tile's 200 strips allocate nothing.
struct Tables {
    table: [Entry; MAX_ENTRIES],
    window: [u8; WINDOW + SHORT_STRING],
    /// Whether the literals are in place. The thread local starts all
    /// zeros, which takes no room in the wasm file (96 KiB otherwise).
    ready: bool,
}

impl Tables {
    const ZEROED: Tables = Tables {
        table: [Entry { offset: 0, len: 0 }; MAX_ENTRIES],
        window: [0; WINDOW + SHORT_STRING],
        ready: false,
    };

    fn put_literals(&mut self) {
        for (byte, entry) in self.table.iter_mut().take(LITERALS).enumerate() {
            *entry = Entry {
                offset: byte as u32,
                len: 1,
            };
        }
        for code in [CLEAR, END] {
            self.table[code] = Entry {
                offset: 0,
                len: NOT_A_STRING,
            };
        }
        for (byte, literal) in self.window.iter_mut().take(LITERALS).enumerate() {
            *literal = byte as u8;
        }
        self.ready = true;
    }
}

thread_local! {
    static THREAD_TABLES: RefCell<Tables> = const { RefCell::new(Tables::ZEROED) };
}

/// Decodes one LZW strip of at most `max_len` bytes and hands its bytes to
/// `take`, to copy or convert into the image. A strip that ends without End
/// of Information ends where its codes end.
pub fn decode_strip(
    input: &[u8],
    max_len: usize,
    take: &mut dyn FnMut(&[u8]),
) -> Result<(), LzwError> {
    if max_len > MAX_STRIP_LEN {
        return Err(LzwError::StripTooLarge(max_len));
    }
    THREAD_TABLES.with(|tables| match tables.try_borrow_mut() {
        Ok(mut tables) => tables.decode(input, max_len).map(take),
        // `take` decoding a strip of its own.
        Err(_) => decode_in_new_tables(input, max_len, take),
    })
}

#[inline(never)]
fn decode_in_new_tables(
    input: &[u8],
    max_len: usize,
    take: &mut dyn FnMut(&[u8]),
) -> Result<(), LzwError> {
    let mut tables = Box::new(Tables::ZEROED);
    tables.decode(input, max_len).map(take)
}

/// `u64::from_be_bytes`, which WebAssembly has no instruction for: LLVM
/// writes it out as 22 shifts, masks and ors. A byte shuffle in a SIMD
/// register does it in one, which made an AMP tile's strips 6% faster to
/// decode in V8.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline]
fn big_endian_u64(bytes: [u8; 8]) -> u64 {
    use core::arch::wasm32::{i64x2_extract_lane, i8x16_shuffle, u64x2};
    let v = u64x2(u64::from_le_bytes(bytes), 0);
    let reversed = i8x16_shuffle::<7, 6, 5, 4, 3, 2, 1, 0, 8, 9, 10, 11, 12, 13, 14, 15>(v, v);
    i64x2_extract_lane::<0>(reversed) as u64
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline]
fn big_endian_u64(bytes: [u8; 8]) -> u64 {
    u64::from_be_bytes(bytes)
}

/// The `width`-bit code at `bit`, or `None` where the input ends; for a
/// strip's last few codes.
fn code_at(input: &[u8], bit: usize, width: u32) -> Option<usize> {
    if bit + width as usize > input.len().saturating_mul(8) {
        return None;
    }
    let rest = input.get(bit >> 3..)?;
    let mut bytes = [0; 8];
    let n = rest.len().min(8);
    bytes[..n].copy_from_slice(&rest[..n]);
    let bits = u64::from_be_bytes(bytes) << (bit & 7);
    Some((bits >> (64 - width)) as usize)
}

/// What a code did.
enum Step {
    Go,
    End,
    /// The string does not fit in the strip.
    TooLong,
}

/// One strip's decoding state, apart from the bit position.
struct Strip<'a> {
    table: &'a mut [Entry; MAX_ENTRIES],
    window: &'a mut [u8; WINDOW + SHORT_STRING],
    /// The code width.
    width: u32,
    /// The next free code.
    next: usize,
    /// Where the next string goes. The strip ends at the window's end.
    pos: usize,
}

impl Strip<'_> {
    /// Decodes one code. `bit` (where the code ends) is only for errors.
    #[inline(always)]
    fn step(&mut self, code: usize, bit: usize) -> Result<Step, LzwError> {
        if code >= self.next {
            return Err(LzwError::BadCode {
                code: code as u16,
                bit,
                next: self.next as u16,
            });
        }
        // (The mask only spares a bounds check: codes have 12 bits.)
        let Entry { offset, len } = self.table[code & (MAX_ENTRIES - 1)];
        let (offset, len, pos) = (offset as usize, len as usize, self.pos);
        if pos + len > WINDOW {
            return Ok(self.not_a_string(code));
        }
        let window = &mut *self.window;
        // Both are below `WINDOW`, so the masks change nothing; they only
        // let the compiler drop the bounds checks.
        let (from, to) = (offset & (WINDOW - 1), pos & (WINDOW - 1));
        window.copy_within(from..from + SHORT_STRING, to);
        if len > SHORT_STRING {
            // 16 bytes at a time, in order: the string's source ends before
            // `pos`, or (KwKwK) 16 or more bytes behind the copy, so each
            // piece reads bytes already in place.
            let mut done = SHORT_STRING;
            while done < len {
                let (from, to) = ((offset + done) & (WINDOW - 1), (pos + done) & (WINDOW - 1));
                window.copy_within(from..from + SHORT_STRING, to);
                done += SHORT_STRING;
            }
        }
        if offset + len > pos {
            // The entry defined by the previous code (the "KwKwK" case): its
            // last byte is this string's first, not yet written when the
            // copy read it.
            window[(pos + len - 1) & (WINDOW - 1)] = window[from];
        }
        if self.next < MAX_ENTRIES {
            // This string and the first byte of the next code's.
            self.table[self.next & (MAX_ENTRIES - 1)] = Entry {
                offset: pos as u32,
                len: len as u32 + 1,
            };
            self.next += 1;
            // The code width grows one code early. (At 12 bits, this is
            // the table filling up: no more entries, no wider codes.)
            if self.next == 1 << self.width {
                self.width = (self.width + 1).min(MAX_WIDTH);
            }
        }
        self.pos = pos + len;
        Ok(Step::Go)
    }

    /// Clear, End of Information, or a string that does not fit.
    #[cold]
    fn not_a_string(&mut self, code: usize) -> Step {
        match code {
            END => Step::End,
            CLEAR => {
                self.width = MIN_WIDTH;
                self.next = FIRST_FREE;
                Step::Go
            }
            _ => Step::TooLong,
        }
    }
}

impl Tables {
    /// Decodes one strip of at most `max_len` bytes (at most
    /// [`MAX_STRIP_LEN`]) to the window's end, and returns its bytes.
    #[inline(always)]
    fn decode(&mut self, input: &[u8], max_len: usize) -> Result<&[u8], LzwError> {
        if !self.ready {
            self.put_literals();
        }
        let start = WINDOW - max_len;
        let mut strip = Strip {
            table: &mut self.table,
            window: &mut self.window,
            width: MIN_WIDTH,
            next: FIRST_FREE,
            pos: start,
        };
        let mut bit = 0;
        'strip: {
            // Away from the end: eight bytes, then four codes from them.
            while let Some(bytes) = input.get(bit >> 3..).and_then(|rest| rest.first_chunk()) {
                let mut bits = big_endian_u64(*bytes) << (bit & 7);
                for _ in 0..CODES_PER_LOAD {
                    let width = strip.width;
                    let code = (bits >> (64 - width)) as usize;
                    bits <<= width;
                    bit += width as usize;
                    match strip.step(code, bit)? {
                        Step::Go => {}
                        Step::End => break 'strip,
                        Step::TooLong => return Err(LzwError::TooLong(max_len)),
                    }
                }
            }
            // The last few bytes, a code at a time.
            while let Some(code) = code_at(input, bit, strip.width) {
                bit += strip.width as usize;
                match strip.step(code, bit)? {
                    Step::Go => {}
                    Step::End => break 'strip,
                    Step::TooLong => return Err(LzwError::TooLong(max_len)),
                }
            }
        }
        let end = strip.pos;
        Ok(&self.window[start..end])
    }
}

// The encoder, with which the demo writes its tiles.

/// libtiff starts over when the next code would be 4094, so codes never
/// need more than 12 bits.
const ENCODER_TABLE_FULL: u32 = 4094;

/// TIFF's LZW as libtiff writes it: each strip starts with Clear and ends
/// with EOI; codes are MSB-first, 9 to 12 bits wide, widened one code early
/// ("early change"), with a Clear when the table is full.
pub struct LzwEncoder {
    /// `table[prefix << 8 | byte]` = `generation << 12 | code` of the string
    /// prefix+byte. An entry of an older generation is empty, so starting
    /// over is one increment rather than clearing 4 MiB.
    table: Vec<u32>,
    generation: u32,
}

impl Default for LzwEncoder {
    fn default() -> LzwEncoder {
        LzwEncoder {
            table: vec![0; 1 << 20],
            generation: 0,
        }
    }
}

impl LzwEncoder {
    fn start_over(&mut self) {
        if self.generation == (1 << 20) - 1 {
            self.table.fill(0);
            self.generation = 0;
        }
        self.generation += 1;
    }

    /// Appends the LZW encoding of `data` to `out`.
    pub fn encode(&mut self, data: &[u8], out: &mut Vec<u8>) {
        let mut bits = BitWriter {
            acc: 0,
            len: 0,
            out,
        };
        let mut width = MIN_WIDTH;
        let mut next = FIRST_FREE as u32;
        self.start_over();
        bits.put(CLEAR as u32, width);
        if let Some((&first, rest)) = data.split_first() {
            let mut prefix = first as u32;
            for &byte in rest {
                let slot = (prefix << 8 | byte as u32) as usize;
                let entry = self.table[slot];
                if entry >> 12 == self.generation {
                    prefix = entry & 0xfff;
                    continue;
                }
                bits.put(prefix, width);
                self.table[slot] = self.generation << 12 | next;
                next += 1;
                if next == ENCODER_TABLE_FULL {
                    bits.put(CLEAR as u32, width);
                    self.start_over();
                    next = FIRST_FREE as u32;
                    width = MIN_WIDTH;
                } else if next > (1 << width) - 1 {
                    width += 1;
                }
                prefix = byte as u32;
            }
            bits.put(prefix, width);
            // The decoder adds one more entry after this code, which may
            // widen the code that carries EOI (libtiff's LZWPostEncode).
            next += 1;
            if next == ENCODER_TABLE_FULL {
                bits.put(CLEAR as u32, width);
                width = MIN_WIDTH;
            } else if next > (1 << width) - 1 {
                width += 1;
            }
        }
        bits.put(END as u32, width);
        bits.flush();
    }
}

/// Packs codes most significant bit first.
struct BitWriter<'a> {
    acc: u64,
    len: u32,
    out: &'a mut Vec<u8>,
}

impl BitWriter<'_> {
    fn put(&mut self, code: u32, width: u32) {
        self.acc = self.acc << width | code as u64;
        self.len += width;
        while self.len >= 8 {
            self.len -= 8;
            self.out.push((self.acc >> self.len) as u8);
        }
    }

    fn flush(&mut self) {
        if self.len > 0 {
            self.out.push((self.acc << (8 - self.len)) as u8);
            self.len = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(data: &[u8]) -> Vec<u8> {
        weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
            .encode(data)
            .unwrap()
    }

    fn decode(encoded: &[u8], len: usize) -> Result<Vec<u8>, LzwError> {
        let mut bytes = Vec::new();
        decode_strip(encoded, len, &mut |strip| bytes.extend_from_slice(strip))?;
        Ok(bytes)
    }

    #[test]
    fn round_trips_through_weezl() {
        let mut data: Vec<u8> = (0..40_000u32)
            .map(|i| {
                (i.wrapping_mul(2_654_435_761) >> 13) as u8
                    & if i % 3000 < 1500 { 0xff } else { 0x03 }
            })
            .collect();
        // A long run: strings of hundreds of bytes, and the KwKwK case.
        data.extend(std::iter::repeat_n(7u8, MAX_STRIP_LEN - data.len()));
        assert_eq!(decode(&encode(&data), data.len()).unwrap(), data);
        assert_eq!(decode(&encode(&[]), 0).unwrap(), Vec::<u8>::new());
        assert_eq!(decode(&encode(&[42]), 1).unwrap(), vec![42]);
    }

    /// Noisy 16-bit samples of the data set's strip size, one strip after
    /// another through the thread's tables, as `geotiff` decodes a tile:
    /// the encoder starts over with Clear several times a strip, and the
    /// decoder's four codes per load cross Clears and width changes.
    #[test]
    fn round_trips_through_our_encoder() {
        let mut encoder = LzwEncoder::default();
        let mut seed = 0x9e37_79b9_u32;
        for strip in 0..6 {
            let data: Vec<u8> = (0..7200)
                .flat_map(|i: u32| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    let v = 4000 + (i % 1200) + (seed >> 23) * (strip + 1);
                    (v as u16).to_le_bytes()
                })
                .collect();
            let mut encoded = Vec::new();
            encoder.encode(&data, &mut encoded);
            assert_eq!(decode(&encoded, data.len()).unwrap(), data);
        }
    }

    /// A strip decoded while the thread's tables hold another: it gets
    /// tables of its own, and the outer strip's bytes are left as they were.
    #[test]
    fn a_strip_decoded_inside_another_gets_tables_of_its_own() {
        let outer: Vec<u8> = (0..7200u32).map(|i| (i * 7 % 251) as u8).collect();
        let inner: Vec<u8> = (0..3000u32).map(|i| (i % 13) as u8).collect();
        let (outer_lzw, inner_lzw) = (encode(&outer), encode(&inner));
        let mut seen = None;
        decode_strip(&outer_lzw, outer.len(), &mut |outer_bytes| {
            let inner_bytes = decode(&inner_lzw, inner.len());
            seen = Some((outer_bytes.to_vec(), inner_bytes));
        })
        .unwrap();
        let (outer_bytes, inner_bytes) = seen.unwrap();
        assert_eq!(outer_bytes, outer);
        assert_eq!(inner_bytes.unwrap(), inner);
    }

    /// Strips of every length up to the window's: a strip ends at the
    /// window's end, so a long one starts right after the literals.
    #[test]
    fn strips_of_any_length_fit_the_window() {
        for len in [
            0,
            1,
            15,
            16,
            17,
            7200,
            14_400,
            MAX_STRIP_LEN - 1,
            MAX_STRIP_LEN,
        ] {
            let data: Vec<u8> = (0..len as u32)
                .map(|i| (i.wrapping_mul(40_503) >> 7) as u8)
                .collect();
            assert_eq!(decode(&encode(&data), len).unwrap(), data, "{len} bytes");
            // One byte short of room.
            if len > 0 {
                assert_eq!(
                    decode(&encode(&data), len - 1),
                    Err(LzwError::TooLong(len - 1))
                );
            }
        }
    }

    #[test]
    fn strips_longer_than_the_window_are_refused() {
        let data = vec![1u8; MAX_STRIP_LEN + 1];
        assert_eq!(
            decode(&encode(&data), data.len()),
            Err(LzwError::StripTooLarge(MAX_STRIP_LEN + 1))
        );
    }

    #[test]
    fn bad_streams_are_errors_not_panics() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        let encoded = encode(&data);
        assert!(matches!(decode(&encoded, 100), Err(LzwError::TooLong(100))));
        // A first code past the literals.
        assert!(matches!(
            decode(&[0xff, 0xff, 0xff], 10),
            Err(LzwError::BadCode { .. })
        ));
        for cut in [1, 2, encoded.len() / 2] {
            let _ = decode(&encoded[..cut], data.len());
        }
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_round_trip(data in proptest::collection::vec(0u8..8, 0..20_000), noise in proptest::collection::vec(proptest::num::u8::ANY, 0..3000)) {
            let mut data = data;
            data.extend(noise);
            proptest::prop_assert_eq!(decode(&encode(&data), data.len()).unwrap(), data);
        }

        #[test]
        fn any_bytes_round_trip_through_our_encoder(data in proptest::collection::vec(0u8..4, 0..20_000), noise in proptest::collection::vec(proptest::num::u8::ANY, 0..5000)) {
            let mut data = data;
            data.extend(noise);
            let mut encoded = Vec::new();
            LzwEncoder::default().encode(&data, &mut encoded);
            proptest::prop_assert_eq!(decode(&encoded, data.len()).unwrap(), data);
        }

        #[test]
        fn garbage_never_panics(garbage in proptest::collection::vec(proptest::num::u8::ANY, 0..2000), len in 0usize..5000) {
            let _ = decode(&garbage, len);
        }
    }
}
