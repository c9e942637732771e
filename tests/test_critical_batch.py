"""The critical-batch fit S(B) = S_min(1 + B_crit/B), E(B) = E_min(1 + B/B_crit): on synthetic points from
known S_min and B_crit (exact and noisy), the per-batch lr choice, and the sweep wiring's reading of
steps to target."""

from __future__ import annotations

import math
import random
from types import SimpleNamespace

import pytest

from sgd_tui.core.sweep.critical_batch import (
    BatchPoint,
    best_points,
    critical_batch_from_sweep,
    fit_critical_batch,
    samples_curve,
    steps_curve,
    steps_to_target_of,
)

BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]


@pytest.mark.parametrize("s_min, b_crit", [(100.0, 20.0), (1500.0, 3.0), (40.0, 300.0)])
def test_exact_points_give_back_s_min_and_b_crit(s_min, b_crit):
    pts = [BatchPoint(b, steps_curve(b, s_min, b_crit), samples_curve(b, s_min, b_crit)) for b in BATCHES]
    assert all(p.samples == pytest.approx(p.batch * p.steps) for p in pts)  # E = B·S: the two relations agree
    fit = fit_critical_batch(pts)
    assert fit.b_crit == pytest.approx(b_crit, rel=1e-6)
    assert fit.s_min == pytest.approx(s_min, rel=1e-6)
    assert fit.e_min == pytest.approx(s_min * b_crit, rel=1e-6)
    assert fit.rms_log_error < 1e-6 and fit.resolved


def test_noisy_points_within_a_few_percent():
    rng = random.Random(0)
    s_min, b_crit = 250.0, 40.0
    pts = [BatchPoint(b, steps_curve(b, s_min, b_crit) * math.exp(rng.gauss(0, 0.03)), 0.0)
           for b in BATCHES for _ in range(3)]
    fit = fit_critical_batch(pts)
    assert fit.b_crit == pytest.approx(b_crit, rel=0.1)
    assert fit.s_min == pytest.approx(s_min, rel=0.05)
    assert 0.015 < fit.rms_log_error < 0.05


def test_all_points_in_one_regime_are_not_resolved():
    pts = [BatchPoint(b, 1000.0 / b, 1000.0) for b in BATCHES]  # perfect scaling everywhere: B_crit ≫ 512
    fit = fit_critical_batch(pts)
    assert not fit.resolved and fit.b_crit > 4 * 512
    assert fit_critical_batch([BatchPoint(8, 10.0, 80.0)]) is None


def test_best_points_take_the_fastest_lr_per_batch_by_median_over_seeds():
    trials = []
    for seed, noise in enumerate((0, 5, -3)):
        trials += [{"batch": 8, "lr": 0.1, "seed": seed, "steps_to_target": 200 + noise},
                   {"batch": 8, "lr": 0.3, "seed": seed, "steps_to_target": 150 + noise},
                   {"batch": 8, "lr": 1.0, "seed": seed, "steps_to_target": None if seed == 1 else 50},  # one failed
                   {"batch": 64, "lr": 0.3, "seed": seed, "steps_to_target": 90 + noise}]
    pts = best_points(trials)
    assert pts == [BatchPoint(8.0, 150.0, 1200.0, 0.3), BatchPoint(64.0, 90.0, 5760.0, 0.3)]


def test_the_sweep_wiring_reads_steps_to_target_when_trials_have_it():
    s_min, b_crit = 120.0, 16.0
    trials, outcomes = [], {}
    for i, b in enumerate((2, 4, 8, 16, 32, 64, 128)):
        spec = SimpleNamespace(settings={"batch_size": b}, hyper={"lr": 0.1})
        trials.append(SimpleNamespace(index=i, seed=0, spec=spec))
        outcomes[i] = SimpleNamespace(result=SimpleNamespace(extra={"steps_to_target": round(steps_curve(b, s_min, b_crit))}))
    cb = critical_batch_from_sweep(trials, outcomes)
    assert cb["b_crit"] == pytest.approx(b_crit, rel=0.02) and cb["s_min"] == pytest.approx(s_min, rel=0.02)
    assert [m["batch"] for m in cb["measured"]] == [2, 4, 8, 16, 32, 64, 128]
    assert "one lr" in cb["lr_choice"]
    # the attribute issue 23 adds wins over extra; without either there is no fit
    assert steps_to_target_of(SimpleNamespace(steps_to_target=7, extra={"steps_to_target": 9})) == 7
    for o in outcomes.values():
        o.result = SimpleNamespace(extra={})
    assert critical_batch_from_sweep(trials, outcomes) is None


def test_the_text_plot_and_line():
    from sgd_tui.replay.critical_batch import critical_batch_line, critical_batch_text

    pts = [BatchPoint(b, steps_curve(b, 100.0, 20.0), samples_curve(b, 100.0, 20.0), 0.1) for b in BATCHES]
    fit = fit_critical_batch(pts)
    cb = {**fit.as_dict(), "lr_choice": "one lr", "b_simple_median": 17.5,
          "measured": [{"batch": p.batch, "lr": p.lr, "steps": p.steps, "samples": p.samples} for p in pts]}
    text = critical_batch_text(cb, "demo")
    assert "demo: steps to target" in text and "demo: examples to target" in text
    assert "B_crit = 20 " in critical_batch_line(cb) and "B_simple (median of the trials' last) = 17.5" in text
