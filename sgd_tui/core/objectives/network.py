"""Networks as functions of their weights: the MLP shared by the dataset objectives, and ``mlp_regression``.

An MLP with layers ``[W1, b1, W2, b2, ...]`` (the order of ``nn.Sequential(Linear, act, Linear, ...)
.parameters()``) computes

    h_0 = x,   h_k = σ(W_k h_{k-1} + b_k)  (k < L),   f_θ(x) = W_L h_{L-1} + b_L,

with σ = ReLU or tanh. :class:`MLPProblem` writes the training loss as a *function of the weights*,
``training_loss(θ, idx) = L(f_θ(x_idx), y_idx) + λΩ(θ)``, so the curvature (:mod:`sgd_tui.core.theory.sharpness`)
and the loss-landscape slice (:mod:`sgd_tui.core.maps.landscape`) evaluate it at weights other than the run's.

``mlp_regression`` fits a one-hidden-layer network to a 1-D target on [-1, 1]:

    x_i = -1 + 2 i/(N-1)  (i = 0..N-1, evenly spaced),   y_i = g(x_i) + σ_noise ε_i,  ε_i ~ N(0, 1),
    g = T_d (the Chebyshev polynomial of degree d: T_d(cos t) = cos(d t))  or  g(x) = sin(π k x),
    R(θ) = 1/(2N) Σ_i (f_θ(x_i) - y_i)² + λΩ(θ)        (½·MSE),

f_θ = Linear(1, H) → σ → Linear(H, 1), initialised as ``nn.Linear`` (:func:`init_params`) from the run's
seed, every weight then multiplied by ``init_scale`` s (at s < 1 the start is flatter: the Hessian's top
eigenvalue at the start, dominated by Σ_j h_j(x)² over the hidden features, shrinks like s²); the noise is drawn from a generator with the same seed, so all runs of a scenario see the same data
and start from the same weights. Weights are float64 (float32 on MPS, which has no float64): the network
is tiny, and the Hessian's eigenvalues come out to many digits.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import torch
import torch.nn.functional as F

from sgd_tui.core.objectives.losses import penalty
from sgd_tui.core.objectives.problem import Problem

__all__ = ["init_params", "mlp_forward", "MLPProblem", "MLPRegressionProblem", "chebyshev", "ACTIVATIONS"]

ACTIVATIONS = {"relu": F.relu, "tanh": torch.tanh}


def init_params(widths: tuple[int, ...], seed: int, device: torch.device | str = "cpu",
                dtype: torch.dtype = torch.float32) -> list[torch.Tensor]:
    """[W1, b1, W2, b2, ...] as ``nn.Linear(fan_in, fan_out)`` initialises them, drawn in that order from a
    CPU generator seeded with ``seed`` (the global RNG is untouched), then moved to ``device``/``dtype``:
    W ~ U(-1/√fan_in, 1/√fan_in) (kaiming_uniform with a=√5), b ~ U(-1/√fan_in, 1/√fan_in)."""
    g = torch.Generator().manual_seed(seed)
    params: list[torch.Tensor] = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        w = torch.empty(fan_out, fan_in)
        torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=g)
        bound = 1.0 / math.sqrt(fan_in)
        b = torch.empty(fan_out)
        torch.nn.init.uniform_(b, -bound, bound, generator=g)
        params += [w, b]
    return [p.to(device=device, dtype=dtype).requires_grad_() for p in params]


def mlp_forward(params: Sequence[torch.Tensor], h: torch.Tensor, activation: str = "relu",
                first: torch.Tensor | None = None) -> torch.Tensor:
    """f_θ(h) for layers [W1, b1, ...]. ``first``, when given, is the first layer's pre-activation
    W1 h + b1 already computed (the landscape slice precomputes it per direction)."""
    act = ACTIVATIONS[activation]
    last = len(params) - 2
    for i in range(0, len(params), 2):
        h = first if (i == 0 and first is not None) else F.linear(h, params[i], params[i + 1])
        if i < last:
            h = act(h)
    return h


class MLPProblem(Problem):
    """A dataset objective whose model is an MLP on feature rows; subclasses give the data and the loss.

    ``inputs(idx)``/``targets(idx)``: float feature rows and targets of the examples ``idx`` (None = all);
    ``data_loss(out, y)``: the batch loss L; ``activation``: "relu" or "tanh"; ``regularization`` and
    ``reg_strength``: λΩ.
    """

    activation = "relu"
    regularization = "none"
    reg_strength = 0.0

    def inputs(self, idx: torch.Tensor | None) -> torch.Tensor:
        raise NotImplementedError

    def targets(self, idx: torch.Tensor | None) -> torch.Tensor:
        raise NotImplementedError

    def data_loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def penalty(self, params: Sequence[torch.Tensor]) -> torch.Tensor | float:
        return penalty(self.regularization, self.reg_strength, list(params))

    def training_loss(self, params: Sequence[torch.Tensor], idx: torch.Tensor | None) -> torch.Tensor:
        """R(θ) = L(f_θ(x_idx), y_idx) + λΩ(θ) at the weights ``params`` (differentiable in them)."""
        out = mlp_forward(params, self.inputs(idx), self.activation)
        loss = self.data_loss(out, self.targets(idx))
        reg = self.penalty(params)
        return loss + reg if isinstance(reg, torch.Tensor) else loss


def chebyshev(degree: int, x: torch.Tensor) -> torch.Tensor:
    """T_d(x) by the recurrence T_0 = 1, T_1 = x, T_{k+1} = 2x T_k - T_{k-1}."""
    t_prev, t = torch.ones_like(x), x
    if degree == 0:
        return t_prev
    for _ in range(degree - 1):
        t_prev, t = t, 2.0 * x * t - t_prev
    return t


class MLPRegressionProblem(MLPProblem):
    """``mlp_regression``: see the module docstring."""

    def __init__(self, options: dict[str, Any], seed: int = 0, device: str = "cpu"):
        self.device = torch.device(device)
        self.dtype = torch.float32 if self.device.type == "mps" else torch.float64
        n = int(options["n_samples"])
        x = torch.linspace(-1.0, 1.0, n, dtype=torch.float64)
        if options["target"] == "chebyshev":
            y = chebyshev(int(options["degree"]), x)
        else:
            y = torch.sin(math.pi * float(options["frequency"]) * x)
        noise = float(options["noise"])
        if noise:
            y = y + noise * torch.randn(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        self.x = x.to(self.device, self.dtype).unsqueeze(1)  # (N, 1) feature rows
        self.y = y.to(self.device, self.dtype).unsqueeze(1)
        self.n_train = n
        self.activation = options["activation"]
        self.regularization = options["regularization"]
        self.reg_strength = float(options["reg_strength"])
        hidden = int(options["hidden"])
        widths = (1, *[hidden] * int(options.get("depth", 1)), 1)
        self.params = init_params(widths, seed, self.device, self.dtype)
        scale = float(options.get("init_scale", 1.0))
        if scale != 1.0:
            with torch.no_grad():
                for q in self.params:
                    q.mul_(scale)

    def inputs(self, idx):
        return self.x if idx is None else self.x[idx]

    def targets(self, idx):
        return self.y if idx is None else self.y[idx]

    def data_loss(self, out, y):
        return 0.5 * F.mse_loss(out, y)

    def loss_and_grad(self, idx):
        """Batch loss R at the current θ, its gradient in ``p.grad``; the loss stays on the device."""
        for p in self.params:
            p.grad = None
        loss = self.training_loss(self.params, idx)
        loss.backward()
        return loss.detach()

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """f_θ(x) at the current weights for a 1-D tensor of inputs (for plots of the fit)."""
        h = x.to(self.device, self.dtype).reshape(-1, 1)
        return mlp_forward(self.params, h, self.activation).reshape(-1)
