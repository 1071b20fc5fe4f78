#!/usr/bin/env bash
# Measures how close an upgrade over a slow serial link comes to the time
# the transfer alone needs: efficiency = (package bytes x 10 / baud) / wall
# time of the whole `dfota upload` command, against the simulator at
# --baud 115200 --reboot-delay 0, for COM, QFUPL (ACK mode) and FILE.
#   usage: bench/upload-efficiency.sh [BUILD_DIR] [PACKAGE]
# Prints a Markdown table. PACKAGE defaults to the sample v1 -> v2 package.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
dfota=$build/tools/dfota
work=$(mktemp -d)
trap 'pkill -f "dfota sim .*$work" 2>/dev/null || true; rm -rf "$work"' EXIT
package=${2:-}
if [[ -z $package ]]; then
  package=$work/update-v1-to-v2.zip
  "$dfota" build --force --from "$here/samples/firmware/v1" --to "$here/samples/firmware/v2" -o "$package" >/dev/null
fi
baud=115200
bytes=$(stat -c %s "$package")
echo "| family | method | package bytes | transfer alone (s) | upload command (s) | efficiency |"
echo "|---|---|---:|---:|---:|---:|"
for case in "ugxx com" "ec2x qfupl" "rg50xq qfupl" "ec200t file"; do
  set -- $case
  rm -rf "$work/fw" "$work/state"
  cp -a "$here/samples/firmware/v1" "$work/fw"
  "$dfota" sim --profile "$1" --firmware "$work/fw" --state "$work/state" --link "$work/port" \
    --reboot-delay 0 --baud $baud 2>/dev/null &
  sim=$!
  for _ in $(seq 100); do [[ -e $work/port ]] && break; sleep 0.05; done
  start=$(date +%s.%N)
  "$dfota" upload "$package" --port "$work/port" --method "$2" --json >"$work/out.json"
  end=$(date +%s.%N)
  kill $sim; wait $sim 2>/dev/null || true
  python3 - "$bytes" "$baud" "$start" "$end" "$1" "$2" <<'PY'
import sys
size, baud, start, end = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
wire, wall = size * 10 / baud, float(end) - float(start)
print(f"| {sys.argv[5]} | {sys.argv[6]} | {size:,} | {wire:.2f} | {wall:.2f} | {wire / wall:.3f} |")
PY
done
