# The test command passes on a machine with only Rust and a C compiler:
# runs `cargo test --workspace` again (reusing the build above) with a PATH
# that holds nothing but the Rust toolchain, the C compiler with the
# assembler and linker it runs, python3, git, sh and kill (the sandbox's
# binary test stops it with SIGTERM), and UIZA_TEST_REQUIRE_ALL
# unset. It must pass, and the tests that need the hidden tools must say
# that they skipped (one "SKIP ..." line each, tests/support/tools.rs).
#
# Sourced by .ci/run (bash, set -euo pipefail, log defined).

minimal_check() {
    local started=$SECONDS
    local work
    work="$(mktemp -d)"
    local bin="$work/bin" hide="$work/hide"
    mkdir -p "$bin" "$hide"

    # The real toolchain binaries, not rustup's proxies: a proxy puts
    # ~/.cargo/bin first on the PATH of everything it runs.
    local toolchain_bin
    toolchain_bin="$(dirname "$(rustup which cargo)")"

    local tool path
    for tool in cc gcc as ld git sh kill; do
        path="$(type -P "$tool")" || { echo "minimal PATH: no $tool here" >&2; return 1; }
        ln -s "$path" "$bin/$tool"
    done
    # The interpreter itself (a pyenv shim is a script that needs more).
    ln -s "$(python3 -c 'import sys; print(sys.executable)')" "$bin/python3"

    # cargo looks for subcommands in $CARGO_HOME/bin whatever PATH says,
    # unless PATH lists that directory: list it last, behind a stand-in
    # `cargo cinstall` that fails like a missing one.
    printf '#!/bin/sh\necho "cargo-c is hidden by the minimal PATH check" >&2\nexit 101\n' \
        >"$hide/cargo-cinstall"
    chmod +x "$hide/cargo-cinstall"
    local minimal_path="$hide:$toolchain_bin:$bin:${CARGO_HOME:-$HOME/.cargo}/bin"

    log "tests with PATH=$minimal_path"
    local out="$work/test.log" status=0
    env -u UIZA_TEST_REQUIRE_ALL PATH="$minimal_path" \
        "$toolchain_bin/cargo" test --workspace >"$out" 2>&1 || status=$?
    if [ "$status" != 0 ]; then
        grep -E '^(test .* FAILED|failures:|---- )|panicked' "$out" | head -n 60 || true
        echo "cargo test failed (exit $status) with only Rust and a C compiler on PATH; log: $out" >&2
        return 1
    fi

    # Skip lines the hidden tools must produce (tool -> a test that needs it).
    local missing_lines=0 expect
    for expect in \
        "tests/go_binding.rs::go_tests_pass_against_the_sandbox: go not found" \
        "tests/swift_module.rs::module_is_found_on_the_include_path: clang not found" \
        "tests/cpp.rs::cpp_example_prints_the_new_key: g++ not found" \
        "tests/sanitizers.rs::valgrind_example: valgrind not found" \
        "tests/bench_smoke.rs::benchmark_runs_and_prints_its_table: nginx not found" \
        "tests/bench_smoke.rs::log_overhead_benchmark_runs_and_prints_its_table: bash not found" \
        "tests/path_traversal.rs::no_traversal_id_reaches_another_location: nginx not found" \
        "tests/live_ffmpeg.rs::" \
        "tests/obs_service.rs::" \
        "tests/windows.rs::dll_exports_exactly_the_functions_of_the_header: x86_64-w64-mingw32-gcc not found" \
        "tests/install.rs::cmake_consumers_find_the_installed_package: cmake not found" \
        "tests/install.rs::cinstall_lays_out_a_system_library: pkg-config not found" \
        "tests/install.rs::readme_lists_the_system_libraries_static_linking_needs: cargo-c" \
        "tests/symbols.rs::shared_library_exports_exactly_the_functions_of_the_header: nm not found"; do
        if ! grep -qF "SKIP $expect" "$out"; then
            echo "no skip line \"SKIP $expect...\"" >&2
            missing_lines=1
        fi
    done
    # A skip line is written whole to stderr, but in the merged log it may
    # follow a fragment of libtest's stdout ("test x ... "): take each one
    # from wherever it starts.
    local skip_lines
    skip_lines="$(grep -oE 'SKIP tests/[^ :]+::[^ :]+: .*; test skipped' "$out" | sort -u)"
    printf '%s\n' "$skip_lines"
    if [ "$missing_lines" != 0 ]; then
        echo "expected skip lines are missing; log: $out" >&2
        return 1
    fi
    local skips
    skips="$(printf '%s\n' "$skip_lines" | grep -c '^SKIP ')"
    rm -rf "$work"
    echo "minimal PATH check passed in $((SECONDS - started)) s, $skips tests skipped"
}
minimal_check
