"""Nudging a numeric setting one notch up or down (the ``[`` / ``]`` and shift+↑/↓ keys of a form field).

Plain Python on registry Params (no widgets), so the rules are testable on their own:

* learning rates (``lr``) and other positive scale-like numbers (``eps``, ``weight_decay``, a noise level)
  move by a factor 10^(±1/4): four notches make a decade, the way step sizes are compared (a value on
  that grid, shown with 4 digits, moves to the next grid point, so four notches from 0.1 give 1 exactly);
  from 0 such a number goes up to 1e-3;
* momentum-like factors (``momentum``, ``dampening``, ``rho``, each of ``betas``) and any number whose
  allowed range lies within [0, 1] move by ±0.05;
* integers (``steps``, ``log_every``, a batch size, a seed) move by ±1; points (a start) by ±0.1 per
  coordinate;
* a pair or point changes the element the cursor is in (before or after the comma);
* the result is kept inside what the Param allows: a notch that would leave the range stops at a closed
  bound, and does nothing at an open one (momentum 0.95 + 0.05 stays 0.95 where 1 is excluded).

:func:`nudge_text` takes and returns the text of the field, so the form parses the new value the same
way as a typed one.
"""

from __future__ import annotations

import math
from typing import Any

from sgd_tui.core.errors import ParamError
from sgd_tui.core.params import Param

__all__ = ["nudge", "nudge_text", "LR_FACTOR", "ADDITIVE_STEP", "NUMERIC_KINDS"]

LR_FACTOR = 10 ** 0.25
ADDITIVE_STEP = 0.05
POINT_STEP = 0.1
FROM_ZERO = 1e-3
ADDITIVE_NAMES = frozenset({"momentum", "dampening", "rho", "betas", "beta", "alpha_momentum"})
NUMERIC_KINDS = frozenset({"float", "int", "pair", "point", "batch"})


def _is_additive(p: Param) -> bool:
    if p.name in ADDITIVE_NAMES:
        return True
    return p.low is not None and p.high is not None and p.low >= 0 and p.high <= 1


def _step_number(p: Param, value: float, direction: int) -> float:
    if p.kind in ("int", "batch"):
        return value + direction
    if p.kind == "point":
        return round(value + direction * POINT_STEP, 10)
    if _is_additive(p):
        return round(value + direction * ADDITIVE_STEP, 10)
    if value > 0:
        k = 4 * math.log10(value)  # on the grid 10^(k/4) (0.1, 0.1778, 0.3162, ...): step along it exactly
        if abs(k - round(k)) < 1e-3:  # (0.1 up and down is 0.1 again, not 0.09998)
            return float(f"{10 ** ((round(k) + direction) / 4):.4g}")
        return float(f"{value * LR_FACTOR ** direction:.4g}")
    if value == 0:
        return FROM_ZERO if direction > 0 else 0.0
    return round(value + direction * ADDITIVE_STEP, 10)


def _inside(p: Param, old: float, new: float) -> float:
    """``new`` kept inside the Param's range (a closed bound stops it, an open one keeps ``old``)."""
    if p.low is not None and (new < p.low or (p.low_open and new <= p.low)):
        return old if p.low_open else (int(p.low) if p.kind in ("int", "batch") else float(p.low))
    if p.high is not None and (new > p.high or (p.high_open and new >= p.high)):
        return old if p.high_open else (int(p.high) if p.kind in ("int", "batch") else float(p.high))
    if p.kind == "batch" and new < 1:
        return old
    return new


def nudge(p: Param, value: Any, direction: int, element: int = 0) -> Any:
    """``value`` of Param ``p`` one notch up (direction 1) or down (-1); unchanged when it cannot move
    (not a number, "full" batch, at an open bound). ``element`` picks the element of a pair or point."""
    direction = 1 if direction > 0 else -1
    if p.kind not in NUMERIC_KINDS or value is None or value == "full" or isinstance(value, bool):
        return value
    if p.kind in ("pair", "point"):
        items = list(value)
        i = min(max(element, 0), len(items) - 1)
        items[i] = _inside(p, items[i], _step_number(p, float(items[i]), direction))
        return tuple(items)
    new = _inside(p, value, _step_number(p, value, direction))
    if p.kind == "float" and not math.isfinite(new):
        return value
    return new


def nudge_text(p: Param, text: str, direction: int, cursor: int = 0) -> str | None:
    """The field's text after one notch (None when the text is not a valid value now, or nothing moves)."""
    try:
        value = p.parse_text(text)
    except ParamError:
        return None
    element = 1 if p.kind in ("pair", "point") and "," in text[:cursor] else 0
    new = nudge(p, value, direction, element)
    if new == value:
        return None
    try:
        p.check(new)
    except ParamError:
        return None
    if isinstance(new, tuple):
        return ", ".join(f"{v:g}" for v in new)
    return f"{new:g}" if isinstance(new, float) else str(new)
