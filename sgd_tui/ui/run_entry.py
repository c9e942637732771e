"""One run as the app holds it: its spec, colour, series, progress and recorded mid-run changes
(:class:`RunEntry`), fed by the worker's updates. The session (:mod:`sgd_tui.ui.session`) keeps a list of them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sgd_tui.core.optim.changes import add_change, change_marks, changeable, show_value
from sgd_tui.core.optim.registry import get_optimizer
from sgd_tui.core.run.progress import RunProgress
from sgd_tui.core.run.spec import RunSpec
from sgd_tui.plotting.netseries import SharpnessSeries
from sgd_tui.plotting.noiseseries import NoiseSeries
from sgd_tui.plotting.series import RunSeries
from sgd_tui.ui.jobs.worker import RunUpdate, Slot


@dataclass(eq=False)
class RunEntry:
    """One row of the runs table: its spec, its series, and its latest progress from the driver."""

    run_id: str
    spec: RunSpec
    color: tuple[int, int, int]
    series: RunSeries = field(default_factory=RunSeries)
    sharpness: SharpnessSeries = field(default_factory=SharpnessSeries)  # λmax (budget sharpness_every)
    noise: NoiseSeries = field(default_factory=NoiseSeries)  # B_simple (budget noise_every)
    slot: Slot | None = None
    visible: bool = True
    invalid: str = ""  # a form value that is not allowed: the run cannot start
    progress: RunProgress = field(default_factory=RunProgress)
    state: dict[str, Any] | None = None
    theory: Any = None  # core.theory.Theory at the run's latest point (2-D objectives; from the driver)
    version: int = 0  # bumps whenever a table cell may have changed
    own_objective: tuple[str, dict[str, Any]] | None = None  # (name, options) when not the shared one
    typed_label: bool = False  # someone chose the label (the form, a scenario file): edits keep it
    pending: list[dict[str, Any]] = field(default_factory=list)  # changes sent to the driver, not yet applied
    held: dict[str, Any] = field(default_factory=dict)  # typed values that wait for Enter (Session.edit)
    fit: Any = None  # core.run.fit.Fit: a 1-D regression network's curve at its latest weights (the fit plot)

    def __post_init__(self) -> None:
        if self.slot is None:
            self.slot = Slot(self.run_id, self.spec)
        self.series.set_marks(change_marks(self.spec.hyper, self.spec.changes))

    def reset(self, spec: RunSpec | None = None) -> None:
        """Back to step 0 (with a new spec if given): a new slot, an empty series."""
        if self.slot is not None:
            self.slot.removed = True
        if spec is not None:
            self.spec = spec
        self.slot = Slot(self.run_id, self.spec)
        self.pending = []
        self.series = RunSeries()
        self.sharpness = SharpnessSeries()
        self.noise = NoiseSeries()
        self.series.set_marks(change_marks(self.spec.hyper, self.spec.changes))
        self.progress, self.state, self.theory, self.fit = RunProgress(), None, None, None
        self.version += 1

    def apply(self, u: RunUpdate) -> bool:
        """Take a driver update; False when it comes from an old slot (before a reset)."""
        if u.slot is not self.slot:
            return False
        if u.n_train and not self.series.n_train:
            self.series.n_train = u.n_train
        if u.records:
            self.series.extend(u.records)
        if u.evals:
            self.series.extend_evals(u.evals)
        if u.sharpness:
            self.sharpness.extend(u.sharpness)
        if u.noise:
            self.noise.extend(u.noise)
        self.progress = u.progress
        if u.state is not None:
            self.state = u.state
        if u.theory is not None:
            self.theory = u.theory
        if u.fit is not None:
            self.fit = u.fit
        for step, values in u.changes:  # the driver applied them: now they are part of the run
            self.spec = replace(self.spec, changes=add_change(self.spec.changes, step, values))
            if values in self.pending:
                self.pending.remove(values)
        if u.changes:
            self.series.set_marks(change_marks(self.spec.hyper, self.spec.changes))
        if u.limit is not None:
            self.sharpness.set_limit(u.limit[0], self.hyper_now)
        if self.progress.done:
            self.pending = []  # the run ended before the driver saw them
        self.version += 1
        return True

    @property
    def hyper_now(self) -> dict[str, Any]:
        """The hyperparameters in effect (the spec's, then its changes, then those on their way)."""
        hyper = self.spec.hyper_after(self.progress.step)
        for values in self.pending:
            hyper.update(values)
        return hyper

    def auto_label_now(self) -> str:
        """The label nobody typed, naming the hyperparameters now in effect ("sgd lr=0.003162" after a
        change of lr 0.001 -> 0.003162), as the session relabels a run whose label it made up."""
        return replace(self.spec, hyper=self.hyper_now).auto_label()

    def shown_spec(self) -> RunSpec:
        """The spec as the setup form shows it: with the hyperparameters now in effect."""
        return replace(self.spec, hyper=self.hyper_now)

    def can_continue(self, spec: RunSpec, values: dict[str, Any]) -> bool:
        """Whether the edit to ``spec`` can continue the run: it has taken steps and is not done, and only
        hyperparameters that can change mid-run (lr, momentum, betas, ...; ``values``, the new ones)
        differ (``spec``: the edited spec, its hyperparameters the run's start values plus ``values``)."""
        same = replace(spec, label=self.spec.label, hyper=self.spec.hyper, settings=self.spec.settings)
        unlabelled = [{k: v for k, v in d.items() if k != "label"} for d in (spec.settings, self.spec.settings)]
        return not (not values or self.progress.step == 0 or self.progress.done or same != self.spec
                    or unlabelled[0] != unlabelled[1]
                    or any(k not in changeable(get_optimizer(spec.optimizer)) for k in values))

    def continue_with(self, values: dict[str, Any]) -> None:
        """Send new hyperparameter values to the driver, which sets them between two steps and reports the
        step (recorded in ``spec.changes``); the run goes on from where it is (see :meth:`can_continue`)."""
        self.pending.append(values)
        self.slot.requests.append(values)

    def held_notes(self) -> dict[str, str]:
        """What the form says under each held field: "Enter applies 0.0001 from the current step (0.01
        until then)"."""
        now = self.hyper_now
        return {k: f"Enter applies {show_value(v)} from the current step ({show_value(now.get(k))} until then)"
                for k, v in self.held.items()}

    @property
    def status_text(self) -> str:
        return "invalid" if self.invalid else self.progress.status_text
