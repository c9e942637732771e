"""Plain-text plots of a fair race (plotext, no colour codes): each run's sensitivity curve, the criterion
against the learning rate on a log x axis, with the chosen point marked.

One line per run through the median over seeds (its marker), every seed's own value drawn with ``·``,
points whose median is +inf (diverged, or the target not reached) drawn as ``X`` on a row above the
highest value (a point none of whose trials has finished is not drawn: while tuning runs, its run's legend
says "no result yet"), and the chosen point of each run as ``@`` (a ring around its marker would not survive
text). The y axis is logarithmic when every value is positive over more than two decades.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotext as plt

from sgd_tui.core.sweep.race import Choice
from sgd_tui.plotting.palette import run_marker
from sgd_tui.plotting.scales import tick_labels, value_axis
from sgd_tui.plotting.textplot import canvas_size, finish_figure, set_axes, start_figure

__all__ = ["tuning_plot", "CHOSEN_MARKER"]

CHOSEN_MARKER = "@"


def tuning_plot(choices: Sequence[Choice], *, criterion: str, title: str, width: int = 100,
                height: int = 26) -> str:
    """The criterion against lr for every run, the chosen lr marked (see the module docstring)."""
    ylabel = criterion.replace("_", " ")
    finite = [v for ch in choices for p in ch.points for v in p.per_seed if v is not None and math.isfinite(v)]
    if not finite:
        return f"{title}\n(no finite {ylabel} at any learning rate: every trial diverged or missed the target)\n"
    ys = np.array(finite, dtype=float)
    log = bool(ys.min() > 0 and ys.max() / ys.min() > 100)
    tf = (lambda v: math.log10(v)) if log else float
    lo, hi = tf(float(ys.min())), tf(float(ys.max()))
    top = hi + 0.08 * max(hi - lo, 0.1 if log else 1e-9)
    lrs = sorted({float(p.values["lr"]) for ch in choices for p in ch.points})
    xs_all = [math.log10(v) for v in lrs]
    cols, rows = canvas_size(width, height)
    start_figure(width, height, title, "lr (log scale)", ylabel + (" (log scale)" if log else ""))
    legend = []
    chosen_x, chosen_y = [], []
    for i, ch in enumerate(choices):
        mx, my, dx, dy, bad = [], [], [], [], []
        for p in ch.points:
            if not p.measured:  # no seed has a result yet: nothing to draw (not a divergence)
                continue
            x = math.log10(float(p.values["lr"]))
            vals = [v for v in p.per_seed if v is not None and math.isfinite(v) and (v > 0 or not log)]
            dx += [x] * len(vals)
            dy += [tf(v) for v in vals]
            if math.isfinite(p.score) and (p.score > 0 or not log):
                mx.append(x)
                my.append(tf(p.score))
            else:
                bad.append(x)
        if dx:
            plt.scatter(dx, dy, marker="·")
        if mx:
            plt.plot(mx, my, marker=run_marker(i))
        if bad:
            plt.scatter(bad, [top] * len(bad), marker="X")
        b = ch.best
        if not b.measured:
            legend.append((run_marker(i), f"{ch.run}: no result yet"))
            continue
        bx = math.log10(ch.lr)
        by = tf(b.score) if math.isfinite(b.score) and (b.score > 0 or not log) else top
        chosen_x.append(bx)
        chosen_y.append(by)
        others = " ".join(f"{k}={v}" for k, v in b.values.items() if k != "lr")
        legend.append((run_marker(i), f"{ch.run}: lr {ch.lr:.3g}" + (f" {others}" if others else "")
                       + f" chosen ({b.score:.4g})"))
    plt.scatter(chosen_x, chosen_y, marker=CHOSEN_MARKER)
    legend += [(CHOSEN_MARKER, f"chosen: the lowest median {ylabel} over seeds"), ("·", "one seed's value"),
               ("X", "median is inf: diverged" + (" or target not reached" if criterion == "steps_to_target" else ""))]
    x = value_axis(min(xs_all), max(xs_all), max(2, cols // 10), True, snap=False) if len(xs_all) > 1 else None
    y = value_axis(lo, top, max(2, rows // 3), log, snap=False)
    xlim = (x.lo, x.hi) if x is not None else (xs_all[0] - 1, xs_all[0] + 1)
    set_axes(xlim, (y.lo, y.hi), [], y.ticks, y.labels)
    ticks = x.ticks if x is not None else [xs_all[0]]
    plt.xticks(ticks, tick_labels(ticks, True))
    return finish_figure(legend)
