"""Where a run stands: one snapshot of its progress, filled by whoever steps the run, read by whoever shows it.

The app's training driver fills a :class:`RunProgress` after each round it gives a run and hands it to the
UI thread with the round's records; the runs table and the teaching aids read the run's latest one. It is
frozen, so a snapshot handed from one thread to another never changes under the reader.

No torch import: the UI reads these from any thread.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RunProgress"]


@dataclass(frozen=True)
class RunProgress:
    """A run's figures after its last step.

    status: one of :data:`~sgd_tui.core.run.records.STATUSES`; step: optimizer steps taken; samples: training
    examples seen; elapsed: seconds spent stepping (wall clock, pauses excluded); last_loss / best_loss: the
    latest and the lowest finite logged loss; grad_norm: the norm ‖∇f‖ of the last gradient that was
    computed; diverged_step: the step at which the run was declared diverged; message: why a run failed;
    to_target: steps, samples and seconds to the budget's target_loss (None until reached).
    """

    status: str = "ready"
    step: int = 0
    samples: int = 0
    elapsed: float = 0.0
    last_loss: float | None = None
    best_loss: float | None = None
    grad_norm: float | None = None
    diverged_step: int | None = None
    message: str = ""
    to_target: tuple[int, int, float] | None = None  # (steps, samples, seconds) to budget target_loss, once reached

    @property
    def done(self) -> bool:
        """The run cannot move any more (until it is reset)."""
        return self.status in ("finished", "converged", "reached", "diverged", "stopped", "error")

    @property
    def samples_per_s(self) -> float | None:
        """Throughput while stepping, samples / elapsed (None before the first timed step)."""
        return self.samples / self.elapsed if self.elapsed > 0 else None

    @property
    def status_text(self) -> str:
        """The status as a table shows it: ``diverged@N`` names the step the run diverged at."""
        if self.status == "diverged" and self.diverged_step is not None:
            return f"diverged@{self.diverged_step}"
        return self.status
