"""The demo's story on screen (Textual Pilot, by keys): the scenario's description beside the plots, its
[view], the gap f − f* on a log axis, divergence drawn and explained, every single step logged."""

import re

import pytest
import torch  # noqa: F401  - imported up front, as the app's workers would, so presses stay fast
from fashion_data import make_fashion_dir

from sgd_tui.core.scenario.parse import load_scenario, parse_scenario
from sgd_tui.core.scenario.write import scenario_to_toml
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.session import Session, Shared, session_from_scenario


async def run_to_end(pilot):
    await pilot.press("f", "space")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.3)


async def wait_for(pilot, cond, what: str):
    for _ in range(100):
        if cond():
            return
        await pilot.pause(0.1)
    raise AssertionError(f"never happened: {what}")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_opening_a_scenario_shows_its_story_beside_the_plots_and_g_toggles_it(size):
    """Wide: the story beside the plots, open while the runs move. Narrow (80x24): it takes the plots' place,
    full width, and gives way to them when the runs start (tests/test_ui_room.py measures the room)."""
    app = SgdApp(timings=False)
    narrow = size[0] < 110
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        assert not screen.has_class("-story-open")  # no scenario, no story
        assert await app.open_scenario("regularization")
        await pilot.pause(0.3)
        screen = app.main  # a new main view: nothing of the previous one carries over
        story = screen.query_one("#story")
        text = screen.query_one("#story-text").render().plain
        assert "What to look for" in text and "L1 subtracts a constant pull" in text
        if narrow:
            assert story.region.width >= 60 and screen.query_one("#loss").region.width == 0  # in the plots' place
        else:
            assert story.region.width > 0 and screen.query_one("#loss").region.width >= 20  # beside the plots
            assert story.region.x > screen.query_one("#plots").region.x
        await pilot.press("g")
        await pilot.pause()
        assert story.region.width == 0 and screen.query_one("#loss").region.width >= 30
        await pilot.press("g")
        await pilot.pause()
        assert story.region.width > 0
        await pilot.press("n")  # wide: it stays open while the runs move; narrow: it gives way to the plots
        await pilot.pause(0.3)
        assert (story.region.width == 0) == narrow
        assert screen.query_one("#loss").region.width >= 30


async def test_a_scenario_view_sets_the_plots_and_is_saved():
    sc = load_scenario("batch-size")
    assert sc.view["x"] == "samples"
    app = SgdApp(session_from_scenario(sc), timings=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await pilot.pause(0.2)
        assert screen.plots.loss.x_key == "samples"
        assert "[samples," in screen.plots.loss.text_lines()[0]
        await pilot.press("p")  # the loss plot alone
        await pilot.pause()
        assert screen.query_one("#evals").region.width == 0 and screen.plots.loss.region.width > 60
        await pilot.press("e")  # smoothing
        saved = parse_scenario(scenario_to_toml(screen.session.to_scenario()))
        assert saved.view["x"] == "samples" and saved.view["plots"] == "loss" and saved.view["smoothing"] > 0


async def test_gd_vs_newton_shows_the_gap_on_a_log_axis_and_y_switches_to_f():
    app = SgdApp(session_from_scenario(load_scenario("gd-vs-newton")), timings=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        loss = screen.plots.loss
        await wait_for(pilot, lambda: len(screen.plots.f_stars) >= 3, "f* of the three surfaces")
        await run_to_end(pilot)
        assert loss.uses_gap() and loss.log_axis()
        lines = loss.text_lines()
        assert "log f − f*" in lines[0]
        exponents = [int(e) for e in re.findall(r"1e(-\d+)", "\n".join(lines[1:]))]
        assert exponents and min(exponents) <= -30  # Newton's drop, not a linear axis squashed by f = -1/4
        await pilot.press("y")  # f itself: the saddle's negative values turn the log axis linear
        await pilot.pause(0.3)
        assert not loss.uses_gap() and not loss.log_axis()
        assert "loss (< 0: linear)" in loss.text_lines()[0]


async def test_a_diverged_run_ends_with_a_mark_and_does_not_stretch_the_axis():
    s = Session(Shared("quadratic", {}, {"steps": 60, "log_every": 1}, 0, "cpu"))
    s.add(s.make_spec("sgd", {"lr": 0.1}, {}))
    s.add(s.make_spec("sgd", {"lr": 5.0}, {}))
    app = SgdApp(s, timings=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await run_to_end(pilot)
        good, bad = s.runs
        assert bad.progress.status == "diverged"
        # which value tripped the check, said where the user looks
        assert "above max_loss" in bad.progress.message
        assert any("diverged at step" in (n.title or "") and "max_loss" in n.message for n in app._notifications)
        loss = app.screen.plots.loss
        text = "\n".join(loss.text_lines())
        assert "diverged" in text.split("\n", 1)[1] and "✕" in text
        assert "y clipped" in loss.text_lines()[0]
        tops = [float(v) for v in re.findall(r"(?m)^\s*(\S+)┤", text)]
        assert tops and max(tops) <= 100  # the axis spans the calm run (loss <= ~10), not 1e12


async def test_step_mode_on_a_dataset_logs_every_step(tmp_path):
    root = make_fashion_dir(tmp_path, n_train=256, n_test=64)
    s = Session(Shared("fashion_mnist", {"data_dir": str(root), "model": "mlp_small"},
                       {"epochs": 1, "log_every": 100}, 0, "cpu"))
    s.add(s.make_spec("sgd", {"lr": 0.01}, {"batch_size": 16}))
    app = SgdApp(s, timings=False)
    async with app.run_test(size=(120, 40)) as pilot:
        r = s.runs[0]
        for n in (1, 2, 3):
            await pilot.press("n")
            await wait_for(pilot, lambda: r.progress.step == n, f"step {n}")
            await pilot.pause(0.3)
            assert len(r.series) == n and r.progress.last_loss is not None
            assert app.screen.table.get_cell(r.run_id, "step") == str(n)
