"""Plain-text plots of a sweep (plotext, no colour codes): seed bands and sensitivity.

Band plot: each configuration's median training loss over its seeds drawn with its marker, its p10 and
p90 curves with ``·`` (the band). Sensitivity plot: a metric against one swept key, one line per run
through the median over seeds, every seed's own value drawn with ``·`` (the spread), and the trials
that diverged drawn as ``X`` on a row above the highest value (they have no loss to place there).

Same rules as :mod:`.textplot`: values cleaned (:func:`.prepare.sanitize`), curves thinned per column
(:func:`.prepare.thin`), a log axis drawn in log10 space with its ticks labelled by their values. The y
axis is logarithmic when every value is positive over more than two decades; the x axis of a
sensitivity plot is logarithmic for ``lr`` and for any positive key spanning more than two decades, and
non-numeric values (``batch_size = "full"``) are placed evenly in the sweep's order.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import plotext as plt

from sgd_tui.core.sweep.grid import value_text
from sgd_tui.core.sweep.stats import SensitivitySeries, median
from sgd_tui.plotting.budget import ticks_to_end
from sgd_tui.plotting.optimum import config_minima
from sgd_tui.plotting.palette import run_marker
from sgd_tui.plotting.prepare import sanitize, thin
from sgd_tui.plotting.scales import short_label, tick_labels, value_axis
from sgd_tui.plotting.textplot import canvas_size, finish_figure, set_axes, start_figure

__all__ = ["band_plot", "sensitivity_plot", "band_series", "band_view", "Band"]

Band = tuple[str, Sequence[float], Sequence[float], Sequence[float], Sequence[float]]  # label, x, med, p10, p90


def band_series(sweep: Any, band_rows: Sequence[Any], run: str, x: str = "step") -> list[Band]:
    """The bands of one run of the sweep (its configurations in the sweep's order), ready for
    :func:`band_plot`: x is the rows' ``step``, ``samples`` or ``epoch`` (rows without it are left out)."""
    per_config: dict[str, list] = {}
    for r in band_rows:
        per_config.setdefault(r.config, []).append(r)
    of_run = {t.config for t in sweep.trials if t.run == run}
    out: list[Band] = []
    for c in sweep.configs():
        if c not in of_run or c not in per_config:
            continue
        rs = [r for r in per_config[c] if getattr(r, x) is not None]
        out.append((c, [getattr(r, x) for r in rs], [r.median for r in rs], [r.p10 for r in rs],
                    [r.p90 for r in rs]))
    return out


def band_view(view: dict[str, Any], sweep: Any, has_data: bool) -> tuple[str, dict[str, float | None], bool | None, float]:
    """How a scenario's [view] draws the seed bands: (x key, f* per configuration for the gap or {},
    log: None = auto, False = linear, the log floor y_floor). ``bands_x`` auto is samples where the trials have a training set,
    else step; ``loss`` gap (or auto on a log axis) draws f − f* where f* is known (builds the problems)."""
    x = view.get("bands_x", "auto")
    if x not in ("step", "samples", "epoch"):
        x = "samples" if has_data else "step"
    log = None if view.get("y", "log") == "log" else False
    mode = view.get("loss", "auto")
    minima = config_minima(sweep) if mode == "gap" or (mode == "auto" and log is None) else {}
    return x, {k: v for k, v in minima.items() if v is not None}, log, float(view.get("y_floor") or 0.0)


def _log_y(values: np.ndarray) -> bool:
    return bool(len(values)) and values.min() > 0 and values.max() / values.min() > 100


def band_plot(bands: Sequence[Band], *, title: str, xlabel: str, ylabel: str = "training loss",
              width: int = 100, height: int = 30, minima: dict[str, float | None] | None = None,
              log: bool | None = None, floor: float = 0.0) -> str:
    """Median curves with their p10-p90 bands on shared axes; ``floor`` (> 0, on a log axis): the axis goes
    no lower, values below it are drawn on it (the legend says which curves went under).

    ``minima`` (configuration -> f*, where known): draw the gap f − f* (the same shift of the median and
    both percentiles), on a log axis unless ``log`` is False: the loss of every batch size goes to about
    the same value, but its distance to the minimum is the batch noise (full batch: to 0; batch B: a noise
    floor ~1/B). ``log`` None: log when every value is positive over more than two decades (without
    minima) or always (with them); False: linear."""
    minima = minima or {}
    gap = bool(minima) and all(minima.get(b[0]) is not None for b in bands)
    if gap:
        bands = [(label, xs, *([v - minima[label] for v in ys] for ys in (med, p10, p90)))
                 for label, xs, med, p10, p90 in bands]
        ylabel += " − f*"
    curves = [(label, [sanitize(xs, ys, log=gap and log is not False) for ys in (med, p10, p90)])
              for label, xs, med, p10, p90 in bands]
    ys_all = np.concatenate([ys for _, cs in curves for _, ys in cs] or [np.empty(0)])
    if not len(ys_all):
        return f"{title}\n(no finite loss values to plot)\n"
    log = (_log_y(ys_all) or (gap and ys_all.min() > 0)) if log is None else (log and ys_all.min() > 0)
    if log:
        curves = [(label, [(xs, np.log10(ys)) for xs, ys in cs]) for label, cs in curves]
        ys_all = np.log10(ys_all)
    xs_all = np.concatenate([xs for _, cs in curves for xs, _ in cs])
    under: set[str] = set()
    if log and floor > 0 and ys_all.min() < np.log10(floor):
        f = float(np.log10(floor))
        under = {label for label, cs in curves if any(len(ys) and ys.min() < f for _, ys in cs)}
        curves = [(label, [(xs, np.maximum(ys, f)) for xs, ys in cs]) for label, cs in curves]
        ys_all = np.r_[np.maximum(ys_all, f), f + 1]
    cols, rows = canvas_size(width, height)
    x = value_axis(float(xs_all.min()), float(xs_all.max()), max(2, cols // 10), snap=False)
    y = value_axis(float(ys_all.min()), float(ys_all.max()), max(2, rows // 3), log, snap=False)
    start_figure(width, height, title, xlabel, ylabel + (" (log scale)" if log else ""))
    legend = []
    for i, (label, (med, p10, p90)) in enumerate(curves):
        for xs, ys in (p10, p90):
            if len(xs):
                xs, ys = thin(xs, ys, cols, x.lo, x.hi)
                plt.plot(xs.tolist(), ys.tolist(), marker="·")
        if len(med[0]):
            xs, ys = thin(*med, cols, x.lo, x.hi)
            plt.plot(xs.tolist(), ys.tolist(), marker=run_marker(i))
        legend.append((run_marker(i), label + (": median over seeds" if len(med[0]) else
                                                ": no finite median to draw")
                       + (f" (< {short_label(floor)}: on the floor)" if label in under else "")))
    legend.append(("·", "p10 and p90 over seeds (the band)"))
    if gap and log:
        legend.append((" ", "f* = the objective's minimum (a gap of 0 is not drawn)"))
    set_axes((x.lo, x.hi), (y.lo, y.hi), ticks_to_end(x.ticks, x.lo, x.hi), y.ticks, y.labels)
    return finish_figure(legend)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def sensitivity_plot(series: Sequence[SensitivitySeries], *, title: str, ylabel: str, width: int = 100,
                     height: int = 26) -> str:
    """The metric of every series against its swept key (see the module docstring)."""
    if not series:
        return f"{title}\n(nothing swept)\n"
    key = series[0].key
    names = list(dict.fromkeys(value_text(x) for s in series for x, _, _ in s.points))
    values = {value_text(x): x for s in series for x, _, _ in s.points}
    numeric = all(_is_number(values[n]) for n in names)
    log_x = numeric and all(values[n] > 0 for n in names) and (
        key == "lr" or max(values[n] for n in names) / min(values[n] for n in names) > 100)

    def pos(v: Any) -> float:
        if not numeric:
            return float(names.index(value_text(v)) + 1)
        return math.log10(v) if log_x else float(v)

    ys_all = np.array([y for s in series for _, ys, _ in s.points for y in ys if y is not None], dtype=float)
    ys_all = ys_all[np.isfinite(ys_all)]
    if not len(ys_all) and not any(d for s in series for _, _, d in s.points):
        return f"{title}\n(no finite values to plot)\n"
    log = _log_y(ys_all)
    tf = (lambda v: math.log10(v)) if log else float
    lo, hi = (tf(float(ys_all.min())), tf(float(ys_all.max()))) if len(ys_all) else (0.0, 1.0)
    top = hi + 0.08 * max(hi - lo, 1e-9 if not log else 0.1)  # the row of diverged trials
    cols, rows = canvas_size(width, height)
    start_figure(width, height, title, key + (" (log scale)" if log_x else ""), ylabel + (" (log scale)" if log else ""))
    legend = []
    for i, s in enumerate(series):
        mx, my, dx, dy, div = [], [], [], [], []
        for v, ys, d in s.points:
            finite = [y for y in ys if y is not None and math.isfinite(y) and (y > 0 or not log)]
            dx += [pos(v)] * len(finite)
            dy += [tf(y) for y in finite]
            if finite and 2 * d < len(ys):  # the median is a number while fewer than half diverged
                mx.append(pos(v))
                my.append(tf(median(finite)))
            if d:
                div.append(pos(v))
        if dx:
            plt.scatter(dx, dy, marker="·")
        if mx:
            plt.plot(mx, my, marker=run_marker(i))
        if div:
            plt.scatter(div, [top] * len(div), marker="X")
        n_div = sum(d for _, _, d in s.points)
        n_all = sum(len(ys) for _, ys, _ in s.points)
        legend.append((run_marker(i), s.name + ": median over seeds"
                       + (f" ({n_div} of {n_all} trials diverged)" if n_div else "")))
    legend += [("·", "one seed's value"), ("X", "diverged (no loss to place: drawn at the top)")]
    xs = [pos(values[n]) for n in names]
    if numeric:
        x = value_axis(min(xs), max(xs), max(2, cols // 10), log_x, snap=False)
        xlim, xticks, xlabels = (x.lo, x.hi), x.ticks, x.labels
    else:
        xlim, xticks, xlabels = (0.5, len(names) + 0.5), xs, names
    y = value_axis(lo, top, max(2, rows // 3), log, snap=False)
    set_axes(xlim, (y.lo, y.hi), [], y.ticks, y.labels)
    plt.xticks(xticks, xlabels if not numeric else tick_labels(xticks, log_x))
    return finish_figure(legend)
