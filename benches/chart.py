#!/usr/bin/env python3
"""Turn a criterion run of the benches into an SVG bar chart and a table of ratios.

    python3 benches/chart.py

reads every target/criterion/<group>/<implementation>/<N>/new/estimates.json that
`cargo bench --bench combinators` and `cargo bench --all-features --bench tasks` left behind,
and writes benches/chart.svg: one panel per case (criterion group), one column per N, one bar
per implementation, the median time per child (per task for the spawn + await cases) on a log
axis. Ours are dark, peers light, floors (entries that are not a usable peer, such as the
`plain loop` or the `oracle`) hatched. Next to each peer's bar: our time divided by its time,
the figure the README's table quotes. It also prints that table, as Markdown, on stdout.

The caption gives the date of the run (the newest estimates file) and the machine the script
runs on (CPU count and model): run it on the machine that ran the benches. Only the Python
standard library is used.

Options: --criterion DIR (default target/criterion), --out FILE (default benches/chart.svg),
--sizes 1000,10000 (the N to show; `all` for every N; default 1000,10000).
"""

import argparse
import datetime
import json
import math
import os
import platform
import sys
from xml.sax.saxutils import escape

# Known cases, in the order the README discusses them, with a line saying what is timed.
# A group not listed here (a new bench case) is drawn after these, in name order.
CASES = {
    "all_ready": "every child ready at its first poll",
    "woken_once": "every child woken once, in a seeded random order",
    "fail_fast": "one child fails, the N - 1 pending siblings are dropped",
    "race": "one random winner, the losers dropped",
    "fail_fast_tokio": "N tokio tasks, one fails; until every sibling has stopped",
    "fail_fast_smol": "N smol tasks, one fails; until every sibling has stopped",
    "group_fail_fast_tokio": "a task group of N tasks on tokio, one fails; until all stopped",
    "spawn_await_tokio": "spawn one task and await it, one thread",
    "spawn_await_smol": "spawn one task and await it, one thread",
    "spawn_await_async_std": "spawn one task and await it, one thread",
}

# Entries that are a lower bound rather than something a user could pick instead: the in-order
# loop fails fast only because the bench puts the failing task first.
FLOORS = {"plain loop", "oracle", "tokio Vec<JoinHandle> in order + abort"}

OURS_PREFIX = "cancel-cascade"

OURS_COLOUR = "#1f4e79"
PEER_COLOUR = "#9ecae1"
FLOOR_COLOUR = "#bdbdbd"

LABEL_WIDTH = 300
COLUMN_WIDTH = 420
VALUE_WIDTH = 170
BAR_HEIGHT = 15
ROW_HEIGHT = 20
MARGIN = 16
# Room for the text of a bar that reaches the end of the last column.
RIGHT_PADDING = 60


def is_ours(name):
    return name.startswith(OURS_PREFIX)


def read_run(root):
    """{group: {size or None: {implementation: median ns per iteration}}}, newest mtime."""
    results = {}
    newest = 0.0
    for directory, _, files in os.walk(root):
        if os.path.basename(directory) != "new" or "benchmark.json" not in files:
            continue
        with open(os.path.join(directory, "benchmark.json")) as f:
            benchmark = json.load(f)
        estimates_path = os.path.join(directory, "estimates.json")
        with open(estimates_path) as f:
            estimates = json.load(f)
        newest = max(newest, os.path.getmtime(estimates_path))
        size = benchmark.get("value_str")
        implementation = benchmark["function_id"]
        if size is not None and not size.isdigit():
            # `BenchmarkId::from_parameter(name)`: the implementation is the parameter.
            implementation, size = size, None
        size = int(size) if size is not None else None
        per_group = results.setdefault(benchmark["group_id"], {})
        per_group.setdefault(size, {})[implementation] = estimates["median"]["point_estimate"]
    return results, newest


def format_ratio(ratio):
    return f"{ratio:.2f}" if ratio >= 0.1 else f"{ratio:.3f}"


def per_child(nanoseconds, size):
    return nanoseconds / size if size else nanoseconds


def format_time(nanoseconds):
    if nanoseconds >= 1e6:
        return f"{nanoseconds / 1e6:.3g} ms"
    if nanoseconds >= 1e3:
        return f"{nanoseconds / 1e3:.3g} µs"
    return f"{nanoseconds:.3g} ns"


def order_of(group):
    names = list(CASES)
    return (names.index(group), group) if group in names else (len(names), group)


def row_order(name):
    if is_ours(name):
        return (0, name)
    if name in FLOORS:
        return (2, name)
    return (1, name)


def machine():
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs, {model}, {platform.system()}"


def ratios(sizes):
    """(size, ours, other, ours / other) for every pair in a group."""
    for size, entries in sizes.items():
        for ours in sorted(filter(is_ours, entries)):
            for other in sorted((n for n in entries if not is_ours(n)), key=row_order):
                yield size, ours, other, entries[ours] / entries[other]


def panel(group, sizes, shown, top, out):
    """Draw one case; return the height used."""
    columns = [s for s in sorted(sizes, key=lambda s: s or 0) if s is None or s in shown]
    if not columns:
        return 0
    rows = sorted({name for s in columns for name in sizes[s]}, key=row_order)
    values = [per_child(sizes[s][n], s) for s in columns for n in rows if n in sizes[s]]
    low = 10 ** math.floor(math.log10(min(values)))
    high = 10 ** math.ceil(math.log10(max(values)))
    if high / low < 10:
        high = low * 10
    bar_area = COLUMN_WIDTH - VALUE_WIDTH

    def x_of(value, column):
        left = MARGIN + LABEL_WIDTH + column * COLUMN_WIDTH
        return left + bar_area * math.log10(value / low) / math.log10(high / low)

    description = CASES.get(group, "")
    title = f"{group}: {description}" if description else group
    out.append(
        f'<text x="{MARGIN}" y="{top + 16}" class="title">{escape(title)}</text>'
    )
    y = top + 28
    for c, size in enumerate(columns):
        left = MARGIN + LABEL_WIDTH + c * COLUMN_WIDTH
        heading = f"N = {size:,}".replace(",", " ") + ", time per child" if size else "per task"
        out.append(f'<text x="{left}" y="{y + 12}" class="heading">{escape(heading)}</text>')
    y += 20
    grid_top = y
    bars = []
    for name in rows:
        label = escape(name)
        bars.append(f'<text x="{MARGIN}" y="{y + 12}" class="label">{label}</text>')
        for c, size in enumerate(columns):
            entries = sizes[size]
            left = MARGIN + LABEL_WIDTH + c * COLUMN_WIDTH
            if name not in entries:
                bars.append(f'<text x="{left}" y="{y + 12}" class="value">n/a</text>')
                continue
            value = per_child(entries[name], size)
            end = x_of(value, c)
            style = (
                f'fill="{OURS_COLOUR}"'
                if is_ours(name)
                else f'fill="url(#floor)"'
                if name in FLOORS
                else f'fill="{PEER_COLOUR}"'
            )
            bars.append(
                f'<rect x="{left}" y="{y + 1}" width="{max(end - left, 1):.1f}" '
                f'height="{BAR_HEIGHT}" {style}/>'
            )
            text = escape(format_time(value))
            ours = sorted(filter(is_ours, entries))
            if not is_ours(name) and ours:
                ratio = entries[ours[0]] / entries[name]
                text += f'<tspan dx="10" class="ratio">ours ÷ this: {format_ratio(ratio)}</tspan>'
            bars.append(f'<text x="{end + 4:.1f}" y="{y + 12}" class="value">{text}</text>')
        y += ROW_HEIGHT
    for c, _ in enumerate(columns):
        decade = low
        while decade <= high * 1.0001:
            x = x_of(decade, c)
            out.append(
                f'<line x1="{x:.1f}" y1="{grid_top - 2}" x2="{x:.1f}" y2="{y}" class="grid"/>'
            )
            out.append(
                f'<text x="{x:.1f}" y="{y + 12}" class="tick">{escape(format_time(decade))}</text>'
            )
            decade *= 10
    out.extend(bars)
    return y + 24 - top


def chart(results, newest, shown):
    body = []
    top = MARGIN
    for group in sorted(results, key=order_of):
        top += panel(group, results[group], shown, top, body)
    width = MARGIN * 2 + RIGHT_PADDING + LABEL_WIDTH + COLUMN_WIDTH * max(
        len([s for s in sizes if s is None or s in shown]) for sizes in results.values()
    )
    date = datetime.datetime.fromtimestamp(newest, datetime.timezone.utc)
    caption = (
        f"cancel-cascade against its peers: criterion medians, log scale, shorter is faster. "
        f"Run of {date:%Y-%m-%d %H:%M} UTC on {machine()}."
    )
    legend_y = top + 4
    legend = [
        f'<rect x="{MARGIN}" y="{legend_y}" width="14" height="12" fill="{OURS_COLOUR}"/>',
        f'<text x="{MARGIN + 18}" y="{legend_y + 11}" class="label">cancel-cascade</text>',
        f'<rect x="{MARGIN + 140}" y="{legend_y}" width="14" height="12" fill="{PEER_COLOUR}"/>',
        f'<text x="{MARGIN + 158}" y="{legend_y + 11}" class="label">peer</text>',
        f'<rect x="{MARGIN + 220}" y="{legend_y}" width="14" height="12" fill="url(#floor)"/>',
        f'<text x="{MARGIN + 238}" y="{legend_y + 11}" class="label">'
        "floor (a lower bound, not a peer)</text>",
        f'<text x="{MARGIN + 470}" y="{legend_y + 11}" class="label">'
        "ours ÷ this: the first cancel-cascade entry's time over this entry's</text>",
        f'<text x="{MARGIN}" y="{legend_y + 32}" class="caption">{escape(caption)}</text>',
    ]
    height = legend_y + 44
    style = (
        "text{font-family:sans-serif;fill:#222}"
        ".title{font-size:14px;font-weight:bold}.heading{font-size:12px;font-weight:bold}"
        ".label,.value{font-size:12px}.tick{font-size:10px;text-anchor:middle;fill:#666}"
        ".ratio{font-weight:bold;fill:#1f4e79}.caption{font-size:12px;fill:#444}.grid{stroke:#ddd;stroke-width:1}"
    )
    pattern = (
        '<pattern id="floor" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="#eeeeee"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{FLOOR_COLOUR}" stroke-width="3"/>'
        "</pattern>"
    )
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">',
            f"<title>{escape(caption)}</title>",
            f"<defs>{pattern}</defs><style>{style}</style>",
            f'<rect width="{width}" height="{height}" fill="white"/>',
            *body,
            *legend,
            "</svg>",
            "",
        ]
    )


def table(results, shown):
    lines = ["| case | ours | against | N | ours ÷ theirs |", "|---|---|---|---|---|"]
    for group in sorted(results, key=order_of):
        sizes = results[group]
        for size, ours, other, ratio in sorted(
            ratios(sizes), key=lambda r: (row_order(r[1]), row_order(r[2]), r[0] or 0)
        ):
            if size is not None and size not in shown:
                continue
            n = f"{size:,}".replace(",", " ") if size else "1 task"
            lines.append(f"| `{group}` | {ours} | {other} | {n} | {format_ratio(ratio)} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--criterion", default="target/criterion")
    parser.add_argument("--out", default="benches/chart.svg")
    parser.add_argument("--sizes", default="1000,10000")
    args = parser.parse_args()
    results, newest = read_run(args.criterion)
    if not results:
        sys.exit(f"chart.py: no criterion results under {args.criterion}: run the benches first")
    if args.sizes == "all":
        shown = {s for sizes in results.values() for s in sizes}
    else:
        shown = {int(s) for s in args.sizes.split(",")}
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(chart(results, newest, shown))
    print(table(results, shown))
    print(f"\nwrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
