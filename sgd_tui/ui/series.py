"""Per-run plot data: a bounded store of records, and the pure helpers that prepare series for plotext.

Conventions
-----------
* :class:`RunSeries` keeps at most ``capacity`` logged points per run. When full it *decimates* on the
  step axis (doubling ``q`` drops about every other point): with a bucket width ``q = 2**k`` steps it
  keeps the first point of every bucket
  ``[j*q, (j+1)*q)``. Buckets are aligned to absolute step numbers and nest when ``q`` doubles, so which
  points survive depends only on the data, not on when decimation happened (the left part of a plot
  does not change while a run goes on). The first point and the newest point are always kept.
* :func:`thin` reduces a series to at most two points (the minimum and the maximum) per x-bucket, plus
  the endpoints; with buckets laid on fixed axis limits, an unchanged stretch of data thins the same way
  on every frame.
* :func:`sanitize` drops what plotext cannot draw (NaN, ±inf, values <= 0 on a log axis) and clips the
  rest to ``±LIMIT`` so that axis arithmetic (``hi - lo``) cannot overflow.
* :func:`ema` is the debiased exponential moving average ``s_t = w s_{t-1} + (1 - w) y_t``,
  ``ŝ_t = s_t / (1 - w^(t+1))`` (the TensorBoard smoothing).

No Textual import here: these are plain NumPy functions, tested on numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ..core.records import EvalRecord, Record

__all__ = ["RunSeries", "X_KEYS", "LIMIT", "thin", "sanitize", "ema", "clamp_path"]

X_KEYS = ("step", "samples", "epoch", "time")
LIMIT = 1e300  # values are clipped to ±LIMIT before they reach an axis

# rows of the RunSeries buffer
_STEP, _SAMPLES, _TIME, _LOSS, _X, _Y = range(6)


def _keep_first_per_bucket(keys: np.ndarray, prev_key: float | None) -> np.ndarray:
    """Mask of the entries whose bucket key differs from the previous entry's (``prev_key`` before the first)."""
    keep = np.empty(len(keys), dtype=bool)
    if len(keys):
        keep[0] = prev_key is None or keys[0] != prev_key
        keep[1:] = keys[1:] != keys[:-1]
    return keep


class RunSeries:
    """A bounded per-run store of training records and evaluation records.

    ``version`` increases on every change, so a plot can tell cheaply whether it must redraw. The arrays
    returned by :meth:`xy`, :meth:`path` and :meth:`evals` are read-only views, valid until the next
    :meth:`extend`; copy them to keep them.
    """

    def __init__(self, capacity: int = 16384, n_train: int | None = None, eval_capacity: int = 4096):
        if capacity < 4 or eval_capacity < 4:
            raise ValueError("RunSeries capacity must be at least 4")
        self.capacity = int(capacity)
        self.eval_capacity = int(eval_capacity)
        self.n_train = n_train
        self.version = 0
        self.last: Record | None = None
        self.best_loss: float | None = None
        self.quantum = 1  # decimation bucket width in steps (a power of two)
        self._data = np.empty((6, self.capacity), dtype=float)
        self._n = 0
        self._tail = False  # the newest stored point is not the first of its bucket (replaced by the next)
        self._evals = np.empty((3, 0), dtype=float)  # epoch, test_loss, test_accuracy

    def __len__(self) -> int:
        return self._n

    # ------------------------------------------------------------------ ingest
    def extend(self, records: Iterable[Record]) -> None:
        """Append logged training records (in step order)."""
        records = list(records)
        if not records:
            return
        nan = math.nan
        new = np.array(
            [
                (
                    r.step,
                    r.samples,
                    r.time_s,
                    nan if r.loss is None else r.loss,
                    nan if r.x is None else r.x,
                    nan if r.y is None else r.y,
                )
                for r in records
            ],
            dtype=float,
        ).T
        self.last = records[-1]
        losses = new[_LOSS][np.isfinite(new[_LOSS])]
        if len(losses):
            low = float(losses.min())
            self.best_loss = low if self.best_loss is None else min(self.best_loss, low)

        n = self._n - 1 if self._tail else self._n  # a tail is always superseded by newer points
        prev_key = self._data[_STEP, n - 1] // self.quantum if n else None
        keep = _keep_first_per_bucket(new[_STEP] // self.quantum, prev_key)
        tail = not keep[-1]
        keep[-1] = True
        kept = new[:, keep]
        if n + kept.shape[1] <= self.capacity:
            self._data[:, n : n + kept.shape[1]] = kept
            self._n = n + kept.shape[1]
            self._tail = tail
        else:
            self._decimate(np.concatenate([self._data[:, :n], kept], axis=1))
        self.version += 1

    def _decimate(self, data: np.ndarray) -> None:
        """Double the bucket width until the points fit (about every other point goes), keeping the first and
        the newest. The result is the smallest power-of-two width at which the data fit, however the data
        arrived in batches."""
        while True:
            self.quantum *= 2
            keep = _keep_first_per_bucket(data[_STEP] // self.quantum, None)
            keep[-1] = True
            if keep.sum() <= self.capacity:
                break
        data = data[:, keep]
        self._tail = len(data[_STEP]) > 1 and data[_STEP, -1] // self.quantum == data[_STEP, -2] // self.quantum
        self._n = data.shape[1]
        self._data[:, : self._n] = data

    def extend_evals(self, evals: Iterable[EvalRecord]) -> None:
        """Append per-epoch evaluations; beyond ``eval_capacity`` every other one is dropped (first/last kept)."""
        evals = list(evals)
        if not evals:
            return
        new = np.array([(e.epoch, e.test_loss, e.test_accuracy) for e in evals], dtype=float).T
        data = np.concatenate([self._evals, new], axis=1)
        while data.shape[1] > self.eval_capacity:
            keep = np.zeros(data.shape[1], dtype=bool)
            keep[::2] = True
            keep[-1] = True
            data = data[:, keep]
        self._evals = data
        self.version += 1

    # ------------------------------------------------------------------ read
    def _view(self, row: int) -> np.ndarray:
        v = self._data[row, : self._n]
        v.flags.writeable = False
        return v

    def xy(self, x_key: str) -> tuple[np.ndarray, np.ndarray]:
        """(x, loss) of the stored points; x_key is step | samples | epoch | time.

        ``epoch`` is fractional, ``samples / n_train``, when the training-set size is known, else the step.
        """
        if x_key == "step":
            xs = self._view(_STEP)
        elif x_key == "samples":
            xs = self._view(_SAMPLES)
        elif x_key == "time":
            xs = self._view(_TIME)
        elif x_key == "epoch":
            xs = self._view(_SAMPLES) / self.n_train if self.n_train else self._view(_STEP)
        else:
            raise ValueError(f"x_key must be one of {', '.join(X_KEYS)}, not {x_key!r}")
        return xs, self._view(_LOSS)

    def path(self) -> tuple[np.ndarray, np.ndarray]:
        """Parameters (x, y) of a 2-D run, NaN where a record had none."""
        return self._view(_X), self._view(_Y)

    def evals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(epoch, test_loss, test_accuracy) of the stored evaluations."""
        epochs, loss, acc = (row.copy() for row in self._evals)
        return epochs, loss, acc


# ---------------------------------------------------------------------------- pure helpers
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
