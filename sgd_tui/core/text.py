"""Text from a file or the command line, made safe to print or draw (no terminal injection).

A scenario travels (downloaded, mailed), so its title, description, labels, keys and values are
untrusted. Printed raw, ``\\x1b]0;…\\x07`` sets the window title, ``\\x1b]52;c;…\\x07`` writes the
clipboard, ``\\x1b[2J`` clears the screen, and a bidi override (U+202E) makes text read backwards.
:func:`safe_text` is the one function every print and draw path uses; it makes such characters
*visible* rather than dropping them, so the reader sees that the file holds them:

* C0 controls (U+0000–U+001F) and DEL (U+007F) become their Unicode control pictures
  (ESC → ``␛``, BEL → ``␇``, CR → ``␍``, DEL → ``␡``); newline and tab are kept when ``newlines=True``
  (multi-line descriptions), and shown as ``␊`` / ``␉`` otherwise (one-line labels, progress lines);
* C1 controls (U+0080–U+009F; U+009B is a one-byte CSI), bidi embeddings, overrides, isolates and marks
  (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), the line/paragraph separators U+2028/U+2029
  and lone surrogates (undecodable bytes of a command-line argument) become an escape in Python's
  notation: ``\\x9b``, ``\\u202e``, ``\\udcff``.

The result never holds a control character, so ``safe_text`` is idempotent. Data outputs (metrics.csv,
summary.json, scenario.toml) keep the exact text: their formats escape it.

:func:`shorten` cuts an echoed value (a 200,000-number ``start`` in an error) to a readable length.
Pure Python: no rich, textual or torch.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection

__all__ = ["safe_text", "shorten", "unique_label", "unique_labels", "file_stem", "MAX_ECHO"]

MAX_ECHO = 80  # characters of an echoed value in a message

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}\ud800-\udfff]")


def _visible(ch: str, newlines: bool) -> str:
    code = ord(ch)
    if ch in "\n\t" and newlines:
        return ch
    if code < 0x20:
        return chr(0x2400 + code)  # the control pictures block: U+2400 NUL ... U+241F US
    if code == 0x7F:
        return "\u2421"  # ␡
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def safe_text(s: object, *, newlines: bool = True) -> str:
    """``str(s)`` with every control, bidi-control and surrogate character made visible (module doc);
    ``newlines=True`` keeps newline and tab."""
    text = s if isinstance(s, str) else str(s)
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(lambda m: _visible(m.group(), newlines), text)


def shorten(text: str, limit: int = MAX_ECHO) -> str:
    """``text`` cut to about ``limit`` characters, ending with an ellipsis and the full length:
    ``[0.0, 0.0, 0.0, 0.0, … (1000002 characters)``."""
    if len(text) <= limit:
        return text
    tail = f"… ({len(text)} characters)"
    return text[:max(limit - len(tail), 8)] + tail


def unique_label(base: str, taken: Collection[str]) -> str:
    """``base`` if no run has it, else ``base #k`` with the smallest k >= 2 that is free. The one rule
    for run labels: scenario files and the app's runs use it (a label names a run in metrics.csv)."""
    if base not in taken:
        return base
    return next(f"{base} #{k}" for k in itertools.count(2) if f"{base} #{k}" not in taken)


def unique_labels(labels: list[str]) -> list[str]:
    """Every label made unique with :func:`unique_label`: the first run with a label keeps it, and so
    does every label written out (``same``, ``same``, ``same #2`` become ``same``, ``same #3``,
    ``same #2``): a repeat is renamed around all of them, so no two runs ever share a label."""
    taken = set(labels)
    out, seen = [], set()
    for label in labels:
        if label in seen:
            label = unique_label(label, taken)
            taken.add(label)
        seen.add(label)
        out.append(label)
    return out


def file_stem(title: str) -> str:
    """A file name made from a title: lower-case letters, digits and dashes only, so no ``/``, ``..`` or
    control character of the title can lead a saved file out of the working folder (``"../../x"`` →
    ``"x"``); ``"scenario"`` when nothing is left."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80].strip("-") or "scenario"
