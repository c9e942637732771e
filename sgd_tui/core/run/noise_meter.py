"""The engine's noise-scale hook: B_simple (:mod:`sgd_tui.core.theory.noise_scale`) of one run every
``budget.noise_every`` steps, between steps (its time counts in the run's), on a fixed seeded subset of
``budget.noise_subset`` examples (all of them when the set is smaller)."""

from __future__ import annotations

from typing import Any

import torch

from sgd_tui.core.run.records import NoiseRecord
from sgd_tui.core.theory.noise_scale import NoiseScale, noise_scale, per_example_moments
from sgd_tui.core.theory.sharpness import fixed_subset

__all__ = ["NoiseMeter", "noise_meter"]


class NoiseMeter:
    """B_simple of one run every ``every`` steps on a fixed seeded subset of ``subset`` examples.

    ``problem`` needs ``params``, ``n_train`` and ``training_loss(params, idx)``. :meth:`at` is the engine's
    hook (between steps); the measurements wait in :attr:`pending` until :meth:`drain`; :attr:`last` is the
    latest (summary.json's ``noise_scale``)."""

    def __init__(self, problem, every: int, subset: int | None = 1000, seed: int = 0):
        self.problem = problem
        self.every = int(every)
        device = problem.params[0].device
        n = int(problem.n_train)
        idx = fixed_subset(n, subset, seed + 3, device)  # its own stream: not the sharpness meter's subset
        self.idx = torch.arange(n, device=device) if idx is None else idx
        self.n = n
        self.pending: list[NoiseRecord] = []
        self.last: NoiseRecord | None = None
        self._at: int | None = None  # the step measured last

    def measure(self) -> NoiseScale:
        """B_simple at the problem's current parameters (neither they nor their .grad are touched)."""
        p = self.problem
        sum_g, sum_sq, m = per_example_moments(p.training_loss, list(p.params), self.idx)
        return noise_scale(sum_g, sum_sq, m, self.n)

    def at(self, step: int, samples: int, time_s: float) -> None:
        """Measure now when ``step`` is a multiple of ``every`` (step 0 = the start) not measured yet."""
        if step % self.every or self._at == step:
            return
        self._at = step
        est = self.measure()
        rec = NoiseRecord(step, samples, time_s, est.b_simple, est.trace_sigma, est.grad_norm_sq)
        self.pending.append(rec)
        self.last = rec

    def drain(self) -> list[NoiseRecord]:
        """The measurements since the last drain (the replay writes them to noise.csv, the app plots them)."""
        out, self.pending = self.pending, []
        return out

    def summary(self) -> dict[str, Any] | None:
        """The last measurement for summary.json (``noise_scale``), or None before the first."""
        r = self.last
        if r is None:
            return None
        return {"step": r.step, "samples": r.samples, "b_simple": r.b_simple, "trace_sigma": r.trace_sigma,
                "grad_norm_sq": r.grad_norm_sq, "subset": int(self.idx.numel())}


def noise_meter(problem, budget: dict[str, Any], seed: int) -> NoiseMeter | None:
    """The run's meter when ``budget.noise_every`` is set and the objective has a training set, else None."""
    every = budget.get("noise_every")
    if not every or getattr(problem, "n_train", None) is None or not hasattr(problem, "training_loss"):
        return None
    return NoiseMeter(problem, every, budget.get("noise_subset") or 1000, seed)
