"""The lecture's losses, by the lecture's names, through torch.nn.functional; and the penalty λΩ(w)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["regression_loss", "classification_loss", "penalty"]


def regression_loss(name: str, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """mse = mean (pred - y)²; l1 = mean |pred - y| (torch.nn.MSELoss / L1Loss, reduction mean)."""
    if name == "mse":
        return F.mse_loss(pred, target)
    if name == "l1":
        return F.l1_loss(pred, target)
    raise ValueError(f"unknown regression loss {name!r} (mse, l1)")


def classification_loss(
    name: str,
    logits: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None = None,
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    """Loss of class logits (batch, C) against class indices (batch,).

    cross_entropy = F.cross_entropy(logits) (log-softmax + NLL, with class weights and label smoothing);
    nll = F.nll_loss(log_softmax(logits)), the same value reached the lecture's other way;
    kl_div = F.kl_div(log_softmax(logits), smoothed one-hot target, reduction="batchmean");
    mse = F.mse_loss(softmax(logits), one-hot target).
    """
    if name == "cross_entropy":
        return F.cross_entropy(logits, target, weight=weight, label_smoothing=label_smoothing)
    if name == "nll":
        return F.nll_loss(F.log_softmax(logits, dim=1), target, weight=weight)
    n_classes = logits.shape[1]
    onehot = F.one_hot(target, n_classes).to(logits.dtype)
    if name == "kl_div":
        if label_smoothing:
            onehot = onehot * (1.0 - label_smoothing) + label_smoothing / n_classes
        return F.kl_div(F.log_softmax(logits, dim=1), onehot, reduction="batchmean")
    if name == "mse":
        return F.mse_loss(F.softmax(logits, dim=1), onehot)
    raise ValueError(f"unknown classification loss {name!r}")


def penalty(kind: str, strength: float, params: list[torch.Tensor]) -> torch.Tensor | float:
    """λΩ(w): l1 = λ Σ|w_i|; l2 = λ ½ Σ w_i² (the weight-decay form); l2_norm = λ ‖w‖₂ (the lecture's literal)."""
    if kind == "none" or strength == 0.0:
        return 0.0
    if kind == "l1":
        return strength * sum(p.abs().sum() for p in params)
    if kind == "l2":
        return 0.5 * strength * sum((p * p).sum() for p in params)
    if kind == "l2_norm":
        return strength * torch.sqrt(sum((p * p).sum() for p in params))
    raise ValueError(f"unknown regularization {kind!r}")
