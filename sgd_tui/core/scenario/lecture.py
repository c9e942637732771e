"""The lecture playlist: ``scenarios/lecture.toml`` orders the demos as the lecture runs them, so a
lecturer opens the first with ``sgd-tui --lecture`` and steps through them (PageDown / PageUp in the app).

The file is a ``[lecture]`` table with a ``title`` and ``demos``, a list of scenario names of the
scenario folder::

    [lecture]
    title = "Stochastic gradient descent"
    demos = ["losses", "regularization", "gd-vs-sgd", ...]

It is not a scenario: the scenario listing leaves it out (:data:`PLAYLIST`). A problem is a
:class:`~sgd_tui.core.errors.ScenarioError` at file:line:key, like a scenario's.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from sgd_tui.core.errors import ScenarioError, ScenarioIssue
from sgd_tui.core.scenario.check import Checker, show_value
from sgd_tui.core.scenario.files import PLAYLIST, find_scenarios, scenarios_dir

__all__ = ["Lecture", "load_lecture", "parse_lecture"]


@dataclass(frozen=True)
class Lecture:
    """The demos in lecture order (scenario names) and the lecture's title."""

    title: str
    demos: tuple[str, ...]
    path: Path | None = None

    def after(self, name: str | None, step: int = 1) -> str | None:
        """The demo ``step`` places after ``name`` (before it for a negative step), None past either end;
        a name not in the playlist gives the first demo (going on) or None (going back)."""
        if name not in self.demos:
            return self.demos[0] if step > 0 else None
        i = self.demos.index(name) + step
        return self.demos[i] if 0 <= i < len(self.demos) else None


def parse_lecture(text: str, path: str | Path = "<string>", known: set[str] | None = None) -> Lecture:
    """Read a playlist; every demo must name a scenario of ``known`` (default: the scenario folder's)."""
    file = str(path)
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as e:
        raise ScenarioError([ScenarioIssue(file, None, "", f"TOML syntax error: {e}")]) from None
    c = Checker(text, file)
    for key in data:
        if key != "lecture":
            c.unknown(key, ["lecture"], "a lecture playlist")
    table = c.table(data.get("lecture"), "lecture")
    if "lecture" not in data:
        c.add("", "missing: a [lecture] table with title and demos")
    for key in table:
        if key not in ("title", "demos"):
            c.unknown(f"lecture.{key}", ["title", "demos"], "[lecture]")
    title = table.get("title", "Lecture")
    if not isinstance(title, str):
        c.add("lecture.title", f"must be a string, got {show_value(title)}")
        title = "Lecture"
    demos = table.get("demos", [])
    if not isinstance(demos, list) or not demos or not all(isinstance(d, str) for d in demos):
        c.add("lecture.demos", f"must be a non-empty list of scenario names, got {show_value(demos)}")
        demos = []
    names = known if known is not None else {n for n, _, _ in find_scenarios()}
    for d in demos:
        if d not in names:
            c.add("lecture.demos", f"no scenario {d!r} in {scenarios_dir()} (sgd-tui --list-scenarios lists them)")
    if len(set(demos)) != len(demos):
        c.add("lecture.demos", "a demo is listed twice")
    if c.issues:
        raise ScenarioError(c.issues)
    return Lecture(title, tuple(demos), Path(file) if file != "<string>" else None)


def load_lecture(path: str | Path | None = None) -> Lecture:
    """The playlist at ``path`` (default: the scenario folder's ``lecture.toml``)."""
    p = Path(path) if path is not None else scenarios_dir() / PLAYLIST
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ScenarioError([ScenarioIssue(str(p), None, "", f"cannot read the lecture playlist: "
                                                           f"{e.strerror or e}")]) from None
    return parse_lecture(text, p)
