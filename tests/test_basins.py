"""Basin maps: the grid runs through the runs' own optimizer classes (each start's final point equals a
single Runner run from that start), batched Newton equals the per-point solve, the minima, the steps."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from core_helpers import make_spec, run_to_end, trajectory

from sgd_tui.core.maps.basins import STATUSES, basin_map, has_several_minima, surface_minima
from sgd_tui.core.objectives.surfaces import make_surface
from sgd_tui.core.optim.lecture import newton_direction_2x2, newton_directions_2x2
from sgd_tui.core.optim.registry import validate_hyperparameters

CASES = [
    ("gd", {"lr": 0.01}),
    ("polyak", {"lr": 0.01, "momentum": 0.5}),
    ("nesterov", {"lr": 0.01, "momentum": 0.5}),
    ("sgd", {"lr": 0.01, "momentum": 0.5, "nesterov": True}),
    ("adam", {"lr": 0.05}),
    ("rmsprop", {"lr": 0.01}),
    ("newton", {"lr": 0.5}),
]


@pytest.mark.parametrize("optimizer,hyper", CASES)
def test_each_start_follows_the_path_of_a_single_run(optimizer, hyper):
    h, errors = validate_hyperparameters(optimizer, hyper)
    assert not errors
    b = basin_map("himmelblau", {}, optimizer, h, resolution=8, steps=60)
    X0, Y0 = np.meshgrid(b.xs, b.ys)
    for k in (0, 9, 27, 36, 63):
        start = [float(X0.ravel()[k]), float(Y0.ravel()[k])]
        spec = make_spec("himmelblau", optimizer, steps=60, start=start, **hyper)
        _, result = run_to_end(spec)
        if result.status == "diverged":
            assert STATUSES[b.status[k]] == "diverged"
            continue
        assert b.final[k] == pytest.approx(result.final_params, rel=1e-12, abs=1e-12), (optimizer, start)


@pytest.mark.parametrize("rule", ["none", "abs", "clip"])
def test_batched_newton_equals_the_per_point_solve(rule):
    g = torch.Generator().manual_seed(0)
    H = torch.randn(400, 2, 2, generator=g, dtype=torch.float64)
    H = H + H.transpose(1, 2)
    H[:20] = torch.tensor([[2.0, 0.0], [0.0, 0.0]], dtype=torch.float64)  # singular: the pinv fallback
    H[20:40] = torch.eye(2, dtype=torch.float64) * 3.0  # a double eigenvalue
    grad = torch.randn(400, 2, generator=g, dtype=torch.float64)
    out = newton_directions_2x2(H, grad, rule, 1e-3)
    for i in range(400):
        want = newton_direction_2x2(H[i].tolist(), grad[i].tolist(), rule, 1e-3)
        assert out[i].tolist() == pytest.approx(want, rel=1e-9, abs=1e-12), i


def test_minima_found_include_the_registered_ones():
    counts = {"himmelblau": 4, "six_hump_camel": 6, "saddle": 2, "rosenbrock": 1, "beale": 1, "booth": 1}
    for name, count in counts.items():
        mins = surface_minima(name)
        assert len(mins) == count, (name, [m.label for m in mins])
        s = make_surface(name)
        for mx, my in s.minima:
            assert min(math.hypot(m.x - mx, m.y - my) for m in mins) < 1e-5
        assert all(m.is_global == (abs(m.value - s.min_value) < 1e-6) for m in mins)
    assert len(surface_minima("rastrigin")) > 100  # a local minimum near every integer point
    assert has_several_minima("himmelblau") and not has_several_minima("rosenbrock")
    assert not has_several_minima("linear_regression")


def test_steps_status_and_shares():
    h, _ = validate_hyperparameters("gd", {"lr": 0.01})
    b = basin_map("himmelblau", {}, "gd", h, resolution=16, steps=300)
    assert set(STATUSES[s] for s in b.status) == {"converged"}
    shares = b.shares()
    assert sum(shares.values()) == pytest.approx(1.0)
    assert b.grid().shape == (16, 16)
    X0, Y0 = np.meshgrid(b.xs, b.ys)
    for k in (5, 100, 200):
        path = trajectory(make_spec("himmelblau", "gd", steps=300, start=[X0.ravel()[k], Y0.ravel()[k]], lr=0.01))
        m = b.minima[b.minimum[k]]
        far = [t for t, (x, y) in enumerate(path) if math.hypot(x - m.x, y - m.y) > b.tolerance]
        assert b.steps[k] == (far[-1] + 1 if far else 0)
    assert (b.codes_at(b.xs, b.ys) == b.grid()).all()  # sampled at the starts themselves: the grid
    assert (b.codes_at(b.xs[::-1], b.ys[::-1]) == b.grid()[::-1, ::-1]).all()
    (x0, x1), (y0, y1) = b.bounds
    assert (x0, x1, y0, y1) == pytest.approx((-5.0, 5.0, -5.0, 5.0))
    rows = list(b.rows())
    assert len(rows) == 256 and rows[0][:2] == (b.xs[0], b.ys[0]) and rows[0][5] == "converged"


def test_diverged_starts_and_their_step():
    h, _ = validate_hyperparameters("gd", {"lr": 0.05})
    b = basin_map("himmelblau", {}, "gd", h, resolution=8, steps=200)
    assert (b.status == 1).any()
    X0, Y0 = np.meshgrid(b.xs, b.ys)
    for k in np.nonzero(b.status == 1)[0][:3]:
        _, result = run_to_end(make_spec("himmelblau", "gd", steps=200, start=[X0.ravel()[k], Y0.ravel()[k]],
                                         lr=0.05))
        assert result.status == "diverged" and b.steps[k] == result.diverged_step


def test_cancel_returns_none():
    h, _ = validate_hyperparameters("gd", {"lr": 0.001})
    assert basin_map("himmelblau", {}, "gd", h, resolution=8, steps=500, cancelled=lambda: True) is None
