"""A scenario's view: how the app first shows its comparison (the ``[view]`` table, all keys optional).

    [view]
    x = "samples"        # the loss plot's x axis: step | samples | epoch | time
    y = "log"            # log | linear
    loss = "auto"        # value: f;  gap: f - f* (the objective's known minimum value);
                         # auto: the gap on a log axis where f* is known, else f
    smoothing = 0.9      # the loss curves' EMA weight (0 = none)
    plots = "all"        # all | loss (the loss plot alone) | side (the trajectory or test plot alone)
    y_floor = 1e-8       # a log y axis goes no lower (0 = down to the data): a run that dives below it
                         # (to 1e-75, say) is drawn on the floor, marked ▼, and no longer squashes the others
    curvature = "value"  # the λmax plot: value | ratio (each run's λ over its own limit, η·λ/2 for GD)
    bands_x = "step"     # a sweep's seed bands: auto (samples where the trials have a training set,
                         # else step) | step | samples | epoch

The sweep's seed bands (app and headless ``loss.txt``) follow ``y``, ``loss`` (auto: the gap f − f*
on a log axis where f* is known, which is where batch noise shows: full batch goes to 0, batch 16 and
batch 1 stay at their noise floors) and ``bands_x``.

The lecture plots loss against *samples seen* when batch sizes differ: a step of batch 256 costs 256
gradients of one example, so a fair race counts samples. The gap f − f* shows convergence on a log axis
even when f* < 0 (the saddle's minima have f = −1/4), and exposes Newton's quadratic drop.

Each key is a registry :class:`~sgd_tui.core.params.Param`, so the scenario validator reports a bad value
with the file, line and ``view.KEY``, the app and the docs read the same list. No torch import.
"""

from __future__ import annotations

from typing import Any

from sgd_tui.core.objectives.registry import OBJECTIVES, get_objective
from sgd_tui.core.params import Param

__all__ = ["VIEW_PARAMS", "default_view", "check_view", "X_AXES", "BANDS_X"]

X_AXES = ("step", "samples", "epoch", "time")
BANDS_X = ("step", "samples", "epoch")

VIEW_PARAMS: tuple[Param, ...] = (
    Param("x", "str", "step", "the loss plot's x axis", choices=X_AXES),
    Param("y", "str", "log", "the loss plot's y axis", choices=("log", "linear")),
    Param("loss", "str", "auto", "what the loss plot shows: value = f, gap = f - f* (where the objective's "
          "minimum value f* is known), auto = the gap on a log axis where f* is known", choices=("auto", "value", "gap")),
    Param("smoothing", "float", 0.0, "the loss curves' exponential moving average weight (0 = none)", low=0.0,
          high=0.99, label="smoothing value"),
    Param("plots", "str", "all", "which plots show: all, loss (alone), side (the trajectory or test plot alone)",
          choices=("all", "loss", "side")),
    Param("y_floor", "float", 0.0, "the lowest value a log y axis shows (0 = the data's lowest); a run below "
          "it is drawn on it, marked", low=0.0, high=1e300, label="y floor"),
    Param("bands_x", "str", "auto", "a sweep's seed-band x axis: auto (samples where the trials have a "
          "training set, else step), step, samples or epoch", choices=("auto", *BANDS_X)),
    Param("curvature", "str", "value", "the λmax plot (budget sharpness_every): value = λmax (P⁻¹H for adaptive "
          "methods) against the selected run's limit; ratio = each run's over its own limit (η·λ/2 for GD), "
          "the edge at 1", choices=("value", "ratio")),
)


def default_view() -> dict[str, Any]:
    """Every view key at its default."""
    return {p.name: p.default for p in VIEW_PARAMS}


def check_view(c, raw: dict, objective: str | None) -> dict[str, Any]:
    """The [view] table resolved: each key checked by its Param (issues go to the scenario checker ``c``,
    with ``view.KEY``); an x axis of epochs needs a training set."""
    params = {p.name: p for p in VIEW_PARAMS}
    view = default_view()
    for key, value in raw.items():
        if key not in params:
            c.unknown(f"view.{key}", list(params), "[view]")
        else:
            view[key] = c.check(params[key], value, f"view.{key}")
    if view["x"] == "epoch" and objective in OBJECTIVES and get_objective(objective).kind == "surface":
        c.add("view.x", f'{objective} has no training set, hence no epochs: use "step", "samples" or "time"')
    if view["bands_x"] == "epoch" and objective in OBJECTIVES and get_objective(objective).kind == "surface":
        c.add("view.bands_x", f'{objective} has no training set, hence no epochs: use "step" or "samples"')
    return view
