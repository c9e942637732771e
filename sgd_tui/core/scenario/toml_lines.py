"""Where keys are in a TOML file, for error messages.

tomllib parses without positions, so this scans the text the way a person reads it: it tracks
``[table]``, ``[runs.objective]`` and ``[[runs]]`` headers, ``key = value`` lines (dotted and quoted
keys too) and the keys of inline tables, and skips multi-line strings and arrays. The result maps a
key path as the scenario validator names it (``seed``, ``objective.condition``, ``runs[2].momentum``,
``runs[2].objective.noise``; runs counted from 1) to the first line where it appears.

It is a locator, not a parser: the file has already been parsed by tomllib when this runs.
"""

from __future__ import annotations

import re

__all__ = ["locate_keys", "line_of"]

_BARE = r"[A-Za-z0-9_-]+"
_KEY_PART = rf'(?:{_BARE}|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_KEY = re.compile(rf"^\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=\s*(.*)$")
_PART = re.compile(_KEY_PART)


def _split_key(key: str) -> list[str]:
    return [p.strip("\"'") for p in _PART.findall(key)]


def _scan_value(value: str) -> tuple[str, int, str | None]:
    """Strip a trailing comment from ``value``; return (value, bracket depth change, open multi-line
    string delimiter or None)."""
    depth = 0
    i = 0
    out = []
    while i < len(value):
        three = value[i:i + 3]
        if three in ('"""', "'''"):
            end = value.find(three, i + 3)
            if end < 0:
                return "".join(out) + value[i:], depth, three
            out.append(value[i:end + 3])
            i = end + 3
            continue
        c = value[i]
        if c in "\"'":
            j = i + 1
            while j < len(value) and value[j] != c:
                j += 2 if (c == '"' and value[j] == "\\") else 1
            out.append(value[i:j + 1])
            i = j + 1
            continue
        if c == "#":
            break
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        out.append(c)
        i += 1
    return "".join(out), depth, None


def _inline_keys(value: str) -> list[str]:
    """The keys of an inline table ``{ a = 1, b.c = "x" }`` at its first level."""
    body = value.strip()
    if not body.startswith("{"):
        return []
    keys = []
    depth = 0
    start = 1
    i = 1
    parts = []
    while i < len(body):
        c = body[i]
        if c in "\"'":
            j = i + 1
            while j < len(body) and body[j] != c:
                j += 2 if (c == '"' and body[j] == "\\") else 1
            i = j + 1
            continue
        if c in "[{":
            depth += 1
        elif c in "]}":
            if depth == 0:
                parts.append(body[start:i])
                break
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
        i += 1
    for part in parts:
        m = _KEY.match(part)
        if m:
            keys.append(".".join(_split_key(m.group(1))))
    return keys


def locate_keys(text: str) -> dict[str, int]:
    """Map each key path of ``text`` to its first line (1-based)."""
    where: dict[str, int] = {}
    prefix = ""
    run = 0
    open_string: str | None = None
    depth = 0
    for lineno, line in enumerate(text.splitlines(), 1):
        if open_string:
            if open_string in line:
                open_string = None
            continue
        if depth > 0:  # inside a multi-line array or inline table
            _, change, open_string = _scan_value(line)
            depth += change
            continue
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith("[["):
            name = ".".join(_split_key(s[2:s.find("]]")]))
            if name == "runs":
                run += 1
                prefix = f"runs[{run}]"
            else:
                prefix = name
            where.setdefault(prefix, lineno)
            continue
        if s.startswith("["):
            parts = _split_key(s[1:s.find("]")])
            if parts and parts[0] == "runs" and run:
                prefix = ".".join([f"runs[{run}]", *parts[1:]])
            else:
                prefix = ".".join(parts)
            where.setdefault(prefix, lineno)
            continue
        m = _KEY.match(s)
        if not m:
            continue
        key = ".".join(_split_key(m.group(1)))
        path = f"{prefix}.{key}" if prefix else key
        where.setdefault(path, lineno)
        value, change, open_string = _scan_value(m.group(2))
        depth = max(change, 0)
        for inner in _inline_keys(value):
            where.setdefault(f"{path}.{inner}", lineno)
    return where


def line_of(where: dict[str, int], path: str) -> int | None:
    """The line of ``path``, or of its nearest enclosing table that the file names."""
    while path not in where:
        item = re.sub(r"\[\d+\]$", "", path)  # an element of an inline array: the array's line
        if item != path and item in where:
            return where[item]
        if "." not in path:
            return None
        path = path.rsplit(".", 1)[0]
    return where[path]
