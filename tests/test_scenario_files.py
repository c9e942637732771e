"""Scenario files: where they are found (the project directory, $SGD_TUI_SCENARIOS, by name or path), and
every scenario shipped in scenarios/ (whoever wrote it) validates, through the API and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from core_helpers import SCENARIO_HEAD as BASE

from sgd_tui.core.errors import ScenarioError
from sgd_tui.core.scenario.files import find_scenarios, scenarios_dir
from sgd_tui.core.scenario.parse import load_scenario

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "scenarios").glob("*.toml"))
SCENARIO_FILES = [p for p in FILES if p.name != "lecture.toml"]  # lecture.toml is the playlist


def test_the_project_scenario_directory_is_used_by_default(monkeypatch):
    monkeypatch.delenv("SGD_TUI_SCENARIOS", raising=False)
    assert scenarios_dir().resolve() == (ROOT / "scenarios").resolve()
    names = [n for n, _, _ in find_scenarios()]
    assert "optimizer-race" in names and names == sorted(names)


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_scenario_file_validates(path):
    s = load_scenario(path)
    assert s.title and s.description.strip(), "a shipped scenario says what it shows and what to look for"
    assert s.runs and len({r.label for r in s.runs}) == len(s.runs)


def test_validate_accepts_every_shipped_scenario(cli):
    proc = cli("--validate", *FILES, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count(": ok (") == len(FILES)


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
