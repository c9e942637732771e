"""One legend for every plot: each visible run's colour swatch (or, without colour, its marker character)
and label, wrapped over at most a few lines, the selected run marked (▶, reversed).

The plots' own top lines then only say what their axes are. When the runs' labels do not fit in
``MAX_LINES`` lines, the legend says them shorter (:func:`short_labels`: without the settings every run
shares, then by optimizer alone when that tells them apart; the runs table below keeps the whole labels);
if even that does not fit, the lines around the selected run are shown, with how many runs are left off
before and after.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from sgd_tui.plotting.palette import run_marker
from sgd_tui.plotting.style import NORMAL

__all__ = ["RunLegend", "legend_lines", "short_labels"]

MAX_LINES = 2


def legend_lines(items: list[tuple[str, bool]], width: int) -> list[list[int]]:
    """Greedy wrap: which item indices go on each line, for items (text, selected) of a width-cell line
    (two spaces between items; an item wider than the line gets a line of its own)."""
    lines: list[list[int]] = []
    used = 0
    for i, (text, _) in enumerate(items):
        w = len(text) + (2 if used else 0)
        if lines and used and used + w <= width:
            lines[-1].append(i)
            used += w
        else:
            lines.append([i])
            used = len(text)
    return lines


def short_labels(specs) -> list[list[str]]:
    """Ever shorter label sets for the runs (RunSpecs), each still telling every run apart: the labels
    themselves; without the words every label shares ("lr=0.1" when all runs have it); the optimizer alone.
    A label somebody typed is kept as typed; a set that would make two runs look alike is not offered."""
    full = [s.label for s in specs]
    sets = [full]
    typed = [s.label != s.auto_label() for s in specs]
    words = [s.label.split() for s in specs]
    common = set.intersection(*(set(w) for w in words)) if words else set()
    trimmed = [s.label if t else " ".join(x for x in w if x not in common) or s.optimizer
               for s, t, w in zip(specs, typed, words)]
    names = [s.label if t else s.optimizer for s, t in zip(specs, typed)]
    for labels in (trimmed, names):
        if labels != sets[-1] and len(set(labels)) == len(labels):
            sets.append(labels)
    return sets


class RunLegend(Static):
    """The legend line(s) above the plots; redrawn only when its text changes."""

    def __init__(self, *, monochrome: bool = False, id: str | None = None) -> None:  # noqa: A002
        super().__init__("", id=id)
        self.monochrome = monochrome
        self.style = NORMAL  # presenter mode: the bright palette (plotting.style)
        self._key: tuple = ()
        self.labels: dict[str, str] = {}  # run_id -> the label the legend gives it (maybe a short one)

    def show(self, runs, selected_id: str | None, extras: list[tuple[str, tuple[int, int, int]]] = ()) -> None:
        """runs: the session's RunEntry list (label, colour, visible, run_id); extras: what else the plots
        draw like a run, (label, colour) (the ``c`` key's flows), named after the runs with a dotted swatch."""
        width = max(self.size.width, 20)
        entries = [(i, r) for i, r in enumerate(runs) if r.visible]
        key = (width, selected_id, self.style, tuple((r.run_id, r.spec.label, r.color) for _, r in entries),
               tuple(extras))
        if key == self._key:
            return
        self._key = key
        need = sum(len(t) + 5 for t, _ in extras)  # "  ┄┄ " + label each
        text = self._text(entries, selected_id, width)
        lines = text.plain.split("\n")
        if extras and len(lines) >= MAX_LINES and len(lines[-1]) + need > width:
            extras = [("flows", extras[0][1])]  # said in one word (the c key's notice tells them apart)
            need = 10
            if len(lines[-1]) + need > width:
                text = self._text(entries, selected_id, width - need)  # room for it at the end of the last line
                lines = text.plain.split("\n")
        for n, (label, color) in enumerate(extras):
            if n == 0 and len(lines[-1]) + need > width:
                text.append("\n")  # a line of their own (there was one to spare)
            elif n or lines[-1]:
                text.append("  ")
            text.append(f"┄┄ {label}", style=None if self.monochrome else "rgb({},{},{})".format(*color))
        self.update(text)

    def _text(self, entries, selected_id: str | None, width: int) -> Text:
        if not entries:
            return Text("no runs shown (v shows the selected run)", style="dim")
        for labels in short_labels([r.spec for _, r in entries]):
            items = []
            for (i, r), label in zip(entries, labels):
                swatch = run_marker(i) if self.monochrome else "━━"
                sel = r.run_id == selected_id
                items.append(((("▶" if sel else "") + f"{swatch} {label}"), sel))
            lines = legend_lines(items, width - 8)  # room for the "+n more" notes
            if len(lines) <= MAX_LINES:
                break
        self.labels = {r.run_id: label for (_, r), label in zip(entries, labels)}
        at = next((n for n, line in enumerate(lines) if any(items[k][1] for k in line)), 0)
        first = max(0, min(at, len(lines) - MAX_LINES))
        shown = lines[first:first + MAX_LINES]
        before = sum(len(line) for line in lines[:first])
        after = sum(len(line) for line in lines[first + MAX_LINES:])
        text = Text(no_wrap=True, overflow="ellipsis")
        for n, line in enumerate(shown):
            if n:
                text.append("\n")
            if n == 0 and before:
                text.append(f"+{before}… ", style="dim")
            for j, k in enumerate(line):
                label, sel = items[k]
                idx, r = entries[k]
                color = None if self.monochrome else "rgb({},{},{})".format(*self.style.color(r.color))
                if j:
                    text.append("  ")
                text.append(label, style=Style(color=color, bold=sel, reverse=sel))
            if n == len(shown) - 1 and after:
                text.append(f"  …+{after}", style="dim")
        return text
