"""The shipped optimizer-race scenario: every optimizer of the registry from one start, and it shows what its
description says (the full 2,000-step budget: about two seconds)."""

from __future__ import annotations

import csv
import json

from sgd_tui.core.scenario.parse import load_scenario
from sgd_tui.replay.run import replay


def test_optimizer_race_shows_what_its_description_promises(tmp_path):
    s = load_scenario("optimizer-race")
    assert replay(s, tmp_path, progress=None) == 0
    runs = {r["optimizer"]: r for r in json.loads((tmp_path / "summary.json").read_text())["runs"]}
    final = {name: r["final_loss"] for name, r in runs.items()}
    assert all(r["status"] == "finished" and r["steps"] == 2000 for r in runs.values())
    with open(tmp_path / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))

    def first_step_below(name: str, level: float) -> int | None:
        label = runs[name]["label"]
        return next((int(r["step"]) for r in rows if r["run"] == label and float(r["loss"]) < level), None)

    assert 0.1 < final["gd"] < 0.3  # crawls along the valley
    for name in ("sgd", "polyak", "nesterov"):
        assert final[name] < 1e-7 and first_step_below(name, 1e-2) < 450
    assert first_step_below("newton", 1e-12) <= 10
    assert final["adam"] < 1e-6 < final["amsgrad"] < 1e-3
    assert 1e-4 < final["adamw"] < 1e-2 and runs["adamw"]["final_params"][0] < 0.99
    assert 1e-2 < final["adagrad"] < final["gd"]
    assert all(1e-5 < final[n] < 2e-2 for n in ("rmsprop", "adamax", "nadam"))
    assert final["adadelta"] == max(final.values())


def test_optimizer_race_runs_every_optimizer_of_the_registry_from_one_start():
    from sgd_tui.core.optim.registry import MODERN, OPTIMIZERS

    s = load_scenario("optimizer-race")  # the 2021-24 optimizers race in fair-race and modern-optimizers
    assert sorted(r.optimizer for r in s.runs) == sorted(set(OPTIMIZERS) - set(MODERN))
    assert {r.objective for r in s.runs} == {"rosenbrock"}
    assert {r.objective_options["start"] for r in s.runs} == {(-1.5, 2.0)}
    assert s.budget["steps"] >= 2000
