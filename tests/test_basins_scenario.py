"""Headless theory and basin outputs: summary.json's ``theory``, basin.csv and basins.txt, and the
``basins`` lecture scenario's claims checked with numbers."""

from __future__ import annotations

import csv
import json
import math
from collections import Counter

import pytest

from sgd_tui.core.objectives.registry import get_objective, validate_options
from sgd_tui.core.objectives.surfaces import make_surface
from sgd_tui.core.scenario.parse import load_scenario, parse_scenario
from sgd_tui.core.theory.quadratic import local_model
from sgd_tui.replay.run import replay

SMALL = """\
schema = 1
title = "small"
[objective]
name = "%s"
%s
[budget]
steps = 200
[basins]
resolution = 8
steps = 50
[optimizer]
name = "sgd"
lr = 0.05
momentum = 0.5
"""


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_summary_has_the_theory_at_start_and_end(tmp_path):
    s = parse_scenario(SMALL % ("quadratic", "condition = 10.0"), "small.toml")
    assert replay(s, tmp_path, progress=None) == 0
    run = json.loads((tmp_path / "summary.json").read_text())["runs"][0]
    for when in ("start", "end"):
        t = run["theory"][when]
        assert t["kind"] == "exact" and t["method"] == "heavy_ball"
        assert t["lambda_min"] == pytest.approx(1.0) and t["lambda_max"] == pytest.approx(10.0)
        assert t["limit_alpha"] == pytest.approx(2 * 1.5 / 10.0)
        assert t["alpha_opt"] == pytest.approx(4 / (1 + math.sqrt(10)) ** 2)
        assert t["stability"] == "stable" and t["alpha"] == 0.05
    assert run["theory"]["start"]["point"] == [-4.0, 3.0]
    assert run["theory"]["end"]["point"] == run["final_params"]
    # a single run: basin.csv without a run column
    rows = read_csv(tmp_path / "basin.csv")
    assert list(rows[0]) == ["x0", "y0", "x", "y", "minimum", "status", "steps"] and len(rows) == 64
    assert {r["status"] for r in rows} == {"converged"} and {r["minimum"] for r in rows} == {"(0, 0)"}
    assert "A  (0, 0): 100.0% of the starts" in (tmp_path / "basins.txt").read_text()


def test_a_scenario_without_basins_writes_none(tmp_path):
    s = parse_scenario(SMALL.replace("[basins]\nresolution = 8\nsteps = 50\n", "") % ("rosenbrock", ""), "s.toml")
    assert replay(s, tmp_path, progress=None) == 0
    assert not (tmp_path / "basin.csv").exists()
    assert "basins" not in json.loads((tmp_path / "summary.json").read_text())["runs"][0]


def test_basins_scenario(tmp_path):
    s = load_scenario("basins")
    assert s.basins["resolution"] >= 64
    assert replay(s, tmp_path, progress=None) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    runs = {r["label"]: r for r in summary["runs"]}
    rows = read_csv(tmp_path / "basin.csv")
    assert list(rows[0]) == ["run", "x0", "y0", "x", "y", "minimum", "status", "steps"]
    by_run: dict[str, list[dict]] = {}
    for r in rows:
        by_run.setdefault(r["run"], []).append(r)
    n = s.basins["resolution"] ** 2
    assert {k: len(v) for k, v in by_run.items()} == {"GD": n, "heavy ball β=0.99": n, "Adam": n}
    share = {k: {m: c / n for m, c in Counter(r["minimum"] or r["status"] for r in v).items()}
             for k, v in by_run.items()}
    for label, r in runs.items():  # summary.json's shares are the csv's
        for m, frac in r["basins"]["shares"].items():
            assert frac == pytest.approx(share[label].get(m, 0.0))

    # GD at a stable α: α·λmax < 2 at every one of the four minima, and every start converges to one of them
    known = make_surface("himmelblau").minima
    opts, _ = validate_options("himmelblau", {})
    problem = get_objective("himmelblau").build(opts)
    alpha = s.runs[0].hyper["lr"]
    assert all(alpha * local_model(problem, m, "himmelblau", opts).lam_max < 2.0 for m in known)
    assert runs["GD"]["theory"]["end"]["stability"] != "unstable"
    for r in by_run["GD"]:
        assert r["status"] == "converged"
        assert min(math.hypot(float(r["x"]) - mx, float(r["y"]) - my) for mx, my in known) < 1e-3
    assert all(0.22 <= share["GD"][m] <= 0.28 for m in runs["GD"]["basins"]["shares"] if m.startswith("("))

    # momentum moves the basins: a minimum's share differs by at least 10 percentage points
    minima = [m["label"] for m in runs["GD"]["basins"]["minima"]]
    diffs = {m: abs(share["GD"].get(m, 0.0) - share["heavy ball β=0.99"].get(m, 0.0)) for m in minima}
    assert max(diffs.values()) >= 0.10, diffs  # measured: 14.6 points for (-3.779, -3.283)
    assert share["heavy ball β=0.99"]["diverged"] > 0.3  # measured 43%
    assert "diverged" not in share["Adam"]
    # the three runs from the scenario's start end in three different minima
    ends = [min(known, key=lambda m: math.hypot(runs[k]["final_params"][0] - m[0], runs[k]["final_params"][1] - m[1]))
            for k in ("GD", "heavy ball β=0.99", "Adam")]
    assert len(set(ends)) == 3, ends
    assert "x  diverged: 43" in (tmp_path / "basins.txt").read_text()
