#!/usr/bin/env bash
# Benchmarks dfota's engines against the public delta programs on real
# neighbouring releases (../shared/corpus/fetch.sh), in one run on this
# machine: payload size, build time and peak memory, apply time and peak
# memory. A benchmark, not a test: it measures and prints, it never fails on
# a number.
#   usage: bench/run.sh [--write-docs]     (corpus: $DFOTA_CORPUS or ~/.cache/dfota-corpus)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
write_docs=0
[[ ${1:-} == --write-docs ]] && write_docs=1

extra=(bsdiff zstd time binutils-multiarch) # binutils-multiarch: objcopy for every machine
command -v npm >/dev/null || extra+=(npm) # fetch.sh downloads esbuild releases with npm
bash "$root/.ci/install-deps" "${extra[@]}"
bash "$root/.ci/build" >/dev/null
dfota="${DFOTA_BUILD_DIR:-$root/build}/tools/dfota"
dfota_delta="${DFOTA_BUILD_DIR:-$root/build}/tools/dfota-delta"
fetch="$root/../shared/corpus/fetch.sh"
[[ -x $fetch || -f $fetch ]] || { echo "bench: $fetch not found" >&2; exit 1; }
corpus=$(bash "$fetch" | tail -n 1)
work=$(mktemp -d "${TMPDIR:-/tmp}/dfota-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
# The corpus's pairs, then the armhf (Thumb-2) builds of its libssl3 pair.
{ grep -v '^#' "$corpus/pairs.txt"; bash "$root/bench/fetch-armhf.sh" "$corpus"; } >"$work/elf-pairs.txt"
# Raw memory images of the same pairs, as most firmware ships: the loaded
# sections laid out by address with no ELF header, section or symbol left
# (objcopy -O binary), under CORPUS/raw-<dir>/<version>/<name>.bin.
raw_image() { # ELF path relative to the corpus -> raw path
  local elf=$1 dir version name
  dir=$(basename "$(dirname "$(dirname "$elf")")") version=$(basename "$(dirname "$elf")") name=$(basename "$elf")
  local raw="raw-$dir/$version/$name.bin"
  if [[ ! -s $corpus/$raw ]]; then
    mkdir -p "$corpus/raw-$dir/$version"
    objcopy -O binary "$corpus/$elf" "$corpus/$raw"
  fi
  echo "$raw"
}
{
  cat "$work/elf-pairs.txt"
  while read -r old new; do
    [[ -n $old ]] && echo "$(raw_image "$old") $(raw_image "$new")"
  done <"$work/elf-pairs.txt"
  # Firmware shipped compressed (gzip, then a zip from the npm registry),
  # then the large heavy-change pair.
  grep -v '^#' "$corpus/compressed.txt" || true
  bash "$root/bench/fetch-zip.sh" "$corpus"
  [[ ${DFOTA_BENCH_LARGE:-1} == 1 ]] && { grep -v '^#' "$corpus/pairs-large.txt" || true; }
} >"$work/pairs.txt"

# HDiffPatch (not in Debian) where it was built beside the project: the
# strongest public peer, measured live with both of its coders.
hdiff_dir=${DFOTA_HDIFFPATCH:-$root/../shared/tools/hdiffpatch}
hdiff_tools=""
[[ -x $hdiff_dir/hdiffz && -x $hdiff_dir/hpatchz ]] && hdiff_tools="hdiff-lzma2 hdiff-zstd"

# median_seconds: the median of the microsecond counts on its input, in
# seconds ("0.137").
median_seconds() { sort -n | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] / 1e6 }'; }

# measure CMD...: runs CMD, prints "<seconds> <peak KiB>". A command that
# takes under a second is run 5 times (one run of a tenth of a second says
# more about the machine than about the command): the median time and the
# largest peak. With once=1 in its environment, one run whatever it takes
# (for a command that refuses to overwrite what it made).
measure() {
  local runs=1 peak=0 i start end kib
  local -a micros=()
  for ((i = 0; i < runs; i++)); do
    start=$(date +%s%N)
    /usr/bin/time -f "%M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
      echo "bench: failed: $*" >&2; cat "$work/stderr" >&2; return 1; }
    end=$(date +%s%N)
    micros+=($(((end - start) / 1000)))
    kib=$(tail -n 1 "$work/time")
    ((kib > peak)) && peak=$kib
    ((i == 0 && end - start < 1000000000)) && [[ ${once:-0} != 1 ]] && runs=5
  done
  echo "$(printf '%s\n' "${micros[@]}" | median_seconds) $peak"
}

size_of() { stat -c %s "$1"; }
# interleaved ROUNDS CMD_A -- CMD_B: runs A then B, ROUNDS times, and prints
# the median seconds of each ("<a> <b>"). On a machine whose speed drifts,
# two commands timed minutes apart are compared on different machines;
# alternating them is not.
interleaved() {
  local rounds=$1 i start middle end
  shift
  local -a a=() b=()
  while [[ $1 != -- ]]; do a+=("$1"); shift; done
  shift
  b=("$@")
  for ((i = 0; i < rounds; i++)); do
    start=$(date +%s%N)
    "${a[@]}" >/dev/null 2>&1 || { echo "bench: failed: ${a[*]}" >&2; return 1; }
    middle=$(date +%s%N)
    "${b[@]}" >/dev/null 2>&1 || { echo "bench: failed: ${b[*]}" >&2; return 1; }
    end=$(date +%s%N)
    echo "$(((middle - start) / 1000)) $(((end - middle) / 1000))"
  done >"$work/interleaved"
  echo "$(cut -d' ' -f1 "$work/interleaved" | median_seconds) $(cut -d' ' -f2 "$work/interleaved" | median_seconds)"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
mib1() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# image_kib CMD...: the peak KiB of CMD doing next to nothing (printing its
# version or usage; its exit status is ignored): the program's own image,
# its libraries loaded and started. Taken away from a build's peak, what is
# left is what the build itself needed.
image_kib() {
  /usr/bin/time -f "%M" -o "$work/time" "$@" >/dev/null 2>&1 || true
  tail -n 1 "$work/time"
}

tools="dfota-native dfota-delta dfota-zstd dfota-vcdiff dfota-full $hdiff_tools xdelta3 bsdiff zstd-cli"
declare -A label=(
  [dfota-native]="dfota native" [dfota-delta]="dfota-delta (native)" [dfota-zstd]="dfota zstd" [dfota-vcdiff]="dfota vcdiff" [dfota-full]="dfota full"
  [hdiff-lzma2]="HDiffPatch -m-6 lzma2" [hdiff-zstd]="HDiffPatch -m-6 zstd"
  [xdelta3]="xdelta3 -9" [bsdiff]="bsdiff 4.3" [zstd-cli]="zstd --patch-from -19 --long")

diff_cmd() { # tool old new out
  case $1 in
    dfota-delta) echo "$dfota_delta diff $2 $3 -o $4" ;;
    dfota-*) echo "$dfota diff --force --engine ${1#dfota-} $2 $3 -o $4" ;;
    hdiff-lzma2) echo "$hdiff_dir/hdiffz -f -m-6 -c-lzma2-9-16m -p-2 $2 $3 $4" ;;
    hdiff-zstd) echo "$hdiff_dir/hdiffz -f -m-6 -c-zstd-21-24 -p-2 $2 $3 $4" ;;
    xdelta3) echo "xdelta3 -9 -e -D -f -s $2 $3 $4" ;; # -D: the files as they are, never gunzipped first
    bsdiff) echo "bsdiff $2 $3 $4" ;;
    zstd-cli) echo "zstd -q -f --patch-from=$2 -19 --long $3 -o $4" ;;
  esac
}
patch_cmd() { # tool old payload out
  case $1 in
    dfota-delta) echo "$dfota_delta patch $2 $3 -o $4" ;;
    dfota-*) echo "$dfota patch --force --engine ${1#dfota-} $2 $3 -o $4" ;;
    hdiff-*) echo "$hdiff_dir/hpatchz -f $2 $3 $4" ;;
    xdelta3) echo "xdelta3 -d -D -R -f -s $2 $3 $4" ;;
    bsdiff) echo "bspatch $2 $4 $3" ;;
    zstd-cli) echo "zstd -q -d -f --patch-from=$2 --long=31 $3 -o $4" ;;
  esac
}

speed="${DFOTA_BUILD_DIR:-$root/build}/bench/dfota_apply_speed"
table="$work/table.md"
goals="$work/goals.md"
{
  echo "| pair (target bytes) | tool | payload bytes | vs bsdiff | build s | build peak MiB | apply s | apply peak MiB | apply MB/s in-process |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
} >"$table"
{
  echo "| pair | native bytes | goal (0.90 × min(HDiffPatch lzma2, HDiffPatch zstd, bsdiff), 0.25 × for gzip and zip pairs; bsdiff alone without HDiffPatch) | size | build s native / bsdiff | build peak MiB dfota-delta / dfota / bsdiff | build memory | build MiB beyond the program's image dfota / bsdiff | apply MB/s |"
  echo "|---|---:|---:|---|---|---|---|---|---:|"
} >"$goals"

native_image=$(image_kib "$dfota" --version)
delta_image=$(image_kib "$dfota_delta" --version)
bsdiff_image=$(image_kib bsdiff)
while read -r old new; do
  [[ -n $old ]] || continue
  o="$corpus/$old" n="$corpus/$new"
  pair="$(basename "$(dirname "$(dirname "$old")")")/$(basename "$old") $(basename "$(dirname "$old")")→$(basename "$(dirname "$new")") ($(size_of "$n"))"
  # Files of one folder (the corpus's downloads) are told apart by name.
  [[ $(dirname "$old") == "$(dirname "$new")" ]] && pair="$(basename "$old")→$(basename "$new") ($(size_of "$n"))"
  declare -A size build_s build_k apply_s apply_k
  for t in $tools; do
    read -r build_s[$t] build_k[$t] < <(measure $(diff_cmd "$t" "$o" "$n" "$work/$t.p"))
    size[$t]=$(size_of "$work/$t.p")
    read -r apply_s[$t] apply_k[$t] < <(measure $(patch_cmd "$t" "$o" "$work/$t.p" "$work/$t.out"))
    cmp -s "$work/$t.out" "$n" || { echo "bench: $t did not reproduce $new" >&2; exit 1; }
  done
  for t in $tools; do
    ratio=$(awk -v a="${size[$t]}" -v b="${size[bsdiff]}" 'BEGIN { printf "%.3f", a / b }')
    mbs=""
    [[ $t == dfota-* && $t != dfota-delta ]] && mbs=$("$speed" "${t#dfota-}" "$o" "$work/$t.p" 5 | awk '{ print $3 }')
    [[ $t == dfota-native ]] && native_mbs=$mbs
    echo "| $pair | ${label[$t]} | ${size[$t]} | $ratio | ${build_s[$t]} | $(mib "${build_k[$t]}") | ${apply_s[$t]} | $(mib "${apply_k[$t]}") | $mbs |" >>"$table"
  done
  key="$(basename "$new") $(basename "$(dirname "$old")")→$(basename "$(dirname "$new")")"
  [[ $old == *armhf* ]] && key="$(basename "$new") armhf $(basename "$(dirname "$old")")→$(basename "$(dirname "$new")")"
  [[ $(dirname "$old") == "$(dirname "$new")" ]] && key="$(basename "$old")→$(basename "$new")"
  h_size=${size[bsdiff]}
  for t in $hdiff_tools; do
    ((size[$t] < h_size)) && h_size=${size[$t]}
  done
  # Sub-second builds: native and bsdiff timed alternately for the goal.
  goal_s="${build_s[dfota-native]} / ${build_s[bsdiff]}"
  if awk -v s="${build_s[dfota-native]}" 'BEGIN { exit !(s < 1) }'; then
    read -r native_s bsdiff_s < <(interleaved 9 $(diff_cmd dfota-native "$o" "$n" "$work/goal.native") -- \
      $(diff_cmd bsdiff "$o" "$n" "$work/goal.bsdiff"))
    goal_s="$native_s / $bsdiff_s (alternating)"
  fi
  # Firmware shipped compressed: the goal is the diff of the contents (0.25 ×).
  factor=0.9
  [[ $o == *.tgz || $o == *.gz || $o == *.zip || $o == *.jar ]] && factor=0.25
  goal=$(awk -v m="$h_size" -v f="$factor" 'BEGIN { printf "%d", f * m }')
  verdict=$([[ ${size[dfota-native]} -le $goal ]] && echo met || echo missed)
  memory=$([[ ${build_k[dfota-delta]} -lt ${build_k[bsdiff]} ]] && echo "met (dfota-delta)" || echo missed)
  echo "| $key | ${size[dfota-native]} | $goal | $verdict | $goal_s | $(mib1 "${build_k[dfota-delta]}") / $(mib1 "${build_k[dfota-native]}") / $(mib1 "${build_k[bsdiff]}") | $memory | $(mib1 $((${build_k[dfota-native]} - native_image))) / $(mib1 $((${build_k[bsdiff]} - bsdiff_image))) | $native_mbs |" >>"$goals"
done <"$work/pairs.txt"

# The whole firmware pair as a package, with the default engine choice.
read -r pkg_s pkg_k < <(measure "$dfota" build --force --from "$corpus/firmware/v1" --to "$corpus/firmware/v2" -o "$work/pkg.zip")
read -r app_s app_k < <(once=1 measure "$dfota" apply --force "$work/pkg.zip" --source "$corpus/firmware/v1" -o "$work/applied")
diff -r "$work/applied" "$corpus/firmware/v2" >/dev/null || { echo "bench: package did not reproduce v2" >&2; exit 1; }
summary="Package firmware/v1 → v2 (engine auto): $(size_of "$work/pkg.zip") bytes, build ${pkg_s} s / $(mib "$pkg_k") MiB, apply ${app_s} s / $(mib "$app_k") MiB."

machine="$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -m), $(date -u +%Y-%m-%d)"
cat "$table"
echo
cat "$goals"
echo
echo "$summary"
echo "($machine)"

if [[ $write_docs == 1 ]]; then
  # bench/scale.sh's section, and anything after it, is kept as it is.
  kept=$(sed -n '/^## Scale of the native engine/,$p' "$root/docs/benchmarks.md" 2>/dev/null || true)
  {
    echo "# Benchmarks"
    echo
    echo "Produced by \`bench/run.sh --write-docs\` in one run on one machine ($machine)."
    echo "Pairs are real neighbouring releases fetched by \`../shared/corpus/fetch.sh\`, and the armhf (32-bit ARM,"
    echo "Thumb-2, position-independent) builds of its libssl3 pair from the Debian archive (\`bench/fetch-armhf.sh\`);"
    echo "then the same pairs as raw memory images (\`objcopy -O binary\`: no ELF header, section or symbol left,"
    echo "as most firmware ships; \`.bin\` names), the corpus's gzip pairs (\`.tgz\`), a zip pair from the npm registry (\`bench/fetch-zip.sh\`: two releases of google-closure-compiler-java's \`compiler.jar\`) and the corpus's large heavy-change pair."
    echo "\"vs bsdiff\" is payload size divided by bsdiff's payload size in the same run (lower is better)."
    echo "Peak memory is the maximum resident set size reported by \`/usr/bin/time\`. A command that takes"
    echo "under a second is run 5 times: its time is the median, its peak memory the largest."
    echo
    echo "The program's image is its peak memory doing next to nothing (\`dfota --version\`: $(mib1 "$native_image") MiB;"
    echo "\`dfota-delta --version\`: $(mib1 "$delta_image") MiB; \`bsdiff\` printing its usage: $(mib1 "$bsdiff_image") MiB): the executable and"
    echo "its shared libraries loaded and started. \`dfota-delta\` is the native engine alone as a small program"
    echo "(tools/delta/): the same payloads as \`dfota diff\`/\`dfota patch\` with the native engine, its libraries"
    echo "taken from their archives; it is the row that compares the engine's memory with bsdiff's, program to program."
    echo "In the goals table, builds under a second are timed again, native and bsdiff alternating 9 times"
    echo "(medians): on a machine whose speed drifts, that compares them on the same machine."
    echo
    echo "\"apply MB/s in-process\" is target bytes per second of the engine's apply() alone, source and payload"
    echo "already in memory (bench/apply_speed.cpp, best of 5); \"apply s\" is the whole \`dfota patch\` process."
    echo "HDiffPatch 4.12.0 is not packaged in Debian: it is measured live, with both coders on two threads"
    echo "(\`-m-6 -c-lzma2-9-16m -p-2\`, \`-m-6 -c-zstd-21-24 -p-2\`), where it was built beside the project."
    echo
    echo "![Payload size relative to bsdiff, per pair and tool](images/bench-payload.svg)"
    echo
    cat "$table"
    echo
    echo "## The native engine against its goals"
    echo
    cat "$goals"
    echo
    echo "$summary"
    [[ -z $kept ]] || { echo; echo "$kept"; }
  } >"$root/docs/benchmarks.md"
  python3 "$root/bench/chart.py" "$root/docs/benchmarks.md" "$root/docs/images/bench-payload.svg"
  echo "wrote docs/benchmarks.md and docs/images/bench-payload.svg"
fi
