"""The race view: a tiny [race] on a 2-D objective through the app, its pictures and verdict checked
against the headless replay's (the same trials, choice and plots); it asks before it starts, shows the
story (g), saves the headless replay's files (w), and asks before Escape discards unsaved results."""

from __future__ import annotations

import asyncio
import json
import time

from sgd_tui.core.scenario.parse import parse_scenario
from sgd_tui.replay.run import replay
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.screens.dialogs import AskScreen, ConfirmScreen
from sgd_tui.ui.screens.main import MainScreen
from sgd_tui.ui.screens.race import RaceScreen

TOML = """\
schema = 1
title = "tiny race"
[objective]
name = "quadratic"
noise = 0.5
[budget]
steps = 40
log_every = 5
[[runs]]
name = "sgd"
lr = 0.01
[[runs]]
name = "adam"
lr = 0.01
[race]
lrs = [0.01, 0.1, 0.3]
seeds = 2
"""


def test_a_race_scenario_opens_the_race_view_with_the_replays_choice(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TOML, encoding="utf-8")
    assert replay(parse_scenario(TOML, "tiny.toml"), tmp_path / "out", progress=None, workers=1) == 0
    headless = json.loads((tmp_path / "out" / "summary.json").read_text())

    async def go():
        app = SgdApp(timings=False)
        app.sweep_workers = 0  # the trials in the screen's thread
        async with app.run_test(size=(120, 40)) as pilot:
            assert await app.open_scenario(str(path))
            await pilot.pause(0.2)
            assert isinstance(app.screen, ConfirmScreen)  # its trials take every core: it asks first
            await pilot.press("escape")  # not now
            await pilot.pause(0.1)
            screen = app.screen
            assert isinstance(screen, RaceScreen) and not screen.running and not screen.tuned
            assert "(space starts)" in screen.progress_text()
            await pilot.press("g")  # the story in the plots' place
            await pilot.pause(0.1)
            assert screen.query_one("#race-story").display and not screen.query_one("#race-plots").display
            await pilot.press("g", "space")  # the plots again; start now
            t0 = time.monotonic()
            while screen.phase != "done":
                assert time.monotonic() - t0 < 120, screen.progress_text()
                assert not screen.message, screen.message
                await pilot.pause(0.1)
            await pilot.pause(0.7)
            assert screen.progress_text().startswith("finished: 8/8 trials done")  # the race: 2 runs × 2 × 2 seeds
            assert [c.lr for c in screen.choices] == [r["tuned_lr"] for r in headless["runs"]]
            tuning = screen.query_one("#race-tuning").text
            assert "@" in tuning and "lr (log scale)" in tuning and "chosen" in tuning
            race = screen.query_one("#race-race").text
            assert "race at the tuned lr" in race
            verdict = str(screen.query_one("#race-verdict").render())
            assert verdict.split("\n")[0].endswith(f"after tuning: {headless['race']['winner']['tuned']}")  # first
            await pilot.press("h")
            await pilot.pause(0.7)
            assert "race at the hand-picked lr" in screen.query_one("#race-race").text
            await pilot.press("escape")  # 14 finished trials nobody saved: it asks
            await pilot.pause(0.2)
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("escape")  # stay, and save them
            await pilot.pause(0.1)
            await pilot.press("w")
            await pilot.pause(0.2)
            assert isinstance(app.screen, AskScreen)
            app.screen.query_one("Input").value = str(tmp_path / "saved")
            await pilot.press("enter")
            await pilot.pause(0.3)
            assert app.screen is screen and screen.exit_code() == 0
            await pilot.press("escape")  # saved: leaves without asking
            await pilot.pause(0.1)
            assert isinstance(app.screen, MainScreen)

    asyncio.run(go())
    saved, out = tmp_path / "saved", tmp_path / "out"
    assert sorted(p.name for p in saved.iterdir()) == sorted(p.name for p in out.iterdir())
    for name in ("tuning.csv", "race.csv", "race.txt", "loss.txt", "scenario.toml"):
        a, b = (saved / name).read_text(), (out / name).read_text()
        if name.endswith(".csv"):  # the times differ, nothing else
            drop = ("time_s", "seconds_to_target")
            head = a.splitlines()[0].split(",")
            keep = [i for i, c in enumerate(head) if c not in drop]
            a, b = ([[row.split(",")[i] for i in keep] for row in t.splitlines()] for t in (a, b))
        assert a == b, name
    mine = json.loads((saved / "summary.json").read_text())
    assert mine["race"]["winner"] == headless["race"]["winner"] and mine["exit_code"] == 0
    assert [r["tuned_lr"] for r in mine["runs"]] == [r["tuned_lr"] for r in headless["runs"]]


def test_the_presenter_key_is_not_on_the_race_views_bar():
    """P restyles the main view only: the race view's bar keeps its own keys (at 80 columns P had taken w's
    place, as an unlisted key ranks just after help)."""
    from sgd_tui.ui.widgets.footer import planned_keys

    async def go():
        app = SgdApp(timings=False)
        app.sweep_workers = 0
        async with app.run_test(size=(80, 24)) as pilot:
            assert "toggle_present" in {k.action for k in planned_keys(app.screen, 200)}  # the main view: yes
            app.open_sweep(parse_scenario(TOML, "tiny.toml"), autostart=False)
            await pilot.pause(0.2)
            assert isinstance(app.screen, RaceScreen)
            keys = {k.action for k in planned_keys(app.screen, 200)}
            assert "toggle_present" not in keys and "save" in keys

    asyncio.run(go())
