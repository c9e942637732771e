"""A 1-D regression network's fit: its output f_θ(x) on a grid of [-1, 1] at the current weights, with
the training points it fits (``mlp_regression``), for the app's live fit plot and the replay's fit.txt.

Any problem with a ``predict(x)`` method and one input feature has a fit (the training points are its
``x``/``y``); others have none (None). The grid is the data's x range; at most ``MAX_DATA`` training
points are kept (evenly), since a plot draws no more. Imports torch only when called.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["Fit", "network_fit", "has_fit", "FIT_POINTS", "MAX_DATA"]

FIT_POINTS = 161
MAX_DATA = 512


class Fit(NamedTuple):
    """The network's curve (xs, ys) and the training points (data_x, data_y), as plain float lists."""

    xs: list[float]
    ys: list[float]
    data_x: list[float]
    data_y: list[float]


def has_fit(problem: Any) -> bool:
    x = getattr(problem, "x", None)
    return hasattr(problem, "predict") and getattr(x, "ndim", 0) == 2 and x.shape[1] == 1 and x.shape[0] > 0


def network_fit(problem: Any, points: int = FIT_POINTS) -> Fit | None:
    """The fit of ``problem`` at its current weights (None when it has no 1-D fit). Non-finite outputs
    (a diverged network) stay NaN or inf: the plot leaves them out."""
    if not has_fit(problem):
        return None
    import torch  # lazy: torch

    with torch.no_grad():
        x = problem.x.detach().reshape(-1).double().cpu()
        y = problem.y.detach().reshape(-1).double().cpu()
        lo, hi = float(x.min()), float(x.max())
        grid = torch.linspace(lo, hi, points, dtype=torch.float64)
        pred = problem.predict(grid).detach().reshape(-1).double().cpu()
        if len(x) > MAX_DATA:
            keep = torch.linspace(0, len(x) - 1, MAX_DATA).round().long()
            x, y = x[keep], y[keep]
    return Fit(grid.tolist(), pred.tolist(), x.tolist(), y.tolist())
