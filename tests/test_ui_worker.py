"""The training driver without any UI: pacing, single steps, failures, removal (sgd_tui.ui.jobs.worker)."""

import threading
import time

import pytest

from sgd_tui.core.run.engine import Runner
from sgd_tui.ui.jobs.worker import Driver, DriverIdle, Progress
from sgd_tui.ui.session import Session, Shared


def session(*hypers, steps=200):
    s = Session(Shared("quadratic", {}, {"steps": steps, "log_every": 1}, 0, "cpu"))
    for h in hypers:
        s.add(s.make_spec("sgd", h, {}))
    return s


def drive(s, rate=None, play=True, factory=Runner, timeout=20.0):
    msgs = []
    d = Driver(msgs.append, rate=rate, runner_factory=factory, torch_threads=1)
    d.slots = [r.slot for r in s.runs]
    if play:
        for sl in d.slots:
            sl.control.resume()
    th = threading.Thread(target=d.run)
    th.start()
    return d, th, msgs


def finish(d, th, msgs, s, timeout=20.0):
    th.join(timeout)
    assert not th.is_alive()
    assert isinstance(msgs[-1], DriverIdle)
    for m in msgs:
        if isinstance(m, Progress):
            s.apply(m.updates)


def test_flat_out_runs_every_run_to_its_budget_with_the_headless_numbers():
    s = session({"lr": 0.1}, {"lr": 0.05})
    d, th, msgs = drive(s)
    finish(d, th, msgs, s)
    from core_helpers import run_to_end

    for r in s.runs:
        assert r.progress.status == "finished" and r.progress.step == 200
        got = []
        run_to_end(r.spec, on_chunk=lambda _r, recs, _e: got.extend(recs))
        steps, losses = r.series.xy("step")
        assert list(losses) == [g.loss for g in got]  # same engine, same seed: identical numbers
        assert list(steps) == [g.step for g in got]


def test_paced_mode_takes_about_rate_steps_per_second():
    s = session({"lr": 0.01}, steps=100_000)
    d, th, msgs = drive(s, rate=100)
    time.sleep(1.0)
    d.cancel.set()
    finish(d, th, msgs, s)
    # 100 steps/s for ~1 s (the runner is built first, and the backlog is capped at 0.25 s)
    assert 60 <= s.runs[0].progress.step <= 130


def test_single_steps_move_every_run_once_and_report_the_state():
    s = session({"lr": 0.1}, {"lr": 0.2}, steps=1000)
    d, th, msgs = drive(s, play=False)
    for _ in range(3):
        for r in s.runs:
            r.slot.control.step(1)
        time.sleep(0.3)
    d.cancel.set()
    finish(d, th, msgs, s)
    for r in s.runs:
        assert r.progress.step == 3 and r.progress.status == "paused"
        st = r.state
        assert st["t"] == 3 and st["delta_steps"] == 1
        lr = r.spec.hyper["lr"]
        assert st["delta"] == pytest.approx([-lr * g for g in st["grad"]], rel=1e-12)


def test_a_failing_run_ends_in_error_and_the_others_finish():
    class Failing:
        def __init__(self, spec):
            self._r = Runner(spec)
            self.calls = 0

        def __getattr__(self, name):
            return getattr(self._r, name)

        def advance(self, *a, **k):
            raise FloatingPointError("boom")

    s = session({"lr": 0.1}, {"lr": 0.05}, steps=50)
    factory = lambda spec: Failing(spec) if spec.hyper["lr"] == 0.1 else Runner(spec)  # noqa: E731
    d, th, msgs = drive(s, factory=factory)
    finish(d, th, msgs, s)
    bad, good = s.runs
    assert bad.progress.status == "error" and bad.progress.message == "FloatingPointError: boom"
    assert good.progress.status == "finished" and good.progress.step == 50


def test_a_run_that_cannot_be_built_is_an_error_with_the_setup_message():
    s = Session(Shared("quadratic", {}, {"epochs": 2}, 0, "cpu"))  # a surface has no epochs
    s.add(s.make_spec("sgd", {"lr": 0.1}, {}))
    d, th, msgs = drive(s)
    finish(d, th, msgs, s)
    assert s.runs[0].progress.status == "error" and "epochs" in s.runs[0].progress.message


def test_removed_and_reset_runs_are_dropped():
    s = session({"lr": 0.1}, {"lr": 0.05}, steps=100_000)
    d, th, msgs = drive(s, rate=200)
    time.sleep(0.4)
    s.remove(s.runs[1])
    s.runs[0].reset()  # updates of the old slot must not reach the new series
    d.cancel.set()
    finish(d, th, msgs, s)
    assert s.runs[0].progress.step == 0 and len(s.runs[0].series) == 0


def test_a_run_failing_midway_keeps_the_figures_it_had():
    class FailsLater:
        def __init__(self, spec):
            self._r = Runner(spec)

        def __getattr__(self, name):
            return getattr(self._r, name)

        def advance(self, max_steps, control, deadline=None):
            if self._r.step >= 20:
                raise FloatingPointError("late")
            return self._r.advance(min(max_steps, 20 - self._r.step), control, deadline)

    s = session({"lr": 0.1}, steps=50)
    d, th, msgs = drive(s, factory=FailsLater)
    finish(d, th, msgs, s)
    p = s.runs[0].progress
    assert p.status == "error" and p.message == "FloatingPointError: late"
    assert p.step == 20 and p.last_loss is not None and p.grad_norm is not None  # not wiped by the failure
    assert p.done and not s.runs[0].slot.active
