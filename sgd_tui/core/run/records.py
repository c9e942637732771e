"""What a run emits: one Record per logged step, one EvalRecord per evaluated epoch, and a RunResult.

No torch import: the UI and the headless writer consume these from any thread.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import NamedTuple

__all__ = ["Record", "EvalRecord", "SharpnessRecord", "Chunk", "RunResult", "STATUSES", "METRICS_COLUMNS",
           "EVAL_COLUMNS", "SHARPNESS_COLUMNS", "NoiseRecord", "NOISE_COLUMNS"]

STATUSES = ("ready", "running", "paused", "finished", "converged", "reached", "diverged", "stopped", "error")
METRICS_COLUMNS = ("run", "step", "epoch", "samples", "time_s", "loss", "lr", "grad_norm", "x", "y")
EVAL_COLUMNS = ("run", "epoch", "samples", "test_loss", "test_accuracy")
SHARPNESS_COLUMNS = ("run", "step", "samples", "lambda_max", "limit", "preconditioned")
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
    at the step's learning rate (2/α for GD; for an adaptive method the limit on its preconditioned
    sharpness, (2+2β1)/((1−β1)α) for Adam), None when it has none; products: Hessian-vector products
    spent; time_s: the run's time when it was taken (measuring counts in the run's time); preconditioned:
    an adaptive method's top eigenvalue of P⁻¹H (:mod:`sgd_tui.core.theory.preconditioned`), None for the
    other methods and before the first step.
    """

    step: int
    samples: int
    time_s: float
    lambda_max: float
    limit: float | None
    products: int = 0
    preconditioned: float | None = None

    @property
    def measured(self) -> float:
        """What the limit bounds: the preconditioned sharpness when there is one, else λmax."""
        return self.lambda_max if self.preconditioned is None else self.preconditioned


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
    # budget target_loss (core.run.target): the target and when it was reached (None: not reached)
    target_loss: float | None = None
    steps_to_target: int | None = None
    samples_to_target: int | None = None
    seconds_to_target: float | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        if self.final_params is None:
            d.pop("final_params")
        if self.diverged_step is None:
            d.pop("diverged_step")
        if not self.extra:
            d.pop("extra")
        if self.target_loss is None:  # no target: none of its keys
            for k in ("target_loss", "steps_to_target", "samples_to_target", "seconds_to_target"):
                d.pop(k)
        return d
