"""What ``sgd-tui --list-scenarios | --list-objectives | --list-optimizers`` and ``--validate PATH...`` print
(registries and scenario files only: no torch, no textual), and :func:`say`, the command's safe print."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from sgd_tui import exit_codes
from sgd_tui.core.errors import ScenarioError
from sgd_tui.core.objectives.registry import OBJECTIVES
from sgd_tui.core.optim.registry import OPTIMIZERS
from sgd_tui.core.params import format_value
from sgd_tui.core.run.spec import RUN_PARAMS
from sgd_tui.core.scenario.files import PLAYLIST, find_scenarios, scenarios_dir
from sgd_tui.core.scenario.lecture import load_lecture
from sgd_tui.core.scenario.parse import load_scenario
from sgd_tui.core.text import safe_text

__all__ = ["say", "list_scenarios", "list_objectives", "list_optimizers", "validate_files"]


def say(text: object, file=None) -> None:
    """Print a line that may hold text from a file or the command line, made safe (core.text.safe_text)."""
    print(safe_text(text), file=sys.stdout if file is None else file)


def list_scenarios() -> int:

    found = find_scenarios()
    if not found:
        say(f"no scenarios in {scenarios_dir()}")
        return exit_codes.OK
    names = [safe_text(n, newlines=False) for n, _, _ in found]
    width = max(len(n) for n in names)
    for name, (_, path, title) in zip(names, found):
        mark = _sweep_mark(path)
        say(f"{name:<{width}}  {safe_text(title, newlines=False)}" + (f"  [{mark}]" if mark else ""))
    return exit_codes.OK


def _sweep_mark(path) -> str:
    """``sweep: lr × 3 seeds`` for a sweep scenario, from the file alone (--validate counts the trials)."""

    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("sweep")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return ""
    if not isinstance(table, dict):
        return ""
    keys = [k for k, v in table.items() if isinstance(v, list) and k != "seeds"]
    seeds = table.get("seeds")
    n = len(seeds) if isinstance(seeds, list) else seeds if isinstance(seeds, int) else 1
    return "sweep: " + " × ".join([*keys, f"{n} seed{'s' if n != 1 else ''}"])


def _param_lines(params, indent: str = "    ") -> list[str]:

    width = max((len(p.name) for p in params), default=0)
    dwidth = max((len(format_value(p.default)) for p in params), default=0)
    return [f"{indent}{p.name:<{width}}  {format_value(p.default):<{dwidth}}  {p.help}; {p.allowed()}"
            for p in params]


def list_objectives() -> int:

    for info in OBJECTIVES.values():
        print(f"{info.name} ({info.kind}): {info.title}")
        print(f"    {info.formula}" + (f"  ({info.help})" if info.help else ""))
        print("\n".join(_param_lines(info.params, "      ")))
        print()
    return exit_codes.OK


def list_optimizers() -> int:

    for info in OPTIMIZERS.values():
        print(f"{info.name}: {info.title}" + (" [full batch]" if info.full_batch else ""))
        print(f"    {info.rule}")
        print("\n".join(_param_lines(info.params, "      ")))
        print()
    print("run settings (in [optimizer] or [[runs]], for every optimizer):")
    print("\n".join(_param_lines(RUN_PARAMS, "      ")))
    return exit_codes.OK


def validate_files(paths: list[str], max_trials: int | None = None) -> int:

    code = exit_codes.OK
    for path in paths:
        try:
            if Path(path).name == PLAYLIST:  # the lecture playlist: its demos must be scenarios
                lecture = load_lecture(path)
                say(f"{path}: ok (lecture playlist: {len(lecture.demos)} demos: {safe_text(lecture.title)})")
                continue
            s = load_scenario(path, max_trials=max_trials)
        except ScenarioError as e:
            say(e, sys.stderr)
            code = exit_codes.BAD_INPUT
            continue
        title = safe_text(s.title, newlines=False)
        if s.sweep is not None:
            say(f"{path}: ok (sweep: {s.sweep.describe()}: {title})")
            continue
        say(f"{path}: ok ({len(s.runs)} run{'s' if len(s.runs) != 1 else ''}: {title})")
    return code
