//! TIFF's LZW: a decoder for the data set's strips, and the encoder that
//! writes the demo's tiles ([`LzwEncoder`]).
//!
//! The data set's files are LZW strips of six rows (1,200 × 6 pixels each).
//! Every table entry's string is, by construction, a run of bytes already
//! written to the output: the previous code's string plus one byte. So an
//! entry is just (where in the output, how long), and decoding a code is a
//! copy within the output, with no string table of its own.
//!
//! Three things make the inner loop short, which is what counts on noisy
//! radar tiles (about 900,000 codes of one to three bytes per tile):
//! * A strip is decoded into a scratch buffer whose first 256 bytes are the
//!   literals 0..=255, so a literal is a table entry like any other and
//!   there is no literal-or-string branch to mispredict.
//! * A code's entry is added before the next code is read: it is this
//!   code's string and the byte that follows it, which is wherever the next
//!   code's string starts. The "KwKwK" code (the entry being defined) then
//!   needs nothing of its own but the first byte written first.
//! * Strings of up to 16 bytes are copied as a fixed 16 bytes (the scratch
//!   buffer has room past its end); what is written past a string is
//!   overwritten by the codes that follow.
//!
//! Timed natively with `examples/decode_speed.rs` and in Chromium by
//! `scripts/bench-web.sh` (b); the figures are in the README.
//!
//! TIFF flavour: most significant bit first, 9- to 12-bit codes, Clear 256,
//! End of Information 257, and the code width growing one code early.

const CLEAR: usize = 256;
const END: usize = 257;
const FIRST_FREE: usize = 258;
const MAX_ENTRIES: usize = 4096;
/// The literals at the head of the scratch buffer.
const LITERALS: usize = 256;
/// Room past a strip's end for the fixed-size copies.
const SHORT_STRING: usize = 16;

/// Why a strip could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LzwError {
    #[error("LZW code {code} at bit {bit} is not in the table (next free code {next})")]
    BadCode { code: u16, bit: usize, next: u16 },
    #[error("the strip decodes to more than its {0} bytes")]
    TooLong(usize),
}

/// A string in the scratch buffer: where it starts and how long it is.
/// Clear and End of Information have length 0.
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    offset: u32,
    len: u32,
}

/// The string table and scratch buffer of one decoder, kept across strips
/// so a tile's 200 strips allocate nothing.
pub struct LzwDecoder {
    table: Box<[Entry; MAX_ENTRIES]>,
    scratch: Vec<u8>,
}

impl Default for LzwDecoder {
    fn default() -> Self {
        let mut table = Box::new([Entry::default(); MAX_ENTRIES]);
        for (byte, entry) in table.iter_mut().take(LITERALS).enumerate() {
            *entry = Entry {
                offset: byte as u32,
                len: 1,
            };
        }
        LzwDecoder {
            table,
            scratch: (0..=255u8).collect(),
        }
    }
}

/// Reads codes most significant bit first.
struct Bits<'a> {
    input: &'a [u8],
    /// Next byte of `input` to load.
    next: usize,
    buffer: u64,
    /// Valid bits at the top of `buffer`.
    count: u32,
}

impl Bits<'_> {
    #[inline]
    fn read(&mut self, width: u32) -> Option<usize> {
        if self.count < width {
            self.refill();
            if self.count < width {
                return None;
            }
        }
        let code = (self.buffer >> (64 - width)) as usize;
        self.buffer <<= width;
        self.count -= width;
        Some(code)
    }

    #[inline]
    fn refill(&mut self) {
        // Whole bytes into the free low bits.
        if let Some(chunk) = self.input.get(self.next..self.next + 4) {
            let word = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            self.buffer |= u64::from(word) << (32 - self.count);
            self.count += 32;
            self.next += 4;
            return;
        }
        while self.count <= 56 {
            let Some(&byte) = self.input.get(self.next) else {
                return;
            };
            self.buffer |= u64::from(byte) << (56 - self.count);
            self.count += 8;
            self.next += 1;
        }
    }

    fn position(&self) -> usize {
        self.next * 8 - self.count as usize
    }
}

impl LzwDecoder {
    /// Decodes one LZW strip of at most `max_len` bytes; returns its bytes
    /// (valid until the next strip), for the caller to copy or convert
    /// into the image. A strip that ends without End of Information ends
    /// where its codes end.
    pub fn decode_strip(&mut self, input: &[u8], max_len: usize) -> Result<&[u8], LzwError> {
        // Where the strip's bytes may go in the scratch buffer.
        let limit = LITERALS + max_len;
        self.scratch.resize(limit + SHORT_STRING, 0);
        let (table, scratch) = (&mut *self.table, &mut self.scratch[..]);
        let mut bits = Bits {
            input,
            next: 0,
            buffer: 0,
            count: 0,
        };
        let mut width = 9u32;
        let mut next = FIRST_FREE;
        let mut pos = LITERALS;
        while let Some(code) = bits.read(width) {
            if code >= next {
                return Err(LzwError::BadCode {
                    code: code as u16,
                    bit: bits.position(),
                    next: next as u16,
                });
            }
            // (The mask only spares a bounds check: codes have 12 bits.)
            let Entry { offset, len } = table[code & (MAX_ENTRIES - 1)];
            let (offset, len) = (offset as usize, len as usize);
            if len == 0 {
                if code == END {
                    break;
                }
                debug_assert_eq!(code, CLEAR);
                width = 9;
                next = FIRST_FREE;
                continue;
            }
            if pos + len > limit {
                return Err(LzwError::TooLong(max_len));
            }
            // The first byte first: for the entry being defined it is also
            // the string's last, read by the copy below.
            scratch[pos] = scratch[offset];
            if len <= SHORT_STRING {
                scratch.copy_within(offset..offset + SHORT_STRING, pos);
            } else {
                scratch.copy_within(offset..offset + len, pos);
            }
            if next < MAX_ENTRIES {
                // This string and the first byte of the next code's.
                table[next & (MAX_ENTRIES - 1)] = Entry {
                    offset: pos as u32,
                    len: len as u32 + 1,
                };
                next += 1;
                if next >= 1 << width && width < 12 {
                    width += 1;
                }
            }
            pos += len;
        }
        Ok(&self.scratch[LITERALS..pos])
    }
}

// The encoder, with which the demo writes its tiles.

const LZW_CLEAR: u32 = 256;
const LZW_EOI: u32 = 257;
const LZW_FIRST: u32 = 258;
const LZW_MIN_WIDTH: u32 = 9;
/// libtiff starts over when the next code would be 4094, so codes never
/// need more than 12 bits.
const LZW_TABLE_FULL: u32 = 4094;

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
        let mut width = LZW_MIN_WIDTH;
        let mut next = LZW_FIRST;
        self.start_over();
        bits.put(LZW_CLEAR, width);
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
                if next == LZW_TABLE_FULL {
                    bits.put(LZW_CLEAR, width);
                    self.start_over();
                    next = LZW_FIRST;
                    width = LZW_MIN_WIDTH;
                } else if next > (1 << width) - 1 {
                    width += 1;
                }
                prefix = byte as u32;
            }
            bits.put(prefix, width);
            // The decoder adds one more entry after this code, which may
            // widen the code that carries EOI (libtiff's LZWPostEncode).
            next += 1;
            if next == LZW_TABLE_FULL {
                bits.put(LZW_CLEAR, width);
                width = LZW_MIN_WIDTH;
            } else if next > (1 << width) - 1 {
                width += 1;
            }
        }
        bits.put(LZW_EOI, width);
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
        Ok(LzwDecoder::default().decode_strip(encoded, len)?.to_vec())
    }

    #[test]
    fn round_trips_through_weezl() {
        let mut data: Vec<u8> = (0..200_000u32)
            .map(|i| {
                (i.wrapping_mul(2_654_435_761) >> 13) as u8
                    & if i % 3000 < 1500 { 0xff } else { 0x03 }
            })
            .collect();
        // A long run: strings up to the table's longest, and the KwKwK case.
        data.extend(std::iter::repeat_n(7u8, 100_000));
        assert_eq!(decode(&encode(&data), data.len()).unwrap(), data);
        assert_eq!(decode(&encode(&[]), 0).unwrap(), Vec::<u8>::new());
        assert_eq!(decode(&encode(&[42]), 1).unwrap(), vec![42]);
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
        fn garbage_never_panics(garbage in proptest::collection::vec(proptest::num::u8::ANY, 0..2000), len in 0usize..5000) {
            let _ = decode(&garbage, len);
        }
    }
}
