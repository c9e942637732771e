"""mlp_regression: the data, the network and its loss against independent references (nn.Sequential,
NumPy's Chebyshev polynomials), training with batches, seeds, and option validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from core_helpers import make_spec, run_to_end
from torch import nn

from sgd_tui.core.objectives.network import MLPRegressionProblem, chebyshev
from sgd_tui.core.objectives.registry import get_objective, validate_options

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tiny networks: more threads only add overhead


def build_problem(name, options, seed=0):
    return get_objective(name).build(options, seed=seed)


def options(**kw):
    opts, errors = validate_options("mlp_regression", kw)
    assert not errors, errors
    return opts


@pytest.mark.parametrize("degree", [0, 1, 2, 5, 9])
def test_chebyshev_is_numpys(degree):
    x = torch.linspace(-1, 1, 41, dtype=torch.float64)
    ref = np.polynomial.chebyshev.Chebyshev.basis(degree)(x.numpy())
    np.testing.assert_allclose(chebyshev(degree, x).numpy(), ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_loss_and_gradient_are_nn_sequential_with_half_mse(activation):
    opts = options(n_samples=30, target="sine", frequency=1.5, noise=0.1, hidden=7, activation=activation,
                   regularization="l2", reg_strength=0.01)
    p = build_problem("mlp_regression", opts, seed=3)
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(1, 7), nn.Tanh() if activation == "tanh" else nn.ReLU(), nn.Linear(7, 1)).double()
    for mine, theirs in zip(p.params, model.parameters()):
        assert torch.equal(mine.detach(), theirs.detach())  # nn.Linear's initialisation under the seed
    x = torch.linspace(-1, 1, 30, dtype=torch.float64).unsqueeze(1)
    noise = torch.randn(30, generator=torch.Generator().manual_seed(3), dtype=torch.float64).unsqueeze(1)
    y = torch.sin(1.5 * math.pi * x) + 0.1 * noise
    ref = 0.5 * ((model(x) - y) ** 2).mean() + 0.5 * 0.01 * sum((q**2).sum() for q in model.parameters())
    ref.backward()
    loss = p.loss_and_grad(None)
    assert float(loss) == pytest.approx(float(ref.detach()), rel=1e-12)
    for mine, theirs in zip(p.params, model.parameters()):
        torch.testing.assert_close(mine.grad, theirs.grad, rtol=1e-10, atol=1e-12)
    # a batch: the mean over its examples only
    idx = torch.tensor([0, 4, 17])
    batch = p.loss_and_grad(idx)
    with torch.no_grad():
        expect = 0.5 * ((model(x[idx]) - y[idx]) ** 2).mean() + 0.5 * 0.01 * sum((q**2).sum() for q in model.parameters())
    assert float(batch) == pytest.approx(float(expect), rel=1e-12)


def test_data_are_evenly_spaced_and_the_seed_draws_noise_and_weights():
    a = build_problem("mlp_regression", options(noise=0.2), seed=0)
    b = build_problem("mlp_regression", options(noise=0.2), seed=0)
    c = build_problem("mlp_regression", options(noise=0.2), seed=1)
    assert a.n_train == 64 and a.x[0, 0] == -1.0 and a.x[-1, 0] == 1.0
    assert torch.equal(a.y, b.y) and not torch.equal(a.y, c.y)
    assert torch.equal(a.params[0], b.params[0]) and not torch.equal(a.params[0], c.params[0])
    clean = build_problem("mlp_regression", options(), seed=5)
    torch.testing.assert_close(clean.y.squeeze(1), chebyshev(3, clean.x.squeeze(1)))


def test_full_batch_gd_fits_the_curve():
    _, result = run_to_end(make_spec("mlp_regression", "gd", steps=1500, lr=0.3, log_every=1))
    start = 0.5 * float((chebyshev(3, torch.linspace(-1, 1, 64, dtype=torch.float64)) ** 2).mean())
    assert result.status == "finished"
    assert result.final_loss < start / 10  # measured 0.015 from 0.25
    assert result.samples == 1500 * 64


@pytest.mark.parametrize("sampling", ["shuffle", "replacement", "sequential"])
def test_minibatch_sgd_with_every_sampling_learns_and_is_reproducible(sampling):
    def go():
        records = []
        spec = make_spec("mlp_regression", "sgd", steps=400, lr=0.05, momentum=0.9, batch_size=8,
                         sampling=sampling, log_every=1, objective_options={"target": "sine"})
        run_to_end(spec, lambda r, recs, ev: records.extend(recs))
        return records

    a, b = go(), go()
    assert [(r.step, r.epoch, r.samples, r.loss) for r in a] == [(r.step, r.epoch, r.samples, r.loss) for r in b]
    assert a[-1].epoch == 50 and a[-1].samples == 3200  # 8 batches of 8 per epoch
    assert sum(r.loss for r in a[-40:]) / 40 < 0.5 * sum(r.loss for r in a[:8]) / 8


def test_diverging_step_is_a_result():
    _, result = run_to_end(make_spec("mlp_regression", "gd", steps=300, lr=5.0, log_every=1))
    assert result.status == "diverged"


def test_predict_is_the_network():
    p = build_problem("mlp_regression", options(hidden=5), seed=0)
    xs = torch.tensor([-0.5, 0.25])
    with torch.no_grad():
        W1, b1, W2, b2 = p.params
        ref = (torch.tanh(xs.double().unsqueeze(1) @ W1.T + b1) @ W2.T + b2).squeeze(1)
    torch.testing.assert_close(p.predict(xs), ref)
    assert isinstance(p, MLPRegressionProblem)


def test_option_errors_name_what_is_allowed():
    _, errors = validate_options("mlp_regression", {"activation": "sigmoid", "hidden": 0, "target": "cubic"})
    msgs = dict(errors)
    assert '"tanh", "relu"' in msgs["activation"]
    assert "in [1, 4096]" in msgs["hidden"]
    assert '"chebyshev", "sine"' in msgs["target"]
