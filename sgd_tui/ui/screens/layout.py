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

from sgd_tui.plotting.style import NORMAL, PRESENTER
from sgd_tui.ui.widgets.plot_area import objective_key
from sgd_tui.ui.widgets.presenter import key_figures

__all__ = ["LayoutKeys", "WIDE", "ROOMY"]

WIDE = 110  # columns from which the setup panel sits beside the plots (below: a drawer over them)
ROOMY = 160  # columns from which the setup panel and the story both sit beside the plots


class LayoutKeys:
    """Mixed into the main screen (which has ``plots``, ``table``, ``session`` and ``refresh_views``)."""

    setup_open: bool | None = None  # the user's choice (s); None = by width
    present = False  # presenter mode (the screen sets it)

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
        if self.present:
            return False  # presenter mode: the plots get the room (s opens the panel)
        return self.size.width >= (ROOMY if self.has_class("-story-open") else WIDE)

    def _apply_setup(self) -> None:
        shown = self._setup_shown()
        self.set_class(shown, "-setup-open")
        setup = self.query_one("#setup")
        if not shown and self.focused is not None and setup in self.focused.ancestors:
            self.table.focus()

    def on_resize(self) -> None:
        self._apply_setup()
        self.show_figures(self.selected())

    # ------------------------------------------------------------------------- the story
    def show_story(self, title: str, description: str) -> None:
        """A scenario's description beside the plots: open when it has one."""
        self.query_one("#story").show(title, description)
        self.set_class(bool(description.strip()) and not self.present, "-story-open")  # presenter: the look-for line
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

    # ------------------------------------------------------------------------- presenter mode
    def set_present(self, on: bool) -> None:
        """Presenter mode on or off: the plots in block characters and the bright palette (plotting.style),
        the look-for line and the selected run's figures on top; the setup panel closes unless the user
        opened it (s), and the story closes (the look-for line stands for it; g opens it)."""
        self.present = on
        style = PRESENTER if on else NORMAL
        self.set_class(on, "-present")
        self.plots.set_style(style)
        self.query_one("#legend").style = style
        self.table.set_style(style)
        if on:
            self.remove_class("-story-open")
        self._apply_setup()
        self.show_figures(self.selected())
        self.table.sync(self.session.runs)

    def show_figures(self, sel) -> None:
        """Presenter mode: the look-for line and ``sel``'s key figures (core values, never recomputed)."""
        if not self.present:
            return
        f_star = None
        if sel is not None:
            f_star = self.plots.f_stars.get(objective_key(*self.session.objective_of(sel)))
        figures = key_figures(sel, f_star, self.plots.loss.uses_gap())
        color = None if sel is None or self.monochrome else PRESENTER.color(sel.color)
        sh = self.session.shared
        self.query_one("#presenter").show(sh.look_for, sh.description, figures, color, (self.size.width, self.size.height))

    # ------------------------------------------------------------------------- the loss plot's view
    def _view_changed(self) -> None:
        self.session.shared.view = self.plots.view()  # saved with the comparison (w)
        self.refresh_views()  # a key shows its effect now, not at the next tick

    def action_plot_view(self, change: str) -> None:
        """t, l, e, y, p: a PlotArea method (cycle_x, toggle_log, cycle_smoothing, cycle_loss_mode, cycle_plots)."""
        getattr(self.plots, change)()
        self._view_changed()
