"""Behaviours pinned with numbers worked out by hand (issue 25), not read back from the code under test.

Each test here states a value a person can check on paper: the basin map's "converged" tolerance (1% of
the view's span), its nearest-start lookup between grid points, the seed bands of a sweep whose seeds end
at different steps, the fused FashionMNIST step with ``maximize`` against torch.optim, a budget cut below
a recorded mid-run change, and a few defaults and edge cases found along the way.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sgd_tui.core.maps.basins import STATUSES, BasinMap, Minimum, basin_map
from sgd_tui.core.optim.registry import validate_hyperparameters
from sgd_tui.core.run.records import Record


# ----------------------------------------------------------------------------------- basins: tolerance
def test_basin_tolerance_is_one_percent_of_the_view_so_a_start_0_2_away_is_not_converged():
    """Himmelblau's view is [-5, 5]²: span 10, so a start counts as converged within 0.1 of a minimum (the
    minima are ≥ 3.89 apart, so the 0.3 × nearest-pair cap, 1.17, does not bind). With lr = 0 every start
    stays where it began, so the distances are those of the grid itself: at resolution 80 the cell
    centres are -5 + (i + ½)·0.125, and near the minimum (3, 2) lie
      (3.0625, 2.0625): √2 · 0.0625 = 0.0884 from it  -> converged, after 0 steps;
      (3.0625, 2.1875): √(0.0625² + 0.1875²) = 0.1976 -> not converged (it would be with a looser tolerance);
      (3.1875, 2.1875): √2 · 0.1875 = 0.2652          -> not converged."""
    hyper, errors = validate_hyperparameters("gd", {"lr": 0.0})
    assert not errors
    b = basin_map("himmelblau", {}, "gd", hyper, resolution=80, steps=25)
    col = {x: i for i, x in enumerate(np.round(b.xs, 6))}
    row = {y: i for i, y in enumerate(np.round(b.ys, 6))}
    at = lambda x, y: row[y] * 80 + col[x]  # noqa: E731 - row-major, y ascending
    target = next(i for i, m in enumerate(b.minima) if m.label == "(3, 2)")

    k = at(3.0625, 2.0625)
    assert STATUSES[b.status[k]] == "converged" and b.minimum[k] == target and b.steps[k] == 0
    for x, y in ((3.0625, 2.1875), (2.9375, 1.8125), (3.1875, 2.1875)):
        k = at(x, y)
        assert STATUSES[b.status[k]] == "not converged", (x, y)
        assert b.minimum[k] == -1 and b.steps[k] == 25
    for x, y in ((2.9375, 1.9375), (2.9375, 2.0625), (3.0625, 1.9375)):  # the other centres 0.0884 away
        assert STATUSES[b.status[at(x, y)]] == "converged" and b.minimum[at(x, y)] == target
    assert b.tolerance == pytest.approx(0.1)  # what the map reports is the rule above


def test_basin_tolerance_given_explicitly_is_the_one_used():
    hyper, _ = validate_hyperparameters("gd", {"lr": 0.0})
    b = basin_map("himmelblau", {}, "gd", hyper, resolution=80, steps=1, tolerance=0.05)
    k = 56 * 80 + 64  # x = -5 + 64.5 · 0.125 = 3.0625, y = -5 + 56.5 · 0.125 = 2.0625
    assert (b.xs[64], b.ys[56]) == pytest.approx((3.0625, 2.0625))
    assert STATUSES[b.status[k]] == "not converged"  # 0.0884 > 0.05


# ----------------------------------------------------------------------------------- basins: lookup
def _hand_map() -> BasinMap:
    """A 3 × 3 map with starts at x ∈ {0, 1, 2}, y ∈ {10, 20, 30} and a distinct code per start:
    minimum index 0..3 for the converged ones, -1 diverged, -2 not converged."""
    status = np.array([0, 0, 1,
                       0, 2, 0,
                       1, 0, 2])
    minimum = np.array([0, 1, -1,
                        2, -1, 3,
                        -1, 0, -1])
    mins = tuple(Minimum(float(i), 0.0, 0.0, i == 0) for i in range(4))
    return BasinMap("himmelblau", "gd", {}, np.array([0.0, 1.0, 2.0]), np.array([10.0, 20.0, 30.0]),
                    np.zeros((9, 2)), minimum, status, np.zeros(9, dtype=int), mins, 10, 0.1)


def test_codes_at_takes_the_nearest_start_not_the_one_below():
    b = _hand_map()
    expected = [[0, 1, -1],
                [2, -2, 3],
                [-1, 0, -2]]
    assert b.grid().tolist() == expected
    # 0.7 of the way from x = 0 to x = 1 is nearer to x = 1; 0.8 of the way from y = 10 to 20 is nearer 20
    assert b.codes_at([0.7], [10.0]).tolist() == [[1]]
    assert b.codes_at([0.3], [10.0]).tolist() == [[0]]
    assert b.codes_at([1.0], [18.0]).tolist() == [[-2]]
    assert b.codes_at([1.0], [12.0]).tolist() == [[1]]
    # rows follow ys as given: y 27 -> the start at 30 (top row of the grid), y 14 -> the one at 10
    assert b.codes_at([1.6, 0.4], [27.0, 14.0]).tolist() == [[-2, -1], [-1, 0]]
    # beyond the last start the nearest is the edge one
    assert b.codes_at([-3.0, 9.0], [0.0, 99.0]).tolist() == [[0, -1], [-1, -2]]


# ----------------------------------------------------------------------------------- sweep bands
SWEEP = """\
schema = 1
title = "grid"
seed = 5
[objective]
name = "linear_regression"
n_samples = 64
[budget]
steps = 20
[optimizer]
name = "sgd"
lr = 0.01
[[runs]]
[[runs]]
label = "heavy ball"
momentum = 0.9
[sweep]
lr = [0.1]
seeds = 3
"""


def sweep_of_three_seeds():
    from sgd_tui.core.scenario.parse import parse_scenario

    return parse_scenario(SWEEP, "grid.toml")


def _rec(step: int, loss: float) -> Record:
    return Record(step, 1, 8 * step, 0.0, loss, 0.1, None)


def test_bands_keep_counting_a_seed_that_converged_before_the_last_step():
    """Three seeds of one configuration: A and C log steps 1-4, B converges after step 2 (losses 5.0, 0.5)
    and keeps counting with its last loss 0.5. By hand (numpy-style linear interpolation):
      step 3: {2.0, 5.0, 0.5} -> sorted 0.5, 2.0, 5.0: median 2.0, p10 0.5 + 0.2·1.5 = 0.8, p90 2.0 + 0.8·3.0 = 4.4
      step 4: {1.0, 4.5, 0.5} -> sorted 0.5, 1.0, 4.5: median 1.0, p10 0.6, p90 1.0 + 0.8·3.5 = 3.8."""
    s = sweep_of_three_seeds()
    a, b, c = [t.index for t in s.sweep.trials if t.run == "sgd"]
    series = {a: [_rec(1, 4.0), _rec(2, 3.0), _rec(3, 2.0), _rec(4, 1.0)],
              b: [_rec(1, 5.0), _rec(2, 0.5)],
              c: [_rec(1, 8.0), _rec(2, 6.0), _rec(3, 5.0), _rec(4, 4.5)]}
    statuses = {a: "finished", b: "converged", c: "finished"}
    from sgd_tui.core.sweep.stats import bands

    rows = {r.step: r for r in bands(s.sweep, series, statuses) if r.config == "sgd lr=0.1"}
    assert sorted(rows) == [1, 2, 3, 4]
    assert [rows[k].n for k in (1, 2, 3, 4)] == [3, 3, 3, 3]
    assert rows[2].median == 3.0
    assert (rows[3].median, rows[3].p10, rows[3].p90) == pytest.approx((2.0, 0.8, 4.4))
    assert (rows[4].median, rows[4].p10, rows[4].p90) == pytest.approx((1.0, 0.6, 3.8))
    assert (rows[4].samples, rows[4].epoch) == (32, 1)  # from a seed that logged the step


def test_bands_drop_a_stopped_seed_after_its_last_record_and_count_a_diverged_one_as_inf():
    from sgd_tui.core.sweep.stats import bands

    s = sweep_of_three_seeds()
    a, b, c = [t.index for t in s.sweep.trials if t.run == "sgd"]
    series = {a: [_rec(1, 4.0), _rec(2, 3.0), _rec(3, 2.0)],
              b: [_rec(1, 5.0)],  # stopped (Ctrl+C) after step 1: no value later
              c: [_rec(1, 1.0), _rec(2, 7.0)]}  # diverged after step 2: +inf at step 3
    rows = {r.step: r for r in bands(s.sweep, series, {a: "finished", b: "stopped", c: "diverged"})
            if r.config == "sgd lr=0.1"}
    assert [rows[k].n for k in (1, 2, 3)] == [3, 2, 2]
    assert rows[1].median == 4.0
    assert rows[2].median == pytest.approx(5.0)  # (3 + 7) / 2
    # {2, inf}: every quantile above the lowest interpolates towards inf, so it is inf (as numpy's)
    assert (rows[3].median, rows[3].p10, rows[3].p90) == (math.inf, math.inf, math.inf)
    assert np.percentile([2.0, math.inf], 10) == math.inf


# ----------------------------------------------------------------------------------- fused step: maximize
@pytest.mark.usefixtures("one_torch_thread")
def test_fused_fashion_step_with_maximize_is_torch_optims_step_for_step(fashion_root):
    """The engine's direct fused SGD step (core.fused_step) against torch.optim.SGD's own step on the same
    model, data and batches, with maximize = True (gradient ascent): the same loss at every step and the
    same weights after every chunk; and, as gradient ascent must, the training loss rises."""
    import torch
    from test_private_api_fallbacks import fashion_runner

    from sgd_tui.core.optim.fused_step import DirectSGDStep

    hyper = {"lr": 0.01, "momentum": 0.9, "weight_decay": 1e-3, "maximize": True}
    direct, plain = fashion_runner(fashion_root, hyper, steps=30), fashion_runner(fashion_root, hyper, steps=30)
    assert isinstance(direct._step, DirectSGDStep)
    plain._step = plain.optimizer.step  # torch.optim every step
    while not direct.done:
        a, b = direct.advance(1).records, plain.advance(1).records
        assert [r.loss for r in a] == [r.loss for r in b], direct.step
        assert torch.equal(direct.problem.flat.flat, plain.problem.flat.flat), direct.step
    assert direct.step == 30 and direct._step.direct_steps == 29
    # gradient ascent: with the same model a minimising run ends lower than the maximising one
    descend = fashion_runner(fashion_root, {**hyper, "maximize": False}, steps=30)
    while not descend.done:
        descend.advance(10)
    assert direct.last_loss > descend.last_loss


# ----------------------------------------------------------------------------------- budget cut below a change
@pytest.mark.parametrize("new_steps, kept", [(40, []), (30, []), (41, [40]), (100, [40, 60])])
def test_a_budget_cut_drops_the_changes_it_no_longer_reaches_and_the_saved_file_loads(tmp_path, new_steps, kept):
    """A change at step s applies after s steps, before step s + 1: a budget of s steps never reaches it, so
    the run is the same without it, and a scenario file may not hold it (steps must be below the budget).
    Cutting the budget to 40 must drop the change at 40 (and at 60); 41 keeps the one at 40."""
    from core_helpers import run_to_end

    from sgd_tui.core.scenario.parse import parse_scenario
    from sgd_tui.core.scenario.write import scenario_to_toml
    from sgd_tui.ui.session import Session, Shared

    s = Session(Shared("rosenbrock", {}, {"steps": 100, "log_every": 1}, 0, "cpu"))
    r = s.add(s.make_spec("sgd", {"lr": 1e-4, "momentum": 0.5}, {}, "mine"))
    changes = [(40, {"lr": 2e-4}), (60, {"momentum": 0.9})]
    r.reset(r.spec.with_changes(changes=changes))
    s.set_shared(Shared("rosenbrock", {}, {"steps": new_steps, "log_every": 1}, 0, "cpu"))
    assert [step for step, _ in r.spec.changes] == kept
    path = tmp_path / "cut.toml"
    path.write_text(scenario_to_toml(s.to_scenario()))
    loaded = parse_scenario(path.read_text(), path)  # refused before the fix if a change sat at the budget
    (spec,) = loaded.runs
    assert [step for step, _ in spec.changes] == kept and spec.budget["steps"] == new_steps
    # the saved file replays what the run with its original changes does within the new budget
    original = spec.with_changes(changes=changes)
    (_, a), (_, b) = run_to_end(spec), run_to_end(original)
    assert a.steps == b.steps == new_steps
    assert a.final_params == b.final_params and a.final_loss == b.final_loss


# ----------------------------------------------------------------------------------- rate map marks
def test_rate_map_marks_sit_in_the_nearest_cell():
    """Columns α = 1, 2, 3, 4 and β rows 0, 0.25, 0.5, 0.75 (two per terminal row: the top row holds β 0.5
    and 0.75, the bottom one 0 and 0.25). The run at (2.2, 0.3) is nearest α = 2 (column 1) and β = 0.25
    (bottom row); the optimum at (2.8, 0.7) nearest α = 3 (column 2) and β = 0.75 (top row)."""
    from sgd_tui.core.theory.rate_map import RateMap
    from sgd_tui.plotting.ratemap import CURRENT, OPTIMUM, rate_cells

    rmap = RateMap("heavy_ball", np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.0, 0.25, 0.5, 0.75]),
                   np.full((4, 4), 0.5), (2.2, 0.3), (2.8, 0.7), 0.5)
    for monochrome in (False, True):
        chars = rate_cells(rmap, monochrome=monochrome)[0]
        where = {ch: (r, c) for r, row in enumerate(chars) for c, ch in enumerate(row) if ch in (CURRENT, OPTIMUM)}
        assert where == {CURRENT: (1, 1), OPTIMUM: (0, 2)}
    # beyond the grid: the edge cells
    edge = RateMap("heavy_ball", rmap.alphas, rmap.betas, rmap.rho, (9.0, 0.99), (0.01, 0.0), 0.5)
    chars = rate_cells(edge)[0]
    assert chars[0][3] == CURRENT and chars[1][0] == OPTIMUM


# ----------------------------------------------------------------------------------- engine: converged
def test_gd_on_the_round_quadratic_converges_at_the_step_worked_out_by_hand():
    """f = ½(x² + y²) (condition 1): ∇f = w, and GD with lr ½ halves w each step, from (-4, 3) (|w| = 5).
    A record's ‖∇‖ is the gradient its step used, 5 / 2^(t-1) at step t; the run ends "converged" at the
    first step whose ‖∇‖ is below the tolerance: 1e-3 -> 5/2^13 = 6.1e-4 at step 14, where w = (-4, 3)/2^14.
    A gradient exactly at the tolerance is not below it: tolerance 5/2^13 ends one step later."""
    from core_helpers import make_spec, run_to_end

    spec = make_spec("quadratic", "gd", steps=100, tolerance=1e-3, objective_options={"condition": 1.0}, lr=0.5)
    _, result = run_to_end(spec)
    assert (result.status, result.steps) == ("converged", 14)
    assert list(result.final_params) == [-4.0 / 2**14, 3.0 / 2**14]
    _, result = run_to_end(spec.with_changes(budget={**spec.budget, "tolerance": 5.0 / 2**13}))
    assert (result.status, result.steps) == ("converged", 15)


# ----------------------------------------------------------------------------------- text placement
def test_text_cells_are_where_plotext_writes_the_text_also_halfway_between_two_columns():
    """plotext puts a text at column floor(½ + (cols - 1)(x - lo)/(hi - lo)): halfway between two cell
    centres it takes the right one. Checked against plotext's own matrix at every such x of a 56-column
    canvas (and at the cell centres), so a change label is never laid over a text plotext drew."""
    import plotext as plt

    from sgd_tui.plotting.marks import text_cells
    from sgd_tui.plotting.plotmatrix import build_matrix

    figure_class = type(plt.active())

    def drawn(x: float, y: float):
        fig = figure_class()
        fig.theme("clear")
        fig.plotsize(60, 15)
        fig.xlim(0, 100)
        fig.ylim(0, 10)
        fig.xticks([0, 50, 100])
        fig.yticks([0, 5, 10])
        fig.text("A", x, y, alignment="left")
        m = build_matrix(fig)
        c0, top = m.Cols_canvas.start, m.Rows_canvas.stop - 1
        cells = {(c - c0, top - r) for r in range(m.rows) for c in range(m.cols) if m.marker[r][c] == "A"}
        return cells, len(m.Cols_canvas), len(m.Rows_canvas)

    _, cols, rows = drawn(0.0, 0.0)
    assert (cols, rows) == (56, 12)
    for k in range(cols - 1):
        for x in (k * 100 / (cols - 1), (k + 0.5) * 100 / (cols - 1)):  # a centre, halfway to the next
            for y in (5.0, 10 * 6.5 / (rows - 1)):
                cells, *_ = drawn(x, y)
                assert text_cells(x, y, "A", "left", (0, 100), (0, 10), cols, rows) == cells, (k, x, y)
