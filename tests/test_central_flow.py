"""GD's central flow on the edge valley: the gradient flow below the edge (a conserved quantity), the
edge in closed form (ȳ = 2/α − 1, σ² = 2c, loss c), and GD's own time averages against it."""

from __future__ import annotations

import json
import statistics

import pytest
from core_helpers import make_spec, run_to_end

from sgd_tui.core.objectives.surfaces import make_surface
from sgd_tui.core.theory.central_flow import edge_valley_central_flow

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_below_the_edge_it_is_the_gradient_flow():
    """With c = 0 the gradient flow keeps (1 + y)² − ½x² constant (d/dt: −(1+y)x² + (1+y)x² = 0)."""
    flow = edge_valley_central_flow(0.0, (1.5, 0.3), 0.1, 400)
    assert flow.edge_step is None and flow.steps == list(range(401))
    invariant = [(1 + y) ** 2 - 0.5 * x * x for x, y in zip(flow.x, flow.y)]
    assert max(invariant) - min(invariant) < 1e-9 and invariant[0] == pytest.approx(1.3**2 - 0.5 * 1.5**2)
    assert abs(flow.x[-1]) < 1e-3 and flow.variance == [0.0] * 401
    assert flow.loss[-1] == pytest.approx(0.5 * (1 + flow.y[-1]) * flow.x[-1] ** 2)


@pytest.mark.parametrize("lr", [0.5, 0.2])
def test_at_the_edge_in_closed_form(lr):
    c = 0.01
    flow = edge_valley_central_flow(c, (1.0, 0.0), lr, 8000)
    k = flow.edge_step
    assert k is not None
    assert flow.y[k] == flow.edge_y == pytest.approx(2 / lr - 1) and flow.x[k] == 0.0
    assert flow.variance[k] == flow.edge_variance == pytest.approx(2 * c)
    # the predicted time-averaged loss f(w̄) + ½·S·σ²
    assert flow.loss[k] == flow.edge_loss == pytest.approx(-c * (2 / lr - 1) + 0.5 * (2 / lr) * 2 * c) == c
    x, y = flow.x[k - 1], flow.y[k - 1]  # one step before: below the edge
    assert 0.5 * (1 + y) + ((0.5 * (1 + y)) ** 2 + x * x) ** 0.5 < 2 / lr
    assert all(v == flow.edge_y for v in flow.y[k:])
    assert make_surface("edge_valley", c=c).central_flow((1.0, 0.0), lr, 8000).edge_step == k


def test_gd_oscillates_around_the_central_flow_with_e_x2_at_2c():
    steps, lr, c = 10000, 0.5, 0.01
    spec = make_spec("edge_valley", "gd", steps=steps, lr=lr, objective_options={"c": c})
    recs = []
    run_to_end(spec, lambda r, rs, ev: recs.extend(rs))
    flow = edge_valley_central_flow(c, (1.0, 0.0), lr, steps)
    tail = [r for r in recs if r.step >= 2 * steps / 3]
    ex2 = statistics.mean(r.x * r.x for r in tail)
    assert ex2 == pytest.approx(flow.edge_variance, rel=0.1), ex2  # 0.0202 over 30,000 steps (edge-valley)
    assert statistics.mean(r.y for r in tail) == pytest.approx(flow.edge_y, rel=0.05)
    # GD reaches the edge (1 + y within 5% of 2/α) within 10% of the flow's edge step
    first = next(r.step for r in recs if 1 + r.y >= 0.95 * 2 / lr)
    assert abs(first - flow.edge_step) < 0.1 * flow.edge_step


def test_the_replay_summary_compares_gd_with_its_central_flow(tmp_path):
    from core_helpers import parse

    from sgd_tui.replay.run import replay

    s = parse("""\
        schema = 1
        [objective]
        name = "edge_valley"
        c = 0.01
        [budget]
        steps = 3000
        [optimizer]
        name = "gd"
        lr = 0.5
        [[runs]]
        label = "GD"
        [[runs]]
        label = "Adam"
        name = "adam"
        lr = 0.01
        """)
    assert replay(s, tmp_path, progress=None) == 0
    runs = {r["label"]: r for r in json.loads((tmp_path / "summary.json").read_text())["runs"]}
    flow = runs["GD"]["central_flow"]
    assert flow["y"] == pytest.approx(3.0) and flow["e_x2"] == pytest.approx(0.02) and flow["loss"] == 0.01
    assert flow["measured"]["e_x2"] == pytest.approx(0.02, rel=0.1)
    assert "central_flow" not in runs["Adam"]
