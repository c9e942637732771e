"""The key bar: Textual's Footer, showing the keys that fit by priority, rebuilt only when they change.

What fits: a screen lists its binding ids most important first in ``FOOTER_PRIORITY`` (``"command_palette"``
stands for Ctrl+P); the bar keeps the keys that fit the width in that order, the least important dropped
first, and shows them in the bindings' order, then Ctrl+P, then help (``?``), the last key of the bar. So at 80 columns the bar still shows
help, open and save; from about 120 columns it shows all. A key of the focused widget (a Select's, say)
that the list does not name ranks just after help.

Textual's Footer recomposes (a widget per key, each restyled) whenever the screen's bindings may have
changed, which is every focus move, and once per signal: Tab through the setup form rebuilt every key at
each press though the fields share their keys, and opening the app rebuilt them three times over. This
one compares the keys it would show with those it shows (after a resize too), and keeps at most one
rebuild pending.
"""

from __future__ import annotations

from collections import namedtuple

from rich.cells import cell_len
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

__all__ = ["KeyFooter", "FooterEntry", "PALETTE_ID", "HELP_ACTIONS", "planned_keys", "key_width"]

PALETTE_ID = "command_palette"  # the name of Ctrl+P's entry in a screen's FOOTER_PRIORITY
HELP_ACTIONS = ("help", "app.help")  # the key shown last, and always

FooterEntry = namedtuple("FooterEntry", "key key_display description action enabled tooltip palette")


def key_width(key_display: str, description: str) -> int:
    """Columns of one key on the bar: `` key `` then ``description ``."""
    return cell_len(key_display) + cell_len(description) + 3


def planned_keys(screen: Screen, width: int) -> tuple[FooterEntry, ...]:
    """The keys a bar ``width`` columns wide shows on ``screen``, in the order it shows them."""
    app = screen.app
    priority = list(getattr(screen, "FOOTER_PRIORITY", ()))
    entries: list[tuple[int, int, FooterEntry]] = []  # (rank, order, entry)
    seen: set[str] = set()
    active = screen.active_bindings
    for order, (_, binding, enabled, tooltip) in enumerate(active.values()):
        if not binding.show or binding.action in seen:
            continue
        seen.add(binding.action)
        name = binding.id or binding.action
        rank = priority.index(name) if name in priority else (0.5 if priority else order)
        if binding.action in HELP_ACTIONS:
            rank = -1
        entries.append((rank, order, FooterEntry(binding.key, app.get_key_display(binding), binding.description,
                                                 binding.action, enabled, tooltip, False)))
    palette = active.get(app.COMMAND_PALETTE_BINDING) if app.ENABLE_COMMAND_PALETTE else None
    if palette is not None:
        _, binding, enabled, tooltip = palette
        rank = priority.index(PALETTE_ID) if PALETTE_ID in priority else len(priority)
        entries.append((rank, len(active), FooterEntry(binding.key, app.get_key_display(binding), binding.description,
                                                       binding.action, enabled, binding.tooltip or tooltip, True)))
    kept, used = [], 0
    for rank, order, e in sorted(entries, key=lambda t: (t[0], t[1])):
        w = key_width(e.key_display, e.description)
        if used + w <= width:
            kept.append((order, e))
            used += w
    kept.sort(key=lambda t: (t[1].action in HELP_ACTIONS, t[1].palette, t[0]))  # bindings' order, Ctrl+P, help
    return tuple(e for _, e in kept)


class KeyFooter(Footer):
    """Footer that shows :func:`planned_keys` and recomposes only when they differ from what it shows."""

    _shown: tuple | None = None  # the keys of the last compose (None: not composed with bindings yet)
    _pending = False

    def _width(self) -> int:
        return self.size.width or self.screen.size.width or self.app.size.width

    def plan(self) -> tuple:
        """The keys the bar would show now."""
        return planned_keys(self.screen, self._width())

    def shown_plan(self) -> tuple | None:
        """The keys the bar shows (None before the screen's bindings are known)."""
        return self._shown

    def compose(self):
        if not self._bindings_ready:
            self._shown = None
            return
        self._shown = self.plan()
        for e in self._shown:
            yield FooterKey(e.key, e.key_display, e.description, e.action, disabled=not e.enabled,
                            tooltip=e.tooltip or e.description).data_bind(compact=Footer.compact)

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        self._schedule()

    def on_resize(self) -> None:
        if self._bindings_ready and self.is_attached:
            self._schedule()

    def _schedule(self) -> None:
        if not self._pending and (self._shown is None or self.plan() != self._shown):
            self._pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._pending = False
        if self.is_attached and (self._shown is None or self.plan() != self._shown):
            await self.recompose()
