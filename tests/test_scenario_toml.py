"""Scenarios as TOML text: the key locator behind file:line errors, and the writer -- the resolved TOML
round trips exactly, strings survive it, and a scenario built from the app's runs saves what replays."""

from __future__ import annotations

import textwrap

import pytest
from core_helpers import SCENARIO_HEAD as BASE
from core_helpers import parse

from sgd_tui.core.run.spec import RunSpec
from sgd_tui.core.scenario.model import scenario_from_runs
from sgd_tui.core.scenario.parse import parse_scenario
from sgd_tui.core.scenario.toml_lines import locate_keys
from sgd_tui.core.scenario.write import scenario_to_toml


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


def test_scenario_from_runs_saves_what_replays():
    s = parse(BASE + '[optimizer]\nname = "adam"\nlr = 0.05\n')
    spec: RunSpec = s.runs[0]
    built = scenario_from_runs("My Race!", "from the app", 4, "cpu", {"steps": 9}, [spec, spec.with_changes(label="b")])
    assert built.name == "my-race"
    again = parse_scenario(scenario_to_toml(built))
    assert [r.label for r in again.runs] == [spec.label, "b"]
    assert all(r.seed == 4 and r.budget["steps"] == 9 and r.hyper["lr"] == 0.05 for r in again.runs)


@pytest.mark.parametrize("text", ['plain', 'with "quotes" and \\ backslash', 'two\nlines', 'ends with """ quotes\n',
                                  'tab\tand ünïcode', 'control \x01 char\nand newline'])
def test_strings_survive_the_toml_writer(text):
    s = parse(BASE + '[optimizer]\nname = "sgd"\n')
    s.description = text
    s.title = text
    again = parse_scenario(scenario_to_toml(s))
    assert (again.title, again.description) == (text, text)
