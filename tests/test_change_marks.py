"""The loss plot's change marks: their layout on the canvas (sgd_tui.plotting.marks) and the drawn plot."""

from __future__ import annotations

import math

from test_ui_plots_widgets import PlotApp

from sgd_tui.core.optim.changes import change_marks
from sgd_tui.core.run.records import Record
from sgd_tui.plotting.marks import cells_of, change_ticks, data_column, layout_ticks, mark_positions, text_cells
from sgd_tui.plotting.raster import cell_to_data
from sgd_tui.plotting.series import RunSeries
from sgd_tui.ui.widgets.plots import LossPlot
from sgd_tui.ui.widgets.runs_plot import PlotRun


def _cells(t):
    return {(c, t.label_row) for c in range(t.label_col, t.label_col + len(t.text))}


def test_labels_sit_beside_their_tick_never_overlap_and_stay_on_the_canvas():
    cols, rows = 40, 10
    ticks = [(0, 5, "lr 0.01→0.1"), (1, 7, "lr 0.1→0.01"), (0, 36, "momentum 0→0.9"), (2, 6, "x" * 60)]
    out = layout_ticks(ticks, cols, rows)
    assert sorted((t.owner, t.col) for t in out) == sorted((o, c) for o, c, _ in ticks)
    by = {(t.owner, t.col): t for t in out}
    assert by[0, 5].label_col == 6 and by[0, 5].label_row == 0  # right of its tick, top row
    assert by[1, 7].label_row > 0  # the top row is taken next to it: a row further down
    assert by[0, 36].label_col + len("momentum 0→0.9") == 36  # no room on the right: ends left of the tick
    cut = by[2, 6]  # longer than the canvas: no label (never a cut one; the plot lists it)
    assert cut.text == "" and cut.label_row == -1
    labelled = [t for t in out if t.text]
    for t in labelled:
        assert 0 <= t.label_col and t.label_col + len(t.text) <= cols and 0 <= t.label_row < rows
        assert not (t.label_col <= t.col < t.label_col + len(t.text))  # the label never covers its tick
    for a in labelled:
        for b in labelled:
            if a is not b and a.label_row == b.label_row:  # one blank column between two on a row
                assert a.label_col + len(a.text) < b.label_col or b.label_col + len(b.text) < a.label_col


def test_a_label_avoids_the_curves_and_other_ticks_when_a_row_is_free():
    cols, rows = 30, 6
    occupied = {(c, r) for c in range(30) for r in (0, 1, 2)}  # a curve fills the top three rows
    (t,) = layout_ticks([(0, 3, "lr 1→2")], cols, rows, occupied)
    assert t.label_row == 3
    # another tick right of it, in the way of its label: the label goes to the left side
    out = layout_ticks([(0, 10, "lr 1→2"), (1, 13, "lr 2→3")], cols, rows)
    first = next(t for t in out if t.owner == 0)
    assert (first.label_col, first.label_row) == (4, 0)
    # nowhere free: the top row with the fewest curve cells under it
    full = {(c, r) for c in range(30) for r in range(rows)} - {(c, 4) for c in range(6, 30)}
    (t,) = layout_ticks([(0, 3, "lr 1→2")], cols, rows, full)
    assert t.label_row == 4


def test_ticks_leave_the_curves_cells_and_map_back_to_their_columns():
    xlim, ylim, cols, rows = (0.0, 100.0), (-2.0, 0.0), 51, 8
    centre_x = [cell_to_data(c, 0, xlim, ylim, cols, rows)[0] for c in range(cols)]
    assert [data_column(x, *xlim, cols) for x in centre_x] == list(range(cols))
    curve = ([50.0, 50.0], [0.0, -2.0 / 7])  # cells (25, 0) and (25, 1)
    assert cells_of(*curve, xlim, ylim, cols, rows) == {(25, 0), (25, 1)}
    ((owner, xs, ys, text, tx, ty),) = change_ticks([(7, 50.0, "lr 1→2")], xlim, ylim, cols, rows, [curve])
    assert owner == 7 and set(xs) == {50.0} and len(ys) == rows - 2 and 0.0 not in ys
    assert text == "lr 1→2" and data_column(tx, *xlim, cols) == 26


def test_labels_keep_off_other_texts_on_the_canvas():
    """A diverged run's word ("diverged ✕", drawn by plotext over everything) is not written over."""
    xlim, ylim, cols, rows = (0.0, 100.0), (0.0, 1.0), 51, 6
    word = (*cell_to_data(30, 0, xlim, ylim, cols, rows), "diverged ✕", "right")
    assert text_cells(*word, xlim, ylim, cols, rows) == {(c, 0) for c in range(21, 31)}
    ((_, xs, ys, text, tx, ty),) = change_ticks([(0, 40.0, "lr 1→2")], xlim, ylim, cols, rows, (), [word])
    # the tick at column 20: right of it the label would cross the word, left of it the top row is free
    assert data_column(tx, *xlim, cols) == 14 and ty == cell_to_data(0, 0, xlim, ylim, cols, rows)[1]
    ((_, xs, ys, text, tx, ty),) = change_ticks([(0, 46.0, "lr 1→2")], xlim, ylim, cols, rows, (), [word])
    # column 23, under the word: either side crosses it, one row down
    assert ty == cell_to_data(0, 1, xlim, ylim, cols, rows)[1]
    ((_, xs, ys, _, _, _),) = change_ticks([(0, 50.0, "lr 1→2")], xlim, ylim, cols, rows, (), [word])
    assert len(ys) == rows - 1  # the tick leaves the word's cell


def test_mark_positions_follow_the_x_axis_and_skip_changes_not_reached():
    steps, samples = [0, 10, 20, 30], [0, 320, 640, 960]
    marks = [(15, "a"), (30, "b"), (40, "c")]
    assert mark_positions(marks, steps, samples, (0, 1000)) == [(480.0, "a"), (960.0, "b")]
    assert mark_positions(marks, steps, samples, (0, 500)) == [(480.0, "a")]
    assert mark_positions(marks, [], [], (0, 1)) == []
    assert change_marks({"lr": 0.01, "betas": (0.9, 0.999)}, [(5, {"lr": 0.1}), (9, {"betas": (0.5, 0.999)})]) == [
        (5, "lr 0.01→0.1"), (9, "betas (0.9, 0.999)→(0.5, 0.999)")]


def _series(n, marks, scale=1.0):
    s = RunSeries()
    s.extend(Record(k, 1, 10 * k, 0.1 * k, scale * 2.0 * math.exp(-k / 40), 0.1, 1.0) for k in range(n))
    s.set_marks(marks)
    return s


async def test_the_loss_plot_draws_each_tick_and_label_legibly_at_80x24_and_120x40():
    runs = [PlotRun("a", "sgd lr=0.01", "#56b4e9", _series(300, [(100, "lr 0.01→0.1"), (110, "lr 0.1→0.02")])),
            PlotRun("b", "adam", (230, 159, 0), _series(300, [(105, "betas (0.9, 0.999)→(0.5, 0.999)")], 0.5))]
    for size in ((80, 24), (120, 40)):
        plot = LossPlot()
        async with PlotApp(plot).run_test(size=size) as pilot:
            plot.set_runs(runs)
            await pilot.pause()
            plot.refresh_if_changed()
            assert plot.error is None, plot.error
            lines = plot.text_lines()
            text = "\n".join(lines)
            assert "lr 0.01→0.1" in text and "lr 0.1→0.02" in text
            assert "betas (0.9, 0.999)→(0.5" in text  # the long one may be cut at 80 columns, never hidden
            assert sum(line.count(LossPlot.TICK_MARK) for line in lines) >= 3 * (plot.canvas[1] // 2)
            for x_key in ("samples", "epoch", "time"):  # other x axes: the marks follow
                plot.x_key = x_key
                plot.refresh_if_changed()
                assert plot.error is None and "lr 0.01→0.1" in "\n".join(plot.text_lines())


def test_a_label_is_shortened_number_by_number_or_dropped_never_cut_mid_number():
    from sgd_tui.plotting.marks import label_forms

    assert label_forms("lr 0.001→0.0017783") == ["lr 0.001→0.0017783", "lr 0.001→0.00178", "lr 0.001→0.0018"]
    assert label_forms("betas (0.9, 0.999)→(0.5, 0.999)") == ["betas (0.9, 0.999)→(0.5, 0.999)",
                                                              "betas (0.9, 1)→(0.5, 1)"]
    # 17 columns right of the tick: the whole text (18) does not fit, the 3-digit form (16) does
    (t,) = layout_ticks([(0, 2, "lr 0.001→0.0017783")], 20, 4)
    assert t.text == "lr 0.001→0.00178" and t.label_col == 3
    (t,) = layout_ticks([(0, 2, "lr 0.001→0.0017783")], 18, 4)  # only the 2-digit form (15) fits
    assert t.text == "lr 0.001→0.0018"
    (t,) = layout_ticks([(0, 2, "lr 0.001→0.0017783")], 12, 4)  # nothing fits: no label at all
    assert t.text == "" and t.label_row == -1


def test_a_label_never_touches_other_text_even_when_every_row_has_curves():
    xlim, ylim, cols, rows = (0.0, 100.0), (0.0, 1.0), 51, 3
    word = (*cell_to_data(20, 1, xlim, ylim, cols, rows), "✕ diverged", "left")  # columns 20..29, row 1
    curve = ([x for x in range(0, 101, 2)] * 3, [y for y in (0.0, 0.5, 1.0) for _ in range(51)])  # every cell
    out = change_ticks([(0, 36.0, "momentum 0.89→0.84")], xlim, ylim, cols, rows, [curve], [word])
    ((_, _, _, text, tx, ty),) = out
    word_cells = text_cells(*word, xlim, ylim, cols, rows)
    if text:
        col, row = data_column(tx, *xlim, cols), rows - 1 - data_column(ty, *ylim, rows)
        cells = {(c, row) for c in range(col - 1, col + len(text) + 1)}  # with a blank column either side
        assert not cells & word_cells


async def test_a_dropped_label_is_listed_on_the_legend_line():
    plot = LossPlot()
    async with PlotApp(plot).run_test(size=(40, 12)):
        long = "lr 0.001→0.0017783, momentum 0.9→0.5"
        plot.set_runs([PlotRun("a", "a", "#56b4e9", _series(200, [(100, long)]))])
        plot.refresh_if_changed()
        assert plot.error is None
        assert any(text == f"{LossPlot.TICK_MARK} {long}" for text, _ in plot.legend())
        assert "…" not in "".join(plot.text_lines()[1:])  # nothing cut on the canvas
