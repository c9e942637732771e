"""Run colours and marker characters, shared by the app's plots and the replay's text plots.

Without colour (the app's monochrome mode, the replay's text files) runs are told apart by their marker
character, ``MARKERS[i % len(MARKERS)]`` for the i-th run.
"""

from __future__ import annotations

__all__ = ["RUN_COLORS", "MARKERS", "MIN_MARK", "START_MARK", "CURRENT_MARK", "run_marker"]

# fallback colours of runs that bring none (Okabe-Ito-like, readable on dark backgrounds and in 256 colours)
RUN_COLORS = [(86, 180, 233), (230, 159, 0), (0, 200, 140), (240, 100, 170), (240, 228, 66), (180, 130, 255)]
MARKERS = ("x", "o", "+", "#", "%", "=", "~", "$", "&", "^", "v", "<", ">", "?", "!")
MIN_MARK, START_MARK, CURRENT_MARK = "*", "o", "@"  # on the app's trajectory plot


def run_marker(index: int) -> str:
    """The marker character of the index-th run."""
    return MARKERS[index % len(MARKERS)]
