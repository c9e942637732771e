"""Why runs failed, kept on screen under the status line.

A failure is notified once (a toast that goes after 10 s); the table then says only ``error``. This line
keeps the reason in view for as long as a run is in error (until it is reset, edited or removed): one line
per distinct reason, with the runs it stopped. Hidden when no run failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

from sgd_tui.core.text import safe_text

if TYPE_CHECKING:
    from sgd_tui.ui.run_entry import RunEntry

__all__ = ["RunErrors", "errors_text"]


def errors_text(runs: list[RunEntry]) -> str:
    """One line per distinct reason a run failed: ``✕ LABEL (and 2 more) failed: REASON``."""
    failed: dict[str, list[str]] = {}
    for r in runs:
        if r.progress.status == "error":
            failed.setdefault(r.progress.message or "no reason given", []).append(r.spec.label)
    lines = []
    for message, labels in failed.items():
        who = labels[0] + (f" (and {len(labels) - 1} more)" if len(labels) > 1 else "")
        lines.append(f"✕ {who} failed: {message}")
    return "\n".join(lines)


class RunErrors(Static):
    def __init__(self, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._text = ""
        self.display = False

    def show(self, runs: list[RunEntry]) -> None:
        text = errors_text(runs)
        if text != self._text:
            self._text = text
            self.update(Content(safe_text(text)))  # labels and messages may echo a file: never markup
            self.display = bool(text)
