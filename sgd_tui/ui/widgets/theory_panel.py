"""The theory panel: the lecture's step-size theory for the selected run, live (2-D objectives).

The numbers are :class:`sgd_tui.core.theory.quadratic.Theory` of the run at its latest point, computed in the
driver thread each round that moved the run (:mod:`sgd_tui.ui.jobs.worker`) — this widget only formats them:

* the local quadratic model: the Hessian H, λmin ≤ λmax, κ = λmax/λmin, "exact" or "local", and the
  saddle / maximum warning (the closed forms do not apply);
* the optimizer's recurrence, its α (after the schedule) and β, the stability limit in α, the
  closed-form optimum α*, β*, the rate ρ at (α, β) and ρ* at the optimum;
* a stability meter α·λmax against the method's limit, coloured by the CSS classes ``-stable``,
  ``-oscillating`` and ``-unstable`` and spelled out in words (readable without colour);
* for momentum methods (GD too, on the heavy-ball map: GD is β = 0) the (α, β) map of ρ
  (:mod:`sgd_tui.plotting.ratemap`), with the run's (α, β) ● and the optimum ★;
* for adaptive methods: no closed form, and the effective per-coordinate step −Δw_i/g_i of the last update;
* with ``sharpness_every`` in the budget, first, each run's measured curvature against its own limit: λmax
  of the exact Hessian against 2/α, 2(1+β)/α, ..., or an adaptive method's preconditioned sharpness P⁻¹H
  against (2+2β1)/((1−β1)α) (:func:`curvature_lines`), and the regime at the start: λ0 below the limit
  lazy, up to twice it the catapult window (2 < ηλ0 < 4 for GD), beyond it divergence.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Static

from sgd_tui.core.theory.preconditioned import PRECONDITIONED
from sgd_tui.core.theory.rate_map import rate_map_grid
from sgd_tui.plotting.ratemap import CURRENT, OPTIMUM, rate_cells
from sgd_tui.ui.widgets.runs_table import fmt_num

__all__ = ["TheoryPanel", "theory_lines", "meter_text", "cells_text", "curvature_lines", "MAP_COLS", "MAP_ROWS"]

MAP_COLS, MAP_ROWS = 34, 6  # the (α, β) map in terminal cells (12 β rows)
METER = 16
STABILITY_WORDS = {"stable": "stable", "oscillating": "oscillating (a negative root: zig-zag)",
                   "unstable": "UNSTABLE (ρ ≥ 1: diverges)"}


def theory_lines(theory) -> list[str]:
    """The panel's text: model, recurrence, hyperparameters and the closed forms, one idea per line."""
    m, d = theory.model, theory.dynamics
    (a, b), (_, c) = m.hessian
    lines = [f"H = [[{fmt_num(a)}, {fmt_num(b)}], [{fmt_num(b)}, {fmt_num(c)}]] at w = "
             f"({fmt_num(m.point[0])}, {fmt_num(m.point[1])}), {m.kind} model",
             f"λmin = {fmt_num(m.lam_min)}  λmax = {fmt_num(m.lam_max)}  κ = "
             + (fmt_num(m.condition) if m.lam_min > 0 else "none (λmin ≤ 0)")]
    if m.warning:
        lines.append(f"⚠ {m.warning}")
    lines.append(d.form)
    if d.method == "adaptive":
        eff = d.effective_step
        lines.append(f"α = {fmt_num(d.alpha)}: no closed form applies")
        lines.append("effective step −Δw/g = " + (f"({fmt_num(eff[0])}, {fmt_num(eff[1])})" if eff
                                                   else "– (take one step: n)"))
        return lines
    if d.method == "newton":
        lines.append(f"η = {fmt_num(d.alpha)}  stable for 0 < η < 2  η* = 1 (one step on a quadratic)  "
                     f"ρ = {fmt_num(d.rate)}")
        return lines
    hyper = f"α = {fmt_num(d.alpha)}" + (f"  β = {fmt_num(d.beta)}" if d.beta is not None else "")
    limit = (f"  limit α < {fmt_num(d.limit_alpha)} (αλmax < {fmt_num(d.limit_alpha_lambda)})"
             if d.limit_alpha is not None else "")
    lines.append(hyper + limit)
    if d.alpha_opt is not None:
        best = f"α* = {fmt_num(d.alpha_opt)}" + (f"  β* = {fmt_num(d.beta_opt)}" if d.beta_opt is not None else "")
        lines.append(f"{best}  ρ = {fmt_num(d.rate)}  ρ* = {fmt_num(d.rate_opt)}")
    note = d.note.replace(m.warning, "").strip("; ") if m.warning else d.note  # the warning is shown above
    if note:
        lines.append(note)
    return lines


def curvature_lines(runs) -> list[str]:
    """Each run's last curvature measurement against its limit, one line per run that measures it:
    ``GD α 0.5: λmax 3.98 / limit 4 (0.99)``; an adaptive run's P⁻¹H (none before its first step)."""
    lines = []
    for r in runs:
        series = getattr(r, "sharpness", None)
        last = series.last if series is not None else None
        if last is None:
            continue
        label = r.spec.label if len(r.spec.label) <= 28 else r.spec.label[:27] + "…"
        adaptive = r.spec.optimizer in PRECONDITIONED
        if adaptive and last.preconditioned is None:
            lines.append(f"{label}: λmax {fmt_num(last.lambda_max)}; P⁻¹H after the first step")
            continue
        what = "λmax" if last.preconditioned is None else "P⁻¹H"
        value, limit = last.measured, last.limit
        against = "no known limit" if limit is None else f"limit {fmt_num(limit)} ({value / limit:.2f})"
        raw = f" (λmax {fmt_num(last.lambda_max)})" if last.preconditioned is not None else ""
        progress = getattr(r, "progress", None)
        ended = "; diverged" if getattr(progress, "status", "") == "diverged" else ""
        lines.append(f"{label}: {what} {fmt_num(value)} / {against}{raw}"
                     f"{'' if adaptive else _regime(series.records[0])}{ended}")
    return lines


def _regime(first) -> str:
    """The regime at the start (Lewkowycz et al. 2020), from λ0 against the limit (2/η for GD): below it
    lazy, up to twice it the catapult window (2 < ηλ0 < 4 for GD), beyond it divergence."""
    if first.step != 0 or first.limit is None or not first.limit > 0:
        return ""
    r0 = first.lambda_max / first.limit
    kind = "lazy" if r0 < 1 else "catapult" if r0 < 2 else "diverges"
    return f"; start {r0:.2f}× limit: {kind}"


def meter_text(dyn) -> str:
    """``[■■■■───|──] αλmax = 0.98 / limit 2: stable``: the bar spans 0 … 1.25 × limit, ``|`` marks it."""
    if dyn.alpha_lambda_max is None or dyn.limit_alpha_lambda is None or dyn.stability is None:
        return ""
    span = 1.25 * dyn.limit_alpha_lambda
    filled = int(round(min(max(dyn.alpha_lambda_max / span, 0.0), 1.0) * METER))
    at = int(round(METER / 1.25))
    bar = "".join("|" if i == at else ("■" if i < filled else "─") for i in range(METER + 1))
    name = "η" if dyn.method == "newton" else "αλmax"
    return (f"[{bar}] {name} = {fmt_num(dyn.alpha_lambda_max)} / limit {fmt_num(dyn.limit_alpha_lambda)}: "
            f"{STABILITY_WORDS[dyn.stability]}")


def cells_text(chars, fgs, bgs) -> Text:
    """Rich text of a cell grid (a character and optional fg / bg colours per cell): one span per run of
    equal colours, each style built once (a Style per cell costs ~100 ms at 120x40)."""
    styles: dict[tuple, Style] = {}
    text = Text()
    for r, row in enumerate(chars):
        if r:
            text.append("\n")
        keys = list(zip(fgs[r], bgs[r]))
        for key, group in groupby(range(len(row)), key=keys.__getitem__):
            style = styles.get(key)
            if style is None:
                fg, bg = key
                style = styles[key] = Style(color=None if fg is None else Color.from_rgb(*fg),
                                            bgcolor=None if bg is None else Color.from_rgb(*bg))
            text.append("".join(row[c] for c in group), style)
    return text


def map_text(theory, monochrome: bool, cols: int = MAP_COLS, rows: int = MAP_ROWS) -> Text | None:
    """The (α, β) map with its axes, or None without a closed form (adaptive, Newton, a saddle's λmin)."""
    rmap = rate_map_grid(theory.dynamics, theory.model, cols, 2 * rows)
    if rmap is None:
        return None
    text = Text("β→1\n" if monochrome else "β ≈ 1\n", style="dim")
    text.append_text(cells_text(*rate_cells(rmap, monochrome)))
    text.append(f"\nβ=0  α → {fmt_num(float(rmap.alphas[-1]))}\n", style="dim")
    text.append(f"{CURRENT} run  {OPTIMUM} optimum  ", style="bold")
    text.append("dark = fast" if not monochrome else "█ fast ░ slow, blank: ρ ≥ 1", style="dim")
    return text


class TheoryPanel(Horizontal):
    """Text and meter on the left, the (α, β) map on the right; shown for 2-D objectives on a key."""

    def __init__(self, *, monochrome: bool = False, **kw: Any) -> None:
        super().__init__(**kw)
        self.monochrome = monochrome
        self._shown: Any = ()

    def compose(self) -> ComposeResult:
        with Vertical(id="theory-left"):
            yield Static("", id="theory-meter")  # first: the thing to point at
            yield Static("", id="theory-text")
        yield Static("", id="theory-map")

    def follow(self, entry, shown: bool, runs=()) -> None:
        """Show the theory of ``entry`` (a RunEntry; its Theory comes from the driver) when ``shown`` (the
        panel is on and the objective is 2-D), after every run's measured curvature (``runs``); else
        nothing to do."""
        if entry is not None and shown:
            self.show(entry.spec.label, entry.theory, curvature_lines(runs))

    def show(self, label: str, theory, curvature: list[str] | None = None) -> None:
        """Show ``theory`` (None: not yet computed) of the run ``label``, after the ``curvature`` lines;
        nothing when unchanged."""
        head_lines = list(curvature or [])
        key = (label, id(theory), tuple(head_lines))
        if key == self._shown:
            return
        self._shown = key
        head_text = ("\n".join(head_lines) + "\n") if head_lines else ""
        text, meter, picture = self.query_one("#theory-text", Static), self.query_one("#theory-meter", Static), \
            self.query_one("#theory-map", Static)
        if theory is None:
            text.update(Text(head_text + f"{label}: theory after the first step (n) or play (space)", style="dim"))
            meter.update("")
            picture.update("")
            picture.display = False
            self._meter_class(meter, None)
            return
        text.update(Content(head_text + "\n".join(theory_lines(theory))))  # "[[a, b], ...]" is text
        head = Text(f"{label}  ", style="bold")
        head.append(meter_text(theory.dynamics) or "no stability limit applies", style="" if
                    theory.dynamics.stability else "dim")
        meter.update(head)
        self._meter_class(meter, theory.dynamics.stability)
        pic = map_text(theory, self.monochrome)
        picture.display = pic is not None
        picture.update(pic or "")

    @staticmethod
    def _meter_class(meter: Static, stability: str | None) -> None:
        for name in ("stable", "oscillating", "unstable"):
            meter.set_class(stability == name, f"-{name}")
