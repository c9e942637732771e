"""The main view: setup panel, one legend, plots and the scenario's story, teaching aids and the runs
table, driven by keys (the layout and view keys are :mod:`.layout`'s).

Threads (design §2): one :class:`~sgd_tui.ui.jobs.worker.Driver` runs in a Textual thread worker (started and
paced by :class:`~sgd_tui.ui.jobs.playback.Playback`) and posts :class:`~sgd_tui.ui.jobs.worker.Progress`; this
screen routes each update to its run (the run's series grows) and a single 5 Hz timer redraws what
changed: plots, table cells, teaching aids, status line. Building a preview of the objective (for the
heat map, in :class:`~sgd_tui.ui.widgets.plot_area.PlotArea`) and finding devices import torch, so they
run in thread workers too (:mod:`sgd_tui.ui.jobs.background`), and the first frame never waits for torch.

The screen wires the widgets to the :class:`~sgd_tui.ui.session.Session` (the rules); keys: :mod:`.keys`.
"""

from __future__ import annotations

import time
from functools import partial

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable
from textual.worker import Worker, WorkerState

from sgd_tui.ui.jobs.background import DevicesFound, find_devices
from sgd_tui.ui.jobs.playback import Playback
from sgd_tui.ui.jobs.worker import DriverIdle, Progress
from sgd_tui.ui.run_entry import RunEntry
from sgd_tui.ui.screens.actions import MoreActions
from sgd_tui.ui.screens.keys import MAIN_BINDINGS, MAIN_FOOTER_PRIORITY
from sgd_tui.ui.screens.layout import WIDE, LayoutKeys
from sgd_tui.ui.screens.netview import NetViewActions
from sgd_tui.ui.screens.runlist import RunListActions
from sgd_tui.ui.session import Session
from sgd_tui.ui.widgets.footer import KeyFooter
from sgd_tui.ui.widgets.legend import RunLegend
from sgd_tui.ui.widgets.plot_area import PlotArea
from sgd_tui.ui.widgets.presenter import PresenterBar
from sgd_tui.ui.widgets.relay import Relay, covered
from sgd_tui.ui.widgets.run_errors import RunErrors
from sgd_tui.ui.widgets.runs_table import RunsTable
from sgd_tui.ui.widgets.setup_panel import SetupPanel
from sgd_tui.ui.widgets.status_line import StatusLine
from sgd_tui.ui.widgets.story import StoryPanel
from sgd_tui.ui.widgets.teaching import TeachingPanel
from sgd_tui.ui.widgets.theory_panel import TheoryPanel

__all__ = ["MainScreen"]

REDRAW_S = 0.2  # the one redraw timer: 5 Hz
TABLE_S = 0.5  # the table's figures change every step: 2 Hz is readable and costs a third of the bytes


class MainScreen(MoreActions, RunListActions, NetViewActions, LayoutKeys, Screen):
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE, "-wide")]

    BINDINGS = MAIN_BINDINGS
    FOOTER_PRIORITY = MAIN_FOOTER_PRIORITY

    def __init__(self, session: Session, *, monochrome: bool = False, timings: bool = True,
                 present: bool = False) -> None:
        super().__init__()
        self.session = session
        self.present = present  # presenter mode (sgd-tui --present, P): see LayoutKeys.set_present
        self.monochrome = monochrome
        self.timings = timings
        self._relay: Relay | None = None  # the driver's messages and the redraw timer land there (widgets/relay.py)
        self.playback = Playback(self._post, self.run_worker)
        self._teach_key: tuple = ()
        self._table_at = 0.0
        self._told: set = set()  # run errors and divergences already notified
        self._loaded_id: str | None = None  # the run the setup panel shows
        self.shared_error = ""  # a shared setting (objective option, budget) that is not allowed

    # ----------------------------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            first = self.session.runs[0].spec.optimizer if self.session.runs else "sgd"
            yield SetupPanel(self.session.shared, first, id="setup")
            with Vertical(id="main"):
                yield StatusLine(id="status")
                yield PresenterBar(id="presenter")
                yield RunErrors(id="run-errors")
                yield RunLegend(monochrome=self.monochrome, id="legend")
                with Horizontal(id="plot-row"):
                    yield PlotArea(monochrome=self.monochrome, id="plots")
                    yield StoryPanel(id="story")
                yield TeachingPanel("", id="teaching")
                yield TheoryPanel(monochrome=self.monochrome, id="theory")
                yield RunsTable(timings=self.timings, monochrome=self.monochrome, id="runs")
        yield KeyFooter()
        self._relay = Relay(progress=self.on_progress, driver_idle=self.on_driver_idle)
        yield self._relay

    async def on_mount(self) -> None:
        """Show the session: forms, story, view, plots, table. A screen shows one session for its whole life:
        opening a scenario builds a new MainScreen (SgdApp.show_session), so nothing carries over."""
        session = self.session
        self.table.sync(session.runs)
        await self.query_one(SetupPanel).load_shared(session.shared)
        self.show_story(session.shared.title, session.shared.description)
        self.plots.apply_view(session.shared.view)
        self.set_present(self.present)
        self._shared_changed()
        await self._load_selected()
        # torch's import holds the GIL: the devices are found after the first frame, in a thread
        self.call_after_refresh(self.run_worker, partial(find_devices, self.post_message), thread=True,
                                exit_on_error=False, group="devices", name="find_devices")
        self._relay.set_interval(REDRAW_S, self.refresh_views)  # on the relay: see widgets/relay.py
        self._apply_setup()
        self.table.focus()

    def on_unmount(self) -> None:  # another scenario opened, or the app ends
        self.playback.pause(self.session)
        self.playback.stop()
        for r in self.session.runs:
            if r.slot is not None:
                r.slot.removed = True

    # ----------------------------------------------------------------------------------- helpers
    @property
    def table(self) -> RunsTable:
        return self.query_one(RunsTable)

    @property
    def plots(self) -> PlotArea:
        return self.query_one(PlotArea)

    def selected(self) -> RunEntry | None:
        rid = self.table.selected_id
        return next((r for r in self.session.runs if r.run_id == rid), None)

    def _shared_changed(self) -> None:
        """After the objective or the run list changed: plot kind, surface, runs, driver slots."""
        is_2d = self.session.shared.is_2d
        budget = self.session.shared.budget
        self.plots.set_kind(is_2d, bool(budget.get("sharpness_every")), bool(budget.get("noise_every")))
        self.set_class(is_2d, "-surface")
        self.table.has_target = self.session.shared.budget.get("target_loss") is not None
        self._runs_changed()

    def _runs_changed(self) -> None:
        self.plots.set_runs(self.session.runs)
        self.playback.follow(self.session)
        self.table.sync(self.session.runs)

    async def _load_selected(self) -> None:
        """The selected run into the setup form, and its objective's surface under the trajectories."""
        r = self.selected()
        self._loaded_id = r.run_id if r else None
        self.plots.show_objective(*self.session.objective_of(r), self.session.shared.seed, r and r.run_id)
        await self.query_one(SetupPanel).load_run(r.shown_spec() if r else None, r.invalid if r else "")
        self._teach_key = ()

    async def _select(self, entry: RunEntry) -> None:
        self._runs_changed()
        self.table.select(entry.run_id)
        await self._load_selected()

    # ----------------------------------------------------------------------------------- messages
    def _post(self, message) -> None:
        """The driver's post (thread-safe): to the relay once it exists, else (never while runs play) here."""
        (self._relay or self).post_message(message)

    def on_devices_found(self, m: DevicesFound) -> None:
        self.query_one(SetupPanel).set_devices(m.devices)

    def on_progress(self, m: Progress) -> None:
        failed: dict[str, list[str]] = {}
        for r in self.session.apply(m.updates):
            p = r.progress
            if p.status == "diverged" and ("diverged", id(r.slot)) not in self._told:  # say which value tripped
                self._told.add(("diverged", id(r.slot)))
                self.notify(p.message or "a loss or a point went out of range", severity="warning", timeout=10,
                            title=f"{r.spec.label} diverged at step {p.diverged_step}")
            if p.status == "error" and p.message and p.message not in self._told:
                failed.setdefault(p.message, []).append(r.spec.label)
        for message, labels in failed.items():  # one notification per distinct error, however many runs
            self._told.add(message)
            self.notify(message, title=f"run failed: {', '.join(labels)}", severity="error", timeout=10)

    def on_driver_idle(self, _: DriverIdle) -> None:
        self.playback.idle(self.session)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.playback.playing = False
            err = event.worker.error
            self.notify(f"{type(err).__name__}: {err}", title=f"{event.worker.name or 'worker'} failed",
                        severity="error", timeout=10)

    # ----------------------------------------------------------------------------------- redraw
    def refresh_views(self) -> None:
        """The one redraw timer (5 Hz): plots, table cells and texts, each only when changed. Not while
        another screen is on top (help, a question, the sweep view): a change under a modal dialog makes
        Textual repaint the whole screen, dialog included (the help over a running race sent 550 KB/s to
        the terminal against 35 KB/s without it); the runs go on, and the views catch up when it closes."""
        if covered(self):
            return
        playing = self.playback.playing
        self.plots.refresh_if_changed()
        now = time.monotonic()
        sel = self.selected()
        if not playing or now - self._table_at >= TABLE_S:
            self._table_at = now
            self.table.sync(self.session.runs)
            self.show_figures(sel)  # presenter mode's big figures: at the table's rate
        key = (id(sel), sel.version if sel else 0, playing)
        if key != self._teach_key and self.session.shared.is_2d:
            self._teach_key = key
            self.query_one(TeachingPanel).show(sel, playing)
        self.plots.follow_basins(sel)
        self.follow_landscape(sel)
        self.query_one(TheoryPanel).follow(sel, self.has_class("-theory-shown") and self.session.shared.is_2d,
                                           self.session.runs)
        self.query_one(RunErrors).show(self.session.runs)
        self.query_one(StatusLine).show(self.session, sel, playing, self.playback.speed, self.plots.loss)
        self.query_one(RunLegend).show(self.session.runs, sel.run_id if sel else None, self.plots.flow_legend())

    # ----------------------------------------------------------------------------------- edits
    async def on_setup_panel_shared_edited(self, _: SetupPanel.SharedEdited) -> None:
        panel = self.query_one(SetupPanel)
        shared, error = panel.shared_values()
        self.shared_error = error if shared is None else ""
        panel.show_shared_error(self.shared_error)
        if shared is None:
            return  # the runs keep the last valid settings, and cannot start until this is fixed
        shared.title, shared.description = self.session.shared.title, self.session.shared.description
        shared.look_for = self.session.shared.look_for
        shared.view = self.session.shared.view
        self.playback.pause(self.session)
        self.session.set_shared(shared)
        self._shared_changed()
        await self._load_selected()

    def on_setup_panel_run_edited(self, m: SetupPanel.RunEdited) -> None:
        r = self.selected()
        if r is not None:
            panel = self.query_one(SetupPanel)
            optimizer, hyper, settings, label, error = panel.run_values()
            panel.show_run_error(self.session.edit(r, optimizer, hyper, settings, label, error, typing=m.typing))
            panel.show_notes(r.held_notes())  # "Enter applies 0.1 ..." under a typed field
            if not r.typed_label:
                panel.set_label(r.spec.label)  # the label follows the settings
            self._runs_changed()

    async def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        if self.table.selected_id != self._loaded_id:  # not when the table is rebuilt around the same run
            await self._load_selected()

    # ----------------------------------------------------------------------------------- actions
    def _refuse(self, what: str) -> bool:
        """Say why nothing can run (an invalid form value), or False when all is valid."""
        msg = self.shared_error or self.session.first_invalid()
        if msg:
            self.notify(msg, title=f"cannot {what}", severity="error")
        return bool(msg)

    def action_run_pause(self) -> None:
        if self.playback.playing:
            self.playback.pause(self.session)
        elif not self._refuse("start"):
            if self.playback.play(self.session):
                self.story_gives_way()
                self._runs_changed()
            else:
                self.notify("nothing to run: add a run (a) or reset (r)", severity="warning")

    def action_step(self) -> None:
        if not self._refuse("step"):
            self.story_gives_way()
            self.playback.step(self.session)
            self._runs_changed()

    async def action_reset(self) -> None:
        self._told.clear()
        self.playback.pause(self.session)
        self.session.reset_all()
        self._runs_changed()

    def action_speed(self, direction: int) -> None:
        self.playback.change_speed(self.session, direction)

    def action_flat_out(self) -> None:
        self.playback.toggle_flat_out(self.session)
