"""Plain-text plots of a sweep (plotext, no colour codes): seed bands and sensitivity.

Band plot: each configuration's median loss over its seeds drawn with its marker, the p10 and p90
curves around it with ``·`` (the band). Sensitivity plot: a metric against one swept key, one line per
run through the median over seeds, every seed's own value drawn with ``·`` (the spread), and the
trials that diverged drawn as ``X`` on a row above the highest value (they have no loss to place).
The x axis is logarithmic for ``lr`` and for any positive key spanning more than two decades;
non-numeric values (``batch_size = "full"``) are placed evenly in the sweep's order.
"""

from __future__ import annotations

import math
from typing import Sequence

import plotext as plt

from .core.sweep import value_text
from .core.sweep_stats import SensitivitySeries, median
from .plots_text import MARKERS, _finish, _finite, _linear_ticks, _log_ticks, _start, short, thin

__all__ = ["band_plot", "sensitivity_plot"]

Band = tuple[str, Sequence[float], Sequence[float], Sequence[float], Sequence[float]]  # label, x, med, p10, p90


def _y_axis(values: list[float]) -> tuple[bool, float, float]:
    positive = [y for y in values if y > 0]
    log = bool(positive) and min(values) > 0 and max(positive) / min(positive) > 100
    return log, min(values), max(values)


def band_plot(bands: Sequence[Band], *, title: str, xlabel: str, ylabel: str = "training loss",
              width: int = 100, height: int = 30) -> str:
    """Median curves with their p10–p90 bands on shared axes (log y when positive over > 2 decades)."""
    clean = []
    for label, xs, med, p10, p90 in bands:
        clean.append((label, _finite(xs, med), _finite(xs, p10), _finite(xs, p90)))
    ys_all = [y for _, *curves in clean for _, ys in curves for y in ys]
    if not ys_all:
        return f"{title}\n(no finite loss values to plot)\n"
    log, lo, hi = _y_axis(ys_all)
    _start(width, height, title, xlabel, ylabel + (" (log scale)" if log else "")
           + ": median over seeds, · = p10-p90")
    legend = []
    xs_all = []
    for i, (label, med, p10, p90) in enumerate(clean):
        marker = MARKERS[i % len(MARKERS)]
        for xs, ys in (p10, p90):
            if xs:
                plt.plot(*thin(xs, ys, width), marker="·")
        if med[0]:
            plt.plot(*thin(*med, width), marker=marker)
            xs_all += med[0]
        legend.append((marker, label + ("" if med[0] else " (nothing finite to draw)")))
    if xs_all:
        xt = _linear_ticks(min(xs_all), max(xs_all))
        plt.xticks(xt, [short(t) for t in xt])
    if log:
        plt.yscale("log")
    yt = _log_ticks(lo, hi) if log else _linear_ticks(lo, hi)
    plt.yticks(yt, [short(t) for t in yt])
    return _finish(legend)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def sensitivity_plot(series: Sequence[SensitivitySeries], *, title: str, ylabel: str, width: int = 100,
                     height: int = 26) -> str:
    """The metric of every series against its swept key (see the module docstring)."""
    if not series:
        return f"{title}\n(nothing swept)\n"
    key = series[0].key
    xs_raw = list(dict.fromkeys(value_text(x) for s in series for x, _, _ in s.points))
    values = {value_text(x): x for s in series for x, _, _ in s.points}
    numeric = all(_is_number(values[x]) for x in xs_raw)
    log_x = numeric and all(values[x] > 0 for x in xs_raw) and (
        key == "lr" or max(values[x] for x in xs_raw) / min(values[x] for x in xs_raw) > 100)

    def pos(x) -> float:
        return float(x) if numeric else float(xs_raw.index(value_text(x)) + 1)

    ys_all = [y for s in series for _, ys, _ in s.points for y in ys if y is not None]
    diverged = sum(d for s in series for _, _, d in s.points)
    if not ys_all and not diverged:
        return f"{title}\n(no finite values to plot)\n"
    log, lo, hi = _y_axis(ys_all) if ys_all else (False, 0.0, 1.0)
    top = hi * 3 if log else hi + 0.1 * max(hi - lo, abs(hi), 1e-12)
    _start(width, height, title, key + (" (log scale)" if log_x else ""),
           ylabel + (" (log scale)" if log else "") + ": median over seeds, · = each seed")
    legend = []
    for i, s in enumerate(series):
        marker = MARKERS[i % len(MARKERS)]
        mx, my, dots_x, dots_y, div_x = [], [], [], [], []
        for x, ys, d in s.points:
            finite = [y for y in ys if y is not None]
            dots_x += [pos(x)] * len(finite)
            dots_y += finite
            if finite and d * 2 < len(ys):  # the median is a number while at most half diverged
                mx.append(pos(x))
                my.append(median(finite))
            if d:
                div_x.append(pos(x))
        if dots_x:
            plt.scatter(dots_x, dots_y, marker="·")
        if mx:
            plt.plot(mx, my, marker=marker)
        if div_x:
            plt.scatter(div_x, [top] * len(div_x), marker="X")
        n_div = sum(d for _, _, d in s.points)
        n_all = sum(len(ys) for _, ys, _ in s.points)
        legend.append((marker, s.name + (f" ({n_div} of {n_all} trials diverged: X at the top)" if n_div else "")))
    if log_x:
        plt.xscale("log")
        xt = _log_ticks(min(pos(values[x]) for x in xs_raw), max(pos(values[x]) for x in xs_raw))
        plt.xticks(xt, [short(t) for t in xt])
    elif numeric:
        xt = sorted({pos(values[x]) for x in xs_raw})
        plt.xticks(xt, [short(t) for t in xt])
    else:
        plt.xticks([float(i + 1) for i in range(len(xs_raw))], xs_raw)
        plt.xlim(0.5, len(xs_raw) + 0.5)
    if log:
        plt.yscale("log")
    yt = _log_ticks(lo, top) if log else _linear_ticks(lo, top)
    plt.yticks(yt, [short(t) for t in yt])
    return _finish(legend)
