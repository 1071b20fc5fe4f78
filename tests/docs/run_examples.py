#!/usr/bin/env python3
"""Runs every command line that README.md, docs/*.md and samples/*/README.md show.

Every fenced block in those pages is tagged: ```sh blocks are command lines
and are run here; any other tag (text, json, ...) is not. An untagged block
fails the test, so a new example is a new test by construction.

Each page runs in a scratch directory of its own, as one bash script, in
order, so that a later line may use what an earlier one wrote. The directory
holds what the examples name: fw/v1 to fw/v4 (the sample firmware, with v3
and v4 made from it), fw-copy, and samples/ (the repository's). The program
directory is first on PATH; "/tmp/" in a command names the scratch's tmp/;
samples/demo.sh runs with DFOTA_NO_BUILD=1 and DFOTA_BUILD_DIR set to the
build these programs come from, so it uses them and writes its output there.

Every line must exit 0, or the code a trailing "# exit N" comment states.
A `dfota sim` line without "&" is started in the background (the pages run
it "in another shell"); background jobs are ended when the page is done.
Lines that need real hardware or change the host are listed in SKIPPED with
the reason, and printed as skipped.

usage: run_examples.py SOURCE_DIR PROGRAM_DIR SCRATCH_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

# Lines that cannot run in a test, by a pattern they contain, and why.
SKIPPED = [
    ("/dev/serial/by-path/", "needs a real module's USB port"),
    ("cpack -G DEB", "installs on the host (tests/install/deb_install_test.sh builds and installs the packages)"),
    ("cmake --install", "installs on the host (tests/install/deb_install_test.sh covers the installed files)"),
    ("man dfota", "reads the installed manual (install.deb checks it)"),
    ("source /usr/share/bash-completion", "reads the installed completion (install.deb checks it)"),
    ("tests/run.sh", "is the test suite itself"),
    ("--ports-file line3.txt", "needs the real modules the line before lists"),
    ("DFOTA=/usr/bin/dfota", "names the installed program (docs/release-guide.md runs the same line with the build's)"),
    ("mender install", "installs through the host's Mender client (tests/mender/update_module_test.sh runs it in a "
                       "private mount namespace)"),
]

PAGE_TIMEOUT_S = 240  # one page's examples, all together


def blocks(page: Path):
    """(first line number, tag, lines) of every fenced block."""
    lines = page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^```(\S*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        tag, start, body = m.group(1), i + 1, []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        yield start, tag, body
        i += 1


def commands(body):
    """Logical command lines of a block: continuations joined, comments kept."""
    current, first = "", None
    for number, line in enumerate(body):
        if first is None:
            first = number
        current += line
        if current.endswith("\\"):
            current = current[:-1] + " "
            continue
        if current.strip():
            yield first, current.strip()
        current, first = "", None


def split_comment(command):
    """(command, comment): a '#' that starts a word outside quotes begins the comment."""
    quote = None
    for i, c in enumerate(command):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or command[i - 1].isspace()):
            return command[:i].rstrip(), command[i + 1:].strip()
    return command, ""


def make_scratch(source: Path, scratch: Path):
    if scratch.exists():
        shutil.rmtree(scratch)
    (scratch / "tmp").mkdir(parents=True)
    firmware = source / "samples" / "firmware"
    shutil.copytree(firmware / "v1", scratch / "fw" / "v1", symlinks=True)
    shutil.copytree(firmware / "v2", scratch / "fw" / "v2", symlinks=True)
    shutil.copytree(firmware / "v1", scratch / "fw-copy", symlinks=True)
    # v3 and v4: v2 with a version string of their own and a changed modem image.
    for name, version, tail in (("v3", "EC25EFAR06A08M4G_01.005.01.005", b"v3"),
                                ("v4", "EC25EFAR06A09M4G_01.006.01.006", b"v4-release")):
        target = scratch / "fw" / name
        shutil.copytree(firmware / "v2", target, symlinks=True)
        manifest = json.loads((target / "firmware.json").read_text())
        manifest["version"] = version
        (target / "firmware.json").write_text(json.dumps(manifest) + "\n")
        with open(target / "modem.img", "ab") as image:
            image.write(tail * 4096)
    os.symlink(source / "samples", scratch / "samples")


def script_for(page: Path, scratch: Path, skipped: list):
    """The page's examples as one bash script that stops at the first surprise."""
    out = ["set -u", "cd " + shlex_quote(str(scratch)), "trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT"]
    count = 0
    for start, tag, body in blocks(page):
        if tag == "":
            raise SystemExit(f"{page}:{start}: a fenced block without a tag; tag it sh (run by this test) or text")
        if tag not in ("sh", "bash"):
            continue
        for offset, command in commands(body):
            line = start + 1 + offset
            code, comment = split_comment(command)
            if not code:
                continue
            reason = next((why for pattern, why in SKIPPED if pattern in code), None)
            if reason:
                skipped.append(f"{label(page)}:{line}: {code}  ({reason})")
                continue
            expected = 0
            m = re.search(r"\bexit (\d+)\b", comment)
            if m:
                expected = int(m.group(1))
            code = code.replace("/tmp/", str(scratch / "tmp") + "/")
            where = shlex_quote(f"{label(page)}:{line}: {command}")
            count += 1
            if re.match(r"^dfota sim\b", code) and not code.endswith("&"):
                # "In another shell": started in the background, and waited
                # for as a person would, until its port is there (10 s at most).
                out.append(code + " &")
                link = re.search(r"--link (\S+)", code)
                if link:
                    out.append(f"for _ in $(seq 100); do [ -e {link.group(1)} ] && break; sleep 0.1; done")
                continue
            if code.endswith("&") and not code.endswith("&&"):
                out.append(code)
                continue
            out.append(code)
            out.append(f'rc=$?; if [ $rc -ne {expected} ]; then echo "FAILED (exit $rc, expected {expected}) "{where}; exit 1; fi')
    return "\n".join(out) + "\n", count


def label(page: Path):
    """README.md, release-guide.md, samples/mender/README.md: the page as people name it."""
    if page.parent.parent.name == "samples":
        return f"samples/{page.parent.name}/{page.name}"
    return page.name


def shlex_quote(text):
    return "'" + text.replace("'", "'\\''") + "'"


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    source, programs, scratch_root = (Path(a).resolve() for a in sys.argv[1:])
    pages = ([source / "README.md"] + sorted((source / "docs").glob("*.md")) +
             sorted((source / "samples").glob("*/README.md")))
    # samples/demo.sh uses the programs built here instead of building its own.
    env = dict(os.environ, PATH=f"{programs}:{os.environ['PATH']}", DFOTA_BUILD_DIR=str(programs.parent),
               DFOTA_NO_BUILD="1")
    failed, ran, skipped = [], 0, []
    for page in pages:
        scratch = scratch_root / (page.parent.name + "-" + page.stem if page.parent.parent == source / "samples" else page.stem)
        make_scratch(source, scratch)
        script, count = script_for(page, scratch, skipped)
        if count == 0:
            continue
        ran += count
        try:
            result = subprocess.run(["bash", "-c", script], env=env, cwd=scratch, stdin=subprocess.DEVNULL,
                                    capture_output=True, text=True, timeout=PAGE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            failed.append(f"{label(page)}: its examples ran past {PAGE_TIMEOUT_S} s")
            continue
        if result.returncode != 0:
            failed.append(f"{label(page)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        else:
            print(f"ok  {label(page)}: {count} command lines")
    for line in skipped:
        print("skipped  " + line)
    for failure in failed:
        print("FAILED  " + failure)
    print(f"examples: {ran} command lines on {len(pages)} pages, {len(failed)} pages failed, {len(skipped)} lines skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
