"""The loss-landscape slice: at its anchors it is the training loss computed directly, projected anchors
land on their grid nodes, paths are orthogonal projections, snapshots stay bounded, and the headless
replay writes landscape.csv, landscape_paths.csv and landscape.txt."""

from __future__ import annotations

import csv
import json

import pytest
import torch
from core_helpers import Runner, make_spec

from sgd_tui.core.maps.landscape import (
    PlaneError,
    anchor_grid,
    compute_landscape,
    plane_through,
    random_plane,
    subset_for,
)
from sgd_tui.core.run.snapshots import SnapshotLog
from sgd_tui.core.theory.flat import flat_copy, unflatten

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tiny networks: more threads only add overhead


def trained(objective="mlp_regression", options=None, steps=150, **runs):
    out = []
    for label, (opt, hyper) in runs.items():
        spec = make_spec(objective, opt, steps=steps, label=label, objective_options=options or {}, **hyper)
        spec.budget["snapshot_every"] = 1
        r = Runner(spec)
        r.advance(steps)
        out.append(r)
    return out


def direct_loss(problem, flat, idx) -> float:
    with torch.no_grad():
        return float(problem.training_loss(unflatten(flat, problem.params), idx))


RUNS = {"sgd": ("sgd", {"lr": 0.1, "batch_size": 8}), "adam": ("adam", {"lr": 0.01, "batch_size": 8}),
        "momentum": ("sgd", {"lr": 0.05, "momentum": 0.9, "batch_size": 8})}


@pytest.mark.parametrize("options", [{"n_samples": 200, "activation": "relu", "regularization": "l2",
                                      "reg_strength": 1e-3}, {"n_samples": 64}])
def test_the_slice_at_the_anchors_is_the_training_loss_and_anchors_project_onto_their_nodes(options):
    runners = trained(options=options, **RUNS)
    land = compute_landscape(runners, runs=["sgd", "adam"], resolution=21, subset=50)
    sl, plane = land.slice, land.slice.plane
    p = runners[0].problem
    idx = subset_for(p, 50, 0)
    assert (idx is None) == (options["n_samples"] <= 50)
    start = runners[0].snapshots.snapshots()[0][1]
    points = {"start": start, "sgd": flat_copy(runners[0].problem.params),
              "adam": flat_copy(runners[1].problem.params)}
    for name, a, b in plane.anchors:
        assert a in sl.a_values and b in sl.b_values  # grid nodes, exactly
        assert sl.at(a, b) == pytest.approx(direct_loss(p, points[name], idx), rel=1e-5)
    # the end of each anchor run projects onto its anchor, in the plane
    for name, (a, b) in (("sgd", (1.0, 0.0)), ("adam", (0.0, 1.0))):
        end = land.paths[name][-1]
        assert (end.a, end.b) == pytest.approx((a, b), abs=1e-9) and end.off_plane < 1e-9
        assert land.paths[name][0][1:] == pytest.approx((0.0, 0.0, 0.0), abs=1e-12)
    # a third run is off the plane; its projection is orthogonal: the residual is normal to d and e
    mom = land.paths["momentum"][-1]
    theta = flat_copy(runners[2].problem.params).double()
    r = theta - plane.origin.double() - mom.a * plane.d.double() - mom.b * plane.e.double()
    assert float(torch.linalg.vector_norm(r)) == pytest.approx(mom.off_plane, rel=1e-9)
    assert abs(float(r @ plane.d.double())) < 1e-8 * float(torch.linalg.vector_norm(plane.d)) * mom.off_plane
    assert abs(float(r @ plane.e.double())) < 1e-8 * float(torch.linalg.vector_norm(plane.e)) * mom.off_plane
    # every grid value is the direct loss at θ(a, b) (the precomputed first layer changes nothing)
    for a, b in ((-0.5, 1.5), (0.3, -0.2), (1.5, 1.5)):
        assert sl.at(a, b) == pytest.approx(direct_loss(p, plane.point(a, b), idx), rel=1e-9)


def test_regression_objectives_slice_through_the_generic_path():
    runners = trained("linear_regression", {"n_samples": 100}, steps=5,
                      gd=("gd", {"lr": 0.05}), adam=("adam", {"lr": 0.1}))
    land = compute_landscape(runners, resolution=11)
    p = runners[0].problem
    for name, a, b in land.slice.plane.anchors:
        theta = land.slice.plane.point(a, b)
        assert land.slice.at(a, b) == pytest.approx(p.value(*theta.tolist()), rel=1e-9)
    assert all(pt.off_plane < 1e-9 for pts in land.paths.values() for pt in pts)  # 2 weights: the plane is all


def test_fashion_slice_at_the_anchors(tmp_path):
    from sgd_tui.core.objectives.data import write_fashion_like

    root = write_fashion_like(tmp_path, n_train=300, n_test=10, seed=0)
    opts = {"data_dir": str(root), "model": "mlp_small"}
    runners = trained("fashion_mnist", opts, steps=20, sgd=("sgd", {"lr": 0.1, "batch_size": 32}),
                      adam=("adam", {"lr": 0.003, "batch_size": 32}))
    land = compute_landscape(runners, resolution=7, subset=100, margin=0.5)
    p = runners[0].problem
    idx = subset_for(p, 100, 0)
    points = {"start": runners[0].snapshots.snapshots()[0][1], "sgd": flat_copy(p.params),
              "adam": flat_copy(runners[1].problem.params)}
    for name, a, b in land.slice.plane.anchors:
        assert land.slice.at(a, b) == pytest.approx(direct_loss(p, points[name], idx), rel=1e-5)
    assert land.slice.at(1.0, 0.0) < land.slice.at(0.0, 0.0)


def test_random_directions_are_filter_normalised():
    (r,) = trained(steps=30, gd=("gd", {"lr": 0.2}))
    plane = random_plane(r.problem.params, seed=3)
    for direction in (plane.d, plane.e):
        parts = unflatten(direction, r.problem.params)
        for w, d in zip(r.problem.params, parts):
            if w.dim() == 1:
                assert torch.count_nonzero(d) == 0
            else:
                torch.testing.assert_close(torch.linalg.vector_norm(d, dim=1), torch.linalg.vector_norm(w.detach(), dim=1))
    land = compute_landscape([r], mode="random", resolution=9, radius=0.5)
    assert land.slice.a_values[4] == 0.0 and land.slice.at(0, 0) == pytest.approx(r.problem.training_loss(
        r.problem.params, None).item(), rel=1e-9)
    assert land.paths["gd"][-1][1:] == pytest.approx((0.0, 0.0, 0.0), abs=1e-9)


def test_grids_and_degenerate_planes():
    g = anchor_grid(21, 0.5)
    assert len(g) == 21 and g[0] == -0.5 and g[-1] == 1.5 and 0.0 in g and 1.0 in g
    g = anchor_grid(31, 0.25)
    assert len(g) == 31 and 0.0 in g and 1.0 in g and -0.3 < g[0] < -0.2
    x = torch.zeros(5)
    with pytest.raises(PlaneError, match="one line"):
        plane_through(x, torch.ones(5), 2 * torch.ones(5))
    with pytest.raises(PlaneError, match="not moved"):
        plane_through(x, x.clone(), torch.ones(5))


def test_snapshots_are_bounded_evenly_spaced_and_keep_the_start():
    log = SnapshotLog(every=1, max_count=16, n_params=3)
    w = [torch.zeros(3)]
    for step in range(0, 1001):
        w[0] += 1
        log.offer(step, w)
    steps = [s for s, _ in log.snapshots()]
    assert len(steps) <= 16 and steps[0] == 0 and steps == sorted(steps)
    gaps = {b - a for a, b in zip(steps, steps[1:])}
    assert gaps == {log.every} and steps[-1] > 1000 - log.every
    assert SnapshotLog(every=1, max_bytes=1 << 20, n_params=1 << 18).max_count == 4  # 1 MB of 1 MB weights


def test_headless_writes_the_landscape_files(tmp_path):
    from sgd_tui.core.scenario.parse import parse_scenario
    from sgd_tui.replay.run import replay

    s = parse_scenario("""schema = 1
[objective]
name = "mlp_regression"
hidden = 8
[budget]
steps = 60
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
[landscape]
runs = ["SGD", "Adam"]
resolution = 11
""")
    assert s.landscape["runs"] == ["SGD", "Adam"] and all(r.budget["snapshot_every"] == 1 for r in s.runs)
    assert replay(s, tmp_path, progress=None) == 0
    grid = list(csv.DictReader(open(tmp_path / "landscape.csv")))
    assert list(grid[0]) == ["a", "b", "loss"] and len(grid) == 121
    paths = list(csv.DictReader(open(tmp_path / "landscape_paths.csv")))
    assert list(paths[0]) == ["run", "step", "a", "b", "off_plane"]
    ends = {p["run"]: p for p in paths}
    assert (float(ends["SGD"]["a"]), float(ends["SGD"]["b"])) == pytest.approx((1.0, 0.0), abs=1e-9)
    assert ends["SGD"]["step"] == ends["Adam"]["step"] == "60"
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [a["name"] for a in summary["landscape"]["anchors"]] == ["start", "SGD", "Adam"]
    text = (tmp_path / "landscape.txt").read_text()
    assert "Training loss on a plane through three weights" in text and "distance off the plane" in text
    # the resolved scenario keeps the table and replays the same numbers
    again = parse_scenario((tmp_path / "scenario.toml").read_text())
    assert again.landscape == s.landscape


@pytest.mark.parametrize("table,message", [
    ('runs = ["SGD"]', 'mode "plane" needs 2 run labels'),
    ('runs = ["SGD", "Adma"]', "no run labelled 'Adma' (did you mean 'Adam'?)"),
    ('resolution = 2', "resolution must be an integer in [5, 201]"),
    ('colour = "red"', "unknown key 'colour'"),
    ('mode = "random"\nruns = ["SGD", "Adam"]', 'mode "random" needs 1 run label'),
])
def test_landscape_table_errors_name_file_line_and_key(table, message):
    from sgd_tui.core.errors import ScenarioError
    from sgd_tui.core.scenario.parse import parse_scenario

    text = ('schema = 1\n[objective]\nname = "mlp_regression"\n[budget]\nsteps = 5\n[optimizer]\nname = "sgd"\n'
            '[[runs]]\nlabel = "SGD"\n[[runs]]\nlabel = "Adam"\nname = "adam"\n[landscape]\n' + table + "\n")
    with pytest.raises(ScenarioError) as e:
        parse_scenario(text, "s.toml")
    assert message in str(e.value) and "s.toml:1" in str(e.value)


def test_a_surface_has_no_landscape():
    from sgd_tui.core.errors import ScenarioError
    from sgd_tui.core.scenario.parse import parse_scenario

    with pytest.raises(ScenarioError, match="needs a training set"):
        parse_scenario('schema = 1\n[objective]\nname = "rosenbrock"\n[budget]\nsteps = 5\n[optimizer]\n'
                       'name = "gd"\n[[runs]]\n[[runs]]\nlr = 0.1\n[landscape]\n')
