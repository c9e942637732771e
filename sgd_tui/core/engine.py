"""The run loop: one RunSpec in, a stream of records out.

:class:`Runner` owns one run: its problem, optimizer, schedule and sampler. ``advance()`` takes up to a
given number of steps (or until a deadline) and returns the records logged meanwhile, so the same code
serves the headless replay (big chunks) and the app's worker thread (small chunks, then a sleep that
leaves the UI the GIL). Pause, single step and stop go through a thread-safe :class:`Control`, checked
between steps, so they take effect within one step.

Divergence (a non-finite loss or parameters, or a loss above ``max_loss``) ends a run with status
``diverged`` and the step; it is a result, never an exception. An error while building or running is
turned into status ``error`` with a message by :func:`run_to_end`; ``Runner`` itself raises
:class:`SetupError` for problems the user can fix (bad device, Newton on a network, ...).
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any, Callable

from .errors import DeviceError, SetupError
from .objectives import get_objective
from .optimizers import get_optimizer
from .records import EvalRecord, Record, RunResult
from .runspec import RunSpec
from .settings import RUN_DEFAULTS, effective_batch, log_every, max_loss, run_issues, total_steps

__all__ = ["Control", "Runner", "run_to_end", "build_scheduler", "warm_up"]


def warm_up() -> None:
    """Import torch and what building the first torch.optim optimizer imports (torch._dynamo: about a
    second on a laptop CPU), so the first run a person starts in the app does not wait for it."""
    import torch

    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)


class Control:
    """Thread-safe run control shared by the UI and a worker: pause, single step, stop."""

    def __init__(self, paused: bool = False):
        self._cond = threading.Condition()
        self._paused = paused
        self._stop = False
        self._tokens = 0  # single steps allowed while paused

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def stopped(self) -> bool:
        return self._stop

    def pause(self) -> None:
        with self._cond:
            self._paused = True
            self._tokens = 0

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def step(self, n: int = 1) -> None:
        """Allow ``n`` more steps while paused."""
        with self._cond:
            self._paused = True
            self._tokens += n
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()

    def may_step(self) -> bool:
        """Called by the runner before each step (cheap: no lock on the fast path)."""
        if self._stop:
            return False
        if not self._paused:
            return True
        with self._cond:
            if self._tokens > 0:
                self._tokens -= 1
                return True
            return False

    def wait(self, timeout: float) -> None:
        """Block until resumed, stepped or stopped (or ``timeout``)."""
        with self._cond:
            if self._paused and not self._tokens and not self._stop:
                self._cond.wait(timeout)


def build_scheduler(optimizer, settings: dict[str, Any], total_steps: int):
    """The learning-rate schedule α_t as a torch.optim.lr_scheduler (stepped once per optimizer step).

    constant: α_t = α;  step: α_t = α γ^⌊t/step_size⌋;  exponential: α_t = α γ^t;
    inverse_time: α_t = α / (1 + decay·t);  cosine: α_t = η_min + (α - η_min)(1 + cos(π t/T))/2, T = the budget.
    """
    import torch.optim.lr_scheduler as S

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
        import torch

        self.n = n
        self.full = batch_size == "full" or batch_size >= n
        self.batch = n if self.full else int(batch_size)
        self.per_epoch = 1 if self.full else math.ceil(n / self.batch)
        self.mode = mode
        self.device = device
        self.generator = torch.Generator().manual_seed(seed)

    def epoch(self) -> list:
        import torch

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


class Runner:
    """One run: build it from a RunSpec, then call :meth:`advance` until :attr:`done`."""

    def __init__(self, spec: RunSpec):
        import torch

        from .devices import resolve_device

        self.spec = spec
        self.info = get_objective(spec.objective)
        self.opt_info = get_optimizer(spec.optimizer)
        settings = spec.settings
        budget = spec.budget
        issues = run_issues(self.opt_info, self.info, spec.objective_options, settings, budget)
        if issues:
            raise SetupError(issues[0][1])
        if self.info.is_2d:
            self.device = torch.device("cpu")  # 2-D steps are all overhead: the CPU is fastest
        else:
            try:
                self.device = resolve_device(spec.device)
            except DeviceError as e:
                raise SetupError(str(e)) from None
        self.problem = self.info.build(spec.objective_options, settings.get("start"), spec.seed, str(self.device))
        p = self.problem

        # batches
        batch = effective_batch(self.opt_info, self.info, settings.get("batch_size"))
        self.batch_size = batch
        self.sampler = None
        if p.n_train is not None:
            sampling = settings.get("sampling") or RUN_DEFAULTS["sampling"]
            self.sampler = Sampler(p.n_train, batch, sampling, spec.seed, self.device)
            per_epoch = self.sampler.per_epoch
        else:
            per_epoch = 1
        self.per_epoch = per_epoch

        # budget
        self.total_steps = total_steps(budget, per_epoch)
        self.log_every = log_every(budget, self.info)
        self.tolerance = budget.get("tolerance")
        self.max_loss = max_loss(budget)

        # optimizer and schedule
        self._idx = None
        hessian = (lambda: p.hessian(self._idx)) if self.opt_info.needs_hessian else None
        try:
            self.optimizer = self.opt_info.build(p.params, dict(spec.hyper), hessian=hessian)
        except ValueError as e:  # torch's own validation, Newton on a large model
            raise SetupError(f"{spec.optimizer}: {e}") from None
        self.scheduler = build_scheduler(self.optimizer, settings, self.total_steps)
        self._closure = lambda: p.loss_and_grad(self._idx)

        # state
        self.step = 0
        self.samples = 0
        self.epoch = 0  # completed epochs
        self._batches: list = []
        self._pos = 0  # position in the current epoch
        self.elapsed = 0.0
        self.status = "ready"
        self.result = RunResult(label=spec.label)
        self.last_loss: float | None = None
        self.best_loss: float | None = None
        # datasets: the largest batch loss since the last check, kept on the device (see advance)
        self._peak = None
        if p.is_2d:
            x, y = p.point()
            loss0 = p.value(x, y)
            self._note_loss(loss0)
            self.initial_record = Record(0, None if p.n_train is None else 0, 0, 0.0, loss0, self.lr, None, x, y)
        else:
            self.initial_record = None

    # ----------------------------------------------------------------------------- state
    @property
    def lr(self) -> float:
        lr = self.optimizer.param_groups[0]["lr"]
        return float(lr)

    @property
    def done(self) -> bool:
        return self.status in ("finished", "converged", "diverged", "stopped", "error")

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
    ) -> tuple[list[Record], list[EvalRecord]]:
        """Take up to ``max_steps`` steps (fewer at the budget's end, a deadline on ``time.perf_counter``,
        a pause or a stop). Returns the records logged and the evaluations made."""
        if self.done:
            return [], []
        import torch

        p = self.problem
        records: list[Record] = []
        evals: list[EvalRecord] = []
        opt = self.optimizer
        sched = self.scheduler
        closure = self._closure
        is_2d = p.is_2d
        log_every = self.log_every
        has_data = p.n_train is not None
        t0 = time.perf_counter()
        self.status = "running"
        taken = 0
        while taken < max_steps and self.step < self.total_steps:
            if control is not None and not control.may_step():
                if control.stopped:
                    self.status = "stopped"
                else:
                    self.status = "paused"
                break
            # the batch
            if has_data:
                if self._pos >= len(self._batches):
                    self._batches = self.sampler.epoch()
                    self._pos = 0
                idx = self._batches[self._pos]
                self._idx = idx
                pos_in_epoch = self._pos
                self._pos += 1
                n_batch = self.sampler.size(idx)
            else:
                pos_in_epoch = self.step
                n_batch = 1
            lr = opt.param_groups[0]["lr"]
            # forward, backward and update (the closure writes .grad at the parameters the optimizer chooses)
            batch_loss = opt.step(closure)
            if not is_2d:
                # watch every batch loss, not only the logged ones, without a CPU-GPU sync: a running
                # maximum on the device (NaN propagates), read at the next log point or the budget's end,
                # so a blow-up between log points (after which a network may die and look finite) is seen
                batch_loss_t = torch.as_tensor(batch_loss)
                self._peak = batch_loss_t if self._peak is None else torch.maximum(self._peak, batch_loss_t)
            if sched is not None:
                sched.step()
            self.step += 1
            self.samples += n_batch
            taken += 1
            epoch_end = has_data and self._pos >= len(self._batches)
            # logging: 2-D problems log the full objective at the new point every `log_every` steps;
            # datasets log the batch loss as the lecture does (batch % log_every == 0 within an epoch)
            if is_2d:
                log_now = self.step % log_every == 0 or self.step == self.total_steps
            else:
                log_now = pos_in_epoch % log_every == 0
            if log_now:
                loss = p.logged_loss(batch_loss)  # note: a CPU-GPU sync point on accelerators
                gnorm = p.grad_norm()
                elapsed = self.elapsed + (time.perf_counter() - t0)
                epoch_no = (self.epoch + 1) if has_data else None
                if is_2d:
                    x, y = p.point()
                    rec = Record(self.step, epoch_no, self.samples, elapsed, loss, lr, gnorm, x, y)
                    bad = not (math.isfinite(x) and math.isfinite(y))
                else:
                    rec = Record(self.step, epoch_no, self.samples, elapsed, loss, lr, gnorm)
                    bad = self._peak_diverged()
                records.append(rec)
                self._note_loss(loss)
                if bad or not math.isfinite(loss) or abs(loss) > self.max_loss:
                    self.status = "diverged"
                    self.result.diverged_step = self.step
                    break
                if self.tolerance is not None and gnorm < self.tolerance:
                    self.status = "converged"
                    break
            elif not is_2d and self.step >= self.total_steps and self._peak_diverged():
                self.status = "diverged"
                self.result.diverged_step = self.step
                break
            if epoch_end:
                self.epoch += 1
                if getattr(p, "has_test", False) and self.spec.objective_options.get("eval_every_epoch", True):
                    ev = p.evaluate()
                    if ev is not None:
                        evals.append(EvalRecord(self.epoch, self.samples, ev[0], ev[1]))
            if deadline is not None and time.perf_counter() >= deadline:
                break
        self.elapsed += time.perf_counter() - t0
        if self.status == "running" and self.step >= self.total_steps:
            self.status = "finished"
        return records, evals

    def _peak_diverged(self) -> bool:
        """Whether a batch loss since the last check was non-finite or above ``max_loss`` (reads and resets
        the running maximum: a CPU-GPU sync point on accelerators)."""
        if self._peak is None:
            return False
        peak = float(self._peak)
        self._peak = None
        return not math.isfinite(peak) or abs(peak) > self.max_loss

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
        """The optimizer's state for 2-D problems: parameters, gradient and every state tensor by name
        (momentum buffer, displacement, exp_avg, exp_avg_sq, ...), as plain floats; plus Adam's m̂ and v̂."""
        p = self.problem
        w = p.params[0]
        out: dict[str, Any] = {"w": w.detach().tolist()}
        if w.grad is not None:
            out["grad"] = w.grad.detach().tolist()
        state = self.optimizer.state.get(w, {})
        for k, v in state.items():
            if hasattr(v, "dim"):
                out[k] = v.detach().tolist() if v.dim() else float(v)
        group = self.optimizer.param_groups[0]
        if "exp_avg" in state and "step" in state:
            t = float(state["step"])
            b1, b2 = group["betas"]
            out["m_hat"] = [m / (1 - b1**t) for m in out["exp_avg"]]
            out["v_hat"] = [v / (1 - b2**t) for v in out["exp_avg_sq"]]
        if hasattr(self.optimizer, "last_direction"):
            out["newton_direction"] = self.optimizer.last_direction.tolist()
        return out


def run_to_end(
    spec: RunSpec,
    on_chunk: Callable[[Runner, list[Record], list[EvalRecord]], None] | None = None,
    control: Control | None = None,
    chunk_steps: int = 2000,
) -> tuple[Runner | None, RunResult]:
    """Build and run one spec to its end (headless). Exceptions from the run become status ``error``;
    SetupError propagates (the caller reports it as bad input)."""
    runner = Runner(spec)
    if runner.initial_record is not None and on_chunk is not None:
        on_chunk(runner, [runner.initial_record], [])
    while not runner.done:
        if control is not None and control.stopped:
            runner.stop()
            break
        try:
            records, evals = runner.advance(chunk_steps, control)
        except (KeyboardInterrupt, SystemExit):
            runner.stop()
            raise
        except Exception as e:  # a bug or a numerical failure inside torch: a result, not a crash
            runner.fail(f"{type(e).__name__}: {e}")
            records, evals = [], []
        if on_chunk is not None and (records or evals):
            on_chunk(runner, records, evals)
        if runner.status == "paused" and control is not None:
            control.wait(0.1)
    return runner, runner.final_result()
