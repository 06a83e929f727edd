//! The version a consumer sees and the symbols it can link: the header's
//! UIZA_VERSION_* macros, uiza_version() and Cargo.toml agree, and the
//! shared library exports the C API and nothing else.

mod support;

use std::process::Command;

use support::c_build::{compile_c, lib_dir};

/// A C program that prints the header's version macros and the loaded
/// library's uiza_version(), one per line.
const PRINT_VERSIONS_C: &str = r#"#include <stdio.h>
#include "uiza.h"

#if !defined(UIZA_VERSION_MAJOR) || !defined(UIZA_VERSION_MINOR) || !defined(UIZA_VERSION_PATCH)
#error "uiza.h must define UIZA_VERSION_MAJOR, UIZA_VERSION_MINOR and UIZA_VERSION_PATCH"
#endif
/* The macros must be usable in #if, which is what they are for. */
#if UIZA_VERSION_MAJOR < 0 || UIZA_VERSION_MINOR < 0 || UIZA_VERSION_PATCH < 0
#error "negative version"
#endif

int main(void) {
    printf("%d.%d.%d\n", UIZA_VERSION_MAJOR, UIZA_VERSION_MINOR, UIZA_VERSION_PATCH);
    printf("%s\n", uiza_version());
    return 0;
}
"#;

#[test]
fn header_version_macros_equal_the_crate_version_and_uiza_version() {
    if !support::tools::c_compiler_available() {
        return;
    }
    let source = support::write_temp_file("print_versions.c", PRINT_VERSIONS_C);
    let bin = compile_c("print_versions", &[source.to_str().unwrap()], &[]);
    let out = support::consumer::stdout_of(&mut Command::new(bin));
    let lines: Vec<&str> = out.lines().collect();
    let (major, minor, patch) = support::consumer::crate_version();
    let expected = format!("{major}.{minor}.{patch}");
    assert_eq!(
        lines,
        [expected.as_str(), env!("CARGO_PKG_VERSION")],
        "header macros (line 1) and uiza_version() (line 2) must equal Cargo.toml's version; \
         update after_includes in cbindgen.toml, then \
         `UIZA_BLESS_HEADER=1 cargo test --test header`"
    );
}

#[test]
fn shared_library_exports_exactly_the_functions_of_the_header() {
    if !support::tools::tool_available("nm", &["--version"], "binutils") {
        return;
    }
    let functions = support::consumer::header_functions();
    // Guards the header parser itself: a parser that finds nothing would
    // make the equality below vacuous.
    for f in ["uiza_client_new", "uiza_reset_stream_key", "uiza_version"] {
        assert!(
            functions.contains(f),
            "{f} not found in uiza.h: {functions:?}"
        );
    }
    support::consumer::assert_exports_only_the_c_api(&lib_dir().join("libuiza.so"));
}
