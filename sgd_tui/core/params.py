"""Hyperparameter and option specifications.

One `Param` describes one setting: its name, type, default, allowed range and a one-line help.
The registries (objectives, optimizers, run settings) are lists of Params; the scenario validator,
the app's forms, ``--list-*`` and the parametrised tests are all generated from them.

This module must stay importable without torch, textual, rich or plotext.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sgd_tui.core.errors import ParamError
from sgd_tui.core.text import shorten

__all__ = ["Param", "format_value", "check_values"]


def format_value(value: Any) -> str:
    """Render a value the way it is written in a scenario file (TOML-ish)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if value is None:
        return "(none)"
    return str(value)


@dataclass(frozen=True)
class Param:
    """One setting.

    kind is one of:
      ``float``   a finite real number (ints are accepted and converted; inf and nan are not)
      ``int``     an integer
      ``bool``    true / false
      ``str``     one of ``choices``
      ``text``    any string (labels)
      ``pair``    two finite floats, e.g. ``betas = [0.9, 0.999]``; low/high bound each element
      ``point``   two finite floats, a point in the plane (``start = [-1.5, 2.0]``)
      ``batch``   an integer >= 1 or the string "full"
      ``floats``  a list of non-negative floats (e.g. class weights)
    ``low``/``high`` bound numbers; ``low_open``/``high_open`` make the bound strict.
    """

    name: str
    kind: str
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] | None = None
    optional: bool = False  # default None means "not set"
    label: str = ""  # the words torch uses in its messages ("learning rate"); defaults to name

    # ----------------------------------------------------------------- description
    def allowed(self) -> str:
        """What values are allowed, in words ("a float in [0, 1)")."""
        if self.kind == "bool":
            return "true or false"
        if self.kind == "text":
            return "a string"
        if self.kind == "str":
            return "one of " + ", ".join(f'"{c}"' for c in (self.choices or ()))
        if self.kind == "batch":
            return 'an integer >= 1 or "full"'
        if self.kind == "point":
            return "two finite numbers, e.g. [-1.5, 2.0]"
        if self.kind == "floats":
            return "a list of numbers >= 0"
        noun = {"float": "a number", "int": "an integer", "pair": "two numbers"}[self.kind]
        rng = self._range_text()
        if self.kind == "pair":
            return f"{noun}, each {rng}" if rng else noun
        return f"{noun} {rng}".strip()

    def _range_text(self) -> str:
        lo, hi = self.low, self.high
        if lo is None and hi is None:
            return ""
        if hi is None:
            return f"{'>' if self.low_open else '>='} {csv_number(lo)}"
        if lo is None:
            return f"{'<' if self.high_open else '<='} {csv_number(hi)}"
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"in {left}{csv_number(lo)}, {csv_number(hi)}{right}"

    # ------------------------------------------------------------------ validation
    def check(self, value: Any) -> Any:
        """Return the value normalised (ints to floats, lists to tuples) or raise ParamError."""
        if value is None and self.optional:
            return None
        kind = self.kind
        if kind == "bool":
            if not isinstance(value, bool):
                raise self._error(value)
            return value
        if kind == "text":
            if not isinstance(value, str):
                raise self._error(value)
            return value
        if kind == "str":
            if not isinstance(value, str) or (self.choices and value not in self.choices):
                raise self._error(value)
            return value
        if kind == "batch":
            if value == "full":
                return "full"
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise self._error(value)
            return value
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise self._error(value)
            self._bound(value, value)
            return value
        if kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self._error(value)
            try:
                value = float(value)
            except OverflowError:  # an int beyond a float's range (10**400)
                raise self._error(value, finite=True) from None
            if not math.isfinite(value):  # inf makes every step's arithmetic inf or nan
                raise self._error(value, finite=True)
            self._bound(value, value)
            return value
        if kind in ("pair", "point"):
            if (
                not isinstance(value, (list, tuple))
                or len(value) != 2
                or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value)
            ):
                raise self._error(value)
            try:
                pair = (float(value[0]), float(value[1]))
            except OverflowError:
                raise self._error(value, finite=True) from None
            if not all(math.isfinite(v) for v in pair):
                raise self._error(value, finite=True)
            if kind == "pair":
                for v in pair:
                    self._bound(v, value)
            return pair
        if kind == "floats":
            if not isinstance(value, (list, tuple)) or any(
                isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or not _finite(v) for v in value
            ):
                raise self._error(value)
            return tuple(float(v) for v in value)
        raise AssertionError(f"unknown Param kind {kind!r}")

    def _bound(self, v: float, shown: Any) -> None:
        lo, hi = self.low, self.high
        if lo is not None and (v < lo or (self.low_open and v == lo)):
            raise self._error(shown)
        if hi is not None and (v > hi or (self.high_open and v == hi)):
            raise self._error(shown)

    def _error(self, value: Any, finite: bool = False) -> ParamError:
        """The error for ``value``; ``finite``: it is inf, nan or beyond a float, so say numbers are finite."""
        shown = shorten(format_value(value))  # a 200,000-number list is not echoed whole
        allowed = self.allowed()
        if finite:
            allowed = allowed.replace("a number", "a finite number").replace("two numbers", "two finite numbers")
        return ParamError(f"Invalid {self.label or self.name}: {shown} ({self.name} must be {allowed})")

    def parse_text(self, text: str) -> Any:
        """Parse what a person typed in a form field, then check it (used by the app)."""
        text = text.strip()
        if self.optional and text in ("", "none", "None"):
            return None
        if self.kind == "bool":
            low = text.lower()
            if low in ("true", "yes", "on", "1"):
                return True
            if low in ("false", "no", "off", "0"):
                return False
            raise self._error(text)
        if self.kind in ("str", "text"):
            return self.check(text.strip('"'))
        if self.kind == "batch":
            if text.strip('"') == "full":
                return "full"
            try:
                return self.check(int(text))
            except ValueError:
                raise self._error(text) from None
        if self.kind == "int":
            try:
                return self.check(int(text))
            except ValueError:
                raise self._error(text) from None
        if self.kind == "float":
            try:
                return self.check(float(text))
            except ValueError:
                raise self._error(text) from None
        # pair, point, floats: "0.9, 0.999" or "[0.9, 0.999]"
        parts = [p for p in text.strip("[]() ").replace(",", " ").split() if p]
        try:
            values = [float(p) for p in parts]
        except ValueError:
            raise self._error(text) from None
        return self.check(values)


def check_values(
    params: tuple[Param, ...] | list[Param], values: dict[str, Any], unknown: str
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Check ``values`` against ``params``: (every param's value, defaults filled in; [(key, message)]).

    ``unknown`` starts the message for a key no param has, e.g. "adam has no hyperparameter"."""
    resolved = {p.name: p.default for p in params}
    known = {p.name: p for p in params}
    errors: list[tuple[str, str]] = []
    for key, value in values.items():
        p = known.get(key)
        if p is None:
            errors.append((key, f"{unknown} {key!r}: it takes " + ", ".join(known)))
            continue
        try:
            resolved[key] = p.check(value)
        except ParamError as e:
            errors.append((key, str(e)))
    return resolved, errors


def _finite(v: int | float) -> bool:
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


def csv_number(x: float | None) -> str:
    if x is None:
        return ""
    if isinstance(x, int):
        return str(x)
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))
