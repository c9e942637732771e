"""Hyperparameters changed in the middle of a run: a run's ``changes``, (step, {name: value}) pairs.

A change at step s is applied to the live optimizer's ``param_groups`` after s steps were taken and
before step s + 1, exactly as if the optimizer had been edited in place there: the optimizer's state
(momentum buffers, Adam's moments, its step count) is kept. Only the optimizer's numeric
hyperparameters (kind ``float`` or ``pair``: lr, momentum, betas, ...) can change; switches such as
``nesterov`` change what is computed and need a new run.

The learning rate and a schedule: a change of lr sets the schedule's base α (its ``base_lrs`` and the
group's ``initial_lr``), and the lr in effect becomes the schedule's value with that base at the same
step, α_t = α_new · (α_t / α_old) for the multiplicative schedules (step, exponential, inverse_time, warmup) and
α_t = η_min + (α_new − η_min)(1 + cos(π t/T))/2 for cosine: the schedule goes on from where it is, scaled
to the new α. Without a schedule this is lr = α_new. No torch import.
"""

from __future__ import annotations

import math
from typing import Any

from sgd_tui.core.optim.registry import get_optimizer, validate_hyperparameters

__all__ = ["add_change", "changeable", "check_changes", "apply_change", "change_marks", "show_value"]


def changeable(opt_info) -> list[str]:
    """The hyperparameters of an optimizer that a change may set (its numeric ones)."""
    return [p.name for p in opt_info.params if p.kind in ("float", "pair")]


def show_value(v: Any) -> str:
    """A hyperparameter value as a mark shows it: 0.1, (0.9, 0.99)."""
    if isinstance(v, (list, tuple)):
        return "(" + ", ".join(show_value(x) for x in v) + ")"
    return f"{v:g}" if isinstance(v, float) else str(v)


def change_marks(hyper: dict[str, Any], changes: list) -> list[tuple[int, str]]:
    """(step, "lr 0.01→0.1") for each change of a run that starts with ``hyper`` (the loss plot's ticks)."""
    current = dict(hyper)
    marks = []
    for step, values in changes:
        text = ", ".join(f"{k} {show_value(current.get(k))}→{show_value(v)}" for k, v in values.items())
        current.update(values)
        marks.append((step, text))
    return marks


def add_change(changes: list, step: int, values: dict[str, Any]) -> list:
    """``changes`` with ``values`` set after ``step`` steps. Edits made with no step between them (a paused
    run edited twice, a burst of nudges) are one change, the later values winning, since a scenario file
    holds at most one change per step (steps increase); the list stays in step order (after a reset a run
    keeps its changes, so an edit may come before a later one). The hyperparameters in effect after any
    number of steps are those of the edits applied in turn, as the driver applies them."""
    same = next((v for at, v in changes if at == step), {})
    kept = [c for c in changes if c[0] != step] + [(step, {**same, **values})]
    return sorted(kept, key=lambda c: c[0])


def check_changes(opt_name: str, hyper: dict[str, Any], raw: Any, total_steps: int | None):
    """Check a run's ``changes`` list. Returns (changes as [(step, {name: value})], errors as
    [(key suffix, message)]) where the key suffix is like ``changes[0].lr``. Each value is checked with
    the optimizer's Param and the combination in effect after it with the optimizer's checks; steps must
    be integers ≥ 1, increasing, and below the budget's steps (when the budget is in steps)."""

    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        return [], [("changes", "must be a list of tables like [{step = 200, lr = 0.1}]")]
    allowed = changeable(get_optimizer(opt_name))
    out: list[tuple[int, dict[str, Any]]] = []
    errors: list[tuple[str, str]] = []
    current = dict(hyper)
    last = 0
    for j, change in enumerate(raw):
        key = f"changes[{j}]"
        step = change.get("step")
        if isinstance(step, bool) or not isinstance(step, int):
            errors.append((f"{key}.step" if "step" in change else key,
                           f"needs step = an integer ≥ 1 (the steps taken before the change), got {step!r}"))
            continue
        if step <= last:
            errors.append((f"{key}.step", f"steps must increase and be ≥ 1: {step} after {last}"))
        elif total_steps is not None and step >= total_steps:
            errors.append((f"{key}.step", f"step {step} is not within the budget of {total_steps} steps"))
        last = max(last, step)
        values = {k: v for k, v in change.items() if k != "step"}
        if not values:
            errors.append((key, "changes nothing: give a new value, e.g. lr = 0.1"))
        bad = [k for k in values if k not in allowed]
        for k in bad:
            errors.append((f"{key}.{k}", f"{opt_name} cannot change {k!r} mid-run; it can change: "
                           + ", ".join(allowed)))
        resolved, errs = validate_hyperparameters(opt_name, {**current, **{k: v for k, v in values.items()
                                                                            if k not in bad}})
        for k, message in errs:
            errors.append((f"{key}.{k}" if k else key, message))
        if not errs and not bad:
            current = resolved
            out.append((step, {k: resolved[k] for k in values}))
    return out, errors


def apply_change(optimizer, scheduler, settings: dict[str, Any], values: dict[str, Any]) -> None:
    """Set new hyperparameter values on every param group of a live torch optimizer (see the module's
    rule for lr under a schedule)."""
    for group in optimizer.param_groups:
        for k in values:
            if k not in group:
                raise KeyError(f"the optimizer has no hyperparameter {k!r} to change")
    for i, group in enumerate(optimizer.param_groups):
        for k, v in values.items():
            if k == "lr":
                group["lr"] = _scheduled_lr(group, scheduler, settings, i, float(v))
            else:
                group[k] = tuple(v) if isinstance(v, (list, tuple)) else v


def _scheduled_lr(group, scheduler, settings: dict[str, Any], i: int, new: float) -> float:
    """The lr in effect after setting the base α to ``new`` (and the scheduler's base to it)."""
    if scheduler is None:
        return new
    old = scheduler.base_lrs[i]
    scheduler.base_lrs[i] = new
    group["initial_lr"] = new
    if settings.get("schedule") == "cosine":
        eta = settings["eta_min"]
        if old == eta:  # the schedule's factor cannot be read off: compute it

            t, T = scheduler.last_epoch, scheduler.T_max
            return eta + (new - eta) * (1 + math.cos(math.pi * t / T)) / 2
        return eta + (group["lr"] - eta) * (new - eta) / (old - eta)
    if old == 0:
        return new  # α_t/α_old undefined: the schedule's factor starts again at 1
    return group["lr"] * new / old
