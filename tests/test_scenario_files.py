"""Every scenario shipped in scenarios/ (whoever wrote it) validates, through the API and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from sgd_tui.core.scenario import find_scenarios, load_scenario, scenarios_dir

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "scenarios").glob("*.toml"))


def test_the_project_scenario_directory_is_used_by_default(monkeypatch):
    monkeypatch.delenv("SGD_TUI_SCENARIOS", raising=False)
    assert scenarios_dir().resolve() == (ROOT / "scenarios").resolve()
    names = [n for n, _, _ in find_scenarios()]
    assert "optimizer-race" in names and names == sorted(names)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_scenario_file_validates(path):
    s = load_scenario(path)
    assert s.title and s.description.strip(), "a shipped scenario says what it shows and what to look for"
    assert s.runs and len({r.label for r in s.runs}) == len(s.runs)


def test_validate_accepts_every_shipped_scenario(cli):
    proc = cli("--validate", *FILES, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count(": ok (") == len(FILES)


def test_optimizer_race_runs_every_optimizer_of_the_registry_from_one_start():
    from sgd_tui.core.optimizers import OPTIMIZERS

    s = load_scenario("optimizer-race")
    assert sorted(r.optimizer for r in s.runs) == sorted(OPTIMIZERS)
    assert {r.objective for r in s.runs} == {"rosenbrock"}
    assert {r.objective_options["start"] for r in s.runs} == {(-1.5, 2.0)}
    assert s.budget["steps"] >= 2000
