"""Optimizers, checked step for step in float64.

* where torch has the algorithm, our registry entry (driven by the engine) equals torch.optim driven by
  hand with the same analytic gradient;
* the lecture's forms (GD, Polyak, Nesterov, Newton) equal an independent NumPy implementation of the
  lecture's formulas written here, and Polyak equals torch SGD(momentum=β, dampening=0);
* every optimizer reaches the minimum of a well-conditioned quadratic;
* impossible hyperparameters are rejected with exact messages.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from core_helpers import make_spec, trajectory

from sgd_tui.core.errors import SetupError
from sgd_tui.core.objectives.surfaces import make_surface
from sgd_tui.core.optim.registry import OPTIMIZERS, validate_hyperparameters
from sgd_tui.core.run.engine import Runner

STEPS = 60


def torch_reference(surface_name, surface_opts, start, make_opt, steps=STEPS):
    """Drive a torch.optim optimizer by hand with the surface's analytic gradient."""
    s = make_surface(surface_name, **surface_opts)
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = make_opt([w])
    points = [tuple(w.tolist())]
    for _ in range(steps):
        def closure():
            gx, gy = s.grad(*w.detach().tolist())
            w.grad = torch.tensor([gx, gy], dtype=torch.float64)
            return s.f(*w.detach().tolist())

        opt.step(closure)
        points.append(tuple(w.tolist()))
    return points


# (registry name, hyperparameters, the torch.optim constructor it must equal)
TORCH_EQUIVALENTS = [
    ("sgd", dict(lr=0.01, momentum=0.9, dampening=0.1, weight_decay=0.01),
     lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("sgd", dict(lr=0.01, momentum=0.8, nesterov=True),
     lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.8, nesterov=True)),
    ("polyak", dict(lr=0.01, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, dampening=0)),
    ("adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6),
     lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.99), eps=1e-6)),
    ("adam", dict(lr=0.05, amsgrad=True), lambda p: torch.optim.Adam(p, lr=0.05, amsgrad=True)),
    ("amsgrad", dict(lr=0.05), lambda p: torch.optim.Adam(p, lr=0.05, amsgrad=True)),
    ("adamw", dict(lr=0.05, weight_decay=0.1), lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.1)),
    ("rmsprop", dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True),
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5, centered=True)),
    ("adagrad", dict(lr=0.1, lr_decay=0.01), lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.01)),
    ("adamax", dict(lr=0.02), lambda p: torch.optim.Adamax(p, lr=0.02)),
    ("nadam", dict(lr=0.02), lambda p: torch.optim.NAdam(p, lr=0.02)),
    ("adadelta", dict(lr=1.0, rho=0.95), lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.95)),
]


@pytest.mark.parametrize("surface", ["quadratic", "rosenbrock"])
@pytest.mark.parametrize("name,hyper,make_opt", TORCH_EQUIVALENTS, ids=lambda v: v if isinstance(v, str) else "")
def test_registry_optimizer_equals_torch_optim(surface, name, hyper, make_opt):
    start = (-1.2, 1.0)
    opts = {"condition": 20.0, "angle": 30.0} if surface == "quadratic" else {}
    lr_scale = 0.1 if surface == "rosenbrock" and name in ("sgd", "polyak") else 1.0
    if lr_scale != 1.0:
        hyper = {**hyper, "lr": hyper["lr"] * lr_scale}
        base = make_opt

        def make_opt(p, base=base):  # the same constructor with the smaller lr
            o = base(p)
            for g in o.param_groups:
                g["lr"] *= lr_scale
            return o

    ours = trajectory(make_spec(surface, name, steps=STEPS, objective_options=opts, start=start, **hyper))
    ref = torch_reference(surface, opts, start, make_opt)
    assert len(ours) == STEPS + 1
    np.testing.assert_allclose(np.array(ours), np.array(ref), rtol=0, atol=1e-12)
    assert ours[-1] != ours[0]


# ----------------------------------------------------------------------------- the lecture's formulas
def lecture_reference(name, grad, hess, w0, steps, lr, beta=0.0):
    """The lecture's update rules, written independently in float64 NumPy."""
    w_prev = np.array(w0, dtype=np.float64)
    w = w_prev.copy()
    out = [w.copy()]
    for _ in range(steps):
        if name == "gd":
            w_next = w - lr * grad(w)
        elif name == "polyak":
            w_next = w - lr * grad(w) + beta * (w - w_prev)
        elif name == "nesterov":
            w_next = w - lr * grad(w + beta * (w - w_prev)) + beta * (w - w_prev)
        elif name == "newton":
            w_next = w - lr * np.linalg.solve(hess(w), grad(w))
        w_prev, w = w, w_next
        out.append(w.copy())
    return np.array(out)


def _np_surface(name, **opts):
    s = make_surface(name, **opts)
    grad = lambda w: np.array(s.grad(float(w[0]), float(w[1])))  # noqa: E731
    hess = lambda w: np.array(s.hess(float(w[0]), float(w[1])), dtype=float)  # noqa: E731
    return grad, hess


@pytest.mark.parametrize(
    "name,hyper",
    [("gd", dict(lr=0.05)), ("polyak", dict(lr=0.02, momentum=0.9)), ("nesterov", dict(lr=0.02, momentum=0.9)),
     ("nesterov", dict(lr=0.05, momentum=0.5)), ("newton", dict(lr=1.0, nonconvex="none")),
     ("newton", dict(lr=0.5, nonconvex="none"))],
)
@pytest.mark.parametrize("surface,opts,start", [
    ("quadratic", {"condition": 15.0, "angle": 20.0}, (-4.0, 3.0)),
    ("booth", {}, (-6.0, -6.0)),
    ("rosenbrock", {}, (-1.2, 1.0)),
])
def test_lecture_forms_equal_the_formulas(name, hyper, surface, opts, start):
    if surface == "rosenbrock" and name != "newton":
        hyper = {**hyper, "lr": hyper["lr"] / 50}
    grad, hess = _np_surface(surface, **opts)
    ours = np.array(trajectory(make_spec(surface, name, steps=40, objective_options=opts, start=start, **hyper)))
    ref = lecture_reference(name, grad, hess, start, 40, hyper["lr"], hyper.get("momentum", 0.0))
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-10)


def test_nesterov_lecture_form_differs_from_torch_nesterov():
    ours = trajectory(make_spec("quadratic", "nesterov", steps=20, lr=0.05, momentum=0.9))
    torchs = trajectory(make_spec("quadratic", "sgd", steps=20, lr=0.05, momentum=0.9, nesterov=True))
    assert np.abs(np.array(ours) - np.array(torchs)).max() > 1e-3


def test_polyak_with_a_schedule_keeps_the_displacement():
    """With a changing α the lecture's heavy ball (β(w_t - w_{t-1})) differs from torch's buffer form."""
    grad, _ = _np_surface("quadratic")
    lr0, beta, gamma = 0.05, 0.9, 0.9
    w_prev = w = np.array([-4.0, 3.0])
    for t in range(30):
        lr = lr0 * gamma**t
        w_prev, w = w, w - lr * grad(w) + beta * (w - w_prev)
    ours = trajectory(make_spec("quadratic", "polyak", steps=30, lr=lr0, momentum=beta, schedule="exponential",
                                gamma=gamma))
    np.testing.assert_allclose(ours[-1], w, rtol=1e-12, atol=1e-12)


def test_newton_nonconvex_rules_on_the_saddle():
    """At a point where H is indefinite, pure Newton jumps to the saddle; the abs rule goes downhill."""
    start = (0.5, 0.3)  # H = diag(2, 3y²-1) has a negative eigenvalue here
    pure = trajectory(make_spec("saddle", "newton", steps=8, start=start, nonconvex="none"))
    safe = trajectory(make_spec("saddle", "newton", steps=8, start=start, nonconvex="abs"))
    s = make_surface("saddle")
    assert math.hypot(*pure[-1]) < 1e-6  # converged to the saddle point (0, 0), f = 0
    assert s.value(*safe[-1]) < -0.24  # reached a minimum, f = -1/4
    assert abs(abs(safe[-1][1]) - 1.0) < 1e-6


def test_newton_refuses_a_large_model():
    from sgd_tui.core.optim.lecture import HessianError, Newton

    params = [torch.zeros(2000, requires_grad=True)]
    with pytest.raises(HessianError, match="at most 1,000 parameters"):
        Newton(params, hessian=lambda: torch.eye(2000))


# ----------------------------------------------------------------------------- reaching the minimum
GOOD_LR = {
    "gd": {"lr": 0.3}, "sgd": {"lr": 0.3}, "polyak": {"lr": 0.1, "momentum": 0.5},
    "nesterov": {"lr": 0.1, "momentum": 0.5}, "newton": {}, "adam": {"lr": 0.05}, "amsgrad": {"lr": 0.05},
    "adamw": {"lr": 0.05, "weight_decay": 0.0}, "rmsprop": {"lr": 0.01}, "adagrad": {"lr": 0.5},
    "adamax": {"lr": 0.05}, "nadam": {"lr": 0.05}, "adadelta": {"lr": 1.0},
    # sign steps of length α oscillate around the minimum: a decaying α lands (Σα = 3.3 > the distance 2)
    "lion": {"lr": 0.01, "schedule": "exponential", "gamma": 0.997},
    # on a quadratic SAM's fixed points are at distance ~ρ from the minimum: a small ρ
    "sam": {"lr": 0.3, "rho": 1e-4},
    "schedulefree_sgd": {"lr": 0.3}, "schedulefree_adamw": {"lr": 0.05},
    "muon": None,  # no hidden matrix on a surface: a clear error (tests/test_modern_optim.py)
}


def test_every_registered_optimizer_has_a_reaching_lr():
    assert set(GOOD_LR) == set(OPTIMIZERS)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_reaches_the_minimum_of_a_well_conditioned_quadratic(name):
    if GOOD_LR[name] is None:
        pytest.skip(f"{name} does not run on a 2-D surface")
    steps = 3000 if name == "adadelta" else 1500
    spec = make_spec("quadratic", name, steps=steps, objective_options={"condition": 2.0}, start=(2.0, -1.5),
                     **GOOD_LR[name])
    pts = trajectory(spec)
    x, y = pts[-1]
    assert math.hypot(x, y) < 1e-3, (name, pts[-1])


# ----------------------------------------------------------------------------- validation messages
@pytest.mark.parametrize(
    "name,hyper,message",
    [
        ("sgd", {"lr": -0.1}, "Invalid learning rate: -0.1 (lr must be a number >= 0)"),
        ("sgd", {"momentum": -1}, "Invalid momentum value: -1.0 (momentum must be a number >= 0)"),
        ("sgd", {"dampening": 2.0}, "Invalid dampening value: 2.0 (dampening must be a number in [0, 1])"),
        ("sgd", {"nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
        ("sgd", {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
         "Nesterov momentum requires a momentum and zero dampening"),
        ("adam", {"betas": [0.9, 1.0]},
         "Invalid beta parameters: [0.9, 1.0] (betas must be two numbers, each in [0, 1))"),
        ("adam", {"eps": -1e-8}, "Invalid epsilon value: -1e-08 (eps must be a number >= 0)"),
        ("adam", {"amsgrad": "yes"}, 'Invalid amsgrad: "yes" (amsgrad must be true or false)'),
        ("newton", {"lr": 0.0}, "Invalid learning rate: 0.0 (lr must be a number > 0)"),
        ("newton", {"nonconvex": "magic"},
         'Invalid nonconvex: "magic" (nonconvex must be one of "abs", "clip", "none")'),
        ("adam", {"momentum": 0.9}, "adam has no hyperparameter 'momentum'"),
    ],
)
def test_hyperparameter_messages(name, hyper, message):
    _, errors = validate_hyperparameters(name, hyper)
    assert errors, "expected an error"
    assert any(message in msg for _, msg in errors), errors


def test_valid_hyperparameters_resolve_with_defaults():
    resolved, errors = validate_hyperparameters("adam", {"lr": 1, "betas": [0.5, 0.9]})
    assert not errors
    assert resolved == {"lr": 1.0, "betas": (0.5, 0.9), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False,
                        "maximize": False}


def test_full_batch_optimizers_refuse_minibatches():
    spec = make_spec("linear_regression", "gd", steps=5, batch_size=8)
    with pytest.raises(SetupError, match='batch_size must be "full"'):
        Runner(spec)


def test_every_optimizer_documents_its_rule():
    for info in OPTIMIZERS.values():
        assert "w" in info.rule or "Adam" in info.rule, info.name
        assert info.params[0].name == "lr"


@pytest.mark.parametrize("rule", ["none", "abs", "clip"])
def test_newton_2x2_closed_form_equals_the_eigendecomposition(rule):
    from sgd_tui.core.optim.lecture import newton_direction_2x2

    rng = np.random.default_rng(1)
    for _ in range(50):
        A = rng.normal(size=(2, 2))
        H = A + A.T
        g = rng.normal(size=2)
        lam, V = np.linalg.eigh(H)
        if rule == "none":
            expected = np.linalg.solve(H, g)
        else:
            lam = np.maximum(np.abs(lam), 1e-6) if rule == "abs" else np.maximum(lam, 1e-6)
            expected = V @ ((V.T @ g) / lam)
        got = newton_direction_2x2(H.tolist(), g.tolist(), rule, 1e-6)
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)
