//! The page URL's query (`ViewState::from_query`) on any text: nothing
//! may panic or take more than linear time, and what it reads writes a
//! query that reads back to the same state.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::view_state::ViewState;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (state, _) = ViewState::from_query(&text);
    let (again, notices) = ViewState::from_query(&state.to_query());
    assert!(notices.is_empty(), "{notices:?} from {}", state.to_query());
    assert_eq!(again.to_query(), state.to_query());
});
