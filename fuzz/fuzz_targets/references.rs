//! Reference documents (`reader::References::from_bytes`, and the
//! streaming reader the app feeds a download's pieces to) on any bytes:
//! nothing may panic, hang or allocate beyond its limits; cut into
//! pieces (the first byte chooses where), the stream reads what the
//! whole does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::reader::{ReferenceStream, References};

fuzz_target!(|data: &[u8]| {
    let Some((&cut, doc)) = data.split_first() else {
        return;
    };
    let whole = References::from_bytes(doc);
    let mut stream = ReferenceStream::new();
    let piece = usize::from(cut).max(1);
    let mut streamed = Ok(());
    for chunk in doc.chunks(piece) {
        streamed = stream.push(chunk);
        if streamed.is_err() {
            break;
        }
    }
    let streamed = streamed.and_then(|()| stream.finish());
    if let (Ok(a), Ok(b)) = (&whole, &streamed) {
        assert_eq!(a.version(), b.version());
        for v in a.variables() {
            assert_eq!(a.chunk_count(v), b.chunk_count(v));
        }
    }
});
