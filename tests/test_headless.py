"""Headless replay: the documented outputs, determinism, divergence as a result, Ctrl+C."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pytest

from sgd_tui.core.run.records import METRICS_COLUMNS
from sgd_tui.core.scenario.parse import parse_scenario
from sgd_tui.replay.run import replay
from sgd_tui.replay.summary import lecture_title

ROOT = Path(__file__).resolve().parent.parent

# noisy gradients on a surface and shuffled mini-batches on a regression risk: both use the seed
MIXED = """\
schema = 1
title = "mixed"
seed = 3
[objective]
name = "quadratic"
condition = 20.0
noise = 0.3
start = [2.0, -1.5]
[budget]
steps = 60
[optimizer]
name = "sgd"
lr = 0.05
[[runs]]
momentum = 0.9
[[runs]]
name = "adam"
lr = 0.1
[[runs]]
batch_size = 8
objective = { name = "linear_regression", n_samples = 64 }
"""


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_outputs_have_the_documented_columns_and_keys(tmp_path):
    s = parse_scenario(MIXED, "mixed.toml")
    assert replay(s, tmp_path, progress=None) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "loss.txt", "metrics.csv", "scenario.toml", "summary.json", "trajectory.txt"]
    with open(tmp_path / "metrics.csv", newline="") as f:
        assert tuple(next(csv.reader(f))) == METRICS_COLUMNS
    rows = read_rows(tmp_path / "metrics.csv")
    labels = [r.label for r in s.runs]
    for label in labels:
        mine = [r for r in rows if r["run"] == label]
        assert [int(r["step"]) for r in mine] == list(range(61))  # the start, then every step (log_every 1)
        assert all(r["x"] and r["y"] for r in mine)
    regression = [r for r in rows if r["run"] == labels[2]]
    assert int(regression[-1]["samples"]) == 60 * 8 and regression[-1]["epoch"] == "8"  # 64/8 = 8 steps/epoch
    surface = [r for r in rows if r["run"] == labels[0]]
    assert surface[-1]["epoch"] == "" and int(surface[-1]["samples"]) == 60

    summary = json.loads((tmp_path / "summary.json").read_text())
    assert {"scenario", "environment", "runs"} <= set(summary)
    assert {"python", "torch", "device", "seed"} <= set(summary["environment"])
    assert summary["environment"]["seed"] == 3
    for run, label in zip(summary["runs"], labels):
        assert {"label", "status", "steps", "samples", "final_loss", "best_loss", "time_s", "samples_per_s",
                "final_params"} <= set(run)
        assert run["label"] == label and run["status"] == "finished" and run["steps"] == 60
        last = [r for r in rows if r["run"] == label][-1]
        assert run["final_params"] == [float(last["x"]), float(last["y"])]
        assert run["final_loss"] == float(last["loss"])
        assert run["best_loss"] <= run["final_loss"]
    # the resolved scenario replays to the same runs
    assert parse_scenario((tmp_path / "scenario.toml").read_text()).runs == s.runs
    loss = (tmp_path / "loss.txt").read_text()
    assert "\x1b" not in loss and "mixed" in loss and all(label in loss for label in labels)
    traj = (tmp_path / "trajectory.txt").read_text()
    assert "\x1b" not in traj and traj.count("paths of the runs") == 2  # one panel per objective


def test_the_same_scenario_twice_gives_identical_metrics_apart_from_time(tmp_path):
    s = parse_scenario(MIXED)
    replay(s, tmp_path / "a", progress=None)
    replay(parse_scenario((tmp_path / "a" / "scenario.toml").read_text()), tmp_path / "b", progress=None)
    a, b = (read_rows(tmp_path / d / "metrics.csv") for d in "ab")
    for rows in (a, b):
        for r in rows:
            del r["time_s"]
    assert len(a) == 3 * 61 and a == b
    # and the seed matters: another seed gives other noisy numbers
    replay(parse_scenario(MIXED.replace("seed = 3", "seed = 4")), tmp_path / "c", progress=None)
    c = read_rows(tmp_path / "c" / "metrics.csv")
    assert [r["loss"] for r in c][5:61] != [r["loss"] for r in a][5:61]


def test_divergence_is_a_result_with_its_step(tmp_path):
    s = parse_scenario(textwrap.dedent("""\
        schema = 1
        [objective]
        name = "quadratic"
        [budget]
        steps = 500
        [optimizer]
        name = "sgd"
        lr = 10.0
        """))
    assert replay(s, tmp_path, progress=None) == 0
    (run,) = json.loads((tmp_path / "summary.json").read_text())["runs"]
    assert run["status"] == "diverged"
    # |1 - 10κ| = 99 per step along the stiff axis: the loss passes 1e12 after a few steps, not 500
    assert 3 <= run["diverged_step"] < 20 and run["steps"] == run["diverged_step"]
    rows = read_rows(tmp_path / "metrics.csv")
    assert int(rows[-1]["step"]) == run["diverged_step"]
    assert "\x1b" not in (tmp_path / "loss.txt").read_text()


def test_lecture_title_for_a_single_dataset_run():
    s = parse_scenario(textwrap.dedent("""\
        schema = 1
        [objective]
        name = "fashion_mnist"
        [budget]
        epochs = 10
        [optimizer]
        name = "sgd"
        lr = 1e-3
        momentum = 0.5
        batch_size = 16
        """))
    assert lecture_title(s.runs[0]) == "Optimizer-SGD lr-0.001 mt-0.5 bs-16"


def test_ctrl_c_stops_writes_what_was_done_and_exits_130(tmp_path, scenario_file):
    scenario = scenario_file("""\
        schema = 1
        [objective]
        name = "rosenbrock"
        [budget]
        steps = 100000000
        log_every = 100
        [optimizer]
        name = "adam"
        [[runs]]
        [[runs]]
        lr = 0.01
        """, "long.toml")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "sgd_tui", "--scenario", str(scenario), "--headless",
                             "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until rows are being written: the replay is running
            if (out / "metrics.csv").exists() and len((out / "metrics.csv").read_text().splitlines()) > 3:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the replay wrote no rows")
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    summary = json.loads((out / "summary.json").read_text())
    first, second = summary["runs"]
    assert first["status"] == "stopped" and 0 < first["steps"] < 100000000
    assert second["status"] == "stopped" and second["steps"] == 0
    rows = read_rows(out / "metrics.csv")
    assert int(rows[-1]["step"]) <= first["steps"] and len(rows) > 3
    assert tomllib.loads((out / "scenario.toml").read_text())["budget"]["steps"] == 100000000
    assert (out / "loss.txt").exists()


def test_a_dataset_run_writes_eval_csv_and_the_lecture_title(tmp_path):
    data = pytest.importorskip("sgd_tui.core.objectives.data")
    data.write_fashion_like(tmp_path, n_train=160, n_test=50)
    s = parse_scenario(textwrap.dedent(f"""\
        schema = 1
        device = "cpu"
        [objective]
        name = "fashion_mnist"
        model = "logistic"
        data_dir = "{tmp_path}"
        [budget]
        epochs = 2
        log_every = 2
        [optimizer]
        name = "sgd"
        lr = 1e-3
        momentum = 0.5
        batch_size = 16
        """))
    out = tmp_path / "out"
    assert replay(s, out, progress=None) == 0
    assert not (out / "trajectory.txt").exists()
    evals = read_rows(out / "eval.csv")
    assert list(evals[0]) == ["run", "epoch", "samples", "test_loss", "test_accuracy"]
    assert [(e["epoch"], e["samples"]) for e in evals] == [("1", "160"), ("2", "320")]
    rows = read_rows(out / "metrics.csv")
    # the lecture logs batch % log_every == 0 within each epoch: batches 0, 2, ..., 8 of 10
    assert [int(r["step"]) for r in rows] == [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]
    assert all(r["x"] == "" and r["y"] == "" for r in rows)
    (run,) = json.loads((out / "summary.json").read_text())["runs"]
    assert run["samples"] == 320 and run["test_accuracy"] == float(evals[-1]["test_accuracy"])
    assert "final_params" not in run
    assert "Optimizer-SGD lr-0.001 mt-0.5 bs-16" in (out / "loss.txt").read_text()
