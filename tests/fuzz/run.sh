#!/usr/bin/env bash
# Builds the libFuzzer programs with clang 14 (with AddressSanitizer and
# UndefinedBehaviorSanitizer) and runs each for a while on a copy of its
# corpus; findings are left in the build directory as crash-*/leak-*/timeout-*
# and new coverage in the copy (printed at the end: copy what is worth keeping
# into tests/fuzz/corpus/). Prints each fuzzer's executions; exits non-zero
# when a fuzzer found something.
#   usage: tests/fuzz/run.sh [SECONDS-PER-TARGET] [TARGET...]   (default 60, all)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-60}
shift || true
bash "$root/.ci/install-deps" clang
build=${DFOTA_SANITIZE_BUILD_DIR:-$root/build-sanitize}
# One configuration for the fuzzers and the sanitizer test suite (tests/sanitize.sh).
CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDFOTA_FUZZ=ON -DDFOTA_WERROR=ON \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fsanitize=fuzzer-no-link" >/dev/null
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(native_decoder vcdiff_decoder zstd_engine manifest package at_lines url profile recording deflate_streams)
declare -A corpus=([native_decoder]=native [vcdiff_decoder]=vcdiff [zstd_engine]=zstd [manifest]=manifest
  [package]=package [at_lines]=at [url]=url [profile]=profile [recording]=recording [deflate_streams]=deflate)
cmake --build "$build" --parallel "$(nproc)" --target "${targets[@]/#/fuzz_}" >/dev/null
status=0
for target in "${targets[@]}"; do
  work=$(mktemp -d "${TMPDIR:-/tmp}/dfota-fuzz-$target-XXXXXX")
  cp "$root/tests/fuzz/corpus/${corpus[$target]}"/* "$work/"
  log="$work.log"
  if ! (cd "$build" && "./tests/fuzz/fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 "$work" >"$log" 2>&1); then
    status=1
    grep -E "ERROR|SUMMARY|Test unit written" "$log" | sed "s/^/$target: /" || true
  fi
  runs=$(grep -oE "stat::number_of_executed_units: *[0-9]+" "$log" | grep -oE "[0-9]+$" || echo 0)
  echo "$target: $runs executions in ${seconds}s, corpus $(ls "$work" | wc -l) inputs ($work)"
done
exit $status
