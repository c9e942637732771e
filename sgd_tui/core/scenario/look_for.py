"""A scenario's one-line "what to look for": the line presenter mode (``sgd-tui --present``) keeps on screen.

A scenario may give it as the top-level key ``look_for = "..."``: one line of at most :data:`LOOK_FOR_MAX`
characters (with the app's "Look for: " in front it fits a 100-column projector), checked by
:func:`check_look_for` (an error names file:line:key). Without it, :func:`look_for_line` takes the first
sentence of the description's "What to look for" paragraph (or of the description), cut at a word to fit.
No torch, textual, rich or plotext import.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["LOOK_FOR_MAX", "LOOK_FOR_HEAD", "check_look_for", "first_look_for", "look_for_line"]

LOOK_FOR_MAX = 86  # characters: "Look for: " + the line + a margin fit 100 columns
LOOK_FOR_HEAD = "What to look for"  # the description's paragraph the story panel shows in bold


def check_look_for(c, value: Any, key: str = "look_for") -> str:
    """The ``look_for`` value, or '' after adding an issue to the checker ``c`` (a string, one line, at
    most LOOK_FOR_MAX characters, not blank)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        c.add(key, f"must be a string (one line of at most {LOOK_FOR_MAX} characters), got {type(value).__name__}")
        return ""
    text = value.strip()
    if "\n" in text or "\r" in text:
        c.add(key, "must be one line: what to look at in this demo (the story's description holds the rest)")
        return ""
    if not text:
        c.add(key, "is empty: say in one line what to look at, or leave the key out")
        return ""
    if len(text) > LOOK_FOR_MAX:
        c.add(key, f"is {len(text)} characters long: at most {LOOK_FOR_MAX} (it must fit one line of a "
                   "100-column projector)")
        return ""
    return text


def _first_sentence(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^([-•*]|\d+\.)\s+", "", text)  # a list item's bullet
    m = re.search(r"(?<=[.!?])\s(?=[A-Z(*•\-\d])|\s[*•]\s", text)
    return (text[:m.start()] if m else text).strip()


def first_look_for(description: str) -> str:
    """The first sentence of the description's "What to look for" paragraph (of the description when it has
    none), on one line; '' without a description."""
    head, sep, tail = description.partition(LOOK_FOR_HEAD)
    body = tail.lstrip(" :\n") if sep else head
    paragraph = re.split(r"\n\s*\n", body.strip(), maxsplit=1)[0] if body.strip() else ""
    return _first_sentence(paragraph)


def look_for_line(look_for: str, description: str, limit: int = LOOK_FOR_MAX) -> str:
    """The line to show: ``look_for`` when given, else :func:`first_look_for`, cut at a word with "…" to at
    most ``limit`` characters (never inside a number)."""
    text = (look_for or "").strip() or first_look_for(description)
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"
