r"""The (α, β) rate map of the theory panel: ρ(α, β) of heavy ball or Nesterov on the local quadratic model
(:mod:`sgd_tui.core.theory.quadratic`), over a grid of step sizes α and momenta β, with the run's (α, β) and the
optimum (α*, β*) marked. GD is heavy ball with β = 0, so it is drawn on the heavy-ball map. Pure numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sgd_tui.core.theory.quadratic import Dynamics, LocalModel, optimum, rate

__all__ = ["RateMap", "rate_map", "rate_map_grid"]


@dataclass(frozen=True)
class RateMap:
    """ρ(α, β) on a grid: ``rho[j, i]`` at (``alphas[i]``, ``betas[j]``), α in the run's lr units."""

    method: str
    alphas: np.ndarray
    betas: np.ndarray
    rho: np.ndarray
    current: tuple[float, float] | None
    optimum: tuple[float, float] | None
    rate_opt: float | None


def rate_map(method: str, eigenvalues, alphas, betas) -> np.ndarray:
    """ρ over the grid betas × alphas (rows × columns), α as in the recurrence; one vectorised pass."""
    return rate(method, np.asarray(alphas, dtype=float)[None, :], np.asarray(betas, dtype=float)[:, None],
                eigenvalues)


def rate_map_grid(dyn: Dynamics, model: LocalModel, cols: int = 120, rows: int = 40) -> RateMap | None:
    """The heat map's data: α ∈ (0, 1.2·sup_β limit] (extended to show the run's α), β ∈ [0, 1).
    GD is drawn on the heavy-ball map (GD = heavy ball with β = 0). None without a closed form."""
    method = "heavy_ball" if dyn.method == "gd" else dyn.method
    if method not in ("heavy_ball", "nesterov") or not model.finite:
        return None
    lam_min, lam_max = model.lam_min + dyn.shift, model.lam_max + dyn.shift
    if lam_max <= 0 or dyn.scale <= 0:
        return None
    sup = 4.0 if method == "heavy_ball" else 2.0  # sup over β ∈ [0, 1) of the α·λmax limit
    a_max = 1.2 * sup / (lam_max * dyn.scale)
    if dyn.alpha is not None and math.isfinite(dyn.alpha):
        a_max = max(a_max, 1.05 * dyn.alpha)
    alphas = a_max * np.arange(1, cols + 1) / cols
    betas = np.arange(rows) / rows
    eig = [lam for lam in (lam_min, lam_max) if lam > 0]
    rho = rate_map(method, eig, alphas * dyn.scale, betas)
    opt = optimum(method, lam_min, lam_max) if lam_min > 0 else None
    cur = None if dyn.alpha is None else (dyn.alpha, dyn.beta or 0.0)
    return RateMap(method, alphas, betas, rho, cur, None if opt is None else (opt[0] / dyn.scale, opt[1]),
                   None if opt is None else opt[2])
