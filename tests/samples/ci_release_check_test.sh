#!/usr/bin/env bash
# samples/ci/release-check.sh against the simulator: green on a good release
# (signed and checked with the public key), with JUnit reports of the common
# shape; red, naming the findings, when the modules trust a key the packages
# are not signed with.
#   usage: ci_release_check_test.sh DFOTA SOURCE-DIR SCRATCH-DIR
set -uo pipefail
dfota=$1 source_dir=$2 scratch=$3
rm -rf "$scratch" && mkdir -p "$scratch"
fail() { echo "FAIL: $*" >&2; exit 1; }
export DFOTA=$dfota SIM_OPTIONS="--reboot-delay 0 --boot-wait 2 --guard-ms 200"
script=$source_dir/samples/ci/release-check.sh
"$dfota" keygen --private "$scratch/release.key" --public "$scratch/release.pub" >/dev/null || fail "keygen"

SIGN_KEY=$scratch/release.key PUBKEY=$scratch/release.pub bash "$script" --to "$source_dir/samples/firmware/v2" \
  --from "$source_dir/samples/firmware/v1" -o "$scratch/good" >"$scratch/good.out" 2>&1
rc=$?
[[ $rc -eq 0 ]] || { cat "$scratch/good.out"; fail "a good release did not pass (exit $rc)"; }
for family in ugxx ec2x ec200t rg50xq; do
  [[ -s $scratch/good/reports/upload-$family.xml ]] || fail "no upload report for $family"
  grep -q 'failures="0" errors="0"' "$scratch/good/reports/upload-$family.xml" || fail "$family upload report has failures"
  grep -q "AT+" "$scratch/good/reports/upload-$family.log" || fail "$family upload log has no AT conversation"
done
for report in "$scratch"/good/reports/*.xml; do
  xmllint --noout --schema "$source_dir/tests/formats/junit.xsd" "$report" 2>"$scratch/xmllint.err" \
    || { cat "$scratch/xmllint.err"; fail "$report is not of the JUnit shape"; }
done

PUBKEY=$scratch/release.pub bash "$script" --to "$source_dir/samples/firmware/v2" \
  --from "$source_dir/samples/firmware/v1" -o "$scratch/unsigned" >"$scratch/unsigned.out" 2>&1
rc=$?
[[ $rc -eq 1 ]] || { cat "$scratch/unsigned.out"; fail "unsigned packages passed a check that trusts a key (exit $rc)"; }
grep -q "FAILED: 8 finding(s)" "$scratch/unsigned.out" || { cat "$scratch/unsigned.out"; fail "expected 8 findings (4 validations, 4 upgrades)"; }

bash "$script" --to "$source_dir/samples/firmware/v2" >/dev/null 2>&1
[[ $? -eq 2 ]] || fail "missing arguments are not exit 2"
echo "samples/ci release check: ok"
