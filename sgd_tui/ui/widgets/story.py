"""The scenario's story beside the plots: its title and description — the lecture's script for the demo,
ending in "What to look for" — in a panel that stays open while the runs move (``g`` toggles it; opening
a scenario with a description opens it).
"""

from __future__ import annotations

import re

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

__all__ = ["StoryPanel"]

LOOK_FOR = "What to look for"


def reflow(description: str) -> str:
    """Join the lines of each paragraph (a file's description is wrapped for a wide editor; the panel wraps
    it again to its own width). A blank line ends a paragraph; a line starting a list item ("1.", "-")
    or an indented formula line set off by a blank line keeps its own line."""
    out: list[str] = []
    for line in description.strip().splitlines():
        stripped = line.strip()
        starts_item = bool(re.match(r"(\d+\.|[-•*]) ", stripped))
        if not stripped:
            out.append("")
        elif out and out[-1] and not starts_item:
            out[-1] += " " + stripped
        else:
            out.append(stripped)
    return "\n".join(out)


def story_text(title: str, description: str) -> Text:
    """Title in bold, then the description, its "What to look for" in bold (plain text: no markup is read)."""
    text = Text()
    text.append(title or "Untitled comparison", style="bold")
    text.append("\n\n")
    body = reflow(description) or "This comparison has no description. Scenario files give one (description = ...)."
    head, sep, tail = body.partition(LOOK_FOR)
    text.append(head)
    if sep:
        text.append(sep, style="bold reverse")
        text.append(tail)
    return text


class StoryPanel(VerticalScroll):
    """A scrollable panel holding :func:`story_text`."""

    def compose(self):
        yield Static("", id="story-text")

    def show(self, title: str, description: str) -> None:
        self.query_one("#story-text", Static).update(story_text(title, description))
        self.scroll_home(animate=False)
