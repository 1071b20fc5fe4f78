#!/usr/bin/env bash
# Builds dfota and runs the whole test suite. Installs missing Debian
# packages first (apt-get), so a fresh Debian 12 machine needs nothing else.
#   usage: tests/run.sh [CTEST-ARGS...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/.ci/install-deps"
bash "$root/.ci/build"
cd "${DFOTA_BUILD_DIR:-$root/build}"
ctest --output-on-failure --parallel "$(nproc)" "$@"
