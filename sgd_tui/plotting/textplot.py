"""Plain-text plots (plotext, no colour codes) for a headless replay's loss.txt, trajectory.txt and
basins.txt.

They follow the app's rules, from the same functions: every series is cleaned (:func:`.prepare.sanitize`:
non-finite points dropped, values <= 0 dropped on a log axis), thinned to at most two points per canvas
column (:func:`.prepare.thin`), drawn with ticks on 1-2-5 multiples or decades and short tick labels
(:mod:`.scales`; the limits are the data's own range: a file does not move, so nothing needs snapping);
a log axis is drawn in log10 space with the ticks labelled by their values.
Paths are clamped to the view (:func:`.prepare.clamp_path`) over the contour lines of the app's
monochrome heat map (:mod:`.heat`). Runs are told apart by their marker character
(:func:`.palette.run_marker`); the legend is written under the plot (plotext's own legend would hide
the start of the curves).
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

import numpy as np
import plotext as plt

from sgd_tui.plotting.budget import ticks_to_end
from sgd_tui.plotting.heat import cell_centres, contour_marks, heat_bands, sample_grid
from sgd_tui.plotting.palette import run_marker
from sgd_tui.plotting.prepare import clamp_path, sanitize, thin, thin_path
from sgd_tui.plotting.scales import linear_ticks, short_label, tick_labels, value_axis

__all__ = ["loss_plot", "trajectory_plot", "basin_plot", "sharpness_plot", "fit_plot", "Series", "canvas_size", "start_figure", "set_axes", "finish_figure"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
Series = tuple[str, Sequence[float], Sequence[float]]  # (label, xs, ys); None values count as missing


def canvas_size(width: int, height: int) -> tuple[int, int]:
    """About the (cols, rows) of plotext's data area in a figure with a title and axis labels."""
    return max(10, width - 12), max(5, height - 6)


def start_figure(width: int, height: int, title: str, xlabel: str, ylabel: str) -> None:
    plt.clf()
    plt.theme("clear")
    plt.plotsize(width, height)
    plt.title(title)
    plt.xlabel(xlabel)
    plt.ylabel(ylabel)


def set_axes(xlim, ylim, xticks: list[float], yticks: list[float], ylabels: list[str]) -> None:
    plt.xlim(*xlim)
    plt.ylim(*ylim)
    plt.xticks(xticks, tick_labels(xticks))
    plt.yticks(yticks, ylabels)


def finish_figure(legend: Sequence[tuple[str, str]]) -> str:
    """The built plot without colour codes, then its legend (plotext draws its own over the data)."""
    text = _ANSI.sub("", plt.build())
    plt.clf()
    lines = [line.rstrip() for line in text.splitlines()]
    lines += [f"  {marker}  {label}" for marker, label in legend]
    return "\n".join(lines) + "\n"


def loss_plot(series: Sequence[Series], *, title: str, xlabel: str, ylabel: str = "loss",
              width: int = 100, height: int = 30, log: bool | None = None, floor: float = 0.0,
              x_end: float | None = None, diverged: Sequence[str] = ()) -> str:
    """Loss curves of all runs on shared axes.

    ``diverged``: labels of runs that diverged; as in the app, the y axis spans the others (a run that
    blew up to 1e12 no longer squashes them) and a diverged curve is clipped to it (the legend says so).

    ``log``: None (auto) draws y on a log scale when every value is >= 0 and the positive ones span more
    than two decades (exact zeros, Newton landing on the minimum, are then not drawn); False never. ``floor``
    (> 0, on a log axis): the axis goes no lower; a run below it is drawn on it from where it first went
    under, and the legend says so. ``x_end``: the budget's end on the x axis (the axis ends there, or at
    the data when they go further), labelled. A title wider than the plot is written above it."""
    clean = [(label, *sanitize(xs, ys)) for label, xs, ys in series]
    ys_all = np.concatenate([ys for _, _, ys in clean]) if clean else np.empty(0)
    if not len(ys_all):
        return f"{title}\n(no finite loss values to plot)\n"
    positive = ys_all[ys_all > 0]
    auto = bool(len(positive)) and ys_all.min() >= 0 and positive.max() / positive.min() > 100
    log = auto if log is None else (log and auto)
    if log:
        clean = [(label, xs[ys > 0], np.log10(ys[ys > 0])) for label, xs, ys in clean]
    drawn = [(xs, ys) for _, xs, ys in clean if len(xs)]
    cols, rows = canvas_size(width, height)
    x_hi = max(float(xs[-1]) for xs, _ in drawn)
    x_lo = min(float(xs[0]) for xs, _ in drawn)
    x_lo = min(x_lo, 0.0) if x_end is not None else x_lo  # with a budget: the axis spans it, from 0 to its end
    x = value_axis(x_lo, max(x_hi, x_end or x_hi), max(2, cols // 10), snap=False)
    calm = [ys for label, xs, ys in clean if len(xs) and label not in diverged] or [ys for _, ys in drawn]
    y_lo, y_hi = min(float(ys.min()) for ys in calm), max(float(ys.max()) for ys in calm)
    floored = bool(log and floor > 0 and y_lo < np.log10(floor))
    if floored:
        y_lo, y_hi = float(np.log10(floor)), max(y_hi, float(np.log10(floor)) + 1)
    y = value_axis(y_lo, y_hi, max(2, rows // 3), log, snap=False)
    head = ""
    if len(title) > width - 30:  # plotext leaves a title wider than its data area off: write it above
        head, title = title + "\n", ""
    start_figure(width, height, title, xlabel, ylabel + (" (log scale; zeros not drawn)" if log else ""))
    legend = []
    for i, (label, xs, ys) in enumerate(clean):
        note = "" if len(xs) else " (nothing to draw)"
        if floored and len(ys) and ys.min() < y.lo:
            k = int(np.argmax(ys < y.lo))
            note = f" (below {short_label(floor)} from {xlabel.replace('# of ', '')} {short_label(float(xs[k]))}: drawn on the floor)"
            ys = np.maximum(ys, y.lo)
        if label in diverged and len(ys) and (ys.max() > y.hi or ys.min() < y.lo):
            note += " (diverged: clipped to the axis)"
            ys = np.clip(ys, y.lo, y.hi)
        legend.append((run_marker(i), label + note))
        if len(xs):
            xs, ys = thin(xs, ys, cols, x.lo, x.hi)
            plt.plot(xs.tolist(), ys.tolist(), marker=run_marker(i))
    ticks = ticks_to_end(x.ticks, x.lo, x.hi) if x_end is not None else x.ticks
    set_axes((x.lo, x.hi), (y.lo, y.hi), ticks, y.ticks, y.labels)
    return head + finish_figure(legend)


def trajectory_plot(
    paths: Sequence[Series],
    *,
    bounds: tuple[tuple[float, float], tuple[float, float]],
    grid: Callable[[np.ndarray, np.ndarray], "object"],
    minima: Sequence[tuple[float, float]] = (),
    start: tuple[float, float] | None = None,
    title: str,
    xlabel: str = "x",
    ylabel: str = "y",
    width: int = 100,
    height: int = 34,
) -> str:
    """Paths of all runs over contour lines of the surface.

    ``grid(xs, ys)`` gives f on the grid (shape (len(ys), len(xs))); it is sampled at the canvas cells'
    centres and drawn as the app's monochrome heat map: ``·`` on the contour lines between the bands of
    log1p(f - min f) (:func:`.heat.contour_marks`). Paths are clamped to the view (a diverging run runs
    along the edge) and non-finite points dropped. ``S`` marks the start and ``M`` the known minima.
    """
    (x0, x1), (y0, y1) = bounds
    cols, rows = canvas_size(width, height)
    xs, ys = cell_centres(bounds, cols, rows)
    marks = contour_marks(heat_bands(sample_grid(grid, bounds, cols, rows)))
    start_figure(width, height, title, xlabel, ylabel)
    r, c = np.nonzero(marks)
    if len(r):
        plt.scatter(xs[c].tolist(), ys[r].tolist(), marker="·")
    legend = []
    for i, (label, px, py) in enumerate(paths):
        px, py = clamp_path(px, py, bounds)
        legend.append((run_marker(i), label + ("" if len(px) else " (nothing to draw)")))
        if len(px):
            px, py = thin_path(px, py, bounds, 2 * cols, 4 * rows, 4 * width)
            plt.plot(px.tolist(), py.tolist(), marker=run_marker(i))
    inside = [(a, b) for a, b in minima if x0 <= a <= x1 and y0 <= b <= y1]
    if inside:
        plt.scatter([a for a, _ in inside], [b for _, b in inside], marker="M")
        legend.append(("M", "minimum"))
    sx, sy = clamp_path([] if start is None else [start[0]], [] if start is None else [start[1]], bounds)
    if len(sx):
        plt.scatter(sx.tolist(), sy.tolist(), marker="S")
        legend.append(("S", "start"))
    yt = linear_ticks(y0, y1, max(2, rows // 3))
    set_axes((x0, x1), (y0, y1), linear_ticks(x0, x1, max(2, cols // 10)), yt, tick_labels(yt))
    return finish_figure(legend)


def sharpness_plot(series: Sequence[tuple[str, Sequence[float], Sequence[float], Sequence[float | None]]], *,
                   title: str, xlabel: str = "step", width: int = 100, height: int = 30) -> str:
    """λmax of every run (its marker) against the step, with its stability limit (2/α for GD) drawn as a
    line of ``-`` and labelled ``<marker> 2/α 10`` at its right end: a run at the edge of stability runs
    along its own limit. ``series`` = [(label, steps, λmax, limit or None)]; linear y from 0."""
    clean = []
    for label, xs, lam, lim in series:
        lx, ly = sanitize(xs, lam)
        mx, my = sanitize(xs, [np.nan if v is None else v for v in lim])
        clean.append((label, lx, ly, mx, my))
    ys = [a for _, _, ly, _, my in clean for a in (ly, my) if len(a)]
    if not ys:
        return f"{title}\n(no λmax measured)\n"
    xs_all = np.concatenate([a for _, lx, _, mx, _ in clean for a in (lx, mx) if len(a)])
    cols, rows = canvas_size(width, height)
    x = value_axis(float(xs_all.min()), float(xs_all.max()), max(2, cols // 10), snap=False)
    y = value_axis(0.0, float(max(a.max() for a in ys)) * 1.05, max(2, rows // 3))
    start_figure(width, height, title, xlabel, "λmax")
    legend = []
    for i, (label, lx, ly, mx, my) in enumerate(clean):
        if len(mx):
            px, py = thin(mx, my, cols, x.lo, x.hi)
            plt.plot(px.tolist(), py.tolist(), marker="-")
            plt.text(f"{run_marker(i)} 2/α {short_label(float(my[-1]))}", float(mx[-1]), float(my[-1]),
                     alignment="right")
        if len(lx):
            px, py = thin(lx, ly, cols, x.lo, x.hi)
            plt.plot(px.tolist(), py.tolist(), marker=run_marker(i))
        last = f": last λmax {ly[-1]:.4g}" if len(ly) else ": nothing to draw"
        if len(ly) and len(my) and my[-1] > 0:
            last += f" = {ly[-1] / my[-1]:.2f} × its limit {my[-1]:.3g}"
        legend.append((run_marker(i), label + last))
    legend.append(("-", "each run's stability limit (2/α for GD), labelled with its marker at the right"))
    set_axes((x.lo, x.hi), (y.lo, y.hi), x.ticks, y.ticks, y.labels)
    return finish_figure(legend)


def fit_plot(data: tuple[Sequence[float], Sequence[float]], curves: Sequence[Series], *, title: str,
             width: int = 100, height: int = 30) -> str:
    """A 1-D regression network's fit: the training points ``data`` = (xs, ys) as ``·`` and each run's
    curve f(x) ``curves`` = [(label, xs, ys)] with its marker; y spans the points (padded), a curve beyond
    it is clipped to the edge (the legend says so)."""
    dx, dy = sanitize(*data)
    if not len(dx):
        return f"{title}\n(no training points)\n"
    cols, rows = canvas_size(width, height)
    pad = 0.15 * max(float(dy.max() - dy.min()), 1e-9)
    x = value_axis(float(dx.min()), float(dx.max()), max(2, cols // 10), snap=False)
    y = value_axis(float(dy.min()) - pad, float(dy.max()) + pad, max(2, rows // 3), snap=False)
    start_figure(width, height, title, "x", "y")
    plt.scatter(dx.tolist(), dy.tolist(), marker="·")
    legend = [("·", "training points")]
    for i, (label, xs, ys) in enumerate(curves):
        cx, cy = sanitize(xs, ys)
        clipped = bool(len(cy)) and (cy.min() < y.lo or cy.max() > y.hi)
        legend.append((run_marker(i), label + ": the network's f(x)" + (" (clipped to the axis)" if clipped else "")
                       + ("" if len(cx) else " (nothing to draw)")))
        if len(cx):
            plt.plot(cx.tolist(), np.clip(cy, y.lo, y.hi).tolist(), marker=run_marker(i))
    set_axes((x.lo, x.hi), (y.lo, y.hi), x.ticks, y.ticks, y.labels)
    return finish_figure(legend)


BASIN_LETTERS = "ABCDEFGHJKLNPQRTUVWYZ"  # one per minimum (cycled); x = diverged, . = not converged


def basin_plot(b, *, title: str, width: int = 100, height: int = 34) -> str:
    """A basin map (:class:`sgd_tui.core.maps.basins.BasinMap`) as text: each canvas cell shows the letter of the
    minimum its nearest start reached (``x`` diverged, ``.`` not converged) and ``*`` the minima; the legend
    gives each letter's minimum and share of the starts."""
    bounds = b.bounds
    (x0, x1), (y0, y1) = bounds
    cols, rows = canvas_size(width, height)
    xs, ys = cell_centres(bounds, cols, rows)
    codes = b.codes_at(xs, ys)
    shares = b.shares()
    start_figure(width, height, title, "x", "y")
    legend = []
    for code in sorted(set(codes.ravel().tolist()), key=lambda c: (c < 0, c)):
        r, c = np.nonzero(codes == code)
        if code >= 0:
            marker, label = BASIN_LETTERS[code % len(BASIN_LETTERS)], b.minima[code].label
        else:
            marker, label = ("x", "diverged") if code == -1 else (".", "not converged")
        plt.scatter(xs[c].tolist(), ys[r].tolist(), marker=marker)
        legend.append((marker, f"{label}: {100 * shares[label]:.1f}% of the starts"))
    inside = [m for m in b.minima if x0 <= m.x <= x1 and y0 <= m.y <= y1]
    if inside:
        plt.scatter([m.x for m in inside], [m.y for m in inside], marker="*")
        legend.append(("*", "a minimum"))
    yt = linear_ticks(y0, y1, max(2, rows // 3))
    set_axes((x0, x1), (y0, y1), linear_ticks(x0, x1, max(2, cols // 10)), yt, tick_labels(yt))
    hyper = ", ".join(f"{k}={v}" for k, v in b.hyper.items() if k in ("lr", "momentum", "betas"))
    head = (f"{b.resolution}x{b.resolution} starts, {b.budget} steps each, {b.optimizer} {hyper}; a start "
            f"reached a minimum when it ended within {b.tolerance:.3g} of it")
    return head + "\n" + finish_figure(legend)
