"""batch_scale = k: the linear rule for SGD (lr ×k), the square-root rule for Adam (lr ×√k), applied when a
scenario is resolved; a sweep axis; and the errors it gives."""

from __future__ import annotations

import math

import pytest
from core_helpers import parse

from sgd_tui.core.errors import ScenarioError
from sgd_tui.core.optim.scaling import lr_factor, scaling_rule

HEAD = """\
schema = 1
[objective]
name = "linear_regression"
n_samples = 512
[budget]
steps = 10
[optimizer]
name = "sgd"
lr = 0.01
batch_size = 8
"""


def test_rules():
    assert scaling_rule("sgd") == scaling_rule("nesterov") == "linear" and scaling_rule("adam") == "sqrt"
    assert lr_factor("polyak", 8) == 8.0 and lr_factor("adamw", 16) == pytest.approx(4.0)


def test_runs_are_resolved_with_the_scaled_batch_and_lr():
    s = parse(HEAD + """
[[runs]]
label = "sgd x4"
batch_scale = 4
[[runs]]
label = "adam x4"
name = "adam"
lr = 0.001
batch_scale = 4
[[runs]]
label = "plain"
""")
    sgd, adam, plain = s.runs
    assert (sgd.settings["batch_size"], sgd.hyper["lr"]) == (32, pytest.approx(0.04))
    assert (adam.settings["batch_size"], adam.hyper["lr"]) == (32, pytest.approx(0.002))
    assert (plain.settings["batch_size"], plain.hyper["lr"]) == (8, 0.01)
    from sgd_tui.core.scenario.write import scenario_to_toml

    again = parse(scenario_to_toml(s)).runs  # applied once: written back, it does not scale again
    assert [(r.settings["batch_size"], r.hyper["lr"]) for r in again] == [(32, pytest.approx(0.04)),
                                                                           (32, pytest.approx(0.002)), (8, 0.01)]


def test_a_sweep_axis():
    s = parse(HEAD + """
[sweep]
batch_scale = [1, 2, 8]
""")
    got = [(t.values["batch_scale"], t.spec.settings["batch_size"], t.spec.hyper["lr"]) for t in s.sweep.trials]
    assert [(k, b) for k, b, _ in got] == [(1, 8), (2, 16), (8, 64)]
    assert all(math.isclose(lr, 0.01 * k) for k, _, lr in got)


def test_errors_name_the_key():
    with pytest.raises(ScenarioError) as e:
        parse(HEAD.replace("batch_size = 8", 'batch_size = "full"') + "batch_scale = 2\n")
    assert "t.toml:11: optimizer.batch_scale" in str(e.value) and "integer batch size" in str(e.value)
    with pytest.raises(ScenarioError) as e:
        parse(HEAD + "batch_scale = 128\n")  # 8 x 128 > 512 examples
    assert "exceeds the 512 training examples" in str(e.value)


def test_the_critical_batch_scenario_scales_perfectly_then_stops(tmp_path):
    """critical-batch with one seed and three scales: steps to loss 0.26 fall 16x from k = 1 to 16 (the
    same examples), k = 256 diverges; B_simple is measured at the start (about 1.5)."""
    import csv
    import json
    import tomllib

    from sgd_tui.core.scenario.files import scenarios_dir
    from sgd_tui.core.scenario.parse import parse_scenario
    from sgd_tui.core.scenario.write import toml_text
    from sgd_tui.replay.sweep import replay_sweep

    data = tomllib.loads((scenarios_dir() / "critical-batch.toml").read_text())
    data["sweep"].update(batch_scale=[1, 16, 256], seeds=1)
    data["budget"]["epochs"] = 1
    assert replay_sweep(parse_scenario(toml_text(data), "critical-batch.toml"), tmp_path, workers=1) == 0
    first: dict[str, int] = {}
    for r in csv.DictReader(open(tmp_path / "metrics.csv")):
        if float(r["loss"]) <= 0.26:
            first.setdefault(r["run"].split(" seed=")[0], int(r["step"]))
    assert 12 <= first["sgd batch_scale=1"] / first["sgd batch_scale=16"] <= 20, first
    assert "sgd batch_scale=256" not in first
    runs = json.load(open(tmp_path / "summary.json"))["runs"]
    assert [r["status"] for r in runs] == ["finished", "finished", "diverged"]
    assert runs[2]["extra"]["noise_scale"]["b_simple"] == pytest.approx(1.46, abs=0.05)
