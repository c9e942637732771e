"""The theory numbers and basin maps of a headless replay (summary.json's ``theory``, basin.csv, basins.txt).

Kept out of :mod:`sgd_tui.headless` so the replay loop only calls three functions: :func:`theory_start`
when a 2-D run is built, :func:`theory_end` when it ends, and :func:`write_basins` after the runs when
the scenario has a ``[basins]`` table. Never imports textual.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Callable, Sequence

from .core.basins import BasinMap, basin_map
from .core.objectives import get_objective
from .core.theory import theory_of, theory_of_runner

__all__ = ["theory_start", "theory_end", "write_basins", "basin_plot"]

BASIN_COLUMNS = ("x0", "y0", "x", "y", "minimum", "status", "steps")
LETTERS = "ABCDEFGHJKLMNPQRSTUVWYZ"  # one per minimum (cycled); x = diverged, . = not converged


def theory_start(runner) -> dict[str, Any] | None:
    """The theory at a 2-D run's start (its lr before any step), as summary.json writes it."""
    if not runner.problem.is_2d:
        return None
    spec = runner.spec
    return theory_of(runner.problem, spec.optimizer, spec.hyper, runner.lr, point=runner.problem.start,
                     objective=spec.objective, options=spec.objective_options).to_dict()


def theory_end(runner, records: Sequence) -> dict[str, Any] | None:
    """The theory at a 2-D run's last point with its lr after the schedule; ``records`` (the run's logged
    rows) give the last update for the adaptive methods' effective step when the last two are one step
    apart."""
    if not runner.problem.is_2d:
        return None
    previous = None
    if len(records) >= 2 and records[-1].step - records[-2].step == 1 and records[-1].step == runner.step:
        previous = (records[-2].x, records[-2].y)
    return theory_of_runner(runner, previous=previous).to_dict()


def write_basins(out: Path, scenario, runners: list, cancelled: Callable[[], bool]) -> dict[str, dict]:
    """basin.csv (a ``run`` column first when several runs have a map) and basins.txt for every run on a
    surface objective; returns each mapped run's summary (minima, shares) by label."""
    settings = scenario.basins or {}
    mapped: list[tuple[Any, BasinMap]] = []
    for r in runners:
        spec = r.spec
        if get_objective(spec.objective).kind != "surface":
            continue
        b = basin_map(spec.objective, spec.objective_options, spec.optimizer, spec.hyper,
                      resolution=settings.get("resolution") or 64, steps=settings.get("steps") or r.total_steps,
                      settings=spec.settings, seed=spec.seed, tolerance=settings.get("tolerance"),
                      max_loss=r.max_loss, cancelled=cancelled)
        if b is None:  # interrupted
            break
        mapped.append((spec, b))
    if not mapped:
        return {}
    several = len(mapped) > 1
    with open(out / "basin.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow((("run",) if several else ()) + BASIN_COLUMNS)
        for spec, b in mapped:
            for row in b.rows():
                w.writerow(((spec.label,) if several else ()) + tuple(repr(v) if isinstance(v, float) else v
                                                                     for v in row))
    panels = [basin_plot(b, title=f"{get_objective(spec.objective).title}: basins of {spec.label}")
              for spec, b in mapped]
    (out / "basins.txt").write_text("\n".join(panels), encoding="utf-8")
    return {spec.label: b.summary() for spec, b in mapped}


def basin_plot(b: BasinMap, *, title: str, width: int = 100, height: int = 34) -> str:
    """The basin map as text: each plot cell shows the letter of the minimum its nearest start reached
    (``x`` diverged, ``.`` not converged), ``*`` the minima; the legend gives each letter's share."""
    import numpy as np

    from .plots_text import _finish, _linear_ticks, _start, plt, short

    (x0, x1), (y0, y1) = (float(b.xs[0]), float(b.xs[-1])), (float(b.ys[0]), float(b.ys[-1]))
    hx, hy = 0.5 * (b.xs[1] - b.xs[0]), 0.5 * (b.ys[1] - b.ys[0])
    x0, x1, y0, y1 = x0 - hx, x1 + hx, y0 - hy, y1 + hy
    nx, ny = max(10, width - 12), max(5, height - 6)
    cx = x0 + (np.arange(nx) + 0.5) * (x1 - x0) / nx
    cy = y0 + (np.arange(ny) + 0.5) * (y1 - y0) / ny
    ix = np.clip(np.round((cx - b.xs[0]) / (2 * hx)).astype(int), 0, len(b.xs) - 1)
    iy = np.clip(np.round((cy - b.ys[0]) / (2 * hy)).astype(int), 0, len(b.ys) - 1)
    codes = b.grid()[np.ix_(iy, ix)]  # (ny, nx): the code of the start nearest each plot cell
    _start(width, height, title, "x", "y")
    shares = b.shares()
    legend = []
    for code in sorted(set(codes.ravel().tolist()), key=lambda c: (c < 0, c)):
        rows, cols = np.nonzero(codes == code)
        if code >= 0:
            marker, label = LETTERS[code % len(LETTERS)], b.minima[code].label
        else:
            marker, label = ("x", "diverged") if code == -1 else (".", "not converged")
        plt.scatter(cx[cols].tolist(), cy[rows].tolist(), marker=marker)
        legend.append((marker, f"{label}: {100 * shares[label]:.1f}% of the starts"))
    inside = [m for m in b.minima if x0 <= m.x <= x1 and y0 <= m.y <= y1]
    if inside:
        plt.scatter([m.x for m in inside], [m.y for m in inside], marker="*")
        legend.append(("*", "a minimum"))
    plt.xlim(x0, x1)
    plt.ylim(y0, y1)
    xt, yt = _linear_ticks(x0, x1), _linear_ticks(y0, y1)
    plt.xticks(xt, [short(t) for t in xt])
    plt.yticks(yt, [short(t) for t in yt])
    head = (f"{b.resolution}x{b.resolution} starts, {b.budget} steps each, {b.optimizer} "
            f"{', '.join(f'{k}={v}' for k, v in b.hyper.items() if k in ('lr', 'momentum', 'betas'))}; "
            f"a start reached a minimum when it ended within {b.tolerance:.3g} of it")
    return head + "\n" + _finish(legend)

