"""What a sweep shows, computed from its trials' outcomes (pure functions, no torch): the rows of
sweep.csv, the seed bands of bands.csv and the sensitivity of a metric to each swept key.

Bands: for each configuration (a grid point of one run, without the seed) and each logged step, the
median and the 10th and 90th percentiles of the training loss over its seeds, with ``n`` the number of
seeds counted. Percentiles interpolate linearly between order statistics (numpy's default): for sorted
values v_0 ≤ … ≤ v_{n-1}, q ↦ v_⌊h⌋ + (h − ⌊h⌋)(v_⌊h⌋+1 − v_⌊h⌋) with h = q (n − 1). A trial that
diverged counts as +inf at every later step of its configuration (it is still one of the seeds: half
of them diverging moves the median to inf), a converged one keeps its last loss, a stopped one (Ctrl+C)
counts only where it has values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, NamedTuple

from sgd_tui.core.sweep.grid import Sweep, value_text

__all__ = ["SWEEP_HEAD", "SWEEP_TAIL", "TARGET_COLUMNS", "BANDS_COLUMNS", "BandRow", "SensitivitySeries", "sweep_columns",
           "sweep_rows", "quantile", "bands", "sensitivity"]

SWEEP_HEAD = ("label", "config", "seed")
SWEEP_TAIL = ("status", "steps", "final_loss", "best_loss", "test_loss", "test_accuracy", "diverged_step",
              "time_s")
BANDS_COLUMNS = ("config", "step", "samples", "epoch", "median", "p10", "p90", "n")


class BandRow(NamedTuple):
    config: str
    step: int
    samples: int
    epoch: int | None
    median: float
    p10: float
    p90: float
    n: int


@dataclass
class SensitivitySeries:
    """One line of a sensitivity plot: a run (and the other swept values) against ``key``. ``points``
    holds, per value of ``key`` in the sweep's order, the metric of each seed (None: no value) and
    how many of its trials diverged."""

    name: str
    key: str
    metric: str
    points: list[tuple[Any, list[float | None], int]]


TARGET_COLUMNS = ("steps_to_target", "samples_to_target", "seconds_to_target")


def sweep_columns(sweep: Sweep) -> tuple[str, ...]:
    """sweep.csv's columns; with a budget target_loss also steps, samples and seconds to target."""
    target = any(t.spec.budget.get("target_loss") is not None for t in sweep.trials)
    return (*SWEEP_HEAD, *sweep.keys, *SWEEP_TAIL, *(TARGET_COLUMNS if target else ()))


def sweep_rows(sweep: Sweep, outcomes: dict[int, Any]) -> list[dict[str, Any]]:
    """One row per trial in the sweep's order; a trial without an outcome (never started) is
    ``stopped`` with no numbers. ``test_loss``/``test_accuracy`` are the last evaluation's, if any."""
    rows = []
    for t in sweep.trials:
        o = outcomes.get(t.index)
        row: dict[str, Any] = {"label": t.label, "config": t.config, "seed": t.seed}
        for k in sweep.keys:
            row[k] = value_text(t.values[k]) if k in t.values else ""
        if o is None:
            row.update(status="stopped", steps=0, final_loss=None, best_loss=None, test_loss=None,
                       test_accuracy=None, diverged_step=None, time_s=0.0, steps_to_target=None,
                       samples_to_target=None, seconds_to_target=None)
        else:
            r = o.result
            last = o.evals[-1] if o.evals else None
            row.update(status=r.status, steps=r.steps, final_loss=r.final_loss, best_loss=r.best_loss,
                       test_loss=last.test_loss if last else None,
                       test_accuracy=last.test_accuracy if last else None,
                       diverged_step=r.diverged_step, time_s=r.time_s, steps_to_target=r.steps_to_target,
                       samples_to_target=r.samples_to_target, seconds_to_target=r.seconds_to_target)
        rows.append(row)
    return rows


def quantile(values: list[float], q: float) -> float:
    """The q-quantile (0 ≤ q ≤ 1) of sorted ``values`` by linear interpolation; +inf values allowed."""
    if not values:
        raise ValueError("quantile of no values")
    h = q * (len(values) - 1)
    lo = math.floor(h)
    frac = h - lo
    if frac == 0 or lo + 1 >= len(values):
        return values[lo]
    a, b = values[lo], values[lo + 1]
    if math.isinf(b):
        return b
    return a + frac * (b - a)


def bands(sweep: Sweep, series: dict[int, list], statuses: dict[int, str]) -> list[BandRow]:
    """Median, p10 and p90 of the logged training loss over seeds, per configuration and step.
    ``series`` maps a trial's index to its records (Record: step, epoch, samples, ..., loss)."""
    by_config: dict[str, list[int]] = {}
    for t in sweep.trials:
        by_config.setdefault(t.config, []).append(t.index)
    out: list[BandRow] = []
    for config, members in by_config.items():
        per_trial = {i: {r.step: r for r in series.get(i, [])} for i in members}
        steps = sorted({s for recs in per_trial.values() for s in recs})
        for step in steps:
            values = []
            first = None
            for i in members:
                recs = per_trial[i]
                rec = recs.get(step)
                if rec is not None:
                    first = first or rec
                    values.append(rec.loss if math.isfinite(rec.loss) else math.inf)
                elif recs and step > max(recs):
                    status = statuses.get(i)
                    if status == "diverged":
                        values.append(math.inf)
                    elif status in ("converged", "reached"):
                        last = recs[max(recs)].loss
                        values.append(last if math.isfinite(last) else math.inf)
            if not values or first is None:
                continue
            values.sort()
            out.append(BandRow(config, step, first.samples, first.epoch, quantile(values, 0.5),
                               quantile(values, 0.1), quantile(values, 0.9), len(values)))
    return out


def sensitivity(sweep: Sweep, rows: list[dict[str, Any]], key: str, metric: str) -> list[SensitivitySeries]:
    """``metric`` (a sweep.csv column: final_loss, best_loss, test_accuracy, ...) against the swept
    ``key``: one series per run and combination of the other swept values, one point per value of
    ``key``, with every seed's number (None for a diverged or unfinished trial) and the count diverged."""
    groups: dict[str, dict[str, list]] = {}
    order: dict[str, list[Any]] = {}
    for t, row in zip(sweep.trials, rows):
        if key not in t.values:
            continue
        others = " ".join(f"{k}={value_text(v)}" for k, v in t.values.items() if k != key)
        name = f"{t.run} {others}".strip()
        x = value_text(t.values[key])
        group = groups.setdefault(name, {})
        order.setdefault(name, [])
        if x not in group:
            group[x] = []
            order[name].append(t.values[key])
        group[x].append(row)
    out = []
    for name, group in groups.items():
        points = []
        for x in order[name]:
            members = group[value_text(x)]
            ys = [_metric(r, metric) for r in members]
            points.append((x, ys, sum(r["status"] == "diverged" for r in members)))
        out.append(SensitivitySeries(name, key, metric, points))
    return out


def _metric(row: dict[str, Any], metric: str) -> float | None:
    v = row.get(metric)
    if row["status"] in ("diverged", "stopped", "timeout", "error") or v is None:  # no final value to show
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def median(values: Iterable[float]) -> float | None:
    """The median of the numbers given (None when there are none)."""
    v = sorted(values)
    return quantile(v, 0.5) if v else None
