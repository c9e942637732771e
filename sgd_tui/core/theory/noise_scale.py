"""The gradient noise scale B_simple = tr(Σ)/|G|² (McCandlish et al. 2018, "An Empirical Model of Large-Batch
Training"), measured between steps on a fixed seeded subset of the training set.

G is the full-batch gradient of the training risk R(θ) = mean_i ℓ_i(θ) (+ λΩ(θ)), Σ the covariance of one
example's gradient g_i = ∇ℓ_i(θ) over the training set. A batch of B examples has gradient noise tr(Σ)/B, so
B_simple is the batch at which the noise equals the signal: below it a doubled batch nearly halves the steps
a target takes, above it buys almost nothing (the critical batch, :mod:`sgd_tui.core.sweep.critical_batch`).

How it is measured here: the per-example gradients g_i of the subset's m examples, **exactly**, with
``torch.func.vmap(torch.func.grad(ℓ))`` (not the paper's two-batch-size estimator), in chunks so memory stays
bounded (about :data:`CHUNK_BYTES` at a time), accumulated in float64 as Σ g_i and Σ |g_i|²:

* the subset is the whole training set (m = N): the exact population values,
  G = ḡ = (1/N) Σ g_i and tr(Σ) = (1/N) Σ |g_i - ḡ|²;
* a subset of m < N drawn without replacement: tr(Σ) ≈ (1/(m-1)) Σ |g_i - ḡ|² (unbiased), and since
  E|ḡ|² = |G|² + (1 - m/N) tr(Σ)/m, |G|² ≈ |ḡ|² - (1 - m/N) tr(Σ)/m (the same correction as the paper's
  unbiased |G|² estimate). When the noise swamps the signal at this subset size (the estimate ≤ 0, near a
  minimum) B_simple is NaN: "not resolved"; a bigger ``noise_subset`` resolves it.

A penalty λΩ is in every ℓ_i, so it moves G and cancels in Σ. The loss of one example is the objective's
``training_loss`` on a batch of one (class weights of a weighted cross-entropy cancel in a batch of one, so
with class weights G is the unweighted mean: a small difference, said here). The run's meter, which takes
these measurements every ``noise_every`` steps, is :mod:`sgd_tui.core.run.noise_meter`.
"""

from __future__ import annotations

import math
import warnings
from typing import NamedTuple

import torch

__all__ = ["NoiseScale", "per_example_moments", "noise_scale", "CHUNK_BYTES"]

CHUNK_BYTES = 64 * 2**20  # per-example gradients held at once (a FashionMNIST MLP: ~25 examples a chunk)


class NoiseScale(NamedTuple):
    """One estimate: B_simple = trace_sigma / grad_norm_sq (NaN when |G|² is not resolved), on m examples."""

    b_simple: float
    trace_sigma: float
    grad_norm_sq: float
    m: int


def per_example_moments(loss_one, params: list[torch.Tensor], idx: torch.Tensor,
                        chunk: int | None = None) -> tuple[torch.Tensor, float, int]:
    """(Σ_i g_i as a flat float64 vector, Σ_i |g_i|², m) over the examples ``idx``, where
    g_i = ∇_θ loss_one(params, i) (``i`` a 1-element index tensor), by vmap(grad) in chunks."""
    from torch.func import grad, vmap  # lazy: torch (func transforms)

    n_params = sum(p.numel() for p in params)
    size = params[0].element_size()
    if chunk is None:
        chunk = max(1, min(1024, CHUNK_BYTES // max(1, n_params * size)))
    leaves = [p.detach() for p in params]
    per_example = vmap(grad(lambda ps, i: loss_one(ps, i.reshape(1))), in_dims=(None, 0))
    totals = [torch.zeros(p.numel(), dtype=torch.float64, device=p.device) for p in leaves]
    sq = torch.zeros((), dtype=torch.float64, device=leaves[0].device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # vmap falls back to a loop for a few losses (kl_div) and says so
        for lo in range(0, idx.numel(), chunk):
            for total, g in zip(totals, per_example(leaves, idx[lo:lo + chunk])):
                g = g.reshape(g.shape[0], -1)  # (chunk, numel) in the model's dtype; sums kept in float64
                total += g.sum(0, dtype=torch.float64)
                sq += torch.linalg.vector_norm(g, dim=1, dtype=torch.float64).square().sum()
    return torch.cat(totals), float(sq), int(idx.numel())  # note: a CPU-GPU sync point


def noise_scale(sum_g: torch.Tensor, sum_sq: float, m: int, n: int) -> NoiseScale:
    """B_simple from the moments of m per-example gradients of a set of n (see the module docstring)."""
    mean = sum_g / m
    mean_sq = float(mean @ mean)
    if not (math.isfinite(mean_sq) and math.isfinite(sum_sq)):  # a diverged run: nothing to measure
        return NoiseScale(math.nan, math.nan, math.nan, m)
    spread = max(0.0, sum_sq - m * mean_sq)  # Σ |g_i - ḡ|², ≥ 0 up to rounding
    if m >= n:
        trace, g2 = spread / m, mean_sq
    else:
        trace = spread / (m - 1) if m > 1 else math.nan
        g2 = mean_sq - (1.0 - m / n) * trace / m
    b = trace / g2 if g2 > 0 and math.isfinite(g2) and math.isfinite(trace) else math.nan
    return NoiseScale(b, trace, g2, m)
