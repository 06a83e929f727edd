//! Entity ids the library must refuse before sending a byte.

/// Dot segments and the ways of writing a path separator that a decoding,
/// dot-segment-normalising server (nginx's default) could route elsewhere.
pub const DOT_SEGMENT_IDS: &[&str] = &[
    ".",
    "..",
    "../x",
    "a/../../x",
    "./x",
    "x/..",
    "abc/",
    "x/./y",
    "..;/x",
    "a\\..\\x",
    "%2e%2e%2fx",
    "..%2Fadmin",
];
