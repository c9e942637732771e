r"""Basins of attraction: which minimum each start reaches, for a grid of starts over a surface's view.

A ``resolution`` × ``resolution`` grid of starts (cell centres over the plot's bounds) is ONE (n, 2)
parameter tensor, stepped by the optimizer class the runs use (``OptimizerInfo.build``: torch.optim or
:mod:`sgd_tui.core.optim.lecture`) with the run's hyperparameters and schedule. Every registered
optimizer acts elementwise, so row i follows exactly the path a single run from start i would take;
Newton solves the n 2x2 systems at once (``Newton(batched=True)``). Surfaces evaluate on tensors, so
the gradient of all n starts is one vectorised evaluation.

Each start ends in one of three states:

* ``converged``     its last point is within ``tol`` of a local minimum of the surface (the minima are
                    found once per surface by batched Newton from a dense grid: every stationary point
                    with a positive definite Hessian within the view, widened by a quarter on each side);
* ``diverged``      its last point or f there is not finite, or f exceeds ``max_loss`` (the engine's rule);
* ``not converged`` anything else after ``steps`` steps (stalled on a plateau, still moving, orbiting).

``steps`` per start: for a converged start the first step from which it stayed within ``tol`` of its
minimum; for a diverged one the first step where f was not finite or above ``max_loss``; else the budget.
"""

from __future__ import annotations

import json
import math
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

import numpy as np

from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.objectives.surfaces import make_surface
from sgd_tui.core.optim.registry import get_optimizer
from sgd_tui.core.run.sampler import build_scheduler

__all__ = ["Minimum", "BasinMap", "surface_minima", "basin_map", "has_several_minima", "STATUSES"]

STATUSES = ("converged", "diverged", "not converged")
CHECK = 25  # steps between checks for a finished grid (and for cancellation)


@dataclass(frozen=True)
class Minimum:
    """A local minimum of a surface: where, its value, and whether it is a global one."""

    x: float
    y: float
    value: float
    is_global: bool

    @property
    def label(self) -> str:
        return f"({self.x:.4g}, {self.y:.4g})"


def _surface_key(objective: str, options: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in options.items() if k not in ("start", "noise")}, sort_keys=True,
                      default=str)


def _arrays(hess, shape):
    """A surface's Hessian entries as arrays of ``shape`` (constant entries are floats)."""
    return tuple(tuple(np.broadcast_to(np.asarray(v, dtype=float), shape) for v in row) for row in hess)


@lru_cache(maxsize=32)
def _minima(objective: str, key: str) -> tuple[Minimum, ...]:
    s = make_surface(objective, **json.loads(key))
    (x0, x1), (y0, y1) = s.bounds
    wx, wy = 0.25 * (x1 - x0), 0.25 * (y1 - y0)
    X, Y = np.meshgrid(np.linspace(x0 - wx, x1 + wx, 121), np.linspace(y0 - wy, y1 + wy, 121))
    x, y = X.ravel().astype(float), Y.ravel().astype(float)
    with np.errstate(all="ignore"):
        for _ in range(60):  # pure Newton: converges to the nearest stationary point (any kind)
            gx, gy = (np.asarray(v, dtype=float) for v in s.grad(x, y))
            (a, b), (_, d) = _arrays(s.hess(x, y), x.shape)
            det = a * d - b * b
            x, y = x - (d * gx - b * gy) / det, y - (a * gy - b * gx) / det
        gx, gy = (np.broadcast_to(np.asarray(v, dtype=float), x.shape) for v in s.grad(x, y))
        (a, b), (_, d) = _arrays(s.hess(x, y), x.shape)
        ok = (np.isfinite(x) & np.isfinite(y) & (np.hypot(gx, gy) < 1e-8) & (a > 0)
              & (a * d - b * b > 1e-9 * np.abs(a * d))  # strict: not a valley of minima (catapult's uv = 1)
              & (x >= x0 - wx) & (x <= x1 + wx) & (y >= y0 - wy) & (y <= y1 + wy))
    span = max(x1 - x0, y1 - y0)
    found: list[tuple[float, float]] = []
    for px, py in zip(x[ok], y[ok]):
        if all(math.hypot(px - qx, py - qy) > 1e-6 * span for qx, qy in found):
            found.append((float(px), float(py)))
    values = [s.value(px, py) for px, py in found]
    best = min(values) if values else 0.0
    mins = [Minimum(px, py, v, v <= best + 1e-9 * max(1.0, abs(best))) for (px, py), v in zip(found, values)]
    return tuple(sorted(mins, key=lambda m: (not m.is_global, round(m.value, 9), m.x, m.y)))


def surface_minima(objective: str, options: dict[str, Any] | None = None) -> tuple[Minimum, ...]:
    """Every local minimum of a surface within its view (widened by a quarter), global ones first."""
    return _minima(objective, _surface_key(objective, options or {}))


def has_several_minima(objective: str, options: dict[str, Any] | None = None) -> bool:
    """Whether a basin map shows anything: a surface with more than one local minimum."""

    return get_objective(objective).kind == "surface" and len(surface_minima(objective, options)) > 1


@dataclass
class BasinMap:
    """The result: per start (row-major, y ascending then x ascending) its final point, the index of the
    minimum it reached in ``minima`` (-1 if none), its status code (index into STATUSES) and steps."""

    objective: str
    optimizer: str
    hyper: dict[str, Any]
    xs: np.ndarray  # (resolution,) start x of each column
    ys: np.ndarray  # (resolution,) start y of each row (ascending: row 0 is the bottom)
    final: np.ndarray  # (n, 2)
    minimum: np.ndarray  # (n,) int
    status: np.ndarray  # (n,) int
    steps: np.ndarray  # (n,) int
    minima: tuple[Minimum, ...]
    budget: int
    tolerance: float

    @property
    def resolution(self) -> int:
        return len(self.xs)

    def grid(self) -> np.ndarray:
        """(rows, cols) cell codes for a picture: the minimum's index, -1 diverged, -2 not converged."""
        codes = np.where(self.status == 0, self.minimum, np.where(self.status == 1, -1, -2))
        return codes.reshape(len(self.ys), len(self.xs))

    def codes_at(self, xs, ys) -> np.ndarray:
        """The grid() code of the start nearest each point of xs × ys (shape (len(ys), len(xs))): the map
        sampled at a picture's cell centres (e.g. plotting.heat.cell_centres; two rows per cell for half
        blocks)."""
        hx = (self.xs[-1] - self.xs[0]) / max(1, len(self.xs) - 1)
        hy = (self.ys[-1] - self.ys[0]) / max(1, len(self.ys) - 1)
        ix = np.clip(np.round((np.asarray(xs, dtype=float) - self.xs[0]) / hx).astype(int), 0, len(self.xs) - 1)
        iy = np.clip(np.round((np.asarray(ys, dtype=float) - self.ys[0]) / hy).astype(int), 0, len(self.ys) - 1)
        return self.grid()[np.ix_(iy, ix)]

    @property
    def bounds(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The view the starts cover (cell centres are half a cell inside it)."""
        hx = 0.5 * (self.xs[-1] - self.xs[0]) / max(1, len(self.xs) - 1)
        hy = 0.5 * (self.ys[-1] - self.ys[0]) / max(1, len(self.ys) - 1)
        return (float(self.xs[0] - hx), float(self.xs[-1] + hx)), (float(self.ys[0] - hy), float(self.ys[-1] + hy))

    def shares(self) -> dict[str, float]:
        """Fraction of the starts per minimum (by label) and per non-converged status."""
        n = len(self.status)
        out = {m.label: float(np.sum((self.status == 0) & (self.minimum == i))) / n for i, m in enumerate(self.minima)}
        out["diverged"] = float(np.sum(self.status == 1)) / n
        out["not converged"] = float(np.sum(self.status == 2)) / n
        return out

    def rows(self):
        """(x0, y0, x, y, minimum label or "", status, steps) per start, in grid order."""
        X0, Y0 = np.meshgrid(self.xs, self.ys)
        for k, (x0, y0) in enumerate(zip(X0.ravel(), Y0.ravel())):
            i = int(self.minimum[k])
            yield (float(x0), float(y0), float(self.final[k, 0]), float(self.final[k, 1]),
                   self.minima[i].label if i >= 0 else "", STATUSES[int(self.status[k])], int(self.steps[k]))

    def summary(self) -> dict[str, Any]:
        return {"resolution": self.resolution, "steps": self.budget, "tolerance": self.tolerance,
                "minima": [{"x": m.x, "y": m.y, "value": m.value, "global": m.is_global, "label": m.label}
                           for m in self.minima],
                "shares": self.shares()}


def _batched_gradient(surface, noise: float, generator) -> Callable:
    def grad(w):
        x, y = w[:, 0], w[:, 1]
        gx, gy = surface.grad(x, y)
        g = torch_stack(gx, gy, w)
        if noise:
            g = g + noise * _torch().randn(g.shape, generator=generator, dtype=g.dtype)
        return g

    return grad


def _torch():
    import torch  # lazy: torch

    return torch


def torch_stack(a, b, like):
    """Stack two coordinate results into (n, 2) (a constant component, e.g. 0.0 * x, may be a float)."""
    torch = _torch()
    a = a if isinstance(a, torch.Tensor) else torch.full_like(like[:, 0], float(a))
    b = b if isinstance(b, torch.Tensor) else torch.full_like(like[:, 0], float(b))
    return torch.stack((a, b), dim=1)


def _optimizer(optimizer: str, hyper: dict[str, Any], w, surface):
    """The run's optimizer class on the (n, 2) tensor ``w`` (Newton: batched, with the n Hessians)."""

    if optimizer == "newton":
        import torch  # lazy: torch

        from sgd_tui.core.optim.lecture import Newton  # lazy: torch

        def hessian():
            x, y = w[:, 0].detach(), w[:, 1].detach()
            (hxx, hxy), (_, hyy) = surface.hess(x, y)
            return torch.stack([c if isinstance(c, torch.Tensor) else torch.full_like(x, float(c))
                                for c in (hxx, hxy, hxy, hyy)], dim=1).view(-1, 2, 2)

        return Newton([w], hessian=hessian, batched=True, **hyper)
    return get_optimizer(optimizer).build([w], dict(hyper))


def basin_map(objective: str, options: dict[str, Any], optimizer: str, hyper: dict[str, Any], *,
              resolution: int = 64, steps: int = 500, settings: dict[str, Any] | None = None, seed: int = 0,
              tolerance: float | None = None, max_loss: float = 1e12,
              cancelled: Callable[[], bool] | None = None) -> BasinMap | None:
    """Run ``resolution``² starts over the surface's view with ``optimizer`` and ``hyper`` (and the run
    ``settings``' schedule) for ``steps`` steps; classify each start. ``cancelled()`` is polled every CHECK (25)
    steps (a UI worker passes its cancel flag); the map is then None."""
    torch = _torch()

    surface = make_surface(objective, **{k: v for k, v in options.items() if k not in ("start", "noise")})
    minima = surface_minima(objective, options)
    (x0, x1), (y0, y1) = surface.bounds
    xs = x0 + (np.arange(resolution) + 0.5) * (x1 - x0) / resolution
    ys = y0 + (np.arange(resolution) + 0.5) * (y1 - y0) / resolution
    X, Y = np.meshgrid(xs, ys)
    n = X.size
    w = torch.tensor(np.stack((X.ravel(), Y.ravel()), axis=1), dtype=torch.float64, requires_grad=True)
    gen = torch.Generator().manual_seed(seed)
    grad = _batched_gradient(surface, float(options.get("noise", 0.0) or 0.0), gen)

    def closure():  # the gradient of every start at the current (or look-ahead) points; no loss needed
        w.grad = grad(w.detach())

    with _one_thread():
        opt = _optimizer(optimizer, hyper, w, surface)
        sched = build_scheduler(opt, settings or {}, steps)
        path = _run(opt, sched, closure, w, steps, n, cancelled)
    if path is None:
        return None
    stride, path = path
    final = w.detach().numpy().copy()
    return _classify(objective, optimizer, hyper, surface, xs, ys, final, path.numpy(), stride, minima, steps,
                     tolerance, max_loss)


@contextmanager
def _one_thread():
    """torch on one intra-op thread while the grid runs: (n, 2) element-wise ops gain nothing from a second
    thread, and on a loaded 2-core machine a parallel op waits for a descheduled thread (measured: single
    ops of 10 µs took 10-30 ms with 2 threads under load). Restores the previous count."""
    torch = _torch()
    before = torch.get_num_threads()
    if before != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if before != 1:
            torch.set_num_threads(before)


def _run(opt, sched, closure, w, steps: int, n: int, cancelled):
    """Step the grid; returns (stride, stored path) or None when cancelled.

    Every ``CHECK`` steps the points are compared with the previous check: when every finite point is
    exactly where it was (a floating-point fixed point: Newton after a few steps, GD once converged to the
    last bit), further steps cannot move them, so the rest of the path is the final point."""
    torch = _torch()
    stride = max(1, math.ceil(steps * n * 2 * 4 / 64e6))  # keep the path store under ~64 MB
    path = torch.empty((steps // stride + 1, n, 2), dtype=torch.float32)
    wd = w.detach()
    path[0].copy_(wd)
    snap = wd.clone()
    for t in range(1, steps + 1):
        opt.step(closure)
        if sched is not None:
            sched.step()
        if t % stride == 0:
            path[t // stride].copy_(wd)
        if t % CHECK == 0:
            if cancelled is not None and cancelled():
                return None
            if sched is None and bool(((wd == snap) | ~torch.isfinite(wd)).all()):
                path[t // stride + 1:] = wd.to(torch.float32)
                break
            snap.copy_(wd)
    return stride, path


def _classify(objective, optimizer, hyper, surface, xs, ys, final, path, stride, minima, steps, tolerance,
              max_loss) -> BasinMap:
    (x0, x1), (y0, y1) = surface.bounds
    span = max(x1 - x0, y1 - y0)
    tol = tolerance
    if tol is None:
        tol = 0.01 * span
        pair = [math.hypot(a.x - b.x, a.y - b.y) for i, a in enumerate(minima) for b in minima[i + 1:]]
        if pair:
            tol = min(tol, 0.3 * min(pair))
    n = final.shape[0]
    with np.errstate(all="ignore"):
        f = np.asarray(surface.f(final[:, 0], final[:, 1]), dtype=float)
        bad = ~(np.isfinite(final).all(axis=1) & np.isfinite(f) & (np.abs(f) <= max_loss))
        M = np.array([(m.x, m.y) for m in minima], dtype=float).reshape(-1, 2)
        minimum = np.full(n, -1, dtype=int)
        status = np.full(n, 2, dtype=int)
        steps_out = np.full(n, steps, dtype=int)
        if len(M):
            d2 = (final[:, None, 0] - M[None, :, 0]) ** 2 + (final[:, None, 1] - M[None, :, 1]) ** 2
            near = d2.argmin(axis=1)
            hit = ~bad & (d2[np.arange(n), near] <= tol * tol)
            minimum[hit] = near[hit]
            status[hit] = 0
            # the first stored step from which the path stayed within tol of its minimum (squared distances
            # in float32 over the (stored steps, n) path: ~10 ms at 64x64x500)
            target = np.where(hit[:, None], M[near], np.nan).astype(np.float32)
            far = (path[:, :, 0] - target[None, :, 0]) ** 2 + (path[:, :, 1] - target[None, :, 1]) ** 2
            far = ~(far <= np.float32(tol * tol))
            rev = far[::-1].argmax(axis=0)  # stored steps since the last far point (0 if the last is far)
            last_far = np.where(far.any(axis=0), far.shape[0] - 1 - rev, -1)
            steps_out[hit] = np.minimum((last_far[hit] + 1) * stride, steps)
        status[bad] = 1
        idx = np.nonzero(bad)[0]
        if len(idx):
            fp = np.asarray(surface.f(path[:, idx, 0].astype(float), path[:, idx, 1].astype(float)), dtype=float)
            blown = ~np.isfinite(fp) | (np.abs(fp) > max_loss)
            first = np.where(blown.any(axis=0), np.argmax(blown, axis=0), blown.shape[0] - 1)
            steps_out[idx] = np.minimum(first * stride, steps)
    return BasinMap(objective, optimizer, dict(hyper), xs, ys, final, minimum, status, steps_out, minima, steps,
                    float(tol))
