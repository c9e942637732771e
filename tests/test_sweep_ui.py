"""The sweep view: a tiny sweep on a 2-D objective run through the app, checked against the core's numbers
(trials run here with run_trial, statistics from core.sweep_stats, pictures from plotting.sweepplot)."""

from __future__ import annotations

import asyncio
import multiprocessing.resource_tracker
import os
import time

from sgd_tui.core.scenario.parse import parse_scenario
from sgd_tui.core.sweep.stats import bands, sensitivity, sweep_rows
from sgd_tui.core.sweep.trials import run_trial
from sgd_tui.plotting.sweepplot import band_plot, band_series, band_view, sensitivity_plot
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.screens.dialogs import ConfirmScreen
from sgd_tui.ui.screens.main import MainScreen
from sgd_tui.ui.screens.sweep import SweepScreen, table_cell
from sgd_tui.ui.session import session_from_scenario

TOML = """\
schema = 1
title = "tiny sweep"
seed = 1
[objective]
name = "quadratic"
noise = 0.5
[budget]
steps = {steps}
[optimizer]
name = "sgd"
lr = 0.01
[sweep]
lr = [0.01, 0.1, 0.25]
seeds = 2
"""
# κ = 10: gradient descent diverges for lr > 2/10, so lr = 0.25 diverges and lr 0.01, 0.1 do not


def tiny(steps: int = 50):
    return parse_scenario(TOML.format(steps=steps), "tiny.toml")


async def _finish(app, pilot, timeout: float = 60.0) -> SweepScreen:
    t0 = time.monotonic()
    screen = app.screen
    assert isinstance(screen, SweepScreen)
    while screen.running or len(screen.outcomes) < len(screen.sweep.trials):
        assert time.monotonic() - t0 < timeout, screen.progress_text()
        assert not screen.message, screen.message
        await pilot.pause(0.1)
    await pilot.pause(0.6)  # one redraw
    return screen


def _reference(s):
    outcomes = {t.index: run_trial(t.index, t.spec) for t in s.sweep.trials}
    rows = sweep_rows(s.sweep, outcomes)
    band_rows = bands(s.sweep, {i: o.records for i, o in outcomes.items()},
                      {i: o.result.status for i, o in outcomes.items()})
    return rows, band_rows


def _check_against_core(screen: SweepScreen, s) -> None:
    rows, band_rows = _reference(s)
    table = screen.query_one("DataTable")
    assert table.row_count == 6
    for t, row in zip(s.sweep.trials, rows):
        cells = table.get_row(str(t.index))
        assert str(cells[0]) == t.label == row["label"]
        assert cells[1:6] == [row["status"], str(row["steps"]), table_cell(row["final_loss"]), table_cell(row["best_loss"]), "-"]
    assert [r["status"] for r in rows] == ["converged"] * 4 + ["diverged"] * 2 or \
        sum(r["status"] == "diverged" for r in rows) == 2, [r["status"] for r in rows]
    assert all(r["status"] == "diverged" for r in rows if "lr=0.25" in r["label"])
    # the bands plot is band_plot of the core's bands for the run, x = step (a 2-D objective has no samples)
    plot = screen.query_one("#sweep-bands")
    w, h = plot.size
    series = band_series(s.sweep, band_rows, "sgd", "step")
    assert [c for c, *_ in series] == ["sgd lr=0.01", "sgd lr=0.1", "sgd lr=0.25"]
    assert plot.text == plot.picture(w, h)
    # the scenario's [view] (loss = "auto" on a log axis): the gap f - f* to the surface's minimum
    _, minima, log, floor = band_view(s.view, s.sweep, True)
    assert minima == {c: 0.0 for c, *_ in series}  # the quadratic: f* = 0
    expected = band_plot(series, title="sgd: 2 seeds", xlabel="step", width=w, height=max(8, h - 5),
                         minima=minima, log=log, floor=floor)
    assert plot.text == "\n".join(line[:w] for line in expected.rstrip("\n").split("\n")[:h])
    assert "p10 and p90 over seeds" in plot.text
    sens = screen.query_one("#sweep-sensitivity")
    w, h = sens.size
    series = sensitivity(s.sweep, rows, "lr", "final_loss")
    assert [[x for x, _, _ in p.points] for p in series] == [[0.01, 0.1, 0.25]]
    assert series[0].points[2][2] == 2  # both seeds of lr 0.25 diverged
    expected = sensitivity_plot(series, title="final loss against lr", ylabel="final loss", width=w,
                                height=max(8, h - 3))
    assert sens.text == "\n".join(line[:w] for line in expected.rstrip("\n").split("\n")[:h])
    assert "lr (log scale)" in sens.text and "X" in sens.text


def test_opening_a_sweep_scenario_runs_every_trial_and_shows_the_cores_numbers(tmp_path):
    s = tiny()
    path = tmp_path / "tiny.toml"
    path.write_text(TOML.format(steps=50), encoding="utf-8")

    async def go():
        app = SgdApp(timings=False)
        app.sweep_workers = 0  # in the sweep's thread: fast, same numbers (see the worker-process test)
        async with app.run_test(size=(120, 40)) as pilot:
            assert await app.open_scenario(str(path))
            for _ in range(100):  # the question comes after the sweep view's first refresh (and is composed)
                if isinstance(app.screen, ConfirmScreen) and app.screen.query("#confirm-text"):
                    break
                await pilot.pause(0.1)
            assert isinstance(app.screen, ConfirmScreen)  # 6 trials on every core: asked first
            assert "1 run × 3 lr × 2 seeds = 6 trials" in str(app.screen.query_one("#confirm-text").render())
            assert not app.screen_stack[-2].running
            await pilot.press("enter")
            await pilot.pause(0.1)
            screen = await _finish(app, pilot)
            assert screen.progress_text().startswith("finished: 6/6 trials done, 2 diverged")
            _check_against_core(screen, s)
            await pilot.press("m")  # best loss
            await pilot.pause(0.1)
            assert "best loss against lr" in screen.query_one("#sweep-sensitivity").text
            await pilot.press("question_mark")
            await pilot.pause(0.1)
            help_text = str(app.screen.query_one("#help-text").render())
            assert "Space" in help_text and "start the trials" in help_text and "Escape" in help_text
            await pilot.press("escape")
            await pilot.pause(0.1)
            await pilot.press("escape")  # 6 finished trials nobody saved: asked first, Escape stays
            await pilot.pause(0.1)
            assert isinstance(app.screen, ConfirmScreen) and "6 finished trials are not saved" in str(
                app.screen.query_one("#confirm-text").render())
            await pilot.press("escape")
            await pilot.pause(0.1)
            assert app.screen is screen
            await pilot.press("escape")
            await pilot.pause(0.1)
            await pilot.press("enter")  # leave, discarding them
            await pilot.pause(0.1)
            assert isinstance(app.screen, MainScreen)

    asyncio.run(go())


def test_trials_run_in_a_worker_process_with_the_same_numbers():
    multiprocessing.resource_tracker.ensure_running()  # what run_app does before Textual captures stderr
    s = tiny()

    async def go():
        app = SgdApp(session_from_scenario(s), sweep=s, timings=False)
        app.sweep_workers = 1
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.2)
            await pilot.press("enter")  # the confirm: start
            await pilot.pause(0.1)
            screen = await _finish(app, pilot, timeout=120)
            assert "on 1 worker process" in screen.progress_text()
            assert {o.worker for o in screen.outcomes.values()} - {os.getpid()} == {o.worker for o in screen.outcomes.values()}
            _check_against_core(screen, s)

    asyncio.run(go())


def test_space_stops_and_resumes_and_leaving_stops_the_sweep():
    s = tiny(steps=2_000_000)  # long enough to be running still after a resume, on a fast machine too

    async def go():
        app = SgdApp(session_from_scenario(s), sweep=s, timings=False)
        app.sweep_workers = 0
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.2)
            await pilot.press("enter")  # the confirm: start
            screen = app.screen
            await pilot.pause(0.3)
            assert screen.running
            await pilot.press("space")
            t0 = time.monotonic()
            while screen.running:
                await pilot.pause(0.05)
            assert time.monotonic() - t0 < 2.0
            statuses = [o.result.status for o in screen.outcomes.values()]
            assert "stopped" in statuses and len(screen.outcomes) == 6  # unstarted trials come back stopped
            assert screen.progress_text().startswith("stopped:")
            await pilot.press("space")  # resume: the stopped trials run again
            t0 = time.monotonic()
            while not screen.running and time.monotonic() - t0 < 5.0:
                await pilot.pause(0.05)
            assert screen.running
            control = screen.control
            await pilot.press("escape")
            assert control.stopped and isinstance(app.screen, MainScreen)

    asyncio.run(go())


def test_labels_from_the_file_are_drawn_as_text_not_markup_or_escapes():
    toml = TOML.format(steps=50).replace('title = "tiny sweep"', 'title = "[b]evil\\u001b]0;x\\u0007"')
    toml = toml.replace('lr = 0.01\n[sweep]', 'lr = 0.01\nlabel = "[red]run\\u001b[2J"\n[sweep]')
    s = parse_scenario(toml, "evil.toml")

    async def go():
        app = SgdApp(timings=False)
        async with app.run_test(size=(100, 30)) as pilot:
            app.open_sweep(s, autostart=False)
            await pilot.pause(0.1)
            screen = app.screen
            first = screen.query_one("DataTable").get_row("0")[0]
            assert str(first).startswith("[red]run␛[2J lr=0.01")
            assert screen.sub_title == "[b]evil␛]0;x␇"
            assert "\x1b" not in screen.progress_text()

    asyncio.run(go())
