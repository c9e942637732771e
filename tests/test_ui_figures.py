"""F in the app: every plot on screen as an SVG for slides and the whole screen, in figures/."""

from __future__ import annotations

from sgd_tui.core.scenario.parse import load_scenario
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.session import session_from_scenario


async def test_f_saves_the_plots_and_the_screen(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = SgdApp(session_from_scenario(load_scenario("saddle")), timings=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("escape", "n", "n")
        await pilot.pause(0.5)
        await pilot.press("F")
        for _ in range(50):
            found = list((tmp_path / "figures").glob("*/screen.svg"))
            if found:
                break
            await pilot.pause(0.1)
    (folder,) = [p.parent for p in (tmp_path / "figures").glob("*/screen.svg")]
    names = {p.name for p in folder.glob("*.svg")}
    assert {"screen.svg", "trajectory.svg", "loss.svg"} <= names
    assert "<svg" in (folder / "loss.svg").read_text() and "saddle" in folder.name.lower()
