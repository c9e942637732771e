"""Preparing a series for drawing: value cleaning, min/max thinning, smoothing, path clamping and thinning.

Conventions
-----------
* :func:`sanitize` drops what plotext cannot draw (NaN, ±inf, values <= 0 on a log axis) and clips the
  rest to ``±LIMIT`` so that axis arithmetic (``hi - lo``) cannot overflow.
* :func:`thin` reduces a series to at most two points (the minimum and the maximum) per x-bucket, plus
  the endpoints; with buckets laid on fixed axis limits (snapped, see :mod:`.scales`), an unchanged
  stretch of data thins the same way on every frame.
* :func:`ema` is the debiased exponential moving average ``s_t = w s_{t-1} + (1 - w) y_t``,
  ``ŝ_t = s_t / (1 - w^(t+1))`` (the TensorBoard smoothing).
* :func:`clamp_path` keeps a 2-D path inside the view (a diverging run runs along the edge instead of
  rescaling the axes to 1e300); :func:`thin_path` drops the points that would draw nothing new.

Plain NumPy functions on arrays (inputs may be any sequences; outputs are new float arrays).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["LIMIT", "sanitize", "thin", "ema", "clamp_path", "thin_path"]

LIMIT = 1e300  # values are clipped to ±LIMIT before they reach an axis


def sanitize(xs, ys, log: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Keep the pairs plotext can draw: both finite, and y > 0 when ``log``; clip to ±LIMIT. Returns copies."""
    xs = np.asarray(xs, dtype=float)
    ys = np.asarray(ys, dtype=float)
    n = min(len(xs), len(ys))
    xs, ys = xs[:n], ys[:n]
    ok = np.isfinite(xs) & np.isfinite(ys)
    if log:
        ok &= ys > 0
    return _clip(xs[ok], -LIMIT, LIMIT), _clip(ys[ok], -LIMIT, LIMIT)


def _clip(a: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """np.clip, in place and only when needed (np.clip itself is slow on large arrays)."""
    if len(a) and (a.min() < lo or a.max() > hi):
        np.minimum(a, hi, out=a)
        np.maximum(a, lo, out=a)
    return a


def thin(xs, ys, n_buckets: int, lo: float | None = None, hi: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Min/max-preserving thinning: per x-bucket the first point with the smallest y and the first with the
    largest y, plus the first and last points; at most ``2 * n_buckets + 2`` points, in x order.

    The buckets are ``[lo + j*w, lo + (j+1)*w)`` with ``w = (hi - lo) / n_buckets``; pass fixed (snapped)
    axis limits as ``lo``/``hi`` so that the buckets stay put while data arrives. ``xs`` must be sorted
    and both arrays finite (see :func:`sanitize`).
    """
    xs = np.asarray(xs, dtype=float)
    ys = np.asarray(ys, dtype=float)
    n = len(xs)
    if n <= 2 or n_buckets < 1:
        return xs.copy(), ys.copy()
    lo = float(xs[0]) if lo is None else float(lo)
    hi = float(xs[-1]) if hi is None else float(hi)
    width = (hi - lo) / n_buckets
    if not (math.isfinite(width) and width > 0):
        buckets = np.zeros(n, dtype=np.int64)
    else:
        buckets = np.floor((xs - lo) / width)
    new = np.empty(n, dtype=bool)
    new[0] = True
    new[1:] = buckets[1:] != buckets[:-1]
    starts = np.flatnonzero(new)
    seg = np.cumsum(new) - 1
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    for reduce in (np.minimum, np.maximum):
        extreme = reduce.reduceat(ys, starts)
        hit = np.flatnonzero(ys == extreme[seg])
        first = np.ones(len(hit), dtype=bool)
        first[1:] = seg[hit[1:]] != seg[hit[:-1]]
        keep[hit[first]] = True
    return xs[keep], ys[keep]


def _affine_scan(mult: np.ndarray, add: np.ndarray) -> np.ndarray:
    """s_i = mult_i * s_{i-1} + add_i with s_{-1} = 0, as a parallel prefix scan (log2(n) NumPy passes)."""
    mult, acc = mult.astype(float), add.astype(float)
    d = 1
    while d < len(acc):
        acc[d:] = mult[d:] * acc[:-d] + acc[d:]
        mult[d:] = mult[d:] * mult[:-d]
        d *= 2
    return acc


def ema(ys, weight: float) -> np.ndarray:
    """Debiased exponential moving average with smoothing ``weight`` w in [0, 1) (0 = no smoothing).

    Blocked for speed: inside a block of B points, ``s_j = (1 - w) w^j sum_{k<=j} w^-k y_k`` is a cumsum
    (B chosen so that w^-B <= 1e4, which bounds the rounding error by ~1e-12 of the block's largest
    value); the carries between blocks are the recursion ``c_i = w^B c_{i-1} + s_end,i``, solved by a
    prefix scan. The data are scaled to [-1, 1] first, so no intermediate can overflow.
    """
    ys = np.asarray(ys, dtype=float)
    w = float(weight)
    n = len(ys)
    if not 0.0 < w < 1.0 or n == 0:
        return ys.copy()
    scale = float(np.max(np.abs(ys))) or 1.0
    block = int(max(1, min(n, 4.0 / -math.log10(w))))
    m = -(-n // block)
    y = np.zeros(m * block)
    y[:n] = ys / scale
    y = y.reshape(m, block)
    log_w = math.log(w)
    k = np.arange(block)
    inner = (1.0 - w) * np.cumsum(y * np.exp(-log_w * k), axis=1) * np.exp(log_w * k)  # EMA from 0
    carry = _affine_scan(np.full(m, w**block), inner[:, -1])  # the EMA at the end of each block
    start = np.r_[0.0, carry[:-1]]
    s = (inner + start[:, None] * np.exp(log_w * (k + 1))).ravel()[:n]
    return scale * s / -np.expm1(log_w * np.arange(1, n + 1))  # debias: divide by 1 - w^(t+1)


def clamp_path(xs, ys, bounds) -> tuple[np.ndarray, np.ndarray]:
    """Drop non-finite points of a 2-D path and clamp the rest into ``bounds = ((x0, x1), (y0, y1))``."""
    xs, ys = sanitize(xs, ys)
    (x0, x1), (y0, y1) = bounds
    return _clip(xs, x0, x1), _clip(ys, y0, y1)


def thin_path(xs, ys, bounds, sub_w: int, sub_h: int, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Thin a clamped path for drawing on a grid of ``sub_w`` x ``sub_h`` dots spanning ``bounds``: drop
    points that stay in the same dot as the previous kept one (they draw nothing new), then, if still
    longer than ``max_points``, keep an even stride plus the end. The first and last points are kept."""
    xs = np.asarray(xs, dtype=float)
    ys = np.asarray(ys, dtype=float)
    if len(xs) == 0:
        return xs.copy(), ys.copy()
    (x0, x1), (y0, y1) = bounds
    cx = np.floor((xs - x0) / max(x1 - x0, 1e-300) * (sub_w - 1) + 0.5)
    cy = np.floor((ys - y0) / max(y1 - y0, 1e-300) * (sub_h - 1) + 0.5)
    keep = np.ones(len(xs), dtype=bool)
    keep[1:] = (cx[1:] != cx[:-1]) | (cy[1:] != cy[:-1])
    keep[-1] = True
    xs, ys = xs[keep], ys[keep]
    if len(xs) > max_points:
        idx = np.unique(np.r_[np.linspace(0, len(xs) - 1, max_points).astype(np.int64), len(xs) - 1])
        xs, ys = xs[idx], ys[idx]
    return xs, ys
