"""Per-run data of the noise-scale plot (no Textual): a run's B_simple measurements (budget ``noise_every``,
:class:`~sgd_tui.core.run.records.NoiseRecord`) in bounded memory, with the loss plot's x values."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from sgd_tui.core.run.records import NoiseRecord

__all__ = ["NoiseSeries"]


class NoiseSeries:
    """A run's B_simple measurements; ``version`` bumps on every change (plots redraw only then). At
    ``capacity`` every other measurement is dropped (the first and the newest kept)."""

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = max(4, int(capacity))
        self.records: list[NoiseRecord] = []
        self.version = 0

    def __len__(self) -> int:
        return len(self.records)

    def extend(self, records: Iterable[NoiseRecord]) -> None:
        new = list(records)
        if not new:
            return
        self.records.extend(new)
        while len(self.records) > self.capacity:
            self.records = self.records[:-1:2] + self.records[-1:]
        self.version += 1

    @property
    def last(self) -> NoiseRecord | None:
        return self.records[-1] if self.records else None

    def xy(self, x_key: str = "step", n_train: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(x, B_simple) with x the step, the samples seen, the epoch (samples / n_train) or the run's time."""
        rs = self.records
        if x_key == "samples":
            xs = [r.samples for r in rs]
        elif x_key == "epoch":
            xs = [r.samples / n_train if n_train else math.nan for r in rs]
        elif x_key == "time":
            xs = [r.time_s for r in rs]
        else:
            xs = [r.step for r in rs]
        return np.asarray(xs, dtype=float), np.asarray([r.b_simple for r in rs], dtype=float)
