"""Sweeps: a scenario's runs expanded over a grid of settings and a list of seeds (pure, no torch).

A ``[sweep]`` table in a scenario (schema 1) lists values to try::

    [sweep]
    lr = [1e-4, 1e-3, 1e-2, 0.1, 1.0]   # any optimizer hyperparameter or run setting: a list of values
    batch_size = [1, 16, "full"]
    seeds = 3                          # a count (scenario seed, seed+1, ...) or a list [0, 7, 11]
    max_trials = 500                   # refuse a bigger sweep (default MAX_TRIALS; --max-trials N, at most TRIALS_CEILING)
    metric = "final_loss"              # what the sensitivity plot shows: final_loss | best_loss
    trial_timeout = 600                # optional: seconds a trial may run; past it, it is stopped, status "timeout"

Every run of the scenario × every point of the grid (the Cartesian product of the lists whose key the
run's optimizer takes) × every seed is one *trial*, a plain RunSpec. A *configuration* is a grid point
of one run without the seed; its seeds give the spread (bands, sensitivity). Labels are predictable:
``{run} {key=value ...}`` for a configuration (``sgd lr=0.01``) and ``{configuration} seed={s}`` for a
trial, where ``{run}`` is the run's own label or its optimizer with the unswept hyperparameters that
differ from their defaults (``sgd momentum=0.9``).

Each value is checked exactly like the same key in a run (the scenario's resolver is called for every
run × grid point), so a bad value is reported at ``sweep.KEY`` with its line; a sweep of more than
``max_trials`` trials is refused before anything is resolved. ``max_trials`` itself is at most
:data:`TRIALS_CEILING` (10,000: every trial is held in memory, with its logged rows), and a count of seeds
is checked against it before any list is made, so an absurd sweep is an error, never a memory blow-up.
"""

from __future__ import annotations

import difflib
import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Callable

from sgd_tui.core.errors import ParamError
from sgd_tui.core.optim.registry import OPTIMIZERS, get_optimizer
from sgd_tui.core.params import Param, format_value
from sgd_tui.core.run.spec import RUN_PARAMS, RunSpec

__all__ = ["MAX_TRIALS", "TRIALS_CEILING", "SWEEP_PARAMS", "Trial", "Sweep", "build_sweep", "trial_count_text", "value_text",
           "spec_value"]

MAX_TRIALS = 500
TRIALS_CEILING = 10_000  # the largest max_trials: 10**6 trials reached 2.3 GB before the first one ran
SWEEP_PARAMS: tuple[Param, ...] = (
    Param("max_trials", "int", MAX_TRIALS, "refuse a sweep of more trials than this", low=1, high=TRIALS_CEILING,
          label="max_trials value"),
    Param("metric", "str", "final_loss", "the loss the sensitivity plot shows", choices=("final_loss", "best_loss")),
    Param("trial_timeout", "float", None, "seconds a trial may run; past it, it is stopped and recorded "
          "'timeout' (unset: no limit)", low=0.0, low_open=True, high=30 * 24 * 3600.0, optional=True,
          label="trial_timeout value"),
)
_OWN = {p.name: p for p in SWEEP_PARAMS}
_SWEEPABLE_SETTINGS = [p.name for p in RUN_PARAMS if p.name != "label"]


@dataclass
class Trial:
    """One run of a sweep: ``spec`` is a plain RunSpec (its label and seed are the trial's)."""

    index: int
    label: str
    config: str  # the configuration's label (the grid point without the seed)
    run: str  # the label of the scenario's run it comes from
    seed: int
    values: dict[str, Any]  # the swept keys this run takes -> this trial's values
    spec: RunSpec


@dataclass
class Sweep:
    """A resolved sweep: the grid as written, the seeds, and every trial in a fixed order (run, grid
    point in the file's key order, seed): the order of sweep.csv and metrics.csv."""

    values: dict[str, list[Any]]  # swept key -> values, in file order
    seeds: list[int]
    seeds_given: int | list[int]
    max_trials: int
    metric: str
    run_labels: list[str]
    trials: list[Trial] = field(default_factory=list)
    trial_timeout: float | None = None  # seconds; None: no limit

    @property
    def keys(self) -> list[str]:
        return list(self.values)

    def configs(self) -> list[str]:
        """Configuration labels in trial order."""
        return list(dict.fromkeys(t.config for t in self.trials))

    def describe(self) -> str:
        """How the trials come about, e.g. ``3 runs × 8 lr × 3 seeds = 72 trials``."""
        return trial_count_text(len(self.run_labels), {k: len(v) for k, v in self.values.items()},
                                len(self.seeds), len(self.trials))

    def to_table(self) -> dict[str, Any]:
        """The [sweep] table that rebuilds this sweep (for the resolved scenario.toml)."""
        table: dict[str, Any] = {k: list(v) for k, v in self.values.items()}
        table["seeds"] = self.seeds_given
        table["max_trials"] = self.max_trials
        table["metric"] = self.metric
        if self.trial_timeout is not None:
            table["trial_timeout"] = self.trial_timeout
        return table


def trial_count_text(n_runs: int, sizes: dict[str, int], n_seeds: int, total: int) -> str:
    parts = [f"{n_runs} run{'s' if n_runs != 1 else ''}"] + [f"{n} {k}" for k, n in sizes.items()]
    parts.append(f"{n_seeds} seed{'s' if n_seeds != 1 else ''}")
    return " × ".join(parts) + f" = {total} trial{'s' if total != 1 else ''}"


def value_text(v: Any) -> str:
    """A swept value as labels and sweep.csv show it: 0.01, 16, full, true, [0.9, 0.999]."""
    if isinstance(v, str):
        return v
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15 and not math.isinf(v):
        return repr(v)
    return format_value(v)


# ============================================================================ building
def build_sweep(c, raw: Any, runs_raw: list[dict], shared: dict, seed: int,
                resolve: Callable[[int, dict[str, Any]], RunSpec | None],
                max_trials: int | None = None) -> Sweep | None:
    """Check the ``[sweep]`` table and expand it. ``c`` is the scenario's issue collector (``add``,
    ``unknown``, ``table``); ``resolve(i, point)`` resolves run ``i`` (0-based) with the grid point's
    values as a last layer over [optimizer] and the run, reporting bad values at ``sweep.KEY``.
    ``max_trials`` (the command line's) wins over the table's. Returns None when there are issues."""
    table = c.table(raw, "sweep")
    before = len(c.issues)
    run_opts = [_optimizer_of(r, shared) for r in runs_raw]
    takes = [set(_SWEEPABLE_SETTINGS) | ({p.name for p in get_optimizer(o).params} if o else set())
             for o in run_opts]
    known_hyper = sorted({p.name for info in OPTIMIZERS.values() for p in info.params})

    grid: dict[str, list[Any]] = {}
    for key, values in table.items():
        path = f"sweep.{key}"
        if key in _OWN or key == "seeds":
            continue
        if key not in _SWEEPABLE_SETTINGS and key not in known_hyper:
            allowed = ["seeds", *_OWN, *_SWEEPABLE_SETTINGS, "(a hyperparameter of a run's optimizer)"]
            hint = difflib.get_close_matches(key, [*_SWEEPABLE_SETTINGS, *known_hyper, "seeds", *_OWN], n=1)
            c.add(path, f"unknown key {key!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
                  + "; [sweep] takes: " + ", ".join(allowed))
            continue
        if not any(key in t for t, o in zip(takes, run_opts) if o):
            if any(run_opts):
                names = sorted({o for o in run_opts if o})
                c.add(path, f"no run's optimizer takes {key} (the runs use " + ", ".join(names) + ")")
            continue
        if not isinstance(values, list) or not values:
            c.add(path, f"must be a non-empty list of values to try, e.g. {key} = [{_example(key)}], "
                        f"got {format_value(values)}")
            continue
        if len({format_value(v) for v in values}) < len(values):
            c.add(path, f"lists a value twice: {format_value(values)}")
            continue
        grid[key] = values
    seeds, seeds_given = _seeds(c, table.get("seeds"), seed)
    own = {}
    for name, p in _OWN.items():
        try:
            own[name] = p.check(table.get(name, p.default))
        except ParamError as e:
            c.add(f"sweep.{name}", str(e))
            own[name] = p.default
    limit = max_trials if max_trials is not None else own["max_trials"]
    if limit > TRIALS_CEILING:  # --max-trials: the command line says so itself; a caller's value is kept in bounds
        limit = TRIALS_CEILING

    sizes = [math.prod(len(v) for k, v in grid.items() if k in t) for t in takes]
    total = sum(sizes) * len(seeds)
    if total > limit:
        text = trial_count_text(len(runs_raw), {k: len(v) for k, v in grid.items()}, len(seeds), total)
        if total > TRIALS_CEILING:
            c.add("sweep", f"{text}: more than the {TRIALS_CEILING} trials a sweep may have (each is held in "
                           "memory with its rows); sweep fewer values or seeds, or split it into several sweeps")
        else:
            c.add("sweep", f"{text}: more than the maximum of {limit} trials; set max_trials = {total} in [sweep] "
                           "(or --max-trials N) to run it anyway, or sweep fewer values")
        return None

    # one resolution per run x grid point (seeds change only the seed), each value checked where it is
    points: list[list[tuple[dict[str, Any], RunSpec | None]]] = []
    for i, t in enumerate(takes):
        keys = [k for k in grid if k in t]
        combos = [dict(zip(keys, combo)) for combo in itertools.product(*(grid[k] for k in keys))]
        points.append([(p, resolve(i, p)) for p in combos])
    if len(c.issues) > before or any(spec is None for pts in points for _, spec in pts):
        return None
    run_labels = _run_labels([pts[0][1] for pts in points], list(grid))
    trials: list[Trial] = []
    for i, pts in enumerate(points):
        for values, spec in pts:
            config = " ".join([run_labels[i], *(f"{k}={value_text(spec_value(spec, k))}" for k in values)])
            for s in seeds:
                label = f"{config} seed={s}"
                settings = {**spec.settings, "label": label}
                trial_spec = spec.with_changes(label=label, seed=s, settings=settings,
                                               hyper=dict(spec.hyper), budget=dict(spec.budget),
                                               objective_options=dict(spec.objective_options))
                trials.append(Trial(len(trials), label, config, run_labels[i], s,
                                    {k: spec_value(spec, k) for k in values}, trial_spec))
    return Sweep(grid, seeds, seeds_given, limit, own["metric"], run_labels, trials, own["trial_timeout"])


def spec_value(spec: RunSpec, key: str) -> Any:
    """The resolved value of a swept key in a RunSpec (a hyperparameter or a run setting)."""
    value = spec.hyper[key] if key in spec.hyper else spec.settings.get(key)
    return list(value) if isinstance(value, tuple) else value


def _optimizer_of(run: dict, shared: dict) -> str | None:
    name = run.get("name", shared.get("name"))
    return name if isinstance(name, str) and name in OPTIMIZERS else None


def _example(key: str) -> str:
    return {"lr": "0.001, 0.01, 0.1", "batch_size": '1, 16, "full"', "betas": "[0.9, 0.999], [0.5, 0.999]",
            "momentum": "0.0, 0.9"}.get(key, "...")


def _seeds(c, raw: Any, seed: int) -> tuple[list[int], int | list[int]]:
    """``seeds = N`` (N >= 1: seed, seed+1, ..., the scenario's seed first) or a list of distinct seeds."""
    if raw is None:
        return [seed], 1
    if isinstance(raw, int) and not isinstance(raw, bool):
        if raw < 1:
            c.add("sweep.seeds", f"a count of seeds must be >= 1, got {raw}")
            return [seed], 1
        if raw > TRIALS_CEILING:  # before making the list: seeds = 10**18 is an error, not a hang
            c.add("sweep.seeds", f"{raw} seeds: more than the maximum of {TRIALS_CEILING} trials a sweep may have")
            return [seed], 1
        return list(range(seed, seed + raw)), raw
    if (isinstance(raw, list) and raw and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in raw)
            and len(set(raw)) == len(raw)):
        return list(raw), list(raw)
    c.add("sweep.seeds", "must be a count (seeds = 5: the scenario's seed and the next ones) or a list of "
                         f"distinct integers >= 0 (seeds = [0, 1, 7]), got {format_value(raw)}")
    return [seed], 1


def _run_labels(specs: list[RunSpec | None], swept: list[str]) -> list[str]:
    """Each run's own label, else its optimizer with what tells it from the other runs: the unswept
    hyperparameters that differ from their defaults (lr always) and batch_size, leaving out what every
    run shares (one SGD run is "sgd"; with a heavy-ball run next to it, "sgd momentum=0.9").
    Made unique with #2, #3."""
    parts: list[list[str] | None] = []
    for spec in specs:
        if spec is None or spec.label:
            parts.append(None)
            continue
        info = get_optimizer(spec.optimizer)
        mine = []
        for p in info.params:
            v = spec.hyper.get(p.name)
            if p.name not in swept and (p.name == "lr" or v != p.default):
                mine.append(f"{p.name}={value_text(list(v) if isinstance(v, tuple) else v)}")
        bs = spec.settings.get("batch_size")
        if bs is not None and "batch_size" not in swept:
            mine.append(f"batch_size={value_text(bs)}")
        parts.append(mine)
    auto = [p for p in parts if p is not None]
    common = set.intersection(*(set(p) for p in auto)) if len(auto) == len(specs) and auto else set()
    labels = []
    for spec, mine in zip(specs, parts):
        if spec is None:
            labels.append("?")
        elif mine is None:
            labels.append(spec.label)
        else:
            labels.append(" ".join([spec.optimizer, *(x for x in mine if x not in common)]))
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} #{seen[label]}")
    return out
