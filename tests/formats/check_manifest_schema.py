#!/usr/bin/env python3
"""Validates manifests against formats/manifest.schema.json: the golden
manifest and the manifest inside every golden package. Exit 0 when all
validate; a schema that accepts an obviously broken manifest fails too."""
import json
import sys
import zipfile
from pathlib import Path

import jsonschema

root = Path(sys.argv[1])
schema = json.loads((root / "formats/manifest.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

manifests = {"tests/golden/manifest-sample.json": json.loads((root / "tests/golden/manifest-sample.json").read_text())}
for package in sorted((root / "tests/golden").glob("*.zip")):
    with zipfile.ZipFile(package) as z:
        manifests[str(package.relative_to(root))] = json.loads(z.read("manifest.json"))

failed = 0
for name, manifest in manifests.items():
    errors = list(validator.iter_errors(manifest))
    for e in errors:
        print(f"{name}: {'/'.join(map(str, e.path))}: {e.message}")
    failed += bool(errors)

broken = dict(manifests["tests/golden/manifest-sample.json"])
broken["partitions"] = [dict(broken["partitions"][0], payload="../escape")]
if validator.is_valid(broken):
    print("schema accepts a payload path with '..'")
    failed += 1
print(f"{len(manifests) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
