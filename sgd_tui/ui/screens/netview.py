"""The main screen's plot keys: the loss plot's view (t, l, e) and the network views' loss-landscape
slice (L computes it, K shows / hides it).

A mixin of :class:`~sgd_tui.ui.screens.main.MainScreen` (which keeps the session, the playback and the
plot area); the slice is computed in a thread worker (:mod:`sgd_tui.ui.landscape_job`), one at a time:
a new request cancels the one under way, and the plot area drops an answer to an older request.
"""

from __future__ import annotations

from functools import partial

from ..landscape_job import landscape_job, make_request

__all__ = ["NetViewActions"]


class NetViewActions:
    """action_landscape (L) and action_toggle_landscape (K) for MainScreen (t, l, e, y, p: layout.LayoutKeys)."""

    def action_landscape(self) -> None:
        plots = self.plots
        plots.landscape_key += 1
        req = make_request(self.session, self.selected(), plots.landscape_key)
        if isinstance(req, str):
            self.notify(req, title="loss landscape", severity="warning")
            return
        plots.add_class("-landscape")
        plots.landscape.set_status("computing " + " + ".join(req.runs) + "…")
        playback = self.playback
        worker = None

        def cancelled() -> bool:
            return worker is not None and worker.is_cancelled

        job = partial(landscape_job, plots.post_message, req, playback.driver,
                      lambda: playback.driver_running, cancelled)
        worker = self.run_worker(job, thread=True, exit_on_error=False, group="landscape", exclusive=True,
                                 name="landscape")
        plots.refresh_if_changed()

    def action_toggle_landscape(self) -> None:
        if self.session.shared.is_2d:
            self.notify("the loss landscape is for data sets; a surface's heat map is its landscape",
                        severity="warning")
            return
        self.plots.toggle_class("-landscape")
        self.plots.refresh_if_changed()
