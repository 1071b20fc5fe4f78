#!/usr/bin/env python3
"""Every --json document the program prints validates against its schema in
formats/json/, and names that schema in its top-level "schema" field.

Runs the real program in a scratch directory: build, inspect (our package and
a foreign zip), validate (passing and refused), checksum, release (with a
failing pair), and upload to a simulated module (one upgrade that succeeds and
one that the module refuses), each line of upload's output checked.

usage: check_json_schemas.py SOURCE_DIR PROGRAM SCRATCH_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import jsonschema

root, program, scratch = Path(sys.argv[1]).resolve(), os.path.abspath(sys.argv[2]), Path(sys.argv[3]).resolve()
if scratch.exists():
    shutil.rmtree(scratch)
scratch.mkdir(parents=True)
schemas = {}
for path in sorted((root / "formats/json").glob("*.schema.json")):
    schema = json.loads(path.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    schemas[schema["properties"]["schema"]["const"]] = jsonschema.Draft202012Validator(schema)

checked, failed = 0, 0


def check(label, document):
    global checked, failed
    checked += 1
    name = document.get("schema") if isinstance(document, dict) else None
    if name not in schemas:
        print(f"FAILED {label}: names no known schema ({name!r})")
        failed += 1
        return
    errors = list(schemas[name].iter_errors(document))
    for e in errors[:5]:
        print(f"FAILED {label}: {'/'.join(map(str, e.path))}: {e.message}")
    failed += bool(errors)


def run(*args, ok_codes=(0,), timeout=120):
    result = subprocess.run([program, *map(str, args)], cwd=scratch, capture_output=True, text=True,
                            timeout=timeout, stdin=subprocess.DEVNULL)
    if result.returncode not in ok_codes:
        raise SystemExit(f"{args}: exit {result.returncode}: {result.stderr}")
    return result.stdout


samples = root / "samples/firmware"
run("build", "--from", samples / "v1", "--to", samples / "v2", "-o", "u.zip")
check("inspect", json.loads(run("inspect", "u.zip", "--json")))
with zipfile.ZipFile(scratch / "foreign.zip", "w") as z:
    z.writestr("META-INF/com/android/metadata", "pre-device=EC25\npost-build=x\n")
    z.writestr("payload.bin", b"CrAU")
check("inspect of a foreign zip", json.loads(run("inspect", "foreign.zip", "--json")))
check("validate", json.loads(run("validate", "u.zip", "--profile", "ec2x", "--json")))
check("validate, refused", json.loads(run("validate", "u.zip", "--profile", "ec2x", "--free-space", "10", "--json",
                                          ok_codes=(20,))))
check("checksum", json.loads(run("checksum", "u.zip", samples / "v1" / "boot.img", "--json")))
run_index = json.loads(run("release", "--to", samples / "v2", "--from", samples / "v1", samples / "v2", "-o", "rel",
                           "--json", ok_codes=(15,)))
check("release --json (with a failing pair)", run_index)
check("release index.json", json.loads((scratch / "rel" / "index.json").read_text()))


def upload_lines(*extra, ok_codes=(0,)):
    """The upload's JSON lines, and `dfota probe --json` of the module before and after."""
    firmware = scratch / f"module-{len(extra)}"
    shutil.copytree(samples / "v1", firmware, symlinks=True)
    link = scratch / f"module-{len(extra)}.link"
    sim = subprocess.Popen([program, "sim", "--profile", "ec2x", "--firmware", firmware, "--link", link,
                            "--reboot-delay", "0.3", "--boot-wait", "2", *extra],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if link.exists():
                break
            time.sleep(0.05)
        probes = [json.loads(run("probe", "--port", link, "--json", "--guard-ms", "100"))]
        out = run("upload", "u.zip", "--port", link, "--json", "--guard-ms", "100", ok_codes=ok_codes, timeout=180)
        # A module that refused the package reboots after its END: probed
        # again (at most 20 times, 0.2 s apart) while its port is away.
        for attempt in range(20):
            out_probe = run("probe", "--port", link, "--json", "--guard-ms", "100", ok_codes=(0, 23, 26, 27, 29))
            if out_probe.strip():
                probes.append(json.loads(out_probe))
                break
            time.sleep(0.2)
    finally:
        sim.terminate()
        sim.wait(timeout=20)
    if len(probes) != 2:
        raise SystemExit("probe after the upload never answered")
    for when, probe in zip(("before", "after"), probes):
        check(f"probe {when} the upload{' '.join(('',) + extra)}", probe)
    return [json.loads(line) for line in out.splitlines() if line.strip()]


for label, extra, codes in (("upload", (), (0,)), ("upload refused by the module", ("--fail-code", "504", "--fail-times", "9"), (25,))):
    lines = upload_lines(*extra, ok_codes=codes)
    if not lines or lines[-1].get("event") != "summary":
        print(f"FAILED {label}: no summary line")
        failed += 1
    for number, line in enumerate(lines, 1):
        check(f"{label}, line {number}", line)

# The schemas are not so loose that they pass anything.
for label, broken in (("a checksum entry under its old field name",
                       {"schema": "dfota.checksum/1", "files": [{"file": "u.zip", "size": 1, "checksum": "0000",
                                                                 "md5": "0" * 32, "sha256": "0" * 64}]}),
                      ("a summary with 0 for no module code",
                       dict(lines[-1], error_code="0")),
                      ("an event without its time", {"schema": "dfota.upload-event/1", "event": "step", "port": "p",
                                                     "text": "x"})):
    checked += 1
    if schemas[broken["schema"]].is_valid(broken):
        print(f"FAILED the schema accepts {label}")
        failed += 1

print(f"json schemas: {checked - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
