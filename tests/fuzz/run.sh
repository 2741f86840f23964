#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build/fuzz, a project of its own: see
# tests/fuzz/CMakeLists.txt) and runs each for a bounded time over a scratch copy of
# its committed seed corpus (tests/fuzz/corpus/<target>/). Fails on any crash,
# sanitizer report, broken invariant, leak or timeout.
#
#   tests/fuzz/run.sh [SECONDS]     SECONDS per target, default 30
#
# A finding is left as build/fuzz/findings/<target>/crash-* (or leak-*/timeout-*);
# replay it with build/fuzz/<target> FILE.
set -euo pipefail

cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/../.."
SECONDS_PER_TARGET=${1:-30}
[[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS]" >&2; exit 2; }
BUILD=build/fuzz
TARGETS=(request_fuzz partner_file_fuzz)

echo "==> building fuzz targets ($BUILD, clang)"
cmake -S tests/fuzz -B "$BUILD" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target "${TARGETS[@]}"

status=0
for target in "${TARGETS[@]}"; do
    work=$BUILD/work/$target findings=$BUILD/findings/$target
    rm -rf "$work" "$findings"
    mkdir -p "$work" "$findings"
    cp tests/fuzz/corpus/"$target"/* "$work"/
    echo "==> fuzzing $target for ${SECONDS_PER_TARGET}s"
    # -timeout: one input taking over 10 s is a hang; -rss_limit_mb bounds memory.
    if ! "$BUILD/$target" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
        -max_len=8192 -print_final_stats=1 -artifact_prefix="$findings/" "$work" \
        >"$BUILD/$target.log" 2>&1; then
        echo "FAIL: $target found a problem; last lines of $BUILD/$target.log:" >&2
        tail -n 40 "$BUILD/$target.log" >&2
        ls "$findings" >&2
        status=1
    else
        grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$BUILD/$target.log" || true
    fi
done
exit "$status"
