"""The noisy quadratic model (Zhang et al. 2019, "Which Algorithmic Choices Matter at Which Batch Sizes?
Insights From a Noisy Quadratic Model"): a quadratic whose stochastic gradient's noise shrinks as 1/B.

    L(θ) = ½ Σ_i h_i θ_i²,      g = H θ + ε,   E ε = 0,   Cov ε = C / B   (diagonal: c_i / B)

Every coordinate is on its own. For heavy ball (SGD when β = 0), θ_{t+1} = θ_t - α g_t + β (θ_t - θ_{t-1}),
so with a = 1 + β - α h, θ_{t+1} = a θ_t - β θ_{t-1} - α ε_t, and the second moments follow exactly

    E θ²_{t+1}        = a² E θ²_t - 2aβ E θ_t θ_{t-1} + β² E θ²_{t-1} + α² c / B
    E θ_{t+1} θ_t     = a E θ²_t - β E θ_t θ_{t-1}

(the noise is independent of the past), so the expected loss E L_t = ½ Σ h_i E θ²_{t,i} is known exactly at
every step (:func:`expected_loss`: this recurrence, no sampling; for SGD it sums to the familiar
E θ²_t = (1-αh)^{2t} θ_0² + α² (c/B) (1 - (1-αh)^{2t}) / (1 - (1-αh)²)). :func:`simulate_loss` draws the
noise and averages many runs: the Monte-Carlo check. :func:`steps_to_target` tunes α (and β) per batch
size for the fewest steps to a target loss, which is what the critical batch is defined on.

The model here: d = 100 coordinates, h_i = 1/i (an ill-conditioned spectrum like a network's), C = H (the
noise where the curvature is, as Zhang et al. take it), θ_0 = 1 in every coordinate. No torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["NQM", "default_nqm", "expected_loss", "simulate_loss", "steps_to_target"]


@dataclass(frozen=True)
class NQM:
    h: np.ndarray  # curvatures h_i
    c: np.ndarray  # per-example gradient noise variances c_i (a batch of B has c_i / B)
    theta0: np.ndarray

    def loss(self, theta_sq: np.ndarray) -> np.ndarray:
        """½ Σ h_i E θ_i² over the last axis."""
        return 0.5 * (theta_sq * self.h).sum(-1)


def default_nqm(d: int = 100) -> NQM:
    h = 1.0 / np.arange(1, d + 1, dtype=float)
    return NQM(h, h.copy(), np.ones(d))


def _moments(nqm: NQM, lr: np.ndarray, momentum: np.ndarray):
    """The recurrence's coefficients for the (n, 1) hyperparameters against the d coordinates."""
    a = 1.0 + momentum - lr * nqm.h
    return a, momentum


def expected_loss(nqm: NQM, lr, batch: float, steps: int, momentum=0.0) -> np.ndarray:
    """E L_t for t = 0..steps, exactly (the module's recurrence); ``lr`` and ``momentum`` broadcast to (n,):
    the result is (n, steps + 1), or (steps + 1,) for scalars."""
    scalar = np.ndim(lr) == 0 and np.ndim(momentum) == 0
    lr_, beta = np.broadcast_arrays(np.atleast_1d(np.asarray(lr, float)), np.atleast_1d(np.asarray(momentum, float)))
    lr_, beta = lr_[:, None], beta[:, None]
    a, b = _moments(nqm, lr_, beta)
    noise = lr_**2 * nqm.c / batch
    s = np.broadcast_to(nqm.theta0**2, a.shape).copy()  # E θ_t²
    cross = s.copy()  # E θ_t θ_{t-1} (θ_{-1} = θ_0: the first step has no momentum)
    prev = s.copy()  # E θ²_{t-1}
    out = np.empty((a.shape[0], steps + 1))
    out[:, 0] = nqm.loss(s)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            s_new = a * a * s - 2 * a * b * cross + b * b * prev + noise
            cross_new = a * s - b * cross
            prev, s, cross = s, s_new, cross_new
            out[:, t] = nqm.loss(s)
    return out[0] if scalar else out


def simulate_loss(nqm: NQM, lr: float, batch: float, steps: int, momentum: float = 0.0, runs: int = 2000,
                  seed: int = 0) -> np.ndarray:
    """The mean loss over ``runs`` simulated runs (Gaussian noise of variance c/B), t = 0..steps."""
    rng = np.random.default_rng(seed)
    theta = np.broadcast_to(nqm.theta0, (runs, nqm.h.size)).copy()
    before = theta.copy()
    sd = np.sqrt(nqm.c / batch)
    out = np.empty(steps + 1)
    out[0] = nqm.loss(theta**2).mean()
    for t in range(1, steps + 1):
        g = nqm.h * theta + sd * rng.standard_normal(theta.shape)
        theta, before = theta - lr * g + momentum * (theta - before), theta
        out[t] = nqm.loss(theta**2).mean()
    return out


def steps_to_target(nqm: NQM, batch: float, target: float, lrs, momenta=(0.0,), max_steps: int = 100_000
                    ) -> tuple[int | None, float | None, float | None]:
    """(fewest steps, its α, its β) for the expected loss to reach ``target`` over the grid ``lrs`` × ``momenta``
    (the first step any of them reaches it; None when none does within ``max_steps``)."""
    lr_g, beta_g = np.meshgrid(np.asarray(lrs, float), np.asarray(momenta, float))
    lr_, beta = lr_g.reshape(-1, 1), beta_g.reshape(-1, 1)
    a, b = _moments(nqm, lr_, beta)
    noise = lr_**2 * nqm.c / batch
    s = np.broadcast_to(nqm.theta0**2, a.shape).copy()
    cross, prev = s.copy(), s.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, max_steps + 1):
            s_new = a * a * s - 2 * a * b * cross + b * b * prev + noise
            cross = a * s - b * cross
            prev, s = s, s_new
            hit = np.flatnonzero(nqm.loss(s) <= target)
            if hit.size:
                k = int(hit[0])
                return t, float(lr_[k, 0]), float(beta[k, 0])
    return None, None, None
