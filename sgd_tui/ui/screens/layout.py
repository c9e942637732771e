"""The main view's layout keys: the setup panel (a column or a drawer), the scenario's story beside the
plots, and the loss plot's view (x axis, log y, f or the gap f − f*, smoothing, which plots show).

Below ``WIDE`` columns (80x24 over SSH) there is no room beside the plots: the story (``g``) and the theory
panel (``m``) each take the plots' place, full width, while open -- tabs over the plots, one at a time --
and the story gives way to the plots when the runs start (space, n).

The setup panel sits beside the plots from ``WIDE`` columns (``ROOMY`` when the story is open too); on a
narrower terminal it is a drawer over the plots (CSS: ``MainScreen.-narrow #setup``), so closed it costs
the plots nothing. Once the user opens or closes it (``s``), that choice holds through every resize.
"""

from __future__ import annotations

__all__ = ["LayoutKeys", "WIDE", "ROOMY"]

WIDE = 110  # columns from which the setup panel sits beside the plots (below: a drawer over them)
ROOMY = 160  # columns from which the setup panel and the story both sit beside the plots


class LayoutKeys:
    """Mixed into the main screen (which has ``plots``, ``table``, ``session`` and ``refresh_views``)."""

    setup_open: bool | None = None  # the user's choice (s); None = by width

    # ------------------------------------------------------------------------- setup panel
    def action_toggle_setup(self) -> None:
        """Open / close the setup panel; opening it focuses its first field (Tab walks the rest), closing
        it returns to the runs table."""
        self.setup_open = not self._setup_shown()
        self._apply_setup()
        if self.setup_open:
            self.query_one("#objective").focus()

    def _setup_shown(self) -> bool:
        if self.setup_open is not None:
            return self.setup_open
        return self.size.width >= (ROOMY if self.has_class("-story-open") else WIDE)

    def _apply_setup(self) -> None:
        shown = self._setup_shown()
        self.set_class(shown, "-setup-open")
        setup = self.query_one("#setup")
        if not shown and self.focused is not None and setup in self.focused.ancestors:
            self.table.focus()

    def on_resize(self) -> None:
        self._apply_setup()

    # ------------------------------------------------------------------------- the story
    def show_story(self, title: str, description: str) -> None:
        """A scenario's description beside the plots: open when it has one."""
        self.query_one("#story").show(title, description)
        self.set_class(bool(description.strip()), "-story-open")
        if self.is_narrow() and self.has_class("-story-open"):
            self.remove_class("-theory-shown")  # one panel in the plots' place at a time
        self._apply_setup()

    def action_toggle_story(self) -> None:
        self.toggle_class("-story-open")
        if self.is_narrow() and self.has_class("-story-open"):
            self.remove_class("-theory-shown")  # one panel in the plots' place at a time
        self._apply_setup()

    def is_narrow(self) -> bool:
        """Below WIDE columns: the story and the theory panel take the plots' place while open."""
        return self.size.width < WIDE

    def story_gives_way(self) -> None:
        """The runs start: on a narrow terminal the story makes way for the plots (g brings it back)."""
        if self.is_narrow() and self.has_class("-story-open"):
            self.remove_class("-story-open")
            self._apply_setup()

    # ------------------------------------------------------------------------- the loss plot's view
    def _view_changed(self) -> None:
        self.session.shared.view = self.plots.view()  # saved with the comparison (w)
        self.refresh_views()  # a key shows its effect now, not at the next tick

    def action_plot_view(self, change: str) -> None:
        """t, l, e, y, p: a PlotArea method (cycle_x, toggle_log, cycle_smoothing, cycle_loss_mode, cycle_plots)."""
        getattr(self.plots, change)()
        self._view_changed()
