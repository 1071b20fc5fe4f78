#!/usr/bin/env bash
# Compares the native engine's in-process apply speed of two builds of dfota
# on the corpus pairs (those of bench/run.sh), interleaved on this machine:
# each round runs the BEFORE build's dfota_apply_speed, then the AFTER one's,
# on the same payload (made once by the AFTER build, so both builds must read
# its format). Prints the per-round MB/s (best of 7 applies each) and the
# median of each side with their ratio. On a machine whose speed drifts from
# run to run, a change is judged by this, not by two runs of bench/run.sh.
# A benchmark, not a test: it measures and prints, it never fails on a number.
#   usage: bench/apply-ab.sh BEFORE_BUILD_DIR AFTER_BUILD_DIR [ROUNDS]
#   (corpus: $DFOTA_CORPUS or ~/.cache/dfota-corpus)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
before=${1:?usage: apply-ab.sh BEFORE_BUILD_DIR AFTER_BUILD_DIR [ROUNDS]}
after=${2:?usage: apply-ab.sh BEFORE_BUILD_DIR AFTER_BUILD_DIR [ROUNDS]}
rounds=${3:-5}
for dir in "$before" "$after"; do
  [[ -x $dir/bench/dfota_apply_speed ]] || { echo "apply-ab: $dir/bench/dfota_apply_speed not built" >&2; exit 2; }
done
[[ -x $after/tools/dfota ]] || { echo "apply-ab: $after/tools/dfota not built" >&2; exit 2; }

corpus=$(bash "$root/../shared/corpus/fetch.sh" | tail -n 1)
work=$(mktemp -d "${TMPDIR:-/tmp}/dfota-ab-XXXXXX")
trap 'rm -rf "$work"' EXIT
{ grep -v '^#' "$corpus/pairs.txt"; bash "$root/bench/fetch-armhf.sh" "$corpus"; } >"$work/pairs.txt"

median() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "| pair | before MB/s (rounds) | after MB/s (rounds) | before median | after median | ratio |"
echo "|---|---|---|---:|---:|---:|"
while read -r old new; do
  [[ -n $old ]] || continue
  "$after/tools/dfota" diff --force --engine native "$corpus/$old" "$corpus/$new" -o "$work/payload" >/dev/null
  a=() b=()
  for _ in $(seq "$rounds"); do
    a+=("$("$before/bench/dfota_apply_speed" native "$corpus/$old" "$work/payload" 7 | awk '{ print $3 }')")
    b+=("$("$after/bench/dfota_apply_speed" native "$corpus/$old" "$work/payload" 7 | awk '{ print $3 }')")
  done
  ma=$(echo "${a[*]}" | median) mb=$(echo "${b[*]}" | median)
  pair="$(dirname "$(dirname "$old")")/$(basename "$old") $(basename "$(dirname "$old")")→$(basename "$(dirname "$new")")"
  echo "| $pair | ${a[*]} | ${b[*]} | $ma | $mb | $(awk -v x="$ma" -v y="$mb" 'BEGIN { printf "%.2f", y / x }') |"
done <"$work/pairs.txt"
echo "($(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d); $rounds rounds)"
