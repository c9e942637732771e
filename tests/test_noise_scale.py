"""The gradient noise scale B_simple = tr(Σ)/|G|²: against closed forms on linear regression (float64, by
hand), against a per-example autograd loop on a network, in the engine (between steps, the run unchanged),
in noise.csv and summary.json, and the budget keys' validation."""

from __future__ import annotations

import csv
import json
import math

import pytest
import torch
from core_helpers import make_spec, run_to_end

from sgd_tui.core.objectives.registry import get_objective, validate_options
from sgd_tui.core.run.noise_meter import NoiseMeter
from sgd_tui.core.theory.noise_scale import noise_scale, per_example_moments

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def build(name, options, seed=0):
    opts, errors = validate_options(name, options)
    assert not errors, errors
    return get_objective(name).build(opts, seed=seed)


def closed_form_linear(p, idx=None):
    """(G, Σ) of ℓ_i = (w x_i + b - y_i)² over the examples ``idx`` (all when None), by hand in float64:
    g_i = 2 r_i (x_i, 1) with r_i = w x_i + b - y_i; G its mean, Σ its population covariance."""
    w, b = p.params[0].detach().tolist()
    x = p.x if idx is None else p.x[idx]
    y = p.y if idx is None else p.y[idx]
    r = w * x + b - y
    g = torch.stack((2 * r * x, 2 * r), dim=1).to(torch.float64)
    G = g.mean(0)
    C = ((g - G).T @ (g - G)) / g.shape[0]
    return G, C


@pytest.mark.parametrize("start", [(-2.0, 3.0), (1.8, -0.9)])
def test_b_simple_on_the_whole_set_is_the_closed_form(start):
    p = build("linear_regression", {"n_samples": 300, "noise": 0.5, "start": list(start)}, seed=3)
    meter = NoiseMeter(p, every=1, subset=1000, seed=3)  # subset ≥ N: the whole set, exact population values
    est = meter.measure()
    G, C = closed_form_linear(p)
    assert est.m == 300
    assert est.grad_norm_sq == pytest.approx(float(G @ G), rel=1e-10)
    assert est.trace_sigma == pytest.approx(float(torch.trace(C)), rel=1e-10)
    assert est.b_simple == pytest.approx(float(torch.trace(C) / (G @ G)), rel=1e-10)


def test_on_a_subset_the_estimates_are_unbiased_corrections():
    p = build("linear_regression", {"n_samples": 2000, "noise": 0.5, "start": [1.5, -0.8]}, seed=1)
    meter = NoiseMeter(p, every=1, subset=200, seed=5)
    est = meter.measure()
    m, n = 200, 2000
    Gs, Cs = closed_form_linear(p, meter.idx)  # the subset's own mean and population covariance
    trace = float(torch.trace(Cs)) * m / (m - 1)
    assert est.trace_sigma == pytest.approx(trace, rel=1e-10)
    assert est.grad_norm_sq == pytest.approx(float(Gs @ Gs) - (1 - m / n) * trace / m, rel=1e-10)
    # and it estimates the population's value: within a few standard errors over 40 seeds' subsets
    G, C = closed_form_linear(p)
    truth = float(torch.trace(C) / (G @ G))
    many = [NoiseMeter(p, 1, 200, seed).measure().b_simple for seed in range(40)]
    mean = sum(many) / len(many)
    sd = (sum((b - mean) ** 2 for b in many) / (len(many) - 1)) ** 0.5
    assert abs(mean - truth) < 4 * sd / len(many) ** 0.5 + 0.02 * truth


def test_unresolved_gradient_is_nan_not_a_crash():
    g = torch.tensor([0.0, 0.0], dtype=torch.float64)
    assert math.isnan(noise_scale(g, 10.0, 10, 100).b_simple)  # |ḡ|² = 0 below the noise: not resolved
    assert noise_scale(torch.tensor([10.0, 0.0], dtype=torch.float64), 20.0, 10, 10).b_simple == pytest.approx(
        (20.0 / 10 - 1.0) / 1.0)
    broken = noise_scale(torch.tensor([math.nan, 0.0], dtype=torch.float64), math.nan, 10, 100)  # diverged weights
    assert all(math.isnan(v) for v in broken[:3])


def test_per_example_moments_match_an_autograd_loop_on_a_network():
    p = build("mlp_regression", {"hidden": 6, "n_samples": 24, "noise": 0.1, "regularization": "l2",
                                 "reg_strength": 0.01}, seed=2)
    idx = torch.arange(24)
    sum_g, sum_sq, m = per_example_moments(p.training_loss, list(p.params), idx, chunk=5)
    ref, ref_sq = None, 0.0
    for i in range(24):
        leaves = [q.detach().clone().double().requires_grad_() for q in p.params]
        gs = torch.autograd.grad(p.training_loss(leaves, idx[i:i + 1]), leaves)
        flat = torch.cat([g.reshape(-1) for g in gs])
        ref = flat if ref is None else ref + flat
        ref_sq += float(flat @ flat)
    assert m == 24
    torch.testing.assert_close(sum_g, ref, rtol=1e-9, atol=1e-12)
    assert sum_sq == pytest.approx(ref_sq, rel=1e-9)


def test_the_engine_measures_between_steps_without_changing_the_run():
    plain = make_spec("linear_regression", "sgd", steps=40, lr=0.05, log_every=1, batch_size=8)
    measured = make_spec("linear_regression", "sgd", steps=40, lr=0.05, log_every=1, batch_size=8)
    measured.budget.update(noise_every=10, noise_subset=50)
    a, b, noise = [], [], []
    run_to_end(plain, lambda r, recs, ev: a.extend(recs))
    runner, _ = run_to_end(measured, lambda r, recs, ev: b.extend(recs))
    assert [(r.step, r.loss, r.x, r.y) for r in a] == [(r.step, r.loss, r.x, r.y) for r in b]
    from sgd_tui.core.run.drive import drive
    from sgd_tui.core.run.engine import Runner

    runner = Runner(measured)
    drive(runner, on_noise=lambda r, rows: noise.extend(rows))
    assert [n.step for n in noise] == [0, 10, 20, 30, 40]
    assert [n.samples for n in noise] == [8 * n.step for n in noise]
    assert all(n.b_simple == pytest.approx(n.trace_sigma / n.grad_norm_sq) for n in noise)
    times = [n.time_s for n in noise]
    assert times == sorted(times) and times[-1] <= runner.elapsed
    assert runner.noise_meter.summary()["step"] == 40


def test_headless_writes_noise_csv_and_the_last_value_in_summary(tmp_path):
    from sgd_tui.core.scenario.parse import parse_scenario
    from sgd_tui.replay.run import replay

    s = parse_scenario("""schema = 1
[objective]
name = "mlp_regression"
hidden = 8
[budget]
steps = 30
noise_every = 15
noise_subset = 40
[optimizer]
name = "sgd"
lr = 0.1
batch_size = 16
[[runs]]
label = "SGD"
[[runs]]
label = "Adam"
name = "adam"
lr = 0.01
""")
    assert replay(s, tmp_path, progress=None) == 0
    rows = list(csv.DictReader(open(tmp_path / "noise.csv")))
    assert list(rows[0]) == ["run", "step", "samples", "b_simple", "trace_sigma", "grad_norm_sq"]
    assert [(r["run"], r["step"]) for r in rows] == [(k, s) for k in ("SGD", "Adam") for s in ("0", "15", "30")]
    assert all(float(r["b_simple"]) > 0 for r in rows)
    summary = json.load(open(tmp_path / "summary.json"))
    for run in summary["runs"]:
        last = [r for r in rows if r["run"] == run["label"]][-1]
        assert run["noise_scale"]["step"] == 30 and run["noise_scale"]["subset"] == 40
        assert run["noise_scale"]["b_simple"] == pytest.approx(float(last["b_simple"]))


def test_noise_keys_are_validated_with_file_and_line():
    from sgd_tui.core.errors import ScenarioError
    from sgd_tui.core.scenario.parse import parse_scenario

    with pytest.raises(ScenarioError) as e:
        parse_scenario('schema = 1\n[objective]\nname = "mlp_regression"\n[budget]\nsteps = 3\n'
                       'noise_every = 0\nnoise_subset = 1\n[optimizer]\nname = "gd"\n', "x.toml")
    text = str(e.value)
    assert "x.toml:6: budget.noise_every" in text and "x.toml:7: budget.noise_subset" in text
    with pytest.raises(ScenarioError) as e:
        parse_scenario('schema = 1\n[objective]\nname = "rosenbrock"\n[budget]\nsteps = 3\n'
                       'noise_every = 5\n[optimizer]\nname = "gd"\n', "y.toml")
    assert "y.toml:6: budget.noise_every" in str(e.value) and "no training set" in str(e.value)
