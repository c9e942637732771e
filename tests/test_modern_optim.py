"""The optimizers of 2021-24 (core.optim.modern) against float64 references of their papers' updates,
written here independently (numpy-free plain torch float64 on lists of tensors), and the schedule-free
ones also against the authors' package (``schedulefree``, its closure classes) when it is installed."""

from __future__ import annotations

import math

import pytest
import torch

from sgd_tui.core.optim.modern import SAM, Lion, ScheduleFreeAdamW, ScheduleFreeSGD
from sgd_tui.core.optim.registry import get_optimizer, validate_hyperparameters

D = torch.float64


def _problem(seed=0):
    """f(w1, w2) = ½ w1ᵀ A w1 + ¼ Σ w2⁴ + bᵀ w1 on two tensors (a matrix and a vector): non-quadratic,
    several parameters, gradients in closed form."""
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(6, 6, generator=g, dtype=D)
    a = q @ q.T / 6 + 0.1 * torch.eye(6, dtype=D)
    b = torch.randn(6, generator=g, dtype=D)
    w1 = torch.randn(2, 3, generator=g, dtype=D)
    w2 = torch.randn(4, generator=g, dtype=D)

    def grad(ws):
        v = ws[0].reshape(-1)
        return [(a @ v + b).reshape(2, 3), ws[1] ** 3]

    def loss(ws):
        v = ws[0].reshape(-1)
        return float(0.5 * v @ a @ v + 0.25 * (ws[1] ** 4).sum() + b @ v)

    return [w1, w2], grad, loss


def _run_torch(cls, hyper, steps=25, seed=0):
    ws, grad, loss = _problem(seed)
    params = [w.clone().requires_grad_() for w in ws]
    opt = cls(params, **hyper)

    def closure():
        with torch.no_grad():
            for p, gr in zip(params, grad([p.detach() for p in params])):
                p.grad = gr.clone()
        return loss([p.detach() for p in params])

    path = []
    for _ in range(steps):
        opt.step(closure)
        path.append([p.detach().clone() for p in params])
    return path


def _close(path, ref):
    for mine, theirs in zip(path, ref):
        for a, b in zip(mine, theirs):
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-13)


# ----------------------------------------------------------------------------- Lion (Chen et al. 2023, Alg. 2)
@pytest.mark.parametrize("wd", [0.0, 0.1])
def test_lion_matches_the_papers_update(wd):
    lr, b1, b2 = 0.01, 0.9, 0.99
    ws, grad, _ = _problem()
    w = [x.clone() for x in ws]
    m = [torch.zeros_like(x) for x in w]
    ref = []
    for _ in range(25):
        g = grad(w)
        update = [torch.sign(b1 * mi + (1 - b1) * gi) for mi, gi in zip(m, g)]
        w = [wi - lr * (ui + wd * wi) for wi, ui in zip(w, update)]
        m = [b2 * mi + (1 - b2) * gi for mi, gi in zip(m, g)]
        ref.append([x.clone() for x in w])
    _close(_run_torch(Lion, {"lr": lr, "betas": (b1, b2), "weight_decay": wd}), ref)


def test_lion_moves_every_coordinate_by_exactly_lr():
    path = _run_torch(Lion, {"lr": 0.01}, steps=2)
    ws, _, _ = _problem()
    step = [a - b for a, b in zip(path[0], ws)]
    for s in step:
        assert torch.allclose(s.abs(), torch.full_like(s, 0.01))


# ----------------------------------------------------------------------------- SAM (Foret et al. 2021, Alg. 1)
@pytest.mark.parametrize("base, extra", [("sgd", {"momentum": 0.9}), ("sgd", {"momentum": 0.0, "weight_decay": 0.01}),
                                         ("adam", {"betas": (0.9, 0.999)})])
def test_sam_matches_the_papers_update(base, extra):
    lr, rho = 0.02, 0.05
    ws, grad, _ = _problem()
    w = [x.clone() for x in ws]
    buf = [torch.zeros_like(x) for x in w]
    m = [torch.zeros_like(x) for x in w]
    v = [torch.zeros_like(x) for x in w]
    wd = extra.get("weight_decay", 0.0)
    ref = []
    for t in range(1, 26):
        g = grad(w)
        norm = math.sqrt(sum(float((gi ** 2).sum()) for gi in g))
        eps_hat = [rho * gi / norm for gi in g]
        g_sam = grad([wi + ei for wi, ei in zip(w, eps_hat)])
        g_sam = [gi + wd * wi for gi, wi in zip(g_sam, w)]
        if base == "sgd":
            mu = extra["momentum"]
            buf = [mu * bi + gi if t > 1 else gi.clone() for bi, gi in zip(buf, g_sam)] if mu else g_sam
            w = [wi - lr * bi for wi, bi in zip(w, buf)]
        else:
            be1, be2 = extra["betas"]
            m = [be1 * mi + (1 - be1) * gi for mi, gi in zip(m, g_sam)]
            v = [be2 * vi + (1 - be2) * gi * gi for vi, gi in zip(v, g_sam)]
            w = [wi - lr * (mi / (1 - be1 ** t)) / ((vi / (1 - be2 ** t)).sqrt() + 1e-8)
                 for wi, mi, vi in zip(w, m, v)]
        ref.append([x.clone() for x in w])
    _close(_run_torch(SAM, {"lr": lr, "rho": rho, "base": base, **extra}), ref)


# ----------------------------------------------------------------------------- schedule-free (Defazio et al. 2024)
def _schedulefree_reference(adam: bool, lr, beta, wd, warmup, b2=0.999, eps=1e-8, steps=25):
    """The paper's algorithm (SGD: Alg. 1; AdamW: Alg. 2 with the reference code's c_{t+1} = γ_max²/Σγ_max²
    and warmup), returning x after every step."""
    ws, grad, _ = _problem()
    x = [w.clone() for w in ws]
    z = [w.clone() for w in ws]
    v = [torch.zeros_like(w) for w in ws]
    lr_max = weight_sum = 0.0
    out = []
    for k in range(steps):
        gamma = lr * ((k + 1) / warmup if k < warmup else 1.0)
        lr_max = max(lr_max, gamma)
        weight_sum += lr_max ** 2
        c = lr_max ** 2 / weight_sum
        y = [(1 - beta) * zi + beta * xi for zi, xi in zip(z, x)]
        g = grad(y)
        if adam:
            v = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(v, g)]
            d = [gi / ((vi / (1 - b2 ** (k + 1))).sqrt() + eps) for gi, vi in zip(g, v)]
        else:
            d = g
        d = [di + wd * yi for di, yi in zip(d, y)]
        z = [zi - gamma * di for zi, di in zip(z, d)]
        x = [(1 - c) * xi + c * zi for xi, zi in zip(x, z)]
        out.append([xi.clone() for xi in x])
    return out


@pytest.mark.parametrize("wd, warmup", [(0.0, 0), (0.01, 5)])
def test_schedulefree_sgd_matches_the_paper(wd, warmup):
    ref = _schedulefree_reference(False, 0.05, 0.9, wd, warmup)
    _close(_run_torch(ScheduleFreeSGD, {"lr": 0.05, "momentum": 0.9, "weight_decay": wd, "warmup_steps": warmup}), ref)


@pytest.mark.parametrize("wd, warmup", [(0.0, 0), (0.01, 5)])
def test_schedulefree_adamw_matches_the_paper(wd, warmup):
    ref = _schedulefree_reference(True, 0.01, 0.9, wd, warmup)
    _close(_run_torch(ScheduleFreeAdamW, {"lr": 0.01, "betas": (0.9, 0.999), "weight_decay": wd,
                                          "warmup_steps": warmup}), ref)


@pytest.mark.parametrize("which", ["sgd", "adamw"])
def test_schedulefree_matches_the_authors_package(which):
    sf = pytest.importorskip("schedulefree")
    if which == "sgd":
        mine = _run_torch(ScheduleFreeSGD, {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01, "warmup_steps": 3})
        theirs = _run_torch(sf.SGDScheduleFreeClosure, {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01,
                                                        "warmup_steps": 3})
    else:
        mine = _run_torch(ScheduleFreeAdamW, {"lr": 0.01, "betas": (0.9, 0.999), "weight_decay": 0.01, "warmup_steps": 3})
        theirs = _run_torch(sf.AdamWScheduleFreeClosure, {"lr": 0.01, "betas": (0.9, 0.999), "weight_decay": 0.01,
                                                          "warmup_steps": 3})
    _close(mine, theirs)


# ----------------------------------------------------------------------------- the registry and the engine
@pytest.mark.parametrize("name", ["lion", "sam", "schedulefree_sgd", "schedulefree_adamw"])
def test_registered_with_ranges_and_run_on_a_surface(name):
    from core_helpers import make_spec, run_to_end

    info = get_optimizer(name)
    assert info.rule and info.params[0].name == "lr"
    _, errors = validate_hyperparameters(name, {"lr": -1.0})
    assert errors and errors[0][0] == "lr"
    _, result = run_to_end(make_spec("quadratic", name, steps=300, lr=0.05))
    assert result.status == "finished" and result.final_loss < 0.01 * 53.0  # f at the start (-4, 3): 53


def test_sam_rejects_an_unknown_base_and_schedulefree_a_momentum_of_one():
    _, errors = validate_hyperparameters("sam", {"base": "lbfgs"})
    assert errors and errors[0][0] == "base"
    _, errors = validate_hyperparameters("schedulefree_sgd", {"momentum": 1.0})
    assert errors and errors[0][0] == "momentum"


def test_schedulefree_runs_are_evaluated_at_the_average_x():
    """The run's parameters are x: the logged loss of a 2-D run is f(x), not f(y)."""
    from core_helpers import make_spec

    from sgd_tui.core.run.engine import Runner

    r = Runner(make_spec("quadratic", "schedulefree_sgd", steps=10, lr=0.05))
    r.advance(10)
    state = r.optimizer.state[r.problem.params[0]]
    x = r.problem.params[0].detach()
    assert not torch.equal(x, state["y"])  # y is another point
    assert r.last_loss == pytest.approx(r.problem.value(*x.tolist()), rel=1e-12)


# ----------------------------------------------------------------------------- Muon (Jordan et al. 2024)
def _mlp(depth, seed=0):
    from sgd_tui.core.objectives.network import init_params

    return init_params((1, *[8] * depth, 1), seed, "cpu", torch.float64)


def _mlp_loss(params, x, y):
    h = x
    for i in range(0, len(params), 2):
        h = h @ params[i].T + params[i + 1]
        if i + 2 < len(params):
            h = torch.tanh(h)
    return 0.5 * ((h - y) ** 2).mean()


def _train(make_opt, params, steps=15):
    x = torch.linspace(-1, 1, 32, dtype=D).unsqueeze(1)
    y = torch.cos(3 * x)
    opt = make_opt(params)

    def closure():
        for p in params:
            p.grad = None
        loss = _mlp_loss(params, x, y)
        loss.backward()
        return loss

    for _ in range(steps):
        opt.step(closure)
    return [p.detach().clone() for p in params]


def test_muon_is_torch_muon_on_the_hidden_matrices_and_adamw_on_the_rest():
    from sgd_tui.core.optim.modern import MuonHybrid, hidden_matrices

    params = _mlp(3)  # W1 b1 W2 b2 W3 b3 W4 b4: hidden matrices W2, W3
    hidden, rest = hidden_matrices(params)
    assert [tuple(p.shape) for p in hidden] == [(8, 8), (8, 8)] and len(rest) == 6
    mine = _train(lambda ps: MuonHybrid(ps, lr=0.02, adamw_lr=0.003, adamw_betas=(0.9, 0.95), weight_decay=0.01,
                                        adamw_weight_decay=0.02), _mlp(3))

    class Pair:  # the reference: torch.optim.Muon and torch.optim.AdamW side by side
        def __init__(self, ps):
            h, r = [ps[2], ps[4]], [ps[0], ps[1], ps[3], ps[5], ps[6], ps[7]]
            self.m = torch.optim.Muon(h, lr=0.02, momentum=0.95, nesterov=True, weight_decay=0.01)
            self.a = torch.optim.AdamW(r, lr=0.003, betas=(0.9, 0.95), weight_decay=0.02)

        def step(self, closure):
            closure()
            self.m.step()
            self.a.step()

    ref = _train(Pair, _mlp(3))
    for a, b in zip(mine, ref):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_muons_update_has_its_singular_values_near_one():
    """The geometry: Newton-Schulz orthogonalises the update, so its singular values cluster near 1
    (reported in [0.68, 1.13]) while the gradient's spread over orders of magnitude."""
    g = torch.Generator().manual_seed(0)
    u, _ = torch.linalg.qr(torch.randn(64, 64, generator=g))
    v, _ = torch.linalg.qr(torch.randn(64, 64, generator=g))
    grad = u @ torch.diag(torch.logspace(-3, 1, 64)) @ v.T  # singular values from 1e-3 to 10
    w = torch.zeros(64, 64, requires_grad=True)
    opt = torch.optim.Muon([w], lr=1.0, momentum=0.0, nesterov=False, weight_decay=0.0)
    w.grad = grad.clone()
    opt.step()
    s = torch.linalg.svdvals(-w.detach())
    s_grad = torch.linalg.svdvals(grad)
    assert float(s_grad.max() / s_grad.min()) > 1e3
    # five quintic steps lift a singular value σ to ~1 when σ/‖g‖_F > ~1/400 (measured here: σ >= 0.1 of
    # these, 32 of the 64, land in [0.75, 1.21]); the tiny ones stay below: Muon equalises what matters
    big = s[s_grad >= 0.1]
    assert len(big) >= 30 and 0.6 < float(big.min()) and float(big.max()) < 1.25, (float(big.min()), float(big.max()))
    assert float(s.max() / s[:len(big)].min()) < 2.0 < float(s_grad.max() / s_grad[:len(big)].min())


def test_muon_without_a_hidden_matrix_is_a_clear_error():
    from core_helpers import make_spec

    from sgd_tui.core.errors import SetupError
    from sgd_tui.core.run.engine import Runner

    for spec in (make_spec("quadratic", "muon", steps=5),
                 make_spec("mlp_regression", "muon", steps=5, batch_size=8)):
        with pytest.raises(SetupError, match="hidden weight matrix"):
            Runner(spec)
    r = Runner(make_spec("mlp_regression", "muon", steps=20, batch_size=8, objective_options={"depth": 2}))
    r.advance(20)
    assert r.status == "finished" and math.isfinite(r.last_loss)
