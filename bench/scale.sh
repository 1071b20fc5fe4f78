#!/usr/bin/env bash
# How the native engine's build time and memory grow with the image size,
# measured with `dfota diff --engine native` and `dfota patch` on each pair.
# A benchmark: it prints a table and never fails on a number.
#
# Tiled (the default): pairs of 16 to 512 MiB made by tiling the corpus's
# esbuild releases with a varying XOR pattern, the newer release as target.
#
# --real: pairs made of real releases only, laid one after the other as the
# parts of a firmware image are: esbuild 0.27.7 -> 0.28.0 (ARM), libcrypto
# and libssl 3.0.17 -> 3.0.20 (x86-64), rspack.node 2.3.3 -> 2.3.4 (50 MB
# x86-64, heavy change) and next-swc.node 16.4.5 -> 16.4.6 (101 MB x86-64,
# bench/fetch-large.sh), each image cut to the size asked ("all": uncut,
# 161 MiB). HDiffPatch (-m-6 -c-lzma2-9-16m -p-2, as bench/run.sh runs it)
# is measured beside native when it is there (DFOTA_HDIFFPATCH names its
# folder).
#   usage: bench/scale.sh [SIZES-MiB...]            (default: 16 64 128 256 512)
#          bench/scale.sh --real [SIZES-MiB|all...] (default: 16 64 128 all)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
real=false
if [[ ${1:-} == --real ]]; then
  real=true
  shift
fi
sizes=("$@")
if [[ ${#sizes[@]} -eq 0 ]]; then
  if $real; then sizes=(16 64 128 all); else sizes=(16 64 128 256 512); fi
fi
bash "$root/.ci/install-deps" time python3
bash "$root/.ci/build" >/dev/null
dfota="${DFOTA_BUILD_DIR:-$root/build}/tools/dfota"
corpus=$(bash "$root/../shared/corpus/fetch.sh" | tail -n 1)
work=$(mktemp -d "${TMPDIR:-/tmp}/dfota-scale-XXXXXX")
trap 'rm -rf "$work"' EXIT
hdiff_dir=${DFOTA_HDIFFPATCH:-$root/../shared/tools/hdiffpatch}
hdiff=""
$real && [[ -x $hdiff_dir/hdiffz ]] && hdiff="$hdiff_dir/hdiffz"

# Writes $work/old and $work/new of `$1` MiB (or "all").
make_pair() {
  if $real; then
    python3 - "$corpus" "$1" "$work" "$root" <<'PY'
import subprocess, sys
corpus, size, work, root = sys.argv[1:5]
large = subprocess.run(["bash", f"{root}/bench/fetch-large.sh", corpus], check=True,
                       capture_output=True, text=True).stdout.split()
pairs = [("esbuild-arm/0.27.7/esbuild", "esbuild-arm/0.28.0/esbuild"),
         ("libssl3/3.0.17/libcrypto.so.3", "libssl3/3.0.20/libcrypto.so.3"),
         ("libssl3/3.0.17/libssl.so.3", "libssl3/3.0.20/libssl.so.3"),
         ("rspack-x64/2.3.3/rspack.node", "rspack-x64/2.3.4/rspack.node"),
         (large[0], large[1])]
limit = None if size == "all" else int(size) << 20
for side, name in ((0, "old"), (1, "new")):
    data = b"".join(open(f"{corpus}/{pair[side]}", "rb").read() for pair in pairs)
    open(f"{work}/{name}", "wb").write(data if limit is None else data[:limit])
PY
  else
    python3 - "$corpus" "$1" "$work" <<'PY'
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
  fi
}

if [[ -n $hdiff ]]; then
  echo "| image MiB | native bytes | HDiffPatch bytes | native / HDiffPatch | build s native / HDiffPatch | build peak MiB native / HDiffPatch | native build bytes/source byte | native apply s | native apply peak MiB |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
else
  echo "| image MiB | payload bytes | build s | build peak MiB | build bytes/source byte | apply s | apply peak MiB |"
  echo "|---:|---:|---:|---:|---:|---:|---:|"
fi
for size in "${sizes[@]}"; do
  make_pair "$size"
  mib=$(awk -v b="$(stat -c %s "$work/old")" 'BEGIN { printf "%.0f", b / 1048576 }')
  /usr/bin/time -f "%e %M" -o "$work/t" "$dfota" diff --force --engine native "$work/old" "$work/new" -o "$work/p" >/dev/null
  read -r bs bk <"$work/t"
  /usr/bin/time -f "%e %M" -o "$work/t" "$dfota" patch --force --engine native "$work/old" "$work/p" -o "$work/out" >/dev/null
  read -r as ak <"$work/t"
  cmp -s "$work/out" "$work/new" || { echo "scale: $size MiB did not round-trip" >&2; exit 1; }
  per=$(awk -v k="$bk" -v b="$(stat -c %s "$work/old")" 'BEGIN { printf "%.1f", k * 1024 / b }')
  payload=$(stat -c %s "$work/p")
  rm -f "$work/out" "$work/p"
  if [[ -n $hdiff ]]; then
    /usr/bin/time -f "%e %M" -o "$work/t" "$hdiff" -f -m-6 -c-lzma2-9-16m -p-2 "$work/old" "$work/new" "$work/h" >/dev/null
    read -r hs hk <"$work/t"
    hbytes=$(stat -c %s "$work/h")
    ratio=$(awk -v a="$payload" -v b="$hbytes" 'BEGIN { printf "%.3f", a / b }')
    echo "| $mib | $payload | $hbytes | $ratio | $bs / $hs | $((bk / 1024)) / $((hk / 1024)) | $per | $as | $((ak / 1024)) |"
    rm -f "$work/h"
  else
    echo "| $mib | $payload | $bs | $((bk / 1024)) | $per | $as | $((ak / 1024)) |"
  fi
done
