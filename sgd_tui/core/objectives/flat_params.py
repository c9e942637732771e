"""A model's parameters, gradients and optimizer state as views into one flat buffer.

An element-wise optimizer (SGD with or without momentum, Adam, RMSprop, ..., and the lecture's GD, Polyak
and Nesterov) updates every coordinate w_i from g_i and its own state alone, so updating the flat vector
θ = (vec W1, b1, vec W2, ...) ∈ ℝ^d once computes exactly what updating each tensor in turn computes --
in one kernel launch and one pass over memory instead of one per tensor.

:class:`FlatParams` allocates θ and ∇θ once; each model tensor (W1, b1, ...) is a leaf tensor whose
storage is a slice of θ, with its ``.grad`` preset to the matching slice of ∇θ. Autograd accumulates into
an existing ``.grad`` in place, so a backward pass after :meth:`zero_grad` leaves the whole gradient in
∇θ; a hand-written backward writes into the slices directly (``out=``). The optimizer is given the one
tensor θ (``.grad`` = ∇θ), so its state (momentum buffers, moments) is flat too.

The per-tensor leaves are made with ``detach()`` of a slice: they share θ's memory but carry no autograd
view relation to it, so updating θ in place (the optimizer, under ``no_grad``) never turns them into
non-leaves.
"""

from __future__ import annotations

from typing import Sequence

import torch

__all__ = ["FlatParams"]


class FlatParams:
    """θ (``flat``) and ∇θ (``grad``) in one buffer each; ``params`` are the model's tensors as views."""

    def __init__(self, tensors: Sequence[torch.Tensor]):
        first = tensors[0]
        numel = sum(t.numel() for t in tensors)
        self.flat = torch.empty(numel, dtype=first.dtype, device=first.device)
        self.grad = torch.zeros_like(self.flat)
        self.params: list[torch.Tensor] = []  # leaves sharing θ's memory (autograd's view of the model)
        self.data: list[torch.Tensor] = []  # the same memory without requires_grad (for out= kernels)
        self.grads: list[torch.Tensor] = []  # the slices of ∇θ, one per tensor
        offset = 0
        with torch.no_grad():
            for t in tensors:
                n = t.numel()
                view = self.flat[offset : offset + n].view(t.shape)
                view.copy_(t)
                g = self.grad[offset : offset + n].view(t.shape)
                p = view.detach().requires_grad_(t.requires_grad)
                p.grad = g
                self.params.append(p)
                self.data.append(view.detach())
                self.grads.append(g)
                offset += n
        self.flat.requires_grad_(True)
        self.flat.grad = self.grad

    def split(self, t: torch.Tensor) -> list[torch.Tensor]:
        """Views of a θ-shaped flat tensor ``t`` (the optimizer's momentum buffer, say) as the model's tensors."""
        views, offset = [], 0
        for d in self.data:
            views.append(t[offset : offset + d.numel()].view(d.shape))
            offset += d.numel()
        return views

    def zero_grad(self) -> None:
        """∇θ = 0 (one fill), keeping every ``.grad`` a slice of it."""
        self.grad.zero_()
        for p, g in zip(self.params, self.grads):  # something may have replaced a .grad: put the slice back
            if p.grad is not g:
                p.grad = g
        if self.flat.grad is not self.grad:
            self.flat.grad = self.grad
