"""The lecture's optimizers that torch.optim does not have in the lecture's form.

All are ``torch.optim.Optimizer`` subclasses, so schedulers, state dicts and the engine treat them like
torch's own. ``step(closure)`` follows torch's convention: the closure zeroes the gradients, computes
the loss at the *current* parameters, calls backward (or writes ``.grad``) and returns the loss.

Momentum conventions (they change trajectories visibly, so they are stated):

* :class:`Polyak` keeps the displacement ``d_t = w_t - w_{t-1}`` (heavy ball). With a constant learning
  rate it is algebraically the same as ``torch.optim.SGD(momentum=β, dampening=0)``, whose buffer is
  ``b_t = β b_{t-1} + g_t`` and step ``-α b_t``, because ``d_t = -α b_{t-1}``. With a changing α they
  differ: the lecture's form carries the old step length, torch's carries the old gradients.
* :class:`Nesterov` evaluates the gradient at the look-ahead point ``w_t + β d_t`` (Sutskever et al.
  2013). ``torch.optim.SGD(nesterov=True)`` instead applies the reparametrised form at ``w_t``; the two
  produce different iterates.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch.optim import Optimizer

__all__ = ["GD", "Polyak", "Nesterov", "Newton", "HessianError", "newton_directions_2x2", "newton_direction_2x2"]


class HessianError(ValueError):
    """Newton's method asked for on an objective too large for a Hessian."""


def _check_lr(lr: float) -> None:
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_momentum(momentum: float) -> None:
    if not 0.0 <= momentum:
        raise ValueError(f"Invalid momentum value: {momentum}")


class GD(Optimizer):
    r"""Gradient descent.

    .. math:: w_{t+1} = w_t - \alpha_t \nabla f(w_t)

    The engine gives it the full-batch gradient (``batch_size = "full"``).
    """

    def __init__(self, params, lr: float = 0.01):
        _check_lr(lr)
        super().__init__(params, {"lr": lr})

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if params:
                torch._foreach_add_(params, [p.grad for p in params], alpha=-group["lr"])
        return loss


class Polyak(Optimizer):
    r"""Polyak's heavy-ball momentum, in the lecture's form.

    .. math:: w_{t+1} = w_t - \alpha_t \nabla f(w_t; \xi_t) + \beta (w_t - w_{t-1})

    State ``displacement`` is ``w_t - w_{t-1}`` (zero before the first step).
    """

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.9):
        _check_lr(lr)
        _check_momentum(momentum)
        super().__init__(params, {"lr": lr, "momentum": momentum})

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, beta = group["lr"], group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                d = state.get("displacement")
                if d is None:
                    d = state["displacement"] = torch.zeros_like(p)
                # d_{t+1} = β d_t - α g ;  w_{t+1} = w_t + d_{t+1}
                d.mul_(beta).add_(p.grad, alpha=-lr)
                p.add_(d)
        return loss


class Nesterov(Optimizer):
    r"""Nesterov's momentum, in the lecture's form (gradient at the look-ahead point).

    .. math:: w_{t+1} = w_t - \alpha_t \nabla f(w_t + \beta (w_t - w_{t-1}); \xi_t) + \beta (w_t - w_{t-1})

    Needs a closure: the parameters are moved to the look-ahead point, the closure computes the
    gradient there, and the parameters are then set to ``w_{t+1}``. The returned loss is the one
    the closure computed, i.e. at the look-ahead point.
    """

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.9):
        _check_lr(lr)
        _check_momentum(momentum)
        super().__init__(params, {"lr": lr, "momentum": momentum})

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None):
        if closure is None:
            raise RuntimeError("Nesterov (lecture form) needs a closure: the gradient is taken at the look-ahead point")
        saved = []
        for group in self.param_groups:
            beta = group["momentum"]
            for p in group["params"]:
                state = self.state[p]
                d = state.get("displacement")
                if d is None:
                    d = state["displacement"] = torch.zeros_like(p)
                saved.append(p.detach().clone())
                p.add_(d, alpha=beta)  # to the look-ahead point w_t + β d_t
        with torch.enable_grad():
            loss = closure()
        i = 0
        for group in self.param_groups:
            lr, beta = group["lr"], group["momentum"]
            for p in group["params"]:
                w_t = saved[i]
                i += 1
                d = self.state[p]["displacement"]
                if p.grad is not None:
                    d.mul_(beta).add_(p.grad, alpha=-lr)
                else:
                    d.mul_(beta)
                p.copy_(w_t).add_(d)
        return loss


def newton_direction_2x2(H, g, rule: str, floor: float) -> tuple[float, float]:
    """H⁻¹g for a symmetric 2x2 H in closed form (the 2-D fast path: no LAPACK call per step),
    with the same eigenvalue rules as the general path."""
    (a, b), (_, d) = H
    gx, gy = g
    if rule == "none":
        det = a * d - b * b
        if det != 0.0 and math.isfinite(det):
            return ((d * gx - b * gy) / det, (a * gy - b * gx) / det)
        rule, floor = "pinv", 0.0
    # eigen-decomposition: λ = m ± r, eigenvector of λ1 = (cos θ, sin θ)
    m, r = 0.5 * (a + d), math.hypot(0.5 * (a - d), b)
    lams = (m + r, m - r)
    theta = 0.5 * math.atan2(2.0 * b, a - d)
    c, s = math.cos(theta), math.sin(theta)
    vecs = ((c, s), (-s, c))
    out_x = out_y = 0.0
    for lam, (vx, vy) in zip(lams, vecs):
        if rule == "abs":
            lam = max(abs(lam), floor)
        elif rule == "clip":
            lam = max(lam, floor)
        elif abs(lam) < 1e-300:  # pinv: skip a zero eigenvalue
            continue
        coef = (vx * gx + vy * gy) / lam
        out_x += coef * vx
        out_y += coef * vy
    return out_x, out_y


def newton_directions_2x2(H: torch.Tensor, g: torch.Tensor, rule: str, floor: float) -> torch.Tensor:
    """H_i⁻¹ g_i for n symmetric 2x2 systems at once (H: (n, 2, 2), g: (n, 2)), with the eigenvalue rules
    of :func:`newton_direction_2x2` written as tensor operations (the basin map's n starts)."""
    a, d = H[:, 0, 0], H[:, 1, 1]
    b = 0.5 * (H[:, 0, 1] + H[:, 1, 0])
    gx, gy = g[:, 0], g[:, 1]
    m, r = 0.5 * (a + d), torch.hypot(0.5 * (a - d), b)
    theta = 0.5 * torch.atan2(2.0 * b, a - d)
    c, s = torch.cos(theta), torch.sin(theta)
    lam1, lam2 = m + r, m - r
    if rule == "abs":
        lam1, lam2 = lam1.abs().clamp_min(floor), lam2.abs().clamp_min(floor)
    elif rule == "clip":
        lam1, lam2 = lam1.clamp_min(floor), lam2.clamp_min(floor)
    # eigenvectors (c, s) and (-s, c); pinv (rule none, singular H): a zero eigenvalue contributes nothing
    p1, p2 = c * gx + s * gy, -s * gx + c * gy
    k1 = torch.where(lam1.abs() < 1e-300, torch.zeros_like(p1), p1 / lam1)
    k2 = torch.where(lam2.abs() < 1e-300, torch.zeros_like(p2), p2 / lam2)
    out = torch.stack((k1 * c - k2 * s, k1 * s + k2 * c), dim=1)
    if rule == "none":
        det = a * d - b * b
        ok = (det != 0) & torch.isfinite(det)
        solved = torch.stack(((d * gx - b * gy) / det, (a * gy - b * gx) / det), dim=1)
        out = torch.where(ok[:, None], solved, out)
    return out


class Newton(Optimizer):
    r"""Newton's method with damping η.

    .. math:: w_{t+1} = w_t - \eta\, (\nabla^2 f(w_t))^{-1} \nabla f(w_t)

    ``hessian()`` returns the Hessian at the current parameters as a (d, d) tensor (parameters
    flattened in order). When the Hessian is not positive definite, ``nonconvex`` says what happens,
    with the eigen-decomposition H = V diag(λ) Vᵀ:

    * ``"abs"`` (default): use |λ_i|, floored at ``min_curvature`` (saddle-free Newton, Dauphin et
      al. 2014): the step always goes downhill and is pushed away from saddles;
    * ``"clip"``: use max(λ_i, ``min_curvature``);
    * ``"none"``: pure Newton, H⁻¹∇f as it is (a pseudo-inverse if H is singular). It jumps to the
      nearest stationary point, which may be a maximum or a saddle: the lecture's warning.

    ``batched=True`` (the basin map): the one parameter is an (n, 2) tensor of n independent points,
    ``hessian()`` returns their (n, 2, 2) Hessians and the n systems are solved at once.
    """

    MAX_PARAMETERS = 1000

    def __init__(
        self,
        params,
        hessian: Callable[[], torch.Tensor] | None = None,
        lr: float = 1.0,
        nonconvex: str = "abs",
        min_curvature: float = 1e-6,
        batched: bool = False,
    ):
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if nonconvex not in ("abs", "clip", "none"):
            raise ValueError(f"Invalid nonconvex rule: {nonconvex!r} (one of abs, clip, none)")
        if hessian is None:
            raise HessianError("Newton's method needs the objective's Hessian")
        super().__init__(params, {"lr": lr, "nonconvex": nonconvex, "min_curvature": min_curvature})
        self.batched = batched
        params = [p for g in self.param_groups for p in g["params"]]
        if batched and (len(params) != 1 or params[0].dim() != 2 or params[0].shape[1] != 2):
            raise ValueError("batched Newton takes one (n, 2) parameter tensor")
        n = 2 if batched else sum(p.numel() for p in params)
        if n > self.MAX_PARAMETERS:
            raise HessianError(
                f"newton needs the Hessian, an {n:,} x {n:,} matrix here; it is offered for objectives "
                f"with at most {self.MAX_PARAMETERS:,} parameters"
            )
        self.hessian = hessian

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None):
        if closure is None:
            raise RuntimeError("Newton needs a closure that computes the gradient")
        with torch.enable_grad():
            loss = closure()
        group = self.param_groups[0]
        params = [p for g in self.param_groups for p in g["params"]]
        grad = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in params])
        with torch.enable_grad():
            H = self.hessian().detach()
        rule, floor = group["nonconvex"], group["min_curvature"]
        if self.batched:
            w = params[0]
            direction = newton_directions_2x2(H, w.grad, rule, floor)
            self.last_direction = direction
            w.add_(direction, alpha=-group["lr"])
            return loss
        H = 0.5 * (H + H.T)
        if grad.numel() == 2:
            direction = torch.tensor(newton_direction_2x2(H.tolist(), grad.tolist(), rule, floor), dtype=grad.dtype)
        elif rule == "none":
            try:
                direction = torch.linalg.solve(H, grad)
            except RuntimeError:  # singular
                direction = torch.linalg.pinv(H) @ grad
        else:
            evals, evecs = torch.linalg.eigh(H)
            if rule == "abs":
                evals = evals.abs().clamp_min(floor)
            else:
                evals = evals.clamp_min(floor)
            direction = evecs @ ((evecs.T @ grad) / evals)
        self.last_direction = direction  # shown by the app in step mode
        offset = 0
        for p in params:
            n = p.numel()
            p.add_(direction[offset : offset + n].view_as(p), alpha=-group["lr"])
            offset += n
        return loss
