"""Figures for slides: each of a replay's text plots (``loss.txt``, ``trajectory.txt``, ...) as an SVG
(``loss.svg`` beside it), written with rich's SVG export: the same characters in a monospace font, each
run's marker in its run colour, the title on the window bar, and padded to a 16:9 frame so it fills a
slide. ``sgd-tui --scenario NAME --headless --figures svg`` writes them after the replay."""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

from sgd_tui.plotting.palette import MARKERS, RUN_COLORS
from sgd_tui.replay.results_dir import write_whole

__all__ = ["text_figure_svg", "write_figures", "SLIDE_RATIO", "CELL_RATIO"]

SLIDE_RATIO = 16 / 9
CELL_RATIO = 0.61 / 1.22  # width / height of one character cell in rich's SVG export
LEGEND = re.compile(r"^  (\S)  \S")  # "  x  gd lr=0.001": a run's marker, then its label


def legend_markers(lines: list[str]) -> dict[str, tuple[int, int, int]]:
    """marker character -> run colour, read from the plot's legend lines (``  x  label``, in run order)."""
    out: dict[str, tuple[int, int, int]] = {}
    for line in lines:
        m = LEGEND.match(line)
        if m and m.group(1) in MARKERS and m.group(1) not in out:
            out[m.group(1)] = RUN_COLORS[len(out) % len(RUN_COLORS)]
    return out


def slide_padding(cols: int, rows: int) -> tuple[int, int]:
    """(columns, rows) to reach a 16:9 frame, padding the short side."""
    if cols * CELL_RATIO / rows < SLIDE_RATIO:
        return math.ceil(SLIDE_RATIO * rows / CELL_RATIO), rows
    return cols, math.ceil(cols * CELL_RATIO / SLIDE_RATIO)


def text_figure_svg(text: str, title: str) -> str:
    """One text plot as an SVG, run markers coloured, sized for a 16:9 slide."""
    from rich.console import Console  # lazy: rich
    from rich.text import Text  # lazy: rich

    lines = text.rstrip("\n").splitlines() or [""]
    markers = legend_markers(lines)
    cols, rows = slide_padding(max(len(line) for line in lines), len(lines))
    body = Text()
    for i, line in enumerate(lines + [""] * (rows - len(lines))):
        legend = LEGEND.match(line)
        # inside the plot frame every marker is coloured; on a legend line only the marker itself
        left = max(line.find("│"), line.find("┤"))
        right = line.rfind("│")
        for j, ch in enumerate(line.ljust(cols)):
            inside = left >= 0 and left < j < right
            colour = markers.get(ch) if inside or (legend and j == 2) else None
            body.append(ch, style=f"bold rgb({colour[0]},{colour[1]},{colour[2]})" if colour else None)
        if i < rows - 1:
            body.append("\n")
    console = Console(record=True, width=cols, file=io.StringIO(), color_system="truecolor", force_terminal=True)
    console.print(body, soft_wrap=True)
    return console.export_svg(title=title)


def write_figures(folder: str | Path, title: str) -> list[Path]:
    """An SVG beside every text plot in ``folder``; returns the files written."""
    out = []
    for txt in sorted(Path(folder).glob("*.txt")):
        svg = txt.with_suffix(".svg")
        write_whole(svg, text_figure_svg(txt.read_text(encoding="utf-8"), f"{title} · {txt.stem}"))
        out.append(svg)
    return out
