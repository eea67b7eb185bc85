//! TIFF's LZW, decoded straight into the image.
//!
//! The data set's files are LZW strips of six rows (1,200 × 6 pixels each).
//! Every table entry's string is, by construction, a run of bytes already
//! written to the output: the previous code's string plus one byte. So an
//! entry is just (where in the output, how long), and decoding a code is a
//! copy within the output, with no string table of its own and no
//! intermediate buffer. Measured against `weezl` (which the `tiff` crate
//! uses) on the demo's tiles: see `examples/decode_speed.rs`.
//!
//! TIFF flavour: most significant bit first, 9- to 12-bit codes, Clear 256,
//! End of Information 257, and the code width growing one code early.

const CLEAR: u16 = 256;
const END: u16 = 257;
const FIRST_FREE: u16 = 258;
const MAX_ENTRIES: usize = 4096;

/// Why a strip could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LzwError {
    #[error("LZW code {code} at bit {bit} is not in the table (next free code {next})")]
    BadCode { code: u16, bit: usize, next: u16 },
    #[error("the strip decodes to more than its {0} bytes")]
    TooLong(usize),
}

/// The string table: where each code's string is in the output.
pub struct LzwTable {
    offset: Vec<u32>,
    len: Vec<u16>,
}

impl Default for LzwTable {
    fn default() -> Self {
        LzwTable {
            offset: vec![0; MAX_ENTRIES],
            len: vec![0; MAX_ENTRIES],
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
    fn read(&mut self, width: u32) -> Option<u16> {
        if self.count < width {
            self.refill();
            if self.count < width {
                return None;
            }
        }
        let code = (self.buffer >> (64 - width)) as u16;
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

/// Decodes one LZW strip into `out`; returns how many bytes it wrote. A
/// strip that ends without End of Information ends where its codes end.
pub fn decode_strip(input: &[u8], out: &mut [u8], table: &mut LzwTable) -> Result<usize, LzwError> {
    let mut bits = Bits {
        input,
        next: 0,
        buffer: 0,
        count: 0,
    };
    let mut width = 9u32;
    let mut next = FIRST_FREE;
    // The previous code's string: (offset, length); none after a Clear.
    let mut previous: Option<(usize, usize)> = None;
    let mut pos = 0usize;
    let capacity = out.len();
    while let Some(code) = bits.read(width) {
        if code == CLEAR {
            width = 9;
            next = FIRST_FREE;
            previous = None;
            continue;
        }
        if code == END {
            break;
        }
        let start = pos;
        let len = if code < CLEAR {
            let slot = out.get_mut(pos).ok_or(LzwError::TooLong(capacity))?;
            *slot = code as u8;
            1
        } else if code < next && previous.is_some() {
            let (offset, len) = (
                table.offset[usize::from(code)] as usize,
                usize::from(table.len[usize::from(code)]),
            );
            copy_string(out, offset, len, pos)?;
            len
        } else if code == next {
            // The string being defined: the previous one and its first byte.
            let Some((offset, len)) = previous else {
                return Err(bad(code, &bits, next));
            };
            copy_string(out, offset, len, pos)?;
            let first = out[offset];
            *out.get_mut(pos + len).ok_or(LzwError::TooLong(capacity))? = first;
            len + 1
        } else {
            return Err(bad(code, &bits, next));
        };
        if let Some((offset, previous_len)) = previous {
            if usize::from(next) < MAX_ENTRIES {
                // The previous string and this one's first byte: contiguous.
                table.offset[usize::from(next)] = offset as u32;
                table.len[usize::from(next)] = (previous_len + 1) as u16;
                next += 1;
                if u32::from(next) + 1 >= 1 << width && width < 12 {
                    width += 1;
                }
            }
        }
        previous = Some((start, len));
        pos += len;
    }
    Ok(pos)
}

fn bad(code: u16, bits: &Bits, next: u16) -> LzwError {
    LzwError::BadCode {
        code,
        bit: bits.position(),
        next,
    }
}

/// Copies `out[offset..offset + len]` to `out[pos..]` (it ends at or before
/// `pos`).
#[inline]
fn copy_string(out: &mut [u8], offset: usize, len: usize, pos: usize) -> Result<(), LzwError> {
    if pos + len > out.len() {
        return Err(LzwError::TooLong(out.len()));
    }
    if len <= 8 && pos + 8 <= out.len() {
        // Short strings, the common case: one fixed-size copy (bytes past
        // `len` are written again by the codes that follow).
        out.copy_within(offset..offset + 8, pos);
    } else {
        out.copy_within(offset..offset + len, pos);
    }
    Ok(())
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
        let mut out = vec![0; len];
        let n = decode_strip(encoded, &mut out, &mut LzwTable::default())?;
        out.truncate(n);
        Ok(out)
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
