"""Weights as one flat vector and back: what the curvature (Lanczos on Hessian-vector products), the
loss-landscape slices and the weight snapshots share."""

from __future__ import annotations

from typing import Sequence

import torch

__all__ = ["flatten", "unflatten", "flat_copy"]


def flatten(ts: Sequence[torch.Tensor]) -> torch.Tensor:
    """The tensors concatenated into one 1-D tensor (autograd sees through it)."""
    return torch.cat([t.reshape(-1) for t in ts])


def unflatten(v: torch.Tensor, like: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """``v`` cut into views shaped like ``like`` (the inverse of :func:`flatten`)."""
    out, i = [], 0
    for t in like:
        out.append(v[i : i + t.numel()].view_as(t))
        i += t.numel()
    return out


def flat_copy(params: Sequence[torch.Tensor]) -> torch.Tensor:
    """The weights as one detached flat vector (a copy)."""
    return flatten([p.detach() for p in params]).clone()
