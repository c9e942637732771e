"""The mouse (issue 9): a click on the surface starts the selected run there (shift: every run on it),
a click on a row selects that run, the wheel over the loss plot zooms its x range and z resets it.

The clicks are aimed at what the screen shows (the minimum marks ``*`` found in the rendered text, the
frame of the plot found the same way), not at the widget's own idea of where its canvas is, so a shift
of the canvas inside its widget (legend line, axis labels, borders, another panel) fails here."""

import math

import numpy as np
import pytest
import torch  # noqa: F401  - imported up front, as the app's workers would
from textual.events import MouseScrollDown, MouseScrollUp
from textual.widgets import Input

from sgd_tui.core.scenario.parse import load_scenario
from sgd_tui.plotting.raster import cell_to_data, zoom_window
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.session import Session, Shared, session_from_scenario
from sgd_tui.ui.widgets.plots import LossPlot
from sgd_tui.ui.widgets.trajectory_plot import TrajectoryPlot


def plotext_cell(v: float, lo: float, hi: float, n: int) -> int:
    """plotext's own mapping of a value to a cell (what drew the markers)."""
    return int(math.floor(0.5 + (n - 1) * (v - lo) / (hi - lo)))


@pytest.mark.parametrize("cols, rows", [(60, 20), (17, 5), (118, 33)])
def test_a_cell_maps_to_the_data_point_plotext_draws_in_that_cell(cols, rows):
    xlim, ylim = (-2.0, 2.0), (-1.0, 3.0)
    rng = np.random.default_rng(0)
    for col, row in zip(rng.integers(0, cols, 50), rng.integers(0, rows, 50)):
        x, y = cell_to_data(int(col), int(row), xlim, ylim, cols, rows)
        assert plotext_cell(x, *xlim, cols) == col
        assert rows - 1 - plotext_cell(y, *ylim, rows) == row  # rows from the top
    assert cell_to_data(0, rows - 1, xlim, ylim, cols, rows) == (-2.0, -1.0)  # bottom-left corner
    assert cell_to_data(cols - 1, 0, xlim, ylim, cols, rows) == pytest.approx((2.0, 3.0))


def test_zoom_window_stays_inside_the_data_and_zooming_out_fully_is_no_zoom():
    assert zoom_window(0, 100, 50, 0.8, 0, 100) == (10, 90)
    assert zoom_window(0, 100, 0, 0.5, 0, 100) == (0, 50)  # about the left edge
    lo, hi = zoom_window(60, 100, 100, 1.25, 0, 100)
    assert hi == 100 and lo == pytest.approx(50)
    assert zoom_window(10, 90, 50, 1.25, 0, 100) is None


def bowl(xs, ys):
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    return (xs[None, :] - 1) ** 2 + (ys[:, None] - 1) ** 2


def test_a_click_maps_through_the_frame_drawn_not_a_surface_still_to_come():
    """The widget alone (no app): a click on the cell where the last build drew the minimum maps back to
    it, also after a new surface (other bounds, other axis labels) was set but not drawn yet; before any
    surface was drawn a click picks nothing."""
    plot = TrajectoryPlot()
    assert plot.point_at(10, 5) is None
    plot.set_surface(bowl, ((-2.0, 2.0), (-1.0, 3.0)), minima=[(1.0, 1.0)])
    lines = ["".join(seg.text for seg in line) for line in plot._build(40, 20)]
    (x, y), = [(x, y) for y, line in enumerate(lines[1:], 1) for x, ch in enumerate(line) if ch == "*"]
    _, _, cols, rows = plot.canvas_box
    drawn = plot.point_at(x, y)
    assert drawn == pytest.approx((1.0, 1.0), abs=0.5 * 4 / (min(cols, rows) - 1))
    plot.set_surface(bowl, ((-200.0, 200.0), (-1000.0, 3000.0)), minima=[(1.0, 1.0)])  # not drawn yet
    assert plot.point_at(x, y) == drawn


def session() -> Session:
    s = Session(Shared("rosenbrock", {}, {"steps": 50, "log_every": 1}, 0, "cpu"))
    s.add(s.make_spec("gd", {"lr": 1e-3}, {}, label="gd"))
    s.add(s.make_spec("polyak", {"lr": 1e-3, "momentum": 0.9}, {}, label="heavy ball"))
    return s


async def until(pilot, condition, timeout: float = 20.0) -> bool:
    for _ in range(int(timeout / 0.05)):
        if condition():
            return True
        await pilot.pause(0.05)
    return condition()


def screen_lines(app) -> list[str]:
    """What the terminal shows, one string per row."""
    return ["".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips()]


def drawn_stars(app, plot) -> list[tuple[int, int]]:
    """Screen cells where the plot shows a minimum mark (below its legend line)."""
    lines, r = screen_lines(app), plot.region
    return [(x, y) for y in range(r.y + 1, r.bottom) for x in range(r.x, r.right) if lines[y][x] == "*"]


def cell_size(app, plot, at: tuple[int, int]) -> tuple[float, float]:
    """Data units per canvas cell, from the frame the screen shows around the cell ``at`` (columns between
    the left and right frame lines, rows between the top and bottom ones) and the plot's axis limits."""
    lines, (x, y) = screen_lines(app), at
    left = max(i for i in range(plot.region.x, x) if lines[y][i] in "│┤")
    right = min(i for i in range(x + 1, plot.region.right) if lines[y][i] == "│")
    top = max(j for j in range(plot.region.y, y) if lines[j][x] in "─┬")
    bottom = min(j for j in range(y + 1, plot.region.bottom) if lines[j][x] in "─┬")
    (x0, x1), (y0, y1) = plot.data_limits()
    return (x1 - x0) / (right - left - 2), (y1 - y0) / (bottom - top - 2)


def cells_off(point, target, size) -> float:
    return max(abs(point[0] - target[0]) / size[0], abs(point[1] - target[1]) / size[1])


async def test_a_click_on_a_drawn_minimum_starts_the_run_there_at_120x40():
    s = session()
    app = SgdApp(s, timings=False)
    async with app.run_test(size=(120, 40)) as pilot:
        plot = app.screen.query_one(TrajectoryPlot)
        assert await until(pilot, lambda: plot._grid_fn is not None)
        # drawn as soon as it came (its axis labels move the canvas: no frame where the old one is shown)
        (star,) = drawn_stars(app, plot)  # Rosenbrock's minimum (1, 1), where plotext drew it
        await pilot.click(offset=star)
        await pilot.pause()
        gd, hb = s.runs
        x, y = gd.spec.settings["start"]
        assert cells_off((x, y), (1.0, 1.0), cell_size(app, plot, star)) <= 0.5 + 1e-6
        assert hb.spec.settings.get("start") is None  # only the selected run
        start_field = app.screen.query_one("#settings #f-start", Input)
        assert start_field.value == f"{x:g}, {y:g}"  # the form shows it: the keyboard way to the same setting
        await pilot.press("n")
        assert await until(pilot, lambda: len(gd.series.path()[0]) >= 1)
        assert (gd.series.path()[0][0], gd.series.path()[1][0]) == pytest.approx((x, y))  # it started there

        bx, by, cols, rows = plot.canvas_box
        await pilot.click(plot, offset=(bx + cols - 3, by + rows - 2), shift=True)  # every run
        await pilot.pause()
        starts = {r.spec.settings["start"] for r in s.runs}
        assert len(starts) == 1 and next(iter(starts)) != (x, y)
        assert all(r.progress.step == 0 for r in s.runs)  # reset there

        await pilot.click(plot, offset=(0, 0))  # the legend line: not the canvas, nothing changes
        await pilot.pause()
        assert {r.spec.settings["start"] for r in s.runs} == starts

        await pilot.press("space")  # the wheel over the loss plot, on the same app
        await app.workers.wait_for_complete()
        assert await until(pilot, lambda: all(r.progress.status != "running" for r in s.runs))
        await pilot.pause(0.3)
        loss = app.screen.query_one(LossPlot)
        full = loss.x_shown
        bx, by, cols, rows = loss.canvas_box
        await pilot._post_mouse_events([MouseScrollUp], loss, offset=(bx + cols // 2, by + rows // 2))
        await pilot._post_mouse_events([MouseScrollUp], loss, offset=(bx + cols // 2, by + rows // 2))
        await pilot.pause()
        lo, hi = loss.x_shown
        assert full[0] <= lo < hi <= full[1] and hi - lo == pytest.approx(0.64 * (full[1] - full[0]), rel=0.05)
        await pilot._post_mouse_events([MouseScrollDown], loss, offset=(bx + 1, by + 1))
        await pilot.pause()
        assert loss.x_shown[1] - loss.x_shown[0] == pytest.approx(0.8 * (full[1] - full[0]), rel=0.05)
        await pilot.press("escape", "z")
        await pilot.pause()
        assert loss.x_zoom is None and loss.x_shown == full


async def test_at_80x24_with_the_basin_map_a_click_lands_on_the_drawn_point():
    """The drawer layout (setup closed over the plots), the story closed (at 80x24 it and the theory panel
    take the plots' place), the basin map (b) in place of the heat map: each of Himmelblau's four minima,
    clicked where the screen shows it, starts the selected run within half a cell of it; the map is not
    recomputed (it covers every start); the open drawer takes the clicks over the plot; a click on a row
    selects it."""
    s = session_from_scenario(load_scenario("basins"))
    app = SgdApp(s, timings=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        plot = screen.query_one(TrajectoryPlot)
        assert await until(pilot, lambda: plot._grid_fn is not None)
        await pilot.press("g", "b")
        assert await until(pilot, lambda: plot.basins is not None, timeout=60)
        assert not screen.has_class("-story-open") and plot.region.width >= 36
        await pilot.pause(0.3)
        stars = drawn_stars(app, plot)
        assert len(stars) == 4
        sel, basins = screen.selected(), plot.basins
        reached = set()
        for star in stars:
            await pilot.click(offset=star)
            await pilot.pause()
            point = sel.spec.settings["start"]
            off, nearest = min((cells_off(point, m, cell_size(app, plot, star)), m) for m in plot._minima)
            assert off <= 0.5 + 1e-6, (star, point, nearest)
            reached.add(nearest)
        assert len(reached) == 4  # each mark is its own minimum
        assert plot.basins is basins  # a start is not a reason to recompute the map

        await pilot.click(offset=stars[0], shift=True)
        await pilot.pause()
        assert len({r.spec.settings["start"] for r in s.runs}) == 1

        await pilot.press("s")  # the setup drawer opens over the plots and takes the clicks there
        await pilot.pause()
        under = next(st for st in stars if screen.get_widget_at(*st)[0] is not plot)
        before = sel.spec.settings["start"]
        await pilot.click(offset=under)
        await pilot.pause()
        assert sel.spec.settings["start"] == before
        await pilot.press("escape", "s")

        table = screen.table
        await pilot.click(table, offset=(3, 2))  # header on line 0, the second run on line 2
        await pilot.pause()
        assert table.selected_id == s.runs[1].run_id
        assert screen.query_one("#hyper #f-momentum", Input).value == f"{s.runs[1].spec.hyper['momentum']:g}"
