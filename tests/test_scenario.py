"""Scenario resolution: a file's tables become RunSpecs -- defaults, what [[runs]] inherit from [optimizer],
per-run objectives, labels, and the command-line overrides.

Elsewhere: validation errors (test_scenario_errors.py), the bad-file corpus (test_scenario_corpus.py), the
TOML writer and key locator (test_scenario_toml.py), where files are found (test_scenario_files.py)."""

from __future__ import annotations

import pytest
from core_helpers import SCENARIO_HEAD as BASE
from core_helpers import parse

from sgd_tui.core.errors import ScenarioError
from sgd_tui.core.scenario.parse import parse_scenario, with_overrides
from sgd_tui.core.scenario.write import scenario_to_toml


def test_without_runs_it_is_one_run_of_the_optimizer_table():
    s = parse(BASE + '[optimizer]\nname = "sgd"\nlr = 0.002\nmomentum = 0.5\n')
    assert s.seed == 0 and s.device == "auto" and s.title == "t"
    (run,) = s.runs
    assert run.optimizer == "sgd"
    assert run.hyper == {"lr": 0.002, "momentum": 0.5, "dampening": 0.0, "weight_decay": 0.0,
                         "nesterov": False, "maximize": False}
    assert run.budget["steps"] == 20 and run.budget["epochs"] is None
    assert run.objective_options == {"start": None, "noise": 0.0, "a": 1.0, "b": 100.0}
    assert run.label == "sgd lr=0.002 momentum=0.5"


def test_runs_override_the_optimizer_table_and_another_optimizer_takes_only_its_own_keys():
    s = parse(BASE + """\
        [optimizer]
        name = "sgd"
        lr = 0.001
        momentum = 0.9
        schedule = "step"
        [[runs]]
        momentum = 0.0
        [[runs]]
        name = "adam"
        [[runs]]
        name = "rmsprop"
        label = "mine"
        """)
    sgd, adam, rms = s.runs
    assert sgd.hyper["lr"] == 0.001 and sgd.hyper["momentum"] == 0.0
    assert adam.optimizer == "adam" and adam.hyper["lr"] == 0.001 and "momentum" not in adam.hyper
    assert rms.hyper["momentum"] == 0.9  # rmsprop has a momentum too: it carries over
    assert all(r.settings["schedule"] == "step" for r in s.runs)  # run settings always carry over
    assert [r.label for r in s.runs] == ["sgd lr=0.001", "adam", "mine"]  # defaults (adam lr 0.001) left out


def test_a_run_can_change_the_objective_inline_or_as_a_subtable():
    s = parse("""\
        schema = 1
        [objective]
        name = "quadratic"
        condition = 50.0
        start = [1.0, 1.0]
        [budget]
        steps = 5
        [optimizer]
        name = "gd"
        [[runs]]
        objective = { noise = 0.5 }
        [[runs]]
        [runs.objective]
        name = "rosenbrock"
        """)
    noisy, rosen = s.runs
    assert noisy.objective == "quadratic"
    assert noisy.objective_options["noise"] == 0.5 and noisy.objective_options["condition"] == 50.0
    assert rosen.objective == "rosenbrock"
    assert rosen.objective_options["start"] == (1.0, 1.0)  # shared options carry over, condition does not
    assert "condition" not in rosen.objective_options
    assert rosen.label.endswith("on rosenbrock") and noisy.label.endswith("on quadratic")


def test_duplicate_labels_are_made_unique():
    s = parse(BASE + '[optimizer]\nname = "adam"\n[[runs]]\n[[runs]]\nlabel = "adam"\n')
    assert [r.label for r in s.runs] == ["adam", "adam #2"]


def test_overrides_replace_seed_device_and_budget_and_are_checked():
    s = parse(BASE + '[optimizer]\nname = "sgd"\n')
    o = with_overrides(s, seed=3, steps=7, device="cpu")
    assert [r.seed for r in o.runs] == [3] and o.runs[0].budget["steps"] == 7 and o.device == "cpu"
    with pytest.raises(ScenarioError) as err:
        with_overrides(s, epochs=2)
    assert err.value.issues[0].key == "budget.epochs"
    assert "command-line option" in err.value.issues[0].message


def test_view_table_is_validated_with_file_line_and_key_and_round_trips():
    text = BASE + '[optimizer]\nname = "sgd"\n[view]\nx = "epoch"\ny = "lig"\nsmoothing = 2\ncolour = 1\n'
    with pytest.raises(ScenarioError) as e:
        parse(text)
    msg = str(e.value)
    assert 't.toml:9: view.x: rosenbrock has no training set, hence no epochs' in msg
    assert 't.toml:10: view.y: Invalid y: "lig" (y must be one of "log", "linear")' in msg
    assert "t.toml:11: view.smoothing:" in msg and "[0, 0.99]" in msg
    assert ("t.toml:12: view.colour: unknown key 'colour'; [view] takes: x, y, loss, smoothing, plots, y_floor, "
            "bands_x, curvature") in msg
    s = parse(BASE + '[optimizer]\nname = "sgd"\n[view]\nx = "samples"\nloss = "gap"\nplots = "loss"\n')
    assert s.view == {"x": "samples", "y": "log", "loss": "gap", "smoothing": 0.0, "plots": "loss", "y_floor": 0.0,
                      "bands_x": "auto", "curvature": "value"}
    again = parse_scenario(scenario_to_toml(s), "again.toml")
    assert again.view == s.view
    assert parse(BASE + '[optimizer]\nname = "sgd"\n').view["x"] == "step"  # every key optional
    s = parse(BASE + '[optimizer]\nname = "sgd"\n[view]\ny_floor = 1e-8\nbands_x = "step"\n')
    assert (s.view["y_floor"], s.view["bands_x"]) == (1e-8, "step")
    assert parse_scenario(scenario_to_toml(s), "again.toml").view == s.view
    with pytest.raises(ScenarioError) as e:
        parse(BASE + '[optimizer]\nname = "sgd"\n[view]\ny_floor = -1\nbands_x = "epoch"\n')
    msg = str(e.value)
    assert "t.toml:9: view.y_floor:" in msg
    assert "t.toml:10: view.bands_x: rosenbrock has no training set, hence no epochs" in msg
