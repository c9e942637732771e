"""Where scenario files live and what they are called: the directory and its listing, without the
validator (``--list-scenarios`` answers from here, fast). No torch import."""

from __future__ import annotations

import os
import tomllib
from importlib.resources import files
from pathlib import Path

__all__ = ["scenarios_dir", "find_scenarios", "find_local_scenarios", "PLAYLIST"]

PLAYLIST = "lecture.toml"  # the lecture playlist (core/scenario/lecture.py): in the folder, not a scenario


def scenarios_dir() -> Path:
    """The scenario directory: $SGD_TUI_SCENARIOS, else the package's ``scenarios`` folder. In a source
    checkout that is a link to the repository's top-level ``scenarios/`` (the lecturers' folder); in a
    wheel the files are copied in (package data), so ``pip install .`` and pipx find them too."""
    env = os.environ.get("SGD_TUI_SCENARIOS")
    if env:
        return Path(env)
    return Path(str(files("sgd_tui").joinpath("scenarios"))).resolve()


def find_scenarios() -> list[tuple[str, Path, str]]:
    """(name, path, title) of every scenario file, sorted by name. A file that does not parse is listed
    with a title saying so (``--validate`` tells why)."""
    out = []
    for path in sorted((p for p in scenarios_dir().glob("*.toml") if p.name != PLAYLIST),
                       key=lambda p: p.stem):  # by name: "a-b" after "a"
        try:
            title = str(tomllib.loads(path.read_text(encoding="utf-8")).get("title", ""))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):  # 1,000 nested `[`
            title = "(unreadable: run sgd-tui --validate on it)"
        out.append((path.stem, path, title))
    return out


def find_local_scenarios(folder: str | os.PathLike | None = None) -> list[tuple[str, Path, str]]:
    """(file name, path, title) of the scenario files in ``folder`` (the working folder by default: where
    the app's ``w`` saves), sorted by name: the ``*.toml`` files that read as a scenario (a ``schema``,
    ``[[runs]]`` or ``[optimizer]`` table), so a ``pyproject.toml`` beside them is not offered. Files of the
    package's own scenario folder are left out (they are listed by name)."""
    root = Path(folder) if folder is not None else Path.cwd()
    try:
        builtin = scenarios_dir().resolve()
        paths = sorted(p for p in root.glob("*.toml") if p.is_file() and p.resolve().parent != builtin)
    except OSError:
        return []
    out = []
    for path in paths:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
            continue
        if not any(k in data for k in ("schema", "runs", "optimizer")):
            continue
        out.append((path.name, path, str(data.get("title", ""))))
    return out
