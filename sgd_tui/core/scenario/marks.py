"""Short notes on a scenario file for the lists that offer it (the app's ``o`` dialog and command palette):
``sweep · 99 trials`` for a sweep, so that nobody starts 99 trials on every core by surprise."""

from __future__ import annotations

import tomllib
from pathlib import Path

from sgd_tui.core.errors import ScenarioError
from sgd_tui.core.scenario.parse import load_scenario

__all__ = ["sweep_mark"]


def sweep_mark(path: Path) -> str:
    """``sweep · 99 trials`` for a scenario file with a ``[sweep]`` table (``sweep`` when it does not load:
    opening it says why), '' for any other file."""
    try:
        table = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("sweep")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return ""
    if not isinstance(table, dict):
        return ""
    try:
        scenario = load_scenario(path)
    except (ScenarioError, OSError, ValueError):
        return "sweep"
    n = len(scenario.sweep.trials) if scenario.sweep is not None else 0
    return f"sweep · {n} trial{'s' if n != 1 else ''}"
