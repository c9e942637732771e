"""A plain-text log-log plot (plotext, no colour codes) of curves and measured points: the critical-batch
fit S(B), E(B) against a sweep's points, and the noisy-quadratic model's closed form against its simulation.
Both axes are drawn in log10 space with their ticks labelled by their values (as :mod:`.textplot` does)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotext as plt

from sgd_tui.plotting.palette import run_marker
from sgd_tui.plotting.prepare import sanitize
from sgd_tui.plotting.scales import value_axis
from sgd_tui.plotting.textplot import canvas_size, finish_figure, start_figure

__all__ = ["loglog_plot"]

Series = tuple[str, Sequence[float], Sequence[float]]


def _log(xs, ys) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = sanitize(xs, ys)
    keep = (xs > 0) & (ys > 0)
    return np.log10(xs[keep]), np.log10(ys[keep])


def loglog_plot(curves: Sequence[Series], points: Sequence[Series] = (), *, title: str, xlabel: str, ylabel: str,
                width: int = 100, height: int = 26) -> str:
    """``curves`` as lines (markers 1, 2, ...), ``points`` as scattered markers (after the curves'), on
    log-log axes shared by all; non-positive and non-finite values are left out."""
    lines = [(label, *_log(xs, ys)) for label, xs, ys in curves]
    dots = [(label, *_log(xs, ys)) for label, xs, ys in points]
    drawn = [(xs, ys) for _, xs, ys in (*lines, *dots) if len(xs)]
    if not drawn:
        return f"{title}\n(nothing to plot)\n"
    cols, rows = canvas_size(width, height)
    x = value_axis(min(float(xs.min()) for xs, _ in drawn), max(float(xs.max()) for xs, _ in drawn),
                   max(2, cols // 10), True, snap=False)
    y = value_axis(min(float(ys.min()) for _, ys in drawn), max(float(ys.max()) for _, ys in drawn),
                   max(2, rows // 3), True, snap=False)
    start_figure(width, height, title, xlabel + " (log)", ylabel + " (log)")
    legend = []
    for i, (label, xs, ys) in enumerate(lines):
        legend.append((run_marker(i), label))
        if len(xs):
            plt.plot(xs.tolist(), ys.tolist(), marker=run_marker(i))
    for j, (label, xs, ys) in enumerate(dots):
        marker = run_marker(len(lines) + j)
        legend.append((marker, label))
        if len(xs):
            plt.scatter(xs.tolist(), ys.tolist(), marker=marker)
    plt.xlim(x.lo, x.hi)
    plt.ylim(y.lo, y.hi)
    plt.xticks(x.ticks, x.labels)
    plt.yticks(y.ticks, y.labels)
    return finish_figure(legend)
