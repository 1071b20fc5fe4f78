#!/usr/bin/env bash
# The Mender Update Module `dfota` driven by Debian's real mender-client
# (standalone `mender install`, `commit`, `rollback`, no server) on artifacts
# written by the real mender-artifact, against simulated modules:
# success, a module that refuses the package, a rollback with the reverse
# package, and bad artifacts.
#
# Mender looks for Update Modules in /usr/share/mender/modules/v3 and for
# /etc/mender/artifact_info whatever its configuration says, so the test runs
# in a private mount namespace (unshare) where scratch directories are bound
# over those two: nothing is written outside the scratch directory.
#   usage: update_module_test.sh SOURCE-DIR DFOTA-PROGRAM SCRATCH-DIR
set -euo pipefail
source_dir=$1 dfota=$2 scratch=$3

if [[ -z ${DFOTA_IN_NAMESPACE:-} ]]; then
  for tool in mender mender-artifact unshare; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (.ci/install-deps installs it)" >&2; exit 1; }
  done
  rm -rf "$scratch"
  mkdir -p "$scratch"
  # Root binds in a mount namespace of its own; anyone else maps to root in a user namespace.
  if [[ $(id -u) -eq 0 ]]; then namespace=(unshare --mount); else namespace=(unshare --mount --map-root-user); fi
  exec env DFOTA_IN_NAMESPACE=1 "${namespace[@]}" bash "$0" "$@"
fi

fail() { echo "FAIL: $*" >&2; exit 1; }
sims=()
cleanup() { for pid in "${sims[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

bin=$(dirname "$dfota")
export PATH="$bin:$PATH" DFOTA_FORMATS_DIR="$source_dir/formats"
mkdir -p "$scratch"/{modules,etc,data,work}
cp "$source_dir/tools/mender/dfota" "$scratch/modules/dfota"
mount --bind "$scratch/modules" /usr/share/mender/modules/v3
mount --bind "$scratch/etc" /etc/mender
echo "artifact_name=factory" >/etc/mender/artifact_info
echo "device_type=modem-gateway" >"$scratch/data/device_type"
echo '{"DeviceTypeFile": "'"$scratch"'/data/device_type"}' >"$scratch/mender.conf"
# The device's own settings file (none: everything comes from the artifacts).
export DFOTA_MENDER_SETTINGS="$scratch/no-device-settings.json"

mender_run() { # mender VERB [ARGS]: its output in $scratch/mender.log, its exit code returned
  mender --config "$scratch/mender.conf" --fallback-config "$scratch/none.conf" --data "$scratch/data" \
    --no-syslog "$@" >"$scratch/mender.log" 2>&1
}
current_artifact() { mender --config "$scratch/mender.conf" --data "$scratch/data" --no-syslog show-artifact 2>/dev/null; }

# A simulated module on its own copy of sample firmware v1.
start_sim() { # NAME PROFILE [SIM OPTIONS]
  local name=$1 profile=$2
  shift 2
  cp -r "$source_dir/samples/firmware/v1" "$scratch/fw-$name"
  "$dfota" sim --profile "$profile" --firmware "$scratch/fw-$name" --link "$scratch/port-$name" --reboot-delay 0 \
    --boot-wait 2 --guard-ms 200 "$@" >"$scratch/sim-$name.log" 2>&1 &
  sims+=($!)
  for _ in $(seq 100); do [[ -e $scratch/port-$name ]] && return 0; sleep 0.05; done
  fail "the simulator $name did not start: $(cat "$scratch/sim-$name.log")"
}

artifact() { # NAME META-JSON FILE... -> $scratch/NAME.mender
  local name=$1 meta=$2
  shift 2
  echo "$meta" >"$scratch/$name.meta.json"
  local files=()
  for f in "$@"; do files+=(-f "$f"); done
  mender-artifact write module-image -T dfota -n "$name" -t modem-gateway -o "$scratch/$name.mender" \
    -m "$scratch/$name.meta.json" "${files[@]}" >/dev/null
}

"$dfota" build --from "$source_dir/samples/firmware/v1" --to "$source_dir/samples/firmware/v2" \
  -o "$scratch/update.zip" --reverse-output "$scratch/rollback.zip" -q
v1=EC25EFAR06A06M4G_01.003.01.003 v2=EC25EFAR06A07M4G_01.004.01.004

# 1. Success: install, then commit.
start_sim ok ec2x
artifact release-2 '{"port": "'"$scratch"'/port-ok", "package": "update.zip", "rollback_package": "rollback.zip",
  "to_version": "'$v2'", "upload_args": ["--guard-ms", "200"]}' "$scratch/update.zip" "$scratch/rollback.zip"
mender_run install "$scratch/release-2.mender" || fail "install: $(cat "$scratch/mender.log")"
grep -q "install: the module runs $v2 (was $v1)" "$scratch/mender.log" || fail "no outcome in the log: $(cat "$scratch/mender.log")"
mender_run commit || fail "commit: $(cat "$scratch/mender.log")"
[[ $(current_artifact) == release-2 ]] || fail "the committed artifact is $(current_artifact)"
diff -r "$scratch/fw-ok" "$source_dir/samples/firmware/v2" >/dev/null || fail "the module does not run v2"

# 2. A rollback with the reverse package: the module is back on v1.
start_sim back ec2x
artifact release-3 '{"port": "'"$scratch"'/port-back", "rollback_package": "rollback.zip",
  "upload_args": ["--guard-ms", "200"]}' "$scratch/update.zip" "$scratch/rollback.zip"
mender_run install "$scratch/release-3.mender" || fail "install: $(cat "$scratch/mender.log")"
diff -r "$scratch/fw-back" "$source_dir/samples/firmware/v2" >/dev/null || fail "the module does not run v2"
mender_run rollback || fail "rollback: $(cat "$scratch/mender.log")"
grep -q "rollback: the module runs $v1 (was $v2)" "$scratch/mender.log" || fail "no rollback in the log: $(cat "$scratch/mender.log")"
diff -r "$scratch/fw-back" "$source_dir/samples/firmware/v1" >/dev/null || fail "the module is not back on v1"
[[ $(current_artifact) == release-2 ]] || fail "after the rollback the artifact is $(current_artifact)"

# 3. A module that refuses the package (END 510): the deployment fails, the
#    rollback finds nothing to undo, the device keeps its artifact.
start_sim refuses rg50xq --fail-code 510
artifact release-4 '{"port": "'"$scratch"'/port-refuses", "profile": "rg50xq", "rollback_package": "rollback.zip",
  "upload_args": ["--guard-ms", "200"]}' "$scratch/update.zip" "$scratch/rollback.zip"
if mender_run install "$scratch/release-4.mender"; then fail "a refused package installed"; fi
grep -q "install failed with exit code 25" "$scratch/mender.log" || fail "no failure in the log: $(cat "$scratch/mender.log")"
grep -q "LwM2M result 6" "$scratch/mender.log" || fail "no LwM2M result in the log: $(cat "$scratch/mender.log")"
grep -q "nothing to roll back" "$scratch/mender.log" || fail "the rollback did something: $(cat "$scratch/mender.log")"
[[ $(current_artifact) == release-2 ]] || fail "after a failed install the artifact is $(current_artifact)"
diff -r "$scratch/fw-refuses" "$source_dir/samples/firmware/v1" >/dev/null || fail "the refusing module changed"

# 4. Bad artifacts: meta-data naming no port; no package; a typo in a key; a
#    port that is not there. Each fails before the module is touched, and
#    leaves the device consistent on its artifact.
artifact no-port '{"profile": "ec2x"}' "$scratch/update.zip"
if mender_run install "$scratch/no-port.mender"; then fail "an artifact without a port installed"; fi
grep -q 'no port: give' "$scratch/mender.log" || fail "no port: $(cat "$scratch/mender.log")"
artifact empty '{"port": "'"$scratch"'/port-ok"}'
if mender_run install "$scratch/empty.mender"; then fail "an artifact without a package installed"; fi
grep -q "the artifact carries no package" "$scratch/mender.log" || fail "no package: $(cat "$scratch/mender.log")"
artifact typo '{"prot": "/dev/ttyUSB2"}' "$scratch/update.zip"
if mender_run install "$scratch/typo.mender"; then fail "an artifact with an unknown key installed"; fi
grep -q 'unknown key .*prot' "$scratch/mender.log" || fail "typo: $(cat "$scratch/mender.log")"
artifact absent-port '{"port_pattern": "'"$scratch"'/no-such-port*"}' "$scratch/update.zip"
if mender_run install "$scratch/absent-port.mender"; then fail "an artifact for an absent port installed"; fi
grep -q "no port matches" "$scratch/mender.log" || fail "absent port: $(cat "$scratch/mender.log")"
[[ $(current_artifact) == release-2 ]] || fail "after bad artifacts the artifact is $(current_artifact)"
diff -r "$scratch/fw-ok" "$source_dir/samples/firmware/v2" >/dev/null || fail "a bad artifact changed a module"
echo "PASS: install+commit, rollback, refused package, bad artifacts"
