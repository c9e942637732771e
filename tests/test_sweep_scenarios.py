"""The lecture's sweep scenarios show, with numbers, what their descriptions say."""

from __future__ import annotations

import csv
import math
import statistics
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest

from sgd_tui.core.scenario.files import scenarios_dir
from sgd_tui.core.scenario.parse import load_scenario, parse_scenario, with_overrides
from sgd_tui.core.scenario.write import toml_text
from sgd_tui.replay.sweep import replay_sweep


def read(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_batch_noise_spread_shrinks_like_one_over_sqrt_b_in_the_parameters_and_one_over_b_in_the_loss(tmp_path):
    s = load_scenario("batch-noise")
    assert s.sweep.describe() == "1 run × 3 batch_size × 10 seeds = 30 trials"
    s = with_overrides(s, steps=1000)  # the same picture, faster
    # in this process: what runs the trials does not change their numbers (tests/test_sweep_replay.py), and a
    # pool's start-up (a fork server importing torch, two workers) would cost more than these 30 small trials
    assert replay_sweep(s, tmp_path, workers=1) == 0
    late = 500  # the second half: every run jitters around the minimum after ~200 steps
    width: dict[str, list[float]] = defaultdict(list)
    for r in read(tmp_path / "bands.csv"):
        if int(r["step"]) >= late:
            assert r["n"] == "10"
            width[r["config"]].append(float(r["p90"]) - float(r["p10"]))
    band = {c: statistics.fmean(w) for c, w in width.items()}
    w_at: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in read(tmp_path / "metrics.csv"):
        if int(r["step"]) >= late:
            w_at[r["run"].rsplit(" seed=", 1)[0]][int(r["step"])].append(float(r["x"]))
    spread = {c: statistics.fmean(statistics.pstdev(ws) for ws in steps.values()) for c, steps in w_at.items()}
    b1, b16, full = "sgd batch_size=1", "sgd batch_size=16", "sgd batch_size=full"
    # the parameters: standard deviation over seeds ~ 1/sqrt(B) (sqrt(16) = 4)
    assert 3.0 < spread[b1] / spread[b16] < 5.3, spread
    # the loss, quadratic in the distance to the minimum: band width ~ 1/B (16)
    assert 9.0 < band[b1] / band[b16] < 25.0, band
    # full batch: no randomness left (same data for every seed), every seed the same curve
    assert band[full] == 0.0 and spread[full] == 0.0


def lr_sensitivity_small(data_dir: Path):
    """lr-sensitivity on a synthetic FashionMNIST-format set, with a smaller training subset and budget."""
    data = tomllib.loads((scenarios_dir() / "lr-sensitivity.toml").read_text())
    data["objective"].update(data_dir=str(data_dir), train_subset=2048, test_subset=256)
    data["budget"]["epochs"] = 2
    return parse_scenario(toml_text(data), "lr-sensitivity.toml")


@pytest.mark.slow
def test_lr_sensitivity_shows_the_good_range_of_each_optimizer(tmp_path):
    from sgd_tui.core.objectives.data import write_fashion_like

    full = load_scenario("lr-sensitivity")
    assert len(full.sweep.trials) == 99 and len(full.sweep.values["lr"]) == 11
    lrs = full.sweep.values["lr"]
    assert {t.run for t in full.sweep.trials} == {"sgd", "sgd momentum 0.9", "adam"}
    assert min(lrs) == 1e-4 and max(lrs) == 10.0
    assert all(2.9 < b / a < 3.5 for a, b in zip(lrs, lrs[1:]))  # log-spaced, half a decade apart
    s = lr_sensitivity_small(write_fashion_like(tmp_path / "data", n_train=2048, n_test=256))
    assert replay_sweep(s, tmp_path / "out", workers=1) == 0  # in this process (see the batch-noise test)
    rows = read(tmp_path / "out" / "sweep.csv")
    by: dict[str, dict[float, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        by[r["config"].rsplit(" lr=", 1)[0]][float(r["lr"])].append(r)
    good = {}
    for run, per_lr in by.items():  # the window: median test accuracy within 0.05 of the optimizer's best
        acc = {lr: statistics.median(_accuracy(r) for r in rs) for lr, rs in per_lr.items()}
        good[run] = sorted(lr for lr, a in acc.items() if a >= max(acc.values()) - 0.05)
        print(run, acc, good[run])
    assert all(r["status"] == "diverged" for r in by["sgd"][10.0])  # SGD at lr 10 diverges, every seed
    assert all(r["status"] == "diverged" for lr in (0.3, 1.0, 3.0, 10.0) for r in by["adam"][lr])
    # too large without diverging: SGD at lr 1 finishes, stuck at chance (10 classes)
    assert all(r["status"] == "finished" and float(r["test_accuracy"]) < 0.2 for r in by["sgd"][1.0])
    # Adam's window is wider than SGD's (measured here: 1.5 decades against 0), momentum's opens further left
    assert _decades(good["adam"]) >= 1.0 and _decades(good["adam"]) > _decades(good["sgd"])
    assert min(good["sgd momentum 0.9"]) < min(good["sgd"])
    assert max(good["adam"]) < max(good["sgd"])


def _accuracy(row: dict) -> float:
    return 0.0 if row["status"] == "diverged" or not row["test_accuracy"] else float(row["test_accuracy"])


def _decades(lrs: list[float]) -> float:
    return math.log10(max(lrs) / min(lrs))
