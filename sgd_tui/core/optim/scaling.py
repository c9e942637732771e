"""Learning-rate scaling rules for a batch made k times bigger:

* linear (Goyal et al. 2017, "Accurate, Large Minibatch SGD"): α ×k for SGD and its momentum forms:
  k steps of batch B with α move about as far as one step of batch kB with kα, while kα stays stable;
* square root (Malladi et al. 2022, "On the SDEs and Scaling Rules for Adaptive Gradient Algorithms"):
  α ×√k for the adaptive methods (Adam and relatives), whose step is normalised by the gradient's size.

Both hold only below the critical batch (:mod:`sgd_tui.core.sweep.critical_batch`): above it a bigger
batch no longer buys proportionally fewer steps, and the scaled α runs into the stability limit. The
run setting ``batch_scale = k`` applies the rule when a scenario is resolved (batch_size ×k, lr by the
rule), so a sweep over ``batch_scale`` shows where it holds. No torch.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["ADAPTIVE", "scaling_rule", "lr_factor", "scale_batch"]

ADAPTIVE = ("adam", "amsgrad", "adamw", "rmsprop", "adagrad", "adamax", "nadam", "adadelta")


def scaling_rule(optimizer: str) -> str:
    """"sqrt" for the adaptive methods, "linear" for the others."""
    return "sqrt" if optimizer in ADAPTIVE else "linear"


def lr_factor(optimizer: str, k: float) -> float:
    return math.sqrt(k) if scaling_rule(optimizer) == "sqrt" else float(k)


def scale_batch(optimizer: str, hyper: dict[str, Any], batch: int, k: int) -> tuple[dict[str, Any], int]:
    """(hyperparameters with lr scaled by the optimizer's rule, batch ×k)."""
    out = dict(hyper)
    if "lr" in out:
        out["lr"] = float(out["lr"]) * lr_factor(optimizer, k)
    return out, int(batch) * int(k)
