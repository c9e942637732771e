"""More of the main screen's actions (a mixin of :class:`~sgd_tui.ui.screens.main.MainScreen`, which stays
small): the panels' toggles (teaching aids, theory, basin map), help, the mouse (a click on the surface starts runs there, ``z`` resets the loss plot's wheel zoom; a
click on a row of the runs table selects that run through the table's own cursor) and quitting at once.
"""

from __future__ import annotations

import time
from pathlib import Path

from sgd_tui.core.text import file_stem
from sgd_tui.replay.figures import text_figure_svg
from sgd_tui.replay.results_dir import write_whole
from sgd_tui.ui.quit import hard_exit
from sgd_tui.ui.screens.dialogs import HelpScreen
from sgd_tui.ui.screens.keys import HELP_INTRO
from sgd_tui.ui.widgets.plot_mouse import StartPicked
from sgd_tui.ui.widgets.plotgrid import PlotGrid

__all__ = ["MoreActions"]


class MoreActions:
    """Needs the screen's ``session``, ``plots``, ``table``, ``selected()``, ``refresh_views()``,
    ``_runs_changed()``, ``_load_selected()``, ``is_narrow()`` and ``_apply_setup()``."""

    def action_toggle_teaching(self) -> None:
        self.toggle_class("-teaching-hidden")

    def action_toggle_basins(self) -> None:
        self.plots.toggle_basins(self.selected())

    def action_toggle_flow(self) -> None:
        sel = self.selected()
        if sel is not None:  # the row under the cursor now (the plots follow it on the next tick)
            self.plots.select(sel.run_id)
        on = self.plots.toggle_flow()
        if on and (self.plots.flows_coming() or len(self.plots.flow_runs()) == 2):
            self.notify("grey: the gradient flow of f; light grey: the flow of the modified loss "
                        "f + (α/4)‖∇f‖², which GD follows to second order (drawn under the runs)", title="flows")
        if on and self.plots.flow_run() is None and not self.plots.flows_coming():
            self.notify("no flows for this run: they are drawn for gradient descent with a constant step and no "
                        "gradient noise on a 2-D surface (select such a run, or press c again to stop)")

    def action_toggle_theory(self) -> None:
        self.toggle_class("-theory-shown")
        if self.is_narrow() and self.has_class("-theory-shown") and self.session.shared.is_2d:
            self.remove_class("-story-open")  # narrow: one panel in the plots' place at a time (layout.py)
            self._apply_setup()
        self.refresh_views()

    def action_focus_runs(self) -> None:
        self.table.focus()

    def action_help(self) -> None:
        app_keys = [b for b in self.app.BINDINGS if getattr(b, "id", None) == "toggle_present"]  # P: every screen's
        self.app.push_screen(HelpScreen(self.BINDINGS + app_keys, HELP_INTRO))

    async def on_start_picked(self, m: StartPicked) -> None:
        """Reset the selected run (shift: every run on the surface's objective) to start at the point."""
        objective = self.plots.surface_objective
        on_surface = [r for r in self.session.runs if self.session.objective_of(r)[0] == objective]
        sel = self.selected()
        targets = on_surface if m.every else [r for r in on_surface if r is sel]
        if not targets:
            self.notify("select a run on this surface first (click its row)", severity="warning")
            return
        point = (round(m.x, 3), round(m.y, 3))
        errors = [e for e in (self.session.set_start(r, point) for r in targets) if e]
        self._runs_changed()
        await self._load_selected()  # the form shows the new start
        who = "every run" if m.every else targets[0].spec.label
        self.notify(errors[0] if errors else f"{who} starts at ({point[0]:g}, {point[1]:g})",
                    severity="error" if errors else "information", timeout=3)

    def action_save_figures(self) -> None:
        """Figures for slides: every plot on screen as an SVG (its text in the replay's ``--figures`` frame,
        16:9) and the whole screen, in colour, as Textual's screenshot, in ``figures/<title>-<time>/`` under
        the working folder."""
        title = self.session.shared.title
        folder = Path("figures") / f"{file_stem(title) or 'sgd-tui'}-{time.strftime('%Y%m%d-%H%M%S')}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            written = []
            for plot in self.plots.query(PlotGrid):
                lines = plot.text_lines() if plot.region.width and plot.display else []
                if any(line.strip() for line in lines):
                    path = folder / f"{plot.id or type(plot).__name__.lower()}.svg"
                    write_whole(path, text_figure_svg("\n".join(lines), f"{title} · {plot.id}"))
                    written.append(path.name)
            self.app.save_screenshot(filename="screen.svg", path=str(folder))
        except OSError as e:
            self.app.notify(f"cannot write figures into {folder}: {e.strerror or e}", title="figures",
                            severity="error")
            return
        self.app.notify(f"{', '.join(written + ['screen.svg'])} in {folder}", title="figures saved")

    def action_reset_zoom(self) -> None:
        self.plots.reset_zoom()
        self.refresh_views()

    async def action_quit(self) -> None:
        """The driver stops at once; in a real terminal the process ends here (within 0.5 s, see ..quit)."""
        self.playback.stop()
        self.playback.pause(self.session)
        hard_exit(self.app)
        self.app.exit()
