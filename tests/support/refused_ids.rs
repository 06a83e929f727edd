//! Entity ids the library must refuse before sending a byte.

/// Dot segments and the ways of writing a path separator that a decoding,
/// dot-segment-normalising server (nginx's default) could route elsewhere
/// (the list is shared with the unit test in src/core/request_path.rs).
pub const DOT_SEGMENT_IDS: &[&str] = &include!("dot_segment_ids.rs");
