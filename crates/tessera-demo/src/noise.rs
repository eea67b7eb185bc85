//! Deterministic noise on the global pixel grid: an integer hash for
//! per-pixel speckle and smooth value noise (summed over octaves) for the
//! fields that make up the synthetic landscape.
//!
//! Everything is a pure function of (seed, stream, row, column), computed in
//! f64 with the same operations whether a tile or one pixel is asked for, so
//! the same arguments always give the same bytes.

/// A well-mixed 64-bit hash (the SplitMix64 finalizer).
#[inline]
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hash of a lattice point (or pixel) in one stream: one SplitMix round over
/// the combined inputs, cheap enough to run for every pixel of every file.
#[inline]
pub fn hash(seed: u64, stream: u64, x: i64, y: i64) -> u64 {
    mix(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ stream.wrapping_mul(0xc2b2_ae3d_27d4_eb4f)
        ^ (x as u64).wrapping_mul(0xd6e8_feb8_6659_fd93)
        ^ (y as u64).wrapping_mul(0xa076_1d64_78bd_642f))
}

/// Uniform in [-1, 1) from a hash.
#[inline]
pub fn signed_unit(h: u64) -> f64 {
    (h >> 11) as f64 * (2.0 / (1u64 << 53) as f64) - 1.0
}

/// √6: two uniforms on [0, 1) summed have variance 1/6.
const SQRT_6: f64 = 2.449_489_742_783_178;

/// Approximately normal noise (mean 0, standard deviation 1) for one pixel
/// in one stream: the sum of two uniforms, scaled; bounded by ±√6.
#[inline]
pub fn pixel_normal(seed: u64, stream: u64, row: u32, column: u32) -> f64 {
    let h = hash(seed, stream, i64::from(column), i64::from(row));
    // Through u32: converting a u64 to f64 takes several instructions on
    // baseline x86-64, a u32 one.
    let a = f64::from(h as u32);
    let b = f64::from((h >> 32) as u32);
    (a + b) * (SQRT_6 / 4_294_967_296.0) - SQRT_6
}

/// Smoothstep-interpolated value noise from the four lattice values around
/// a point and its position (fx, fy) in the cell.
#[inline]
fn interpolate(c00: f64, c10: f64, c01: f64, c11: f64, fx: f64, fy: f64) -> f64 {
    let sx = fx * fx * (3.0 - 2.0 * fx);
    let sy = fy * fy * (3.0 - 2.0 * fy);
    let top = c00 + (c10 - c00) * sx;
    let bottom = c01 + (c11 - c01) * sx;
    top + (bottom - top) * sy
}

/// The lattice value at a corner.
#[inline]
fn corner(seed: u64, stream: u64, ix: u32, iy: u32) -> f64 {
    signed_unit(hash(seed, stream, i64::from(ix), i64::from(iy)))
}

/// Value noise with smoothstep interpolation, in [-1, 1], on a lattice of
/// `cell` pixels.
#[inline]
pub fn value_noise(seed: u64, stream: u64, row: u32, column: u32, cell: u32) -> f64 {
    let (ix, fx) = (column / cell, (column % cell) as f64 / cell as f64);
    let (iy, fy) = (row / cell, (row % cell) as f64 / cell as f64);
    interpolate(
        corner(seed, stream, ix, iy),
        corner(seed, stream, ix + 1, iy),
        corner(seed, stream, ix, iy + 1),
        corner(seed, stream, ix + 1, iy + 1),
        fx,
        fy,
    )
}

/// [`value_noise`] along part of a row, bit for bit the same, with the
/// lattice values fetched once per cell instead of once per pixel.
/// `columns` yields the global column of each output pixel.
pub fn value_noise_row(
    seed: u64,
    stream: u64,
    row: u32,
    columns: impl Iterator<Item = u32>,
    cell: u32,
    mut out: impl FnMut(usize, f64),
) {
    let (iy, fy) = (row / cell, (row % cell) as f64 / cell as f64);
    let mut cached: Option<(u32, [f64; 4])> = None;
    for (i, column) in columns.enumerate() {
        let (ix, fx) = (column / cell, (column % cell) as f64 / cell as f64);
        let c = match cached {
            Some((x, c)) if x == ix => c,
            _ => {
                let c = [
                    corner(seed, stream, ix, iy),
                    corner(seed, stream, ix + 1, iy),
                    corner(seed, stream, ix, iy + 1),
                    corner(seed, stream, ix + 1, iy + 1),
                ];
                cached = Some((ix, c));
                c
            }
        };
        out(i, interpolate(c[0], c[1], c[2], c[3], fx, fy));
    }
}

/// Parameters of fractal noise: octaves of value noise from `coarsest`
/// pixels per cell, halving the cell and multiplying the amplitude by
/// `gain` each time.
#[derive(Debug, Clone, Copy)]
pub struct Fractal {
    pub stream: u64,
    pub coarsest: u32,
    pub octaves: u32,
    pub gain: f64,
}

impl Fractal {
    fn octaves(self) -> impl Iterator<Item = (u64, u32, f64)> {
        (0..self.octaves).scan((1.0, self.coarsest), move |(amplitude, cell), octave| {
            let this = (self.stream * 64 + u64::from(octave), *cell, *amplitude);
            *amplitude *= self.gain;
            *cell = (*cell / 2).max(1);
            Some(this)
        })
    }

    fn norm(self) -> f64 {
        self.octaves().map(|(_, _, a)| a).sum()
    }

    /// The noise at one pixel, normalized to about [-1, 1].
    pub fn at(self, seed: u64, row: u32, column: u32) -> f64 {
        let mut sum = 0.0;
        for (stream, cell, amplitude) in self.octaves() {
            sum += amplitude * value_noise(seed, stream, row, column, cell);
        }
        sum / self.norm()
    }

    /// [`Fractal::at`] for `out.len()` pixels of a row, bit for bit the same.
    pub fn row(
        self,
        seed: u64,
        row: u32,
        columns: impl Iterator<Item = u32> + Clone,
        out: &mut [f64],
    ) {
        out.fill(0.0);
        for (stream, cell, amplitude) in self.octaves() {
            value_noise_row(seed, stream, row, columns.clone(), cell, |i, v| {
                out[i] += amplitude * v
            });
        }
        let norm = self.norm();
        for v in out.iter_mut() {
            *v /= norm;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRACTAL: Fractal = Fractal {
        stream: 3,
        coarsest: 2400,
        octaves: 8,
        gain: 0.5,
    };

    #[test]
    fn a_row_is_its_pixels_bit_for_bit() {
        let columns = (431_000u32..432_000).chain(0..1_300);
        let mut row = vec![0.0; 2_300];
        FRACTAL.row(9, 55_555, columns.clone(), &mut row);
        for (i, column) in columns.enumerate() {
            assert_eq!(row[i].to_bits(), FRACTAL.at(9, 55_555, column).to_bits());
        }
    }

    #[test]
    fn noise_is_bounded_and_deterministic() {
        for i in 0..10_000u32 {
            let (r, c) = (55_000 + i * 7, 70_000 + i * 13);
            let v = FRACTAL.at(7, r, c);
            assert!((-1.0..=1.0).contains(&v), "{v}");
            assert_eq!(v, FRACTAL.at(7, r, c));
            let n = pixel_normal(7, 1, r, c);
            assert!(n.abs() <= 6f64.sqrt());
        }
    }

    #[test]
    fn pixel_normal_has_unit_spread() {
        let n = 100_000;
        let (mut sum, mut sq) = (0.0, 0.0);
        for i in 0..n {
            let v = pixel_normal(1, 2, i / 1000, i % 1000);
            sum += v;
            sq += v * v;
        }
        let mean = sum / n as f64;
        let sd = (sq / n as f64 - mean * mean).sqrt();
        assert!(mean.abs() < 0.02, "{mean}");
        assert!((sd - 1.0).abs() < 0.02, "{sd}");
    }

    #[test]
    fn value_noise_is_continuous_across_cells() {
        let a = value_noise(3, 4, 100, 1199, 1200);
        let b = value_noise(3, 4, 100, 1200, 1200);
        assert!((a - b).abs() < 0.01, "{a} {b}");
    }
}
