"""What a dialog costs over SSH: a dialog over the main view while its runs play must not make the terminal
repaint the whole screen at the driver's message rate (Textual repaints a screen under another one, and the
one on top in full, after every message the lower screen handles: the help over a running race sent ~14
whole frames a second, 230-280 KB/s, against 12 KB/s for the race alone). The driver's messages and the
redraw timer go to an invisible relay widget, and the view under a dialog waits for it to close."""

from __future__ import annotations

import torch  # noqa: F401  - imported up front, as the app's workers would, so presses stay fast

from sgd_tui.core.scenario.parse import load_scenario
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.screens.dialogs import HelpScreen
from sgd_tui.ui.session import session_from_scenario


async def test_the_help_over_a_running_race_is_not_repainted_while_the_runs_play():
    app = SgdApp(session_from_scenario(load_scenario("optimizer-race")), timings=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        main = app.main
        await pilot.press("g", "space")
        await pilot.pause(1.0)
        assert main.playback.playing
        steps = [r.progress.step for r in main.session.runs]
        await pilot.press("question_mark")
        await pilot.pause(0.3)
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        repaints = []
        original = help_screen.refresh
        help_screen.refresh = lambda *a, **k: (repaints.append(a), original(*a, **k))[1]
        await pilot.pause(2.0)
        assert main.playback.playing and [r.progress.step for r in main.session.runs] > steps  # the runs go on
        assert len(repaints) <= 2, f"{len(repaints)} repaints of the help in 2 s"
        shown = main.plots.loss.refresh_if_changed  # closed: the view catches up on its next tick
        calls = []
        main.plots.loss.refresh_if_changed = lambda: (calls.append(1), shown())[1]
        await pilot.press("escape")
        await pilot.pause(0.6)
        assert app.screen is main and calls
