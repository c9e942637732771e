"""A hand-written forward and backward pass for the MLP family, with no autograd and no allocations.

At small batches the lecture's MLP step is mostly overhead around its matmuls: building autograd's graph,
allocating every activation and gradient, and the per-tensor gradient accumulation. For the cases it
covers (:func:`covers`), :class:`MLPFastStep` computes the same step with the same kernels autograd runs,
writing every result into preallocated buffers and the gradient straight into the flat ∇θ
(:mod:`sgd_tui.core.objectives.flat_params`). With h_0 = x/255 (x the uint8 image rows) and L linear layers:

forward   a_l = h_{l-1} W_lᵀ + b_l (``addmm``),  h_l = max(a_l, 0) for l < L (ReLU, in place),  z = a_L;
loss      ℓ = log_softmax(z);  L = -Σ_i w_{y_i} ℓ_{i,y_i} / Σ_i w_{y_i}  (``nll_loss``; w = class weights or 1);
          the gradient δ_L = ∂L/∂z from torch's own ``nll_loss_backward`` and ``_log_softmax_backward``
          (softmax(z) - onehot(y), weighted and divided by Σ w_{y_i});
backward  ∂L/∂W_l = δ_lᵀ h_{l-1},  ∂L/∂b_l = Σ_i δ_{l,i},  δ_{l-1} = (δ_l W_l) ⊙ [h_{l-1} > 0]
          (``mm``, ``sum``, ``threshold_backward``);
penalty   λΩ(θ) on the flat θ: l2 = λ½‖θ‖² (∇ = λθ), l1 = λ‖θ‖₁ (∇ = λ sign θ), l2_norm = λ‖θ‖₂ (∇ = λθ/‖θ‖₂).

The data terms are the very kernels autograd calls for ``F.linear``/``F.relu``/``F.cross_entropy``, and the
penalty repeats autograd's arithmetic (per-tensor sums, the same roundings) with element-wise passes over
the flat θ: the numbers are autograd's, bit for bit (the test checks 100 steps). No ``.item()``: the
loss stays on the device. Not covered (autograd stays the path): label smoothing, the kl_div and mse
losses, reduced precision, and batches above the engine's chunk size.
"""

from __future__ import annotations

import torch

from sgd_tui.core.objectives.flat_params import FlatParams

__all__ = ["MLPFastStep", "covers", "LOSSES", "PENALTIES"]

LOSSES = ("cross_entropy", "nll")  # nll on log_softmax outputs = cross-entropy, the same kernels
PENALTIES = ("none", "l1", "l2", "l2_norm")

# torch's kernels without a Python binding of their own, resolved once (an overload, not a packet)
# (the overload's C++ handle where torch exposes it: the same dispatch without OpOverload's Python frame)
_NLL_FORWARD = getattr(torch.ops.aten.nll_loss_forward.default, "_op", torch.ops.aten.nll_loss_forward.default)
_NLL_BACKWARD = getattr(torch.ops.aten.nll_loss_backward.grad_input, "_op", torch.ops.aten.nll_loss_backward.grad_input)
_RELU_BACKWARD = getattr(torch.ops.aten.threshold_backward.grad_input, "_op",
                         torch.ops.aten.threshold_backward.grad_input)
_MEAN = 1  # torch's Reduction::Mean
_IGNORE = -100  # torch's default ignore_index


def covers(loss: str, label_smoothing: float, regularization: str, precision: str = "f32") -> bool:
    """Whether :class:`MLPFastStep` computes this loss and penalty (float32, no label smoothing)."""
    return precision == "f32" and loss in LOSSES and not label_smoothing and regularization in PENALTIES


class _Buffers:
    """Every tensor one step of batch size n needs, allocated once."""

    def __init__(self, n: int, widths: tuple[int, ...], device: torch.device, dtype: torch.dtype):
        kw = {"device": device, "dtype": dtype}
        self.x_u8 = torch.empty(n, widths[0], dtype=torch.uint8, device=device)
        self.y = torch.empty(n, dtype=torch.int64, device=device)
        self.acts = [torch.empty(n, w, **kw) for w in widths]  # h_0 = x/255, h_1, ..., z
        self.deltas = [torch.empty(n, w, **kw) for w in widths[1:-1]]  # δ of the hidden layers
        c = widths[-1]
        self.logp = torch.empty(n, c, **kw)
        self.grad_logp = torch.empty(n, c, **kw)
        self.dz = torch.empty(n, c, **kw)
        self.deltas_t = [d.t() for d in (*self.deltas, self.dz)]  # δ_lᵀ as views, made once (not per step)


class MLPFastStep:
    """Loss and gradient of one batch for an MLP whose parameters live in ``flat`` ([W1, b1, W2, b2, ...])."""

    def __init__(self, flat: FlatParams, loss: str, class_weights: torch.Tensor | None = None,
                 regularization: str = "none", reg_strength: float = 0.0):
        if not covers(loss, 0.0, regularization):
            raise ValueError(f"MLPFastStep does not cover loss {loss!r} with penalty {regularization!r}")
        self.flat = flat
        self.W, self.b = flat.data[0::2], flat.data[1::2]
        self.Wt = [w.t() for w in self.W]  # W_lᵀ as views of θ, made once (not per step)
        self.gW, self.gb = flat.grads[0::2], flat.grads[1::2]
        self.widths = (self.W[0].shape[1], *(w.shape[0] for w in self.W))
        self.weight = class_weights
        self.penalty = "none" if reg_strength == 0.0 else regularization
        self.strength = float(reg_strength)
        dev = flat.flat.device
        self.theta = flat.flat.detach()  # θ without requires_grad, for the penalty's kernels
        self.one = torch.ones((), device=dev)  # ∂L/∂L, the seed of the backward pass
        self.c255 = torch.full((), 255.0, device=dev)  # 255 as a tensor: a Python scalar is wrapped every call
        self.tmp = torch.empty_like(flat.grad) if self.penalty != "none" else None  # a θ-sized scratch
        self.tmp_views = []
        if self.tmp is not None:
            offset = 0
            for t in flat.data:
                self.tmp_views.append(self.tmp[offset : offset + t.numel()].view(t.shape))
                offset += t.numel()
        self._buffers: dict[int, _Buffers] = {}  # by batch size (an epoch's last batch may be smaller)

    def buffers(self, n: int) -> _Buffers:
        buf = self._buffers.get(n)
        if buf is None:
            buf = self._buffers[n] = _Buffers(n, self.widths, self.flat.flat.device, self.flat.flat.dtype)
        return buf

    def __call__(self, x_all: torch.Tensor, y_all: torch.Tensor, idx: torch.Tensor | None, fold=None) -> torch.Tensor:
        """The batch loss L + λΩ (a 0-dim tensor on the device) at the current θ; ∇ written into ∇θ.

        With ``fold`` (:mod:`sgd_tui.core.run.folded_sgd`, no penalty) the weight gradients are not written:
        each goes straight into its momentum buffer, ``fold.momentum[l] ← fold.beta·fold.momentum[l] +
        fold.alpha·δ_lᵀh_{l-1}`` (one ``addmm``); the bias gradients are written into ∇θ as always."""
        n = x_all.shape[0] if idx is None else idx.shape[0]
        buf = self.buffers(n)
        if idx is None:
            x_u8, y = x_all, y_all
        else:
            x_u8 = torch.index_select(x_all, 0, idx, out=buf.x_u8)
            y = torch.index_select(y_all, 0, idx, out=buf.y)
        acts, W, Wt, b = buf.acts, self.W, self.Wt, self.b
        # ToTensor: float(x) / 255 in float32, one kernel (uint8 promoted to float32, then divided: bit for bit
        # torch.div(x, 255), which the tests compare with)
        torch.div(x_u8, self.c255, out=acts[0])
        last = len(W) - 1
        for i in range(len(W)):  # forward: the kernels of F.linear and F.relu
            torch.addmm(b[i], acts[i], Wt[i], out=acts[i + 1])
            if i < last:
                torch.relu_(acts[i + 1])
        # the loss and its gradient δ_L = ∂L/∂z: F.cross_entropy's kernels and their backward
        torch._log_softmax(acts[-1], 1, False, out=buf.logp)
        loss, total_weight = _NLL_FORWARD(buf.logp, y, self.weight, _MEAN, _IGNORE)
        _NLL_BACKWARD(self.one, buf.logp, y, self.weight, _MEAN, _IGNORE, total_weight, grad_input=buf.grad_logp)
        torch._log_softmax_backward_data(buf.grad_logp, buf.logp, 1, buf.logp.dtype, out=buf.dz)
        delta, deltas_t = buf.dz, buf.deltas_t
        for i in range(last, -1, -1):  # backward, straight into the slices of ∇θ (δ_l = deltas[l - 1], δ_L = dz)
            if fold is None:
                torch.mm(deltas_t[i], acts[i], out=self.gW[i])
            else:
                fold.momentum[i].addmm_(deltas_t[i], acts[i], beta=fold.beta, alpha=fold.alpha)
            torch.sum(delta, 0, out=self.gb[i])
            if i > 0:
                d = buf.deltas[i - 1]
                torch.mm(delta, W[i], out=d)
                _RELU_BACKWARD(d, acts[i], 0, grad_input=d)  # ReLU'(a) = [h > 0]
                delta = d
        if self.penalty != "none":
            loss = loss + self._penalty()
        return loss

    def _penalty(self) -> torch.Tensor:
        """λΩ(θ) at the current θ, its gradient added to ∇θ (all on the device), in autograd's arithmetic
        for :func:`sgd_tui.core.objectives.losses.penalty`: the same per-tensor sums, the same roundings."""
        theta, grad, tmp, lam = self.theta, self.flat.grad, self.tmp, self.strength
        if self.penalty == "l1":  # λ Σ_t Σ|w|;  ∇ = λ sgn(w)
            torch.abs(theta, out=tmp)
            value = self._sum_per_tensor() * lam
            torch.sign(theta, out=tmp)
            grad.add_(tmp.mul_(lam))
            return value
        torch.mul(theta, theta, out=tmp)
        total = self._sum_per_tensor()  # S = Σ_t Σ w²
        if self.penalty == "l2":  # ½λ S;  ∇ = 2 (½λ w) = λ w
            grad.add_(torch.mul(theta, lam, out=tmp))
            return total * (0.5 * lam)
        norm = torch.sqrt(total)  # l2_norm: λ √S;  ∇ = 2 (λ / 2√S) w
        scale = torch.full((), lam, device=theta.device) / (2 * norm)
        grad.add_(torch.mul(theta, scale, out=tmp).mul_(2))
        return norm * lam

    def _sum_per_tensor(self) -> torch.Tensor:
        """Σ_t (sum of tmp over tensor t's slice), added up tensor after tensor like Python's sum()."""
        total = None
        for view in self.tmp_views:
            part = view.sum()
            total = part if total is None else total + part
        return total
