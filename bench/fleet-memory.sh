#!/usr/bin/env bash
# Peak memory and wall time of one `dfota upload` to a fleet of simulated
# modules (EC2x, QFUPL), with a package of about SIZE_MB (a random partition
# changed whole, so the package is that large).
#   usage: bench/fleet-memory.sh [DFOTA] [MODULES] [SIZE_MB]
# Defaults: build/tools/dfota, 8 modules, 24 MB. Prints one Markdown row:
# modules, package bytes, peak resident memory, wall time (GNU time, Debian
# package "time").
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dfota=${1:-$here/build/tools/dfota}
modules=${2:-8}
size_mb=${3:-24}
work=$(mktemp -d)
sims=()
trap 'kill "${sims[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
cp -a "$here/samples/firmware/v1" "$work/v1"
cp -a "$here/samples/firmware/v2" "$work/v2"
head -c $((size_mb * 1000000)) /dev/urandom >"$work/v1/big.img"
head -c $((size_mb * 1000000)) /dev/urandom >"$work/v2/big.img"
# zstd: random data does not compress, and the build takes seconds, not minutes.
"$dfota" build --from "$work/v1" --to "$work/v2" -o "$work/big.zip" --engine zstd -q
for i in $(seq "$modules"); do
  cp -a "$work/v1" "$work/fw$i"
  "$dfota" sim --profile ec2x --firmware "$work/fw$i" --link "$work/port$i" --reboot-delay 0 --boot-wait 1 \
    --guard-ms 200 --fs-size $((4 * size_mb * 1000000)) >"$work/sim$i.log" 2>&1 &
  sims+=($!)
  echo "$work/port$i" >>"$work/ports.txt"
done
for i in $(seq "$modules"); do
  for _ in $(seq 100); do [[ -e $work/port$i ]] && break; sleep 0.05; done
done
/usr/bin/time -f "%M %e" -o "$work/time" "$dfota" upload "$work/big.zip" --ports-file "$work/ports.txt" \
  --guard-ms 200 -q || { echo "upload failed" >&2; exit 1; }
read -r peak_kib seconds <"$work/time"
echo "| $modules | $(stat -c %s "$work/big.zip") | $((peak_kib / 1024)) MiB | $seconds s |"
