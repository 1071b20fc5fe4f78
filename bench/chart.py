#!/usr/bin/env python3
"""Draws the benchmark table of docs/benchmarks.md as an SVG chart.

Payload size of each tool relative to bsdiff (the "vs bsdiff" column), one
group of bars per pair, so the chart always shows the numbers of the table
beside it. bench/run.sh --write-docs runs it after writing the table.

    usage: bench/chart.py docs/benchmarks.md docs/images/bench-payload.svg
"""
import html
import re
import sys

COLOURS = {
    "dfota native": "#0969da", "dfota zstd": "#54aeff", "dfota vcdiff": "#80ccff", "dfota full": "#b6e3ff",
    "xdelta3 -9": "#bf8700", "bsdiff 4.3": "#6e7781", "zstd --patch-from -19 --long": "#d4a72c",
    "HDiffPatch -m-6 lzma2": "#8250df", "HDiffPatch -m-6 zstd": "#c297ff", "HDiffPatch (recorded)": "#8250df",
}


def read_table(path):
    """Rows of the first table whose header has 'vs bsdiff': (pair, tool, ratio, bytes)."""
    rows, header = [], None
    for line in open(path, encoding="utf-8"):
        if not line.startswith("|"):
            if header and rows:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            if "vs bsdiff" in cells:
                header = cells
            continue
        if set(cells[0]) <= set("-: "):
            continue
        record = dict(zip(header, cells))
        if record.get("tool", "").startswith("dfota-delta"):
            continue  # the native engine's payload again, written by the small program
        try:
            rows.append((record["pair (target bytes)"], record["tool"], float(record["vs bsdiff"]),
                         int(record["payload bytes"])))
        except (KeyError, ValueError):
            continue
    return rows


def draw(rows):
    pairs = list(dict.fromkeys(r[0] for r in rows))
    tools = list(dict.fromkeys(r[1] for r in rows))
    cap = 3.0  # ratios above are drawn to the edge and labelled
    bar, gap, left, width = 13, 22, 190, 520
    height = 70 + len(pairs) * (len(tools) * bar + gap) + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 210}" height="{height}" '
           f'font-family="DejaVu Sans, sans-serif" font-size="11">',
           f'<rect width="100%" height="100%" fill="#ffffff"/>',
           f'<text x="{left}" y="20" font-size="14" font-weight="bold">Payload size relative to bsdiff '
           f'(lower is better)</text>',
           f'<text x="{left}" y="36" fill="#59636e">real neighbouring releases; same run as the table in '
           f'docs/benchmarks.md</text>']
    for k in range(0, int(cap) + 1):
        x = left + width * k / cap
        out.append(f'<line x1="{x:.1f}" y1="48" x2="{x:.1f}" y2="{height - 24}" stroke="#d0d7de"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" fill="#59636e">{k}×</text>')
    x1 = left + width / cap
    out.append(f'<line x1="{x1:.1f}" y1="48" x2="{x1:.1f}" y2="{height - 24}" stroke="#6e7781" stroke-width="1.5"/>')
    y = 56
    for pair in pairs:
        name = re.sub(r" \(\d+\)$", "", pair)
        out.append(f'<text x="{left - 8}" y="{y + 10}" text-anchor="end" font-weight="bold">'
                   f'{html.escape(name.split("/")[-1])}</text>')
        for tool in tools:
            match = [r for r in rows if r[0] == pair and r[1] == tool]
            if match:
                _, _, ratio, size = match[0]
                w = width * min(ratio, cap) / cap
                colour = COLOURS.get(tool, "#8c959f")
                out.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar - 2}" fill="{colour}">'
                           f'<title>{html.escape(tool)}: {size:,} bytes, {ratio:.3f} × bsdiff</title></rect>')
                label = f"{ratio:.2f}" + (" →" if ratio > cap else "")
                out.append(f'<text x="{left + w + 4:.1f}" y="{y + bar - 4}" fill="#1f2328">{label}</text>')
            y += bar
        y += gap
    # Legend.
    ly = 56
    for tool in tools:
        out.append(f'<rect x="{left + width + 40}" y="{ly}" width="10" height="10" '
                   f'fill="{COLOURS.get(tool, "#8c959f")}"/>')
        out.append(f'<text x="{left + width + 54}" y="{ly + 9}">{html.escape(tool.replace(" --patch-from -19 --long", " patch"))}</text>')
        ly += 16
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: chart.py BENCHMARKS.md OUT.svg")
    rows = read_table(sys.argv[1])
    if not rows:
        sys.exit(f"chart.py: no benchmark table in {sys.argv[1]}")
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write(draw(rows))


if __name__ == "__main__":
    main()
