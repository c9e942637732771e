"""What a run emits: one Record per logged step, one EvalRecord per evaluated epoch, and a RunResult.

No torch import: the UI and the headless writer consume these from any thread.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import NamedTuple

__all__ = ["Record", "EvalRecord", "SharpnessRecord", "Chunk", "RunResult", "STATUSES", "METRICS_COLUMNS",
           "EVAL_COLUMNS", "SHARPNESS_COLUMNS", "NoiseRecord", "NOISE_COLUMNS"]

STATUSES = ("ready", "running", "paused", "finished", "converged", "diverged", "stopped", "error")
METRICS_COLUMNS = ("run", "step", "epoch", "samples", "time_s", "loss", "lr", "grad_norm", "x", "y")
EVAL_COLUMNS = ("run", "epoch", "samples", "test_loss", "test_accuracy")
SHARPNESS_COLUMNS = ("run", "step", "samples", "lambda_max", "limit")
NOISE_COLUMNS = ("run", "step", "samples", "b_simple", "trace_sigma", "grad_norm_sq")


class Record(NamedTuple):
    """One logged training step.

    step: optimizer steps taken so far (0 = the starting point of a 2-D run); epoch: the epoch the step
    belongs to (1-based; None for surfaces, which have no data); samples: training examples seen so far
    (for surfaces one per step); loss: the full objective at the new parameters for 2-D objectives, the
    batch's training loss for datasets (as the lecture logs it); grad_norm: the norm of the gradient the
    step used (None when not computed); x, y: the parameters of 2-D objectives after the step.
    """

    step: int
    epoch: int | None
    samples: int
    time_s: float
    loss: float
    lr: float
    grad_norm: float | None
    x: float | None = None
    y: float | None = None


class EvalRecord(NamedTuple):
    epoch: int
    samples: int
    test_loss: float
    test_accuracy: float


class SharpnessRecord(NamedTuple):
    """One curvature measurement (:mod:`sgd_tui.core.theory.sharpness`), taken between steps.

    step, samples: as in Record (step 0 = the start, before any step); lambda_max: the largest eigenvalue
    of the training loss's Hessian on the fixed subset; limit: the stability limit of the run's optimizer
    at the step's learning rate (2/α for GD), None when it has none; products: Hessian-vector products
    spent; time_s: the run's time when it was taken (measuring counts in the run's time).
    """

    step: int
    samples: int
    time_s: float
    lambda_max: float
    limit: float | None
    products: int = 0


class NoiseRecord(NamedTuple):
    """One gradient-noise-scale measurement (:mod:`sgd_tui.core.theory.noise_scale`), taken between steps:
    step, samples, time_s as in SharpnessRecord; b_simple = trace_sigma / grad_norm_sq = tr(Σ)/|G|² (NaN when
    |G|² is not resolved on the subset)."""

    step: int
    samples: int
    time_s: float
    b_simple: float
    trace_sigma: float
    grad_norm_sq: float


class Chunk(NamedTuple):
    """What ``Runner.advance`` returns: the records logged, the evaluations and the curvature measured."""

    records: list[Record]
    evals: list[EvalRecord]
    sharpness: list[SharpnessRecord]


@dataclass
class RunResult:
    label: str
    status: str = "ready"
    steps: int = 0
    samples: int = 0
    final_loss: float | None = None
    best_loss: float | None = None
    time_s: float = 0.0
    samples_per_s: float = 0.0
    final_params: list[float] | None = None
    diverged_step: int | None = None
    message: str = ""
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        if self.final_params is None:
            d.pop("final_params")
        if self.diverged_step is None:
            d.pop("diverged_step")
        if not self.extra:
            d.pop("extra")
        return d
