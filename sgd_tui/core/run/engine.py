"""The run loop: one RunSpec in, a stream of records out.

:class:`Runner` owns one run: its problem, optimizer, schedule and sampler (the last two in
:mod:`sgd_tui.core.run.sampler`). ``advance()`` takes up to a
given number of steps (or until a deadline) and returns the records logged meanwhile, so the same code
serves :func:`drive`, the one loop of a run without a UI (the headless replay and the tests, in chunks of
a quarter second), and the app's worker thread (small chunks, then a sleep that leaves the UI the GIL).
Pause, single step and stop go through a thread-safe :class:`~sgd_tui.core.run.control.Control`, checked
between steps, so they take effect within one step.

Divergence (a non-finite loss or parameters, or a loss above ``max_loss``) ends a run with status
``diverged`` and the step; it is a result, never an exception. An error while building or running is
turned into status ``error`` with a message by :func:`drive`; ``Runner`` itself raises
:class:`SetupError` for problems the user can fix (bad device, Newton on a network, ...).
"""

from __future__ import annotations

import math
import time
from typing import Any

from sgd_tui.core.errors import DeviceError, SetupError
from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.optim.changes import apply_change
from sgd_tui.core.optim.registry import get_optimizer
from sgd_tui.core.run.control import Control
from sgd_tui.core.run.devices import resolve_device
from sgd_tui.core.run.inspect import optimizer_state
from sgd_tui.core.run.records import Chunk, EvalRecord, Record, RunResult, SharpnessRecord
from sgd_tui.core.run.sampler import Sampler, build_scheduler
from sgd_tui.core.run.settings import RUN_DEFAULTS, effective_batch, log_every, max_loss, run_issues, total_steps
from sgd_tui.core.run.spec import RunSpec
from sgd_tui.core.run.target import check_target, target_meter

__all__ = ["Runner"]


def _optimizer_params(problem) -> list:
    """What the optimizer updates: ``problem.optimizer_params()`` (FashionMNIST: one flat θ), else its params."""
    get = getattr(problem, "optimizer_params", None)
    return get() if get is not None else problem.params


class Runner:
    """One run: build it from a RunSpec, then call :meth:`advance` until :attr:`done`.

    Building is five named steps: check the combination (:mod:`~sgd_tui.core.run.settings`' rules), place it
    on a device, build the problem (the objective registry's ``build``), plan batches and budget, build
    the optimizer and schedule. A step of :meth:`advance` is: the next batch, the update, maybe a record.
    """

    def __init__(self, spec: RunSpec):
        self.spec = spec
        self.info = get_objective(spec.objective)
        self.opt_info = get_optimizer(spec.optimizer)
        issues = run_issues(self.opt_info, self.info, spec.objective_options, spec.settings, spec.budget)
        if issues:
            raise SetupError(issues[0][1])
        self.device = self._place()
        self.problem = self.info.build(spec.objective_options, spec.settings.get("start"), spec.seed,
                                       str(self.device))
        self._plan()
        self._build_optimizer()
        self._start()

    def _place(self):
        """The run's torch device: the spec's device, which must exist for every objective (an absent
        one is a SetupError); 2-D problems then step on the CPU anyway (their steps are all overhead, the
        CPU is fastest), and :attr:`device_note` says so when another device was asked for."""
        import torch  # lazy: torch


        try:
            device = resolve_device(self.spec.device)
        except DeviceError as e:
            raise SetupError(str(e)) from None
        self.device_note = ""
        if self.info.is_2d:
            if device.type != "cpu":
                self.device_note = (f"{self.spec.device} ({device}) is available, but 2-D objectives step on "
                                    "the CPU: their steps are all overhead, the CPU is fastest")
            return torch.device("cpu")
        return device

    def _plan(self) -> None:
        """Batches (the effective batch B, a sampler over the N training examples, ⌈N/B⌉ batches an epoch)
        and the budget in optimizer steps."""
        settings, budget, n = self.spec.settings, self.spec.budget, self.problem.n_train
        self.batch_size = effective_batch(self.opt_info, self.info, settings.get("batch_size"))
        self.sampler = None
        if n is not None:
            sampling = settings.get("sampling") or RUN_DEFAULTS["sampling"]
            self.sampler = Sampler(n, self.batch_size, sampling, self.spec.seed, self.device)
        self.per_epoch = self.sampler.per_epoch if self.sampler is not None else 1
        self.total_steps = total_steps(budget, self.per_epoch)
        self.log_every = log_every(budget, self.info)
        self.tolerance = budget.get("tolerance")
        self.max_loss = max_loss(budget)

    def _build_optimizer(self) -> None:
        """The optimizer on the problem's parameters, its schedule, and the closure it evaluates: the loss
        and gradient of the current batch ``self._idx``."""
        p = self.problem
        self._idx = None
        hessian = (lambda: p.hessian(self._idx)) if self.opt_info.needs_hessian else None
        try:
            self.optimizer = self.opt_info.build(_optimizer_params(p), dict(self.spec.hyper), hessian=hessian)
        except ValueError as e:  # torch's own validation, Newton on a large model
            raise SetupError(f"{self.spec.optimizer}: {e}") from None
        self.scheduler = build_scheduler(self.optimizer, self.spec.settings, self.total_steps)
        self.hyper = dict(self.spec.hyper)  # the hyperparameters in effect (after the changes so far)
        self._changes = sorted(self.spec.changes, key=lambda c: c[0])  # applied by _apply_changes
        self._closure = lambda: p.loss_and_grad(self._idx)
        from sgd_tui.core.optim.fused_step import step_function  # lazy: torch

        self._step = step_function(self.optimizer)  # optimizer.step, or torch's fused SGD kernel called directly
        from sgd_tui.core.run.folded_sgd import folded_step  # lazy: torch

        self.fold = folded_step(self._step, p)  # momentum SGD without writing ∇W (steps nobody reads it), or None
        # curvature: λmax every `sharpness_every` steps on a fixed subset, measured between steps
        budget = self.spec.budget
        self.sharpness_every = budget.get("sharpness_every")
        self.sharpness_meter = None
        if self.sharpness_every:
            from sgd_tui.core.theory.sharpness import SharpnessMeter  # lazy: torch

            self.sharpness_meter = SharpnessMeter(p, budget.get("sharpness_subset") or 1000, self.spec.seed)
        from sgd_tui.core.run.noise_meter import noise_meter  # lazy: torch

        self.noise_meter = noise_meter(p, budget, self.spec.seed)  # B_simple every noise_every steps, or None
        # the weights every `snapshot_every` steps (bounded memory), for the paths on a loss-landscape slice
        self.snapshots = None
        if budget.get("snapshot_every") and p.n_train is not None:
            from sgd_tui.core.run.snapshots import SnapshotLog  # lazy: torch

            self.snapshots = SnapshotLog(budget["snapshot_every"], n_params=p.n_params(),
                                         element_size=p.params[0].element_size())
            self.snapshots.offer(0, p.params)
        self.target = target_meter(p, budget, self.spec.seed)  # target_loss: stop when reached (core.run.target)

    def _start(self) -> None:
        """Step 0: the counters, and for 2-D problems the record of the start point."""
        p = self.problem
        self.step = 0
        self.samples = 0
        self.epoch = 0  # completed epochs
        self._batches: list = []
        self._pos = 0  # position in the current epoch
        self.elapsed = 0.0
        self.status = "ready"
        self.result = RunResult(label=self.spec.label, target_loss=self.spec.budget.get("target_loss"))
        self.last_loss: float | None = None
        self.best_loss: float | None = None
        self._measured_at: int | None = None  # the step of the last curvature measurement
        # datasets: the largest batch loss since the last check, kept on the device (see _watch)
        self._peak = None
        self._peak_from = 0  # the step after which the running maximum started
        self._peak_reason = ""
        self.log_all = False  # log every step (the app's step mode: each `n` shows its step and loss)
        self.initial_record = None
        if p.is_2d:
            x, y = p.point()
            loss0 = p.value(x, y)
            self._note_loss(loss0)
            self.initial_record = Record(0, None if p.n_train is None else 0, 0, 0.0, loss0, self.lr, None, x, y)
        if self.target is not None:
            check_target(self, 0.0)  # already there at the start: 0 steps

    # ----------------------------------------------------------------------------- state
    @property
    def lr(self) -> float:
        lr = self.optimizer.param_groups[0]["lr"]
        return float(lr)

    @property
    def done(self) -> bool:
        return self.status in ("finished", "converged", "reached", "diverged", "stopped", "error")

    def _note_loss(self, loss: float) -> None:
        self.last_loss = loss
        if math.isfinite(loss) and (self.best_loss is None or loss < self.best_loss):
            self.best_loss = loss

    # ----------------------------------------------------------------------------- stepping
    def advance(
        self,
        max_steps: int,
        control: Control | None = None,
        deadline: float | None = None,
    ) -> Chunk:
        """Take up to ``max_steps`` steps (fewer at the budget's end, a deadline on ``time.perf_counter``,
        a pause or a stop). Returns the records logged, the evaluations made and the curvature measured."""
        if self.done:
            return Chunk([], [], [])
        records: list[Record] = []
        evals: list[EvalRecord] = []
        sharp: list[SharpnessRecord] = []
        t0 = time.perf_counter()
        self.status = "running"
        taken = 0
        if self.sharpness_meter is not None and self.step == 0 and self._measured_at is None:
            sharp.append(self._measure_sharpness(t0))  # the start, before the first step
        if self.noise_meter is not None:  # B_simple at the start; its measurements wait in noise_meter.pending
            self.noise_meter.at(self.step, self.samples, self.elapsed + (time.perf_counter() - t0))
        while taken < max_steps and self.step < self.total_steps:
            if control is not None and not control.may_step():
                self.status = "stopped" if control.stopped else "paused"
                break
            self._apply_changes()
            pos_in_epoch, n_batch = self._next_batch()
            lr = self.optimizer.param_groups[0]["lr"]
            batch_loss = self._update(pos_in_epoch)
            self.step += 1
            self.samples += n_batch
            taken += 1
            if self.snapshots is not None:
                self.snapshots.offer(self.step, self.problem.params)
            epoch_end = self.sampler is not None and self._pos >= len(self._batches)
            if self._log_due(pos_in_epoch):
                records.append(self._record(batch_loss, lr, self.elapsed + (time.perf_counter() - t0)))
            elif not self.problem.is_2d and self.step >= self.total_steps and self._peak_diverged():
                self._diverged(self._peak_reason)
            if self.status != "running" or (self.target is not None and self.step % self.log_every == 0
                                            and check_target(self, self.elapsed + time.perf_counter() - t0)):
                break
            if self.sharpness_meter is not None and self.step % self.sharpness_every == 0:
                sharp.append(self._measure_sharpness(t0))
            if self.noise_meter is not None:  # every noise_every steps, between steps, in the run's time
                self.noise_meter.at(self.step, self.samples, self.elapsed + (time.perf_counter() - t0))
            if epoch_end:
                self._end_epoch(evals)
            if deadline is not None and time.perf_counter() >= deadline:
                break
        self.elapsed += time.perf_counter() - t0
        if self.status == "running" and self.step >= self.total_steps:
            self.status = "finished"
        return Chunk(records, evals, sharp)

    def _apply_changes(self) -> None:
        """The spec's changes due now (after ``self.step`` steps), set on the live optimizer (core.changes)."""
        while self._changes and self._changes[0][0] <= self.step:
            self.change(self._changes.pop(0)[1])

    def change(self, values: dict[str, Any]) -> int:
        """Set new hyperparameter values now, between steps, keeping the optimizer's state; returns the
        step they apply from (the steps taken so far). Call it from the thread that steps the run."""

        apply_change(self.optimizer, self.scheduler, self.spec.settings, values)
        self.hyper.update(values)
        return self.step

    def _measure_sharpness(self, t0: float) -> SharpnessRecord:
        """λmax now (between steps; its time counts in the run's), an adaptive method's preconditioned
        sharpness, and the limit at the step's α (core.theory.preconditioned)."""
        from sgd_tui.core.theory.preconditioned import measure_curvature  # lazy: torch

        lam, pre, limit = measure_curvature(self.sharpness_meter, self.spec.optimizer, self.optimizer, self.hyper,
                                            self.lr)
        self._measured_at = self.step
        elapsed = self.elapsed + (time.perf_counter() - t0)
        return SharpnessRecord(self.step, self.samples, elapsed, lam, limit, self.sharpness_meter.products, pre)

    def _next_batch(self) -> tuple[int, int]:
        """Point the closure at the next batch (a new epoch's batches when this one is used up); returns
        the batch's position in its epoch and its size. Problems without data: (the step, 1)."""
        if self.sampler is None:
            return self.step, 1
        if self._pos >= len(self._batches):
            self._batches = self.sampler.epoch()
            self._pos = 0
        self._idx = self._batches[self._pos]
        self._pos += 1
        return self._pos - 1, self.sampler.size(self._idx)

    def _update(self, pos_in_epoch: int = 0):
        """Forward, backward and update on the current batch (the closure writes .grad at the parameters
        the optimizer chooses; the fold, where it applies, only when no record reads it), then the schedule's
        step; returns the batch loss."""
        batch_loss = None if self.fold is None or self._log_due(pos_in_epoch) else self.fold(self._idx)
        if batch_loss is None:
            batch_loss = self._step(self._closure)
        if not self.problem.is_2d:
            self._watch(batch_loss)
        if self.scheduler is not None:
            self.scheduler.step()
        return batch_loss

    def _watch(self, batch_loss) -> None:
        """Watch every batch loss, not only the logged ones, without a CPU-GPU sync: a running maximum on
        the device (NaN propagates), read at the next log point or the budget's end, so a blow-up between
        log points (after which a network may die and look finite) is seen."""
        import torch  # lazy: torch

        loss = batch_loss if isinstance(batch_loss, torch.Tensor) else torch.as_tensor(batch_loss)
        if self._peak is None or self._peak.dtype != loss.dtype:  # a copy of its own, then updated in place
            self._peak = loss.detach().clone() if self._peak is None else torch.maximum(self._peak, loss)
        else:
            torch.maximum(self._peak, loss, out=self._peak)  # no new tensor per step

    def _log_due(self, pos_in_epoch: int) -> bool:
        """2-D problems log the full objective at the new point every ``log_every`` steps and at the end;
        datasets log the batch loss as the lecture does (``batch % log_every == 0`` within an epoch); with
        ``log_all`` (single steps in the app) every step is logged."""
        if self.log_all:
            return True
        if self.problem.is_2d:
            return self.step % self.log_every == 0 or self.step == self.total_steps
        return pos_in_epoch % self.log_every == 0

    def _record(self, batch_loss, lr: float, elapsed: float) -> Record:
        """The record of the step just taken; ends the run ``diverged`` (a non-finite loss or point, a
        loss above max_loss, a blow-up since the last record) or ``converged`` (‖∇‖ below tolerance)."""
        p = self.problem
        loss = p.logged_loss(batch_loss)  # note: a CPU-GPU sync point on accelerators
        gnorm = p.grad_norm()
        epoch_no = (self.epoch + 1) if self.sampler is not None else None
        reason = ""
        if p.is_2d:
            x, y = p.point()
            rec = Record(self.step, epoch_no, self.samples, elapsed, loss, lr, gnorm, x, y)
            if not (math.isfinite(x) and math.isfinite(y)):
                reason = f"the point ({x:.4g}, {y:.4g}) is not finite"
        else:
            rec = Record(self.step, epoch_no, self.samples, elapsed, loss, lr, gnorm)
            if self._peak_diverged():
                reason = self._peak_reason
        self._note_loss(loss)
        if not reason and not math.isfinite(loss):
            reason = f"the loss is {loss}"
        elif not reason and abs(loss) > self.max_loss:
            reason = f"the loss {loss:.4g} is above max_loss = {self.max_loss:g}"
        if reason:
            self._diverged(reason)
        elif self.tolerance is not None and gnorm < self.tolerance:
            self.status = "converged"
        return rec

    def _diverged(self, reason: str = "") -> None:
        """End the run "diverged" at this step; ``reason`` (the value that tripped the check) becomes the
        result's message, which the app and the replay's progress lines show."""
        self.status = "diverged"
        self.result.diverged_step = self.step
        self.result.message = reason

    def _end_epoch(self, evals: list[EvalRecord]) -> None:
        """An epoch is complete: evaluate on the test set when the objective has one (and wants it)."""
        self.epoch += 1
        p = self.problem
        if getattr(p, "has_test", False) and self.spec.objective_options.get("eval_every_epoch", True):
            ev = p.evaluate()
            if ev is not None:
                evals.append(EvalRecord(self.epoch, self.samples, ev[0], ev[1]))

    def _peak_diverged(self) -> bool:
        """Whether a batch loss since the last check was non-finite or above ``max_loss`` (reads and resets
        the running maximum: a CPU-GPU sync point on accelerators)."""
        if self._peak is None:
            return False
        peak = float(self._peak)
        self._peak = None
        since, self._peak_from = self._peak_from, self.step
        bad = not math.isfinite(peak) or abs(peak) > self.max_loss
        if bad:
            what = f"is {peak}" if not math.isfinite(peak) else f"of {peak:.4g} is above max_loss = {self.max_loss:g}"
            self._peak_reason = (f"a batch loss {what} (the highest batch loss of steps {since + 1}-{self.step}; "
                                 "the logged loss may look finite once the weights are ruined)")
        return bad

    def stop(self) -> None:
        if not self.done:
            self.status = "stopped"

    def fail(self, message: str) -> None:
        self.status = "error"
        self.result.message = message

    def final_result(self) -> RunResult:
        r = self.result
        r.status = self.status
        r.steps = self.step
        r.samples = self.samples
        r.final_loss = self.last_loss
        r.best_loss = self.best_loss
        r.time_s = self.elapsed
        r.samples_per_s = self.samples / self.elapsed if self.elapsed > 0 else 0.0
        if self.problem.is_2d:
            r.final_params = list(self.problem.point())
        return r

    # ----------------------------------------------------------------------------- teaching aids
    def inspect(self) -> dict[str, Any]:
        """The optimizer's state for 2-D problems, as plain floats (:func:`~sgd_tui.core.run.inspect.optimizer_state`)."""
        return optimizer_state(self.problem, self.optimizer)


