"""What a lecturer hits between demos: a saved setup reopens from the app (``o`` and ctrl+p list the working
folder's scenario files, and ``o`` takes a typed path), space on a closed drop-down is run / pause, a save
name that is empty or a folder is refused, a failed run keeps its reason on screen, and the missing-data
message names ``--synthetic-data``."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch  # noqa: F401  - imported once up front, as the app's workers would, so presses stay fast
from textual.widgets import Input

from sgd_tui.core.errors import DataError
from sgd_tui.core.objectives.data import prepare
from sgd_tui.core.scenario.files import find_local_scenarios
from sgd_tui.core.scenario.parse import load_scenario
from sgd_tui.ui.app import SgdApp, save_target
from sgd_tui.ui.screens.dialogs import AskScreen, ScenarioPicker
from sgd_tui.ui.session import session_from_scenario
from sgd_tui.ui.widgets.run_errors import errors_text

SCENARIO = """schema = 1
title = "My demo"
[objective]
name = "quadratic"
[budget]
steps = 5
[optimizer]
name = "sgd"
lr = 0.1
[[runs]]
label = "mine"
"""


def test_save_names_that_cannot_be_a_file_are_refused(tmp_path):
    for typed in ("", "   ", ".", "..", str(tmp_path), "sub/"):
        target, refused = save_target(typed)
        assert refused, typed
        assert "Errno" not in refused
    assert "type a file name" in save_target("")[1]
    assert f"{tmp_path} is a folder" in save_target(str(tmp_path))[1]
    assert save_target(" demo ") == (Path("demo.toml"), "")  # .toml added: o and --scenario take it as a file
    assert save_target("demo.toml") == (Path("demo.toml"), "")
    assert save_target("x/demo.txt") == (Path("x/demo.txt"), "")


def test_the_working_folder_lists_its_scenario_files_only(tmp_path):
    (tmp_path / "demo.toml").write_text(SCENARIO)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')  # TOML, not a scenario
    (tmp_path / "broken.toml").write_text("[[[")
    (tmp_path / "notes.txt").write_text(SCENARIO)
    found = find_local_scenarios(tmp_path)
    assert [(name, title) for name, _path, title in found] == [("demo.toml", "My demo")]
    assert found[0][1] == tmp_path / "demo.toml"


def test_a_failed_run_keeps_its_reason_and_the_data_message_names_synthetic_data(tmp_path):
    def entry(label, status, message=""):
        return SimpleNamespace(spec=SimpleNamespace(label=label), progress=SimpleNamespace(status=status, message=message))

    runs = [entry("a", "error", "no data"), entry("b", "finished"), entry("c", "error", "no data"),
            entry("d", "error", "other")]
    assert errors_text(runs) == "✕ a (and 1 more) failed: no data\n✕ d failed: other"
    assert errors_text(runs[1:2]) == ""
    with pytest.raises(DataError) as e:
        prepare(tmp_path, download=False)
    msg = str(e.value)
    assert msg.index("sgd-tui --synthetic-data DIR") < msg.index("--download-data")  # the quick way first
    assert str(tmp_path / "FashionMNIST" / "raw") in msg


async def test_reopen_a_saved_file_and_space_on_a_drop_down_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo.toml").write_text(SCENARIO)
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "far.toml").write_text(SCENARIO.replace("My demo", "Far away"))
    app = SgdApp(session_from_scenario(load_scenario("saddle")), timings=False)
    async with app.run_test(size=(80, 24)) as pilot:
        # the palette lists the working folder's file too
        titles = [str(c.title) for c in app.get_system_commands(app.screen)]
        assert "Scenario file: demo.toml" in titles

        await pilot.press("o")
        picker = app.screen
        assert isinstance(picker, ScenarioPicker)
        assert ("./demo.toml", "demo.toml  (file here)  My demo") in picker.entries
        await pilot.press(*"demo", "enter")  # the filter leaves the file: Enter opens it
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.main.session.shared.title == "My demo"

        await pilot.press("o")
        app.screen.query_one(Input).value = "elsewhere/far.toml"  # a path nothing in the list matches
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.main.session.shared.title == "Far away"

        # s focuses the Objective drop-down; space runs (it does not open the list)
        main = app.main
        await pilot.press("s")
        assert main.focused.id == "objective"
        await pilot.press("space")
        await pilot.pause()
        assert not main.query_one("#objective").expanded
        assert main.playback.playing or all(r.progress.step == 5 for r in main.session.runs)
        await app.workers.wait_for_complete()

        # an empty save name: a clear message, no error number, the dialog stays
        await pilot.press("escape", "w")
        ask = app.screen
        assert isinstance(ask, AskScreen)
        ask.query_one(Input).value = ""
        await pilot.press("enter")
        await pilot.pause()
        shown = str(ask.query_one("#ask-error").render())
        assert "type a file name" in shown and "Errno" not in shown
        assert app.screen is ask
