"""Time to target (budget target_loss, core.run.target): the run stops at the first check (every log_every
steps) at which its *training* loss is at or below the target, never on the noisy batch loss."""

from __future__ import annotations

import json
import math

import pytest
import torch
from core_helpers import make_spec, run_to_end

from sgd_tui.core.errors import ScenarioError
from sgd_tui.core.run.engine import Runner
from sgd_tui.core.scenario.parse import parse_scenario


def _with_target(spec, target, subset=None):
    spec.budget["target_loss"] = target
    if subset is not None:
        spec.budget["target_subset"] = subset
    return spec


def _gd_quadratic_loss(k: int, lr: float, kappa: float, start=(-4.0, 3.0)) -> float:
    """f after k GD steps on ½(x² + κy²), in closed form: x_k = (1-α)^k x_0, y_k = (1-ακ)^k y_0."""
    x = (1.0 - lr) ** k * start[0]
    y = (1.0 - lr * kappa) ** k * start[1]
    return 0.5 * (x * x + kappa * y * y)


@pytest.mark.parametrize("log_every", [1, 7])
def test_gd_on_a_quadratic_stops_at_the_step_the_closed_form_predicts(log_every):
    lr, kappa, target = 0.05, 10.0, 1e-3
    # by hand: the first multiple of log_every with f_k <= target
    expected = next(k for k in range(0, 10_000, log_every) if _gd_quadratic_loss(k, lr, kappa) <= target)
    assert _gd_quadratic_loss(expected - log_every, lr, kappa) > target  # not met at the check before
    first_below = next(k for k in range(10_000) if _gd_quadratic_loss(k, lr, kappa) <= target)
    assert (first_below < expected) == (log_every == 7)  # checked every 7 steps: found at the next check (91, not 90)
    spec = _with_target(make_spec("quadratic", "gd", steps=2000, lr=lr, log_every=log_every,
                                  objective_options={"condition": kappa}), target)
    runner, result = run_to_end(spec)
    assert result.status == "reached"
    assert result.steps == result.steps_to_target == expected
    assert result.samples_to_target == expected  # a surface: one sample per step
    assert result.seconds_to_target is not None and 0.0 <= result.seconds_to_target <= result.time_s
    assert result.final_loss == pytest.approx(_gd_quadratic_loss(expected, lr, kappa), rel=1e-5)
    d = result.to_dict()
    assert d["target_loss"] == target and d["steps_to_target"] == expected


def test_not_reached_gives_empty_figures_and_no_target_no_keys():
    spec = _with_target(make_spec("quadratic", "gd", steps=20, lr=0.01), 1e-9)
    _, result = run_to_end(spec)
    assert result.status == "finished"
    d = result.to_dict()
    assert d["steps_to_target"] is None and d["samples_to_target"] is None and d["seconds_to_target"] is None
    _, plain = run_to_end(make_spec("quadratic", "gd", steps=20, lr=0.01))
    assert "steps_to_target" not in plain.to_dict() and "target_loss" not in plain.to_dict()


def test_a_start_below_the_target_is_zero_steps():
    spec = _with_target(make_spec("quadratic", "gd", steps=50, lr=0.1), 1e6)
    _, result = run_to_end(spec)
    assert (result.status, result.steps_to_target, result.steps) == ("reached", 0, 0)


def test_a_diverging_run_never_reaches():
    spec = _with_target(make_spec("quadratic", "gd", steps=200, lr=10.0), 1e-3)
    _, result = run_to_end(spec)
    assert result.status == "diverged" and result.steps_to_target is None


def _mlp_spec(target=None, subset=None, log_every=5):
    spec = make_spec("mlp_regression", "sgd", steps=400, lr=0.05, batch_size=1, log_every=log_every, seed=3)
    return spec if target is None else _with_target(spec, target, subset)


def test_data_sets_check_the_training_loss_not_the_batch_loss():
    """Replay the same run without a target, measuring R(θ) on the whole training set ourselves every
    log_every steps: the target run stops at the first such step with R <= target. The batch losses (batch
    size 1: very noisy) fall below the target much earlier, which must not stop it."""
    log_every = 5
    free = Runner(_mlp_spec(log_every=log_every))
    p = free.problem
    full, batch = [], []
    while not free.done:
        recs, _, _ = free.advance(1)
        batch += [(r.step, r.loss) for r in recs]
        if free.step % log_every == 0:
            with torch.no_grad():
                full.append((free.step, float(p.training_loss(p.params, None))))
    target = sorted(v for _, v in full)[len(full) // 3]  # reached about two thirds of the way
    expected = next(s for s, v in full if v <= target)
    early_batch = [s for s, v in batch if v <= target and s < expected]
    assert early_batch, "the test needs a batch loss below the target before the training loss gets there"
    assert p.n_train <= 1000  # the whole set is measured (target_subset's default covers it)
    _, result = run_to_end(_mlp_spec(target, log_every=log_every))
    assert result.status == "reached" and result.steps_to_target == expected
    assert result.samples_to_target == expected  # batch size 1


def test_large_sets_use_a_fixed_seeded_subset():
    runner = Runner(_mlp_spec(1e-9, subset=50))
    idx = runner.target.idx
    assert idx is not None and idx.numel() == 50 and runner.target.subset_size == 50
    again = Runner(_mlp_spec(1e-9, subset=50)).target.idx
    assert torch.equal(idx, again)
    p = runner.problem
    with torch.no_grad():
        want = float(p.training_loss(p.params, idx))
    assert runner.target.loss() == pytest.approx(want, rel=1e-12)
    assert not math.isclose(want, float(p.training_loss(p.params, None).detach()), rel_tol=1e-9)


def test_scenario_keys_are_validated_with_file_line_and_key():
    bad = 'schema = 1\n[objective]\nname = "quadratic"\n[budget]\nsteps = 10\ntarget_subset = 0\n[optimizer]\nname = "gd"\n'
    with pytest.raises(ScenarioError) as e:
        parse_scenario(bad, "t.toml")
    assert "t.toml:6" in str(e.value) and "budget.target_subset" in str(e.value)
    bad2 = bad.replace("target_subset = 0", 'target_loss = "low"')
    with pytest.raises(ScenarioError) as e:
        parse_scenario(bad2, "t.toml")
    assert "t.toml:6" in str(e.value) and "budget.target_loss" in str(e.value)
    ok = parse_scenario(bad.replace("target_subset = 0", "target_loss = 0.01"), "t.toml")
    assert ok.runs[0].budget["target_loss"] == 0.01


def test_headless_summary_has_time_to_target(tmp_path):
    from sgd_tui.replay.run import replay

    text = ('schema = 1\n[objective]\nname = "quadratic"\n[budget]\nsteps = 500\nlog_every = 1\n'
            'target_loss = 0.001\n[optimizer]\nname = "gd"\nlr = 0.05\n')
    s = parse_scenario(text, "t.toml")
    assert replay(s, tmp_path / "out", progress=None) == 0
    run = json.loads((tmp_path / "out" / "summary.json").read_text())["runs"][0]
    expected = next(k for k in range(10_000) if _gd_quadratic_loss(k, 0.05, 10.0) <= 1e-3)
    assert run["status"] == "reached" and run["steps_to_target"] == expected
    assert run["samples_to_target"] == expected and run["seconds_to_target"] >= 0
