"""The comparison the app shows: shared settings (objective, budget, seed, device) and a list of runs.

Plain Python (no widgets), so the rules are testable on their own:

* every run shares the objective, its options, the budget, the seed and the device — the comparison is
  fair, as in a scenario file; each run has its own optimizer, hyperparameters and run settings; a run
  loaded from a scenario that gives it its own objective (``objective = {...}`` in ``[[runs]]``, e.g.
  GD vs Newton on a quadratic *and* on Rosenbrock) keeps that objective through every edit;
* a run's spec is always valid: the forms validate each value with its registry Param before it
  reaches a spec; a run whose form holds an invalid value carries the message in ``invalid`` and cannot
  start;
* changing what a run computes resets it (a fresh driver :class:`~sgd_tui.ui.jobs.worker.Slot` and series).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace
from typing import Any

from sgd_tui.core.errors import ParamError
from sgd_tui.core.objectives.registry import get_objective, validate_options
from sgd_tui.core.optim.registry import get_optimizer, validate_hyperparameters
from sgd_tui.core.run.settings import RUN_DEFAULTS, default_budget, run_settings_for
from sgd_tui.core.run.spec import SEED, RunSpec
from sgd_tui.core.scenario.maps import kept_tables
from sgd_tui.core.scenario.model import Scenario, scenario_from_runs
from sgd_tui.core.scenario.view import default_view
from sgd_tui.core.text import safe_text, unique_label, unique_labels
from sgd_tui.plotting.palette import RUN_COLORS
from sgd_tui.ui.jobs.worker import RunUpdate
from sgd_tui.ui.run_entry import RunEntry

__all__ = ["Shared", "Session"]

DEFAULT_OBJECTIVE = "rosenbrock"


@dataclass
class Shared:
    """What every run of the comparison shares."""

    objective: str = DEFAULT_OBJECTIVE
    options: dict[str, Any] = field(default_factory=dict)  # resolved (defaults filled in)
    budget: dict[str, Any] = field(default_factory=lambda: default_budget(DEFAULT_OBJECTIVE))
    seed: int = SEED.default
    device: str = "auto"
    title: str = "Untitled comparison"
    description: str = ""
    look_for: str = ""  # a scenario's one line of what to look for (presenter mode)
    landscape: dict[str, Any] | None = None  # a scenario's [landscape] settings (the app's slice uses them)
    basins: dict[str, Any] | None = None  # a loaded scenario's [basins] table (kept when saved)
    sweep: Any = None  # a loaded scenario's core.sweep.Sweep (its [sweep] table is kept when saved)
    race: Any = None  # a loaded scenario's core.sweep.race.Race (its [race] table is kept when saved)
    view: dict[str, Any] = field(default_factory=default_view)  # how the plots show it (a scenario's [view])

    def __post_init__(self) -> None:
        resolved, errors = validate_options(self.objective, self.options)
        if errors:
            raise ParamError(errors[0][1])
        self.options = resolved

    @property
    def is_2d(self) -> bool:
        """The shared objective is a surface f(x, y): its runs animate over a heat map."""
        return get_objective(self.objective).is_2d


class Session:
    """The shared settings and the runs, with the operations the keys trigger."""

    def __init__(self, shared: Shared | None = None):
        self.shared = shared or Shared()
        self.runs: list[RunEntry] = []
        self._ids = itertools.count(1)

    # --------------------------------------------------------------------------------- building
    def objective_of(self, entry: RunEntry | None) -> tuple[str, dict[str, Any]]:
        """The objective a run trains on: its own, or the shared one."""
        if entry is not None and entry.own_objective is not None:
            return entry.own_objective
        return self.shared.objective, self.shared.options

    def make_spec(self, optimizer: str, hyper: dict[str, Any], settings: dict[str, Any], label: str = "",
                  objective: tuple[str, dict[str, Any]] | None = None) -> RunSpec:
        """A RunSpec from already-checked values (raises ParamError on a combination that cannot work);
        on ``objective`` = (name, options) when given, else the shared objective."""
        resolved, errors = validate_hyperparameters(optimizer, hyper)
        if errors:
            raise ParamError(errors[0][1])
        full = dict(RUN_DEFAULTS)
        full.update(settings)
        full.pop("label", None)
        sh = self.shared
        name, options = objective or (sh.objective, sh.options)
        spec = RunSpec(label=label or optimizer, objective=name, objective_options=dict(options), optimizer=optimizer, hyper=resolved, settings=full,
                       budget=dict(sh.budget), seed=sh.seed, device=sh.device)
        if not label:
            spec.label = self.unique_label(spec.auto_label())
        return spec

    def unique_label(self, base: str, exclude: RunEntry | None = None) -> str:
        """``base``, or ``base #k`` if another run has it (core.text.unique_label, as scenario files)."""
        return unique_label(base, {r.spec.label for r in self.runs if r is not exclude})

    def add_like(self, entry: RunEntry | None) -> RunEntry:
        """A new run with ``entry``'s optimizer, hyperparameters, settings and objective (a label of its
        own), or a default SGD run when there is none."""
        if entry is None:
            return self.add(self.make_spec("sgd", {}, {}))
        s = entry.spec
        return self.add(self.make_spec(s.optimizer, dict(s.hyper), dict(s.settings), objective=entry.own_objective))

    def edit(self, entry: RunEntry, optimizer: str, hyper: dict[str, Any], settings: dict[str, Any], label: str,
             error: str = "", typing: bool = False) -> str:
        """Take the setup form's values for a run; returns what is wrong with them ('' when nothing is).

        ``error`` is the form's own complaint (a value its Param refused); a combination that cannot work is
        one too. An invalid run keeps its spec and cannot start; a new label alone keeps the run's progress;
        so does a new lr, momentum, betas, ... of a run that has taken steps (:meth:`RunEntry.continue_with`:
        the run goes on with them) — while ``typing`` (a keystroke: "1" may be on its way to "1e-4") such an
        edit is held (``entry.held``; :meth:`RunEntry.held_notes` says that Enter applies it); any other
        change resets the run, keeping its changes.
        """
        typed = entry.typed_label if label == entry.spec.label else bool(label)
        entry.held = {}
        if not error:
            try:
                spec = self.make_spec(optimizer, hyper, settings, label or entry.spec.label,
                                      objective=entry.own_objective)
                # a label nobody typed follows the settings ("sgd lr=0.001" becomes "sgd lr=0.5 momentum=0.9")
                base = spec.label if typed else spec.auto_label() + _objective_suffix(entry.spec.label)
                spec.label = self.unique_label(base, exclude=entry)
                entry.typed_label = typed
            except ParamError as e:
                error = str(e)
        entry.invalid = error
        edited: dict[str, Any] = {}
        if not error and spec.optimizer == entry.spec.optimizer:  # the form shows the values now in effect
            now = entry.hyper_now
            edited = {k: v for k, v in spec.hyper.items() if v != now.get(k)}
            spec = replace(spec, hyper={**entry.spec.hyper, **edited}, changes=entry.spec.changes)
        if error:
            entry.version += 1
        elif replace(spec, label=entry.spec.label) == entry.spec:
            entry.spec = spec
            entry.version += 1
        elif entry.can_continue(spec, edited):
            entry.version += 1
            if typing:  # "1" on the way to "1e-4" must not reach a running run: Enter (or leaving) sends it
                entry.held = edited
                return error
            entry.continue_with(edited)  # an automatic label names the values now in effect (lr=0.003162)
            entry.spec = replace(entry.spec, label=spec.label, settings=spec.settings)
        else:
            entry.reset(spec)
        return error

    def set_start(self, entry: RunEntry, point: tuple[float, float]) -> str:
        """Start a 2-D run at ``point`` (a click on the surface): a change of its ``start`` setting, so the
        run restarts there (through :meth:`edit`, with the hyperparameters now in effect)."""
        s = entry.shown_spec()
        settings = dict(s.settings, start=(float(point[0]), float(point[1])))
        return self.edit(entry, s.optimizer, dict(s.hyper), settings, s.label)

    def add(self, spec: RunSpec) -> RunEntry:
        n = next(self._ids)
        used = {r.color for r in self.runs}
        color = next((c for c in RUN_COLORS if c not in used), RUN_COLORS[(n - 1) % len(RUN_COLORS)])
        entry = RunEntry(f"r{n}", spec, color, typed_label=not is_auto_label(spec))
        if (spec.objective, spec.objective_options) != (self.shared.objective, self.shared.options):
            entry.own_objective = (spec.objective, dict(spec.objective_options))
        self.runs.append(entry)
        return entry

    def duplicate(self, entry: RunEntry, change: str) -> RunEntry:
        """Add a copy of ``entry`` with one change written ``key=value`` (see :meth:`duplicate_spec`)."""
        return self.add(self.duplicate_spec(entry, change))

    def duplicate_spec(self, entry: RunEntry, change: str) -> RunSpec:
        """The spec of a copy of ``entry`` with one change written ``key=value`` (a hyperparameter or run
        setting), labelled after the change; ParamError when the change is not allowed."""
        key, sep, text = change.partition("=")
        key, text = key.strip(), text.strip()
        if not sep or not key:
            raise ParamError(f"write the change as key=value, e.g. lr=0.01 (got {change!r})")
        info = get_optimizer(entry.spec.optimizer)
        hyper = dict(entry.spec.hyper)
        settings = dict(entry.spec.settings)
        known = {p.name: p for p in info.params}
        run_params = {p.name: p for p in run_settings_for(self.objective_of(entry)[0])}
        if key in known:
            hyper[key] = known[key].parse_text(text)
        elif key in run_params:
            settings[key] = run_params[key].parse_text(text)
        else:
            raise ParamError(
                f"{entry.spec.optimizer} runs have no setting {key!r}: use one of "
                + ", ".join([*known, *run_params])
            )
        spec = self.make_spec(entry.spec.optimizer, hyper, settings, objective=entry.own_objective)
        if entry.typed_label:
            spec.label = self.unique_label(f"{entry.spec.label} {key}={text}")
        else:
            spec.label = self.unique_label(spec.auto_label() + _objective_suffix(entry.spec.label))
        return spec

    def remove(self, entry: RunEntry) -> None:
        if entry.slot is not None:
            entry.slot.removed = True
        self.runs.remove(entry)

    def reset_all(self) -> None:
        for r in self.runs:
            r.reset()

    def set_shared(self, shared: Shared) -> None:
        """New objective, options, budget, seed or device: every run is rebuilt and reset (a run with
        its own objective keeps it, and takes the new budget, seed and device); the loaded scenario's
        [landscape], [basins] and [sweep] tables stay."""
        for table in ("landscape", "basins", "sweep", "race"):
            if getattr(shared, table) is None:
                setattr(shared, table, getattr(self.shared, table))
        self.shared = shared
        for r in self.runs:
            s = r.spec
            name, options = self.objective_of(r)
            steps = shared.budget.get("steps") if not shared.budget.get("epochs") else None
            changes = [c for c in s.changes if steps is None or c[0] < steps]  # those the new budget reaches
            r.reset(RunSpec(label=s.label, objective=name, objective_options=dict(options), optimizer=s.optimizer, hyper=dict(s.hyper),
                            settings=dict(s.settings), budget=dict(shared.budget), seed=shared.seed, device=shared.device, changes=changes))

    def first_invalid(self) -> str:
        """Why the comparison cannot run: the first run holding a value that is not allowed ('' if none)."""
        bad = next((r for r in self.runs if r.invalid), None)
        return f"{bad.spec.label}: {bad.invalid}" if bad else ""

    def to_scenario(self, notes: list[str] | None = None) -> Scenario:
        """The comparison as a scenario, which ``--headless`` replays to the same numbers (with the loaded
        scenario's [view], [landscape], [basins] and [sweep] tables; ``notes`` gets what had to change in
        them to fit the runs); ParamError when there is nothing to save or a run holds a value that is
        not allowed."""
        if not self.runs:
            raise ParamError("nothing to save: add a run first")
        if bad := self.first_invalid():
            raise ParamError(bad)
        sh = self.shared
        specs = [r.spec for r in self.runs]
        landscape, basins, said = kept_tables(specs, sh.landscape, sh.basins)
        if notes is not None:
            notes.extend(said)
        return scenario_from_runs(sh.title, sh.description, sh.seed, sh.device, sh.budget, specs, sh.view,
                                  sweep=sh.sweep, basins=basins, landscape=landscape, race=sh.race,
                                  look_for=sh.look_for)

    def runnable(self) -> list[RunEntry]:
        return [r for r in self.runs if not r.invalid and r.slot is not None and r.slot.active]

    def apply(self, updates: list[RunUpdate]) -> list[RunEntry]:
        """Route driver updates to their runs; returns the runs that changed."""
        by_slot = {id(r.slot): r for r in self.runs}
        changed = []
        for u in updates:
            r = by_slot.get(id(u.slot))
            if r is not None and r.apply(u):
                if u.changes and not r.typed_label:  # a change the driver applied (a scenario's own, too)
                    label = self.unique_label(r.auto_label_now() + _objective_suffix(r.spec.label), exclude=r)
                    r.spec = replace(r.spec, label=label)
                changed.append(r)
        return changed


def _objective_suffix(label: str) -> str:
    """The " on NAME" an automatic label of a scenario with several objectives carries (kept on relabelling)."""
    m = re.search(r" on [a-z0-9_]+(?= #\d+$|$)", label)
    return m.group(0) if m else ""


def is_auto_label(spec: RunSpec) -> bool:
    """Whether the spec's label is one the app or the scenario reader made up (optimizer and settings,
    perhaps " on OBJECTIVE" and " #2"), not one a person chose."""
    base = re.sub(r" #\d+$", "", spec.label)
    base = base.removesuffix(f" on {spec.objective}")
    lr = spec.hyper.get("lr")
    now = replace(spec, hyper=spec.hyper_after()).auto_label()  # a label that followed the run's changes
    return base in (spec.auto_label(), now, spec.optimizer, f"{spec.optimizer} lr={lr:g}" if lr is not None else None)


def session_from_scenario(scenario: Scenario) -> Session:
    """A session holding a loaded scenario's runs, ready to start (specs as the scenario resolved them).

    The title, description and labels come from a file: the app holds them made safe to draw
    (core.text.safe_text: control and bidi characters visible), so its fields, table, legends and a
    saved scenario all show what the screen shows; labels stay unique."""
    shared = Shared(scenario.objective, dict(scenario.objective_options), dict(scenario.budget), scenario.seed,
                    scenario.device, safe_text(scenario.title, newlines=False), safe_text(scenario.description),
                    landscape=getattr(scenario, "landscape", None), view=dict(scenario.view),
                    basins=scenario.basins, sweep=scenario.sweep, race=getattr(scenario, "race", None),
                    look_for=safe_text(getattr(scenario, "look_for", ""), newlines=False))
    session = Session(shared)
    labels = unique_labels([safe_text(spec.label, newlines=False) for spec in scenario.runs])
    for spec, label in zip(scenario.runs, labels):
        session.add(replace(spec, label=label, settings={**spec.settings, "label": label}))
    return session


def default_session() -> Session:
    """The app without a scenario: one SGD run on the default objective, with a step size that works there."""
    session = Session()
    session.add(session.make_spec("sgd", {"lr": 1e-3, "momentum": 0.9}, {}))
    return session
