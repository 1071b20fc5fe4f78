#!/usr/bin/env bash
# The HTML report of `dfota inspect --html`, opened in a real browser:
# Debian's chromium, headless, with the network cut off. Checks the parsed
# page (DOM), then takes a screenshot and checks it is a drawn page, not a
# blank one. Exits 77 (skipped) when chromium is not installed.
#   usage: render_report.sh DFOTA SOURCE-DIR SCRATCH-DIR [PACKAGE [SCREENSHOT.png]]
# Without PACKAGE it builds one from samples/firmware with the native engine.
# docs/images/inspect-html.png was made with:
#   render_report.sh build/tools/dfota . /tmp/report package-from-the-corpus.zip docs/images/inspect-html.png
set -euo pipefail
dfota=$1 source_dir=$2 scratch=$3 package=${4:-} screenshot=${5:-}
browser=$(command -v chromium || command -v chromium-browser || true)
[[ -n $browser ]] || { echo "chromium is not installed: skipped (apt-get install chromium)"; exit 77; }
rm -rf "$scratch" && mkdir -p "$scratch"
fail() { echo "FAIL: $*" >&2; exit 1; }
if [[ -z $package ]]; then
  package=$scratch/sample.zip
  "$dfota" build --from "$source_dir/samples/firmware/v1" --to "$source_dir/samples/firmware/v2" \
    --engine native -o "$package" >/dev/null
fi
"$dfota" inspect "$package" --html "$scratch/report.html" >/dev/null
[[ -n $screenshot ]] || screenshot=$scratch/report.png

# No network at all: a page that needs one would show it.
run_browser() {
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
    --user-data-dir="$scratch/profile" --proxy-server="127.0.0.1:9" --proxy-bypass-list="<-loopback>" \
    "$@" "file://$scratch/report.html" 2>>"$scratch/browser.log"
}
run_browser --dump-dom >"$scratch/dom.html" || { tail -5 "$scratch/browser.log"; fail "chromium could not load the page"; }
for text in "Change maps" "Partitions" "modem.img" "kept (same place, same bytes)" "Signature"; do
  grep -qF "$text" "$scratch/dom.html" || fail "the rendered page lacks '$text'"
done
maps=$(grep -o '<svg class="map"' "$scratch/dom.html" | wc -l)
[[ $maps -ge 1 ]] || fail "no change map was rendered"
run_browser --window-size=1100,1300 --screenshot="$screenshot" >/dev/null || fail "chromium took no screenshot"

# The screenshot is a drawn page: a PNG of the window's size with many colours.
python3 - "$screenshot" <<'PY' || fail "the screenshot is blank or not a PNG"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
width, height = struct.unpack(">II", data[16:24])
assert (width, height) == (1100, 1300), (width, height)
idat, at = b"", 8
while at < len(data):
    length, kind = struct.unpack(">I4s", data[at:at + 8])
    if kind == b"IDAT":
        idat += data[at + 8:at + 8 + length]
    at += 12 + length
pixels = zlib.decompress(idat)
colours = {pixels[i:i + 3] for i in range(0, len(pixels) - 3, 97)}
assert len(colours) > 50, f"only {len(colours)} colours"
PY
echo "report rendered in $(basename "$browser"): $maps change maps, screenshot $screenshot"
