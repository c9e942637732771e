"""Scenario validation errors: every issue of a file reported at once, each at its file:line:key with what
is allowed, and close misspellings named. (The corpus of bad files is test_scenario_corpus.py.)"""

from __future__ import annotations

import textwrap

import pytest
from core_helpers import SCENARIO_HEAD as BASE
from core_helpers import parse

from sgd_tui.core.errors import ScenarioError
from sgd_tui.core.scenario.parse import parse_scenario


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
