# Runs every cargo-fuzz target (fuzz/fuzz_targets/) for a bounded time,
# starting from the committed seeds in fuzz/corpus/<target>/. New inputs go
# to a temporary directory, so the checkout stays clean; a crash fails CI
# and leaves its input in fuzz/artifacts/<target>/ (turn it into a test).
fuzz_seconds="${UIZA_FUZZ_SECONDS:-60}"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
fuzz_work="$(mktemp -d)"
# The fuzz crate is outside the workspace, so the format check above
# does not reach it.
(cd fuzz && cargo fmt --check)
cargo +nightly fuzz build
# Exactly these targets: a failing `fuzz list`, or one that lists fewer
# (or unknown) targets, must not quietly fuzz less. Update with a new target.
fuzz_expected=(async_calls c_abi parse_documents request_path)
fuzz_listed="$(cargo +nightly fuzz list)" || {
    echo "cargo +nightly fuzz list failed" >&2
    exit 1
}
mapfile -t fuzz_targets < <(sort <<<"$fuzz_listed")
if [ "${fuzz_targets[*]}" != "${fuzz_expected[*]}" ]; then
    echo "cargo fuzz list gives [${fuzz_targets[*]}], want [${fuzz_expected[*]}]" >&2
    exit 1
fi
for fuzz_target in "${fuzz_targets[@]}"; do
    log "fuzz: $fuzz_target for ${fuzz_seconds} s"
    mkdir -p "$fuzz_work/$fuzz_target"
    if ! cargo +nightly fuzz run "$fuzz_target" "$fuzz_work/$fuzz_target" \
        "fuzz/corpus/$fuzz_target" -- -max_total_time="$fuzz_seconds" \
        -print_final_stats=1 >"$fuzz_work/$fuzz_target.log" 2>&1; then
        tail -n 80 "$fuzz_work/$fuzz_target.log"
        echo "fuzz target $fuzz_target failed; its input is in fuzz/artifacts/$fuzz_target/"
        exit 1
    fi
    grep -E '^Done [0-9]+ runs|stat::number_of_executed_units|stat::peak_rss_mb' \
        "$fuzz_work/$fuzz_target.log" || true
done
rm -rf "$fuzz_work"
