"""Time to target: a run stops when its training loss reaches ``target_loss`` (``[budget]``).

The loss compared with the target is never the noisy batch loss: every ``log_every`` steps (and at the
start) the run measures its *training* loss, between steps and counted in its time:

* 2-D objectives (surfaces and the regression risks): f itself at the current point, exactly;
* data sets: the training loss R(θ) = L + λΩ on the whole training set, or, when the set has more than
  ``target_subset`` examples (default 1,000), on a fixed seeded subset of that size (the same subset at
  every measurement, so successive values are comparable).

The first measurement at or below the target ends the run with status ``reached``; its steps, samples
and seconds (the run's stepping time, measurements included) are the run's ``steps_to_target``,
``samples_to_target`` and ``seconds_to_target``. A run that ends otherwise has none of them (null in
summary.json). Because the check happens every ``log_every`` steps, steps_to_target is the first
multiple of ``log_every`` at which the loss is below the target: lower ``log_every`` for a finer answer.
"""

from __future__ import annotations

import math

__all__ = ["TARGET_SEED_OFFSET", "TargetMeter", "target_meter", "check_target"]

TARGET_SEED_OFFSET = 3  # the subset's generator: seed + 3 (λmax's subset uses seed + 1)


class TargetMeter:
    """Measures one run's training loss for the target check (see the module docstring)."""

    def __init__(self, problem, target: float, subset: int | None, seed: int):
        from sgd_tui.core.theory.sharpness import fixed_subset  # lazy: torch

        self.problem = problem
        self.target = float(target)
        self.idx = None
        if not problem.is_2d and problem.n_train:
            self.idx = fixed_subset(problem.n_train, subset, seed + TARGET_SEED_OFFSET, problem.params[0].device)
        self.subset_size = problem.n_train if self.idx is None else int(self.idx.numel())
        self.last: float | None = None

    def loss(self) -> float:
        """The training loss now (parameters and their .grad untouched)."""
        import torch  # lazy: torch

        p = self.problem
        if p.is_2d:
            value = p.value(*p.point())
        else:
            with torch.no_grad():
                value = float(p.training_loss(p.params, self.idx))
        self.last = value
        return value

    def reached(self) -> bool:
        """Whether the training loss now is at or below the target (NaN never is)."""
        value = self.loss()
        return math.isfinite(value) and value <= self.target


def target_meter(problem, budget: dict, seed: int) -> TargetMeter | None:
    """The run's TargetMeter when ``budget`` sets ``target_loss``, else None."""
    if budget.get("target_loss") is None:
        return None
    return TargetMeter(problem, budget["target_loss"], budget.get("target_subset") or 1000, seed)


def check_target(runner, elapsed: float) -> bool:
    """Measure ``runner``'s training loss now; at or below the target, end the run ``reached`` and note
    steps, samples and seconds to target in its result. Returns whether it ended."""
    meter = runner.target
    if not meter.reached():
        return False
    runner.status = "reached"
    r = runner.result
    r.steps_to_target, r.samples_to_target, r.seconds_to_target = runner.step, runner.samples, elapsed
    r.message = f"training loss {meter.last:.6g} ≤ target_loss {meter.target:g} at step {runner.step}"
    return True
