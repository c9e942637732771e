"""The main screen's run-list keys: add (a), duplicate with one change (d), remove (x), show / hide (v).

A mixin of :class:`~sgd_tui.ui.screens.main.MainScreen`, which keeps the session (the rules:
:meth:`~sgd_tui.ui.session.Session.add_like`, ``duplicate``, ``remove``), the table and the plots.
"""

from __future__ import annotations

from sgd_tui.core.errors import ParamError
from sgd_tui.ui.screens.dialogs import AskScreen

__all__ = ["RunListActions"]


class RunListActions:
    """action_add, action_duplicate, action_remove and action_toggle_visible for MainScreen."""

    async def action_add(self) -> None:
        """A new run with the selected run's settings (or the defaults), selected for editing."""
        await self._select(self.session.add_like(self.selected()))

    def action_duplicate(self) -> None:
        r = self.selected()
        if r is None:
            self.notify("no run selected", severity="warning")
            return

        def check(change: str) -> str:
            try:
                self.session.duplicate_spec(r, change)
            except ParamError as e:
                return str(e)
            return ""

        async def done(change: str | None) -> None:
            if change is not None:
                await self._select(self.session.duplicate(r, change))

        self.app.push_screen(AskScreen(f"Duplicate {r.spec.label}", "the change, as key=value (e.g. lr=0.01)",
                                       check=check), done)

    async def action_remove(self) -> None:
        r = self.selected()
        if r is not None:
            self.session.remove(r)
            self._runs_changed()
            await self._load_selected()

    def action_toggle_visible(self) -> None:
        if (r := self.selected()) is not None:
            r.visible = not r.visible
            self.plots.set_runs(self.session.runs)
            self.refresh_views()
