// Dot segments and the ways of writing a path separator that a decoding,
// dot-segment-normalising server (nginx's default) could route elsewhere.
//
// One list, an array expression read with include!() by the unit test in
// src/core/request_path.rs and by tests/support/refused_ids.rs, so that
// the library's own test and the end-to-end tests refuse the same ids.
[
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
]
