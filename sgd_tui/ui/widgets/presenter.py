"""Presenter mode's bar (``sgd-tui --present``): the scenario's one line of what to look for, and the selected
run's key figures in large digits, readable from the back of a room.

The figures (:func:`key_figures`) are read from what the run already holds, never recomputed:

* the step (and the budget's steps);
* the loss, or the gap f − f* where the objective's minimum value f* is known and the loss plot shows
  the gap; a diverged run (or a NaN / inf loss) shows ``--`` and says so, never a number;
* α·λmax against its limit: for a 2-D run the theory the driver computed at its latest point
  (:class:`~sgd_tui.core.theory.quadratic.Dynamics`: α·λmax of GD, heavy ball, Nesterov, Newton's η,
  against 2, 2(1+β), ...), else the latest curvature measurement (budget ``sharpness_every``: λmax, or an
  adaptive run's preconditioned sharpness P⁻¹H) times the run's lr now, against the limit times the same
  lr (the ratio of the two is the measurement's own).

Layout: from 100 columns and 28 rows the figures are Textual's ``Digits`` (3 rows); below that, one line of
text, the notes dropped before any figure and a figure dropped whole before it is cut.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Digits, Static

from sgd_tui.core.scenario.look_for import look_for_line
from sgd_tui.plotting.palette import PRESENTER_TEXT
from sgd_tui.ui.widgets.runs_table import fmt_num

__all__ = ["Figure", "key_figures", "digits_text", "digits_width", "figures_line", "PresenterBar", "BIG_MIN"]

BIG_MIN = (100, 28)  # columns and rows from which the figures are large digits
DIGIT_CHARS = " 0123456789+-^x:ABCDEF$£€()"  # what Textual's Digits draws 3 cells wide
LOOK = "Look for: "


@dataclass(frozen=True)
class Figure:
    """One key figure: ``name`` ("step", "f − f*", "α·λmax"), ``value`` as the big digits draw it ("600",
    "1.23E-4", "--" when there is no number) and ``note`` ("of 600", "limit 2 · stable", "diverged")."""

    name: str
    value: str
    note: str = ""
    alarm: bool = False  # diverged, NaN, or above the limit: drawn in the warning colour


def digits_text(v: float | None) -> str:
    """A number as the big digits draw it: 3 significant digits (``1.00``), ``1.23E-4`` outside [1e-3, 1e4), ``--``
    for None, NaN or inf (never a half-drawn number)."""
    if v is None or not math.isfinite(v):
        return "--"
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e4:  # three significant digits, kept (1.00 against a limit of 2, not 1)
        text = f"{v:#.3g}"
        return text.rstrip(".") if "e" not in text else f"{v:.0f}"
    mant, exp = f"{v:.2e}".split("e")
    return f"{mant.rstrip('0').rstrip('.')}E{int(exp)}"


def digits_width(text: str) -> int:
    """Columns Textual's Digits takes for ``text``: 3 per digit or sign, 1 for anything else ("." is "•")."""
    return sum(3 if c in DIGIT_CHARS else 1 for c in text)


def _loss_figure(entry, f_star: float | None, gap: bool) -> Figure:
    p = entry.progress
    name = "f − f*" if gap and f_star is not None else "loss"
    if p.status == "diverged":
        return Figure(name, "--", f"diverged at step {p.diverged_step}" if p.diverged_step is not None else "diverged",
                      alarm=True)
    loss = p.last_loss
    if loss is None:
        return Figure(name, "--", "no step yet")
    if not math.isfinite(loss):
        return Figure(name, "--", str(loss), alarm=True)
    value = loss - f_star if name == "f − f*" else loss
    return Figure(name, digits_text(value), f"best {fmt_num(p.best_loss - f_star if name == 'f − f*' else p.best_loss)}"
                  if p.best_loss is not None else "")


def _curvature_figure(entry) -> Figure | None:
    d = getattr(entry.theory, "dynamics", None)
    if d is not None and d.alpha_lambda_max is not None and d.method != "adaptive":
        name = "η (Newton)" if d.method == "newton" else "α·λmax"
        return _against(name, d.alpha_lambda_max, d.limit_alpha_lambda, d.stability)
    rec = entry.sharpness.last if entry.sharpness is not None else None
    if rec is None:
        return None
    lr = entry.hyper_now.get("lr")
    name = "α·λ(P⁻¹H)" if rec.preconditioned is not None else "α·λmax"
    if not isinstance(lr, (int, float)) or isinstance(lr, bool):
        return Figure("λmax", digits_text(rec.measured), "")
    limit = lr * rec.limit if rec.limit is not None else None
    return _against(name, lr * rec.measured, limit, None)


def _against(name: str, value: float, limit: float | None, stability: str | None) -> Figure:
    if not math.isfinite(value):
        return Figure(name, "--", str(value), alarm=True)
    note = f"limit {fmt_num(limit)}" if limit is not None else "no limit known"
    if stability:
        note += f" · {stability}"
    return Figure(name, digits_text(value), note, alarm=limit is not None and value >= limit)


def key_figures(entry, f_star: float | None = None, gap: bool = True) -> list[Figure]:
    """The selected run's step, loss (or f − f*) and α·λmax against its limit (where known); [] without a
    run. ``f_star``: the minimum value of the run's objective (None: unknown); ``gap``: the loss plot shows
    f − f*."""
    if entry is None:
        return []
    p = entry.progress
    steps = entry.spec.budget.get("steps") if not entry.spec.budget.get("epochs") else None
    figures = [Figure("step", str(p.step), f"of {steps}" if steps else ""), _loss_figure(entry, f_star, gap)]
    curvature = _curvature_figure(entry)
    if curvature is not None:
        figures.append(curvature)
    return figures


def figures_line(figures: list[Figure], width: int) -> str:
    """The figures on one line of at most ``width`` columns: with their notes if all fit, else without, else
    the first figures that fit whole (a number is never cut)."""
    for with_notes in (True, False):
        parts = [f"{f.name} {f.value}" + (f" ({f.note})" if with_notes and f.note else "") for f in figures]
        line = " · ".join(parts)
        if len(line) <= width:
            return line
    kept: list[str] = []
    for f in figures:
        if len(" · ".join([*kept, f"{f.name} {f.value}"])) > width:
            break
        kept.append(f"{f.name} {f.value}")
    return " · ".join(kept)


def big_width(figures: list[Figure]) -> int:
    """Columns the large layout takes: per figure a label column (name, note) and its digits, 2 apart."""
    return sum(max(len(f.name), len(f.note)) + 1 + digits_width(f.value) + 3 for f in figures)


class PresenterBar(Vertical):
    """The look-for line and the figures (large digits, or one line where they do not fit)."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._key: tuple = ()
        self.figures: list[Figure] = []
        self.big = False

    def compose(self) -> ComposeResult:
        yield Static("", id="look-for")
        yield Static("", id="figures-line")
        with Horizontal(id="figures-big"):
            for k in range(3):
                with Horizontal(classes="figure", id=f"figure-{k}"):
                    yield Static("", classes="figure-label")
                    yield Digits("", classes="figure-digits")

    def show(self, look_for: str, description: str, figures: list[Figure], color, size: tuple[int, int]) -> None:
        """Draw the look-for line and ``figures`` (the value in ``color``, the selected run's) for a screen of
        ``size`` (columns, rows); nothing is redrawn when nothing changed."""
        width = max(size[0] - 2, 10)
        key = (look_for, description, tuple(figures), color, size)
        if key == self._key:
            return
        self._key = key
        self.figures = figures
        # one line from 100 columns; narrower, it wraps to a second line rather than lose its end
        line = look_for_line(look_for, description, limit=max(2 * (width - len(LOOK)) - 8, 10))
        text = Text(overflow="fold")
        if line:
            text.append(LOOK, style=Style(bold=True, color="rgb({},{},{})".format(*PRESENTER_TEXT)))
            text.append(line, style=Style(color="rgb({},{},{})".format(*PRESENTER_TEXT)))
        look = self.query_one("#look-for", Static)
        look.update(text)
        look.display = bool(line)
        self.big = bool(figures) and size[0] >= BIG_MIN[0] and size[1] >= BIG_MIN[1] and big_width(figures) <= width
        self.set_class(self.big, "-big")
        value_style = Style(bold=True, color="rgb({},{},{})".format(*color) if color else None)
        self.query_one("#figures-line", Static).update(Text(figures_line(figures, width), style=value_style))
        for k, box in enumerate(self.query(".figure")):
            f = figures[k] if k < len(figures) else None
            box.display = f is not None
            if f is None:
                continue
            label = Text(no_wrap=True)
            label.append(f.name, style="bold")
            label.append("\n" + f.note, style="bold" if f.alarm else "")
            box.query_one(".figure-label", Static).update(label)
            digits = box.query_one(".figure-digits", Digits)
            digits.update(f.value)
            digits.set_class(f.alarm, "-alarm")
            digits.styles.color = None if f.alarm or not color else "rgb({},{},{})".format(*color)
