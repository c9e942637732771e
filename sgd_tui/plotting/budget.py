"""Where a run's budget ends on the loss plot's x axis, so that the axis ends at the budget (600 steps end
at 600, not at the next 1-2-5 value 1k) and its ticks fall inside it.

A run's budget is ``steps`` or ``epochs`` (:func:`sgd_tui.core.run.settings.total_steps`). Its length on
each x axis follows the engine's sampler (:mod:`sgd_tui.core.run.sampler`): a step of a data objective
takes a batch of B examples (B = N for the full batch), ⌈N/B⌉ batches an epoch, the last one smaller
except with sampling "replacement" (every batch is B draws); an objective without data counts one
sample a step. The time axis has no budget end (None). No torch import.
"""

from __future__ import annotations

import math

from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.optim.registry import get_optimizer
from sgd_tui.core.run.settings import RUN_DEFAULTS, effective_batch, total_steps
from sgd_tui.core.run.spec import RunSpec

__all__ = ["budget_ends", "ticks_to_end"]


def budget_ends(spec: RunSpec, n_train: int | None = None) -> dict[str, float]:
    """The x a run reaches at the end of its budget on the ``step``, ``samples`` and ``epoch`` axes (epoch
    only with a training set); ``n_train``: the training-set size when the caller knows it (else the
    objective's, from its options). Empty when the spec cannot be resolved (an unknown name)."""
    try:
        obj = get_objective(spec.objective)
        opt = get_optimizer(spec.optimizer)
        n = n_train or obj.train_size(spec.objective_options)
    except Exception:  # noqa: BLE001 - an invalid spec: the axis falls back to the data's range
        return {}
    budget = spec.budget
    if not n:
        steps = total_steps(budget, 1)
        return {"step": float(steps), "samples": float(steps)}
    b = effective_batch(opt, obj, spec.settings.get("batch_size"))
    batch = n if b == "full" or int(b) >= n else int(b)
    per_epoch = math.ceil(n / batch)
    steps = total_steps(budget, per_epoch)
    replacement = (spec.settings.get("sampling") or RUN_DEFAULTS["sampling"]) == "replacement"
    epoch_samples = per_epoch * batch if replacement else n
    whole, rest = divmod(steps, per_epoch)
    samples = whole * epoch_samples + rest * batch
    return {"step": float(steps), "samples": float(samples), "epoch": samples / n}


def ticks_to_end(ticks: list[float], lo: float, hi: float) -> list[float]:
    """Linear ticks on multiples of a 1-2-5 step (``ticks``, inside [lo, hi]) that end at the axis's end
    ``hi``, so the budget is labelled: ``hi`` is added when the last tick falls short of it by half a step
    or more, else it takes the last tick's place (0, 500 on an axis to 600 become 0, 600); two labels
    are never closer than half a step."""
    if len(ticks) < 2 or not math.isfinite(hi):
        return ticks
    step = ticks[1] - ticks[0]
    gap = hi - ticks[-1]
    if gap <= step * 1e-9:
        return ticks
    if gap >= 0.5 * step * (1 - 1e-9):
        return [*ticks, hi]
    return [*ticks[:-1], hi]
