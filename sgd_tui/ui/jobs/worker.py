"""The training driver: steps every run of a comparison in turn, off the UI thread.

One thread drives all runs of the comparison (design §2). It never touches widgets: it hands the UI one
:class:`Progress` message per round holding, for every run that changed, its new records and a
:class:`~sgd_tui.core.run.progress.RunProgress` snapshot of its figures, through a ``post`` callable (the app
passes its ``post_message``, which is thread-safe and does not block). The message rate stays at the
round rate (about 20 Hz) however many records a round logs.

Each round steps every active run, then sleeps for real (``time.sleep``) so the UI thread gets the GIL:
an unthrottled Python loop in a thread starves Textual (pitfalls: key latency up to 450 ms).

Pacing, per run:
  * flat out (``rate is None``): the round steps for ``work_s`` seconds of wall time in total (split
    between the active runs through ``Runner.advance``'s deadline), then rests ``rest_s`` seconds; the
    duty cycle ``work_s / (work_s + rest_s)`` bounds the throughput kept;
  * paced (``rate`` steps per second, for 2-D animations): every ``tick_s`` seconds each run takes the
    whole steps it is owed, ``rate · elapsed`` minus what it took already.

Pause and single step go through each run's own :class:`~sgd_tui.core.run.engine.Control`, so ``n`` takes
one step in every run. The driver stops when no run can move any more, or when ``cancel`` is set.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from textual.message import Message

from sgd_tui.core.errors import SetupError
from sgd_tui.core.run.control import Control
from sgd_tui.core.run.devices import set_training_threads
from sgd_tui.core.run.engine import Runner
from sgd_tui.core.run.fit import network_fit
from sgd_tui.core.run.progress import RunProgress
from sgd_tui.core.run.records import EvalRecord, Record, SharpnessRecord
from sgd_tui.core.run.spec import RunSpec
from sgd_tui.core.theory.quadratic import theory_of_runner

__all__ = ["Slot", "Driver", "RunUpdate", "Progress", "DriverIdle"]

FIT_EVERY_S = 0.2  # a 1-D network's fit is sent at most this often while it runs (its forward pass is cheap)


@dataclass(eq=False)
class Slot:
    """One run as the driver sees it. The UI creates it; the driver builds and owns ``runner``.

    A reset makes a new Slot, so updates from an old one are recognised (``update.slot is entry.slot``)
    and dropped.
    """

    run_id: str
    spec: RunSpec
    control: Control = field(default_factory=lambda: Control(paused=True))
    runner: Runner | None = None
    progress: RunProgress = field(default_factory=RunProgress)  # the run's latest figures (sent with its next update)
    removed: bool = False  # set by the UI: the driver forgets the run
    # set by the UI: new hyperparameter values, which the driver sets on the run between two steps
    requests: deque = field(default_factory=deque)
    _owed: float = 0.0  # paced mode: steps owed but not yet taken
    _state_sent: bool = False  # the teaching aids have the state after the last step
    _fit_at: float = -1.0  # when the network's fit was last sent (1-D regression networks: the fit plot)

    @property
    def active(self) -> bool:
        return not self.removed and not self.progress.done


@dataclass
class RunUpdate:
    """What one run did in one round of the driver: its new records and where it stands now.

    ``progress.status`` is the run's status as the user sees it (``running`` while the driver keeps
    stepping it); state is the optimizer's state after the last step (2-D runs, when paused: the teaching
    aids); n_train is the training-set size (data objectives: the plots' fractional epochs).
    """

    slot: Slot
    records: list[Record]
    evals: list[EvalRecord]
    progress: RunProgress
    n_train: int | None = None
    state: dict[str, Any] | None = field(default=None, repr=False)
    theory: Any = field(default=None, repr=False)  # core.theory.Theory at the run's point (2-D runs)
    sharpness: list[SharpnessRecord] = field(default_factory=list)  # λmax measured (budget sharpness_every)
    changes: list = field(default_factory=list)  # (step, values): the slot's requests, applied after `step` steps
    limit: tuple | None = None  # (λmax limit or None,) at the α, β in effect after `changes` (sharpness runs)
    fit: Any = field(default=None, repr=False)  # core.run.fit.Fit: a 1-D network's curve now (the fit plot)
    noise: list = field(default_factory=list)  # B_simple measured (budget noise_every): NoiseRecords


class Progress(Message):
    """One round of the driver: the updates of every run that changed."""

    def __init__(self, updates: list[RunUpdate]) -> None:
        super().__init__()
        self.updates = updates


class DriverIdle(Message):
    """The driver thread ended: no run can move any more (or it was cancelled)."""


class Driver:
    """Runs the slots it is given; the UI replaces ``slots`` wholesale (a list assignment is atomic)."""

    def __init__(
        self,
        post: Callable[[Any], Any],
        rate: float | None = None,
        work_s: float = 0.040,
        rest_s: float = 0.004,
        tick_s: float = 0.050,
        torch_threads: int | None = None,
        runner_factory: Callable[[RunSpec], Runner] = Runner,
    ):
        self.post = post
        self.slots: list[Slot] = []
        self.rate = rate  # steps per second per run; None = flat out
        self.work_s = work_s
        self.rest_s = rest_s
        self.tick_s = tick_s
        self.torch_threads = torch_threads
        self.runner_factory = runner_factory
        self.cancel = threading.Event()
        self._between: list[Callable[[], Any]] = []  # calls to make between two rounds (call_between)

    def call_between(self, fn: Callable[[], Any]) -> None:
        """Have the driver thread call ``fn()`` before its next round, when no run is mid-step (a job that
        must read the weights, e.g. the landscape's capture). Thread-safe; ``fn`` must not raise."""
        self._between.append(fn)

    # --------------------------------------------------------------------------------------- loop
    def run(self) -> None:
        """Step the runs until none can move or ``cancel`` is set (called in the worker thread)."""

        # torch_threads, else $SGD_TUI_THREADS, else half the cores (one here): the UI needs the other
        # core, and with two intra-op threads a busy core stalls every step (pitfalls.md).
        set_training_threads(self.torch_threads)
        last = time.perf_counter()
        while not self.cancel.is_set():
            while self._between:
                self._between.pop(0)()
            slots = [s for s in self.slots if s.active]
            if not slots:
                break
            started = time.perf_counter()
            dt, last = started - last, started
            updates = [u for u in (self._round(s, i, len(slots), started, dt) for i, s in enumerate(slots)) if u]
            if updates:
                self.post(Progress(updates))
            if all(s.control.paused for s in slots):
                slots[0].control.wait(self.tick_s)  # wakes at once on resume / single step / stop
            elif self.rate is None:
                time.sleep(self.rest_s)
            else:
                time.sleep(max(0.002, started + self.tick_s - time.perf_counter()))
        self.post(DriverIdle())

    def _round(self, slot: Slot, i: int, n: int, started: float, dt: float) -> RunUpdate | None:
        """Advance one slot for its share of the round; return what the UI should learn."""
        first: list[Record] = []
        if self.cancel.is_set():
            return None  # closing: the rest of the round is skipped
        if slot.runner is None:
            try:
                slot.runner = self.runner_factory(slot.spec)
            except Exception as e:  # SetupError (user-fixable) or a failure while building: a status
                slot.progress = replace(slot.progress, status="error", message=_message(e))
                return RunUpdate(slot, [], [], slot.progress)
            if slot.runner.initial_record is not None:
                first = [slot.runner.initial_record]
        runner = slot.runner
        applied = _apply_requests(slot)
        if self.rate is None:
            max_steps = 1 << 30
            deadline = started + self.work_s * (i + 1) / n
        elif slot.control.paused:
            slot._owed, max_steps, deadline = 0.0, 1, None  # a single step, when one is allowed
        else:
            slot._owed = min(slot._owed + self.rate * dt, max(1.0, self.rate * 0.25))
            max_steps = int(slot._owed)
            deadline = None
        before = runner.step
        w_before = runner.problem.point() if runner.problem.is_2d else None
        records: list[Record] = []
        evals: list[EvalRecord] = []
        sharpness: list[SharpnessRecord] = []
        if max_steps > 0:
            runner.log_all = slot.control.paused  # single steps: each one logged, so `n` shows its loss
            try:
                records, evals, sharpness = runner.advance(max_steps, slot.control, deadline)
            except Exception as e:  # a numerical failure or a bug inside torch: the run ends, the app goes on
                runner.fail(_message(e))
        taken = runner.step - before
        if self.rate is not None:
            slot._owed -= taken
        status = runner.status
        if status == "paused" and not slot.control.paused:
            status = "running"  # advance() ended at its deadline or step quota, not at a pause
        elif status == "paused" and runner.step == 0:
            status = "ready"  # built (its start point shown) but not started
        changed = status != slot.progress.status
        slot.progress = _progress(runner, status, records[-1] if records else None, slot.progress)
        # the theory before inspect(): the adaptive methods' effective step reads the gradient of the step
        theory = None
        if w_before is not None and (taken or first or applied):  # a change: the panel shows the new α, β
            theory = _theory(runner, w_before if taken == 1 else None)
        state = None
        if taken:
            slot._state_sent = False
        if w_before is not None and slot.control.paused and not slot._state_sent:
            state = _teaching_state(runner, w_before if taken else None, taken)
            slot._state_sent = True
        fit = None
        if (first or taken or changed) and (started - slot._fit_at >= FIT_EVERY_S or runner.status != "running"
                                           or first):
            fit = network_fit(runner.problem)  # None for every other problem
            slot._fit_at = started
        noise = runner.noise_meter.drain() if runner.noise_meter is not None else []
        if not (first or records or evals or sharpness or changed or state or applied or fit or noise):
            return None
        limit = None
        if applied and runner.sharpness_meter is not None:  # the limit line moves now, not at the next λmax
            from sgd_tui.core.theory.preconditioned import run_limit  # lazy: torch

            limit = (run_limit(runner.spec.optimizer, runner.optimizer, runner.hyper, runner.lr),)
        return RunUpdate(slot, first + records, evals, slot.progress, runner.problem.n_train, state, theory, sharpness,
                         applied, limit, fit, noise)


def _apply_requests(slot: Slot) -> list:
    """The UI's hyperparameter changes, set on the run now, between two steps (in the driver thread, the
    only one that touches the run's torch objects): [(the step they apply from, values)]."""
    applied = []
    while slot.requests:
        values = slot.requests.popleft()
        if slot.runner.done:
            continue  # the run ended before the change reached it: nothing to continue
        applied.append((slot.runner.change(values), values))
    return applied


def _progress(runner: Runner, status: str, last: Record | None, before: RunProgress) -> RunProgress:
    """The snapshot after a round: the runner's figures, except that a failed run keeps the figures it had
    (only its status and message change) and a round without a computed gradient keeps the last ‖∇f‖."""
    if status == "error":
        return replace(before, status=status, message=runner.result.message)
    grad_norm = last.grad_norm if last is not None and last.grad_norm is not None else before.grad_norm
    return RunProgress(status, runner.step, runner.samples, runner.elapsed, runner.last_loss, runner.best_loss,
                       grad_norm, runner.result.diverged_step, runner.result.message, _to_target(runner.result))


def _to_target(r) -> tuple[int, int, float] | None:
    """(steps, samples, seconds) to the target loss once the run reached it (core.run.target)."""
    return None if r.steps_to_target is None else (r.steps_to_target, r.samples_to_target, r.seconds_to_target)


def _theory(runner: Runner, previous) -> Any:
    """The theory panel's numbers at the runner's point (core.theory; computed here, in the driver
    thread, once per round that moved the run, so the UI thread never builds a Hessian). ``previous``:
    the point before a single step (the adaptive methods' effective step), else None."""
    try:
        return theory_of_runner(runner, previous)
    except Exception:  # noqa: BLE001 - a model that cannot be built is no reason to stop the run
        return None


def _teaching_state(runner: Runner, w_before, taken: int) -> dict[str, Any]:
    """The optimizer's state after the last step (Runner.inspect) plus the step it took, Δw."""
    state = runner.inspect()
    state["t"] = runner.step
    if w_before is not None:
        w = state["w"]
        state["delta"] = [w[0] - w_before[0], w[1] - w_before[1]]
        state["delta_steps"] = taken
    return state


def _message(e: BaseException) -> str:
    return str(e) if isinstance(e, SetupError) else f"{type(e).__name__}: {e}"
