"""The sweep view explains itself and keeps what it ran: sweeps marked in the `o` list and the palette,
a confirm before the trials start, missing data said (with the way forward) instead of 99 errors, the
story on `g`, the "synthetic" label, `w` writing the same files as a headless replay, and Escape asking
before it discards finished trials (that one is in test_sweep_ui.py)."""

from __future__ import annotations

import asyncio
import csv
import textwrap
import time
from pathlib import Path

from fashion_data import block_network

from sgd_tui.core.scenario.files import find_scenarios
from sgd_tui.core.scenario.marks import sweep_mark
from sgd_tui.core.scenario.parse import load_scenario, parse_scenario
from sgd_tui.replay.sweep import replay_sweep
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.screens.dialogs import AskScreen, ConfirmScreen, ScenarioPicker
from sgd_tui.ui.screens.main import MainScreen
from sgd_tui.ui.screens.sweep import SweepScreen


def fashion_sweep(data_dir: Path) -> str:
    return textwrap.dedent(f'''\
        schema = 1
        title = "tiny fashion sweep"
        description = """The story of the tiny sweep: look at the window of good learning rates."""
        device = "cpu"
        [objective]
        name = "fashion_mnist"
        model = "mlp_small"
        data_dir = "{data_dir}"
        [budget]
        epochs = 2
        log_every = 2
        max_loss = 10.0
        [optimizer]
        name = "sgd"
        batch_size = 16
        [sweep]
        lr = [0.01, 30.0]
        seeds = 2
        ''')


def rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return [{k: v for k, v in r.items() if k != "time_s"} for r in csv.DictReader(f)]


async def _until(pilot, condition, timeout: float = 90.0) -> None:
    t0 = time.monotonic()
    while not condition():
        assert time.monotonic() - t0 < timeout
        await pilot.pause(0.1)


def test_sweeps_are_marked_with_their_trial_count_in_the_o_list_and_the_palette():
    marks = {name: sweep_mark(path) for name, path, _ in find_scenarios()}
    assert marks["lr-sensitivity"] == f"sweep · {len(load_scenario('lr-sensitivity').sweep.trials)} trials" \
        == "sweep · 99 trials"
    assert marks["batch-noise"] == f"sweep · {len(load_scenario('batch-noise').sweep.trials)} trials"
    sweeps = {name for name, _, _ in find_scenarios() if load_scenario(name).sweep is not None}
    assert marks["optimizer-race"] == "" and {n for n, m in marks.items() if m} == sweeps

    async def go():
        app = SgdApp(timings=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("o")
            await pilot.pause(0.2)
            assert isinstance(app.screen, ScenarioPicker)
            options = app.screen.query_one("OptionList")
            text = {options.get_option_at_index(i).id: str(options.get_option_at_index(i).prompt)
                    for i in range(options.option_count)}
            assert text["lr-sensitivity"].startswith("lr-sensitivity  [sweep · 99 trials]  Learning-rate")
            assert "sweep" not in text["optimizer-race"]
            await pilot.press("escape")
            commands = {c.title: c.help for c in app.get_system_commands(app.screen)}
            assert commands["Scenario: lr-sensitivity"].startswith("sweep · 99 trials · Learning-rate")

    asyncio.run(go())


def test_missing_data_is_said_with_the_way_forward_and_no_trial_runs(tmp_path, monkeypatch):
    attempts = block_network(monkeypatch)
    s = parse_scenario(fashion_sweep(tmp_path / "nowhere"), "tiny.toml")

    async def go():
        app = SgdApp(timings=False)
        app.sweep_workers = 0
        async with app.run_test(size=(80, 24)) as pilot:
            app.open_sweep(s)
            await pilot.pause(0.2)
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("enter")
            screen = app.screen
            assert isinstance(screen, SweepScreen)
            await _until(pilot, lambda: screen.setup_error and not screen.running)
            await pilot.pause(0.6)
            assert screen.outcomes == {} and attempts
            assert screen.progress_text().startswith("cannot start: 0/4 trials done")
            note = screen.note_text()
            assert note.startswith("cannot start the trials: ") and str(tmp_path / "nowhere") in note
            assert "--synthetic-data DIR" in note and "--data-dir DIR" in note
            widget = screen.query_one("#sweep-note")
            assert widget.display and "--synthetic-data" in str(widget.render())
            assert screen.query_one("DataTable").get_row("0")[1] == "not run"
            await pilot.press("escape")  # nothing ran: nothing to lose, no question
            await pilot.pause(0.1)
            assert isinstance(app.screen, MainScreen)

    asyncio.run(go())


def test_story_synthetic_label_and_w_writes_what_a_headless_replay_writes(tmp_path):
    from sgd_tui.core.objectives.data import write_fashion_like

    data = write_fashion_like(tmp_path / "data", n_train=96, n_test=48)  # marked synthetic
    s = parse_scenario(fashion_sweep(data), "tiny.toml")
    assert replay_sweep(s, tmp_path / "headless", workers=1) == 0
    saved = tmp_path / "saved"

    async def go():
        app = SgdApp(timings=False)
        app.sweep_workers = 0
        async with app.run_test(size=(80, 24)) as pilot:
            app.open_sweep(s)
            await pilot.pause(0.2)
            await pilot.press("escape")  # the confirm: not now
            await pilot.pause(0.1)
            screen = app.screen
            assert isinstance(screen, SweepScreen) and not screen.running and screen.outcomes == {}
            assert screen.progress_text().startswith("SYNTHETIC data (not FashionMNIST) · not started")
            await pilot.press("g")  # the story in the plots' place
            await pilot.pause(0.1)
            story = screen.query_one("#sweep-story")
            assert story.display and not screen.query_one("#sweep-plots").display
            assert "window of good learning rates" in str(screen.query_one("#story-text").render())
            await pilot.press("g")
            await pilot.pause(0.1)
            assert not story.display and screen.query_one("#sweep-plots").display
            await pilot.press("space")  # start them now
            await _until(pilot, lambda: not screen.running and len(screen.outcomes) == 4)
            await pilot.press("w")
            await pilot.pause(0.2)
            assert isinstance(app.screen, AskScreen)
            app.screen.query_one("Input").value = str(saved)
            await pilot.press("enter")
            await pilot.pause(0.3)
            assert app.screen is screen and screen.unsaved() == set()
            await pilot.press("escape")  # saved: leaves without asking
            await pilot.pause(0.1)
            assert isinstance(app.screen, MainScreen)

    asyncio.run(go())
    headless = tmp_path / "headless"
    assert sorted(p.name for p in saved.iterdir()) == sorted(p.name for p in headless.iterdir())
    for name in ("sweep.csv", "bands.csv", "metrics.csv", "eval.csv"):
        assert rows(saved / name) == rows(headless / name), name
    assert (saved / "scenario.toml").read_text() == (headless / "scenario.toml").read_text()
    assert (saved / "sensitivity.txt").read_text() == (headless / "sensitivity.txt").read_text()
