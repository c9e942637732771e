"""The lecture in the app: --lecture opens the playlist's first demo; PageDown / PageUp open the next /
previous demo as a fresh launch would; the keys are on the bar only in a lecture; at either end the app
says so and stays."""

from __future__ import annotations

from sgd_tui.cli import main
from sgd_tui.core.scenario.lecture import parse_lecture
from sgd_tui.core.scenario.parse import load_scenario
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.session import session_from_scenario
from sgd_tui.ui.widgets.footer import planned_keys

DEMOS = ("saddle", "why-momentum", "gd-vs-newton")


def lecture_app(size=(120, 40)):
    lecture = parse_lecture('[lecture]\ntitle = "t"\ndemos = ["saddle", "why-momentum", "gd-vs-newton"]\n',
                            known=set(DEMOS))
    app = SgdApp(session_from_scenario(load_scenario(DEMOS[0])), timings=False, lecture=lecture, demo=DEMOS[0])
    return app


async def title_of(app, pilot):
    await pilot.pause(0.2)
    return app.main.session.shared.title


async def test_pagedown_and_pageup_walk_the_playlist_with_a_fresh_view():
    app = lecture_app()
    titles = [load_scenario(n).title for n in DEMOS]
    async with app.run_test(size=(120, 40)) as pilot:
        assert await title_of(app, pilot) == titles[0]
        assert {"next_demo", "previous_demo"} <= {k.action for k in planned_keys(app.main, 120)}
        for i in (1, 2):
            await pilot.press("pagedown")
            for _ in range(50):
                if app.main.session.shared.title == titles[i]:
                    break
                await pilot.pause(0.1)
            assert app.main.session.shared.title == titles[i] and app.demo == DEMOS[i]
        first = app.main
        await pilot.press("pagedown")  # the last demo: it stays, and says so
        await pilot.pause(0.3)
        assert app.main is first and app.demo == DEMOS[2]
        await pilot.press("pageup")
        for _ in range(50):
            if app.demo == DEMOS[1] and app.main.session.shared.title == titles[1]:
                break
            await pilot.pause(0.1)
        assert app.main.session.shared.title == titles[1] and app.main is not first


async def test_the_lecture_keys_are_not_on_the_bar_without_a_lecture():
    app = SgdApp(session_from_scenario(load_scenario("saddle")), timings=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        assert not {"next_demo", "previous_demo"} & {k.action for k in planned_keys(app.main, 200)}


def test_lecture_refuses_scenario_and_headless(capsys):
    assert main(["--lecture", "--scenario", "saddle"]) == 2
    assert "--lecture opens the app" in capsys.readouterr().err
    assert main(["--lecture", "--headless"]) == 2


async def test_the_command_lines_device_and_data_dir_reach_every_demo_the_session_opens(tmp_path):
    """`sgd-tui --lecture --data-dir DIR`: DIR is where this machine keeps FashionMNIST, for every demo of the
    lecture, not only the first (the walk found batch-size trying to download after PageDown)."""
    lecture = parse_lecture('[lecture]\ntitle = "t"\ndemos = ["saddle", "batch-size"]\n', known={"saddle", "batch-size"})
    app = SgdApp(session_from_scenario(load_scenario("saddle")), timings=False, lecture=lecture, demo="saddle",
                 overrides={"data_dir": str(tmp_path), "device": "cpu", "seed": None})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("pagedown")
        for _ in range(50):
            if app.demo == "batch-size":
                break
            await pilot.pause(0.1)
        runs = app.main.session.runs
        assert app.demo == "batch-size" and len(runs) == 3
        assert {r.spec.objective_options["data_dir"] for r in runs} == {str(tmp_path)}
        assert {r.spec.device for r in runs} == {"cpu"}
        await app.open_scenario("saddle")  # a 2-D surface has no data: the override leaves it as it is
        assert "data_dir" not in app.main.session.runs[0].spec.objective_options


def test_lecture_takes_the_machine_options_and_refuses_the_one_scenario_ones(capsys, monkeypatch):
    import sys
    import types

    seen = {}
    fake = types.ModuleType("sgd_tui.ui.app")
    fake.run_app = lambda scenario=None, monochrome=False, lecture=None, overrides=None, present=False: seen.update(
        scenario=scenario, overrides=overrides) or 0
    monkeypatch.setitem(sys.modules, "sgd_tui.ui.app", fake)
    assert main(["--lecture", "--data-dir", "/some/where", "--device", "cpu"]) == 0
    assert seen["overrides"] == {"device": "cpu", "data_dir": "/some/where"}
    assert main(["--data-dir", "/some/where"]) == 0 and seen["scenario"] is None  # a plain launch keeps it too
    assert seen["overrides"]["data_dir"] == "/some/where"
    assert main(["--lecture", "--steps", "5"]) == 2
    assert "--steps change one scenario's runs" in capsys.readouterr().err
    assert main(["--seed", "1"]) == 2  # without --scenario, as before
