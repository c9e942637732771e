"""The loop of a run without a UI (:func:`drive`: the headless replay and the tests, in chunks of about a
quarter second) and :func:`warm_up`, which imports torch and torch.optim ahead of the first run."""

from __future__ import annotations

import time
from typing import Callable

from sgd_tui.core.run.control import Control
from sgd_tui.core.run.engine import Runner
from sgd_tui.core.run.records import EvalRecord, Record, RunResult, SharpnessRecord


def warm_up() -> None:
    """Import torch and what building the first torch.optim optimizer imports (torch._dynamo: about a
    second on a laptop CPU), so the first run a person starts in the app does not wait for it."""
    import torch  # lazy: torch

    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)


def drive(
    runner: Runner,
    control: Control | None = None,
    on_chunk: Callable[[Runner, list[Record], list[EvalRecord]], None] | None = None,
    chunk_seconds: float = 0.25,
    on_sharpness: Callable[[Runner, list[SharpnessRecord]], None] | None = None,
    on_noise: Callable[[Runner, list], None] | None = None,
) -> RunResult:
    """Advance ``runner`` to its end in chunks of about ``chunk_seconds``, calling ``on_chunk`` after each
    with the records and evaluations it logged: the loop of a run without a UI (the headless replay, the
    tests; the app's worker paces its runs itself). An exception inside the run becomes status ``error``
    with its message, Ctrl+C (KeyboardInterrupt) status ``stopped``, and ``control`` stops, pauses and
    resumes it; a diverged run is a result. The runner's initial record is the caller's to use.
    ``on_sharpness`` receives the curvature measurements of each chunk (budget ``sharpness_every``), ``on_noise``
    the noise-scale measurements (budget ``noise_every``: NoiseRecords, measured by :mod:`sgd_tui.core.run.noise_meter`)."""
    while not runner.done:
        try:
            records, evals, sharpness = runner.advance(1 << 62, control, deadline=time.perf_counter() + chunk_seconds)
        except KeyboardInterrupt:
            if control is not None:
                control.stop()
            runner.stop()
            break
        except Exception as e:  # a bug or a numerical failure inside torch: a result, not a crash
            runner.fail(f"{type(e).__name__}: {e}")
            break
        if on_chunk is not None:
            on_chunk(runner, records, evals)
        if on_sharpness is not None and sharpness:
            on_sharpness(runner, sharpness)
        if on_noise is not None and runner.noise_meter is not None and runner.noise_meter.pending:
            on_noise(runner, runner.noise_meter.drain())
        if control is not None and control.stopped:
            runner.stop()
        elif runner.status == "paused" and control is not None:
            control.wait(0.1)
    return runner.final_result()
