"""The modified loss GD descends: the Dormand-Prince flows against closed forms on a quadratic, the one-step
error orders (α² against the flow of f, α³ against the flow of f̃) on every smooth surface, GD's distance to
each flow after many steps, and summary.json's modified_flow."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from sgd_tui.core.objectives.surfaces import make_surface
from sgd_tui.core.theory.modified_flow import (
    dopri_path,
    flow_rhs,
    modified_flow_summary,
    modified_rhs,
    one_step_errors,
    three_paths,
)


def expm_sym(A: np.ndarray, t: float) -> np.ndarray:
    w, V = np.linalg.eigh(A)
    return V @ np.diag(np.exp(w * t)) @ V.T


def test_flows_on_a_quadratic_are_the_matrix_exponentials():
    s = make_surface("quadratic", condition=10.0, angle=30.0)
    H = np.array(s.hess(0.0, 0.0), dtype=float)
    start, lr = np.array((-4.0, 3.0)), 0.05
    times = [0.1, 0.5, 2.0]
    flow = dopri_path(flow_rhs(s.grad), tuple(start), times)
    mod = dopri_path(modified_rhs(s.grad, s.hess, lr), tuple(start), times)
    for t, p, q in zip(times, flow, mod):
        np.testing.assert_allclose(p, expm_sym(-H, t) @ start, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(q, expm_sym(-(H + 0.5 * lr * H @ H), t) @ start, rtol=1e-8, atol=1e-10)
    gd, _, _ = three_paths(s.grad, s.hess, tuple(start), lr, 7)
    np.testing.assert_allclose(gd[-1], np.linalg.matrix_power(np.eye(2) - lr * H, 7) @ start, rtol=1e-12)


@pytest.mark.parametrize("name, start", [("quadratic", None), ("booth", None), ("saddle", None), ("himmelblau", None),
                                         ("six_hump_camel", None), ("beale", (1.0, 1.0)), ("rosenbrock", (0.0, 0.5)),
                                         ("rastrigin", (0.3, -0.2))])
def test_one_step_error_orders(name, start):
    s = make_surface(name)
    scale = 0.25 if name == "rastrigin" else 1.0  # curvature ≈ 400 there: α λ small needs a smaller α
    errs = one_step_errors(s.grad, s.hess, start or s.start, [scale * a for a in (2e-3, 1e-3, 5e-4, 2.5e-4)])
    slope = [math.log(errs[0][i] / errs[-1][i]) / math.log(errs[0][0] / errs[-1][0]) for i in (1, 2)]
    assert slope[0] == pytest.approx(2.0, abs=0.1)  # GD vs the flow of f: O(α²) a step
    assert slope[1] == pytest.approx(3.0, abs=0.15)  # GD vs the flow of f̃: O(α³) a step


def test_after_many_steps_gd_is_much_closer_to_the_modified_flow():
    s = make_surface("booth")
    m = modified_flow_summary(s.grad, s.hess, s.start, 0.02, 200)
    assert m["time"] == pytest.approx(4.0)
    assert m["to_flow"] / m["to_modified"] > 30


def test_headless_summary_has_modified_flow_per_2d_gd_run(tmp_path):
    from sgd_tui.core.scenario.parse import parse_scenario
    from sgd_tui.replay.run import replay

    s = parse_scenario("""schema = 1
[objective]
name = "booth"
[budget]
steps = 200
[optimizer]
name = "gd"
lr = 0.02
[[runs]]
label = "GD"
[[runs]]
label = "Adam"
name = "adam"
lr = 0.02
""")
    assert replay(s, tmp_path, progress=None) == 0
    runs = json.load(open(tmp_path / "summary.json"))["runs"]
    gd = runs[0]["modified_flow"]
    assert gd["gd_is_the_run"] and gd["resolved"] and "modified_flow" not in runs[1]  # GD's theory: GD runs
    np.testing.assert_allclose(gd["gd_final"], runs[0]["final_params"], rtol=1e-12)  # the run is the GD path
    assert gd["to_flow"] > 30 * gd["to_modified"]


def test_a_flow_the_solver_cannot_resolve_in_time_is_null_not_a_hang():
    """L1's kink collapses the adaptive step: the flow gives up after its time budget, marked unresolved."""
    import time

    from sgd_tui.core.theory.modified_flow import modified_flow_summary

    def grad(x, y):  # f = |x| + y²/2: a kink on x = 0
        return (1.0 if x > 0 else -1.0 if x < 0 else 0.0), y

    def hess(x, y):
        return ((0.0, 0.0), (0.0, 1.0))

    t0 = time.perf_counter()
    out = modified_flow_summary(grad, hess, (0.3, 1.0), 0.1, 300, seconds=0.5)
    assert time.perf_counter() - t0 < 5.0
    assert out["resolved"] is False and math.isnan(out["to_flow"])
