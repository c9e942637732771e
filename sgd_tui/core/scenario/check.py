"""The scenario validator's issue collector: every problem of one scenario text, each at its file, line
(1-based, from :func:`~sgd_tui.core.scenario.toml_lines.locate_keys`) and dotted key path with what is allowed.

Used by :mod:`sgd_tui.core.scenario.parse` while it resolves a file into RunSpecs; a value is checked by its
registry :class:`~sgd_tui.core.params.Param`, whose message says the allowed range.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from sgd_tui.core.errors import ParamError, ScenarioIssue
from sgd_tui.core.params import Param
from sgd_tui.core.scenario.toml_lines import line_of, locate_keys
from sgd_tui.core.text import shorten

__all__ = ["Checker", "show_value", "join_key"]


class Checker:
    """Collects issues with file and line for one scenario text."""

    def __init__(self, text: str, file: str):
        self.file = file
        self.where = locate_keys(text)
        self.issues: list[ScenarioIssue] = []

    def add(self, key: str, message: str) -> None:
        issue = ScenarioIssue(self.file, line_of(self.where, key) if key else None, shorten(key), message)
        if not any(i.key == issue.key and i.message == issue.message for i in self.issues):
            self.issues.append(issue)

    def check(self, param: Param, value: Any, key: str) -> Any:
        try:
            return param.check(value)
        except ParamError as e:
            self.add(key, str(e))
            return param.default

    def table(self, value: Any, key: str) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            last = key.split(".")[-1]
            header = f"runs.{last}" if key.startswith("runs[") else key
            self.add(key, f"must be a table ([{header}] or {last} = {{ ... }}), got {show_value(value)}")
            return {}
        return value

    def unknown(self, key: str, allowed: list[str], where: str) -> None:
        hint = difflib.get_close_matches(key.split(".")[-1], allowed, n=1)
        msg = f"unknown key {shorten(repr(key.split('.')[-1]))}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
        self.add(key, f"{msg}; {where} takes: " + ", ".join(allowed))


def show_value(value: Any) -> str:
    """A value echoed in a message (strings in quotes, the rest as JSON), cut to a readable length."""
    return shorten(json.dumps(value, default=str) if not isinstance(value, str) else repr(value))


def join_key(prefix: str, key: str) -> str:
    """The dotted key path ``prefix.key`` (``key`` alone at the top level)."""
    return f"{prefix}.{key}" if prefix else key
