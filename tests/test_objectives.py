"""Objectives: analytic gradients and Hessians against autograd, stated minima, regression risks
against NumPy formulas, losses by the lecture's names."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sgd_tui.core.objectives.losses import classification_loss, penalty
from sgd_tui.core.objectives.registry import OBJECTIVES, get_objective, validate_options
from sgd_tui.core.objectives.surfaces import SURFACES, make_surface

SURFACE_OPTIONS = {"quadratic": {"condition": 7.0, "angle": 35.0}, "rosenbrock": {"a": 1.0, "b": 100.0}}


def _points(name):
    s = make_surface(name)
    (x0, x1), (y0, y1) = s.bounds
    rng = np.random.default_rng(0)
    pts = [(float(x), float(y)) for x, y in zip(rng.uniform(x0, x1, 12), rng.uniform(y0, y1, 12))]
    return pts + [s.start] + list(s.minima)


@pytest.mark.parametrize("name", list(SURFACES))
def test_surface_gradient_and_hessian_match_autograd(name):
    s = make_surface(name, **SURFACE_OPTIONS.get(name, {}))
    for x, y in _points(name):
        w = torch.tensor([x, y], dtype=torch.float64, requires_grad=True)
        f = s.f(w[0], w[1])
        (g,) = torch.autograd.grad(f, w)
        H = torch.autograd.functional.hessian(lambda v: s.f(v[0], v[1]), w.detach())
        gx, gy = s.grad(x, y)
        np.testing.assert_allclose([gx, gy], g.numpy(), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(np.array(s.hess(x, y), dtype=float), H.numpy(), rtol=1e-9, atol=1e-8)
        assert s.value(x, y) == pytest.approx(float(f.detach()), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name", list(SURFACES))
def test_surface_minima_are_stationary_with_the_stated_value(name):
    s = make_surface(name)
    for x, y in s.minima:
        gx, gy = s.grad(x, y)
        assert math.hypot(gx, gy) < 1e-4, (x, y, gx, gy)
        assert s.value(x, y) == pytest.approx(s.min_value, abs=1e-6)
        H = np.array(s.hess(x, y), dtype=float)
        assert np.linalg.eigvalsh(H).min() > 0  # a strict local minimum
    # nothing on a grid over the bounds is lower than the stated minimum
    (x0, x1), (y0, y1) = s.bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, 201), np.linspace(y0, y1, 201))
    assert np.nanmin(s.f(X, Y)) >= s.min_value - 1e-9


def test_saddle_has_an_indefinite_hessian_at_the_origin():
    s = make_surface("saddle")
    assert s.grad(0.0, 0.0) == (0.0, 0.0)
    assert sorted(np.linalg.eigvalsh(np.array(s.hess(0.0, 0.0), dtype=float))) == [-1.0, 2.0]


def test_quadratic_condition_number_is_the_hessian_ratio():
    s = make_surface("quadratic", condition=50.0, angle=30.0)
    ev = np.linalg.eigvalsh(np.array(s.hess(0.3, -0.2), dtype=float))
    assert ev.max() / ev.min() == pytest.approx(50.0)


def test_overflow_is_inf_not_an_exception():
    s = make_surface("beale")
    assert s.value(1e200, 1e200) == math.inf
    f, gx, gy = s.value_and_grad(1e200, 1e200)
    assert f == math.inf


def test_surface_grid_matches_pointwise_values():
    p = get_objective("himmelblau").build(validate_options("himmelblau", {})[0])
    xs, ys = np.linspace(-5, 5, 7), np.linspace(-4, 4, 5)
    G = p.grid(xs, ys)
    assert G.shape == (5, 7)
    assert G[2, 3] == pytest.approx(p.value(xs[3], ys[2]))


def test_surface_noise_perturbs_the_gradient_reproducibly():
    opts = validate_options("quadratic", {"noise": 0.5})[0]
    a, b = get_objective("quadratic").build(opts, seed=3), get_objective("quadratic").build(opts, seed=3)
    a.loss_and_grad(None)
    b.loss_and_grad(None)
    assert torch.equal(a.params[0].grad, b.params[0].grad)
    exact = make_surface("quadratic").grad(*a.start)
    assert not np.allclose(a.params[0].grad.numpy(), exact)


# ----------------------------------------------------------------------------- regression risks
def _lin(**opts):
    return get_objective("linear_regression").build(validate_options("linear_regression", opts)[0], seed=0)


def test_linear_regression_risk_is_the_lecture_formula():
    p = _lin(regularization="l1", reg_strength=0.1)
    x, y = p.x.numpy(), p.y.numpy()
    w, b = 0.7, -0.3
    expected = np.mean((w * x + b - y) ** 2) + 0.1 * (abs(w) + abs(b))
    assert p.value(w, b) == pytest.approx(expected, rel=1e-12)
    p.params[0].data = torch.tensor([w, b], dtype=torch.float64)
    idx = torch.tensor([0, 5, 7])
    loss = float(p.loss_and_grad(idx))
    r = w * x[[0, 5, 7]] + b - y[[0, 5, 7]]
    assert loss == pytest.approx(np.mean(r**2) + 0.1 * (abs(w) + abs(b)), rel=1e-12)
    grad = p.params[0].grad.numpy()
    np.testing.assert_allclose(grad, [np.mean(2 * r * x[[0, 5, 7]]) + 0.1, np.mean(2 * r) - 0.1], rtol=1e-10)


def test_linear_regression_minimum_is_least_squares():
    p = _lin()
    A = np.stack([p.x.numpy(), np.ones(p.n_train)], axis=1)
    sol, *_ = np.linalg.lstsq(A, p.y.numpy(), rcond=None)
    np.testing.assert_allclose(p.minima[0], sol, atol=1e-6)
    assert abs(sol[0] - 2.0) < 0.2 and abs(sol[1] + 1.0) < 0.2  # the data's true line


def test_l1_loss_and_outliers():
    mse, l1 = _lin(outliers=0.1), _lin(outliers=0.1, loss="l1")
    # outliers drag the MSE solution far more than the L1 solution
    assert abs(mse.minima[0][1] + 1.0) > 3 * abs(l1.minima[0][1] + 1.0)


@pytest.mark.parametrize("reg", ["l2", "l2_norm"])
def test_penalties(reg):
    w = torch.tensor([3.0, -4.0], dtype=torch.float64)
    expected = {"l2": 0.5 * 0.2 * 25.0, "l2_norm": 0.2 * 5.0}[reg]
    assert float(penalty(reg, 0.2, [w])) == pytest.approx(expected)


def test_logistic_losses_agree_with_torch_nn():
    logits = torch.randn(32, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    y = torch.arange(32) % 2
    ce = classification_loss("cross_entropy", logits, y)
    assert float(ce) == pytest.approx(float(torch.nn.CrossEntropyLoss()(logits, y)))
    assert float(classification_loss("nll", logits, y)) == pytest.approx(float(ce))  # log-softmax + NLL
    assert float(classification_loss("kl_div", logits, y)) == pytest.approx(float(ce))  # one-hot targets
    w = torch.tensor([1.0, 3.0], dtype=torch.float64)
    assert float(classification_loss("cross_entropy", logits, y, weight=w, label_smoothing=0.1)) == pytest.approx(
        float(F.cross_entropy(logits, y, weight=w, label_smoothing=0.1))
    )


def test_logistic_regression_problem():
    opts = validate_options("logistic_regression", {"loss": "nll"})[0]
    p = get_objective("logistic_regression").build(opts, seed=0)
    (w, _b), fmin = p.minima[0], p.min_value
    assert w > 0.5  # class 1 lies at positive x
    assert fmin < math.log(2)  # better than chance
    H = p.hessian(None)
    assert torch.linalg.eigvalsh(H).min() > 0  # convex


def test_every_objective_option_has_help_and_a_valid_default():
    for info in OBJECTIVES.values():
        for param in info.params:
            assert param.help
            if param.default is not None:
                assert param.check(param.default) == param.default


def test_objective_option_errors():
    _, errors = validate_options("quadratic", {"condition": 0.5, "colour": 1})
    msgs = dict(errors)
    assert "condition must be a number >= 1" in msgs["condition"]
    assert "has no option 'colour'" in msgs["colour"]


@pytest.mark.parametrize("name,loss", [("linear_regression", "l1"), ("logistic_regression", "cross_entropy"),
                                       ("logistic_regression", "kl_div")])
def test_regression_grid_matches_pointwise_values(name, loss):
    p = get_objective(name).build(validate_options(name, {"loss": loss, "regularization": "l2", "reg_strength": 0.1})[0])
    xs, ys = np.linspace(-3, 5, 9), np.linspace(-4, 4, 4)
    G = p.grid(xs, ys)
    assert G.shape == (4, 9)
    for i, j in [(0, 0), (3, 8), (1, 5)]:
        assert G[i, j] == pytest.approx(p.value(xs[j], ys[i]), rel=1e-10)
