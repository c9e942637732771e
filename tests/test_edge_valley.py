"""The edge valley f = ½(1 + y)x² − c·y: its floor on |x|, λmax measured exactly on 2-D surfaces with the
same columns, and the ``edge-valley`` scenario's numbers (GD, heavy ball and Adam at their own limits)."""

from __future__ import annotations

import csv
import json
import math
import statistics
from collections import defaultdict

import pytest
from core_helpers import make_spec, run_to_end

from sgd_tui.core.objectives.surfaces import make_surface
from sgd_tui.core.scenario.parse import load_scenario
from sgd_tui.replay.run import replay

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def measured(optimizer, steps, every=20, options=None, **hyper):
    spec = make_spec("edge_valley", optimizer, steps=steps, objective_options={"c": 0.01, **(options or {})},
                     **hyper)
    spec.budget.update(sharpness_every=every)
    rows, recs = [], []
    runner, result = run_to_end(spec, lambda r, rs, ev: recs.extend(rs), on_sharpness=lambda r, rs: rows.extend(rs))
    return rows, recs, result


def tail(rows, steps, key=lambda r: r.measured):
    return statistics.median(key(r) for r in rows if r.step >= 2 * steps / 3)


def test_the_surface_formula_and_its_exact_hessian():
    s = make_surface("edge_valley", c=0.01)
    assert s.value(0.3, 2.0) == pytest.approx(0.5 * 3.0 * 0.09 - 0.02)
    assert s.grad(0.3, 2.0) == pytest.approx((0.9, 0.045 - 0.01))
    assert s.hess(0.3, 2.0) == ((3.0, 0.3), (0.3, 0.0))
    assert s.minima == [] and s.min_value == -math.inf
    assert s.project(0.0, 1.0) == (1e-6, 1.0) and s.project(-1e-9, 2.0) == (-1e-6, 2.0)
    assert s.project(0.5, 2.0) == (0.5, 2.0) and make_surface("edge_valley", x_floor=0.0).project is None


def test_gd_stops_at_two_over_alpha_and_holds_e_x2_at_2c():
    steps = 3000
    rows, recs, result = measured("gd", steps, lr=0.5)
    assert result.status == "finished"
    assert all(r.preconditioned is None and r.limit == pytest.approx(4.0) for r in rows)
    # λmax is the exact 2x2 Hessian's top eigenvalue at the logged point
    last = recs[-1]
    lam = 0.5 * (1 + last.y) + math.hypot(0.5 * (1 + last.y), last.x)
    assert rows[-1].lambda_max == pytest.approx(lam, rel=1e-12) and rows[-1].products == 0
    assert 0.95 * 4.0 < tail(rows, steps) < 1.02 * 4.0  # measured 3.91 over the scenario's 30,000 steps
    ex2 = statistics.mean(r.x * r.x for r in recs if r.step >= 2 * steps / 3)
    assert ex2 == pytest.approx(0.02, rel=0.1)  # ½E[x²] = c keeps y still


def test_without_the_floor_x_underflows_to_zero_and_the_sharpness_runs_away():
    steps = 6000
    rows, recs, _ = measured("gd", steps, options={"x_floor": 0.0}, lr=0.5)
    assert recs[-1].x == 0.0  # underflowed below the edge: x = 0 is a fixed point of the update
    assert rows[-1].lambda_max > 5 * 4.0  # far past 2/α (30.6: 1 + y with y = α·c·t), and still climbing
    assert rows[-1].lambda_max > rows[-50].lambda_max + 1.0
    rows_f, recs_f, _ = measured("gd", steps, lr=0.5)
    assert recs_f[-1].x != 0.0 and rows_f[-1].lambda_max < 1.2 * 4.0


@pytest.mark.slow
def test_edge_valley_scenario_every_run_at_its_own_limit(tmp_path):
    s = load_scenario("edge-valley")
    assert replay(s, tmp_path, progress=None) == 0
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    by = {r["label"]: r for r in summary["runs"]}
    gd5, gd2, hb, adam1, adam3 = (r.label for r in s.runs)
    assert all(r["status"] == "finished" for r in summary["runs"])
    # limits: 2/α, 2(1+β)/α, (2+2β1)/((1−β1)α)
    for label, limit, measured_kind in ((gd5, 4.0, "lambda_max"), (gd2, 10.0, "lambda_max"), (hb, 30.0, "lambda_max"),
                                        (adam1, 3800.0, "preconditioned"), (adam3, 38 / 0.003, "preconditioned")):
        assert by[label]["limit"] == pytest.approx(limit) and by[label]["measured"] == measured_kind
    # the medians over the last third (measured 3.91, 9.97, 29.9, 3673, 12309)
    assert 0.95 < by[gd5]["tail_ratio"] < 1.01
    assert 0.98 < by[gd2]["tail_ratio"] < 1.01
    assert 0.98 < by[hb]["tail_ratio"] < 1.01
    assert 0.93 < by[adam1]["tail_ratio"] < 1.0
    assert 0.93 < by[adam3]["tail_ratio"] < 1.0
    raw = defaultdict(list)
    with open(tmp_path / "sharpness.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            raw[r["run"]].append(float(r["lambda_max"]))
    assert max(raw[adam1]) > 200.0  # Adam's raw λmax goes past GD's 2/α (measured 270)
    xs = defaultdict(list)
    with open(tmp_path / "metrics.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if int(r["step"]) >= 20000:
                xs[r["run"]].append(float(r["x"]) ** 2)
    assert statistics.mean(xs[gd5]) == pytest.approx(0.02, rel=0.03)  # measured 0.02017 against 2c = 0.02
    # the central flow: predicted edge steps 659 and 4646, ȳ = 2/α − 1, E[x²] = 2c, loss c
    for label, lr, edge in ((gd5, 0.5, 659), (gd2, 0.2, 4646)):
        flow = by[label]["central_flow"]
        assert flow["edge_step"] == edge and flow["y"] == pytest.approx(2 / lr - 1) and flow["loss"] == 0.01
        assert flow["measured"]["y"] == pytest.approx(flow["y"], rel=0.05)
        assert flow["measured"]["e_x2"] == pytest.approx(0.02, rel=0.05)
    assert "central_flow" not in by[hb] and "central_flow" not in by[adam1]
