"""The central flow of a GD run as a series the loss and trajectory plots draw like a run's.

On a surface whose central flow is known in closed form (edge_valley,
:mod:`sgd_tui.core.theory.central_flow`), a GD run with a constant step has a flow w̄(t) through the middle
of its zig-zag and a predicted time-averaged loss; :func:`central_flow_series` turns them into a
:class:`~sgd_tui.plotting.series.RunSeries` (one Record per sampled step: the loss, x̄, ȳ), or None.
"""

from __future__ import annotations

from typing import Any

from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.objectives.surfaces import make_surface
from sgd_tui.core.run.records import Record
from sgd_tui.core.theory.quadratic import method_of
from sgd_tui.plotting.series import RunSeries

__all__ = ["central_flow_series", "FLOW_COLOR", "FLOW_POINTS"]

FLOW_COLOR = (160, 160, 160)  # grey: not a run
FLOW_POINTS = 2000  # the flow is sampled at about this many steps


def central_flow_series(objective: str, options: dict[str, Any], optimizer: str, hyper: dict[str, Any],
                        settings: dict[str, Any], steps: int) -> RunSeries | None:
    """GD's central flow for a run (its objective, options, optimizer, hyperparameters, run settings and
    steps), or None: not a surface with a known flow, not plain GD, a schedule, or gradient noise."""
    if get_objective(objective).kind != "surface" or options.get("noise"):
        return None
    surface = make_surface(objective, **{k: v for k, v in options.items() if k not in ("start", "noise")})
    lr = float(hyper.get("lr", 0.0))
    if surface.central_flow is None or method_of(optimizer, hyper)[0] != "gd" or lr <= 0:
        return None
    if (settings.get("schedule") or "constant") != "constant":
        return None
    start = settings.get("start") or options.get("start") or surface.start
    flow = surface.central_flow(start, lr, int(steps), max(1, int(steps) // FLOW_POINTS))
    series = RunSeries()
    series.extend(Record(k, None, k, 0.0, loss, lr, None, x, y)
                  for k, loss, x, y in zip(flow.steps, flow.loss, flow.x, flow.y))
    return series
