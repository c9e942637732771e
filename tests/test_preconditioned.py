"""Adaptive methods at their edge: the preconditioned sharpness (Lanczos on P^(-1/2) H P^(-1/2)) against a
dense float64 P⁻¹H, the preconditioner against a hand-rolled Adam, the limits in closed form and against
the frozen-preconditioner recurrences, and the columns of sharpness.csv and summary.json."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from core_helpers import Runner, make_spec, run_to_end

from sgd_tui.core.run.records import SharpnessRecord
from sgd_tui.core.theory.preconditioned import (
    LIMIT_FORMULAS,
    measure_curvature,
    nadam_mu,
    preconditioned_limit,
    preconditioner,
)
from sgd_tui.core.theory.sharpness import SharpnessMeter
from sgd_tui.replay.summary import curvature_summary

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def dense_hessian(problem, idx) -> torch.Tensor:
    shapes = [p.shape for p in problem.params]
    sizes = [p.numel() for p in problem.params]
    flat = torch.cat([p.detach().reshape(-1) for p in problem.params]).to(torch.float64)

    def loss(v):
        return problem.training_loss([t.reshape(s) for t, s in zip(v.split(sizes), shapes)], idx)

    return torch.autograd.functional.hessian(loss, flat)


@pytest.mark.parametrize("optimizer,hyper", [
    ("adam", {"lr": 0.01}), ("adam", {"lr": 0.01, "weight_decay": 0.3}), ("adamw", {"lr": 0.01}),
    ("amsgrad", {"lr": 0.01}), ("nadam", {"lr": 0.01}), ("adamax", {"lr": 0.01}),
    ("rmsprop", {"lr": 0.003}), ("rmsprop", {"lr": 0.003, "centered": True, "momentum": 0.5}),
    ("adagrad", {"lr": 0.05}),
])
def test_preconditioned_sharpness_is_the_top_eigenvalue_of_a_dense_p_inverse_h(optimizer, hyper):
    spec = make_spec("mlp_regression", optimizer, steps=40, objective_options={"n_samples": 30, "hidden": 5},
                     **hyper)
    runner = Runner(spec)
    runner.advance(12)
    meter = SharpnessMeter(runner.problem, subset=20, seed=0, tol=1e-10, max_iter=60)
    lam, pre, limit = measure_curvature(meter, optimizer, runner.optimizer, runner.hyper, runner.lr)
    H = dense_hessian(runner.problem, meter.idx)
    wd = hyper.get("weight_decay", 0.0) if optimizer != "adamw" else 0.0
    P = preconditioner(optimizer, runner.optimizer, runner.hyper).to(torch.float64)
    # the reference: the eigenvalues of the non-symmetric P⁻¹(H + wd I), dense, by numpy
    M = np.diag(1.0 / P.numpy()) @ (H.numpy() + wd * np.eye(len(P)))
    top = float(np.max(np.linalg.eigvals(M).real))
    assert pre == pytest.approx(top, rel=1e-6)
    assert lam == pytest.approx(float(torch.linalg.eigvalsh(H)[-1]), rel=1e-6)
    assert limit == pytest.approx(preconditioned_limit(optimizer, runner.hyper, runner.lr,
                                                       runner.optimizer.state[runner.problem.params[0]]))


def test_the_preconditioner_is_adams_own_bias_corrected_v_hat():
    """A hand-rolled Adam in float64 on the quadratic ½(x² + 10y²) gives the same √v̂ + ε."""
    spec = make_spec("quadratic", "adam", steps=7, lr=0.1, objective_options={"condition": 10.0},
                     betas=(0.8, 0.95), eps=1e-3)
    runner = Runner(spec)
    runner.advance(7)
    w, m, v = np.array([-4.0, 3.0]), np.zeros(2), np.zeros(2)
    for t in range(1, 8):
        g = np.array([1.0, 10.0]) * w
        m = 0.8 * m + 0.2 * g
        v = 0.95 * v + 0.05 * g * g
        w = w - 0.1 * (m / (1 - 0.8**t)) / (np.sqrt(v / (1 - 0.95**t)) + 1e-3)
    P = preconditioner("adam", runner.optimizer, runner.hyper)
    np.testing.assert_allclose(P.numpy(), np.sqrt(v / (1 - 0.95**7)) + 1e-3, rtol=1e-12)
    np.testing.assert_allclose(runner.problem.point(), w, rtol=1e-12)
    # on a surface the exact 2x2 Hessian: the top eigenvalue of P⁻¹H = max(1/P_x, 10/P_y)
    meter = SharpnessMeter(runner.problem)
    _, pre, limit = measure_curvature(meter, "adam", runner.optimizer, runner.hyper, runner.lr)
    Pn = P.numpy()
    assert pre == pytest.approx(max(1.0 / Pn[0], 10.0 / Pn[1]), rel=1e-12)
    assert limit == pytest.approx(3.6 / 0.2 / 0.1)


def test_limits_in_closed_form():
    assert preconditioned_limit("adam", {"betas": (0.9, 0.999)}, 0.01) == pytest.approx(3800.0)
    assert preconditioned_limit("adamw", {"betas": (0.9, 0.999)}, 1e-3) == pytest.approx(38000.0)
    assert preconditioned_limit("amsgrad", {"betas": (0.5, 0.999)}, 0.1) == pytest.approx(60.0)
    assert preconditioned_limit("adamax", {"betas": (0.9, 0.999)}, 0.01) == pytest.approx(3800.0)
    assert preconditioned_limit("rmsprop", {"momentum": 0.0}, 0.01) == pytest.approx(200.0)
    assert preconditioned_limit("rmsprop", {"momentum": 0.5}, 0.01) == pytest.approx(300.0)
    assert preconditioned_limit("adagrad", {"lr_decay": 0.1}, 0.1, {"step": torch.tensor(11.0)}) == pytest.approx(40.0)
    # NAdam at the end of its momentum schedule (μ = β1): Nesterov's limit with step α(1 − β1)
    assert preconditioned_limit("nadam", {"betas": (0.9, 0.999)}, 0.01) == pytest.approx(3.8 / 2.8 / 0.1 / 0.01)
    assert preconditioned_limit("adadelta", {}, 1.0) is None
    assert preconditioned_limit("adam", {"maximize": True}, 0.01) is None
    assert preconditioned_limit("gd", {}, 0.1) is None
    assert set(LIMIT_FORMULAS) == {"adam", "adamw", "amsgrad", "adamax", "nadam", "rmsprop", "adagrad"}


def _radius(M) -> float:
    return float(np.max(np.abs(np.linalg.eigvals(np.asarray(M, dtype=float)))))


@pytest.mark.parametrize("beta1", [0.0, 0.5, 0.9, 0.99])
def test_the_adam_limit_separates_the_frozen_preconditioner_recurrence(beta1):
    """m' = β1 m + (1 − β1) λ x, x' = x − α m' on one eigen-direction of P⁻¹H: its spectral radius
    crosses 1 at the closed-form limit."""
    alpha = 0.01
    limit = preconditioned_limit("adam", {"betas": (beta1, 0.999)}, alpha)

    def radius(lam):
        return _radius([[1 - alpha * (1 - beta1) * lam, -alpha * beta1], [(1 - beta1) * lam, beta1]])

    assert radius(0.99 * limit) < 1 < radius(1.01 * limit)


@pytest.mark.parametrize("step", [1, 30, 1000, 100000])
def test_the_nadam_limit_separates_torchs_nadam_recurrence(step):
    """torch's NAdam with P frozen: x' = x − α(a λx + b m'), m' = β1 m + (1 − β1)λx, a and b from its
    momentum schedule at ``step``; the radius crosses 1 at the limit."""
    b1, alpha = 0.9, 0.01
    prod = math.prod(nadam_mu(b1, t) for t in range(1, step + 1))
    mu, mu_next = nadam_mu(b1, step), nadam_mu(b1, step + 1)
    a, b = (1 - mu) / (1 - prod), mu_next / (1 - prod * mu_next)
    limit = preconditioned_limit("nadam", {"betas": (b1, 0.999)}, alpha, {"step": step, "mu_product": prod})

    def radius(lam):
        m_row = [(1 - b1) * lam, b1]
        x_row = [1 - alpha * a * lam - alpha * b * (1 - b1) * lam, -alpha * b * b1]
        return _radius([x_row, m_row])

    assert radius(0.99 * limit) < 1 < radius(1.01 * limit)


def test_nadam_state_holds_the_schedule_the_limit_reads():
    runner = Runner(make_spec("quadratic", "nadam", steps=5, lr=0.01))
    runner.advance(5)
    state = runner.optimizer.state[runner.problem.params[0]]
    assert float(state["mu_product"]) == pytest.approx(math.prod(nadam_mu(0.9, t) for t in range(1, 6)))


# ----------------------------------------------------------------------------- in the engine and the files
def test_the_engine_records_the_preconditioned_sharpness_and_its_limit():
    spec = make_spec("mlp_regression", "adam", steps=30, lr=0.01, objective_options={"n_samples": 32, "hidden": 8})
    spec.budget.update(sharpness_every=10, sharpness_subset=32)
    sharp: list[SharpnessRecord] = []
    run_to_end(spec, on_sharpness=lambda r, rows: sharp.extend(rows))
    assert [s.step for s in sharp] == [0, 10, 20, 30]
    assert sharp[0].preconditioned is None  # no state before the first step
    assert all(s.preconditioned > s.lambda_max > 0 for s in sharp[1:])  # √v̂ + ε ≪ 1 here: P⁻¹ enlarges
    assert all(s.limit == pytest.approx(3800.0) for s in sharp)
    gd = make_spec("mlp_regression", "gd", steps=10, lr=0.1, objective_options={"n_samples": 32, "hidden": 8})
    gd.budget.update(sharpness_every=5)
    rows: list[SharpnessRecord] = []
    run_to_end(gd, on_sharpness=lambda r, rs: rows.extend(rs))
    assert all(r.preconditioned is None and r.limit == pytest.approx(20.0) for r in rows)


def test_curvature_summary_takes_the_median_of_the_last_third_against_the_limit():
    rows = [SharpnessRecord(s, s, 0.0, 1.0 + s, 10.0) for s in range(0, 31, 5)]
    out = curvature_summary(rows, 30)
    assert out["measured"] == "lambda_max" and out["tail_measurements"] == 3  # steps 20, 25, 30
    assert out["tail_median"] == 26.0 and out["tail_ratio"] == pytest.approx(2.6) and out["limit"] == 10.0
    pre = [SharpnessRecord(s, s, 0.0, 1.0, 100.0 / (s + 1), preconditioned=3.0 * s) for s in range(0, 31, 10)]
    out = curvature_summary(pre, 30)
    assert out["measured"] == "preconditioned" and out["tail_median"] == 75.0
    assert out["limit"] == pytest.approx(100 / 31) and out["tail_ratio"] == pytest.approx(75 / (100 / 31))
    assert curvature_summary([SharpnessRecord(0, 0, 0.0, 1.0, None)], 10)["tail_ratio"] is None
    assert curvature_summary([], 10) is None


@pytest.mark.slow
def test_adam_edge_scenario_puts_p_inverse_h_at_its_limit(tmp_path):
    import csv
    import json

    from sgd_tui.core.scenario.parse import load_scenario
    from sgd_tui.replay.run import replay

    s = load_scenario("adam-edge")
    assert replay(s, tmp_path, progress=None) == 0
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    by = {r["label"]: r for r in summary["runs"]}
    slow, fast, rms = (r.label for r in s.runs)
    assert all(r["status"] == "finished" and r["measured"] == "preconditioned" for r in summary["runs"])
    assert by[slow]["limit"] == pytest.approx(38000.0) and by[fast]["limit"] == pytest.approx(38 / 0.003)
    assert by[rms]["limit"] == pytest.approx(2000.0)
    # medians over the last third: measured 0.92, 0.97, 1.02 of the limit
    assert 0.85 < by[slow]["tail_ratio"] < 1.05
    assert 0.92 < by[fast]["tail_ratio"] < 1.03
    assert 0.95 < by[rms]["tail_ratio"] < 1.08
    with open(tmp_path / "sharpness.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for label, lr in ((slow, 0.001), (fast, 0.003)):
        raw = [float(r["lambda_max"]) for r in rows if r["run"] == label]
        assert max(raw) < 0.1 * 2 / lr  # the raw λmax stays far below GD's 2/α (measured 33-38)
    text = (tmp_path / "sharpness.txt").read_text(encoding="utf-8")
    assert all(f"{label}: P⁻¹H" in text and f"{label}: λmax" in text for label in (slow, fast, rms))
