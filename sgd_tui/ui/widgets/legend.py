"""One legend for every plot: each visible run's colour swatch (or, without colour, its marker character)
and label, wrapped over at most a few lines, the selected run marked (▶, reversed).

The plots' own top lines then only say what their axes are. When the runs do not fit in ``MAX_LINES``
lines, the lines around the selected run are shown, with how many runs are left off before and after.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from sgd_tui.plotting.palette import run_marker
from sgd_tui.plotting.style import NORMAL

__all__ = ["RunLegend", "legend_lines"]

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


class RunLegend(Static):
    """The legend line(s) above the plots; redrawn only when its text changes."""

    def __init__(self, *, monochrome: bool = False, id: str | None = None) -> None:  # noqa: A002
        super().__init__("", id=id)
        self.monochrome = monochrome
        self.style = NORMAL  # presenter mode: the bright palette (plotting.style)
        self._key: tuple = ()

    def show(self, runs, selected_id: str | None) -> None:
        """runs: the session's RunEntry list (label, colour, visible, run_id)."""
        width = max(self.size.width, 20)
        entries = [(i, r) for i, r in enumerate(runs) if r.visible]
        key = (width, selected_id, self.style, tuple((r.run_id, r.spec.label, r.color) for _, r in entries))
        if key == self._key:
            return
        self._key = key
        self.update(self._text(entries, selected_id, width))

    def _text(self, entries, selected_id: str | None, width: int) -> Text:
        if not entries:
            return Text("no runs shown (v shows the selected run)", style="dim")
        items = []
        for i, r in entries:
            swatch = run_marker(i) if self.monochrome else "━━"
            sel = r.run_id == selected_id
            items.append(((("▶" if sel else "") + f"{swatch} {r.spec.label}"), sel))
        lines = legend_lines(items, width - 8)  # room for the "+n more" notes
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
