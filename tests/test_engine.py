"""The run loop: divergence, convergence, control, sampling, schedules, determinism, records."""

from __future__ import annotations

import math
import threading
import time

import pytest
import torch
from core_helpers import make_spec, run_to_end, trajectory

from sgd_tui.core.run.control import Control
from sgd_tui.core.run.engine import Runner
from sgd_tui.core.run.sampler import Sampler


def test_lr_10_on_a_quadratic_diverges_with_its_step():
    runner, result = run_to_end(make_spec("quadratic", "gd", steps=1000, lr=10.0))
    assert result.status == "diverged"
    # |1 - 10·10| = 99 per step along the stiff axis: past 1e12 within a handful of steps
    assert 3 <= result.diverged_step <= 10
    assert result.steps == result.diverged_step


def test_overflow_on_a_surface_is_divergence_not_an_exception():
    runner, result = run_to_end(make_spec("beale", "gd", steps=500, lr=1.0))
    assert result.status == "diverged"


def test_nan_on_a_regression_is_divergence():
    runner, result = run_to_end(make_spec("linear_regression", "sgd", steps=500, lr=50.0, batch_size=4))
    assert result.status == "diverged"
    assert result.diverged_step is not None


def test_tolerance_ends_converged():
    runner, result = run_to_end(make_spec("quadratic", "newton", steps=100, tolerance=1e-9))
    assert result.status == "converged"
    assert result.steps <= 2  # Newton solves a quadratic in one step


def test_records_of_a_2d_run():
    records = []
    run_to_end(make_spec("rosenbrock", "adam", steps=10, lr=0.01), lambda r, recs, ev: records.extend(recs))
    assert [r.step for r in records] == list(range(11))
    assert records[0].x == -1.5 and records[0].y == 2.0 and records[0].loss == pytest.approx(12.5)
    assert all(r.epoch is None for r in records)
    assert all(r.grad_norm > 0 for r in records[1:])
    assert [r.samples for r in records] == list(range(11))


def test_log_every_thins_2d_records():
    records = []
    run_to_end(make_spec("quadratic", "gd", steps=25, lr=0.01, log_every=10), lambda r, recs, ev: records.extend(recs))
    assert [r.step for r in records] == [0, 10, 20, 25]


def test_identical_specs_give_identical_numbers():
    spec = make_spec("linear_regression", "sgd", steps=200, lr=0.05, momentum=0.9, batch_size=8,
                     objective_options={"outliers": 0.05})
    a, b = trajectory(spec), trajectory(spec)
    assert a == b
    other = trajectory(make_spec("linear_regression", "sgd", steps=200, lr=0.05, momentum=0.9, batch_size=8,
                                 objective_options={"outliers": 0.05}, seed=1))
    assert other != a


def test_runs_of_one_seed_share_the_sampling_order():
    sgd = Runner(make_spec("linear_regression", "sgd", steps=10, batch_size=16, lr=0.01))
    adam = Runner(make_spec("linear_regression", "adam", steps=10, batch_size=16, lr=0.01))
    assert all(torch.equal(a, b) for a, b in zip(sgd.sampler.epoch(), adam.sampler.epoch()))
    assert torch.equal(sgd.problem.x, adam.problem.x)


@pytest.mark.parametrize("mode", ["shuffle", "sequential", "replacement"])
def test_sampler_modes(mode):
    s = Sampler(10, 4, mode, seed=0)
    batches = s.epoch()
    assert [len(b) for b in batches] == ([4, 4, 4] if mode == "replacement" else [4, 4, 2])
    flat = torch.cat(batches).tolist()
    if mode == "sequential":
        assert flat == list(range(10))
    elif mode == "shuffle":
        assert sorted(flat) == list(range(10)) and flat != list(range(10))
        assert torch.cat(s.epoch()).tolist() != flat  # a fresh permutation each epoch
    else:
        assert all(0 <= i < 10 for i in flat)


def test_epoch_budget_counts_samples_and_epochs():
    records = []
    spec = make_spec("linear_regression", "sgd", steps=None, batch_size=64, lr=0.01)
    spec.budget = {**spec.budget, "steps": None, "epochs": 3}
    runner, result = run_to_end(spec, lambda r, recs, ev: records.extend(recs))
    assert runner.per_epoch == 4  # 200 examples in batches of 64: 64, 64, 64, 8
    assert result.steps == 12 and result.samples == 600
    assert records[-1].epoch == 3


@pytest.mark.parametrize(
    "schedule,extra,expected",
    [
        ("constant", {}, lambda t: 0.1),
        ("step", {"step_size": 3, "gamma": 0.5}, lambda t: 0.1 * 0.5 ** (t // 3)),
        ("exponential", {"gamma": 0.9}, lambda t: 0.1 * 0.9**t),
        ("inverse_time", {"decay": 0.5}, lambda t: 0.1 / (1 + 0.5 * t)),
        ("cosine", {"eta_min": 0.01}, lambda t: 0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * t / 10)) / 2),
    ],
)
def test_learning_rate_schedules(schedule, extra, expected):
    records = []
    run_to_end(make_spec("quadratic", "sgd", steps=10, lr=0.1, schedule=schedule, **extra),
               lambda r, recs, ev: records.extend(recs))
    # record t (after t steps) shows the lr that step t used: α_{t-1}
    for r in records[1:]:
        assert r.lr == pytest.approx(expected(r.step - 1), rel=1e-12), (schedule, r.step)


def test_control_pause_step_and_stop_take_effect_within_one_step():
    control = Control(paused=True)
    runner = Runner(make_spec("quadratic", "sgd", steps=10**7, lr=1e-6))
    recs, _, _ = runner.advance(100, control)
    assert runner.step == 0 and runner.status == "paused"
    control.step()
    recs, _, _ = runner.advance(100, control)
    assert runner.step == 1 and [r.step for r in recs] == [1]
    control.step(3)
    runner.advance(100, control)
    assert runner.step == 4
    control.resume()
    runner.advance(50, control)
    assert runner.step == 54
    control.stop()
    runner.advance(50, control)
    assert runner.step == 54 and runner.status == "stopped" and runner.done


def test_stop_from_another_thread():
    control = Control()
    spec = make_spec("rosenbrock", "adam", steps=10**8, lr=1e-4)
    out = {}

    def work():
        out["runner"], out["result"] = run_to_end(spec, control=control)

    t = threading.Thread(target=work)
    t.start()
    time.sleep(0.3)
    control.stop()
    t.join(5)
    assert not t.is_alive()
    assert out["result"].status == "stopped"
    assert 0 < out["result"].steps < 10**8


def test_inspect_shows_adam_moments_and_polyak_displacement():
    runner = Runner(make_spec("quadratic", "adam", steps=5, lr=0.1))
    runner.advance(2)
    state = runner.inspect()
    assert set(state) >= {"w", "grad", "exp_avg", "exp_avg_sq", "m_hat", "v_hat"}
    runner = Runner(make_spec("quadratic", "polyak", steps=5, lr=0.1, momentum=0.5))
    runner.advance(2)
    pts = trajectory(make_spec("quadratic", "polyak", steps=2, lr=0.1, momentum=0.5))
    assert runner.inspect()["displacement"] == pytest.approx([pts[2][0] - pts[1][0], pts[2][1] - pts[1][1]])


def test_a_failing_problem_becomes_an_error_status(monkeypatch):
    spec = make_spec("quadratic", "sgd", steps=100, lr=0.1)
    from sgd_tui.core.objectives import problems_2d as problems

    def boom(self, idx=None):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(problems.SurfaceProblem, "loss_and_grad", boom)
    runner, result = run_to_end(spec)
    assert result.status == "error" and "injected failure" in result.message


class _SpikyData:
    """A stand-in dataset problem (64 examples, one parameter) whose batch loss is inf on its third step
    only, as when a network blows up and then dies between two log points."""

    is_2d = False
    has_test = False
    n_train = 64

    def __init__(self):
        self.params = [torch.zeros(1, requires_grad=True)]
        self.calls = 0

    def loss_and_grad(self, idx):
        self.calls += 1
        self.params[0].grad = torch.zeros(1)
        return torch.tensor(math.inf if self.calls == 3 else 1.0)

    def logged_loss(self, batch_loss):
        return float(batch_loss)

    def grad_norm(self):
        return 0.0


@pytest.mark.parametrize("steps", [12, 3])  # a blow-up before a later log point / at the budget's end
def test_a_dataset_blow_up_between_log_points_is_divergence(monkeypatch, steps):
    from dataclasses import replace

    from sgd_tui.core.objectives.registry import OBJECTIVES

    spiky = replace(OBJECTIVES["fashion_mnist"], problem=lambda *a, **k: _SpikyData())
    monkeypatch.setitem(OBJECTIVES, "fashion_mnist", spiky)
    spec = make_spec("fashion_mnist", "sgd", steps=steps, lr=0.1, batch_size=16, log_every=100)
    runner, result = run_to_end(spec)
    # 4 batches per epoch, logged at the first batch of each: the inf of step 3 is seen at step 5 (or 3)
    assert result.status == "diverged"
    assert result.diverged_step == min(5, steps)
