//! Times `geotiff::encode_tile` (the hand-written LZW encoder) on realistic
//! 1200×1200 tiles and prints an FNV-1a hash of each output, so a change to
//! the encoder can be checked for both speed and byte-identical output.
//!
//! `cargo run --release -p tessera-core --example lzw_speed`

use std::hint::black_box;
use std::time::Instant;

use tessera_core::geotiff::{encode_tile, TilePixels, TILE_LEN};
use tessera_core::Tile;

const RUNS: usize = 15;
const SIDE: usize = 1200;

/// Deterministic pseudo-random numbers (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `-amp..=amp`.
    fn noise(&mut self, amp: i64) -> i64 {
        (self.next() >> 33) as i64 % (2 * amp + 1) - amp
    }
}

/// A smooth field in 0..=1 over the tile.
fn smooth(row: usize, col: usize) -> f64 {
    let (y, x) = (row as f64 / SIDE as f64, col as f64 / SIDE as f64);
    let v = (x * 7.0).sin() * (y * 5.0).cos() + (x * 2.0 + y * 3.0).sin() * 0.5;
    (v + 1.5) / 3.0
}

/// Coherence-like bytes: smooth field plus ±5 DN noise, values 1..=100.
fn noisy_u8() -> Vec<u8> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    (0..TILE_LEN)
        .map(|i| {
            let v = 1.0 + 99.0 * smooth(i / SIDE, i % SIDE);
            (v as i64 + rng.noise(5)).clamp(1, 100) as u8
        })
        .collect()
}

/// Amplitude-like words: smooth field 2000..9000 plus ±300 noise.
fn noisy_u16() -> Vec<u16> {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    (0..TILE_LEN)
        .map(|i| {
            let v = 2000.0 + 7000.0 * smooth(i / SIDE, i % SIDE);
            (v as i64 + rng.noise(300)).clamp(1, 65535) as u16
        })
        .collect()
}

/// Mostly no-data (0) with a few constant blocks and a noisy corner: what a
/// tile over the sea or a swath edge looks like.
fn compressible_u8() -> Vec<u8> {
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    (0..TILE_LEN)
        .map(|i| {
            let (row, col) = (i / SIDE, i % SIDE);
            if row < 150 && col < 150 {
                (50 + rng.noise(5)) as u8
            } else if (row / 200 + col / 300) % 3 == 0 {
                ((row / 100) * 7 + 10) as u8
            } else {
                0
            }
        })
        .collect()
}

/// Full-range random words (worst case: the LZW table fills constantly).
fn random_u16() -> Vec<u16> {
    let mut rng = Rng(42);
    (0..TILE_LEN).map(|_| (rng.next() >> 48) as u16).collect()
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn bench(name: &str, pixels: TilePixels) {
    let tile = Tile::parse("N42W090").unwrap();
    let out = encode_tile(tile, pixels).unwrap();
    let mut times: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            black_box(encode_tile(tile, black_box(pixels)).unwrap());
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "{name:<16} {:>7.2} ms/tile (min {:>6.2})  {:>9} bytes  fnv1a {:016x}",
        times[RUNS / 2],
        times[0],
        out.len(),
        fnv1a(&out)
    );
}

fn main() {
    let u8_noisy = noisy_u8();
    let u16_noisy = noisy_u16();
    let u8_flat = compressible_u8();
    let u16_random = random_u16();
    bench("u8 noisy", TilePixels::U8(&u8_noisy));
    bench("u16 noisy", TilePixels::U16(&u16_noisy));
    bench("u8 compressible", TilePixels::U8(&u8_flat));
    bench("u16 random", TilePixels::U16(&u16_random));
}
