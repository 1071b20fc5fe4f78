#!/usr/bin/env bash
# The whole test suite built with clang 14 under AddressSanitizer and
# UndefinedBehaviorSanitizer (any report fails the test), then each libFuzzer
# target for a short burst. One build directory serves both.
#   usage: tests/sanitize.sh [FUZZ-SECONDS-PER-TARGET]   (default 15; 0 skips fuzzing)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-15}
bash "$root/.ci/install-deps" clang
build=${DFOTA_SANITIZE_BUILD_DIR:-$root/build-sanitize}
CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDFOTA_FUZZ=ON -DDFOTA_WERROR=ON \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fsanitize=fuzzer-no-link" >/dev/null
cmake --build "$build" --parallel "$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd "$build" && ctest --output-on-failure --parallel "$(nproc)")
if [[ $seconds -gt 0 ]]; then
  DFOTA_SANITIZE_BUILD_DIR="$build" bash "$root/tests/fuzz/run.sh" "$seconds"
fi
