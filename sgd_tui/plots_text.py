"""Plain-text plots (plotext, no colour codes) for a headless replay's loss.txt and trajectory.txt.

plotext raises on ±inf and NaN, and on values <= 0 on a log axis, and prints long decimal tick labels
for huge ranges; so every series is sanitised here (non-finite points dropped, a log axis only when all
values are positive), thinned to about twice the plot's width (keeping each bucket's minimum and
maximum), and given short tick labels ("1e-3", "250k"). Runs are told apart by their marker character;
the legend is written under the plot (plotext's own legend would hide the start of the curves).
"""

from __future__ import annotations

import math
import re
from typing import Callable, Sequence

import plotext as plt

__all__ = ["loss_plot", "trajectory_plot", "MARKERS"]

MARKERS = ("*", "+", "x", "o", "#", "@", "%", "&", "=", "~", "$", "^", "v", "<", ">", "?")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
Series = tuple[str, Sequence[float], Sequence[float]]  # (label, xs, ys)


def _finite(xs: Sequence[float], ys: Sequence[float], positive: bool = False) -> tuple[list[float], list[float]]:
    out_x, out_y = [], []
    for x, y in zip(xs, ys):
        if x is None or y is None or not (math.isfinite(x) and math.isfinite(y)):
            continue
        if positive and y <= 0:
            continue
        out_x.append(float(x))
        out_y.append(float(y))
    return out_x, out_y


def thin(xs: list[float], ys: list[float], buckets: int) -> tuple[list[float], list[float]]:
    """At most about 2·buckets points: each bucket of consecutive points keeps its minimum and maximum
    (in order), so spikes and the lowest loss survive; the first and last points are always kept."""
    n = len(xs)
    if n <= 2 * buckets:
        return xs, ys
    keep = {0, n - 1}
    size = n / buckets
    for b in range(buckets):
        lo, hi = int(b * size), min(n, int((b + 1) * size))
        if hi <= lo:
            continue
        seg = range(lo, hi)
        keep.add(min(seg, key=ys.__getitem__))
        keep.add(max(seg, key=ys.__getitem__))
    idx = sorted(keep)
    return [xs[i] for i in idx], [ys[i] for i in idx]


def short(v: float) -> str:
    """A short tick label: 0, 250k, 1.5M, 0.25, 1e-3, 2e+05."""
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e9 or a < 1e-2:
        m, e = f"{v:.1e}".split("e")
        m = m.rstrip("0").rstrip(".")
        return f"{m}e{int(e)}"
    if a >= 1e6:
        return f"{v / 1e6:.3g}M"
    if a >= 1e4:
        return f"{v / 1e3:.3g}k"
    return f"{v:.3g}"


def _linear_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


def _log_ticks(lo: float, hi: float) -> list[float]:
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    every = max(1, math.ceil((b - a) / 8))
    return [10.0**e for e in range(a, b + 1, every)]


def _start(width: int, height: int, title: str, xlabel: str, ylabel: str) -> None:
    plt.clf()
    plt.theme("clear")
    plt.plotsize(width, height)
    plt.title(title)
    plt.xlabel(xlabel)
    plt.ylabel(ylabel)


def _finish(legend: Sequence[tuple[str, str]]) -> str:
    """The built plot without colour codes, then its legend (plotext draws its own over the data)."""
    text = _ANSI.sub("", plt.build())
    plt.clf()
    lines = [line.rstrip() for line in text.splitlines()]
    lines += [f"  {marker}  {label}" for marker, label in legend]
    return "\n".join(lines) + "\n"


def loss_plot(series: Sequence[Series], *, title: str, xlabel: str, ylabel: str = "loss",
              width: int = 100, height: int = 30) -> str:
    """Loss curves of all runs on shared axes; y on a log scale when every value is positive and they
    span more than two decades."""
    clean = [(label, *_finite(xs, ys)) for label, xs, ys in series]
    ys_all = [y for _, _, ys in clean for y in ys]
    if not ys_all:
        return f"{title}\n(no finite loss values to plot)\n"
    positive = [y for y in ys_all if y > 0]
    log = bool(positive) and min(ys_all) >= 0 and max(positive) / min(positive) > 100
    if log:  # exact zeros (Newton landing on the minimum) cannot be drawn on a log axis
        clean = [(label, *_finite(xs, ys, positive=True)) for label, xs, ys in clean]
        ys_all = positive
    lo, hi = min(ys_all), max(ys_all)
    _start(width, height, title, xlabel, ylabel + (" (log scale; zeros not drawn)" if log else ""))
    xs_all = [x for _, xs, _ in clean for x in xs]
    legend = []
    for i, (label, xs, ys) in enumerate(clean):
        legend.append((MARKERS[i % len(MARKERS)], label + ("" if xs else " (nothing to draw)")))
        if xs:
            xs, ys = thin(xs, ys, width)
            plt.plot(xs, ys, marker=MARKERS[i % len(MARKERS)])
    xt = _linear_ticks(min(xs_all), max(xs_all))
    plt.xticks(xt, [short(t) for t in xt])
    if log:
        plt.yscale("log")
        yt = _log_ticks(lo, hi)
    else:
        yt = _linear_ticks(lo, hi)
    plt.yticks(yt, [short(t) for t in yt])
    return _finish(legend)


def trajectory_plot(
    paths: Sequence[Series],
    *,
    bounds: tuple[tuple[float, float], tuple[float, float]],
    grid: Callable[[list[float], list[float]], "object"],
    minima: Sequence[tuple[float, float]] = (),
    start: tuple[float, float] | None = None,
    title: str,
    xlabel: str = "x",
    ylabel: str = "y",
    width: int = 100,
    height: int = 34,
    levels: int = 6,
) -> str:
    """Paths of all runs over contour lines of the surface.

    ``grid(xs, ys)`` gives f on the grid (rows = ys). Contours: f is banded into ``levels`` bands
    evenly spaced in log(1 + f - min f) over the view; a cell whose band differs from its right or upper
    neighbour's is drawn with ``·``. Paths are clamped to the view (a diverging run runs along the edge)
    and non-finite points dropped. ``S`` marks the start and ``M`` the known minima.
    """
    import numpy as np

    (x0, x1), (y0, y1) = bounds
    nx, ny = max(10, width - 12), max(5, height - 6)
    xs = [x0 + (i + 0.5) * (x1 - x0) / nx for i in range(nx)]
    ys = [y0 + (j + 0.5) * (y1 - y0) / ny for j in range(ny)]
    with np.errstate(all="ignore"):
        f = np.asarray(grid(xs, ys), dtype=float)
        ok = np.isfinite(f)
        if ok.any():
            g = np.log1p(np.where(ok, f, f[ok].max()) - f[ok].min())
            span = g.max() - g.min()
            band = np.floor((g - g.min()) / span * levels) if span > 0 else np.zeros_like(g)
            edge = np.zeros_like(band, dtype=bool)
            edge[:, :-1] |= band[:, :-1] != band[:, 1:]
            edge[:-1, :] |= band[:-1, :] != band[1:, :]
        else:
            edge = np.zeros(f.shape, dtype=bool)
    _start(width, height, title, xlabel, ylabel)
    rows, cols = np.nonzero(edge)
    if len(rows):
        plt.scatter([xs[c] for c in cols], [ys[r] for r in rows], marker="·")

    def clamp(v: float, lo: float, hi: float) -> float:
        return min(max(v, lo), hi)

    legend = []
    for i, (label, px, py) in enumerate(paths):
        px, py = _finite(px, py)
        legend.append((MARKERS[i % len(MARKERS)], label + ("" if px else " (nothing to draw)")))
        if not px:
            continue
        px = [clamp(v, x0, x1) for v in px]
        py = [clamp(v, y0, y1) for v in py]
        stride = max(1, len(px) // (4 * width))
        idx = list(range(0, len(px), stride))
        if idx[-1] != len(px) - 1:
            idx.append(len(px) - 1)
        plt.plot([px[k] for k in idx], [py[k] for k in idx], marker=MARKERS[i % len(MARKERS)])
    inside = [(a, b) for a, b in minima if x0 <= a <= x1 and y0 <= b <= y1]
    if inside:
        plt.scatter([a for a, _ in inside], [b for _, b in inside], marker="M")
        legend.append(("M", "minimum"))
    if start is not None and math.isfinite(start[0]) and math.isfinite(start[1]):
        plt.scatter([clamp(start[0], x0, x1)], [clamp(start[1], y0, y1)], marker="S")
        legend.append(("S", "start"))
    plt.xlim(x0, x1)
    plt.ylim(y0, y1)
    xt, yt = _linear_ticks(x0, x1), _linear_ticks(y0, y1)
    plt.xticks(xt, [short(t) for t in xt])
    plt.yticks(yt, [short(t) for t in yt])
    return _finish(legend)
