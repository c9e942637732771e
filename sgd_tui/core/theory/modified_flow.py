"""The modified loss that gradient descent really descends (Barrett and Dherin 2021, "Implicit Gradient
Regularization"; backward error analysis).

GD with step α, θ_{k+1} = θ_k - α ∇f(θ_k), is not a sample of the gradient flow θ' = -∇f(θ) at times kα:
one step differs from the flow by (α²/2) H∇f + O(α³). To second order it follows the gradient flow of

    f̃(θ) = f(θ) + (α/4) ‖∇f(θ)‖²,        ∇f̃ = ∇f + (α/2) H ∇f,

so one GD step is within O(α³) of the modified flow and O(α²) of the plain one; the extra term is an
implicit regulariser that steers GD towards flatter regions (small ‖∇f‖). Smith et al. (2021) add a
(α/4B)·(gradient variance) term for SGD's mini-batches (not drawn here: the surfaces have no batches).

The flows are solved by the Dormand-Prince 5(4) pair (the RK45 of ODE libraries) with step-size control,
tolerances far below the effects measured (``rtol`` 1e-10): GD, the flow of f and the flow of f̃ from the
same start, compared at the same times t = kα (:func:`three_paths`, :func:`modified_flow_summary`). Only the
surfaces' exact gradients and Hessians are used. No torch.
"""

from __future__ import annotations

import math
import time
from typing import Callable, Sequence

__all__ = ["Grad", "Hess", "flow_rhs", "modified_rhs", "dopri_path", "gd_path", "three_paths",
           "one_step_errors", "modified_flow_summary"]

Vec = tuple[float, float]
Grad = Callable[[float, float], Sequence[float]]
Hess = Callable[[float, float], Sequence[Sequence[float]]]

# Dormand-Prince 5(4): the nodes, the stages' weights, the 5th-order solution and the embedded error
_C = (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0)
_A = ((), (1 / 5,), (3 / 40, 9 / 40), (44 / 45, -56 / 15, 32 / 9),
      (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
      (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
      (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84))
_B5 = (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0)
_E = (71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40)  # B5 - B4


def flow_rhs(grad: Grad) -> Callable[[Vec], Vec]:
    """θ' = -∇f(θ)."""
    def rhs(p: Vec) -> Vec:
        gx, gy = grad(*p)
        return -float(gx), -float(gy)
    return rhs


def modified_rhs(grad: Grad, hess: Hess, lr: float) -> Callable[[Vec], Vec]:
    """θ' = -∇f̃(θ) = -(∇f + (α/2) H ∇f)."""
    def rhs(p: Vec) -> Vec:
        gx, gy = (float(v) for v in grad(*p))
        (hxx, hxy), (hyx, hyy) = hess(*p)
        return (-(gx + 0.5 * lr * (float(hxx) * gx + float(hxy) * gy)),
                -(gy + 0.5 * lr * (float(hyx) * gx + float(hyy) * gy)))
    return rhs


def _dopri_step(rhs, p: Vec, h: float, k1: Vec) -> tuple[Vec, float, Vec]:
    """One Dormand-Prince step: (the 5th-order point, the error estimate's norm, f at the new point)."""
    ks = [k1]
    for i in range(1, 7):
        a = _A[i]
        x = p[0] + h * sum(a[j] * ks[j][0] for j in range(i))
        y = p[1] + h * sum(a[j] * ks[j][1] for j in range(i))
        ks.append(rhs((x, y)))
    new = (p[0] + h * sum(_B5[j] * ks[j][0] for j in range(7)), p[1] + h * sum(_B5[j] * ks[j][1] for j in range(7)))
    ex = h * sum(_E[j] * ks[j][0] for j in range(7))
    ey = h * sum(_E[j] * ks[j][1] for j in range(7))
    return new, math.hypot(ex, ey), ks[6]  # FSAL: the last stage is f at the new point


def dopri_path(rhs, start: Vec, times: Sequence[float], rtol: float = 1e-10, atol: float = 1e-12,
               max_steps: int = 2_000_000, seconds: float | None = None) -> list[Vec]:
    """The solution of θ' = rhs(θ), θ(0) = start, at the increasing ``times`` (adaptive Dormand-Prince; the
    steps land exactly on each time). A solution that leaves the finite numbers is NaN from then on, and so
    is one not resolved within ``max_steps`` steps or ``seconds`` of wall time (a kink, as L1's at 0, makes
    the step size collapse: the solver would crawl for hours)."""
    deadline = None if seconds is None else time.perf_counter() + seconds
    p, t = (float(start[0]), float(start[1])), 0.0
    k1 = rhs(p)
    h = 1e-3 * max(times[-1], 1e-12) if times else 0.0
    out: list[Vec] = []
    steps = 0
    for target in times:
        while t < target and math.isfinite(p[0]) and math.isfinite(p[1]):
            h = min(h, target - t)
            try:
                new, err, k_new = _dopri_step(rhs, p, h, k1)
            except (OverflowError, ValueError, ZeroDivisionError):
                new, err, k_new = (math.nan, math.nan), math.inf, (math.nan, math.nan)
            scale = atol + rtol * max(math.hypot(*p), math.hypot(*new) if math.isfinite(err) else 0.0)
            steps += 1
            if steps > max_steps or h < 1e-14 * max(1.0, t) or (
                    deadline is not None and steps % 64 == 0 and time.perf_counter() > deadline):
                p = (math.nan, math.nan)
                break
            if math.isfinite(err) and err <= scale:
                t, p, k1 = (target if target - t - h <= 1e-15 * max(1.0, target) else t + h), new, k_new
            factor = 5.0 if err == 0 else 0.9 * (scale / err) ** 0.2 if math.isfinite(err) else 0.1
            h *= min(5.0, max(0.1, factor))
        out.append(p)
    return out


def gd_path(grad: Grad, start: Vec, lr: float, steps: int) -> list[Vec]:
    """GD's points θ_0..θ_steps (NaN from a point that overflows on)."""
    p = (float(start[0]), float(start[1]))
    out = [p]
    for _ in range(steps):
        try:
            gx, gy = grad(*p)
            p = (p[0] - lr * float(gx), p[1] - lr * float(gy))
        except (OverflowError, ValueError):
            p = (math.nan, math.nan)
        out.append(p)
    return out


def three_paths(grad: Grad, hess: Hess, start: Vec, lr: float, steps: int, every: int = 1,
                seconds: float | None = None) -> tuple[list[Vec], list[Vec], list[Vec]]:
    """(GD, the flow of f, the flow of f̃) at the times kα, k = 0, every, 2·every, ..., steps."""
    ks = list(range(0, steps + 1, every))
    if ks[-1] != steps:
        ks.append(steps)
    gd = gd_path(grad, start, lr, steps)
    times = [k * lr for k in ks[1:]]
    p0 = (float(start[0]), float(start[1]))
    flow = [p0, *dopri_path(flow_rhs(grad), start, times, seconds=seconds)]
    modified = [p0, *dopri_path(modified_rhs(grad, hess, lr), start, times, seconds=seconds)]
    return [gd[k] for k in ks], flow, modified


def _dist(a: Vec, b: Vec) -> float:
    d = math.hypot(a[0] - b[0], a[1] - b[1])
    return d if math.isfinite(d) else math.nan


def one_step_errors(grad: Grad, hess: Hess, start: Vec, lrs: Sequence[float]) -> list[tuple[float, float, float]]:
    """(α, |one GD step - flow of f at α|, |one GD step - flow of f̃ at α|) for each α: the first shrinks
    as α², the second as α³."""
    out = []
    for lr in lrs:
        gd, flow, mod = three_paths(grad, hess, start, lr, 1)
        out.append((lr, _dist(gd[1], flow[1]), _dist(gd[1], mod[1])))
    return out


def modified_flow_summary(grad: Grad, hess: Hess, start: Vec, lr: float, steps: int, seconds: float = 3.0) -> dict:
    """summary.json's ``modified_flow`` of a 2-D run: GD from the run's start with its α for its steps, and
    the distance from GD's final point to each flow's point at the same time t = steps·α. A flow not solved
    within ``seconds`` (each) is null there, with ``resolved`` false."""
    gd, flow, mod = three_paths(grad, hess, start, lr, steps, every=max(1, steps), seconds=seconds)
    return {"lr": lr, "steps": steps, "time": steps * lr, "gd_final": list(gd[-1]), "flow_final": list(flow[-1]),
            "modified_final": list(mod[-1]), "to_flow": _dist(gd[-1], flow[-1]), "to_modified": _dist(gd[-1], mod[-1]),
            "resolved": all(math.isfinite(v) for v in (*flow[-1], *mod[-1]))}
