"""The theory panel's numbers: closed forms, recurrences against their state matrices, real runs at the
computed stability limits, Rosenbrock's curvature, the rate map's optimum."""

from __future__ import annotations

import math

import numpy as np
import pytest
from core_helpers import make_spec, run_to_end

from sgd_tui.core.objectives.registry import get_objective, validate_options
from sgd_tui.core.theory.quadratic import classify, dynamics, local_model, rate, theory_of, theory_of_runner
from sgd_tui.core.theory.rate_map import rate_map, rate_map_grid


def quadratic(condition, angle=0.0):
    opts, errors = validate_options("quadratic", {"condition": condition, "angle": angle})
    assert not errors
    return get_objective("quadratic").build(opts), opts


def model(condition, angle=0.0):
    p, opts = quadratic(condition, angle)
    return local_model(p, objective="quadratic", options=opts)


@pytest.mark.parametrize("k", [10.0, 100.0])
@pytest.mark.parametrize("angle", [0.0, 30.0])
def test_quadratic_closed_forms(k, angle):
    m = model(k, angle)
    assert m.kind == "exact" and not m.negative and m.warning is None
    assert m.lam_min == pytest.approx(1.0, abs=1e-9) and m.lam_max == pytest.approx(k, abs=1e-9)
    assert m.condition == pytest.approx(k, abs=1e-9)
    gd = dynamics(m, "gd", {"lr": 0.01})
    assert gd.limit_alpha == pytest.approx(2.0 / k, abs=1e-9)
    assert gd.alpha_opt == pytest.approx(2.0 / (1.0 + k), abs=1e-9)
    assert gd.rate_opt == pytest.approx((k - 1.0) / (k + 1.0), abs=1e-9)
    sk = math.sqrt(k)
    for name, hyper in (("polyak", {"lr": 0.01, "momentum": 0.5}), ("sgd", {"lr": 0.01, "momentum": 0.5})):
        hb = dynamics(m, name, hyper)
        assert hb.method == "heavy_ball"
        assert hb.limit_alpha == pytest.approx(2.0 * 1.5 / k, abs=1e-9)
        assert hb.alpha_opt == pytest.approx(4.0 / (sk + 1.0) ** 2, abs=1e-9)
        assert hb.beta_opt == pytest.approx(((sk - 1.0) / (sk + 1.0)) ** 2, abs=1e-9)
        assert hb.rate_opt == pytest.approx((sk - 1.0) / (sk + 1.0), abs=1e-9)
    for name, hyper in (("nesterov", {"lr": 0.01, "momentum": 0.5}),
                        ("sgd", {"lr": 0.01, "momentum": 0.5, "nesterov": True})):
        nv = dynamics(m, name, hyper)
        assert nv.method == "nesterov"
        assert nv.limit_alpha == pytest.approx((2.0 + 1.0) / (1.0 + 1.0) / k, abs=1e-9)
    newton = dynamics(m, "newton", {"lr": 1.0})
    assert newton.rate == 0.0 and newton.stability == "stable" and newton.limit_alpha == 2.0


def state_matrix(form, a, b, lam):
    """The one-step map of (x_t, x_{t-1}) (or torch's (w, buffer)) written from the update rules."""
    if form == "gd":
        return np.array([[1 - a * lam, 0.0], [1.0, 0.0]])
    if form == "heavy_ball":  # x+ = x - a lam x + b (x - x_prev)
        return np.array([[1 + b - a * lam, -b], [1.0, 0.0]])
    if form == "nesterov":  # x+ = x - a lam (x + b (x - x_prev)) + b (x - x_prev)
        return np.array([[(1 + b) * (1 - a * lam), -b * (1 - a * lam)], [1.0, 0.0]])
    # torch nesterov=True: b+ = mu b + lam w ; w+ = w - a (lam w + mu b+)
    return np.array([[1 - a * lam * (1 + b), -a * b * b], [lam, b]])


def test_rates_equal_the_spectral_radius_of_the_update_rules():
    rng = np.random.default_rng(0)
    for _ in range(300):
        a, b, lam = rng.uniform(0, 3), rng.uniform(0, 1.2), rng.uniform(0.01, 2)
        for form, method in (("gd", "gd"), ("heavy_ball", "heavy_ball"), ("nesterov", "nesterov"),
                             ("torch_nesterov", "nesterov")):
            bb = 0.0 if method == "gd" else b
            want = max(abs(np.linalg.eigvals(state_matrix(form, a, bb, lam))))
            assert float(rate(method, a, bb, [lam])) == pytest.approx(want, rel=1e-9, abs=1e-12), (form, a, b, lam)


LIMIT_CASES = [
    ("gd", {}),
    ("polyak", {"momentum": 0.9}),
    ("nesterov", {"momentum": 0.9}),
    ("sgd", {"momentum": 0.9}),
    ("sgd", {"momentum": 0.9, "nesterov": True}),
    ("sgd", {"momentum": 0.5, "dampening": 0.3}),
]


@pytest.mark.parametrize("k", [10.0, 100.0])
@pytest.mark.parametrize("optimizer,hyper", LIMIT_CASES)
def test_runs_converge_below_the_limit_and_diverge_above(k, optimizer, hyper):
    m = model(k, 20.0)
    limit = dynamics(m, optimizer, {"lr": 0.01, **hyper}).limit_alpha
    statuses = {}
    for factor in (0.98, 1.02):
        spec = make_spec("quadratic", optimizer, steps=40_000, objective_options={"condition": k, "angle": 20.0},
                         tolerance=1e-8, log_every=1, lr=factor * limit, **hyper)
        _, result = run_to_end(spec)
        statuses[factor] = result.status
        theory = dynamics(m, optimizer, spec.hyper)
        assert (theory.stability == "unstable") == (factor > 1)
    assert statuses == {0.98: "converged", 1.02: "diverged"}


def test_rosenbrock_curvature_at_its_minimum():
    opts, _ = validate_options("rosenbrock", {})
    m = local_model(get_objective("rosenbrock").build(opts), (1.0, 1.0), "rosenbrock", opts)
    assert m.kind == "local"
    assert m.lam_max == pytest.approx(1001.6, abs=0.05)
    assert m.lam_min * m.lam_max == pytest.approx(400.0, rel=1e-9)  # det [[802, -400], [-400, 200]]
    assert m.lam_max == pytest.approx(max(np.linalg.eigvalsh([[802.0, -400.0], [-400.0, 200.0]])), rel=1e-12)


@pytest.mark.parametrize("k", [10.0, 100.0])
def test_rate_map_at_the_optimum_and_nowhere_better(k):
    m = model(k)
    for optimizer, method in (("polyak", "heavy_ball"), ("nesterov", "nesterov")):
        d = dynamics(m, optimizer, {"lr": 0.01, "momentum": 0.5})
        at_opt = rate_map(method, [m.lam_min, m.lam_max], [d.alpha_opt], [d.beta_opt])
        assert at_opt.shape == (1, 1)
        assert float(at_opt[0, 0]) == pytest.approx(d.rate_opt, abs=1e-9)
        grid = rate_map_grid(d, m, 120, 40)
        assert grid.rho.shape == (40, 120)
        assert grid.rho.min() >= d.rate_opt - 1e-12
        assert grid.optimum == pytest.approx((d.alpha_opt, d.beta_opt))
        # a fine grid around the optimum finds nothing better either (it is the optimum)
        fine = rate_map(method, [m.lam_min, m.lam_max], np.linspace(0.5, 1.5, 201) * d.alpha_opt,
                        np.clip(np.linspace(0.5, 1.5, 201) * d.beta_opt, 0, 0.999))
        assert fine.min() >= d.rate_opt - 1e-12
    gd = dynamics(m, "gd", {"lr": 0.01})
    assert float(rate("gd", gd.alpha_opt, 0.0, [1.0, k])) == pytest.approx((k - 1) / (k + 1), abs=1e-12)


def test_stability_classes():
    eig = [1.0, 10.0]
    assert classify("gd", 0.05, 0.0, eig) == "stable"
    assert classify("gd", 0.15, 0.0, eig) == "oscillating"  # αλmax = 1.5: the steep direction flips sign
    assert classify("gd", 0.21, 0.0, eig) == "unstable"
    assert classify("heavy_ball", 0.1, 0.9, eig) == "stable"  # complex roots: spirals, no sign flip
    # real negative roots: (1 + β − αλ)² ≥ 4β and αλ > 1 + β
    assert classify("heavy_ball", 0.22, 0.2, eig) == "oscillating"
    assert classify("heavy_ball", 0.05, 1.0, eig) == "unstable"


def test_regressions_use_their_own_hessian():
    opts, _ = validate_options("linear_regression", {"n_samples": 50})
    p = get_objective("linear_regression").build(opts, seed=1)
    m = local_model(p, (0.3, -0.2), "linear_regression", opts)
    x = p.x
    want = np.array([[2 * float((x * x).mean()), 2 * float(x.mean())], [2 * float(x.mean()), 2.0]])  # MSE
    assert np.allclose(np.array(m.hessian), want, rtol=1e-12)
    assert m.kind == "exact"
    opts, _ = validate_options("logistic_regression", {"n_samples": 50})
    m = local_model(get_objective("logistic_regression").build(opts, seed=1), (0.3, -0.2), "logistic_regression", opts)
    assert m.kind == "local" and 0 < m.lam_min <= m.lam_max


def test_saddle_warns_and_gives_no_optimum():
    opts, _ = validate_options("saddle", {})
    p = get_objective("saddle").build(opts)
    t = theory_of(p, "gd", {"lr": 0.1}, point=(0.0, 0.0), objective="saddle", options=opts)
    assert t.model.negative and "saddle" in t.model.warning
    assert not t.dynamics.applies and t.dynamics.alpha_opt is None
    assert t.dynamics.limit_alpha == pytest.approx(2.0 / 2.0)  # λmax = 2 still bounds the step
    d = t.to_dict()
    assert d["negative_eigenvalue"] and d["lambda_min"] == pytest.approx(-1.0)


def test_adam_effective_step_after_one_update():
    spec = make_spec("quadratic", "adam", steps=1, objective_options={"condition": 10.0}, lr=0.1)
    runner, _ = run_to_end(spec)
    start = runner.problem.start
    t = theory_of_runner(runner, previous=start)
    assert t.dynamics.method == "adaptive" and t.dynamics.rate is None and t.dynamics.limit_alpha is None
    g = runner.problem.params[0].grad.tolist()
    # Adam's first step: m̂ = g, v̂ = g², Δw = −α g/(|g| + ε): an effective step α/(|g| + ε) per coordinate
    for eff, gi in zip(t.dynamics.effective_step, g):
        assert eff == pytest.approx(0.1 / (abs(gi) + 1e-8), rel=1e-9)


def test_scheduled_lr_is_the_current_one():
    spec = make_spec("quadratic", "sgd", steps=10, objective_options={"condition": 10.0}, lr=0.1,
                     schedule="exponential", gamma=0.5)
    runner, _ = run_to_end(spec)
    t = theory_of_runner(runner)
    assert t.dynamics.alpha == pytest.approx(0.1 * 0.5**10)
    assert t.dynamics.alpha_lambda_max == pytest.approx(0.1 * 0.5**10 * 10.0)


@pytest.mark.parametrize("optimizer", ["polyak", "nesterov", "sgd"])
@pytest.mark.parametrize("beta", [1.0, 1.5])
def test_momentum_of_one_or_more(optimizer, beta):
    """The registry allows β ≥ 1: heavy ball is then never stable; Nesterov keeps its upper limit, and its
    rate still says whether (α, β) contracts (|D| < 1 also needs αλmin > 1 − 1/β)."""
    m = model(1.5)
    d = dynamics(m, optimizer, {"lr": 0.5, "momentum": beta})
    if d.method == "heavy_ball":
        assert d.limit_alpha is None and d.stability == "unstable" and "no step size is stable" in d.note
    else:
        assert d.limit_alpha == pytest.approx((2 + 2 * beta) / (1 + 2 * beta) / 1.5)
        want = max(abs(np.linalg.eigvals(state_matrix("nesterov", 0.5, beta, lam))).max() for lam in (1.0, 1.5))
        assert d.rate == pytest.approx(want)
        assert (d.stability == "unstable") == (want >= 1)
