"""The 2-D problems: test surfaces and two-parameter regression risks, as :class:`~sgd_tui.core.objectives.problem.Problem2D`
(the interface is in :mod:`sgd_tui.core.objectives.problem`; FashionMNIST's problem is in :mod:`sgd_tui.core.objectives.fashion`)."""

from __future__ import annotations

import math
import random
import warnings
from typing import Any

import torch

from sgd_tui.core.objectives.losses import classification_loss, penalty, regression_loss
from sgd_tui.core.objectives.problem import Problem2D
from sgd_tui.core.objectives.surfaces import make_surface

__all__ = ["SurfaceProblem", "RegressionProblem"]


# ----------------------------------------------------------------------------- surfaces
class SurfaceProblem(Problem2D):
    """A test surface; the gradient is analytic (plus optional Gaussian noise)."""

    def __init__(self, name: str, options: dict[str, Any], start, seed: int, device: str = "cpu"):
        opts = {k: v for k, v in options.items() if k not in ("start", "noise")}
        self.surface = make_surface(name, **opts)
        self.noise = float(options.get("noise", 0.0))
        self._rng = random.Random(seed)
        st = start or options.get("start") or self.surface.start
        self.start = (float(st[0]), float(st[1]))
        # 2-D steps are dominated by per-call overhead: they run on the CPU whatever the device.
        self.params = [torch.tensor(self.start, dtype=torch.float64, requires_grad=True)]
        self.bounds = self.surface.bounds
        self.minima = self.surface.minima
        self.min_value = self.surface.min_value

    def loss_and_grad(self, idx=None):
        w = self.params[0]
        x, y = w.detach().tolist()
        if self.surface.project is not None:  # edge_valley's floor on |x|
            px, py = self.surface.project(x, y)
            if (px, py) != (x, y):
                with torch.no_grad():
                    w.copy_(torch.tensor((px, py), dtype=w.dtype))
                x, y = px, py
        f, gx, gy = self.surface.value_and_grad(x, y)
        if self.noise:
            gx += self.noise * self._rng.gauss(0.0, 1.0)
            gy += self.noise * self._rng.gauss(0.0, 1.0)
        w.grad = torch.tensor((gx, gy), dtype=w.dtype)
        return f

    def hessian(self, idx=None) -> torch.Tensor:
        return torch.tensor(self.hessian_at(*self.point()), dtype=torch.float64)

    def hessian_at(self, x: float, y: float) -> tuple[tuple[float, float], tuple[float, float]]:
        """The exact Hessian at (x, y), as floats."""
        (hxx, hxy), (_, hyy) = self.surface.hess(x, y)
        return (float(hxx), float(hxy)), (float(hxy), float(hyy))

    def value(self, x: float, y: float) -> float:
        return self.surface.value(x, y)

    def grid(self, xs, ys):
        import numpy as np  # lazy: numpy

        X, Y = np.meshgrid(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float))
        with np.errstate(all="ignore"):
            return np.asarray(self.surface.f(X, Y), dtype=float)


# ----------------------------------------------------------------------------- regression risks
class RegressionProblem(Problem2D):
    """Empirical risk of a two-parameter model on seeded synthetic data: params (w, b)."""

    def __init__(self, name: str, options: dict[str, Any], start, seed: int, device: str = "cpu"):
        self.name = name
        self.options = options
        data_seed = options.get("data_seed")
        g = torch.Generator().manual_seed(seed if data_seed is None else int(data_seed))
        n = int(options["n_samples"])
        self.n_train = n
        dt = torch.float64
        if name == "linear_regression":
            x = torch.rand(n, generator=g, dtype=dt) * 4.0 - 2.0
            y = 2.0 * x - 1.0 + float(options["noise"]) * torch.randn(n, generator=g, dtype=dt)
            k = int(round(float(options["outliers"]) * n))
            if k:
                which = torch.randperm(n, generator=g)[:k]
                y[which] += 10.0 + 5.0 * torch.randn(k, generator=g, dtype=dt).abs()
            self.default_start = (-2.0, 3.0)
            self.bounds = ((-3.0, 5.0), (-4.0, 4.0))
        else:
            sep = float(options["separation"])
            labels = torch.arange(n) % 2
            x = (2.0 * labels.to(dt) - 1.0) * sep + torch.randn(n, generator=g, dtype=dt)
            y = labels
            self.default_start = (-2.0, 3.0)
            self.bounds = ((-3.0, 5.0), (-4.0, 4.0))
            cw = options.get("class_weights")
            self.class_weights = torch.tensor(cw, dtype=dt) if cw is not None else None
        self.x, self.y = x, y
        st = start or options.get("start") or self.default_start
        self.start = (float(st[0]), float(st[1]))
        self.params = [torch.tensor(self.start, dtype=dt, requires_grad=True)]
        self._minimum: tuple[tuple[float, float], float] | None = None

    # the risk R(w, b) on a batch, for a parameter vector v = (w, b)
    def _risk(self, v: torch.Tensor, idx: torch.Tensor | None) -> torch.Tensor:
        x = self.x if idx is None else self.x[idx]
        y = self.y if idx is None else self.y[idx]
        z = v[0] * x + v[1]
        o = self.options
        if self.name == "linear_regression":
            data = regression_loss(o["loss"], z, y)
        else:
            logits = torch.stack((torch.zeros_like(z), z), dim=1)
            data = classification_loss(o["loss"], logits, y, self.class_weights, o["label_smoothing"])
        return data + penalty(o["regularization"], o["reg_strength"], [v])

    def training_loss(self, params, idx: torch.Tensor | None) -> torch.Tensor:
        """R(w, b) on the examples ``idx`` at the parameters ``params[0]`` (the curvature meter and the
        landscape slice call it at weights other than the run's)."""
        return self._risk(params[0], idx)

    def loss_and_grad(self, idx):
        w = self.params[0]
        w.grad = None
        loss = self._risk(w, idx)
        loss.backward()
        return loss.detach()

    def hessian(self, idx=None) -> torch.Tensor:
        w = self.params[0].detach()
        return torch.autograd.functional.hessian(lambda v: self._risk(v, idx), w)

    def hessian_at(self, x: float, y: float) -> tuple[tuple[float, float], tuple[float, float]]:
        """The Hessian of the full-data risk at (w, b) = (x, y) (autograd), as floats."""
        v = torch.tensor((x, y), dtype=torch.float64)
        H = torch.autograd.functional.hessian(lambda u: self._risk(u, None), v).tolist()
        return (H[0][0], H[0][1]), (H[1][0], H[1][1])

    def value(self, x: float, y: float) -> float:
        with torch.no_grad():
            v = float(self._risk(torch.tensor((x, y), dtype=torch.float64), None))
        return v if math.isfinite(v) else math.inf

    def grid(self, xs, ys):
        import numpy as np  # lazy: numpy

        xs_t = torch.as_tensor(np.asarray(xs, dtype=float))
        ys_t = torch.as_tensor(np.asarray(ys, dtype=float))
        B, W = torch.meshgrid(ys_t, xs_t, indexing="ij")  # rows: intercept b (y axis); columns: slope w
        V = torch.stack((W.reshape(-1), B.reshape(-1)), dim=1)
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # vmap falls back to a loop for kl_div and says so
            out = torch.func.vmap(lambda v: self._risk(v, None))(V).reshape(W.shape)
        return out.numpy()

    def _solve(self) -> tuple[tuple[float, float], float]:
        if self._minimum is None:
            v = torch.tensor(self.default_start, dtype=torch.float64, requires_grad=True)
            opt = torch.optim.LBFGS([v], lr=1.0, max_iter=500, tolerance_grad=1e-12, tolerance_change=1e-15,
                                    line_search_fn="strong_wolfe")

            def closure():
                opt.zero_grad()
                loss = self._risk(v, None)
                loss.backward()
                return loss

            opt.step(closure)
            x, y = v.detach().tolist()
            self._minimum = ((x, y), self.value(x, y))
        return self._minimum

    @property
    def minima(self) -> list[tuple[float, float]]:
        return [self._solve()[0]]

    @property
    def min_value(self) -> float:
        return self._solve()[1]
