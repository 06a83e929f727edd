//! Helpers for the tests that build a real consumer of libuiza (C++ with
//! g++, C through pkg-config or CMake) and run it against the sandbox, and
//! for inspecting the built or installed library (exported symbols, the
//! header's API). The tests check that the tools are there first
//! (`tools::tool_available`); these helpers just run them.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::c_build::{lib_dir, link_flags, profile_dir, repo_root};
use super::tools::{describe, run_checked, tool_available, Finished};
use super::{Sandbox, DEFAULT_API_KEY, SEED_ENTITY_ID};

/// Where consumers built by these tests go: `target/<profile>/consumers/<name>`.
pub fn work_dir(name: &str) -> PathBuf {
    let dir = profile_dir().join("consumers").join(name);
    std::fs::create_dir_all(&dir).expect("create consumer work dir");
    dir
}

/// Like `run_checked`, and panics with the output unless the command
/// succeeded.
pub fn run_ok(cmd: &mut Command) -> Finished {
    let out = run_checked(cmd);
    out.assert_success(&format!("`{}`", describe(cmd)));
    out
}

/// Stdout of a successful command, as a trimmed string.
pub fn stdout_of(cmd: &mut Command) -> String {
    run_ok(cmd).stdout.trim().to_owned()
}

/// Runs a reset_stream_key tool (C or C++ example) for `id` against `sb`,
/// with the environment the examples read and nothing inherited that
/// could pick another libuiza (`LD_LIBRARY_PATH` points into target/).
pub fn run_example(bin: &Path, sb: &Sandbox, id: &str) -> Finished {
    run_checked(
        Command::new(bin)
            .arg(id)
            .env("UIZA_API_KEY", DEFAULT_API_KEY)
            .env("UIZA_BASE_URL", sb.base_url())
            .env_remove("UIZA_CA_FILE")
            .env_remove("LD_LIBRARY_PATH"),
    )
}

/// Runs a reset_stream_key tool for the seed entity against `sb` and
/// asserts that it succeeded and printed the key the sandbox then holds.
pub fn assert_example_prints_current_key(bin: &Path, sb: &Sandbox) {
    let out = run_example(bin, sb, SEED_ENTITY_ID);
    assert_printed_current_key(&out, sb);
}

/// Asserts that an example succeeded and printed the seed entity's key as
/// the sandbox now holds it (so the reset really happened there).
pub fn assert_printed_current_key(out: &Finished, sb: &Sandbox) {
    out.assert_success("the example");
    let stdout = &out.stdout;
    let entity = sb.entity(SEED_ENTITY_ID).expect("seed entity");
    let key = entity["ingest"]["key"].as_str().expect("ingest.key");
    assert!(
        stdout.contains(&format!("ingest key:  {key}\n")),
        "expected the sandbox's current key in:\n{stdout}"
    );
}

/// Cargo.toml's version as (major, minor, patch).
pub fn crate_version() -> (u32, u32, u32) {
    let parts: Vec<u32> = env!("CARGO_PKG_VERSION")
        .split(['.', '-', '+'])
        .take(3)
        .map(|p| p.parse().expect("numeric version"))
        .collect();
    (parts[0], parts[1], parts[2])
}

/// The functions include/uiza.h declares: every line at the top level
/// that declares `uiza_<name>(`.
pub fn header_functions() -> BTreeSet<String> {
    let header = std::fs::read_to_string(repo_root().join("include/uiza.h")).expect("uiza.h");
    header
        .lines()
        .filter(|l| !l.starts_with([' ', '/', '#', '*', '}', '{']) && l.contains('('))
        .filter_map(|l| {
            let start = l.find("uiza_")?;
            let end = start + l[start..].find('(')?;
            Some(l[start..end].to_owned())
        })
        .collect()
}

/// The dynamic symbols a shared library defines (`nm -D --defined-only`).
pub fn exported_symbols(lib: &Path) -> BTreeSet<String> {
    assert!(lib.exists(), "{} does not exist", lib.display());
    stdout_of(Command::new("nm").args(["-D", "--defined-only"]).arg(lib))
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_owned))
        .collect()
}

/// Asserts that `lib` exports exactly the functions of include/uiza.h:
/// no Rust, std or dependency symbol leaks into the C namespace.
pub fn assert_exports_only_the_c_api(lib: &Path) {
    let exported = exported_symbols(lib);
    let foreign: Vec<_> = exported
        .iter()
        .filter(|s| !s.starts_with("uiza_"))
        .collect();
    assert!(
        foreign.is_empty(),
        "{} exports symbols outside the uiza_ namespace: {foreign:?}",
        lib.display()
    );
    assert_eq!(
        exported,
        header_functions(),
        "{} must export exactly the functions declared in include/uiza.h",
        lib.display()
    );
}

/// The C++ compiler: `$CXX`, else `g++`.
pub fn cxx() -> String {
    std::env::var("CXX").unwrap_or_else(|_| "g++".to_owned())
}

/// Whether the C++ compiler runs (see `tools::tool_available`).
pub fn cxx_available() -> bool {
    tool_available(&cxx(), &["--version"], "g++")
}

/// Compiles C++17 `sources` (paths relative to the repository, or
/// absolute) against include/ and the freshly built libuiza.so, with
/// `-Wall -Wextra -Werror`, into `target/<profile>/consumers/cpp/<name>`.
pub fn compile_cpp(name: &str, sources: &[&Path], extra_flags: &[&str]) -> PathBuf {
    let cxx = cxx();
    let out = work_dir("cpp").join(name);
    let lib_dir = lib_dir();
    run_ok(
        Command::new(&cxx)
            .args(["-std=c++17", "-Wall", "-Wextra", "-Werror", "-g"])
            .arg("-I")
            .arg(repo_root().join("include"))
            .args(sources.iter().map(|s| repo_root().join(s)))
            .args(extra_flags)
            .arg("-o")
            .arg(&out)
            .args(link_flags(&lib_dir)),
    );
    out
}

/// The entries of one `kind` (`NEEDED`, `SONAME`, `RUNPATH`...) in an ELF
/// file's dynamic section.
pub fn dynamic_entries(elf: &Path, kind: &str) -> Vec<String> {
    stdout_of(Command::new("readelf").arg("-d").arg(elf))
        .lines()
        .filter(|l| l.contains(&format!("({kind})")))
        .filter_map(|l| {
            let start = l.find('[')? + 1;
            let end = l.rfind(']')?;
            Some(l[start..end].to_owned())
        })
        .collect()
}
