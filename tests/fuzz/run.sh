#!/usr/bin/env bash
# Builds the libFuzzer programs with clang 14 (with AddressSanitizer and
# UndefinedBehaviorSanitizer) and runs each for a while on a copy of its seed
# corpus; new findings are left in build-fuzz/crash-* and new coverage in the
# copy. Prints each fuzzer's executions.
#   usage: tests/fuzz/run.sh [SECONDS-PER-TARGET]     (default 60)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-60}
bash "$root/.ci/install-deps" clang
build="$root/build-fuzz"
CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDFOTA_FUZZ=ON \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fsanitize=fuzzer-no-link" >/dev/null
cmake --build "$build" --target fuzz_native_decoder >/dev/null
declare -A corpus=([native_decoder]=native)
for target in "${!corpus[@]}"; do
  work=$(mktemp -d)
  cp "$root/tests/fuzz/corpus/${corpus[$target]}"/* "$work/"
  (cd "$build" && "./tests/fuzz/fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 "$work" 2>&1 |
    grep -E "stat::number_of_executed_units|ERROR|SUMMARY" || true) | sed "s/^/$target: /"
  echo "$target: corpus grew to $(ls "$work" | wc -l) inputs in $work"
done
