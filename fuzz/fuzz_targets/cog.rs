//! The COG reader (`cog::CogHeader::parse`, `cog::decode_tile`) on any
//! bytes: the header is parsed from growing prefixes as the app reads it,
//! and every tile of every level it accepts is decoded. Nothing may
//! panic, hang or allocate beyond its limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::cog::{decode_tile, CogHeader, CogReadError};

fuzz_target!(|file: &[u8]| {
    let mut want = 64usize;
    for _ in 0..8 {
        match CogHeader::parse(&file[..want.min(file.len())]) {
            Ok(header) => {
                for level in &header.levels {
                    for index in 0..level.offsets.len().min(64) {
                        if let Some((offset, count)) = level.tile_range(index) {
                            let start = offset.min(file.len() as u64) as usize;
                            let end = offset.saturating_add(count).min(file.len() as u64) as usize;
                            let _ = decode_tile(&file[start..end], &level.format);
                        }
                    }
                }
                return;
            }
            Err(CogReadError::NeedBytes(n)) if (want as u64) < n && want < file.len() => {
                want = n.min(file.len() as u64) as usize;
            }
            Err(_) => return,
        }
    }
});
