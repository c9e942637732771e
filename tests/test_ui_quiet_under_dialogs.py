"""What a dialog costs over SSH: a dialog over the main view while its runs play must not make the terminal
repaint the whole screen at the driver's message rate (Textual repaints a screen under another one, and the
one on top in full, after every message the lower screen handles: the help over a running race sent ~14
whole frames a second, 230-280 KB/s, against 12 KB/s for the race alone). The driver's messages and the
redraw timer go to an invisible relay widget, and the view under a dialog waits for it to close."""

from __future__ import annotations

import re

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


async def test_the_help_over_a_running_sweep_is_not_repainted_and_the_view_catches_up():
    """The same for the sweep view (its trials' messages and its 2 Hz redraw): the trials go on under the
    help, the help is not repainted, and once it closes the view shows the trials done meanwhile."""
    from sgd_tui.core.scenario.parse import parse_scenario
    from sgd_tui.ui.screens.dialogs import ConfirmScreen
    from sgd_tui.ui.screens.sweep import SweepScreen

    scenario = parse_scenario('schema = 1\ntitle = "slow sweep"\n[objective]\nname = "mlp_regression"\n'
                              '[budget]\nsteps = 3000\nlog_every = 10\n[optimizer]\nname = "sgd"\nlr = 0.01\n'
                              '[sweep]\nlr = [0.001, 0.002, 0.003, 0.005, 0.007, 0.01]\nseeds = 4\n', "slow.toml")
    app = SgdApp(session_from_scenario(scenario), sweep=scenario, timings=False)
    app.sweep_workers = 0  # the trials in the sweep view's thread
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):
            if isinstance(app.screen, ConfirmScreen):
                break
            await pilot.pause(0.1)
        await pilot.press("enter")
        await pilot.pause(0.3)
        sweep = app.screen
        assert isinstance(sweep, SweepScreen) and sweep.running
        await pilot.press("question_mark")
        await pilot.pause(0.3)
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        done = len(sweep.outcomes)
        assert sweep.running and done < 24  # trials left to finish under the help
        repaints = []
        original = help_screen.refresh
        help_screen.refresh = lambda *a, **k: (repaints.append(a), original(*a, **k))[1]
        for _ in range(100):  # until more trials have finished under the help (or all have)
            if len(sweep.outcomes) >= done + 2 or not sweep.running:
                break
            await pilot.pause(0.2)
        assert len(sweep.outcomes) > done
        assert len(repaints) <= 2, f"{len(repaints)} repaints of the help"
        at_close = len(sweep.outcomes)
        await pilot.press("escape")
        await pilot.pause(0.8)
        shown = str(sweep.query_one("#sweep-progress").render())
        counted = re.search(r"(\d+)/24 trials done", shown)
        assert counted is not None and int(counted.group(1)) >= at_close, (shown, at_close)
