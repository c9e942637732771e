"""A fair race ([race], core.sweep.race, replay.race): the grid, the choice, the files, the replay."""

from __future__ import annotations

import csv
import json
import math
import statistics

import pytest

from sgd_tui.core.errors import ScenarioError
from sgd_tui.core.run.records import RunResult
from sgd_tui.core.scenario.parse import load_scenario, parse_scenario
from sgd_tui.core.sweep.race import choose, criterion_value, log_grid
from sgd_tui.replay.run import replay

HEAD = """\
schema = 1
title = "race test"
[objective]
name = "quadratic"
noise = 0.5
[budget]
steps = 60
log_every = 5
"""
RUNS = """
[[runs]]
name = "sgd"
lr = 0.01
[[runs]]
name = "adam"
lr = 0.01
"""


def _parse(text: str):
    return parse_scenario(text, "race.toml")


def test_log_grid_is_even_in_log10_with_both_ends():
    g = log_grid(1e-4, 1.0, 5)
    assert g == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1, 1.0], rel=1e-12)
    s = _parse(HEAD + RUNS + "[race]\nlr_low = 0.001\nlr_high = 0.1\npoints = 3\nseeds = 2\n")
    assert s.race.lrs == pytest.approx([1e-3, 1e-2, 1e-1])
    assert len(s.race.tuning.trials) == 2 * 3 * 2
    assert s.race.seeds == [0, 1] and s.race.race_seeds == [2, 3]  # the race runs on fresh seeds


@pytest.mark.parametrize("table, key, line", [
    ("lrs = [0.1, -1.0]", "race.lrs", 17),
    ("lrs = [0.1]\nlr_low = 0.01", "race.lrs", 17),
    ('lrs = [0.1]\ncriterion = "steps_to_target"', "race.criterion", 18),
    ('lrs = [0.1]\ncriterion = "fastest"', "race.criterion", 18),
    ("lrs = [0.1]\nspeed = 3", "race.speed", 18),
    ("lr_low = 0.1\nlr_high = 0.01", "race.lr_low", 17),
    ("lrs = [0.1]\nseeds = 0", "race.seeds", 18),
    ("lrs = [0.1]\nmomentum = [0.5, 1.5]", "race.momentum", 18),
])
def test_bad_race_tables_name_file_line_and_key(table, key, line):
    with pytest.raises(ScenarioError) as e:
        _parse(HEAD + RUNS + "[race]\n" + table + "\n")
    text = str(e.value)
    assert f"race.toml:{line}" in text and key in text


def test_momentum_needs_a_run_that_takes_it():
    text = HEAD + '[[runs]]\nname = "adam"\n[race]\nlrs = [0.1]\nmomentum = [0.5]\n'
    with pytest.raises(ScenarioError, match="race.momentum.*no run's optimizer takes momentum"):
        _parse(text)


def test_race_and_sweep_together_are_refused():
    with pytest.raises(ScenarioError, match="not both"):
        _parse(HEAD + RUNS + "[race]\nlrs = [0.1]\n[sweep]\nlr = [0.1]\n")


def _result(status="finished", final=1.0, steps=None):
    return RunResult("x", status=status, final_loss=final, steps_to_target=steps, target_loss=0.1)


def test_choose_takes_the_lowest_median_and_counts_divergence_as_inf():
    s = _parse(HEAD + RUNS + "[race]\nlrs = [0.001, 0.01, 0.1]\nseeds = 3\n")
    sweep = s.race.tuning
    finals = {0.001: [3.0, 2.0, 2.5], 0.01: [1.0, 9.0, 1.5], 0.1: [0.1, 0.2, math.inf]}
    results = {}
    for t in sweep.trials:
        v = finals[t.values["lr"]][t.seed]
        if t.run == "adam":  # every seed diverges at 0.1: its median is inf, the smallest lr wins
            v = {0.001: 0.5, 0.01: 0.7, 0.1: math.inf}[t.values["lr"]]
        results[t.index] = _result("diverged" if math.isinf(v) else "finished", v)
    sgd, adam = choose(sweep, results, "final_loss")
    # sgd: medians 2.5, 1.5, and for 0.1 median of (0.1, 0.2, inf) = 0.2 -> 0.1 wins
    assert [p.score for p in sgd.points] == [2.5, 1.5, 0.2] and sgd.lr == 0.1
    assert sgd.points[2].diverged == 1
    assert adam.lr == 0.001 and math.isinf(adam.points[2].score)


def test_while_tuning_runs_a_point_without_results_is_neither_chosen_nor_drawn_as_diverged():
    """Half-way through tuning: sgd has results at 0.01 only, adam none at all. sgd's choice is its one
    measured point (not an unmeasured one whose median of nothing is +inf); adam says "no result yet" and
    no X (the mark of a diverged point) is drawn for points that have not run."""
    from sgd_tui.plotting.raceplot import tuning_plot

    s = _parse(HEAD + RUNS + "[race]\nlrs = [0.001, 0.01, 0.1]\nseeds = 2\n")
    sweep = s.race.tuning
    results = {t.index: _result("finished", 0.5 + t.seed) for t in sweep.trials
               if t.run == "sgd" and t.values["lr"] == 0.01}
    sgd, adam = choose(sweep, results, "final_loss")
    assert sgd.lr == 0.01 and sgd.best.measured and sgd.best.score == 1.0
    assert not adam.best.measured and [p.measured for p in sgd.points] == [False, True, False]
    text = tuning_plot([sgd, adam], criterion="final_loss", title="t", width=80, height=20)
    assert "adam: no result yet" in text and "sgd: lr 0.01 chosen (1)" in text
    canvas = text.split("final loss")[0]
    assert "X" not in canvas.replace("X  median", "")


def test_steps_to_target_criterion_counts_missed_targets_as_inf():
    assert criterion_value(_result(steps=None), "steps_to_target") == math.inf
    assert criterion_value(_result(status="reached", steps=40), "steps_to_target") == 40.0
    assert criterion_value(_result(status="stopped"), "final_loss") is None
    assert criterion_value(_result(status="diverged", final=3.0), "final_loss") == math.inf


def _gd_steps_to(target, lr, kappa=10.0, start=(-4.0, 3.0), every=1, cap=401):  # the budget: 400 steps
    for k in range(0, cap, every):
        x, y = (1 - lr) ** k * start[0], (1 - lr * kappa) ** k * start[1]
        if 0.5 * (x * x + kappa * y * y) <= target:
            return k
    return math.inf


def test_steps_to_target_race_picks_the_lr_the_closed_form_says(tmp_path):
    """GD on ½(x² + 10y²): steps to f <= 1e-3 per lr in closed form; the race must choose their argmin."""
    lrs = [0.02, 0.05, 0.1, 0.15, 0.19, 0.21]
    text = ("schema = 1\n[objective]\nname = \"quadratic\"\n[budget]\nsteps = 400\nlog_every = 1\n"
            "target_loss = 0.001\n[[runs]]\nname = \"gd\"\nlr = 0.02\n"
            f"[race]\nlrs = {lrs}\nseeds = 1\ncriterion = \"steps_to_target\"\n")
    s = _parse(text)
    assert replay(s, tmp_path / "o", progress=None, workers=1) == 0
    expected = {lr: _gd_steps_to(1e-3, lr) for lr in lrs}
    best = min(lrs, key=lambda lr: expected[lr])
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    run = summary["runs"][0]
    assert run["tuned_lr"] == best and run["criterion_value"] == expected[best]
    with open(tmp_path / "o" / "tuning.csv") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        want = expected[float(row["lr"])]
        assert (row["steps_to_target"] == "") == math.isinf(want)
        if not math.isinf(want):
            assert int(row["steps_to_target"]) == want


def test_headless_race_files_and_tuned_lr_from_tuning_csv(tmp_path):
    text = HEAD + RUNS + "[race]\nlrs = [0.01, 0.1, 1.0]\nseeds = 2\n"
    out = tmp_path / "o"
    assert replay(_parse(text), out, progress=None, workers=1) == 0
    with open(out / "tuning.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["run", "lr", "seed", "final_loss", "steps_to_target", "status"]
    assert len(rows) == 2 * 3 * 2
    summary = json.loads((out / "summary.json").read_text())
    for run in summary["runs"]:
        # independently: the median over seeds per lr from tuning.csv, the argmin
        med = {}
        for lr in (0.01, 0.1, 1.0):
            vals = [float(r["final_loss"]) if r["status"] != "diverged" and r["final_loss"] else math.inf
                    for r in rows if r["run"] == run["label"] and float(r["lr"]) == lr]
            med[lr] = statistics.median(vals)
        best = min(med, key=lambda lr: med[lr])
        assert run["tuned_lr"] == best and run["criterion_value"] == pytest.approx(med[best], rel=1e-12)
        assert run["hand_lr"] == 0.01
        assert run["race_tuned"]["final_loss"]["median"] is not None
    assert summary["race"]["winner"]["tuned"] in {"sgd", "adam"}
    race_text = (out / "race.txt").read_text()
    assert "chosen" in race_text and "@" in race_text and "the race at the tuned lr" in race_text
    with open(out / "race.csv") as f:
        race_rows = list(csv.DictReader(f))
    assert len(race_rows) == 2 * 2 * 2 and {r["seed"] for r in race_rows} == {"2", "3"}


def test_the_written_scenario_replays_to_the_same_numbers(tmp_path):
    text = HEAD + RUNS + "[race]\nlrs = [0.03, 0.3]\nseeds = 2\n"
    a, b = tmp_path / "a", tmp_path / "b"
    assert replay(_parse(text), a, progress=None, workers=1) == 0
    again = load_scenario(a / "scenario.toml")
    assert again.race is not None
    assert replay(again, b, progress=None, workers=2) == 0
    assert (a / "tuning.csv").read_text() == (b / "tuning.csv").read_text()

    def numbers(path):
        with open(path) as f:
            return [{k: v for k, v in r.items() if "seconds" not in k and k != "time_s"} for r in csv.DictReader(f)]

    assert numbers(a / "race.csv") == numbers(b / "race.csv")
    assert numbers(a / "bands.csv") == numbers(b / "bands.csv")


def test_a_race_saved_from_the_app_replays_to_the_same_numbers(tmp_path):
    from sgd_tui.core.scenario.write import scenario_to_toml
    from sgd_tui.ui.session import session_from_scenario

    sc = _parse(HEAD + RUNS + "[race]\nlrs = [0.03, 0.3]\nseeds = 2\n")
    saved = parse_scenario(scenario_to_toml(session_from_scenario(sc).to_scenario()), "saved.toml")
    assert saved.race is not None and saved.race.to_table() == sc.race.to_table()
    assert [t.spec for t in saved.race.tuning.trials] == [t.spec for t in sc.race.tuning.trials]
    a, b = tmp_path / "a", tmp_path / "b"
    assert replay(sc, a, progress=None, workers=1) == 0
    assert replay(saved, b, progress=None, workers=1) == 0
    assert (a / "tuning.csv").read_text() == (b / "tuning.csv").read_text()
    ja, jb = (json.loads((d / "summary.json").read_text())["runs"] for d in (a, b))
    assert [(r["tuned_lr"], r["criterion_value"], r["race_tuned"]["final_loss"]) for r in ja] == \
        [(r["tuned_lr"], r["criterion_value"], r["race_tuned"]["final_loss"]) for r in jb]
