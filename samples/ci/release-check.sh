#!/usr/bin/env bash
# A release check for a CI pipeline: builds the release's packages, validates
# each against every module family, upgrades a simulated module of each family
# end to end, and fails the job on any finding. JUnit reports and logs land
# in OUT/reports/ for the CI server to show (Jenkins: junit 'OUT/reports/*.xml';
# GitLab: artifacts:reports:junit: OUT/reports/*.xml).
#
#   usage: release-check.sh --to NEW-FW --from FIELD-FW [--from FIELD-FW...] -o OUT
#   environment:
#     DFOTA          the dfota program (default: dfota from PATH)
#     PROFILES       families to check (default: ugxx ec2x ec200t rg50xq)
#     SIGN_KEY       sign the packages with this private key, and check with PUBKEY
#     PUBKEY         the public key the modules trust
#     SIM_OPTIONS    extra options for the simulated modules (e.g. --reboot-delay 0)
#     JOBS           packages built at once (default: cores)
#
# Exit 0 when everything passed; 1 when any step found a problem (the summary
# names each); 2 on bad arguments.
set -uo pipefail

dfota=${DFOTA:-dfota}
profiles=${PROFILES:-ugxx ec2x ec200t rg50xq}
to="" out="" from=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --to) to=$2; shift 2 ;;
    --from) from+=("$2"); shift 2 ;;
    -o) out=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "release-check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ -n $to && -n $out && ${#from[@]} -gt 0 ]] || { echo "release-check: give --to, --from and -o (see --help)" >&2; exit 2; }
command -v "$dfota" >/dev/null || { echo "release-check: '$dfota' not found; set DFOTA" >&2; exit 2; }

reports=$out/reports
mkdir -p "$reports"
findings=()
finding() { findings+=("$1"); echo "FINDING: $1" >&2; }

# 1. The packages, verified and indexed.
release_args=(release --to "$to" -o "$out/packages" --json)
for f in "${from[@]}"; do release_args+=(--from "$f"); done
[[ -n ${JOBS:-} ]] && release_args+=(-j "$JOBS")
[[ -n ${SIGN_KEY:-} ]] && release_args+=(--sign-key "$SIGN_KEY")
if ! "$dfota" "${release_args[@]}" >"$reports/release-index.json"; then
  finding "dfota release: not every package is ok (see $out/packages/index.txt)"
fi
[[ -f $out/packages/index.json ]] || { echo "release-check: no index was written" >&2; exit 1; }

# The forward packages: file, from_version, from_dir (one per line, tab-separated).
mapfile -t packages < <(python3 -c '
import json, sys
for p in json.load(open(sys.argv[1]))["packages"]:
    if p["direction"] == "forward" and p["file"]:
        print("\t".join([p["file"], p["from_version"], p["from_dir"]]))' "$out/packages/index.json")

# 2. Each package against each family, as a module running its source version.
for line in "${packages[@]}"; do
  IFS=$'\t' read -r file from_version from_dir <<<"$line"
  for profile in $profiles; do
    args=(validate "$out/packages/$file" --profile "$profile" --module-version "$from_version"
          --source "$from_dir" --junit "$reports/validate-$profile-${file%.zip}.xml")
    [[ -n ${PUBKEY:-} ]] && args+=(--pubkey "$PUBKEY")
    "$dfota" "${args[@]}" >"$reports/validate-$profile-${file%.zip}.txt" 2>&1 \
      || finding "validate $file for $profile (see $reports/validate-$profile-${file%.zip}.txt)"
  done
done

# 3. A simulated module of each family, upgraded end to end with the first package.
if [[ ${#packages[@]} -gt 0 ]]; then
  IFS=$'\t' read -r file from_version from_dir <<<"${packages[0]}"
  for profile in $profiles; do
    module=$(mktemp -d "${TMPDIR:-/tmp}/release-check-$profile-XXXXXX")
    cp -a "$from_dir" "$module/firmware"
    # shellcheck disable=SC2086
    "$dfota" sim --profile "$profile" --firmware "$module/firmware" --link "$module/port" \
      --log-file "$reports/sim-$profile.log" ${SIM_OPTIONS:-} 2>"$reports/sim-$profile.err" &
    sim=$!
    for _ in $(seq 100); do [[ -e $module/port ]] && break; sleep 0.05; done
    args=(upload "$out/packages/$file" --port "$module/port" --profile "$profile"
          --junit "$reports/upload-$profile.xml" --log-file "$reports/upload-$profile.log")
    [[ -n ${PUBKEY:-} ]] && args+=(--pubkey "$PUBKEY")
    "$dfota" "${args[@]}" >"$reports/upload-$profile.txt" 2>&1 \
      || finding "upgrade of a simulated $profile module (see $reports/upload-$profile.txt)"
    kill "$sim" 2>/dev/null
    wait "$sim" 2>/dev/null
    rm -rf "$module"
  done
fi

echo
echo "release check: ${#packages[@]} package(s), families: $profiles"
if [[ ${#findings[@]} -gt 0 ]]; then
  printf '  %s\n' "${findings[@]}"
  echo "FAILED: ${#findings[@]} finding(s); reports in $reports"
  exit 1
fi
echo "passed; reports in $reports"
