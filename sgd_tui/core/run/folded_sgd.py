"""Momentum SGD on the FashionMNIST fast path without writing the weight gradients: the momentum takes them.

torch.optim.SGD's fused kernel (:mod:`sgd_tui.core.optim.fused_step`) updates every coordinate of θ as

    b ← μ b + (1 - τ)(±g),   θ ← θ - α b         (momentum μ, dampening τ, ``maximize``: -g; no weight decay,
                                                    no Nesterov)

and for a weight matrix g = δᵀh is a matmul. ``addmm`` computes C ← βC + α'·AB in one pass, so
``b_W.addmm_(δᵀ, h, beta=μ, alpha=±(1 - τ))`` writes the new momentum straight from the product and
``W.add_(b_W, alpha=-α)`` (one ``foreach`` add for all layers) the new weights: ∇W is never written and never
read again, one pass less over the weights' memory per step (2.7 MB for the lecture's MLP, whose update is
10-12% of a batch-16 step; measured: the step 3% faster at batch 16, 4% at 64, docs/performance.md). The
biases (their gradients are sums, not products) keep their gradient in ∇θ and go through the fused kernel as
they are.

Whether that gives torch.optim's bits depends on the BLAS library and on how torch's build compiled the fused
kernel: μb + g·(1 - τ) rounds the same in both only while the matmul sums over the batch in one pass (MKL
here: up to a batch of 192; above that it sums in blocks, and the blocks' partial sums are rounded into b);
without momentum (θ.addmm_ with alpha = -α) MKL rounds α·g before adding it, the kernel does not; and for
some shapes (a 784-8-8-10 network) MKL picks kernels that round otherwise even at batch 2. So nothing is
assumed: :func:`fold_works` runs both ways, three steps from the same random start, for the network's
widths, the batch size, μ, τ and ``maximize`` (once per process each), and the fold is used only where
θ and the momentum agree bit for bit; everything else takes the direct call of the kernel as before.

The engine uses the fold only on steps whose gradient nobody reads (∇θ's weight slices are stale after a
folded step): not on logged steps (their record has ‖∇‖), not with a penalty (its gradient is added to the
whole ∇θ), Nesterov or weight decay (they need g itself), and not where the direct call would not be taken
(the first step, hooks, a tensor lr: :meth:`DirectSGDStep.ready`).
"""

from __future__ import annotations

import torch

from sgd_tui.core.objectives import fashion
from sgd_tui.core.objectives.flat_params import FlatParams
from sgd_tui.core.objectives.mlp_fast import MLPFastStep
from sgd_tui.core.optim.fused_step import DirectSGDStep, call_kernel

__all__ = ["FoldedMomentumStep", "MomentumFold", "folded_step", "fold_works"]

_WORKS: dict[tuple, bool] = {}  # fold_works' answers: (widths, batch, μ, τ, maximize, device) -> bit for bit?
PROBE_LRS = (0.05, 1e-3, 0.3)  # the learning rates of the probe's three steps


class MomentumFold:
    """The folded step's arithmetic for a hand-written step ``fast`` and the flat momentum buffer ``buf``:
    what :class:`MLPFastStep` reads (``momentum``: b_W as views of ``buf``, ``beta``, ``alpha``) and the
    update after its backward pass."""

    def __init__(self, fast: MLPFastStep, buf: torch.Tensor):
        flat = fast.flat
        m = flat.split(buf)
        self.fast, self.buf = fast, buf
        self.momentum, self.b_momentum = m[0::2], m[1::2]  # b_W (the addmm's output), b_b
        self.w_params, self.b_params, self.b_grads = flat.data[0::2], flat.data[1::2], flat.grads[1::2]
        self.beta = self.alpha = 0.0

    def set(self, group: dict) -> None:
        """β = μ and α' = ±(1 - τ) of the param group ``group``."""
        self.beta = group["momentum"]
        self.alpha = -(1.0 - group["dampening"]) if group["maximize"] else 1.0 - group["dampening"]

    def step(self, x: torch.Tensor, y: torch.Tensor, idx: torch.Tensor | None, group: dict) -> torch.Tensor:
        """Forward, backward into the momentum, the biases' fused update and θ_W ← θ_W - α b_W; the loss."""
        loss = self.fast(x, y, idx, self)
        call_kernel(self.b_params, self.b_grads, self.b_momentum, group)  # the biases: the kernel as it is
        torch._foreach_add_(self.w_params, self.momentum, alpha=-group["lr"])  # W.add_(b_W, alpha=-α) each
        return loss


def fold_works(widths: tuple[int, ...], batch: int, momentum: float, dampening: float, maximize: bool,
               device: torch.device) -> bool:
    """Whether the fold leaves θ and the momentum buffer bit for bit where the fused kernel does, for an
    MLP of these widths at this batch size (three steps from one random start; answered once a process)."""
    key = (tuple(widths), batch, momentum, dampening, maximize, str(device))
    works = _WORKS.get(key)
    if works is None:
        works = _WORKS[key] = _probe(tuple(widths), batch, momentum, dampening, maximize, device)
    return works


def _probe(widths, batch, momentum, dampening, maximize, device) -> bool:
    g = torch.Generator().manual_seed(0)
    tensors = []
    for a, b in zip(widths[:-1], widths[1:]):  # nn.Linear's scale: U(-1/√a, 1/√a)
        tensors += [(torch.rand(b, a, generator=g) * 2 - 1) / a**0.5, (torch.rand(b, generator=g) * 2 - 1) / a**0.5]
    x = torch.randint(0, 256, (batch, widths[0]), generator=g, dtype=torch.uint8).to(device)
    y = torch.randint(0, widths[-1], (batch,), generator=g).to(device)
    tensors = [t.to(device) for t in tensors]
    ref, mine = FlatParams(tensors), FlatParams(tensors)
    ref_buf = (torch.randn(ref.flat.numel(), generator=g) * 1e-2).to(device)  # a momentum of earlier steps
    fold = MomentumFold(MLPFastStep(mine, "cross_entropy"), ref_buf.clone())
    ref_fast = MLPFastStep(ref, "cross_entropy")
    try:
        for lr in PROBE_LRS:
            group = {"lr": lr, "momentum": momentum, "dampening": dampening, "nesterov": False,
                     "weight_decay": 0.0, "maximize": maximize}
            ref_fast(x, y, None)
            call_kernel([ref.flat.detach()], [ref.grad], [ref_buf], group)
            fold.set(group)
            fold.step(x, y, None, group)
        return torch.equal(ref.flat, mine.flat) and torch.equal(ref_buf, fold.buf)
    except Exception:  # noqa: BLE001 - a BLAS or device that refuses the call: the direct call, as before
        return False


def folded_step(step, problem) -> FoldedMomentumStep | None:
    """A :class:`FoldedMomentumStep` for a run whose SGD steps are direct kernel calls (``step``, the engine's
    :func:`~sgd_tui.core.optim.fused_step.step_function`) on a problem with the hand-written step and no
    penalty; else None."""
    fast = getattr(problem, "fast_step", None)
    if not isinstance(step, DirectSGDStep) or fast is None or fast.penalty != "none":
        return None
    return FoldedMomentumStep(step, problem)


class FoldedMomentumStep:
    """The engine's momentum-SGD step on the FashionMNIST fast path with the fold, where it applies."""

    def __init__(self, direct: DirectSGDStep, problem):
        self.direct, self.group, self.problem = direct, direct.group, problem
        self.fast = problem.fast_step
        self.fold: MomentumFold | None = None  # built on the optimizer's momentum buffer once it exists
        self._key: tuple | None = None  # the last (batch, μ, τ, maximize) and whether the probe passed it
        self._works = False
        self.folded_steps = 0  # steps taken with the fold (the others: the direct call or torch.optim)

    def __call__(self, idx: torch.Tensor | None) -> torch.Tensor | None:
        """One step on batch ``idx`` (the engine's index tensor, None for the whole set) with the fold and
        its loss, or None (nothing done) when this step must take the usual path."""
        group = self.group
        momentum = group["momentum"]
        if not momentum or group["nesterov"] or group["weight_decay"]:
            return None
        p = self.problem
        n = p.n_train if idx is None else idx.shape[0]
        key = (n, momentum, group["dampening"], group["maximize"])
        if key != self._key:  # a new batch size or hyperparameters: the probe's answer (cached a process)
            self._key = key
            self._works = n <= fashion.CHUNK and fold_works(self.fast.widths, *key, p.flat.flat.device)
        if not self._works:
            return None
        buffers = self.direct.ready()
        if buffers is None:  # torch.optim takes this step (the first, hooks, a tensor lr, no buffer yet)
            return None
        fold = self.fold
        if fold is None or fold.buf is not buffers[0]:  # the first time, or torch.optim made a new buffer
            fold = self.fold = MomentumFold(self.fast, buffers[0])
        fold.set(group)
        loss = fold.step(p.x, p.y, idx, group)
        self.folded_steps += 1
        return loss
