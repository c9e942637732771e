"""The main screen's network-view keys: the loss-landscape slice (L computes it, K shows / hides it, D
switches its directions, U sets how often it follows the training).

A mixin of :class:`~sgd_tui.ui.screens.main.MainScreen` (which keeps the session, the playback and the
plot area). The slice is computed in a thread worker (:mod:`sgd_tui.ui.jobs.landscape`), one at a time: a
new request cancels the one under way (Textual's exclusive worker group; the job asks ``cancelled()``
before every grid point, so it ends within one point), and the plot area drops an answer to an older
request. A job also ends as soon as the screen shows another session (a scenario opened) or the app quits
(Textual cancels every worker).

Following the training: with ``refresh_every = N`` in the session's [landscape] settings (a scenario's
table, or the U key) and the slice shown, the redraw timer starts a new slice whenever the selected run
has gone N steps past the last one, and once more at its last step when it ends, unless one is being
computed (training waits while it is).
"""

from __future__ import annotations

from functools import partial

from sgd_tui.core.errors import ParamError
from sgd_tui.core.run.spec import LANDSCAPE_PARAMS
from sgd_tui.ui.jobs.landscape import landscape_job, make_request
from sgd_tui.ui.screens.dialogs import AskScreen

__all__ = ["NetViewActions"]


class NetViewActions:
    """action_landscape (L), action_toggle_landscape (K), action_landscape_mode (D), action_landscape_every
    (U) and follow_landscape (the redraw timer's refresh) for MainScreen."""

    _landscape_worker = None  # the worker computing the newest slice
    _landscape_from: tuple | None = None  # (session, run_id, step) the newest slice was asked at
    _landscape_keys_for: bool | None = None  # is_2d when the footer last asked check_action

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """L and D are footer keys of data sets only: on a surface they are hidden (and do nothing)."""
        session = getattr(self, "session", None)
        if action in ("landscape", "landscape_mode") and session is not None and session.shared.is_2d:
            return False
        return super().check_action(action, parameters)

    def landscape_settings(self) -> dict:
        """The session's [landscape] settings (made from the defaults the first time a key changes them)."""

        shared = self.session.shared
        if shared.landscape is None:
            shared.landscape = {p.name: p.default for p in LANDSCAPE_PARAMS}
        return shared.landscape

    def action_landscape(self) -> None:
        self.start_landscape()

    def start_landscape(self, auto: bool = False) -> bool:
        """Ask for a slice of the selected run's objective (``auto``: the timer's refresh, which says nothing
        when none can be made); False when none was started."""
        plots = self.plots
        sel = self.selected()
        req = make_request(self.session, sel, plots.landscape_key + 1)
        if isinstance(req, str):
            if not auto:
                self.notify(req, title="loss landscape", severity="warning")
            return False
        plots.landscape_key = req.key
        req.quiet = auto
        if self.session.shared.landscape is not None:  # a saved scenario replays the slice shown last
            self.session.shared.landscape["runs"] = list(req.runs)
        plots.add_class("-landscape")
        plots.landscape.set_status("computing " + " + ".join(req.runs) + "…")
        playback, session = self.playback, self.session
        self._landscape_from = (session, sel.run_id, sel.progress.step)
        worker = None

        def cancelled() -> bool:
            return (worker is not None and worker.is_cancelled) or self.session is not session

        job = partial(landscape_job, plots.post_message, req, playback.driver,
                      lambda: playback.driver_running, cancelled)
        worker = self._landscape_worker = self.run_worker(job, thread=True, exit_on_error=False, group="landscape",
                                                          exclusive=True, name="landscape")
        plots.refresh_if_changed()
        return True

    def landscape_busy(self) -> bool:
        w = self._landscape_worker
        return w is not None and not w.is_finished

    def follow_landscape(self, sel) -> None:
        """The redraw timer's part: forget the slice of a session no longer shown; with ``refresh_every``,
        a new slice every N steps of the selected run while the slice is shown."""
        plots = self.plots
        if self._landscape_keys_for is not self.session.shared.is_2d:  # the footer shows L and D for data sets
            self._landscape_keys_for = self.session.shared.is_2d
            self.refresh_bindings()
        last = self._landscape_from
        if last is not None and last[0] is not self.session:  # another scenario: its runs have no slice yet
            self._landscape_from = None
            plots.landscape_key += 1  # an answer still on its way is dropped
            plots.landscape.set_view(None, "press L: the loss landscape")
            return
        every = (self.session.shared.landscape or {}).get("refresh_every")
        if not every or sel is None or not plots.has_class("-landscape") or self.landscape_busy():
            return
        step = sel.progress.step
        since = last[2] if last is not None and last[1] == sel.run_id and last[2] <= step else 0
        ended = sel.progress.done and (last is None or last[2] != step)  # the slice at the end, once
        if step > 0 and (step >= since + every or ended):
            self.start_landscape(auto=True)

    def action_toggle_landscape(self) -> None:
        if self.session.shared.is_2d:
            self.notify("the loss landscape is for data sets; a surface's heat map is its landscape",
                        severity="warning")
            return
        self.plots.toggle_class("-landscape")
        self.plots.refresh_if_changed()

    def action_landscape_mode(self) -> None:
        """D: the plane through the start and two runs <-> Li et al.'s random directions around one run."""
        if self.session.shared.is_2d:
            self.action_toggle_landscape()  # says why not
            return
        settings = self.landscape_settings()
        settings["mode"] = "random" if settings.get("mode", "plane") == "plane" else "plane"
        what = ("random filter-normalised directions around the selected run (Li et al. 2018)"
                if settings["mode"] == "random" else "the plane through the start and the selected and next runs")
        self.notify(what, title=f"landscape: {settings['mode']}")
        if self.plots.has_class("-landscape") or self.plots.landscape.view is not None:
            self.start_landscape()

    def action_landscape_every(self) -> None:
        """U: ask N, the steps of the selected run between two slices while it trains (empty: only on L)."""

        param = next(p for p in LANDSCAPE_PARAMS if p.name == "refresh_every")
        now = (self.session.shared.landscape or {}).get("refresh_every")

        def check(text: str) -> str:
            try:
                param.parse_text(text)
            except ParamError as e:
                return str(e)
            return ""

        def done(text: str | None) -> None:
            if text is None:
                return
            every = param.parse_text(text)
            self.landscape_settings()["refresh_every"] = every
            self.notify(f"a new slice every {every} steps of the selected run while the slice is shown"
                        if every else "the slice is computed on request only (L)", title="landscape")

        self.app.push_screen(AskScreen("Loss landscape", "recompute every N steps (empty: only on L)",
                                       "" if now is None else str(now), check=check), done)
