"""A fair race (pure, no torch): every run's learning rate tuned at the same budget, then the tuned runs
raced on fresh seeds.

A ``[race]`` table (parsed by :mod:`sgd_tui.core.scenario.race`) gives a log grid of learning rates, an
optional grid of momentum / β1, the seeds every grid point is run with and a criterion. The *tuning* is a
plain :class:`~sgd_tui.core.sweep.grid.Sweep` (run × lr × momentum × seed, one trial each, same budget
for all). :func:`choose` scores every grid point of a run by the criterion over its seeds:

* ``final_loss``: the median over seeds of the final training loss (a diverged trial counts as +inf);
* ``steps_to_target``: the median over seeds of the steps to ``budget.target_loss`` (not reached: +inf),

and picks the lowest (ties: the lower median final loss, then the smaller lr). The race
(:func:`race_sweep`) then runs each run at its chosen point, and at the run's own hand-picked values for
comparison, on seeds the tuning did not use (``race_seeds``), so the winner is not flattered by the seeds
it was picked on: the bands show what an engineer would see on the next seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sgd_tui.core.run.records import RunResult
from sgd_tui.core.run.spec import RunSpec
from sgd_tui.core.sweep.grid import Sweep, Trial, value_text
from sgd_tui.core.sweep.stats import quantile

__all__ = ["CRITERIA", "TUNED_KEYS", "Race", "Point", "Choice", "log_grid", "criterion_value", "choose",
           "race_sweep", "race_results", "verdict_text"]

CRITERIA = ("final_loss", "steps_to_target")
TUNED_KEYS = ("lr", "momentum", "betas")  # what a race may search (β1 as betas = [β1, β2])


def log_grid(low: float, high: float, points: int) -> list[float]:
    """``points`` values from ``low`` to ``high`` evenly spaced in log10 (both ends included)."""
    if points == 1:
        return [low]
    a, b = math.log10(low), math.log10(high)
    return [float(10 ** (a + (b - a) * i / (points - 1))) for i in range(points)]


@dataclass
class Race:
    """A resolved [race]: the table as written, the tuning sweep, and the runs as the file picks them."""

    table: dict[str, Any]  # the [race] table that rebuilds this race (scenario.toml)
    lrs: list[float]
    criterion: str
    seeds: list[int]  # tuning seeds
    race_seeds: list[int]  # fresh seeds for the race
    tuning: Sweep
    hand: list[RunSpec] = field(default_factory=list)  # the scenario's runs, at their hand-picked values

    def to_table(self) -> dict[str, Any]:
        return dict(self.table)

    def describe(self) -> str:
        return (f"tuning: {self.tuning.describe()}; race: {len(self.hand)} runs × 2 (hand-picked, tuned) × "
                f"{len(self.race_seeds)} fresh seeds")


@dataclass
class Point:
    """One grid point of a run: its values, each seed's criterion value (None: no result) and score."""

    values: dict[str, Any]
    per_seed: list[float | None]
    final_losses: list[float | None]
    score: float  # median of the criterion over seeds (+inf when none reached / all diverged)
    final_median: float
    diverged: int
    trial: Trial  # a trial of this point (its spec, with the seed to be replaced)

    @property
    def measured(self) -> bool:
        """Whether any seed of this point has a result (while tuning runs, many have none yet)."""
        return any(v is not None for v in self.per_seed)


@dataclass
class Choice:
    """A run's tuning: every point in grid order and the chosen one."""

    run: str
    points: list[Point]
    best: Point

    @property
    def lr(self) -> float:
        return float(self.best.values["lr"])


def criterion_value(result: RunResult | None, criterion: str) -> float | None:
    """A trial's number for ``criterion``: None for a trial that did not run to its end (stopped, error);
    +inf for a diverged run (final_loss) or a target not reached (steps_to_target)."""
    if result is None or result.status in ("stopped", "error", "ready", "running", "paused"):
        return None
    if criterion == "steps_to_target":
        return math.inf if result.steps_to_target is None else float(result.steps_to_target)
    if result.status == "diverged" or result.final_loss is None or not math.isfinite(result.final_loss):
        return math.inf
    return float(result.final_loss)


def _median(values: list[float | None]) -> float:
    present = sorted(v for v in values if v is not None)
    return quantile(present, 0.5) if present else math.inf


def choose(sweep: Sweep, results: dict[int, RunResult], criterion: str) -> list[Choice]:
    """Per run of the tuning sweep, every grid point's score and the best point (see the module docstring)."""
    out = []
    for run in sweep.run_labels:
        by_config: dict[str, list[Trial]] = {}
        for t in sweep.trials:
            if t.run == run:
                by_config.setdefault(t.config, []).append(t)
        points = []
        for members in by_config.values():
            per_seed = [criterion_value(results.get(t.index), criterion) for t in members]
            finals = [criterion_value(results.get(t.index), "final_loss") for t in members]
            diverged = sum(1 for t in members if results.get(t.index) is not None
                           and results[t.index].status == "diverged")
            points.append(Point(dict(members[0].values), per_seed, finals, _median(per_seed), _median(finals),
                                diverged, members[0]))
        measured = [p for p in points if p.measured] or points  # a point with no result yet is no candidate
        best = min(measured, key=lambda p: (p.score, p.final_median, float(p.values.get("lr", 0.0))))
        out.append(Choice(run, points, best))
    return out


def race_sweep(race: Race, choices: list[Choice]) -> Sweep:
    """The race as a Sweep (for the seed bands): per run, its hand-picked values and its tuned point, each
    on every race seed. Configurations are ``{run} hand lr=…`` and ``{run} tuned lr=…``."""
    trials: list[Trial] = []
    for hand, choice in zip(race.hand, choices):
        tuned_spec = choice.best.trial.spec
        for kind, spec, values in (("hand", hand, {k: _spec_value(hand, k) for k in choice.best.values}),
                                   ("tuned", tuned_spec, dict(choice.best.values))):
            config = f"{choice.run} {kind} " + " ".join(f"{k}={_short(v)}" for k, v in values.items())
            for s in race.race_seeds:
                label = f"{config} seed={s}"
                trial_spec = spec.with_changes(label=label, seed=s, settings={**spec.settings, "label": label},
                                               hyper=dict(spec.hyper), budget=dict(spec.budget),
                                               objective_options=dict(spec.objective_options))
                trials.append(Trial(len(trials), label, config, f"{choice.run} {kind}", s, values, trial_spec))
    runs = list(dict.fromkeys(t.run for t in trials))
    return Sweep({}, list(race.race_seeds), len(race.race_seeds), len(trials), "final_loss", runs, trials)


def _short(v: Any) -> str:
    """A value in a race label: floats to 4 significant digits (a log grid's 0.31622776601683794: 0.3162)."""
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_short(x) for x in v) + "]"
    return value_text(v)


def _spec_value(spec: RunSpec, key: str) -> Any:
    value = spec.hyper.get(key)
    return list(value) if isinstance(value, tuple) else value


def _stats(values: list[float | None]) -> dict[str, float | None]:
    present = sorted(v for v in values if v is not None)
    if not present:
        return {"median": None, "p10": None, "p90": None}
    return {"median": quantile(present, 0.5), "p10": quantile(present, 0.1), "p90": quantile(present, 0.9)}


def race_results(race: Race, choices: list[Choice], rs: Sweep, results: dict[int, Any]) -> tuple[list[dict], dict]:
    """summary.json's runs (one per scenario run: hand-picked and tuned values, the criterion at the tuned
    point, the race's medians and p10/p90 over the fresh seeds) and the winner of each race."""
    runs = []
    score: dict[str, list[tuple[float, float, str]]] = {"hand": [], "tuned": []}
    for hand, ch in zip(race.hand, choices):
        d: dict[str, Any] = {"label": ch.run, "optimizer": hand.optimizer, "objective": hand.objective,
                             "hand_lr": hand.hyper.get("lr"), "tuned_lr": ch.lr,
                             "tuned": {k: v for k, v in ch.best.values.items()}, "criterion": race.criterion,
                             "criterion_value": ch.best.score, "tuning_final_loss": ch.best.final_median,
                             "at_grid_edge": ch.lr in (min(race.lrs), max(race.lrs)) and len(race.lrs) > 1,
                             "tuning": [{"values": p.values, "score": p.score, "per_seed": p.per_seed,
                                         "diverged": p.diverged} for p in ch.points]}
        for kind in ("hand", "tuned"):
            members = [t for t in rs.trials if t.run == f"{ch.run} {kind}"]
            res = [results.get(t.index) for t in members]
            crit = [criterion_value(r, race.criterion) for r in res]
            finals = [criterion_value(r, "final_loss") for r in res]
            stats = {"final_loss": _stats(finals), race.criterion: _stats(crit),
                     "statuses": [r.status if r is not None else "stopped" for r in res]}
            if race.criterion != "steps_to_target" and hand.budget.get("target_loss") is not None:
                stats["steps_to_target"] = _stats([criterion_value(r, "steps_to_target") for r in res])
            d[f"race_{kind}"] = stats
            med = stats[race.criterion]["median"]
            fin = stats["final_loss"]["median"]
            score[kind].append((math.inf if med is None else med, math.inf if fin is None else fin, ch.run))
        runs.append(d)
    winners = {kind: min(v)[2] if v else None for kind, v in score.items()}
    return runs, winners


def verdict_text(runs: list[dict], winners: dict, criterion: str) -> str:
    lines = [f"{'run':<24} {'hand lr':>9} {'median':>11}   {'tuned lr':>9} {'median':>11}",
             f"  (the median {criterion} over the race's fresh seeds)"]
    for d in runs:
        h, t = d["race_hand"][criterion]["median"], d["race_tuned"][criterion]["median"]
        lines.append(f"{d['label'][:24]:<24} {d['hand_lr']:>9.3g} {_num(h):>11}   {d['tuned_lr']:>9.3g} {_num(t):>11}")
    missed = [d["label"] for d in runs if d["criterion_value"] is None or math.isinf(d["criterion_value"])]
    if missed:
        lines.append(f"no lr gave a finite median {criterion} (chosen by the median final loss instead): " + ", ".join(missed))
    edge = [d["label"] for d in runs if d.get("at_grid_edge")]
    if edge:
        lines.append("chosen at the edge of the lr grid (the best may lie outside it: widen the grid): " + ", ".join(edge))
    lines.append(f"winner at the hand-picked lr: {winners['hand']}; after tuning: {winners['tuned']}")
    return "\n".join(lines) + "\n"


def _num(v: float | None) -> str:
    return "–" if v is None else f"{v:.4g}"
