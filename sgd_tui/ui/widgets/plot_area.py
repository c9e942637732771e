"""The plots of the comparison: loss curves, plus the trajectories over the surface (2-D objectives)
or test loss and accuracy per epoch (data sets).

The area owns the plot options (a scenario's [view]: x axis, log y, f or the gap f − f*, smoothing,
which plots show) and the objectives' minimum values f* (found off the UI thread), and hands every plot
the same run list; the screen calls :meth:`PlotArea.refresh_if_changed` from its one 5 Hz timer. Which
plots show is a CSS class: ``-surface`` or ``-dataset``, and for data sets ``-sharpness`` (λmax beside the
loss, when the budget measures it), ``-fit`` (a 1-D regression network: its fit against the training
points in place of the empty test metrics, :mod:`.fitplot`) and ``-landscape`` (the loss-landscape slice in
place of the test metrics or the fit; the slice is computed by :mod:`~sgd_tui.ui.jobs.landscape`, see :mod:`.netplots`). The surface
under the trajectories is built in a thread worker (:func:`~sgd_tui.ui.jobs.background.build_surface` imports
torch), so the first frame never waits for it.
"""

from __future__ import annotations

import threading
from functools import partial
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal

from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.plotting.budget import budget_ends
from sgd_tui.plotting.series import X_KEYS
from sgd_tui.ui.jobs.background import (
    BasinsReady,
    OptimaFound,
    SurfaceReady,
    build_surface,
    compute_basins,
    find_optima,
)
from sgd_tui.ui.jobs.landscape import LandscapeReady
from sgd_tui.ui.run_entry import RunEntry
from sgd_tui.ui.widgets.fitplot import FitPlot
from sgd_tui.ui.widgets.flows import FlowOverlay
from sgd_tui.ui.widgets.netplots import LandscapePlot, SharpnessPlot, SharpRun
from sgd_tui.ui.widgets.noiseplot import NoisePlot, NoiseRun
from sgd_tui.ui.widgets.plotgrid import PlotGrid
from sgd_tui.ui.widgets.plots import EvalPlot, LossPlot
from sgd_tui.ui.widgets.runs_plot import PlotRun
from sgd_tui.ui.widgets.trajectory_plot import TrajectoryPlot

__all__ = ["PlotArea", "SMOOTHING", "objective_key"]

SMOOTHING = (0.0, 0.6, 0.9, 0.97)


def objective_key(name: str, options: dict) -> str:
    """One objective with its options, as a key (runs of a scenario may each have their own)."""
    return f"{name}:{sorted(options.items())}"


def _regression_network(objective: str) -> bool:
    """A data-set objective without classes: a network fitting a curve, whose picture is its fit."""
    info = get_objective(objective)
    return info.kind == "dataset" and info.classes is None


class PlotArea(FlowOverlay, Horizontal):
    def __init__(self, *, monochrome: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.monochrome = monochrome
        self._runs: list[RunEntry] = []
        self._surface_objective = ""
        self._surface_key = ""  # the objective, options and seed of the surface drawn or being built
        self.basins_on = False  # the b key: basins of the selected run in place of the heat map
        self._basins_key: tuple = ()  # the run settings of the map drawn or being computed
        self._basins_cancel = threading.Event()
        self.selected: str | None = None  # run_id of the selected run (its stability limit is drawn)
        self.landscape_key = 0  # the newest landscape request: older answers are dropped
        self.f_stars: dict[str, float | None] = {}  # objective key (see objective_key) -> its minimum value
        self.plots_shown = "all"
        self.bands_x = "auto"
        self._optima_asked: set[str] = set()
        self.flow_on = False  # the c key: the selected GD run's flows on the surface and loss plots
        self._flow: tuple[tuple, list[PlotRun]] = ((), [])  # (what they were computed for, the flows as runs)

    @property
    def surface_objective(self) -> str:
        """The objective whose surface the trajectory plot shows: only runs on it draw their paths."""
        return self._surface_objective

    @surface_objective.setter
    def surface_objective(self, name: str) -> None:
        if name != self._surface_objective:
            self._surface_objective = name
            self.set_runs(self._runs)

    def compose(self) -> ComposeResult:
        yield TrajectoryPlot(id="trajectory", monochrome=self.monochrome)
        yield LandscapePlot(id="landscape", monochrome=self.monochrome)
        yield EvalPlot(id="evals", monochrome=self.monochrome)
        yield FitPlot(id="fit", monochrome=self.monochrome)
        yield LossPlot(id="loss", monochrome=self.monochrome)
        yield SharpnessPlot(id="sharpness", monochrome=self.monochrome)
        yield NoisePlot(id="noise", monochrome=self.monochrome)

    def on_mount(self) -> None:
        for plot in (self.loss, self.trajectory, self.evals, self.fit):
            plot.own_legend = False  # the screen's RunLegend is the one legend of every plot

    def on_unmount(self) -> None:
        self._basins_cancel.set()  # a basin map under way stops (another scenario opened, or the app ends)

    def set_style(self, style) -> None:
        """Every plot in ``style`` (plotting.style: NORMAL, or presenter mode's blocks and bright palette)."""
        for plot in self.query(PlotGrid):
            plot.style = style
            if plot.display and plot.region.width:
                plot.replot()

    @property
    def loss(self) -> LossPlot:
        return self.query_one(LossPlot)

    @property
    def trajectory(self) -> TrajectoryPlot:
        return self.query_one("#trajectory", TrajectoryPlot)

    @property
    def sharpness(self) -> SharpnessPlot:
        return self.query_one(SharpnessPlot)

    @property
    def landscape(self) -> LandscapePlot:
        return self.query_one(LandscapePlot)

    @property
    def evals(self) -> EvalPlot:
        return self.query_one(EvalPlot)

    @property
    def fit(self) -> FitPlot:
        return self.query_one(FitPlot)

    def set_kind(self, is_2d: bool, sharpness: bool = False, noise: bool = False) -> None:
        """Surface or data set; ``sharpness``: the budget measures λmax (its plot shows beside the loss, on
        surfaces too: the exact Hessian's); ``noise``: it measures B_simple (budget noise_every; its plot
        shows under the loss)."""
        self.set_class(is_2d, "-surface")
        self.set_class(not is_2d, "-dataset")
        self.set_class(sharpness, "-sharpness")
        self.set_class(noise, "-noise")
        if is_2d:
            self.set_class(False, "-landscape")

    def select(self, run_id: str | None) -> None:
        changed = run_id != self.selected
        self.selected = self.sharpness.selected = self.query_one(NoisePlot).selected = run_id
        if changed and self.flow_on:
            self.set_runs(self._runs)

    def set_runs(self, runs: list[RunEntry]) -> None:
        self._runs = list(runs)
        self._want_optima(self._runs)
        plot_runs = [PlotRun(r.run_id, r.spec.label, r.color, r.series, r.visible, r.spec.settings.get("start"),
                             self.f_stars.get(objective_key(r.spec.objective, r.spec.objective_options)),
                             r.progress.status == "diverged", budget_ends(r.spec, r.series.n_train))
                     for r in runs]
        self.fit.set_runs(plot_runs)
        # a regression network (no classes, no test set; the driver sends its fit): the fit in place of the
        # test plot, which would stay empty
        self.set_class(any(r.fit is not None or _regression_network(r.spec.objective) for r in runs), "-fit")
        on_surface = [pr for pr, r in zip(plot_runs, runs) if r.spec.objective == self._surface_objective]
        flows = self.flow_runs()  # drawn first: under the runs (GD's own path lies on the flow of f̃)
        for plot in (self.loss, self.evals):
            plot.set_runs(flows + plot_runs)
        self.trajectory.set_runs(flows + on_surface)
        self.landscape.set_runs(plot_runs)
        self.sharpness.set_runs([SharpRun(r.run_id, r.spec.label, r.color, r.sharpness, r.visible,
                                          n_train=r.series.n_train, optimizer=r.spec.optimizer,
                                          hyper=r.hyper_now, ends=budget_ends(r.spec, r.series.n_train))
                                 for r in runs])
        self.query_one(NoisePlot).set_runs([NoiseRun(r.run_id, r.spec.label, r.color, r.noise, r.visible,
                                                     n_train=r.series.n_train, batch=_batch(r)) for r in runs])

    def show_objective(self, name: str, options: dict[str, Any], seed: int, selected: str | None = None) -> None:
        """Draw the surface of objective ``name`` under the paths of the runs on it (runs of a scenario may
        have objectives of their own); the surface is built off the UI thread, once per objective.
        ``selected``: the selected run's id (the sharpness plot draws its stability limit)."""
        self.select(selected)
        self.surface_objective = name
        key = f"{name}:{sorted(options.items())}:{seed}"
        if get_objective(name).is_2d and key != self._surface_key:
            self._surface_key = key
            job = partial(build_surface, self.post_message, key, name, dict(options), seed)
            self.call_after_refresh(self.run_worker, job, thread=True, exit_on_error=False, group="surface",
                                    exclusive=True, name="build_surface")

    def on_surface_ready(self, m: SurfaceReady) -> None:
        if m.key != self._surface_key:
            return  # a late answer for an objective no longer shown
        if m.error:
            self.notify(f"cannot draw the surface: {m.error}", severity="error")
            return
        self.trajectory.set_surface(m.grid_fn, m.bounds, m.minima, m.start)
        # drawn now, not at the next tick: the axis labels it brings move the canvas, and a click is mapped
        # with the frame on screen (TrajectoryPlot.data_limits), so the two never disagree for long
        self.trajectory.refresh_if_changed()

    def _want_optima(self, runs: list[RunEntry]) -> None:
        """Ask (off the UI thread: it builds problems) for f* of the runs' objectives not known yet."""
        wanted = {}
        for r in runs:
            key = objective_key(r.spec.objective, r.spec.objective_options)
            if key not in self.f_stars and key not in self._optima_asked:
                wanted[key] = (r.spec.objective, dict(r.spec.objective_options), r.spec.seed)
        if wanted:
            self._optima_asked |= set(wanted)
            job = partial(find_optima, self.post_message, wanted)
            self.call_after_refresh(self.run_worker, job, thread=True, exit_on_error=False,
                                    group=f"optima-{len(self._optima_asked)}", name="find_optima")

    def on_optima_found(self, m: OptimaFound) -> None:
        self.f_stars.update(m.f_stars)
        self.set_runs(self._runs)
    def apply_view(self, view: dict) -> None:
        """A scenario's [view]: the loss plot's x axis, log y, f or the gap, smoothing; which plots show."""
        loss = self.loss
        loss.x_key = view.get("x", "step")
        loss.log_y = view.get("y", "log") == "log"
        loss.loss_mode = view.get("loss", "auto")
        loss.smoothing = float(view.get("smoothing", 0.0))
        loss.y_floor = float(view.get("y_floor", 0.0))
        self.bands_x = view.get("bands_x", "auto")  # kept for a saved scenario (the sweep view reads it)
        self.show_plots(view.get("plots", "all"))
        self.sharpness.ratio = view.get("curvature", "value") == "ratio"

    def view(self) -> dict:
        """The view as a scenario's [view] table (saved with the comparison)."""
        loss = self.loss
        return {"x": loss.x_key, "y": "log" if loss.log_y else "linear", "loss": loss.loss_mode,
                "smoothing": float(loss.smoothing), "plots": self.plots_shown, "y_floor": float(loss.y_floor),
                "bands_x": self.bands_x, "curvature": "ratio" if self.sharpness.ratio else "value"}

    def show_plots(self, which: str) -> None:
        """all: the loss plot and the trajectory / test plot; loss: the loss plot alone; side: the other alone."""
        self.plots_shown = which
        self.set_class(which == "loss", "-only-loss")
        self.set_class(which == "side", "-only-side")

    def cycle_plots(self) -> str:
        order = ("all", "loss", "side")
        self.show_plots(order[(order.index(self.plots_shown) + 1) % len(order)])
        return self.plots_shown

    def cycle_loss_mode(self) -> str:
        """f − f* and f, in turn (the first press from "auto" picks what auto did not show)."""
        loss = self.loss
        loss.loss_mode = "value" if loss.uses_gap() else "gap"
        return loss.loss_mode


    def toggle_basins(self, entry: RunEntry | None) -> bool:
        """Basins of the selected run's optimizer under the paths, or the heat map again."""
        self.basins_on = not self.basins_on
        self._basins_key = ()
        self.trajectory.set_basins(None)
        self.follow_basins(entry)
        return self.basins_on

    def follow_basins(self, entry: RunEntry | None) -> None:
        """While basins show: recompute (off the UI thread, cancelling an older job) when the selected run's
        objective, optimizer, hyperparameters, schedule or seed changed. Cheap when nothing changed."""
        if not self.basins_on or entry is None:
            return
        spec = entry.shown_spec()  # the hyperparameters in effect (after changes mid-run)

        def what_counts(d: dict) -> str:  # the map covers every start, and a label changes nothing
            return repr(sorted((k, v) for k, v in d.items() if k not in ("start", "label")))

        key = (spec.objective, what_counts(spec.objective_options), spec.optimizer,
               repr(sorted(spec.hyper.items())), what_counts(spec.settings), spec.seed)
        if key == self._basins_key or not get_objective(spec.objective).is_2d:
            return
        self._basins_key = key
        self._basins_cancel.set()  # an older job stops within 25 of its steps
        self._basins_cancel = cancel = threading.Event()
        self.trajectory.border_subtitle = "computing basins…"
        job = partial(compute_basins, self.post_message, key, spec, cancel.is_set)
        self.run_worker(job, thread=True, exit_on_error=False, group="basins", name="basins")

    def on_basins_ready(self, m: BasinsReady) -> None:
        if m.key != self._basins_key or not self.basins_on:
            return  # a late answer for settings no longer shown
        self.trajectory.border_subtitle = ""
        if m.error:
            self.notify(m.error, title="basins", severity="warning")
            self.basins_on = False
            return
        self.trajectory.set_basins(m.basins)

    def on_landscape_ready(self, m: LandscapeReady) -> None:
        if m.key != self.landscape_key:
            return  # an answer to an older request
        if m.error:
            self.landscape.set_status(m.error)
            if not m.quiet:
                self.notify(m.error, title="loss landscape", severity="warning")
            return
        note = m.view.note
        self.landscape.set_view(m.view, f"{m.seconds:.1f} s" + (f"; {note}" if note else ""))

    def cycle_x(self) -> str:
        loss = self.loss
        loss.x_key = X_KEYS[(X_KEYS.index(loss.x_key) + 1) % len(X_KEYS)]
        loss.x_zoom = None  # a window in the old axis's units means nothing on the new one
        return loss.x_key

    def reset_zoom(self) -> None:
        """The loss plot shows all of its x range again (the wheel zooms it)."""
        self.loss.x_zoom = None

    def toggle_log(self) -> bool:
        self.loss.log_y = not self.loss.log_y
        return self.loss.log_y

    def cycle_smoothing(self) -> float:
        loss = self.loss
        i = min(range(len(SMOOTHING)), key=lambda k: abs(SMOOTHING[k] - loss.smoothing))
        loss.smoothing = SMOOTHING[(i + 1) % len(SMOOTHING)]
        return loss.smoothing

    def refresh_if_changed(self) -> None:
        is_2d = self.has_class("-surface")
        diverged = {r.run_id: r.progress.status == "diverged" for r in self._runs}
        if any(pr.diverged != diverged.get(pr.run_id, False) for pr in self.loss._runs):
            self.set_runs(self._runs)  # a run diverged (or was reset) since the run list was handed over
        self.loss.refresh_if_changed()
        if self.has_class("-noise"):
            noise = self.query_one(NoisePlot)
            noise.x_key = self.loss.x_key
            n = {r.run_id: r.series.n_train for r in self._runs}
            for nr in noise._runs:
                nr.n_train = n.get(nr.run_id)
            noise.refresh_if_changed()
        if is_2d:
            self.trajectory.refresh_if_changed()
        else:
            # an objective without a test set leaves the test-metrics plot empty: the network views take its place
            self.set_class(not any(len(r.series.evals()[0]) for r in self._runs), "-no-evals")
            if self.has_class("-fit"):
                self.fit.set_fits({r.run_id: r.fit for r in self._runs})
            side = self.evals if not self.has_class("-fit") else self.fit
            (self.landscape if self.has_class("-landscape") else side).refresh_if_changed()
        if self.has_class("-sharpness"):
            self.sharpness.x_key = self.loss.x_key
            n = {r.run_id: r.series.n_train for r in self._runs}
            for sr in self.sharpness._runs:
                sr.n_train = n.get(sr.run_id)
            self.sharpness.refresh_if_changed()


def _batch(r: RunEntry) -> int | None:
    """A run's batch size for the noise plot's line: its integer batch_size, None for "full" or unset."""
    b = r.spec.settings.get("batch_size")
    return b if isinstance(b, int) else None
