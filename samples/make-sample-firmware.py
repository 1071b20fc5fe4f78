#!/usr/bin/env python3
"""Writes the bundled sample: two firmware versions of an imaginary EC25-style
module, laid out as dfota expects (images as top-level files, a file-system
partition as a directory, firmware.json). The bytes are synthetic but shaped
like firmware: code-like words with relocated branch targets, tables, strings
and padding, and a second version that inserts, changes and moves things.
Deterministic: the same script always writes the same bytes.

usage: make-sample-firmware.py OUTDIR   (writes OUTDIR/v1 and OUTDIR/v2)
"""
import json
import os
import random
import shutil
import struct
import sys


def code_block(rng, words, base):
    """ARM-like 32-bit words: BL instructions whose targets depend on `base`."""
    out = bytearray()
    for i in range(words):
        kind = rng.random()
        if kind < 0.15:  # BL with a PC-relative offset that shifts when code moves
            target = rng.randrange(0, 1 << 16)
            out += struct.pack("<I", 0xEB000000 | ((target - base - i) & 0xFFFFFF))
        elif kind < 0.5:
            out += struct.pack("<I", rng.choice([0xE1A00000, 0xE12FFF1E, 0xE92D4010, 0xE8BD8010]))
        else:
            out += struct.pack("<I", (rng.getrandbits(20) << 12) | 0xE00)
    return out


def strings(rng, count):
    words = ["modem", "lte", "band", "rrc", "nas", "fota", "qind", "update", "error", "timeout", "sim"]
    return b"".join(("_".join(rng.choice(words) for _ in range(3)) + "\0").encode() for _ in range(count))


def image(seed, blocks, changed):
    rng = random.Random(seed)
    parts = []
    for b in range(blocks):
        block_rng = random.Random(seed * 1000 + b + (10000 if b in changed else 0))
        parts.append(code_block(block_rng, 1024, b * 1024 + (64 if b > min(changed, default=blocks) else 0)))
        parts.append(strings(block_rng, 24))
    parts.append(b"\xff" * 4096)  # erased flash padding
    return b"".join(parts)


def write_firmware(root, version, revision, modem_changes, boot_changes, extra_file):
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(os.path.join(root, "system", "etc"))
    with open(os.path.join(root, "modem.img"), "wb") as f:
        f.write(image(7, 32, modem_changes))
    with open(os.path.join(root, "boot.img"), "wb") as f:
        f.write(image(11, 8, boot_changes))
    with open(os.path.join(root, "system", "libqfota.so"), "wb") as f:
        f.write(image(13, 6, modem_changes[:1]))
    with open(os.path.join(root, "system", "etc", "version.conf"), "w") as f:
        f.write(f"version={version}\nrevision={revision}\n")
    with open(os.path.join(root, "system", "etc", "apn.conf"), "w") as f:
        f.write("apn=internet\ncid=1\n")
    os.symlink("libqfota.so", os.path.join(root, "system", "libqfota.so.1"))
    if extra_file:
        with open(os.path.join(root, "system", extra_file), "wb") as f:
            f.write(strings(random.Random(99), 200))
    with open(os.path.join(root, "firmware.json"), "w") as f:
        json.dump({"project": "EC25EFA", "version": revision}, f)
        f.write("\n")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)) + "/firmware"
    write_firmware(os.path.join(out, "v1"), "1.3", "EC25EFAR06A06M4G_01.003.01.003", [], [], "legacy.db")
    write_firmware(os.path.join(out, "v2"), "1.4", "EC25EFAR06A07M4G_01.004.01.004", [5, 17, 18], [3], "features.db")


if __name__ == "__main__":
    main()
