"""The ``[race]`` table of a scenario: a fair race (:mod:`sgd_tui.core.sweep.race`)::

    [race]
    lrs = [0.001, 0.01, 0.1, 1.0]     # the learning rates tried, or a log grid:
    # lr_low = 1e-4                   lr_low, lr_high, points: `points` values evenly spaced in log10
    # lr_high = 1.0
    # points = 9
    # momentum = [0.0, 0.9]           optional: also search momentum (runs whose optimizer takes it)
    # beta1 = [0.8, 0.9, 0.95]        optional: also search β1 (betas = [β1, the run's β2])
    seeds = 3                         # every grid point over this many seeds (or a list of seeds)
    criterion = "final_loss"          # or "steps_to_target" (needs budget.target_loss)
    # max_trials = 500                refuse a bigger tuning (or --max-trials N)

Every run of the scenario is tuned over the grid at the scenario's budget; its own ``lr`` (and momentum)
is its hand-picked value, raced beside the tuned one. The race runs on as many fresh seeds as the tuning
used (the seeds after the tuning's), so the winner is not picked and judged on the same seeds.
Errors are reported at ``race.KEY`` with the line, as everywhere in a scenario.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from sgd_tui.core.optim.registry import get_optimizer
from sgd_tui.core.params import Param
from sgd_tui.core.run.spec import RunSpec
from sgd_tui.core.scenario.check import show_value
from sgd_tui.core.sweep.grid import MAX_TRIALS, build_sweep
from sgd_tui.core.sweep.race import CRITERIA, Race, log_grid

__all__ = ["RACE_KEYS", "RACE_PARAMS", "build_race"]

RACE_PARAMS: tuple[Param, ...] = (
    Param("lr_low", "float", None, "the smallest learning rate of the log grid", low=0.0, low_open=True,
          optional=True, label="lr_low value"),
    Param("lr_high", "float", None, "the largest learning rate of the log grid", low=0.0, low_open=True,
          optional=True, label="lr_high value"),
    Param("points", "int", 9, "learning rates in the log grid from lr_low to lr_high", low=2, high=100,
          label="points value"),
    Param("criterion", "str", "final_loss", "how a grid point is scored: the median over seeds of the final "
          "loss, or of the steps to budget.target_loss", choices=CRITERIA),
    Param("max_trials", "int", MAX_TRIALS, "refuse a tuning of more trials than this", low=1,
          label="max_trials value"),
)
_OWN = {p.name: p for p in RACE_PARAMS}
RACE_KEYS = ("lrs", *_OWN, "momentum", "beta1", "seeds")


def _positive_list(c, raw: Any, key: str, low: float, high: float | None, open_low: bool) -> list[float] | None:
    ok = isinstance(raw, list) and raw and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                               and math.isfinite(v) for v in raw)
    if ok:
        vals = [float(v) for v in raw]
        ok = all((v > low if open_low else v >= low) and (high is None or v < high) for v in vals)
        if ok and len(set(vals)) == len(vals):
            return vals
    bound = f"> {low:g}" if open_low else f">= {low:g}"
    c.add(f"race.{key}", f"must be a non-empty list of distinct numbers {bound}"
                         + (f" and < {high:g}" if high is not None else "") + f", got {show_value(raw)}")
    return None


def _seeds(c, raw: Any, seed: int) -> tuple[list[int], list[int]]:
    """(tuning seeds, race seeds): a count N (the scenario's seed and the next N-1; the race: the N after)
    or a list (the race: as many seeds after the largest)."""
    if raw is None:
        raw = 1
    if isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw <= 100:
        return list(range(seed, seed + raw)), list(range(seed + raw, seed + 2 * raw))
    if (isinstance(raw, list) and raw and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in raw)
            and len(set(raw)) == len(raw)):
        top = max(raw) + 1
        return list(raw), list(range(top, top + len(raw)))
    c.add("race.seeds", "must be a count in [1, 100] (seeds = 3: the scenario's seed and the next ones) or a "
                        f"list of distinct integers >= 0, got {show_value(raw)}")
    return [seed], [seed + 1]


def build_race(c, raw: Any, runs_raw: list[dict], shared: dict, seed: int, budget: dict,
               resolve: Callable[[int, dict[str, Any]], RunSpec | None], hand: list[RunSpec],
               max_trials: int | None = None) -> Race | None:
    """Check the ``[race]`` table and build the tuning sweep; None when there are issues."""
    table = c.table(raw, "race")
    before = len(c.issues)
    for key in table:
        if key not in RACE_KEYS:
            c.unknown(f"race.{key}", list(RACE_KEYS), "[race]")
    own = {name: c.check(p, table.get(name, p.default), f"race.{name}") for name, p in _OWN.items()}
    lrs = None
    if "lrs" in table:
        if "lr_low" in table or "lr_high" in table:
            c.add("race.lrs", "give either lrs = [...] or lr_low, lr_high (and points), not both")
        lrs = _positive_list(c, table["lrs"], "lrs", 0.0, None, True)
    elif own["lr_low"] is not None and own["lr_high"] is not None:
        if own["lr_low"] >= own["lr_high"]:
            c.add("race.lr_low", f"lr_low = {own['lr_low']:g} must be below lr_high = {own['lr_high']:g}")
        else:
            lrs = log_grid(own["lr_low"], own["lr_high"], own["points"])
    else:
        c.add("race", "give the learning rates to try: lrs = [0.001, 0.01, 0.1] or lr_low = 1e-4, "
                      "lr_high = 1.0, points = 9 (a log grid)")
    grid: dict[str, list] = {"lr": lrs or [0.01]}
    if "momentum" in table:
        m = _positive_list(c, table["momentum"], "momentum", 0.0, 1.0, False)
        grid["momentum"] = m or [0.0]
    if "beta1" in table:
        b = _positive_list(c, table["beta1"], "beta1", 0.0, 1.0, False)
        b2 = shared.get("betas", [0.9, 0.999])[1] if isinstance(shared.get("betas"), list) else 0.999
        grid["betas"] = [[v, b2] for v in (b or [0.9])]
    if own["criterion"] == "steps_to_target" and budget.get("target_loss") is None:
        c.add("race.criterion", 'criterion = "steps_to_target" needs target_loss in [budget] (the training '
                                "loss a run must reach)")
    seeds, race_seeds = _seeds(c, table.get("seeds"), seed)
    names = [r.optimizer for r in hand]
    for key in ("momentum", "betas"):
        if key in grid and not any(key in {p.name for p in get_optimizer(n).params} for n in names):
            c.add(f"race.{'beta1' if key == 'betas' else key}", f"no run's optimizer takes {key} "
                                                               f"(the runs use {', '.join(sorted(set(names)))})")
    if len(c.issues) > before:
        return None
    sweep_table = {**grid, "seeds": seeds, "max_trials": max_trials or own["max_trials"]}
    tuning = build_sweep(c, sweep_table, runs_raw, shared, seed, resolve, max_trials)
    if tuning is None:
        for issue in c.issues[before:]:  # the sweep's messages name [sweep]: this is the [race] table
            issue.key = issue.key.replace("sweep", "race", 1)
        return None
    written = {k: v for k, v in table.items()}
    return Race(table=written, lrs=list(grid["lr"]), criterion=own["criterion"], seeds=seeds,
                race_seeds=race_seeds, tuning=tuning, hand=list(hand))
