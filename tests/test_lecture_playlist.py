"""The lecture playlist: scenarios/lecture.toml orders the demos; every name is a scenario, none twice,
the lecture's own demos all there; a bad playlist names file, line and key; it is not listed as a scenario."""

from __future__ import annotations

import pytest

from sgd_tui.core.errors import ScenarioError
from sgd_tui.core.scenario.files import find_scenarios
from sgd_tui.core.scenario.lecture import load_lecture, parse_lecture

KNOWN = {"a", "b", "c"}


def test_the_bundled_playlist_loads_and_orders_the_lecture():
    lecture = load_lecture()
    names = {n for n, _, _ in find_scenarios()}
    assert set(lecture.demos) <= names and len(set(lecture.demos)) == len(lecture.demos)
    d = list(lecture.demos)
    # the lecture's order: losses before GD, SGD before momentum, momentum before Newton and Adam,
    # the PyTorch script before the FashionMNIST demos
    assert d.index("losses") < d.index("gd-vs-sgd") < d.index("why-momentum") < d.index("gd-vs-newton")
    assert d.index("gd-vs-newton") < d.index("adam-vs-amsgrad") < d.index("lecture-script") < d.index("batch-size")
    assert "lecture" not in names


def test_after_steps_through_and_stops_at_the_ends():
    lecture = parse_lecture('[lecture]\ntitle = "t"\ndemos = ["a", "b", "c"]\n', known=KNOWN)
    assert [lecture.after("a"), lecture.after("b"), lecture.after("c")] == ["b", "c", None]
    assert [lecture.after("c", -1), lecture.after("a", -1)] == ["b", None]
    assert lecture.after("elsewhere") == "a" and lecture.after("elsewhere", -1) is None


@pytest.mark.parametrize("text, key, words", [
    ('[lecture]\ntitle = "t"\ndemos = ["a", "nope"]\n', "lecture.demos", "no scenario 'nope'"),
    ('[lecture]\ntitle = "t"\ndemos = []\n', "lecture.demos", "non-empty list"),
    ('[lecture]\ntitle = 3\ndemos = ["a"]\n', "lecture.title", "must be a string"),
    ('[lecture]\ndemos = ["a", "a"]\n', "lecture.demos", "twice"),
    ('[lecture]\ndemos = ["a"]\nspeed = 2\n', "lecture.speed", "unknown key"),
])
def test_a_bad_playlist_names_file_line_and_key(text, key, words):
    with pytest.raises(ScenarioError) as e:
        parse_lecture(text, "my-lecture.toml", known=KNOWN)
    issue = e.value.issues[0]
    assert issue.file == "my-lecture.toml" and issue.key == key and words in issue.message
    assert issue.line == next(i for i, line in enumerate(text.splitlines(), 1) if key.split(".")[-1] in line)


def test_opening_the_playlist_as_a_scenario_says_what_it_is():
    from sgd_tui.core.scenario.parse import load_scenario

    with pytest.raises(ScenarioError, match="lecture playlist, not a scenario"):
        load_scenario("lecture")
