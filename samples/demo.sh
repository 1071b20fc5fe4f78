#!/usr/bin/env bash
# The whole story on the bundled sample: build the delta package between two
# firmware versions (and the reverse one), validate it, start a simulated
# EC25 module running v1, upload the package to it over its AT port, follow
# the upgrade through the module's reboots and confirm the new version; then
# apply both packages on the host and verify them byte for byte. Installs
# missing Debian packages and builds dfota first.
#   usage: samples/demo.sh [OUTDIR]      (default: build/demo)
# With DFOTA_NO_BUILD=1 it neither installs nor builds, and takes the program
# from $DFOTA_BUILD_DIR (default build/), writing OUTDIR there by default.
set -euo pipefail
root=$(cd -P "$(dirname "$0")/.." && pwd)
build=${DFOTA_BUILD_DIR:-$root/build}
if [[ -z ${DFOTA_NO_BUILD:-} ]]; then
  bash "$root/.ci/install-deps"
  bash "$root/.ci/build" >/dev/null
fi
dfota="$build/tools/dfota"
out=${1:-$build/demo}
v1="$root/samples/firmware/v1" v2="$root/samples/firmware/v2"
rm -rf "$out" && mkdir -p "$out"

if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }

step "build the package v1 -> v2 (and v2 -> v1)"
"$dfota" build --from "$v1" --to "$v2" -o "$out/update-v1-to-v2.zip" --reverse-output "$out/update-v2-to-v1.zip"

step "validate it: what will an EC25 on v1 with 30 MB free answer?"
"$dfota" validate "$out/update-v1-to-v2.zip" --profile ec2x --module-version EC25EFAR06A06M4G_01.003.01.003 \
  --free-space 30000000 --source "$v1" --upload-name update.zip --method qfupl

step "start a simulated EC25 module running v1 on a pseudo-terminal"
cp -a "$v1" "$out/module-firmware"
"$dfota" sim --profile ec2x --firmware "$out/module-firmware" --link "$out/module0" --reboot-delay 1 --baud 115200 \
  --log 2>"$out/module0.log" &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT
for _ in $(seq 100); do [[ -e $out/module0 ]] && break; sleep 0.05; done
echo "module at $out/module0 (conversation in $out/module0.log)"

step "upload it to the module and follow the upgrade"
"$dfota" upload "$out/update-v1-to-v2.zip" --port "$out/module0"

step "the module's firmware now equals v2"
kill $sim && wait $sim 2>/dev/null || true
diff -r --no-dereference "$out/module-firmware" "$v2" && echo "identical to $v2"

step "inspect the package"
"$dfota" inspect "$out/update-v1-to-v2.zip"

step "apply it to v1"
"$dfota" apply "$out/update-v1-to-v2.zip" --source "$v1" -o "$out/applied-v2"

step "verify: the result equals v2, byte for byte"
diff -r --no-dereference "$out/applied-v2" "$v2" && echo "identical to $v2"

step "and back: apply the reverse package to the result"
"$dfota" apply "$out/update-v2-to-v1.zip" --source "$out/applied-v2" -o "$out/applied-v1"
diff -r --no-dereference "$out/applied-v1" "$v1" && echo "identical to $v1"

step "module checksum of the package (what +QFUPL/+QFOTADL will report)"
"$dfota" checksum "$out/update-v1-to-v2.zip"
