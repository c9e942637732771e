"""Per-run data of the network views (no Textual): the λmax measurements and a slice's paths as arrays.

:class:`MeasurementSeries` holds a run's measurements in bounded memory (when ``capacity`` is reached
every other one is dropped, the first and the newest kept) and :func:`x_values` gives them the x values
the loss plot uses (step, samples, epoch = samples / n, time) so the plots share an axis;
:class:`SharpnessSeries` is the λmax stream. :class:`PathSeries` is a projected path ((a, b) per kept snapshot) in the shape the trajectory
plot draws (``path()``, ``version``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from sgd_tui.core.run.records import SharpnessRecord

__all__ = ["MeasurementSeries", "x_values", "SharpnessSeries", "PathSeries", "limit_formula", "sharpness_plot_series"]


class MeasurementSeries:
    """A run's measurements taken every so many steps (λmax, B_simple: records with ``step``, ``samples``,
    ``time_s``), in bounded memory: at ``capacity`` every other one is dropped, the first and the newest
    kept. ``version`` bumps on every change (plots redraw only then)."""

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = max(4, int(capacity))
        self.records: list = []
        self.version = 0

    def __len__(self) -> int:
        return len(self.records)

    def extend(self, records: Iterable) -> None:
        new = list(records)
        if not new:
            return
        self.records.extend(new)
        self._extended()
        while len(self.records) > self.capacity:
            self.records = self.records[:-1:2] + self.records[-1:]
        self.version += 1

    def _extended(self) -> None:
        """What a subclass does when new measurements arrive (before the thinning)."""

    @property
    def last(self):
        return self.records[-1] if self.records else None


def x_values(records: Iterable, x_key: str = "step", n_train: int | None = None) -> list[float]:
    """The loss plot's x of each measurement: the step, the samples seen, the epoch (samples / n_train) or
    the run's time, so a measurement plot shares the loss plot's axis."""
    if x_key == "samples":
        return [r.samples for r in records]
    if x_key == "epoch":
        return [r.samples / n_train if n_train else math.nan for r in records]
    if x_key == "time":
        return [r.time_s for r in records]
    return [r.step for r in records]


class SharpnessSeries(MeasurementSeries):
    """A run's λmax measurements (:class:`~sgd_tui.core.run.records.SharpnessRecord`)."""

    def __init__(self, capacity: int = 4096) -> None:
        super().__init__(capacity)
        # (limit, hyperparameters) after a hyperparameter change, until the next measurement (which has it)
        self.changed: tuple[float | None, dict] | None = None

    def set_limit(self, limit: float | None, hyper: dict) -> None:
        """The stability limit at hyperparameters changed mid-run (``limit`` None: the method has none)."""
        self.changed = (limit, dict(hyper))
        self.version += 1

    def _extended(self) -> None:
        self.changed = None

    @property
    def preconditioned(self) -> bool:
        """Whether the run measures an adaptive method's preconditioned sharpness (P⁻¹H)."""
        return any(r.preconditioned is not None for r in self.records)

    def xy(self, x_key: str = "step", n_train: int | None = None,
           preconditioned: bool = False, ratio: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(x, λmax) with x the step, the samples seen, the epoch (samples / n_train) or the run's time;
        ``preconditioned``: (x, the top eigenvalue of P⁻¹H) at the measurements that have one; ``ratio``:
        (x, the measured quantity over the limit) at the measurements with a limit (η·λ/2 for GD)."""
        rs = [r for r in self.records if r.preconditioned is not None] if preconditioned else self.records
        if ratio:
            rs = [r for r in self.records if r.limit and (r.preconditioned is not None or not self.preconditioned)]
        xs = x_values(rs, x_key, n_train)
        ys = [r.measured / r.limit if ratio else r.preconditioned if preconditioned else r.lambda_max for r in rs]
        return np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)


def limit_formula(optimizer: str, hyper: dict) -> str | None:
    """How the stability limit on λmax reads for an optimizer (the table of :mod:`sgd_tui.core.theory.sharpness`,
    classified as :mod:`sgd_tui.core.theory.quadratic` does): "2/α", "2(1+β)/α", "(2+2β)/((1+2β)α)"; for an
    adaptive method the limit on its preconditioned sharpness, "(2+2β1)/((1−β1)α)" for Adam
    (:mod:`sgd_tui.core.theory.preconditioned`); None without one."""
    from sgd_tui.core.theory.preconditioned import LIMIT_FORMULAS  # lazy: numpy
    from sgd_tui.core.theory.quadratic import method_of  # lazy: numpy

    if optimizer in LIMIT_FORMULAS:
        return LIMIT_FORMULAS[optimizer]
    forms = {"gd": "2/α", "heavy_ball": "2(1+β)/α", "nesterov": "(2+2β)/((1+2β)α)"}
    return forms.get(method_of(optimizer, hyper)[0])


class PathSeries:
    """A projected path on a slice: ``path()`` = (a values, b values), as a run's series gives (x, y)."""

    def __init__(self, a: Iterable[float], b: Iterable[float], version: int = 0) -> None:
        self._a = np.asarray(list(a), dtype=float)
        self._b = np.asarray(list(b), dtype=float)
        self.version = version

    def path(self) -> tuple[np.ndarray, np.ndarray]:
        return self._a, self._b


def sharpness_plot_series(by_label: dict[str, list[SharpnessRecord]]) -> list[tuple[str, list[float], list[float]]]:
    """The headless sharpness.txt's series, (label, steps, values): each run's λmax, an adaptive run's
    preconditioned sharpness P⁻¹H, and each run's limit at the measurements as a line of its own."""
    out = []
    for label, rows in by_label.items():
        steps = [float(r.step) for r in rows]
        pre = [r for r in rows if r.preconditioned is not None]
        out.append((f"{label}: λmax", steps, [r.lambda_max for r in rows]))
        if pre:
            out.append((f"{label}: P⁻¹H (preconditioned)", [float(r.step) for r in pre], [r.preconditioned for r in pre]))
        lim = [r for r in rows if r.limit is not None]
        if lim:
            what = "on P⁻¹H" if pre else "on λmax"
            out.append((f"{label}: limit {what}", [float(r.step) for r in lim], [r.limit for r in lim]))
    return out
