"""The catapult on f(u, v) = ½(uv − 1)²: the regimes of η·λ0 (lazy, catapult, divergence), the warm-up
schedule that avoids the throw, the floor on |uv − 1|, and the scenario's numbers."""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict

import pytest
from core_helpers import make_spec, run_to_end

from sgd_tui.core.objectives.surfaces import make_surface
from sgd_tui.core.scenario.parse import load_scenario
from sgd_tui.replay.run import replay

pytestmark = pytest.mark.usefixtures("one_torch_thread")

START = (2.5, 0.1)


def lam0() -> float:
    """The top eigenvalue of [[v², 2uv − 1], [2uv − 1, u²]] at the start, in closed form."""
    u, v = START
    a, b, d = v * v, 2 * u * v - 1, u * u
    return 0.5 * (a + d) + math.hypot(0.5 * (a - d), b)


def run(k, steps=400, options=None, **settings):
    lr = k / lam0()
    spec = make_spec("catapult", "gd", steps=steps, lr=lr, objective_options={"start": list(START), **(options or {})},
                     **settings)
    spec.budget.update(sharpness_every=1, max_loss=1e6)
    recs, rows = [], []
    _, result = run_to_end(spec, lambda r, rs, ev: recs.extend(rs), on_sharpness=lambda r, rs: rows.extend(rs))
    spike = max(r.loss for r in recs[1:]) / recs[0].loss
    return result, spike, recs[-1].lr * rows[-1].lambda_max, recs, rows


def test_the_surface_and_its_floor():
    s = make_surface("catapult")
    assert s.value(2.0, 1.0) == 0.5 and s.grad(2.0, 1.0) == (1.0, 2.0)
    assert s.hess(2.0, 1.0) == ((1.0, 3.0), (3.0, 4.0))
    u, v = s.project(1.0, 1.0)  # exactly on the hyperbola: moved to |uv − 1| = 1e-4 along ∇(uv)
    assert u * v - 1.0 == pytest.approx(1e-4, rel=1e-3) and u == pytest.approx(v)  # a first-order move
    assert s.project(2.5, 0.1) == (2.5, 0.1) and make_surface("catapult", r_floor=0.0).project is None


@pytest.mark.parametrize("k,regime", [(1.5, "lazy"), (2.5, "catapult"), (3.5, "catapult"), (3.9, "diverges")])
def test_the_regimes_of_eta_lambda0(k, regime):
    result, spike, eta_lam, _, rows = run(k)
    assert rows[0].lambda_max == pytest.approx(lam0(), rel=1e-12)
    if regime == "lazy":  # measured: no spike, ηλ 1.50 at the end
        assert result.status == "finished" and spike <= 1.0 and eta_lam == pytest.approx(k, abs=0.05)
    elif regime == "catapult":  # measured: spikes ×4.8 and ×16.7, ηλ 1.09 and 1.12 at the end
        assert result.status == "finished" and spike > 3.0 and eta_lam < 2.0
    else:
        assert result.status == "diverged"


def test_a_linear_warm_up_reaches_the_same_step_without_the_throw():
    result, spike, eta_lam, recs, _ = run(3.5, steps=3000, schedule="warmup", warmup_steps=1000)
    eta = 3.5 / lam0()
    # the schedule: α_t = α·min(1, (t + 1)/W) for the step from t to t + 1 (the lr column of step t + 1)
    for r in recs[1:]:
        assert r.lr == pytest.approx(eta * min(1.0, r.step / 1000), rel=1e-12)
    assert result.status == "finished" and spike <= 1.0 and eta_lam < 2.0  # measured 0.99x, ηλ 1.85


def test_without_the_floor_gd_sits_on_an_unstable_minimum():
    """With r_floor = 0 the warm-up run converges to r = uv − 1 = 0 exactly while η is small, and stays
    there once η·λ > 2: nothing is left to grow."""
    _, _, eta_lam, recs, _ = run(3.5, steps=3000, options={"r_floor": 0.0}, schedule="warmup", warmup_steps=100)
    assert eta_lam > 3.0 and recs[-1].loss == 0.0


@pytest.mark.slow
def test_catapult_scenario(tmp_path):
    s = load_scenario("catapult")
    assert replay(s, tmp_path, progress=None) == 0
    runs = {r["label"]: r for r in json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["runs"]}
    lazy, c25, c35, div, warm = (r.label for r in s.runs)
    assert runs[div]["status"] == "diverged" and all(runs[k]["status"] == "finished" for k in (lazy, c25, c35, warm))
    losses, lrs = defaultdict(list), defaultdict(list)
    with open(tmp_path / "metrics.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            losses[r["run"]].append(float(r["loss"]))
            lrs[r["run"]].append(float(r["lr"]))
    lam = defaultdict(list)
    with open(tmp_path / "sharpness.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            lam[r["run"]].append(float(r["lambda_max"]))
    spike = {k: max(v[1:]) / v[0] for k, v in losses.items()}
    end = {k: lrs[k][-1] * lam[k][-1] for k in lam}
    assert spike[lazy] < 1 and end[lazy] == pytest.approx(1.50, abs=0.02)
    assert spike[c25] == pytest.approx(4.8, rel=0.05) and end[c25] == pytest.approx(1.09, abs=0.02)
    assert spike[c35] == pytest.approx(16.7, rel=0.05) and end[c35] == pytest.approx(1.12, abs=0.02)
    assert spike[warm] < 1 and end[warm] < 2
