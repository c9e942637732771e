"""Sweeps in the scenario format: expansion, labels, validation, round trip, and the pure statistics."""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from sgd_tui.core.errors import ScenarioError
from sgd_tui.core.run.records import Record
from sgd_tui.core.scenario.parse import parse_scenario, with_overrides
from sgd_tui.core.scenario.write import scenario_to_toml
from sgd_tui.core.sweep.stats import bands, quantile, sensitivity, sweep_rows

ROOT = Path(__file__).resolve().parent.parent

BASE = """\
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
[[runs]]
name = "adam"
"""


def sweep_of(table: str, **kw):
    return parse_scenario(BASE + "[sweep]\n" + table, "grid.toml", **kw)


def test_every_run_times_grid_point_times_seed_is_one_labelled_trial():
    s = sweep_of('lr = [0.001, 0.1]\nmomentum = [0.0, 0.5]\nbatch_size = [4, "full"]\nseeds = 2\n')
    sw = s.sweep
    # sgd runs take lr, momentum, batch_size (2*2*2); adam has no momentum (2*2); times 2 seeds
    assert len(sw.trials) == (8 + 8 + 4) * 2
    assert sw.describe() == "3 runs × 2 lr × 2 momentum × 2 batch_size × 2 seeds = 40 trials"
    first = sw.trials[0]
    assert first.label == "sgd lr=0.001 momentum=0.0 batch_size=4 seed=5"
    assert first.config == "sgd lr=0.001 momentum=0.0 batch_size=4" and first.seed == 5
    assert sw.trials[1].seed == 6  # seeds = 2: the scenario's seed and the next one
    heavy = [t for t in sw.trials if t.run == "heavy ball"]
    assert heavy[0].label == "heavy ball lr=0.001 momentum=0.0 batch_size=4 seed=5"
    adam = [t for t in sw.trials if t.spec.optimizer == "adam"]
    assert [t.label for t in adam[:3]] == ["adam lr=0.001 batch_size=4 seed=5", "adam lr=0.001 batch_size=4 seed=6",
                                          "adam lr=0.001 batch_size=full seed=5"]
    for t in sw.trials:  # the grid point is the last word: it wins over [optimizer] and the run
        assert t.spec.hyper["lr"] == t.values["lr"] and t.spec.settings["batch_size"] == t.values["batch_size"]
        assert t.spec.seed == t.seed and t.spec.label == t.label == t.spec.settings["label"]
        if "momentum" in t.values:
            assert t.spec.hyper["momentum"] == t.values["momentum"]
    assert len({t.label for t in sw.trials}) == len(sw.trials)
    assert [r.label for r in s.runs] == ["sgd", "heavy ball", "adam"]  # swept keys are not in run labels


def test_seed_lists_and_no_seeds():
    assert [t.seed for t in sweep_of("lr = [0.1]\nseeds = [7, 0, 3]\n").sweep.trials[:3]] == [7, 0, 3]
    assert {t.seed for t in sweep_of("lr = [0.1, 0.2]\n").sweep.trials} == {5}


def test_the_resolved_toml_rebuilds_the_same_trials_and_overrides_apply():
    s = sweep_of('lr = [0.001, 0.1]\nbetas = [[0.9, 0.999], [0.5, 0.9]]\nseeds = 3\nmetric = "best_loss"\n')
    again = parse_scenario(scenario_to_toml(s), "again.toml")
    assert [(t.label, t.spec) for t in again.sweep.trials] == [(t.label, t.spec) for t in s.sweep.trials]
    assert again.sweep.metric == "best_loss"
    moved = with_overrides(s, seed=100, steps=7)
    assert sorted({t.seed for t in moved.sweep.trials}) == [100, 101, 102]
    assert {t.spec.budget["steps"] for t in moved.sweep.trials} == {7}
    assert tomllib.loads(scenario_to_toml(s))["sweep"]["lr"] == [0.001, 0.1]


def test_bad_values_are_reported_at_the_sweep_key_with_the_line_all_at_once():
    text = BASE + '[sweep]\nlr = [0.1, -1.0]\nbatch_size = [8, 100]\nmomentum = 0.5\nseeds = [1, 1]\nbogus = [1]\n'
    with pytest.raises(ScenarioError) as e:
        parse_scenario(text, "bad.toml")
    got = {(i.key, i.line) for i in e.value.issues}
    n = len(BASE.splitlines())
    assert got == {("sweep.lr", n + 2), ("sweep.batch_size", n + 3), ("sweep.momentum", n + 4),
                   ("sweep.seeds", n + 5), ("sweep.bogus", n + 6)}
    text = str(e.value)
    assert "Invalid learning rate: -1.0" in text and "exceeds the 64 training examples" in text
    assert "must be a non-empty list" in text and "bad.toml:" in text


def test_a_key_no_run_takes_is_an_error():
    with pytest.raises(ScenarioError, match="no run's optimizer takes betas"):
        parse_scenario(BASE.replace('name = "adam"', 'momentum = 0.1') + "[sweep]\nbetas = [[0.9, 0.99]]\n")


def test_more_trials_than_the_maximum_are_refused_unless_raised():
    table = "lr = [0.001, 0.01, 0.1]\nseeds = 4\nmax_trials = 30\n"
    with pytest.raises(ScenarioError) as e:
        sweep_of(table)
    (issue,) = e.value.issues
    assert issue.key == "sweep" and "3 runs × 3 lr × 4 seeds = 36 trials" in issue.message
    assert "more than the maximum of 30" in issue.message and "--max-trials" in issue.message
    assert len(sweep_of(table, max_trials=36).sweep.trials) == 36
    with pytest.raises(ScenarioError, match="maximum of 500"):
        sweep_of("lr = [0.1, 0.2]\nseeds = 300\n")  # the stated default maximum


def test_quantile_matches_numpy_and_handles_inf():
    rng = random.Random(1)
    for n in (1, 2, 3, 10, 11):
        v = sorted(rng.uniform(-5, 5) for _ in range(n))
        for q in (0.0, 0.1, 0.5, 0.9, 1.0):
            assert quantile(v, q) == pytest.approx(float(np.percentile(v, 100 * q)), abs=1e-12)
    assert quantile([1.0, 2.0, math.inf], 0.5) == 2.0 and quantile([1.0, 2.0, math.inf], 0.9) == math.inf


def test_bands_count_a_diverged_seed_as_inf_after_it_diverged():
    s = sweep_of("lr = [0.1]\nseeds = 3\n")
    sgd = [t.index for t in s.sweep.trials if t.run == "sgd"]
    series = {sgd[0]: [Record(1, 1, 8, 0.0, 3.0, 0.1, None), Record(2, 1, 16, 0.0, 1.0, 0.1, None)],
              sgd[1]: [Record(1, 1, 8, 0.0, 5.0, 0.1, None), Record(2, 1, 16, 0.0, 2.0, 0.1, None)],
              sgd[2]: [Record(1, 1, 8, 0.0, 1e30, 0.1, None)]}
    statuses = {sgd[0]: "finished", sgd[1]: "finished", sgd[2]: "diverged"}
    rows = [r for r in bands(s.sweep, series, statuses) if r.config == "sgd lr=0.1"]
    assert [(r.step, r.samples, r.n) for r in rows] == [(1, 8, 3), (2, 16, 3)]
    assert rows[0].median == 5.0 and rows[0].p10 == pytest.approx(np.percentile([3, 5, 1e30], 10))
    assert rows[1].median == 2.0 and rows[1].p90 == math.inf and rows[1].p10 == pytest.approx(1.2)


def test_sweep_rows_and_sensitivity_group_by_run_and_mark_divergence():
    from sgd_tui.core.run.records import RunResult
    from sgd_tui.core.sweep.trials import TrialOutcome

    s = sweep_of("lr = [0.01, 10.0]\nseeds = 2\n")
    outcomes = {}
    for t in s.sweep.trials:
        bad = t.values["lr"] == 10.0 and t.seed == 5
        r = RunResult(t.label, status="diverged" if bad else "finished", steps=20, final_loss=math.nan if bad else
                      t.values["lr"] + t.seed, best_loss=1.0, diverged_step=3 if bad else None)
        outcomes[t.index] = TrialOutcome(t.index, r)
    del outcomes[len(s.sweep.trials) - 1]  # never started
    rows = sweep_rows(s.sweep, outcomes)
    assert rows[0]["lr"] == "0.01" and rows[0]["seed"] == 5 and rows[0]["test_loss"] is None
    assert rows[-1]["status"] == "stopped" and rows[-1]["steps"] == 0
    (sgd, heavy, adam) = sensitivity(s.sweep, rows, "lr", "final_loss")
    assert sgd.name == "sgd" and heavy.name == "heavy ball"
    assert sgd.points == [(0.01, [5.01, 6.01], 0), (10.0, [None, 16.0], 1)]
    assert adam.points[1] == (10.0, [None, None], 1)


def test_validate_counts_trials_and_the_listing_marks_sweeps(tmp_path):
    (tmp_path / "grid.toml").write_text(BASE + "[sweep]\nlr = [0.001, 0.1]\nseeds = 2\n")
    (tmp_path / "plain.toml").write_text(BASE)
    env_cmd = [sys.executable, "-m", "sgd_tui"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SGD_TUI_SCENARIOS": str(tmp_path)}
    out = subprocess.run([*env_cmd, "--validate", str(tmp_path / "grid.toml")], capture_output=True, text=True,
                         env=env)
    assert out.returncode == 0 and "sweep: 3 runs × 2 lr × 2 seeds = 12 trials" in out.stdout
    out = subprocess.run([*env_cmd, "--validate", str(tmp_path / "grid.toml"), "--max-trials", "10"],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 2 and "more than the maximum of 10" in out.stderr and "Traceback" not in out.stderr
    out = subprocess.run([*env_cmd, "--list-scenarios"], capture_output=True, text=True, env=env)
    lines = dict(line.split(None, 1) for line in out.stdout.splitlines())
    assert lines["grid"].endswith("[sweep: lr × 2 seeds]") and "sweep" not in lines["plain"]
    out = subprocess.run([*env_cmd, "--scenario", str(tmp_path / "plain.toml"), "--headless", "--workers", "2"],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 2 and "for sweep scenarios" in out.stderr
