"""The critical batch size from a sweep over batch sizes (McCandlish et al. 2018, "An Empirical Model of
Large-Batch Training").

With a learning rate tuned per batch size, the optimizer steps S and the training examples E = B·S needed
to reach a target loss follow

    S(B) = S_min (1 + B_crit / B),        E(B) = E_min (1 + B / B_crit),        E_min = S_min · B_crit:

below B_crit a doubled batch nearly halves the steps (perfect scaling), above it the steps barely fall and
the examples grow. The two relations are one: E/B = S, so fitting both is fitting S(B). :func:`fit_critical_batch`
does it by least squares on log S (the points span decades, so relative errors are what to weigh): for a
fixed B_crit, log S_min is the mean of log S_i - log(1 + B_crit/B_i) (closed form), and B_crit minimises the
rest (a scan over log B_crit, then golden-section refinement). When the best B_crit lies outside the batch
sizes measured by more than a factor of 4 the fit says so (``resolved`` False): all points sit in one regime.

:func:`best_points` picks, for each batch size, the learning rate that reaches the target in the fewest steps
(the median over seeds; a configuration counts only when every seed reached the target): the relations hold
for a tuned lr. :func:`critical_batch_from_sweep` is the one place a sweep's trials are read for it; it
takes each trial's steps to target from :func:`steps_to_target_of` (the ``target_loss`` budget key of
issue 23 fills ``steps_to_target`` in a trial's RunResult; until then no sweep has it and there is no fit).
When the trials measure the noise scale (budget ``noise_every``) the median of their last B_simple is given
beside B_crit (McCandlish et al.: B_crit ≈ B_noise, of which B_simple is the simple estimate). No torch import.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, NamedTuple

__all__ = ["BatchPoint", "CriticalBatchFit", "steps_curve", "samples_curve", "fit_critical_batch",
           "best_points", "steps_to_target_of", "critical_batch_from_sweep"]


class BatchPoint(NamedTuple):
    """Steps S and examples E = B·S to the target at batch size B (with the lr chosen for it, if any)."""

    batch: float
    steps: float
    samples: float
    lr: float | None = None


class CriticalBatchFit(NamedTuple):
    b_crit: float
    s_min: float
    e_min: float
    rms_log_error: float  # root mean square of log S_i - log S(B_i): 0.05 = about 5% off
    resolved: bool  # B_crit within a factor of 4 of the batch sizes measured
    n: int

    def as_dict(self) -> dict[str, Any]:
        return {"b_crit": self.b_crit, "s_min": self.s_min, "e_min": self.e_min,
                "rms_log_error": self.rms_log_error, "resolved": self.resolved, "points": self.n}


def steps_curve(b: float, s_min: float, b_crit: float) -> float:
    """S(B) = S_min (1 + B_crit/B)."""
    return s_min * (1.0 + b_crit / b)


def samples_curve(b: float, s_min: float, b_crit: float) -> float:
    """E(B) = E_min (1 + B/B_crit), E_min = S_min · B_crit."""
    return s_min * b_crit * (1.0 + b / b_crit)


def _profile(log_bc: float, bs: list[float], log_s: list[float]) -> tuple[float, float]:
    """(sum of squared log residuals, log S_min) at B_crit = exp(log_bc), S_min at its optimum."""
    bc = math.exp(log_bc)
    shift = [ls - math.log1p(bc / b) for b, ls in zip(bs, log_s)]
    log_smin = sum(shift) / len(shift)
    return sum((v - log_smin) ** 2 for v in shift), log_smin


def fit_critical_batch(points: Iterable[BatchPoint]) -> CriticalBatchFit | None:
    """S_min, B_crit (and E_min) by least squares on log S over the points with finite positive S and B;
    None with fewer than two distinct batch sizes."""
    pts = [p for p in points if p.batch > 0 and p.steps > 0 and math.isfinite(p.steps) and math.isfinite(p.batch)]
    if len({p.batch for p in pts}) < 2:
        return None
    bs = [float(p.batch) for p in pts]
    log_s = [math.log(p.steps) for p in pts]
    lo, hi = math.log(min(bs)) - math.log(1e4), math.log(max(bs)) + math.log(1e4)
    grid = [lo + (hi - lo) * k / 400 for k in range(401)]
    values = [_profile(g, bs, log_s)[0] for g in grid]
    k = min(range(len(grid)), key=values.__getitem__)
    a, b = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
    golden = (math.sqrt(5) - 1) / 2
    for _ in range(100):  # golden section on the bracket around the best grid point
        c, d = b - golden * (b - a), a + golden * (b - a)
        if _profile(c, bs, log_s)[0] <= _profile(d, bs, log_s)[0]:
            b = d
        else:
            a = c
    log_bc = (a + b) / 2
    sse, log_smin = _profile(log_bc, bs, log_s)
    b_crit, s_min = math.exp(log_bc), math.exp(log_smin)
    resolved = min(bs) / 4 <= b_crit <= 4 * max(bs)
    return CriticalBatchFit(b_crit, s_min, s_min * b_crit, math.sqrt(sse / len(pts)), resolved, len(pts))


def _median(values: list[float]) -> float:
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def best_points(trials: Iterable[dict[str, Any]]) -> list[BatchPoint]:
    """Per batch size, the lr whose median steps to target over seeds is fewest. Each trial is a dict with
    ``batch``, ``lr``, ``seed`` and ``steps_to_target`` (None: not reached; a configuration with a seed that
    did not reach the target is left out)."""
    by_config: dict[tuple[float, float | None], list[float | None]] = {}
    for t in trials:
        by_config.setdefault((float(t["batch"]), t.get("lr")), []).append(t.get("steps_to_target"))
    best: dict[float, tuple[float, float | None]] = {}
    for (batch, lr), steps in by_config.items():
        if not steps or any(s is None or not math.isfinite(float(s)) for s in steps):
            continue
        med = _median([float(s) for s in steps])
        if batch not in best or med < best[batch][0]:
            best[batch] = (med, lr)
    return [BatchPoint(b, s, b * s, lr) for b, (s, lr) in sorted(best.items())]


def steps_to_target_of(result) -> int | None:
    """A trial's steps to its target loss, where the engine recorded one: ``result.steps_to_target`` (the
    ``target_loss`` budget key, issue 23), else ``result.extra["steps_to_target"]``; None when not reached
    or not measured. The one place the critical-batch fit reads a trial's result."""
    value = getattr(result, "steps_to_target", None)
    if value is None:
        value = (getattr(result, "extra", None) or {}).get("steps_to_target")
    return None if value is None else int(value)


def critical_batch_from_sweep(trials: Iterable[Any], outcomes: dict[int, Any], n_train: int | None = None
                              ) -> dict[str, Any] | None:
    """summary.json's ``critical_batch`` of a sweep: the fit over its trials' steps to target, the points
    (batch, lr chosen, steps, samples) and how the lr was chosen; None when no trial has steps to target or
    fewer than two batch sizes reached it. ``trials``: the sweep's Trials (``index``, ``seed``, ``spec``);
    a ``"full"`` batch counts as ``n_train`` examples."""
    rows = []
    lrs = set()
    for t in trials:
        o = outcomes.get(t.index)
        batch = t.spec.settings.get("batch_size")
        batch = n_train if batch == "full" else batch
        if o is None or not isinstance(batch, int):
            continue
        lr = t.spec.hyper.get("lr")
        lrs.add(lr)
        rows.append({"batch": batch, "lr": lr, "seed": t.seed, "steps_to_target": steps_to_target_of(o.result)})
    if not any(r["steps_to_target"] is not None for r in rows):
        return None
    points = best_points(rows)
    fit = fit_critical_batch(points)
    if fit is None:
        return None
    measured_noise = [o.result.extra["noise_scale"]["b_simple"] for o in outcomes.values()
                      if "noise_scale" in (getattr(o.result, "extra", None) or {})]
    measured_noise = [b for b in measured_noise if b is not None and math.isfinite(b)]
    how = ("for each batch size the lr that reaches the target in the fewest steps (median over seeds)"
           if len(lrs) > 1 else "one lr for every batch size (the relations assume an lr tuned per batch size)")
    return {**fit.as_dict(), "lr_choice": how,
            "b_simple_median": _median(measured_noise) if measured_noise else None,  # the trials' last B_simple
            "measured": [{"batch": p.batch, "lr": p.lr, "steps": p.steps, "samples": p.samples} for p in points]}
