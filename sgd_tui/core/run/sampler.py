"""What each step of a run sees: which training samples (:class:`Sampler`) and which learning rate
(:func:`build_scheduler`, a torch.optim.lr_scheduler). Used by the engine's Runner and the basin maps."""

from __future__ import annotations

import math
from typing import Any

from sgd_tui.core.errors import SetupError

__all__ = ["Sampler", "build_scheduler"]


def build_scheduler(optimizer, settings: dict[str, Any], total_steps: int):
    """The learning-rate schedule α_t as a torch.optim.lr_scheduler (stepped once per optimizer step).

    constant: α_t = α;  step: α_t = α γ^⌊t/step_size⌋;  exponential: α_t = α γ^t;
    inverse_time: α_t = α / (1 + decay·t);  cosine: α_t = η_min + (α - η_min)(1 + cos(π t/T))/2, T = the budget;
    warmup: α_t = α·min(1, (t + 1)/warmup_steps).
    """
    import torch.optim.lr_scheduler as S  # lazy: torch

    kind = settings.get("schedule", "constant")
    if kind == "constant":
        return None
    if kind == "step":
        return S.StepLR(optimizer, step_size=settings["step_size"], gamma=settings["gamma"])
    if kind == "exponential":
        return S.ExponentialLR(optimizer, gamma=settings["gamma"])
    if kind == "inverse_time":
        decay = settings["decay"]
        return S.LambdaLR(optimizer, lambda t: 1.0 / (1.0 + decay * t))
    if kind == "warmup":  # linear warm-up (Kalra and Barkeshli 2024: no catapult), then constant
        warm = settings["warmup_steps"]
        return S.LambdaLR(optimizer, lambda t: min(1.0, (t + 1.0) / warm))
    if kind == "cosine":
        return S.CosineAnnealingLR(optimizer, T_max=max(1, total_steps), eta_min=settings["eta_min"])
    raise SetupError(f"unknown schedule {kind!r}")


class Sampler:
    """Batches of training indices for one epoch after another.

    shuffle: a fresh permutation each epoch (without replacement, like DataLoader(shuffle=True));
    replacement: uniform draws with replacement; sequential: file order (DataLoader without shuffle).
    A full batch is ``None``: the problem uses the whole training set without indexing.
    """

    def __init__(self, n: int, batch_size, mode: str, seed: int, device=None):
        import torch  # lazy: torch

        self.n = n
        self.full = batch_size == "full" or batch_size >= n
        self.batch = n if self.full else int(batch_size)
        self.per_epoch = 1 if self.full else math.ceil(n / self.batch)
        self.mode = mode
        self.device = device
        self.generator = torch.Generator().manual_seed(seed)

    def epoch(self) -> list:
        import torch  # lazy: torch

        if self.full:
            return [None]
        if self.mode == "shuffle":
            order = torch.randperm(self.n, generator=self.generator)
        elif self.mode == "replacement":
            order = torch.randint(self.n, (self.per_epoch * self.batch,), generator=self.generator)
        else:
            order = torch.arange(self.n)
        if self.device is not None and self.device.type != "cpu":
            order = order.to(self.device, non_blocking=True)
        return list(order.split(self.batch))

    def size(self, idx) -> int:
        return self.n if idx is None else int(idx.shape[0])
