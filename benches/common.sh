# Sourced by the benchmark scripts (run.sh, log_overhead.sh): the paths, the
# library under test, a temp dir that goes away on exit with every server
# started into it, and the C flags of the drivers.
# shellcheck shell=bash

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
benches="$root/benches"
target="${CARGO_TARGET_DIR:-$root/target}"

# $1: the script's name, the rest: what is missing. Exits with 3.
bench_missing() {
    local script="$1"
    shift
    echo "benches/$script: missing: $*; .ci/run installs them (.ci/install.d/)" >&2
    exit 3
}

# UIZA_LIB_DIR, the directory of the libuiza.so under test: as given, or
# this tree's release build (built here).
bench_lib_dir() {
    if [ -z "${UIZA_LIB_DIR:-}" ]; then
        (cd "$root" && cargo build --release --lib --quiet)
        UIZA_LIB_DIR="$target/release"
    fi
    [ -f "$UIZA_LIB_DIR/libuiza.so" ] || { echo "no libuiza.so in $UIZA_LIB_DIR" >&2; exit 3; }
}

# $tmp, removed on exit; every pid given to bench_stop_on_exit is stopped
# first.
bench_pids=()
bench_stop_on_exit() { bench_pids+=("$1"); }
bench_cleanup() {
    local pid
    for pid in "${bench_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
tmp="$(mktemp -d)"
trap bench_cleanup EXIT
# A signal would otherwise end the script without its EXIT trap (a server
# waited on until it is stopped), leaving servers and the temp dir.
trap 'exit 130' INT
trap 'exit 143' TERM

cflags=(-O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$root/include" -I"$benches")
# Links libuiza.so of directory $1. DT_RPATH (not RUNPATH): searched before
# LD_LIBRARY_PATH, so the library measured is the one in that directory
# even under `cargo test`, whose LD_LIBRARY_PATH holds target/<profile>
# (see tests/support/c_build.rs).
uiza_link_flags() { echo "-L$1 -luiza -Wl,--disable-new-dtags,-rpath,$1"; }
