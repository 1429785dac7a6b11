#!/usr/bin/env bash
# Builds the fuzz targets with clang-14 (libFuzzer, ASan, UBSan) in BUILD_DIR
# and runs each for SECONDS seconds from its seed corpus in tests/fuzz/corpus/.
# New inputs go to a temporary directory, never into the repository.
# A crash leaves its input in BUILD_DIR/crashes/ and fails the run.
# Usage: tests/fuzz/run.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build/fuzz}
seconds=${2:-20}
cmake -S "$here" -B "$build" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2
mkdir -p "$build/crashes"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for target in request zonecfg; do
    mkdir -p "$work/$target"
    dict=()
    [[ -f "$here/$target.dict" ]] && dict=(-dict="$here/$target.dict")
    echo "== fuzz_$target for ${seconds}s"
    if ! "$build/fuzz_$target" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
        -rss_limit_mb=1024 -print_final_stats=1 "${dict[@]}" \
        -artifact_prefix="$build/crashes/$target-" "$work/$target" "$here/corpus/$target" \
        2>"$work/$target.log"; then
        tail -n 60 "$work/$target.log"
        status=1
    else
        grep -E '^(stat::number_of_executed_units|stat::new_units_added|#[0-9]+ +DONE)' "$work/$target.log" || true
    fi
done
exit $status
