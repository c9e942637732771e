r"""The central flow of gradient descent on the edge valley f(x, y) = ½(1 + y)x² − c·y, in closed form.

Cohen et al. (2025, "Understanding Optimization in Deep Learning with Central Flows") model GD at the
edge of stability by a flow that follows the *time average* of its zig-zag: the iterate w̄ plus an
oscillation of variance σ² along the top eigenvector of the Hessian, with σ² just large enough to keep
the sharpness S(w̄) at 2/α. Damian et al. (2023, "Self-Stabilization") give the mechanism: the
oscillation's own gradient ½∇(S)σ² pushes back against the sharpening.

On the edge valley the flow has two phases (time t = α·k after k GD steps):

* below the edge, S(w) = ½(1 + y) + √(¼(1 + y)² + x²) < 2/α: the central flow is the gradient flow
  x' = −(1 + y)x, y' = c − ½x² (integrated here by RK4, 8 substeps per GD step: h(1 + y) ≤ ¼);
* from the first time S reaches 2/α on: x̄ = 0 and ȳ = 2/α − 1 stay put (S(0, y) = 1 + y), and y' = 0
  = c − ½E[x²] fixes the oscillation's variance σ² = E[x²] = 2c. The predicted time-averaged loss is
  f(w̄) + ½·S·σ² = −c(2/α − 1) + ½(2/α)(2c) = c, whatever α.

Pure Python (no numpy): the surface registry holds it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["CentralFlow", "edge_valley_central_flow"]

SUBSTEPS = 8


@dataclass(frozen=True)
class CentralFlow:
    """The flow at GD steps 0, every, 2·every, ... ≤ steps: the time-averaged point (x̄, ȳ), the
    oscillation's variance σ² (0 below the edge), the predicted time-averaged loss; ``edge_step``: the
    first GD step at which the flow reaches the edge (None if it does not within ``steps``)."""

    steps: list[int]
    x: list[float]
    y: list[float]
    variance: list[float]
    loss: list[float]
    edge_step: int | None
    edge_y: float
    edge_variance: float
    edge_loss: float


def _sharpness(x: float, y: float) -> float:
    h = 0.5 * (1.0 + y)
    return h + math.hypot(h, x)


def edge_valley_central_flow(c: float, start: tuple[float, float], lr: float, steps: int,
                             every: int = 1) -> CentralFlow:
    """GD's central flow on ½(1 + y)x² − c·y from ``start`` at step size ``lr`` over ``steps`` GD steps,
    sampled every ``every`` steps (module docstring)."""
    if lr <= 0:
        raise ValueError("the central flow needs a step size lr > 0")
    limit = 2.0 / lr
    edge_y, edge_var = limit - 1.0, 2.0 * c
    x, y = float(start[0]), float(start[1])
    h = lr / SUBSTEPS

    def field(u: float, v: float) -> tuple[float, float]:
        return -(1.0 + v) * u, c - 0.5 * u * u

    out_steps, xs, ys, var, loss = [], [], [], [], []
    edge_step = None
    for k in range(steps + 1):
        if edge_step is None and _sharpness(x, y) >= limit:
            edge_step = k
            x, y = 0.0, edge_y
        if k % every == 0 or k == steps:
            at_edge = edge_step is not None
            out_steps.append(k)
            xs.append(x)
            ys.append(y)
            var.append(edge_var if at_edge else 0.0)
            loss.append(c if at_edge else 0.5 * (1.0 + y) * x * x - c * y)
        if edge_step is None and k < steps:
            for _ in range(SUBSTEPS):  # RK4 on the gradient flow
                k1 = field(x, y)
                k2 = field(x + 0.5 * h * k1[0], y + 0.5 * h * k1[1])
                k3 = field(x + 0.5 * h * k2[0], y + 0.5 * h * k2[1])
                k4 = field(x + h * k3[0], y + h * k3[1])
                x += h / 6.0 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
                y += h / 6.0 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
    return CentralFlow(out_steps, xs, ys, var, loss, edge_step, edge_y, edge_var, c)
