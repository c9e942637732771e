"""The plot widgets rendered headless: hostile data, resizes, monochrome, heat map, change detection."""

from __future__ import annotations

import hashlib
import math
import os
import subprocess
import sys

import numpy as np
from textual.app import App

from sgd_tui.core.objectives.surfaces import make_surface
from sgd_tui.core.run.records import EvalRecord, Record
from sgd_tui.plotting.heat import heat_colors
from sgd_tui.plotting.series import RunSeries
from sgd_tui.ui.widgets.plots import EvalPlot, LossPlot
from sgd_tui.ui.widgets.runs_plot import PlotRun
from sgd_tui.ui.widgets.trajectory_plot import TrajectoryPlot


class PlotApp(App):
    def __init__(self, widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self):
        yield self.widget


def series_of(losses, xy=None, n_train=None) -> RunSeries:
    s = RunSeries(n_train=n_train)
    s.extend(
        Record(k, 1, 10 * k, 0.1 * k, float(v), 0.1, 1.0, *(xy[k] if xy else (None, None)))
        for k, v in enumerate(losses)
    )
    return s


def hostile_runs() -> list[PlotRun]:
    good = series_of([2.0 * math.exp(-k / 50) for k in range(400)])
    diverging = series_of([1.0] * 100 + [10.0 ** min(4 * k, 300) for k in range(100)] + [math.inf, math.nan])
    negative = series_of([-1.0, 0.0, 0.5, -3.0, 0.25])
    return [
        PlotRun("a", "good", "#56b4e9", good),
        PlotRun("b", "diverges", (230, 159, 0), diverging),
        PlotRun("c", "negative", "not a colour", negative),
        PlotRun("d", "empty", "red", RunSeries()),
        PlotRun("e", "hidden", "red", series_of([math.nan] * 3), visible=False),
    ]


async def test_loss_plot_survives_hostile_data_on_both_axes_and_all_x_keys():
    plot = LossPlot()
    async with PlotApp(plot).run_test(size=(100, 30)) as pilot:
        plot.set_runs(hostile_runs())
        for log_y in (True, False):
            for x_key in ("step", "samples", "epoch", "time"):
                for smoothing in (0.0, 0.9):
                    plot.log_y, plot.x_key, plot.smoothing = log_y, x_key, smoothing
                    assert plot.refresh_if_changed()
                    assert plot.error is None, plot.error
                    text = "\n".join(plot.text_lines())
                    assert "good" in text and "diverges" in text and "hidden" not in text
                    assert plot.canvas == plot.line_canvas  # markers laid out on plotext's real canvas
                    if not smoothing:  # the diverging run sets the top tick, with a short label
                        assert "1e300" in text
        await pilot.pause()
        assert "diverges" in plot.app.export_screenshot()


async def test_loss_plot_empty_and_log_axis_survive_resizes():
    plot = LossPlot(log_y=True)
    async with PlotApp(plot).run_test(size=(80, 24)) as pilot:
        plot.refresh_if_changed()
        assert plot.error is None and "no runs yet" in plot.text_lines()[0]
        plot.set_runs([PlotRun("a", "run", "red", series_of([10.0 ** -k for k in range(6)]))])
        for size in ((120, 40), (40, 12), (10, 3), (80, 24)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            plot.refresh_if_changed()
            assert plot.error is None, (size, plot.error)
            assert len(plot.text_lines()) == plot.size.height
        text = "\n".join(plot.text_lines())
        assert "1e-5" in text and "1" in text


async def test_refresh_if_changed_only_rebuilds_on_change_and_repaints_few_lines():
    plot = LossPlot()
    s = series_of([1.0 / (k + 1) for k in range(1000)])
    async with PlotApp(plot).run_test(size=(100, 30)):
        plot.set_runs([PlotRun("a", "run", "red", s)])
        assert plot.refresh_if_changed()
        assert not plot.refresh_if_changed()
        before = plot.text_lines()
        s.extend([Record(1000, 1, 10_000, 100.0, 3e-3, 0.1, 1.0)])
        assert plot.refresh_if_changed()
        after = plot.text_lines()
        changed = sum(a != b for a, b in zip(before, after))
        assert 1 <= changed <= len(before) // 4  # only the new segment at the right: the axes did not move


async def test_monochrome_has_no_colours_and_tells_runs_apart_by_marker():
    plot = LossPlot(monochrome=True, log_y=False)
    async with PlotApp(plot).run_test(size=(80, 20)):
        plot.set_runs(hostile_runs()[:2])
        plot.refresh_if_changed()
        assert plot.error is None
        styles = [seg.style for line in plot._lines for seg in line if seg.style]
        assert styles and all(st.color is None and st.bgcolor is None for st in styles)
        body = "\n".join(plot.text_lines()[1:])
        assert "x" in body and "o" in body and not any(0x2800 <= ord(c) <= 0x28FF for c in body)
        assert plot.text_lines()[0].startswith("x good  o diverges")


def rosenbrock_runs():
    surface = make_surface("rosenbrock")

    def grid(xs, ys):
        X, Y = np.meshgrid(xs, ys)
        return surface.f(X, Y)

    path = [(-1.5 + 0.02 * k, 2.0 - 0.015 * k) for k in range(100)]
    diverging = [(0.0, 0.0), (2.0, 1.0), (1e300, -1e300), (math.nan, 1.0)]
    runs = [
        PlotRun("a", "sgd", "red", series_of([1.0] * len(path), xy=path)),
        PlotRun("b", "boom", "yellow", series_of([1.0] * len(diverging), xy=diverging)),
    ]
    return surface, grid, runs


def draw_on_surface(plot, surface, grid, runs) -> None:
    """The trajectory plot over ``surface``'s heat map with ``runs``, built once; no error."""
    plot.set_surface(grid, surface.bounds, surface.minima)
    plot.set_runs(runs)
    plot.refresh_if_changed()
    assert plot.error is None, plot.error


async def test_trajectory_plot_heat_map_markers_and_clamped_divergence():
    surface, grid, runs = rosenbrock_runs()
    plot = TrajectoryPlot()
    async with PlotApp(plot).run_test(size=(80, 24)):
        draw_on_surface(plot, surface, grid, runs)
        assert plot.canvas == plot.line_canvas
        lines = plot.text_lines()
        body = "\n".join(lines[1:])
        assert body.count("*") == 1 and body.count("@") == 2 and "o" in body
        bgs = {seg.style.bgcolor for line in plot._lines for seg in line if seg.style and seg.style.bgcolor}
        assert len(bgs) >= 4  # colour bands of the heat map
        # the diverged run's current point is clamped to the corner (x max, y min) of the canvas
        bottom = max(i for i, line in enumerate(lines) if "@" in line)
        assert lines[bottom].rstrip().endswith("@│")
        plot.monochrome = True
        plot.refresh_if_changed()
        assert plot.error is None and "·" in "\n".join(plot.text_lines())


def _canvas_cells(plot):
    """(r, c, char, style) of every canvas cell of the last build (r top row first)."""
    m = plot._fig.monitor.matrix
    r_top, c0 = m.Rows_canvas.stop - 1, m.Cols_canvas.start
    cells = []
    for y, line in enumerate(plot._lines[1:], start=1):
        row = m.rows - y
        col = 0
        for seg in line:
            for ch in seg.text:
                if row in m.Rows_canvas and col in m.Cols_canvas:
                    cells.append((r_top - row, col - c0, ch, seg.style))
                col += 1
    return cells


async def test_heat_map_draws_two_pixels_per_cell_as_half_blocks_around_the_paths():
    from sgd_tui.plotting.heat import HEAT_BANDS, heat_bands, sample_pixels

    surface, grid, runs = rosenbrock_runs()
    plot = TrajectoryPlot()
    async with PlotApp(plot).run_test(size=(80, 24)):
        draw_on_surface(plot, surface, grid, runs)
        cols, rows = plot.canvas
        bands = heat_bands(sample_pixels(grid, surface.bounds, cols, rows))  # same samples, plotting.heat
        palette = heat_colors(HEAT_BANDS)
        cells = _canvas_cells(plot)
        assert len(cells) == cols * rows
        halves = [(r, c, st) for r, c, ch, st in cells if ch == "\u2580"]
        glyphs = [(r, c, ch, st) for r, c, ch, st in cells if ch not in ("\u2580", " ")]
        assert len(halves) > 0.8 * cols * rows and len(glyphs) > 20
        for r, c, st in halves:  # fg = the upper pixel's band colour, bg = the lower one's
            assert st.color.triplet == palette[bands[2 * r, c]] and st.bgcolor.triplet == palette[bands[2 * r + 1, c]]
        assert sum(bands[2 * r, c] != bands[2 * r + 1, c] for r, c, _ in halves) > 20  # finer than one per cell
        for r, c, ch, st in glyphs:  # paths and markers keep their glyph, on the upper pixel's colour
            assert st.bgcolor.triplet == palette[bands[2 * r, c]]
        assert {"@", "o", "*"} <= {ch for *_, ch, _ in glyphs} and any(0x2800 < ord(ch) <= 0x28FF for *_, ch, _ in glyphs)
        plot.monochrome = True  # monochrome: contour marks, no half blocks, no colour
        plot.refresh_if_changed()
        text = "\n".join(plot.text_lines())
        assert plot.error is None and text.count("·") > 10 and "\u2580" not in text
        assert all(st.color is None and st.bgcolor is None for line in plot._lines for seg in line
                   if (st := seg.style))


async def test_render_errors_become_a_message_not_a_crash():
    def broken(xs, ys):
        raise RuntimeError("surface exploded")

    plot = TrajectoryPlot()
    async with PlotApp(plot).run_test(size=(60, 20)) as pilot:
        plot.set_surface(broken, ((-1, 1), (-1, 1)), [])
        plot.refresh_if_changed()
        await pilot.pause()
        assert "surface exploded" in plot.error and plot.text_lines()[0].startswith("plot error")
        assert plot.app.is_running


async def test_eval_plot_draws_test_loss_and_accuracy():
    s = RunSeries()
    s.extend_evals([EvalRecord(e, e * 100, 1.0 / e, 0.6 + 0.03 * e) for e in range(1, 11)])
    s.extend_evals([EvalRecord(11, 1100, math.nan, math.inf)])
    plot = EvalPlot()
    async with PlotApp(plot).run_test(size=(80, 20)):
        plot.set_runs([PlotRun("a", "adam", "green", s), PlotRun("b", "none yet", "red", RunSeries())])
        plot.refresh_if_changed()
        assert plot.error is None, plot.error
        assert plot.canvas == plot.line_canvas
        text = "\n".join(plot.text_lines())
        assert "accuracy" in text and "90" in text and "·" in text and "10" in text


async def _render_digest() -> str:
    surface, grid, runs = rosenbrock_runs()
    out = []
    for plot in (LossPlot(), TrajectoryPlot()):
        async with PlotApp(plot).run_test(size=(90, 26)):
            if isinstance(plot, TrajectoryPlot):
                plot.set_surface(grid, surface.bounds, surface.minima)
                plot.set_runs(runs)
            else:
                plot.set_runs(hostile_runs())
            plot.refresh_if_changed()
            out.append(repr(plot._lines))
    return hashlib.sha256("".join(out).encode()).hexdigest()


def test_pictures_do_not_depend_on_python_hash_order():
    """plotext deduplicates points through a set; with one marker per cell the picture must not change."""
    script = "import asyncio, test_ui_plots_widgets as t; print(asyncio.run(t._render_digest()))"
    digests = set()
    for seed in ("1", "2"):
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=path)
        done = subprocess.run([sys.executable, "-c", script], cwd=os.path.dirname(__file__), env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr[-2000:]
        digests.add(done.stdout.strip())
    assert len(digests) == 1


async def test_colours_stay_distinct_in_256_colours():
    """Over SSH Textual may fall back to 256 colours: run colours and heat bands must survive the downgrade."""
    from rich.color import ColorSystem

    surface, grid, _ = rosenbrock_runs()
    runs = [  # four separate paths in the default palette
        PlotRun(
            f"r{i}", f"run {i}", "", series_of([1.0] * 50, xy=[(-1.8 + 0.06 * k, -0.8 + 0.7 * i) for k in range(50)])
        )
        for i in range(4)
    ]
    plot = TrajectoryPlot()
    async with PlotApp(plot).run_test(size=(80, 24)):
        plot.set_surface(grid, surface.bounds, surface.minima)
        plot.set_runs(runs)
        plot.refresh_if_changed()
        styles = [seg.style for line in plot._lines for seg in line if seg.style]
    down = lambda c: c.downgrade(ColorSystem.EIGHT_BIT).number  # noqa: E731
    run_colors = {down(st.color) for st in styles if st.color is not None and st.color.triplet != (255, 255, 255)
                  and st.color.triplet not in heat_colors(8)}  # not the half blocks' heat colours
    bands = {down(st.bgcolor) for st in styles if st.bgcolor is not None}
    assert len(run_colors) >= 4 and len(bands) >= 4


async def test_a_loss_below_zero_turns_the_log_axis_linear():
    """The saddle's minimum is -1/4: on a log axis the runs that reach it would vanish from the plot."""
    plot = LossPlot(log_y=True)
    falling = PlotRun("a", "falls", "red", series_of([4.0 * 0.5**k for k in range(30)]))
    escapes = PlotRun("b", "escapes", "blue", series_of([4.0 - 0.15 * k for k in range(30)]))  # ends at -0.35
    async with PlotApp(plot).run_test(size=(80, 20)):
        plot.set_runs([falling])
        plot.refresh_if_changed()
        assert plot.log_axis() and "log loss" in plot.text_lines()[0]
        plot.set_runs([falling, escapes])
        plot.refresh_if_changed()
        assert not plot.log_axis() and plot.error is None
        lines = plot.text_lines()
        zero = next(i for i, line in enumerate(lines) if line.lstrip().startswith("0┤"))
        assert "linear" in lines[0]
        assert any(any(0x2800 < ord(c) <= 0x28FF for c in line) for line in lines[zero + 1 :])  # below 0 drawn
        escapes.visible = False
        plot.set_runs([falling, escapes])
        plot.refresh_if_changed()
        assert plot.log_axis()  # only the shown runs count
