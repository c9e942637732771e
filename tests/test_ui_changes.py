"""A hyperparameter changed in the app mid-run: the driver applies it between steps, the run goes on, the
change is recorded in the spec, and the saved scenario replays headless to the same numbers."""

from __future__ import annotations

import csv
import json
import threading
import time

import pytest

from sgd_tui.core.run.engine import Runner
from sgd_tui.core.scenario.parse import load_scenario
from sgd_tui.core.scenario.write import scenario_to_toml
from sgd_tui.replay.run import replay
from sgd_tui.ui.jobs.worker import Driver, DriverIdle, Progress
from sgd_tui.ui.session import Session, Shared


def _wait(cond, timeout=60.0):  # generous: a loaded 2-core machine
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def test_an_lr_edit_continues_the_run_and_the_saved_file_replays_to_the_same_numbers(tmp_path):
    s = Session(Shared("rosenbrock", {}, {"steps": 120, "log_every": 1}, 0, "cpu"))
    r = s.add(s.make_spec("sgd", {"lr": 1e-4, "momentum": 0.5}, {}, "mine"))
    msgs: list = []
    d = Driver(msgs.append, rate=None, runner_factory=Runner, torch_threads=1)
    d.slots = [r.slot]
    th = threading.Thread(target=d.run)
    th.start()
    seen = 0

    def take():
        nonlocal seen
        for m in msgs[seen:]:
            if isinstance(m, Progress):
                s.apply(m.updates)
        seen = len(msgs)

    try:
        r.slot.control.step(40)
        _wait(lambda: (take(), r.progress.step)[1] == 40)
        slot = r.slot
        assert s.edit(r, "sgd", {**r.hyper_now, "lr": 1e-3}, {}, "mine") == ""
        assert r.slot is slot and r.progress.step == 40  # no reset
        assert r.hyper_now["lr"] == 1e-3 and r.spec.hyper["lr"] == 1e-4  # on its way; the start value kept
        _wait(lambda: (take(), r.spec.changes)[1] != [])
        assert r.spec.changes == [(40, {"lr": 1e-3})] and not r.pending
        assert r.series.marks == [(40, "lr 0.0001→0.001")]
        r.slot.control.resume()  # on to the budget's end
        _wait(lambda: isinstance(msgs[-1], DriverIdle), 60)
    finally:
        d.cancel.set()
        th.join(10)
    take()
    assert r.progress.status == "finished" and r.progress.step == 120
    app_rows = [(rec.step, rec.loss, rec.lr, rec.x, rec.y) for rec in _records(msgs, slot)]
    assert app_rows[40][2] == 1e-4 and app_rows[41][2] == 1e-3  # step 41 was taken at the new lr

    path = tmp_path / "saved.toml"
    path.write_text(scenario_to_toml(s.to_scenario()))
    assert "changes = [{ step = 40, lr = 0.001 }]" in path.read_text()
    assert replay(load_scenario(path), tmp_path / "out", progress=None) == 0
    with open(tmp_path / "out" / "metrics.csv") as f:
        rows = [(int(row["step"]), float(row["loss"]), float(row["lr"]), float(row["x"]), float(row["y"]))
                for row in csv.DictReader(f) if row["run"] == "mine"]
    assert rows == app_rows
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["scenario"]["runs"][0]["changes"] == [{"step": 40, "lr": 1e-3}]
    plain = Runner(s.to_scenario().runs[0].with_changes(changes=[])).advance(200).records
    assert plain[60].loss != app_rows[61][1]  # the change mattered


def _records(msgs, slot):
    out = []
    for m in msgs:
        if isinstance(m, Progress):
            for u in m.updates:
                if u.slot is slot:
                    out.extend(u.records)
    return out


class Driven:
    """A session's runs on a driver thread (flat out, paused), updates applied as the app would."""

    def __init__(self, session):
        self.s, self.msgs, self.seen = session, [], 0
        self.d = Driver(self.msgs.append, rate=None, runner_factory=Runner, torch_threads=1)
        self.d.slots = [r.slot for r in session.runs]
        self.th = threading.Thread(target=self.d.run)

    def take(self):
        for m in self.msgs[self.seen:]:
            if isinstance(m, Progress):
                self.s.apply(m.updates)
        self.seen = len(self.msgs)

    def until(self, cond, timeout=60.0):
        _wait(lambda: (self.take(), cond())[1], timeout)

    def __enter__(self):
        self.th.start()
        return self

    def __exit__(self, *exc):
        self.d.cancel.set()
        self.th.join(10)


def test_the_theory_follows_a_change_at_once_without_another_step():
    """The theory panel's numbers (computed by the driver) take the new α and β right after the change."""
    s = Session(Shared("quadratic", {}, {"steps": 100, "log_every": 1}, 0, "cpu"))
    r = s.add(s.make_spec("sgd", {"lr": 0.01}, {}, "mine"))
    with Driven(s) as dr:
        r.slot.control.step(5)
        dr.until(lambda: r.progress.step == 5 and r.theory is not None)
        before = r.theory
        assert before.dynamics.alpha == 0.01 and not before.dynamics.beta
        assert s.edit(r, "sgd", {**r.hyper_now, "lr": 0.05, "momentum": 0.5}, {}, "mine") == ""
        dr.until(lambda: r.spec.changes != [])
        assert r.progress.step == 5 and r.spec.changes == [(5, {"lr": 0.05, "momentum": 0.5})]
        d = r.theory.dynamics
        assert r.theory is not before and d.alpha == 0.05 and d.beta == 0.5
        # the meter: α·λmax against heavy ball's 2(1+β), as core.theory gives it for these values
        assert d.alpha_lambda_max == pytest.approx(0.05 * r.theory.model.lam_max)
        assert d.limit_alpha_lambda == pytest.approx(2 * 1.5)


def test_the_sharpness_limit_line_follows_a_change_at_once():
    """A run measuring λmax: after a change the selected run's limit line is the new α, β's, before the
    next measurement; the formula follows a momentum that appears."""
    from sgd_tui.core.theory.quadratic import lambda_limit
    from sgd_tui.ui.widgets.netplots import SharpnessPlot, SharpRun

    s = Session(Shared("mlp_regression", {"hidden": 8, "n_samples": 24, "degree": 3},
                       {"steps": 40, "log_every": 1, "sharpness_every": 10}, 0, "cpu"))
    r = s.add(s.make_spec("sgd", {"lr": 0.2}, {"batch_size": "full"}, "mine"))
    plot = SharpnessPlot()

    def line():
        plot.set_runs([SharpRun(r.run_id, r.spec.label, r.color, r.sharpness, n_train=r.series.n_train,
                                optimizer="sgd", hyper=r.hyper_now)])
        return plot.limit_line()

    with Driven(s) as dr:
        r.slot.control.step(3)
        dr.until(lambda: r.progress.step == 3 and len(r.sharpness))
        formula, value, _ = line()
        assert formula == "2/α" and value == pytest.approx(10.0)
        assert s.edit(r, "sgd", {**r.hyper_now, "lr": 0.1}, {"batch_size": "full"}, "mine") == ""
        dr.until(lambda: r.spec.changes != [])
        assert r.progress.step == 3 and [m.step for m in r.sharpness.records] == [0]  # not measured again
        formula, value, _ = line()
        assert formula == "2/α" and value == pytest.approx(20.0)
        assert s.edit(r, "sgd", {**r.hyper_now, "momentum": 0.5}, {"batch_size": "full"}, "mine") == ""
        dr.until(lambda: r.spec.changes == [(3, {"lr": 0.1, "momentum": 0.5})])  # one change per step
        formula, value, _ = line()
        assert formula == "2(1+β)/α"
        assert value == pytest.approx(lambda_limit("sgd", {"lr": 0.1, "momentum": 0.5}, 0.1)) == pytest.approx(30.0)
        r.slot.control.step(10)  # the next measurement (step 10) carries the limit itself
        dr.until(lambda: [m.step for m in r.sharpness.records] == [0, 10])
        assert r.sharpness.changed is None and line()[1] == pytest.approx(30.0)


def test_an_automatic_label_follows_a_change_that_continues_the_run():
    s = Session(Shared("quadratic", {}, {"steps": 100, "log_every": 1}, 0, "cpu"))
    r = s.add(s.make_spec("sgd", {"lr": 0.001}, {}))
    typed = s.add(s.make_spec("sgd", {"lr": 0.001, "momentum": 0.99}, {}, "α 0.001, β 0.99"))
    assert r.spec.label == "sgd lr=0.001"
    from sgd_tui.core.run.progress import RunProgress

    for run in (r, typed):
        run.progress = RunProgress("paused", step=20)
    assert s.edit(r, "sgd", {**r.hyper_now, "lr": 0.003162}, {}, r.spec.label) == ""
    assert r.spec.label == "sgd lr=0.003162" and r.pending == [{"lr": 0.003162}] and r.spec.hyper["lr"] == 0.001
    assert s.edit(typed, "sgd", {**typed.hyper_now, "momentum": 0.74}, {}, typed.spec.label) == ""
    assert typed.spec.label == "α 0.001, β 0.99"  # a label someone typed stays (the change mark tells)
    from sgd_tui.core.run.spec import RunSpec
    from sgd_tui.ui.session import is_auto_label

    saved = RunSpec(label="sgd lr=0.003162", objective="quadratic", objective_options={}, optimizer="sgd",
                    hyper=dict(r.spec.hyper), changes=[(20, {"lr": 0.003162})])
    assert is_auto_label(saved)  # reopened from a saved file, it keeps following


def test_other_edits_reset_and_keep_the_changes():
    s = Session(Shared("quadratic", {}, {"steps": 100, "log_every": 1}, 0, "cpu"))
    r = s.add(s.make_spec("sgd", {"lr": 0.01, "momentum": 0.5}, {}, "mine"))
    r.spec = r.spec.with_changes(changes=[(10, {"lr": 0.05})])
    from sgd_tui.core.run.progress import RunProgress

    r.progress = RunProgress("paused", step=20)
    assert r.hyper_now["lr"] == 0.05
    slot = r.slot
    assert s.edit(r, "sgd", {**r.hyper_now, "nesterov": True}, {}, "mine") == ""
    assert r.slot is not slot  # nesterov changes what is computed: a reset
    assert r.spec.hyper["lr"] == 0.01 and r.spec.hyper["nesterov"] is True
    assert r.spec.changes == [(10, {"lr": 0.05})] and r.series.marks == [(10, "lr 0.01→0.05")]
    r.reset()
    assert r.spec.changes == [(10, {"lr": 0.05})]


def test_an_automatic_label_follows_a_change_the_driver_applies():
    """A scenario's own change (momentum 0.9 -> 0.5 at step 10) relabels a run whose label was made up."""
    from sgd_tui.core.run.progress import RunProgress
    from sgd_tui.ui.jobs.worker import RunUpdate

    s = Session(Shared("quadratic", {}, {"steps": 100, "log_every": 1}, 0, "cpu"))
    r = s.add(s.make_spec("sgd", {"lr": 0.01, "momentum": 0.9}, {}))
    typed = s.add(s.make_spec("sgd", {"lr": 0.01, "momentum": 0.9}, {}, "β 0.9"))
    assert r.spec.label == "sgd momentum=0.9"
    for run in (r, typed):
        s.apply([RunUpdate(run.slot, [], [], RunProgress("running", step=10), changes=[(10, {"momentum": 0.5})])])
    assert r.spec.label == "sgd momentum=0.5" and r.series.marks == [(10, "momentum 0.9→0.5")]
    assert typed.spec.label == "β 0.9"
