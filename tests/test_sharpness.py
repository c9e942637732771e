"""Sharpness: λmax by Lanczos on Hessian-vector products against the exact Hessian (autograd), the
stability limits against the optimizers themselves, and the measurements in the engine and the files."""

from __future__ import annotations

import csv
import json
import math

import pytest
import torch
from core_helpers import Runner, make_spec, run_to_end

from sgd_tui.core.objectives.registry import get_objective, validate_options
from sgd_tui.core.theory.sharpness import SharpnessMeter, fixed_subset, lanczos_top, stability_limit


def build_problem(name, options, seed=0):
    return get_objective(name).build(options, seed=seed)


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tiny networks: more threads only add overhead


def exact_top_eigenvalue(problem, idx) -> float:
    """The largest eigenvalue of the Hessian of the training loss, built whole by autograd."""
    shapes = [p.shape for p in problem.params]
    sizes = [p.numel() for p in problem.params]
    flat = torch.cat([p.detach().reshape(-1) for p in problem.params])

    def loss(v):
        return problem.training_loss([t.reshape(s) for t, s in zip(v.split(sizes), shapes)], idx)

    H = torch.autograd.functional.hessian(loss, flat)
    return float(torch.linalg.eigvalsh(H)[-1])


def test_lanczos_finds_the_top_eigenvalue_of_a_matrix_with_a_negative_one_of_larger_magnitude():
    g = torch.Generator().manual_seed(0)
    Q, _ = torch.linalg.qr(torch.randn(40, 40, generator=g, dtype=torch.float64))
    lam = torch.linspace(-1, 3, 40, dtype=torch.float64)
    lam[0] = -9.0  # power iteration would find this one
    A = Q @ torch.diag(lam) @ Q.T
    theta, y, k = lanczos_top(lambda v: A @ v, torch.randn(40, generator=g, dtype=torch.float64), max_iter=40,
                                tol=1e-10)
    assert theta == pytest.approx(3.0, rel=1e-9)
    torch.testing.assert_close(A @ y, theta * y, atol=1e-4, rtol=0)


@pytest.mark.parametrize("options", [{"loss": "mse", "noise": 0.5}, {"loss": "mse", "regularization": "l2_norm",
                                                                      "reg_strength": 0.5}])
def test_linear_regression_lambda_max_is_the_exact_hessians(options):
    opts, _ = validate_options("linear_regression", {"n_samples": 300, **options})
    p = build_problem("linear_regression", opts, seed=4)
    meter = SharpnessMeter(p, subset=100, seed=4, tol=1e-8)
    assert meter.idx is not None and meter.idx.numel() == 100
    exact = exact_top_eigenvalue(p, meter.idx)
    assert meter.measure() == pytest.approx(exact, rel=1e-4)
    # and on the 2-D Hessian the problem builds itself (closed-form path of the regressions)
    assert exact == pytest.approx(float(torch.linalg.eigvalsh(p.hessian(meter.idx))[-1]), rel=1e-10)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_tiny_network_lambda_max_is_the_exact_hessians_along_a_run(activation):
    spec = make_spec("mlp_regression", "gd", steps=60, lr=0.5,
                     objective_options={"n_samples": 40, "hidden": 6, "activation": activation, "noise": 0.1})
    runner = Runner(spec)
    meter = SharpnessMeter(runner.problem, subset=25, seed=0, tol=1e-8)
    for _ in range(3):  # at the start and twice along the run, warm-started
        exact = exact_top_eigenvalue(runner.problem, meter.idx)
        assert meter.measure() == pytest.approx(exact, rel=1e-4)
        runner.advance(20)


def test_fashion_lambda_max_against_power_iteration_with_torchs_hvp(tmp_path):
    from sgd_tui.core.objectives.data import write_fashion_like

    root = write_fashion_like(tmp_path, n_train=200, n_test=10, seed=0)
    opts, _ = validate_options("fashion_mnist", {"data_dir": str(root), "model": "logistic"})
    p = build_problem("fashion_mnist", opts, seed=0)
    meter = SharpnessMeter(p, subset=64, seed=0, tol=1e-7, max_iter=60)
    lam = meter.measure()
    # independent: power iteration with torch.autograd.functional.hvp (the loss is convex: λmax = |λ|max)
    idx = meter.idx
    params = tuple(q.detach() for q in p.params)
    v = tuple(torch.ones_like(q) for q in params)
    for _ in range(150):
        _, hv = torch.autograd.functional.hvp(lambda *ps: p.training_loss(list(ps), idx), params, v)
        norm = math.sqrt(sum(float((h * h).sum()) for h in hv))
        v = tuple(h / norm for h in hv)
    assert lam == pytest.approx(norm, rel=1e-3)


def test_warm_start_needs_few_products_and_the_subset_is_fixed():
    runner = Runner(make_spec("mlp_regression", "gd", steps=10, lr=0.1))
    meter = SharpnessMeter(runner.problem, subset=30, seed=0, tol=1e-4)
    first = meter.measure()
    cold = meter.products
    again = meter.measure()
    assert again == pytest.approx(first, rel=1e-4) and meter.products <= 2 < cold
    assert torch.equal(meter.idx, fixed_subset(64, 30, 1))
    assert fixed_subset(64, 64, 0) is None and fixed_subset(64, None, 0) is None


# ----------------------------------------------------------------------------- the limits
def test_limits_in_closed_form():
    assert stability_limit("gd", {"lr": 0.1}, 0.1) == pytest.approx(20.0)
    assert stability_limit("sgd", {"momentum": 0.0, "dampening": 0.3}, 0.1) == pytest.approx(20.0)
    assert stability_limit("polyak", {"momentum": 0.9}, 0.1) == pytest.approx(38.0)
    assert stability_limit("sgd", {"momentum": 0.9, "dampening": 0.0}, 0.1) == pytest.approx(38.0)
    assert stability_limit("nesterov", {"momentum": 0.9}, 0.1) == pytest.approx(3.8 / 2.8 / 0.1)
    assert stability_limit("sgd", {"momentum": 0.9, "nesterov": True}, 0.1) == pytest.approx(3.8 / 2.8 / 0.1)
    assert stability_limit("sgd", {"momentum": 0.0, "weight_decay": 1.0}, 0.1) == pytest.approx(19.0)
    assert stability_limit("adam", {"lr": 0.1}, 0.1) is None


@pytest.mark.parametrize("optimizer,hyper", [
    ("gd", {}), ("sgd", {}), ("polyak", {"momentum": 0.7}), ("nesterov", {"momentum": 0.7}),
    ("sgd", {"momentum": 0.7}), ("sgd", {"momentum": 0.7, "dampening": 0.4}),
    ("sgd", {"momentum": 0.7, "nesterov": True}), ("sgd", {"momentum": 0.5, "weight_decay": 0.5}),
])
def test_each_limit_separates_convergence_from_divergence_for_the_optimizer_itself(optimizer, hyper):
    """On the quadratic ½(u² + κv²) (λmax = κ) with α = 0.1: κ 3% under the limit converges, 3% over it
    diverges, running the registry's optimizer in the engine."""
    limit = stability_limit(optimizer, hyper, 0.1)

    def final(kappa):
        spec = make_spec("quadratic", optimizer, steps=3000, lr=0.1, objective_options={"condition": kappa},
                         **hyper)
        spec.budget["max_loss"] = 1e6
        return run_to_end(spec)[1]

    below, above = final(0.97 * limit), final(1.03 * limit)
    assert below.status == "finished" and below.final_loss < 1e-6
    assert above.status == "diverged"


# ----------------------------------------------------------------------------- in the engine
def test_the_engine_measures_between_steps_without_changing_the_run():
    plain = make_spec("mlp_regression", "gd", steps=50, lr=0.3, log_every=1)
    measured = make_spec("mlp_regression", "gd", steps=50, lr=0.3, log_every=1)
    measured.budget.update(sharpness_every=10, sharpness_subset=32)
    a, b, sharp = [], [], []
    run_to_end(plain, lambda r, recs, ev: a.extend(recs))
    runner, _ = run_to_end(measured, lambda r, recs, ev: b.extend(recs),
                           on_sharpness=lambda r, rows: sharp.extend(rows))
    assert [(r.step, r.loss) for r in a] == [(r.step, r.loss) for r in b]
    assert [s.step for s in sharp] == [0, 10, 20, 30, 40, 50]
    assert [s.samples for s in sharp] == [64 * s.step for s in sharp]
    assert all(s.limit == pytest.approx(2 / 0.3) for s in sharp)
    assert all(s.lambda_max > 0 and s.products >= 1 for s in sharp)
    times = [s.time_s for s in sharp]
    assert times == sorted(times) and times[-1] <= runner.elapsed


def test_headless_writes_sharpness_csv(tmp_path):
    from sgd_tui.core.scenario.parse import parse_scenario
    from sgd_tui.replay.run import replay

    s = parse_scenario("""schema = 1
[objective]
name = "mlp_regression"
hidden = 8
[budget]
steps = 30
sharpness_every = 15
sharpness_subset = 20
[optimizer]
name = "gd"
lr = 0.2
[[runs]]
label = "GD"
[[runs]]
label = "Polyak"
name = "polyak"
momentum = 0.5
[[runs]]
label = "Adam"
name = "adam"
""")
    assert replay(s, tmp_path, progress=None) == 0
    rows = list(csv.DictReader(open(tmp_path / "sharpness.csv")))
    assert list(rows[0]) == ["run", "step", "samples", "lambda_max", "limit", "preconditioned"]
    assert [(r["run"], r["step"]) for r in rows] == [(k, s) for k in ("GD", "Polyak", "Adam") for s in ("0", "15", "30")]
    limits = {r["run"]: r["limit"] for r in rows}
    assert float(limits["GD"]) == pytest.approx(10.0) and float(limits["Polyak"]) == pytest.approx(15.0)
    adam_lr = s.runs[2].hyper["lr"]
    assert float(limits["Adam"]) == pytest.approx(3.8 / 0.1 / adam_lr)  # on P⁻¹H: (2 + 2β1)/((1 − β1)α)
    assert all(float(r["lambda_max"]) > 0 for r in rows)
    pre = [r["preconditioned"] for r in rows]
    assert pre[:6] == [""] * 6 and pre[6] == "" and all(float(v) > 0 for v in pre[7:])  # Adam after its 1st step
    summary = json.load(open(tmp_path / "summary.json"))
    by = {r["label"]: r for r in summary["runs"]}
    assert by["GD"]["limit"] == pytest.approx(10.0) and by["GD"]["measured"] == "lambda_max"
    assert by["GD"]["tail_ratio"] == pytest.approx(float(rows[2]["lambda_max"]) / 10.0)  # step 30 ≥ 20
    assert by["Adam"]["measured"] == "preconditioned"
    assert by["Adam"]["tail_ratio"] == pytest.approx(float(pre[8]) / float(limits["Adam"]))


def test_sharpness_keys_are_validated_with_file_and_line():
    from sgd_tui.core.errors import ScenarioError
    from sgd_tui.core.scenario.parse import parse_scenario

    with pytest.raises(ScenarioError) as e:
        parse_scenario('schema = 1\n[objective]\nname = "mlp_regression"\n[budget]\nsteps = 3\n'
                       'sharpness_every = 0\nsharpness_subset = 20000\n[optimizer]\nname = "gd"\n', "x.toml")
    text = str(e.value)
    assert "x.toml:6: budget.sharpness_every" in text and "x.toml:7: budget.sharpness_subset" in text
