"""The mouse (issue 9): a click on the surface starts the selected run there (shift: every run on it),
a click on a row selects that run, the wheel over the loss plot zooms its x range and z resets it."""

import math

import numpy as np
import pytest
import torch  # noqa: F401  - imported up front, as the app's workers would
from textual.events import MouseScrollDown, MouseScrollUp
from textual.widgets import Input

from sgd_tui.plotting.raster import cell_to_data, zoom_window
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.session import Session, Shared
from sgd_tui.ui.widgets.plots import LossPlot, TrajectoryPlot


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


async def test_click_on_the_surface_starts_the_selected_run_there_and_shift_click_every_run():
    s = session()
    app = SgdApp(s, timings=False)
    async with app.run_test(size=(120, 40)) as pilot:
        plot = app.screen.query_one(TrajectoryPlot)
        assert await until(pilot, lambda: plot._grid_fn is not None and plot.canvas_box is not None)
        bx, by, cols, rows = plot.canvas_box
        (x0, x1), (y0, y1) = plot.data_limits()
        col, row = cols // 4, rows // 3
        await pilot.click(plot, offset=(bx + col, by + row))
        await pilot.pause()
        gd, hb = s.runs
        x, y = gd.spec.settings["start"]
        assert plotext_cell(x, x0, x1, cols) == col and rows - 1 - plotext_cell(y, y0, y1, rows) == row
        assert hb.spec.settings.get("start") is None  # only the selected run
        start_field = app.screen.query_one("#settings #f-start", Input)
        assert start_field.value == f"{x:g}, {y:g}"  # the form shows it: the keyboard way to the same setting
        await pilot.press("n")
        assert await until(pilot, lambda: len(gd.series.path()[0]) >= 1)
        assert (gd.series.path()[0][0], gd.series.path()[1][0]) == pytest.approx((x, y))  # it started there

        await pilot.click(plot, offset=(bx + cols - 3, by + rows - 2), shift=True)  # every run
        await pilot.pause()
        starts = {r.spec.settings["start"] for r in s.runs}
        assert len(starts) == 1 and next(iter(starts)) != (x, y)
        assert all(r.progress.step == 0 for r in s.runs)  # reset there

        await pilot.click(plot, offset=(0, 0))  # the legend line: not the canvas, nothing changes
        await pilot.pause()
        assert {r.spec.settings["start"] for r in s.runs} == starts


async def test_click_on_a_row_selects_that_run():
    s = session()
    app = SgdApp(s, timings=False)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.table
        assert table.selected_id == s.runs[0].run_id
        await pilot.click(table, offset=(3, 2))  # header on line 0, the second run on line 2
        await pilot.pause()
        assert table.selected_id == s.runs[1].run_id
        assert app.screen.query_one("#hyper #f-momentum", Input).value == "0.9"  # its settings in the form


async def test_the_wheel_zooms_the_loss_plot_x_range_and_z_resets_it():
    s = session()
    app = SgdApp(s, timings=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space")
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        plot = app.screen.query_one(LossPlot)
        full = plot.x_shown
        bx, by, cols, rows = plot.canvas_box
        await pilot._post_mouse_events([MouseScrollUp], plot, offset=(bx + cols // 2, by + rows // 2))
        await pilot._post_mouse_events([MouseScrollUp], plot, offset=(bx + cols // 2, by + rows // 2))
        await pilot.pause()
        lo, hi = plot.x_shown
        assert full[0] <= lo < hi <= full[1] and hi - lo == pytest.approx(0.64 * (full[1] - full[0]), rel=0.05)
        await pilot._post_mouse_events([MouseScrollDown], plot, offset=(bx + 1, by + 1))
        await pilot.pause()
        assert plot.x_shown[1] - plot.x_shown[0] == pytest.approx(0.8 * (full[1] - full[0]), rel=0.05)
        await pilot.press("escape", "z")
        await pilot.pause()
        assert plot.x_zoom is None and plot.x_shown == full
