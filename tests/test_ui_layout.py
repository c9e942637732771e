"""What a person sees at 80x24 and 120x40: one legend, whole table headers, enough rows, plot title lines
without stale text, the start marks before the first step (Textual Pilot, by keys)."""

import pytest
import torch  # noqa: F401  - imported up front, as the app's workers would, so presses stay fast

from sgd_tui.core.scenario.parse import load_scenario
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.session import session_from_scenario
from sgd_tui.ui.widgets.legend import legend_lines


def race_app():
    return SgdApp(session_from_scenario(load_scenario("optimizer-race")), timings=False)


async def wait_surface(pilot):
    for _ in range(60):
        if pilot.app.screen.plots.trajectory._grid_fn is not None:
            return
        await pilot.pause(0.1)
    raise AssertionError("the surface preview never came")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_one_legend_whole_headers_and_room_for_rows(size):
    app = race_app()
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        await pilot.pause(0.3)
        runs = screen.session.runs
        assert len(runs) == 13
        legend = screen.query_one("#legend")
        text = legend.render().plain
        labels = legend.labels  # what the legend calls each run: the whole label, or one said shorter
        assert text.startswith("▶━━ " + labels[runs[0].run_id] + "  ")  # the selected run is marked
        assert len(text.splitlines()) <= 2
        for plot in (screen.plots.loss, screen.plots.trajectory):  # the plots no longer repeat it
            assert runs[0].spec.label not in plot.text_lines()[0]
        # the selection moves: the legend shows the selected run (scrolling to it) and marks it
        await pilot.press(*["down"] * 12)
        await pilot.pause(0.3)
        text = legend.render().plain
        assert "▶" in text and text.split("▶", 1)[1].split("  ")[0].endswith(legend.labels[runs[-1].run_id])
        # every column shown has its whole header, and the columns fill the width without a horizontal scroll
        table = screen.table
        for col in table.columns.values():
            assert col.get_render_width(table) - 2 * table.cell_padding >= len(str(col.label))
        assert "loss" in table.columns_shown and "status" in table.columns_shown
        assert sum(c.get_render_width(table) for c in table.columns.values()) <= table.size.width
        if size[0] >= 120:
            # the scenario's story is open, so the setup panel starts closed and the table has the width
            assert screen.has_class("-story-open") and not screen.has_class("-setup-open")
            assert "samples/s" in table.columns_shown and "|g|" in table.columns_shown
            await pilot.press("s")  # the setup panel beside the plots: the table keeps the columns that fit
            await pilot.pause(0.3)
            assert screen.query_one("#setup").region.width > 0
            assert "samples/s" not in table.columns_shown and "loss" in table.columns_shown
        assert table.region.height - 1 > 4  # more than 4 of the 13 rows, the selected one among them
        row = table.cursor_row
        assert table.scroll_offset.y <= row < table.scroll_offset.y + table.region.height - 1


async def test_the_race_legend_names_every_run_at_80_columns_by_saying_labels_shorter():
    """13 runs whose whole labels need four lines at 80 columns: by optimizer alone they fit the legend's
    two, so no run is left off (the table keeps the whole labels)."""
    app = race_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        text = app.screen.query_one("#legend").render().plain
        names = [r.spec.optimizer for r in app.screen.session.runs]
        assert len(set(names)) == 13 and "…" not in text and "+" not in text
        found = [n for n in names if f"━━ {n}  " in text + "  " or f"━━ {n}\n" in text]
        assert found == names, text
        assert len(text.splitlines()) == 2 and all(len(line) <= 80 for line in text.splitlines())


def test_short_labels_leave_out_shared_words_then_keep_the_optimizer_and_never_merge_two_runs():
    from sgd_tui.core.scenario.parse import parse_scenario
    from sgd_tui.ui.widgets.legend import short_labels

    def specs(runs: str):
        return parse_scenario(f'schema = 1\ntitle = "t"\n[objective]\nname = "linear_regression"\n[budget]\nsteps = 10\n{runs}').runs

    batch = specs('[[runs]]\nname = "sgd"\nlr = 0.1\nbatch_size = 1\n'
                  '[[runs]]\nname = "sgd"\nlr = 0.1\nbatch_size = 16\n')
    assert short_labels(batch) == [["sgd lr=0.1 batch_size=1", "sgd lr=0.1 batch_size=16"],
                                   ["batch_size=1", "batch_size=16"]]  # "sgd" alone would merge them
    mixed = specs('[[runs]]\nname = "gd"\nlr = 0.1\n[[runs]]\nname = "adam"\nlr = 0.1\n'
                  '[[runs]]\nname = "adam"\nlr = 0.1\nlabel = "my adam"\n')
    assert short_labels(mixed) == [["gd lr=0.1", "adam lr=0.1", "my adam"], ["gd", "adam", "my adam"]]


def test_legend_wraps_greedily():
    items = [("a" * 5, False), ("b" * 5, True), ("c" * 12, False)]
    assert legend_lines(items, 12) == [[0, 1], [2]]
    assert legend_lines(items, 5) == [[0], [1], [2]]


async def test_plot_title_line_has_no_stale_text_after_switching_scenario():
    app = race_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t")  # the x axis: samples (a longer title)
        await pilot.pause(0.3)
        await app.open_scenario("gd-vs-newton")
        await pilot.pause(0.5)
        loss = app.main.plots.loss
        line = loss.render_line(0)
        # the strip covers the whole width: a shorter title is padded with blanks, so the terminal cannot
        # keep the previous frame's text after its end
        assert line.cell_length == loss.size.width and len(line.text) == loss.size.width
        assert line.text.rstrip() == loss.text_lines()[0].rstrip()


async def test_start_mark_before_the_first_step():
    app = race_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_surface(pilot)
        traj = app.screen.plots.trajectory
        for _ in range(60):  # the redraw timer draws the preview (0.3 s were not always enough on a loaded machine)
            body = "\n".join(traj.text_lines()[1:])
            if "o" in body:
                break
            await pilot.pause(0.1)
        assert all(len(r.series) == 0 for r in app.screen.session.runs)
        assert "o" in body  # the runs' start, drawn before any step
        assert "@" not in body  # no current point yet
