#!/usr/bin/env bash
# What the log callback costs: this libuiza with logging off against the
# library before it (the v0.2.0 tag), then with logging on into a callback
# that does nothing; the warm reset over loopback HTTP and HTTPS against
# uiza-sandbox. Prints a markdown table. Needs only Rust, a C compiler and
# git (the tag must be in the clone).
#
#   benches/log_overhead.sh           full run: release builds, every row 5 times
#   benches/log_overhead.sh --quick   40 calls per row, 2 runs (tests/bench_smoke.rs)
#
# Environment:
#   UIZA_LIB_DIR       libuiza.so under test (A); default: this tree's release build
#   UIZA_BASE_LIB_DIR  libuiza.so to compare with (B); default: the release build
#                      of BENCH_BASE_REF, made from `git archive` of it in
#                      target/bench-baseline/REF/ with its own target dir (kept,
#                      so a second run builds nothing)
#   BENCH_BASE_REF     default v0.2.0
#   UIZA_SANDBOX_BIN   the uiza-sandbox binary; default: its release build
#   BENCH_RUNS         runs per row (default 5, --quick 2)
# docs/benchmark.md describes the method.
set -euo pipefail

# shellcheck source=benches/common.sh
. "$(dirname "$0")/common.sh"
quick=0
[ "${1:-}" = "--quick" ] && quick=1

missing=()
for tool in cc cargo git; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ "${#missing[@]}" -eq 0 ] || bench_missing log_overhead.sh "${missing[@]}"

started=$SECONDS
bench_lib_dir
base_ref="${BENCH_BASE_REF:-v0.2.0}"
if [ -z "${UIZA_BASE_LIB_DIR:-}" ]; then
    commit="$(git -C "$root" rev-parse --verify "$base_ref^{commit}")"
    base="$target/bench-baseline/$base_ref"
    # Extracted again only when the ref moved: a new mtime would rebuild it.
    if [ "$(cat "$base/commit" 2>/dev/null)" != "$commit" ]; then
        rm -rf "$base/src"
        mkdir -p "$base/src"
        git -C "$root" archive "$commit" | tar -x -C "$base/src"
        echo "$commit" >"$base/commit"
    fi
    (cd "$base/src" && CARGO_TARGET_DIR="$base/target" cargo build --release --lib --quiet)
    UIZA_BASE_LIB_DIR="$base/target/release"
fi
sandbox_bin="${UIZA_SANDBOX_BIN:-}"
if [ -z "$sandbox_bin" ]; then
    (cd "$root" && cargo build --release -p uiza-sandbox --bin uiza-sandbox --quiet)
    sandbox_bin="$target/release/uiza-sandbox"
fi
built=$((SECONDS - started))

# --- the two sides: clients.c as a shared object on each library ------------
# Each side links its own copy of libuiza.so by path, so that both load even
# when UIZA_LIB_DIR and UIZA_BASE_LIB_DIR are the same directory.
for side in a b; do
    dir="$UIZA_LIB_DIR"
    [ "$side" = b ] && dir="$UIZA_BASE_LIB_DIR"
    mkdir -p "$tmp/$side"
    cp "$dir/libuiza.so" "$tmp/$side/libuiza.so"
    cc "${cflags[@]}" -fPIC -shared -DBENCH_UIZA -o "$tmp/side_$side.so" \
        "$benches/clients.c" "$tmp/$side/libuiza.so" -Wl,--disable-new-dtags,-rpath,"$tmp/$side"
done
cc "${cflags[@]}" -o "$tmp/log_overhead" "$benches/log_overhead.c" "$benches/measure.c" -ldl

# --- the sandbox, over HTTP and over HTTPS -----------------------------------
# Its request log goes to stderr, one line per request, the same for both
# sides; it is dropped.
# Not in a $(...) subshell: bench_stop_on_exit must record the pid in this
# shell, or the sandbox would outlive the script.
start_sandbox() { # name [--tls --ca-out PATH]; sets sandbox_url
    local name="$1"
    shift
    sandbox_url=""
    "$sandbox_bin" --listen 127.0.0.1:0 --api-key bench-key-not-a-secret "$@" \
        >"$tmp/$name.out" 2>/dev/null &
    bench_stop_on_exit $!
    for _ in $(seq 200); do
        sandbox_url="$(head -n 1 "$tmp/$name.out")"
        [ -n "$sandbox_url" ] && return 0
        sleep 0.05
    done
    echo "benches/log_overhead.sh: uiza-sandbox did not start" >&2
    exit 3
}
start_sandbox http
http="$sandbox_url"
start_sandbox https --tls --ca-out "$tmp/ca.pem"
https="$sandbox_url"
ca="$tmp/ca.pem"

# --- the rows -----------------------------------------------------------------
# Like benches/run.sh: what a stock machine does, not this one's CA bundle.
unset SSL_CERT_FILE SSL_CERT_DIR
if [ "$quick" = 1 ]; then
    runs="${BENCH_RUNS:-2}" calls=40 batch=10
else
    runs="${BENCH_RUNS:-5}" calls=5000 batch=250
fi
b="$tmp/log_overhead"
a_side="$tmp/side_a.so" b_side="$tmp/side_b.so"
echo "libuiza $("$b" versions "$a_side" "$b_side") (A: $UIZA_LIB_DIR; B: $UIZA_BASE_LIB_DIR, $base_ref); uiza-sandbox; $(nproc) CPUs"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| case (A vs B) | A median | A p99 | A calls/s | B median | B p99 | B calls/s | ratio A/B: median (min–max) of $runs runs | target | met |"
echo "|---|---|---|---|---|---|---|---|---|---|"
row() { # url ca level target label
    "$b" row "$1" "$2" "$runs" "$calls" "$batch" "$a_side" "$3" "$b_side" "$4" "$5"
}
for scheme in HTTP HTTPS; do
    url="$http" c=-
    [ "$scheme" = HTTPS ] && url="$https" c="$ca"
    row "$url" "$c" off le:1.01 "warm reset $scheme, logging off: this libuiza vs $base_ref"
done
for level in info debug; do
    for scheme in HTTP HTTPS; do
        url="$http" c=-
        [ "$scheme" = HTTPS ] && url="$https" c="$ca"
        row "$url" "$c" "$level" - \
            "warm reset $scheme, logging on at ${level^^} into a no-op callback: this libuiza vs $base_ref"
    done
done
echo
echo "met: every run meets the target; met in the median: the median of the runs does, not every run;"
echo "decided on the unrounded ratios (a 1.01 shown may be 1.014)."
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); builds ${built} s, measuring $((SECONDS - started - built)) s"
echo "log overhead table done"
