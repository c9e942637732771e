"""Sharpness: the largest eigenvalue λmax of the training loss's Hessian, against the step's stability limit.

On a quadratic with curvature λ, gradient descent w ← w - α λ w is stable iff α λ < 2; the iteration's
other forms move that limit (c below, on α·λmax; with weight decay wd the optimizer sees H + wd·I):

    GD, SGD (no momentum)                       λmax < 2/α
    heavy ball (Polyak), torch SGD momentum β   λmax < 2(1+β)/((1-τ)α)        (τ = dampening, 0 in the lecture)
    Nesterov (lecture's or torch's nesterov)    λmax < (2+2β)/((1+2β)α)

(the last from z² - (1+β)(1-h)z + β(1-h) = 0, h = αλ, which has a root at z = -1 when h = (2+2β)/(1+2β)).
Cohen et al. (ICLR 2021) observed that full-batch GD on networks sharpens until λmax reaches 2/α and then
hovers there ("the edge of stability") while the loss keeps falling, non-monotonically.

λmax is found by the Lanczos iteration on Hessian-vector products (Pearlmutter's trick: H v = ∇(∇R·v),
one double backward through a graph of ∇R built once per estimate), with full reorthogonalisation,
started from the previous estimate's eigenvector (a warm start: a few products per estimate once the
direction settles). The top Ritz value θ_k of the k-dimensional Krylov space grows with k towards λmax
(Cauchy interlacing); the iteration stops when it grows by less than ``tol``·θ_k in one product, or when the
Ritz pair's residual ‖H y - θ y‖ = β_k |s_k| is below ``tol``·|θ| (for a symmetric H some eigenvalue lies
within the residual of θ). Measured on the lecture's MLP, warm-started: θ_4 agrees with the converged
value to 1e-4, so a warm estimate costs 3-4 products with tol = 1e-3. The loss is the training loss
R(θ) = L + λΩ on a fixed seeded subset of the training set, so successive estimates are comparable.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import torch

from sgd_tui.core.theory.flat import flatten, unflatten

__all__ = ["stability_limit", "lanczos_top", "hessian_vector_product", "fixed_subset", "SharpnessMeter"]


def stability_limit(optimizer: str, hyper: dict[str, Any], lr: float) -> float | None:
    """The largest λmax at which ``optimizer`` with ``hyper`` and step ``lr`` is stable on a quadratic
    (the module docstring; derived in :mod:`sgd_tui.core.theory.quadratic`); None when it has no such limit (Adam, ...)."""
    from sgd_tui.core.theory.quadratic import lambda_limit  # lazy: numpy

    return lambda_limit(optimizer, hyper, lr)


def fixed_subset(n: int, size: int | None, seed: int, device: torch.device | str = "cpu") -> torch.Tensor | None:
    """``size`` training indices drawn without replacement by a generator seeded with ``seed`` (sorted), or
    None (= the whole set) when ``size`` is None or covers the set."""
    if size is None or size >= n:
        return None
    idx = torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:size].sort().values
    return idx.to(device)



def hessian_vector_product(loss_fn: Callable[[list[torch.Tensor]], torch.Tensor],
                           params: Sequence[torch.Tensor]) -> tuple[Callable[[torch.Tensor], torch.Tensor], int]:
    """(v ↦ H v on flat vectors, dimension) for the Hessian of ``loss_fn`` at ``params`` (not modified):
    the gradient's graph is built once, each product is one double backward through it."""
    leaves = [p.detach().requires_grad_() for p in params]
    with torch.enable_grad():
        loss = loss_fn(leaves)
        grads = torch.autograd.grad(loss, leaves, create_graph=True)

    def matvec(v: torch.Tensor) -> torch.Tensor:
        hv = torch.autograd.grad(grads, leaves, grad_outputs=unflatten(v, leaves), retain_graph=True,
                                 allow_unused=True)
        return flatten([torch.zeros_like(p) if h is None else h for h, p in zip(hv, leaves)])

    return matvec, sum(p.numel() for p in leaves)


def lanczos_top(matvec: Callable[[torch.Tensor], torch.Tensor], v0: torch.Tensor, max_iter: int = 30,
                tol: float = 1e-3) -> tuple[float, torch.Tensor, int]:
    """The largest eigenvalue of the symmetric operator ``matvec`` and its unit eigenvector, by Lanczos
    from ``v0`` with full reorthogonalisation: (θ, y, products used). Stops when θ grew by at most tol·|θ|
    in the last product, when ‖H y - θ y‖ ≤ tol·|θ|, after ``max_iter`` products, or when the Krylov space
    is exhausted (then θ is exact)."""
    n = v0.numel()
    q = v0 / torch.linalg.vector_norm(v0)
    Q = [q]
    alphas: list[float] = []
    betas: list[float] = []
    theta, s = 0.0, torch.ones(1, dtype=torch.float64)
    k = 0
    for k in range(1, min(max_iter, n) + 1):
        w = matvec(Q[-1])
        a = float(torch.dot(w, Q[-1]))
        alphas.append(a)
        for _ in range(2):  # full reorthogonalisation, twice is enough (Kahan)
            for qi in Q:
                w = w - torch.dot(w, qi) * qi
        b = float(torch.linalg.vector_norm(w))
        T = torch.diag(torch.tensor(alphas, dtype=torch.float64))
        if betas:
            off = torch.tensor(betas, dtype=torch.float64)
            T += torch.diag(off, 1) + torch.diag(off, -1)
        evals, evecs = torch.linalg.eigh(T)
        previous, theta, s = theta, float(evals[-1]), evecs[:, -1]
        scale = max(abs(theta), 1e-30)
        residual = b * abs(float(s[-1]))
        settled = k >= 2 and theta - previous <= tol * scale
        if settled or residual <= tol * scale or b <= 1e-12 * max(abs(theta), 1.0) or k == n:
            break
        betas.append(b)
        Q.append(w / b)
    y = sum(float(s[i]) * Q[i] for i in range(len(alphas)))
    return theta, y / torch.linalg.vector_norm(y), k


class SharpnessMeter:
    """λmax of one run's training loss on a fixed subset, warm-started from the previous eigenvector.

    ``problem`` needs ``params``, ``n_train`` and ``training_loss(params, idx)`` (dataset and regression
    objectives); a surface (no data) uses its exact Hessian instead.
    """

    def __init__(self, problem, subset: int | None = 1000, seed: int = 0, tol: float = 1e-3, max_iter: int = 30):
        self.problem = problem
        self.tol, self.max_iter = tol, max_iter
        device = problem.params[0].device
        self.idx = fixed_subset(problem.n_train, subset, seed + 1, device) if problem.n_train else None
        self.vector: torch.Tensor | None = None  # the last λmax eigenvector
        self.scaled_vector: torch.Tensor | None = None  # the last S H S eigenvector (its warm start)
        self._gen = torch.Generator().manual_seed(seed + 2)
        self.products = 0  # Hessian-vector products of the last estimate

    def measure(self, scale: torch.Tensor | None = None, shift: float = 0.0) -> float:
        """λmax at the problem's current parameters (the parameters and their .grad are not touched).

        With ``scale`` = s (a flat vector, one entry per weight) it is the top eigenvalue of
        S(H + shift·I)S, S = diag(s): with s = P^(-1/2) that is P⁻¹(H + shift·I)'s (similar matrices), the
        preconditioned sharpness of an adaptive method (:mod:`sgd_tui.core.theory.preconditioned`). The
        scaled operator keeps its own warm-start vector; ``products`` then adds its products."""
        p = self.problem
        if not hasattr(p, "training_loss"):  # a surface: the 2x2 Hessian is exact and cheap
            self.products = 0
            H = p.hessian(None).to(torch.float64)
            if scale is not None:
                s = scale.detach().to(torch.float64).reshape(-1)
                H = s[:, None] * (H + shift * torch.eye(len(s), dtype=torch.float64)) * s[None, :]
            lam = float(torch.linalg.eigvalsh(H)[-1]) if bool(torch.isfinite(H).all()) else math.nan
            return lam
        matvec, n = hessian_vector_product(lambda ps: p.training_loss(ps, self.idx), p.params)
        ref = p.params[0]
        if scale is not None:
            s = scale.detach().reshape(-1).to(ref.device, ref.dtype)
            if s.numel() != n:
                raise ValueError(f"scale has {s.numel()} entries for {n} weights")
            inner = matvec

            def matvec(v: torch.Tensor) -> torch.Tensor:  # noqa: F811 (the scaled operator)
                sv = s * v
                return s * (inner(sv) + shift * sv)

        v0 = self.vector if scale is None else self.scaled_vector
        if v0 is None:
            v0 = torch.randn(n, generator=self._gen, dtype=torch.float64).to(ref.device, ref.dtype)
        theta, y, k = lanczos_top(matvec, v0, self.max_iter, self.tol)
        self.products = k if scale is None else self.products + k
        if scale is None:
            self.vector = y.detach()
        else:
            self.scaled_vector = y.detach()
        return theta if math.isfinite(theta) else math.nan
