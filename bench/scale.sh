#!/usr/bin/env bash
# How the native engine's build time and memory grow with the image size:
# builds image pairs of 16 to 512 MiB from the corpus (the esbuild releases
# tiled with a varying XOR pattern, the newer release as target) and measures
# `dfota diff --engine native` and `dfota patch` on each. A benchmark: it
# prints a table and never fails on a number.
#   usage: bench/scale.sh [SIZES-MiB...]      (default: 16 64 128 256 512)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(16 64 128 256 512)
bash "$root/.ci/install-deps" time python3
bash "$root/.ci/build" >/dev/null
dfota="${DFOTA_BUILD_DIR:-$root/build}/tools/dfota"
corpus=$(bash "$root/../shared/corpus/fetch.sh" | tail -n 1)
work=$(mktemp -d "${TMPDIR:-/tmp}/dfota-scale-XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "| image MiB | payload bytes | build s | build peak MiB | build bytes/source byte | apply s | apply peak MiB |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for mib in "${sizes[@]}"; do
  python3 - "$corpus" "$mib" "$work" <<'PY'
import sys
corpus, mib, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
old = open(f"{corpus}/esbuild-arm/0.28.0/esbuild", "rb").read()
new = open(f"{corpus}/esbuild-arm/0.28.2/esbuild", "rb").read()
size = mib << 20
def tile(data, path):
    with open(path, "wb") as out:
        written, copy = 0, 0
        while written < size:
            # Each copy differs (a per-copy byte XOR over every 4 KiB line start)
            # so that the tiles are not trivially equal to each other.
            block = bytearray(data[: size - written])
            for i in range(0, len(block), 4096):
                block[i] ^= copy & 0xFF
            out.write(block)
            written += len(block)
            copy += 1
tile(old, f"{work}/old")
tile(new, f"{work}/new")
PY
  /usr/bin/time -f "%e %M" -o "$work/t" "$dfota" diff --force --engine native "$work/old" "$work/new" -o "$work/p" >/dev/null
  read -r bs bk <"$work/t"
  /usr/bin/time -f "%e %M" -o "$work/t" "$dfota" patch --force --engine native "$work/old" "$work/p" -o "$work/out" >/dev/null
  read -r as ak <"$work/t"
  cmp -s "$work/out" "$work/new" || { echo "scale: $mib MiB did not round-trip" >&2; exit 1; }
  per=$(awk -v k="$bk" -v m="$mib" 'BEGIN { printf "%.1f", k * 1024 / (m * 1048576) }')
  echo "| $mib | $(stat -c %s "$work/p") | $bs | $((bk / 1024)) | $per | $as | $((ak / 1024)) |"
  rm -f "$work/out" "$work/p"
done
