"""A validated scenario (:class:`Scenario`): metadata plus one resolved RunSpec per run, as the parser
(:mod:`sgd_tui.core.scenario.parse`) builds it and the writer (:mod:`sgd_tui.core.scenario.write`) saves
it; :func:`scenario_from_runs` builds one from the app's runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sgd_tui.core.run.settings import BUDGET_DEFAULTS
from sgd_tui.core.run.spec import RunSpec
from sgd_tui.core.scenario.view import default_view
from sgd_tui.core.sweep.grid import Sweep
from sgd_tui.core.sweep.race import Race
from sgd_tui.core.text import file_stem


@dataclass(kw_only=True)
class Scenario:
    """A validated scenario: its metadata and one fully resolved RunSpec per run."""

    name: str
    path: Path | None
    title: str
    description: str
    seed: int
    device: str
    objective: str
    objective_options: dict[str, Any]
    budget: dict[str, Any]
    optimizer: dict[str, Any]  # the raw [optimizer] table
    runs: list[RunSpec] = field(default_factory=list)
    sweep: Sweep | None = None  # a [sweep] table: its trials are what a replay runs
    basins: dict[str, Any] | None = None  # [basins]: a basin map per run on a surface (headless)
    landscape: dict[str, Any] | None = None  # the resolved [landscape] table (LANDSCAPE_PARAMS + runs)
    view: dict[str, Any] = field(default_factory=default_view)  # the [view] table, every key resolved
    race: Race | None = None  # a [race] table: tune every run's lr, then race the tuned runs (core.sweep.race)
    look_for: str = ""  # the one line of what to look for (presenter mode; core.scenario.look_for)


def scenario_from_runs(title: str, description: str, seed: int, device: str, budget: dict,
                       runs: list[RunSpec], view: dict[str, Any] | None = None, *, sweep: Sweep | None = None,
                       basins: dict[str, Any] | None = None, landscape: dict[str, Any] | None = None,
                       race: Race | None = None, look_for: str = "") -> Scenario:
    """A scenario from runs set up in the app (each RunSpec fully resolved), with the [sweep], [basins] and
    [landscape] tables of the scenario it was loaded from (fitted to the runs: scenario_maps.kept_tables);
    ``scenario_to_toml`` saves it."""
    if not runs:
        raise ValueError("a scenario needs at least one run")
    full_budget = dict(BUDGET_DEFAULTS)
    full_budget.update(budget)
    specs = [r.with_changes(seed=seed, device=device, budget=dict(full_budget)) for r in runs]
    name = file_stem(title)
    return Scenario(name=name, path=None, title=title, description=description, seed=seed, device=device, objective=specs[0].objective,
                    objective_options=dict(specs[0].objective_options), budget=full_budget, optimizer={}, runs=specs, sweep=sweep, basins=basins, landscape=landscape,
                    view={**default_view(), **(view or {})}, race=race, look_for=look_for)
