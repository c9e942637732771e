"""Scenario semantics: defaults, what [[runs]] inherit from [optimizer], per-run objectives, labels,
the resolved TOML round trip, command-line overrides, and where scenario files are found."""

from __future__ import annotations

import textwrap

import pytest

from sgd_tui.core.runspec import RunSpec
from sgd_tui.core.scenario import (
    ScenarioError, find_scenarios, load_scenario, parse_scenario, scenario_from_runs, scenario_to_toml,
    with_overrides,
)
from sgd_tui.core.toml_lines import locate_keys


def parse(text: str):
    return parse_scenario(textwrap.dedent(text), "t.toml")


BASE = """\
schema = 1
[objective]
name = "rosenbrock"
[budget]
steps = 20
"""


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
    assert [r.label for r in s.runs] == ["sgd lr=0.001", "adam lr=0.001", "mine"]


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
    s = parse(BASE + '[optimizer]\nname = "adam"\n[[runs]]\n[[runs]]\nlabel = "adam lr=0.001"\n')
    assert [r.label for r in s.runs] == ["adam lr=0.001", "adam lr=0.001 #2"]


def test_every_error_is_reported_at_once_with_file_and_line():
    text = BASE.replace("steps = 20", "steps = 0") + textwrap.dedent("""\
        [optimizer]
        name = "sgd"
        lr = -1.0
        [[runs]]
        momentum = -2
        bogus = 1
        [[runs]]
        nesterov = 1
        """)
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text, "x.toml")
    got = {(i.key, i.line) for i in err.value.issues}
    assert got >= {("budget.steps", 5), ("optimizer.lr", 8), ("runs[1].momentum", 10), ("runs[1].bogus", 11),
                   ("runs[2].nesterov", 13)}
    lines = str(err.value).splitlines()
    assert len(lines) == len(err.value.issues)
    assert "x.toml:11: runs[1].bogus: unknown key 'bogus'" in str(err.value)
    assert "momentum must be a number >= 0" in str(err.value)


def test_unknown_keys_suggest_the_close_one():
    with pytest.raises(ScenarioError) as err:
        parse(BASE + '[optimizer]\nname = "sgd"\nmomentun = 0.9\n')
    (issue,) = err.value.issues
    assert issue.key == "optimizer.momentun" and "did you mean 'momentum'?" in issue.message


def test_key_locator_handles_strings_arrays_and_inline_tables():
    where = locate_keys(textwrap.dedent('''\
        description = """
        lr = 5
        """
        x = [1,
          2]  # lr = 3
        [[runs]]
        a = { b = "c, d = e", f = [1, 2] }
        "quoted" = 1
        objective.noise = 2
        '''))
    assert where == {"description": 1, "x": 4, "runs[1]": 6, "runs[1].a": 7, "runs[1].a.b": 7, "runs[1].a.f": 7,
                     "runs[1].quoted": 8, "runs[1].objective.noise": 9}


def test_resolved_toml_round_trips_exactly():
    s = parse("""\
        schema = 1
        title = "round trip"
        description = "two lines\\nof text"
        seed = 7
        [objective]
        name = "linear_regression"
        n_samples = 50
        [budget]
        epochs = 2
        log_every = 3
        [optimizer]
        name = "sgd"
        lr = 0.1
        batch_size = 8
        schedule = "cosine"
        [[runs]]
        momentum = 0.9
        [[runs]]
        name = "gd"
        batch_size = "full"
        objective = { loss = "l1" }
        """)
    text = scenario_to_toml(s)
    again = parse_scenario(text, "again.toml")
    assert again.runs == s.runs
    assert (again.title, again.description, again.seed) == ("round trip", "two lines\nof text", 7)
    assert scenario_to_toml(again) == text


def test_overrides_replace_seed_device_and_budget_and_are_checked():
    s = parse(BASE + '[optimizer]\nname = "sgd"\n')
    o = with_overrides(s, seed=3, steps=7, device="cpu")
    assert [r.seed for r in o.runs] == [3] and o.runs[0].budget["steps"] == 7 and o.device == "cpu"
    with pytest.raises(ScenarioError) as err:
        with_overrides(s, epochs=2)
    assert err.value.issues[0].key == "budget.epochs"
    assert "command-line option" in err.value.issues[0].message


def test_scenario_from_runs_saves_what_replays():
    s = parse(BASE + '[optimizer]\nname = "adam"\nlr = 0.05\n')
    spec: RunSpec = s.runs[0]
    built = scenario_from_runs("My Race!", "from the app", 4, "cpu", {"steps": 9}, [spec, spec.with_changes(label="b")])
    assert built.name == "my-race"
    again = parse_scenario(scenario_to_toml(built))
    assert [r.label for r in again.runs] == [spec.label, "b"]
    assert all(r.seed == 4 and r.budget["steps"] == 9 and r.hyper["lr"] == 0.05 for r in again.runs)


def test_scenarios_are_found_by_name_in_the_directory_of_the_environment(tmp_path, monkeypatch):
    (tmp_path / "b.toml").write_text(BASE + 'title = "B"\n[optimizer]\nname = "sgd"\n'.replace("title", "#"))
    (tmp_path / "a.toml").write_text('schema = 1\ntitle = "A"\n' + BASE[10:] + '[optimizer]\nname = "gd"\n')
    monkeypatch.setenv("SGD_TUI_SCENARIOS", str(tmp_path))
    assert [(n, t) for n, _, t in find_scenarios()] == [("a", "A"), ("b", "")]
    assert load_scenario("a").runs[0].optimizer == "gd"
    assert load_scenario(tmp_path / "b.toml").name == "b"
    with pytest.raises(ScenarioError) as err:
        load_scenario("aa")
    assert "unknown scenario 'aa' (did you mean 'a'?)" in str(err.value)
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(str(tmp_path / "missing.toml"))


@pytest.mark.parametrize("text", ['plain', 'with "quotes" and \\ backslash', 'two\nlines', 'ends with """ quotes\n',
                                  'tab\tand ünïcode', 'control \x01 char\nand newline'])
def test_strings_survive_the_toml_writer(text):
    s = parse(BASE + '[optimizer]\nname = "sgd"\n')
    s.description = text
    s.title = text
    again = parse_scenario(scenario_to_toml(s))
    assert (again.title, again.description) == (text, text)
