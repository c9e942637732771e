r"""Adaptive methods at their edge of stability: the preconditioned sharpness and its limit.

An adaptive method steps w ← w − α P⁻¹ u with a diagonal preconditioner P taken from its own state and
u the gradient or a momentum of it. While P changes slowly, the method is a first-order method on the
quadratic with Hessian P⁻¹H: what must stay below a limit is the top eigenvalue of P⁻¹H (the same as
that of the symmetric P^(-1/2) H P^(-1/2), which is what Lanczos measures), not λmax(H). Cohen et al.
(2022, "Adaptive Gradient Methods at the Edge of Stability") show that full-batch Adam's preconditioned
sharpness rises to its limit and hovers there, while λmax(H) goes far past 2/α.

The preconditioner P of each method, from torch.optim's state after the last step (t = its step count):

    adam, adamw          √v̂ + ε, v̂ = exp_avg_sq/(1 − β2^t)                 (bias-corrected, as torch divides)
    amsgrad (adam with amsgrad = true)   √(max_exp_avg_sq/(1 − β2^t)) + ε
    nadam                √v̂ + ε, as Adam
    adamax               u_t = exp_inf (max(β2 u, |g| + ε))
    rmsprop              √v + ε (centered: √(v − ḡ²) + ε), no bias correction
    adagrad              √s + ε (s = the sum of squared gradients)

and the limit on the top eigenvalue of P⁻¹H with P frozen (each coordinate of P^(1/2) w then follows the
recurrence of the method's momentum form, whose characteristic polynomial is the heavy ball's or
Nesterov's; :mod:`sgd_tui.core.theory.quadratic`):

    adam, adamw, amsgrad, adamax   m ← β1 m + (1 − β1) g, w ← w − α m/P: heavy ball with step α(1 − β1)
                                   and momentum β1, stable iff αλ < (2 + 2β1)/(1 − β1)   (38/α at β1 = 0.9)
    nadam                          w ← w − α(a g + b m)/P with a = (1 − μ_t)/(1 − Πμ), b = μ_{t+1}/(1 − Πμ·μ_{t+1})
                                   (torch's momentum schedule μ_t): z² − (1 + β1)z + β1 + αλ[(a + b(1 − β1))z − aβ1]
                                   has its root at z = −1 when αλ = 2(1 + β1)/(a(1 + β1) + b(1 − β1));
                                   for μ = β1 that is (2 + 2β1)/((1 + 2β1)(1 − β1)) (Nesterov's limit)
    rmsprop (momentum μ)           heavy ball on P⁻¹H: αλ < 2(1 + μ)                      (2/α without momentum)
    adagrad                        GD on P⁻¹H at its step α/(1 + (t − 1)·lr_decay): αλ < 2
    adadelta                       no known limit (its step is a ratio of two running averages)

No torch at import (the plots read :data:`LIMIT_FORMULAS`). Like the GD limit, these ignore Adam's bias correction of m (α/(1 − β1^t) → α within a few dozen
steps) and AdamW's decoupled decay (a factor 1 − α·wd per step, which only helps). A coupled weight
decay wd (adam, rmsprop, ... with weight_decay) adds wd·I to the Hessian the method sees: the measured
quantity is then P⁻¹(H + wd·I). maximize = true climbs: no limit.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from sgd_tui.core.theory.quadratic import lambda_limit

if TYPE_CHECKING:
    import torch

    from sgd_tui.core.theory.sharpness import SharpnessMeter

__all__ = ["PRECONDITIONED", "LIMIT_FORMULAS", "preconditioner", "preconditioned_limit", "nadam_mu",
           "measure_curvature", "run_limit"]

#: the optimizers whose preconditioned sharpness is measured (their P is in the table above)
PRECONDITIONED = ("adam", "adamw", "amsgrad", "nadam", "adamax", "rmsprop", "adagrad", "adadelta")
#: how each limit reads (on the top eigenvalue of P⁻¹H); adadelta has none
LIMIT_FORMULAS = {"adam": "(2+2β1)/((1−β1)α)", "adamw": "(2+2β1)/((1−β1)α)", "amsgrad": "(2+2β1)/((1−β1)α)",
                  "adamax": "(2+2β1)/((1−β1)α)", "nadam": "2(1+β1)/((a(1+β1)+b(1−β1))α)",
                  "rmsprop": "2(1+μ)/α", "adagrad": "2/α_t"}
NADAM_MOMENTUM_DECAY = 4e-3  # torch.optim.NAdam's momentum_decay (the registry keeps its default)


def nadam_mu(beta1: float, step: float, decay: float = NADAM_MOMENTUM_DECAY) -> float:
    """torch NAdam's momentum at step t: μ_t = β1(1 − ½·0.96^(t·ψ))."""
    return beta1 * (1.0 - 0.5 * 0.96 ** (step * decay))


def _coupled_decay(optimizer: str, hyper: dict[str, Any]) -> float:
    """The weight decay that adds wd·I to the Hessian the method sees (coupled: not AdamW's)."""
    if optimizer == "adamw":
        return 0.0
    return float(hyper.get("weight_decay", 0.0) or 0.0)


def preconditioned_limit(optimizer: str, hyper: dict[str, Any], lr: float, state: dict | None = None) -> float | None:
    """The limit on the top eigenvalue of P⁻¹H (module docstring) for ``optimizer`` with ``hyper`` at
    step size ``lr``; ``state`` (one parameter's torch.optim state) gives the step count where the limit
    depends on it (nadam's μ_t, adagrad's lr_decay). None when there is no known limit."""
    if optimizer not in PRECONDITIONED or optimizer == "adadelta" or hyper.get("maximize") or lr <= 0:
        return None
    step = float(state["step"]) if state and "step" in state else None
    if optimizer in ("adam", "adamw", "amsgrad", "adamax"):
        b1 = float(hyper.get("betas", (0.9, 0.999))[0])
        return (2.0 + 2.0 * b1) / ((1.0 - b1) * lr)
    if optimizer == "nadam":
        b1 = float(hyper.get("betas", (0.9, 0.999))[0])
        if state and "mu_product" in state and step:
            mu, mu_next = nadam_mu(b1, step), nadam_mu(b1, step + 1)
            prod = float(state["mu_product"])
            a, b = (1.0 - mu) / (1.0 - prod), mu_next / (1.0 - prod * mu_next)
        else:  # the schedule's end: μ = β1
            a, b = 1.0 - b1, b1
        return 2.0 * (1.0 + b1) / ((a * (1.0 + b1) + b * (1.0 - b1)) * lr)
    if optimizer == "rmsprop":
        return 2.0 * (1.0 + float(hyper.get("momentum", 0.0) or 0.0)) / lr
    # adagrad: its own decayed step
    decay = float(hyper.get("lr_decay", 0.0) or 0.0)
    return 2.0 * (1.0 + ((step or 1.0) - 1.0) * decay) / lr


def _param_p(optimizer: str, state: dict, hyper: dict[str, Any]) -> torch.Tensor | None:
    """P for one parameter tensor from its state (module docstring), or None before the first step."""
    if not state or "step" not in state:
        return None
    t = float(state["step"])
    eps = float(hyper.get("eps", 1e-8))
    if optimizer in ("adam", "adamw", "amsgrad", "nadam"):
        b2 = float(hyper.get("betas", (0.9, 0.999))[1])
        amsgrad = optimizer == "amsgrad" or (optimizer in ("adam", "adamw") and hyper.get("amsgrad"))
        v = state["max_exp_avg_sq"] if amsgrad else state["exp_avg_sq"]
        return (v / (1.0 - b2 ** t)).sqrt() + eps
    if optimizer == "adamax":
        return state["exp_inf"].clone()
    if optimizer == "rmsprop":
        v = state["square_avg"]
        if hyper.get("centered"):
            v = v - state["grad_avg"] * state["grad_avg"]
        return v.sqrt() + eps
    if optimizer == "adagrad":
        return state["sum"].sqrt() + eps
    return None


def preconditioner(optimizer_name: str, optimizer, hyper: dict[str, Any]) -> torch.Tensor | None:
    """The diagonal of P as one flat vector over the optimizer's parameters (in their order), from the
    optimizer's state now; None for a method without one, or before its first step."""
    import torch  # lazy: torch

    if optimizer_name not in PRECONDITIONED or optimizer_name == "adadelta":
        return None
    parts = []
    for group in optimizer.param_groups:
        for w in group["params"]:
            p = _param_p(optimizer_name, optimizer.state.get(w, {}), hyper)
            if p is None:
                return None
            parts.append(p.detach().reshape(-1))
    return torch.cat(parts) if parts else None


def _first_state(optimizer) -> dict:
    for group in optimizer.param_groups:
        for w in group["params"]:
            return optimizer.state.get(w, {})
    return {}


def run_limit(optimizer_name: str, optimizer, hyper: dict[str, Any], lr: float) -> float | None:
    """The limit a run's curvature is measured against: on λmax(H) for the non-adaptive methods
    (:func:`~sgd_tui.core.theory.quadratic.lambda_limit`), on P⁻¹H for the adaptive ones."""
    if optimizer_name in PRECONDITIONED:
        return preconditioned_limit(optimizer_name, hyper, lr, _first_state(optimizer))
    return lambda_limit(optimizer_name, hyper, lr)


def measure_curvature(meter: SharpnessMeter, optimizer_name: str, optimizer, hyper: dict[str, Any],
                      lr: float) -> tuple[float, float | None, float | None]:
    """(λmax of H, top eigenvalue of P⁻¹H or None, the limit) for one run now, between steps: the
    preconditioned value for the adaptive methods once they have a state (empty at step 0), measured
    with the same Lanczos on P^(-1/2)(H + wd·I)P^(-1/2)."""
    import torch  # lazy: torch

    lam = meter.measure()
    limit = run_limit(optimizer_name, optimizer, hyper, lr)
    pre = None
    P = preconditioner(optimizer_name, optimizer, hyper)
    if P is not None:
        if not bool(torch.isfinite(P).all()) or bool((P <= 0).any()):
            return lam, math.nan, limit
        pre = meter.measure(scale=P.rsqrt(), shift=_coupled_decay(optimizer_name, hyper))
    return lam, pre, limit
