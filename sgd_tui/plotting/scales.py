"""Axis limits, ticks and short tick labels, shared by the app's plots and the replay's text plots.

Limits are snapped to "nice" values so that they rarely change while data arrives (every change of a
limit redraws the whole plot, and over SSH every redrawn cell costs bytes):

* linear axes: multiples of a step from the 1-2-5 series (…, 0.1, 0.2, 0.5, 1, 2, 5, 10, …);
* the x axis: from 0 (or the data's minimum if negative) to the next 1-2-5 value above the data;
* log axes: whole decades; the plot works in log10 space and labels the ticks with the data values.

Tick labels are short ("0.25", "250k", "1e-3", "1e300") and formatted here, because plotext's own labels
for huge ranges print every decimal and, once wider than the plot, blank it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "nice_ceil",
    "nice_step",
    "linear_limits",
    "x_limits",
    "log_limits",
    "linear_ticks",
    "log_ticks",
    "short_label",
    "tick_labels",
    "Axis",
    "value_axis",
]


def nice_step(span: float) -> float:
    """The smallest value of the 1-2-5 series that is >= span (> 0)."""
    if not (span > 0 and math.isfinite(span)):
        return 1.0
    exp = math.floor(math.log10(span))
    for m in (1.0, 2.0, 5.0, 10.0):
        v = m * 10.0**exp
        if v >= span * (1 - 1e-12):
            return v
    return 10.0 ** (exp + 1)


def nice_ceil(value: float) -> float:
    """The smallest 1-2-5 value >= value for value > 0; 1 otherwise."""
    return nice_step(value) if value > 0 else 1.0


def linear_limits(lo: float, hi: float, n_ticks: int = 5) -> tuple[float, float]:
    """Snap [lo, hi] outward to multiples of a 1-2-5 step about (hi - lo) / n_ticks."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return 0.0, 1.0
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = abs(lo) * 0.5 or 1.0
        lo, hi = lo - pad, hi + pad
    step = nice_step((hi - lo) / max(n_ticks, 1))
    a, b = math.floor(lo / step) * step, math.ceil(hi / step) * step
    if not (math.isfinite(a) and math.isfinite(b)) or b <= a:
        return lo, hi
    return a, b


def x_limits(lo: float, hi: float) -> tuple[float, float]:
    """x axis limits: from min(0, lo) to the next 1-2-5 value above hi (so they change rarely)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return 0.0, 1.0
    if lo >= 0:
        return 0.0, nice_ceil(hi)
    return linear_limits(lo, hi)


def log_limits(lo_exp: float, hi_exp: float) -> tuple[float, float]:
    """Decade limits (in log10 space) around [lo_exp, hi_exp]."""
    if not (math.isfinite(lo_exp) and math.isfinite(hi_exp)):
        return 0.0, 1.0
    a, b = math.floor(lo_exp), math.ceil(hi_exp)
    if b <= a:
        b = a + 1
    return float(a), float(b)


def linear_ticks(lo: float, hi: float, max_ticks: int) -> list[float]:
    """Multiples of a 1-2-5 step inside [lo, hi], at most max_ticks of them (at least 2 when possible)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    max_ticks = max(2, max_ticks)
    step = nice_step((hi - lo) / (max_ticks - 1))
    for _ in range(4):  # one tick only (0..1500 by 2000): the next smaller 1-2-5 steps until two
        if math.floor(hi / step + 1e-9) - math.ceil(lo / step - 1e-9) >= 1:
            break
        step = nice_step(step * 0.99 / 2.5)
    first = math.ceil(lo / step - 1e-9)
    ticks = []
    k = first
    while k * step <= hi * (1 + 1e-12) + 1e-300 and len(ticks) < max_ticks + 1:
        ticks.append(k * step)
        k += 1
    return [0.0 if abs(t) < step * 1e-9 else t for t in ticks]


def log_ticks(lo_exp: float, hi_exp: float, max_ticks: int) -> list[float]:
    """Decade exponents in [lo_exp, hi_exp] that are multiples of a 1-2-5 stride (1, 2, 5, 10, 20, … decades)
    chosen so that at most max_ticks remain; multiples keep the labels put while the limits move."""
    if not (math.isfinite(lo_exp) and math.isfinite(hi_exp)) or hi_exp < lo_exp:
        return []
    a, b = math.ceil(lo_exp), math.floor(hi_exp)
    every = max(1, round(nice_step((b - a + 1) / max(max_ticks, 1))))
    return [float(e) for e in range(a, b + 1) if e % every == 0]


_SUFFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def short_label(value: float) -> str:
    """A tick label of at most about 5 characters: 0, 0.25, 12, 250k, 1.5M, 1e-3, 2e15, 1e300."""
    if not math.isfinite(value):
        return "inf" if value > 0 else "-inf" if value < 0 else "nan"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    a = abs(value)
    if a >= 1e15 or a < 1e-2:
        mant, exp = f"{a:.1e}".split("e")
        mant = _trim(mant)
        if mant == "10":  # rounding carried into the next decade
            mant, exp = "1", str(int(exp) + 1)
        return f"{sign}{mant}e{int(exp)}"
    for scale, suffix in _SUFFIXES:
        if a >= scale:
            return sign + _trim(f"{a / scale:.3g}") + suffix
    return sign + _trim(f"{a:.3g}" if a >= 1 else f"{a:.2g}")


def tick_labels(ticks, log: bool = False) -> list[str]:
    """Short labels of ticks; on a log axis the ticks are exponents and labelled with 10**tick."""
    return [short_label(10.0**t if log else t) for t in ticks]


@dataclass(frozen=True)
class Axis:
    """Limits, tick positions and tick labels of one axis (in log10 space on a log axis)."""

    lo: float
    hi: float
    ticks: list[float]
    labels: list[str]


def value_axis(lo: float | None, hi: float | None, max_ticks: int, log: bool = False, snap: bool = True) -> Axis:
    """An axis around the data range [lo, hi] (None: no data; log10 values on a log axis), with at most
    ``max_ticks`` ticks on multiples of a 1-2-5 step or on decades.

    With ``snap`` (a live plot) the limits are snapped outward, to decades on a log axis (-1..1 without
    data), else to a 1-2-5 step, so that they rarely move while data arrive. Without it (a static
    picture) the limits are the data's own range, for the finest resolution; an empty or one-value range
    is snapped all the same.
    """
    if lo is None or hi is None:
        a, b = (-1.0, 1.0) if log else linear_limits(0.0, 1.0)
    elif not snap and math.isfinite(lo) and math.isfinite(hi) and hi > lo:
        a, b = float(lo), float(hi)
    else:
        a, b = log_limits(lo, hi) if log else linear_limits(lo, hi)
    ticks = log_ticks(a, b, max_ticks) if log else linear_ticks(a, b, max_ticks)
    return Axis(a, b, ticks, tick_labels(ticks, log))
