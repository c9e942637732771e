"""TEMPORARY stand-ins for series.py and widgets/plots.py until the plots helper lands them. Delete then."""

from __future__ import annotations

from dataclasses import dataclass

from textual.widgets import Static


class RunSeries:
    def __init__(self):
        self.records = []
        self.evals_ = []
        self.version = 0

    def extend(self, records):
        self.records.extend(records)
        self.version += 1

    def extend_evals(self, evals):
        self.evals_.extend(evals)
        self.version += 1

    @property
    def last(self):
        return self.records[-1] if self.records else None

    def xy(self, x_key):
        return [getattr(r, x_key) for r in self.records], [r.loss for r in self.records]

    def path(self):
        return [r.x for r in self.records], [r.y for r in self.records]

    def evals(self):
        return [e.epoch for e in self.evals_], [e.test_loss for e in self.evals_], [e.test_accuracy for e in self.evals_]


@dataclass
class PlotRun:
    run_id: str
    label: str
    color: object
    series: RunSeries
    visible: bool = True


class _Plot(Static):
    def __init__(self, *a, monochrome: bool = False, **kw):
        super().__init__("", *a, **kw)
        self.monochrome = monochrome
        self.runs = []
        self.x_key = "step"
        self.log_y = False
        self.smoothing = 0.0

    def set_runs(self, runs):
        self.runs = list(runs)

    def set_surface(self, grid_fn, bounds, minima):
        self.bounds = bounds

    def refresh_if_changed(self):
        self.update(
            f"{type(self).__name__}\n"
            + "\n".join(f"{r.label}: {len(r.series.records)} pts" for r in self.runs if r.visible)
        )


class LossPlot(_Plot):
    pass


class TrajectoryPlot(_Plot):
    pass


class EvalPlot(_Plot):
    pass
