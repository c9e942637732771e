"""The optimizers of 2021-24 that engineers now ask about, written from their papers.

All are ``torch.optim.Optimizer`` subclasses (schedules, state dicts, the engine's mid-run changes work as
for torch's own); each is tested in float64 against an independent reference of its paper's update
(tests/test_modern_optim.py; the schedule-free ones also against the authors' ``schedulefree`` package).

* :class:`Lion` (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Alg. 2): a sign
  update of an interpolation of the momentum and the gradient, with decoupled weight decay::

      c_t = β1 m_{t-1} + (1-β1) g_t;  w_t = w_{t-1} - α (sign(c_t) + λ w_{t-1});  m_t = β2 m_{t-1} + (1-β2) g_t

  Every coordinate moves by exactly α (plus the decay): its geometry is the ℓ∞ ball.
* :class:`SAM` (Foret et al. 2021, "Sharpness-Aware Minimization", Alg. 1): the gradient is taken at the
  worst nearby point ``w + ε̂``, ε̂ = ρ g/‖g‖ (one ascent step of length ρ, ‖·‖ over all parameters),
  then the base optimizer (SGD with momentum, or Adam) steps from ``w`` with that gradient. Two
  gradient evaluations per step (with ``noise`` on a surface, two noise draws). State ``ascent`` = ε̂.
* :class:`ScheduleFreeSGD` and :class:`ScheduleFreeAdamW` (Defazio et al. 2024, "The Road Less
  Scheduled"): three sequences, no schedule needed::

      y_t = (1-β) z_t + β x_t            (the gradient is evaluated here)
      z_{t+1} = z_t - γ_t g(y_t)         (AdamW: g / (√v̂_t + ε), plus λ y_t)
      x_{t+1} = (1 - c_{t+1}) x_t + c_{t+1} z_{t+1},  c_{t+1} = γ_max,t² / Σ_i γ_max,i²

  The model's parameters hold **x**, the averaged point, which the method evaluates (the logged loss
  of a 2-D run, the target check, test evaluations all see x); the step moves them to y for the
  closure's gradient and back (as the authors' "closure" classes do). State: ``z`` and ``y`` (the
  last gradient point). ``warmup_steps`` ramps γ linearly, as the reference code does.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch.optim import Optimizer

__all__ = ["Lion", "SAM", "ScheduleFreeSGD", "ScheduleFreeAdamW", "MuonHybrid", "hidden_matrices"]


def _needs(closure, name: str) -> None:
    if closure is None:
        raise RuntimeError(f"{name} needs a closure: it evaluates the gradient at another point than w")


class Lion(Optimizer):
    """Lion (see the module docstring). State ``exp_avg`` = m."""

    def __init__(self, params, lr: float = 1e-4, betas: tuple[float, float] = (0.9, 0.99), weight_decay: float = 0.0,
                 maximize: bool = False):
        if lr < 0 or weight_decay < 0 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"Invalid Lion hyperparameters: lr={lr}, betas={betas}, weight_decay={weight_decay}")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "weight_decay": weight_decay, "maximize": maximize})

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, (b1, b2), wd = group["lr"], group["betas"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad if group["maximize"] else p.grad
                state = self.state[p]
                if "exp_avg" not in state:
                    state["exp_avg"] = torch.zeros_like(p)
                m = state["exp_avg"]
                c = m.mul(b1).add_(g, alpha=1 - b1)
                if wd:
                    p.mul_(1 - lr * wd)
                p.add_(torch.sign(c), alpha=-lr)
                m.mul_(b2).add_(g, alpha=1 - b2)
        return loss


class SAM(Optimizer):
    """Sharpness-aware minimization around a base optimizer (see the module docstring).

    ``base`` = "sgd" (torch.optim.SGD with ``momentum``, ``weight_decay``) or "adam" (torch.optim.Adam with
    ``betas``, ``weight_decay``). The base's param groups are this optimizer's, so a schedule or a
    changed lr reaches it."""

    def __init__(self, params, lr: float = 0.01, rho: float = 0.05, base: str = "sgd", momentum: float = 0.0,
                 betas: tuple[float, float] = (0.9, 0.999), weight_decay: float = 0.0):
        if rho < 0 or lr < 0:
            raise ValueError(f"Invalid SAM hyperparameters: lr={lr}, rho={rho}")
        params = list(params)
        super().__init__(params, {"lr": lr, "rho": rho})
        if base == "sgd":
            self.base = torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
        elif base == "adam":
            self.base = torch.optim.Adam(params, lr=lr, betas=tuple(betas), weight_decay=weight_decay)
        else:
            raise ValueError(f"SAM base must be sgd or adam, not {base!r}")
        for group in self.base.param_groups:
            group["rho"] = rho
            group["base"] = base
        self.param_groups = self.base.param_groups  # one set of groups: schedules and changes reach the base
        self.base_name = base

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None):
        _needs(closure, "SAM")
        with torch.enable_grad():
            loss = closure()  # g at w
        params = [p for group in self.param_groups for p in group["params"] if p.grad is not None]
        norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in params])) if params else 0
        for group in self.param_groups:
            scale = group["rho"] / (float(norm) + 1e-12)
            for p in group["params"]:
                if p.grad is None:
                    continue
                e = p.grad * scale
                self.state[p]["ascent"] = e
                p.add_(e)  # to w + ε̂
        with torch.enable_grad():
            closure()  # g at w + ε̂
        for group in self.param_groups:
            for p in group["params"]:
                if "ascent" in self.state[p] and p.grad is not None:
                    p.sub_(self.state[p]["ascent"])  # back to w
        self.base.step()
        return loss


class _ScheduleFree(Optimizer):
    """The shared x/y/z bookkeeping of the schedule-free methods; params hold x."""

    def _weight(self, group) -> tuple[float, float]:
        """(γ_t with warmup, c_{t+1}) for the group's step k, updating lr_max and the weight sum."""
        k, warm = group["k"], group["warmup_steps"]
        lr = group["lr"] * ((k + 1) / warm if k < warm else 1.0)
        group["lr_max"] = max(lr, group["lr_max"])
        weight = group["lr_max"] ** 2
        group["weight_sum"] += weight
        return lr, (weight / group["weight_sum"] if group["weight_sum"] > 0 else 0.0)

    def _to_y(self, beta_of) -> None:
        for group in self.param_groups:
            beta = beta_of(group)
            for p in group["params"]:
                state = self.state[p]
                if "z" not in state:
                    state["z"] = p.detach().clone()
                    self._init_state(state, p)
                state["x"] = p.detach().clone()
                p.lerp_(state["z"], 1 - beta)  # y = (1-β) z + β x
                state["y"] = p.detach().clone()

    def _init_state(self, state, p) -> None:
        pass

    def _finish(self, direction_of) -> None:
        for group in self.param_groups:
            lr, ckp1 = self._weight(group)
            for p in group["params"]:
                state = self.state[p]
                x = state.pop("x")
                if p.grad is not None:
                    d = direction_of(group, state, p.grad)
                    if group["weight_decay"]:
                        d = d + group["weight_decay"] * state["y"]
                    state["z"].sub_(d, alpha=lr)
                    x.lerp_(state["z"], ckp1)  # x ← (1-c) x + c z
                p.copy_(x)
            group["k"] += 1


class ScheduleFreeSGD(_ScheduleFree):
    """Schedule-free SGD (see the module docstring)."""

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.9, weight_decay: float = 0.0,
                 warmup_steps: int = 0):
        if lr < 0 or not 0.0 <= momentum < 1.0 or weight_decay < 0 or warmup_steps < 0:
            raise ValueError(f"Invalid schedule-free SGD hyperparameters: lr={lr}, momentum={momentum}")
        super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay,
                                  "warmup_steps": warmup_steps, "k": 0, "lr_max": 0.0, "weight_sum": 0.0})

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None):
        _needs(closure, "schedule-free SGD")
        self._to_y(lambda g: g["momentum"])
        with torch.enable_grad():
            loss = closure()  # the gradient at y
        self._finish(lambda group, state, grad: grad)
        return loss


class ScheduleFreeAdamW(_ScheduleFree):
    """Schedule-free AdamW (see the module docstring): z steps along g/(√(v/(1-β2^t)) + ε) + λ y."""

    def __init__(self, params, lr: float = 0.0025, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, warmup_steps: int = 0):
        if lr < 0 or eps < 0 or weight_decay < 0 or warmup_steps < 0 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"Invalid schedule-free AdamW hyperparameters: lr={lr}, betas={betas}")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                                  "warmup_steps": warmup_steps, "k": 0, "lr_max": 0.0, "weight_sum": 0.0})

    def _init_state(self, state, p) -> None:
        state["exp_avg_sq"] = torch.zeros_like(p)

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None):
        _needs(closure, "schedule-free AdamW")
        self._to_y(lambda g: g["betas"][0])
        with torch.enable_grad():
            loss = closure()

        def direction(group, state, grad):
            b2 = group["betas"][1]
            v = state["exp_avg_sq"].mul_(b2).addcmul_(grad, grad, value=1 - b2)
            return grad / ((v / (1 - b2 ** (group["k"] + 1))).sqrt() + group["eps"])

        self._finish(direction)
        return loss




def hidden_matrices(params: list) -> tuple[list, list]:
    """(the hidden weight matrices, the rest): every 2-D parameter except the first and the last one (the
    input and output layers' weights), as Muon's authors recommend; biases and vectors go to the rest."""
    mats = [i for i, p in enumerate(params) if p.dim() == 2]
    hidden = set(mats[1:-1])
    return [p for i, p in enumerate(params) if i in hidden], [p for i, p in enumerate(params) if i not in hidden]


class MuonHybrid(Optimizer):
    """Muon (Jordan et al. 2024) on the hidden weight matrices, AdamW on every other parameter.

    The hidden matrices step with ``torch.optim.Muon`` (momentum, then the Newton-Schulz iteration that
    orthogonalises the update: its singular values all near 1); the first and last layers' weights and
    every bias with ``torch.optim.AdamW`` (``adamw_lr``, ``adamw_betas``, ``adamw_weight_decay``). This
    optimizer's param groups are Muon's (schedules and mid-run changes act on them); the AdamW part
    follows the same schedule: its lr is ``adamw_lr`` times Muon's lr over Muon's initial lr. A model
    without a hidden matrix (a 2-D surface, a one-hidden-layer network) is a ValueError saying so."""

    def __init__(self, params, lr: float = 0.02, momentum: float = 0.95, nesterov: bool = True,
                 weight_decay: float = 0.0, ns_steps: int = 5, adjust_lr_fn: str = "original",
                 adamw_lr: float = 0.001, adamw_betas: tuple[float, float] = (0.9, 0.95),
                 adamw_weight_decay: float = 0.0):
        params = list(params)
        hidden, rest = hidden_matrices(params)
        if not hidden:
            n = sum(p.dim() == 2 for p in params)
            raise ValueError(f"muon needs a hidden weight matrix (a 2-D weight that is neither the first nor the "
                             f"last layer's); this model has {n} weight matri{'x' if n == 1 else 'ces'}: use a "
                             "network with two or more hidden layers (mlp_regression: depth = 2)")
        self.muon = torch.optim.Muon(hidden, lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay,
                                     ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn)
        self.adamw = torch.optim.AdamW(rest, lr=adamw_lr, betas=tuple(adamw_betas),
                                       weight_decay=adamw_weight_decay) if rest else None
        super().__init__(hidden, {"lr": lr})
        self.param_groups = self.muon.param_groups
        self.state = self.muon.state
        for group in self.param_groups:
            group.update(adamw_lr=adamw_lr, adamw_betas=tuple(adamw_betas), adamw_weight_decay=adamw_weight_decay,
                         muon_lr0=lr)

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        self.muon.step()
        if self.adamw is not None:
            g = self.param_groups[0]
            ratio = g["lr"] / g["muon_lr0"] if g["muon_lr0"] else 1.0
            for group in self.adamw.param_groups:
                group.update(lr=g["adamw_lr"] * ratio, betas=tuple(g["adamw_betas"]),
                             weight_decay=g["adamw_weight_decay"])
            self.adamw.step()
        return loss
