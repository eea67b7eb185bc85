//! The pixel inspector's range reader (`tiff_layout`) on any bytes: the
//! file is served by ranges as a server would (the first byte of the
//! input picks a hint, or none), every strip of a layout it accepts is
//! decoded. Nothing may panic, hang or allocate beyond its limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::tiff_layout::{LayoutHint, LayoutReader, Step};

fuzz_target!(|input: &[u8]| {
    let Some((&choice, file)) = input.split_first() else {
        return;
    };
    let mut reader = match choice % 3 {
        0 => LayoutReader::new(),
        1 => LayoutReader::with_hint(LayoutHint {
            tail: u64::from(choice) * 16,
        }),
        _ => LayoutReader::with_hint(LayoutHint { tail: 4096 }),
    };
    let len = file.len() as u64;
    let mut step = reader.next();
    for _ in 0..8 {
        match step {
            Ok(Step::Need { offset, length }) => {
                let start = offset.min(len) as usize;
                let end = offset.saturating_add(length).min(len) as usize;
                reader.add(offset, file[start..end].to_vec(), Some(len));
                step = reader.next();
            }
            Ok(Step::Ready(layout)) => {
                for (index, &(offset, length)) in layout.strips.iter().enumerate().take(64) {
                    let end = offset.saturating_add(length).min(len) as usize;
                    let strip = &file[(offset.min(len) as usize).min(end)..end];
                    let _ = layout.decode_strip(index, strip);
                }
                return;
            }
            Err(_) => return,
        }
    }
});
