"""The flows of a GD run as series the loss and trajectory plots draw like a run's (the ``c`` key).

On a surface whose central flow is known in closed form (edge_valley,
:mod:`sgd_tui.core.theory.central_flow`), a GD run with a constant step has a flow w̄(t) through the middle
of its zig-zag and a predicted time-averaged loss; :func:`central_flow_series` turns them into a
:class:`~sgd_tui.plotting.series.RunSeries` (one Record per sampled step: the loss, x̄, ȳ), or None.

On the other surfaces :func:`modified_flow_series` gives the gradient flow of f and the flow of the modified
loss f̃ = f + (α/4)‖∇f‖² that GD follows to second order (:mod:`sgd_tui.core.theory.modified_flow`), from
the run's start at the times kα of its steps, each with f along it: GD's points sit on the second, not the
first, and the gap shows where curvature bends GD off the flow.
"""

from __future__ import annotations

import math
from typing import Any

from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.objectives.surfaces import make_surface
from sgd_tui.core.run.records import Record
from sgd_tui.core.theory.modified_flow import dopri_path, flow_rhs, modified_rhs
from sgd_tui.core.theory.quadratic import method_of
from sgd_tui.plotting.series import RunSeries

__all__ = ["central_flow_series", "modified_flow_series", "gd_flow_surface", "FLOW_COLOR", "MODIFIED_COLOR",
           "FLOW_POINTS", "MODIFIED_POINTS"]

FLOW_COLOR = (160, 160, 160)  # grey: not a run
MODIFIED_COLOR = (222, 222, 222)  # a lighter grey: the flow of f̃ (f's own flow is FLOW_COLOR)
FLOW_POINTS = 2000  # the flow is sampled at about this many steps
MODIFIED_POINTS = 400  # the flows of f and f̃ (solved step by step: fewer points)


def gd_flow_surface(objective: str, options: dict[str, Any], optimizer: str, hyper: dict[str, Any],
                    settings: dict[str, Any]):
    """The surface of a run whose flows are drawn (plain GD with a constant step on a surface without
    gradient noise), or None."""
    if get_objective(objective).kind != "surface" or options.get("noise"):
        return None
    if method_of(optimizer, hyper)[0] != "gd" or float(hyper.get("lr", 0.0)) <= 0:
        return None
    if (settings.get("schedule") or "constant") != "constant":
        return None
    return make_surface(objective, **{k: v for k, v in options.items() if k not in ("start", "noise")})


def central_flow_series(objective: str, options: dict[str, Any], optimizer: str, hyper: dict[str, Any],
                        settings: dict[str, Any], steps: int) -> RunSeries | None:
    """GD's central flow for a run (its objective, options, optimizer, hyperparameters, run settings and
    steps), or None: not a surface with a known flow, not plain GD, a schedule, or gradient noise."""
    surface = gd_flow_surface(objective, options, optimizer, hyper, settings)
    if surface is None or surface.central_flow is None:
        return None
    lr = float(hyper["lr"])
    start = settings.get("start") or options.get("start") or surface.start
    flow = surface.central_flow(start, lr, int(steps), max(1, int(steps) // FLOW_POINTS))
    series = RunSeries()
    series.extend(Record(k, None, k, 0.0, loss, lr, None, x, y)
                  for k, loss, x, y in zip(flow.steps, flow.loss, flow.x, flow.y))
    return series


def modified_flow_series(objective: str, options: dict[str, Any], optimizer: str, hyper: dict[str, Any],
                         settings: dict[str, Any], steps: int, seconds: float = 2.0
                         ) -> tuple[RunSeries, RunSeries] | None:
    """(the gradient flow of f, the flow of f̃) from the run's start at the times kα, k = 0, every, ...,
    steps, as series with f along each; None when the run's flows are not drawn (see gd_flow_surface).
    Each flow gets ``seconds``; a flow not solved in time ends where the solver stopped."""
    surface = gd_flow_surface(objective, options, optimizer, hyper, settings)
    if surface is None or steps < 1:
        return None
    lr = float(hyper["lr"])
    start = settings.get("start") or options.get("start") or surface.start
    every = max(1, int(steps) // MODIFIED_POINTS)
    ks = list(range(0, int(steps) + 1, every))
    if ks[-1] != steps:
        ks.append(int(steps))
    times = [k * lr for k in ks[1:]]
    p0 = (float(start[0]), float(start[1]))
    out = []
    for rhs in (flow_rhs(surface.grad), modified_rhs(surface.grad, surface.hess, lr)):
        points = [p0, *dopri_path(rhs, p0, times, rtol=1e-8, atol=1e-10, seconds=seconds)]
        series = RunSeries()
        series.extend(Record(k, None, k, 0.0, surface.value(x, y), lr, None, x, y)
                      for k, (x, y) in zip(ks, points) if math.isfinite(x) and math.isfinite(y))
        out.append(series)
    return out[0], out[1]
