"""The key bar: Textual's Footer, rebuilt only when the keys it shows change, and once per change.

Textual's Footer recomposes (a widget per key, each restyled) whenever the screen's bindings may have
changed, which is every focus move, and once per signal: Tab through the setup form rebuilt every key at
each press though the fields share their keys, and opening the app rebuilt them three times over. This
one compares the keys it would show with those it shows, and keeps at most one rebuild pending.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


def shown_keys(screen: Screen) -> tuple:
    """What a footer on ``screen`` draws from: each active binding with its state (the command palette's too)."""
    return tuple((key, b.action, b.description, b.show, b.key_display, b.group, b.tooltip, enabled, tooltip)
                 for key, (_, b, enabled, tooltip) in screen.active_bindings.items())


class KeyFooter(Footer):
    """Footer that recomposes after the refresh only when :func:`shown_keys` differs from what it shows."""

    _shown: tuple | None = None  # the keys of the last compose (None: not composed with bindings yet)
    _pending = False

    def compose(self):
        self._shown = shown_keys(self.screen) if self._bindings_ready else None
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen or self._pending:
            return
        if self._shown is None or shown_keys(screen) != self._shown:
            self._pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._pending = False
        if self.is_attached and (self._shown is None or shown_keys(self.screen) != self._shown):
            await self.recompose()
