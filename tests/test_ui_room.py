"""Room for each panel at 80x24 (the SSH size): the story (g) and the theory panel (m) take the plots' place,
full width, while open, rather than squeezing everything side by side; closed, the plots get the width back.
At 120x40 the story sits beside the plots (Textual Pilot; widths and heights in cells)."""

import torch  # noqa: F401  - imported up front, as the app's workers would, so presses stay fast

from sgd_tui.core.scenario.parse import load_scenario
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.session import session_from_scenario

READABLE = 60  # columns a panel of text gets at 80x24
PLOT_W, PLOT_H = 36, 8  # the least each of the two plots gets at 80x24, the story and theory closed


def plots_unsqueezed(screen) -> None:
    for pid in ("#trajectory", "#loss"):
        r = screen.query_one(pid).region
        assert r.width >= PLOT_W and r.height >= PLOT_H, (pid, r)


async def settle(pilot, keys=()):
    for k in keys:
        await pilot.press(k)
    await pilot.pause(0.2)


async def test_at_80x24_the_story_and_the_theory_take_the_plots_place_one_at_a_time():
    app = SgdApp(session_from_scenario(load_scenario("why-momentum")), timings=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await app.workers.wait_for_complete()
        await settle(pilot)
        story, theory = screen.query_one("#story"), screen.query_one("#theory")
        assert screen.has_class("-story-open")  # a scenario opens on its story
        assert story.region.width >= READABLE and story.region.height >= PLOT_H
        assert screen.query_one("#loss").region.width == 0  # not squeezed beside it: out of the way

        await settle(pilot, "g")
        assert story.region.width == 0
        plots_unsqueezed(screen)

        await settle(pilot, "nm")  # a step, then the theory panel: the full width, its whole text
        await pilot.pause(0.3)
        assert theory.region.width >= READABLE and theory.region.height >= PLOT_H
        assert screen.query_one("#loss").region.width == 0
        text = screen.query_one("#theory-text").render().plain
        assert "descent" in text and "limit" in text

        await settle(pilot, "g")  # the story replaces the theory panel: one panel at a time
        assert story.region.width >= READABLE and theory.region.width == 0
        assert not screen.has_class("-theory-shown")
        await settle(pilot, "m")
        assert theory.region.width >= READABLE and story.region.width == 0

        await settle(pilot, "m")  # closed: the plots get their room back
        plots_unsqueezed(screen)
        assert screen.query_one("#runs").region.height >= 3


async def test_the_story_gives_way_to_the_plots_when_the_runs_start_at_80x24():
    app = SgdApp(session_from_scenario(load_scenario("saddle")), timings=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert screen.has_class("-story-open")
        await settle(pilot, "n")
        assert not screen.has_class("-story-open")
        plots_unsqueezed(screen)


async def test_at_120x40_the_story_sits_beside_the_plots():
    app = SgdApp(session_from_scenario(load_scenario("why-momentum")), timings=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await app.workers.wait_for_complete()
        await settle(pilot)
        story, loss = screen.query_one("#story"), screen.query_one("#loss")
        assert story.region.width >= 30 and loss.region.width >= 30
        await settle(pilot, "m")  # the theory panel below the plots, the story still open
        assert screen.has_class("-story-open") and screen.query_one("#theory").region.width >= READABLE
        assert loss.region.height >= PLOT_H


async def test_the_sweep_view_shows_one_plot_at_a_time_full_width_at_80x24():
    """Narrow: the seed bands, then (p) the sensitivity plot, each the full width; wide: side by side."""
    sc = load_scenario("batch-noise")
    app = SgdApp(timings=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_sweep(sc, autostart=False)
        await pilot.pause(0.2)
        screen = app.screen
        bands, sens = screen.query_one("#sweep-bands"), screen.query_one("#sweep-sensitivity")
        assert bands.region.width >= 76 and sens.region.width == 0
        await settle(pilot, "p")
        assert sens.region.width >= 76 and bands.region.width == 0
        assert "p" in {b.binding.key for b in screen.active_bindings.values()}
        await pilot.resize_terminal(120, 40)
        await pilot.pause(0.3)
        assert bands.region.width >= 50 and sens.region.width >= 50


async def test_opening_a_scenario_at_80x24_shows_its_story_not_the_last_theory_panel():
    app = SgdApp(session_from_scenario(load_scenario("saddle")), timings=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await app.workers.wait_for_complete()
        await settle(pilot, "nm")
        assert screen.has_class("-theory-shown")
        assert await app.open_scenario("why-momentum")
        await pilot.pause(0.3)
        screen = app.main  # opening a scenario builds a new main view
        assert not screen.has_class("-theory-shown")
        assert screen.query_one("#story").region.width >= READABLE
