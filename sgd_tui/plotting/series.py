"""A bounded per-run store of training and evaluation records, the data every plot draws from.

:class:`RunSeries` keeps at most ``capacity`` logged points per run. When full it *decimates* on the step
axis (doubling ``q`` drops about every other point): with a bucket width ``q = 2**k`` steps it keeps the
first point of every bucket ``[j*q, (j+1)*q)``. Buckets are aligned to absolute step numbers and nest
when ``q`` doubles, so which points survive depends only on the data, not on when decimation happened
(the left part of a plot does not change while a run goes on). The first point and the newest point are
always kept. What a plot then does with the stored points (cleaning, thinning to the canvas, smoothing)
is in :mod:`.prepare`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from sgd_tui.core.run.records import EvalRecord, Record

__all__ = ["RunSeries", "X_KEYS"]

X_KEYS = ("step", "samples", "epoch", "time")

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
        self.marks: list[tuple[int, str]] = []  # (step, "lr 0.01→0.1"): the run's hyperparameter changes

    def set_marks(self, marks: Iterable[tuple[int, str]]) -> None:
        """The run's hyperparameter changes, drawn as ticks on the loss plot at their steps."""
        self.marks = list(marks)
        self.version += 1

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
