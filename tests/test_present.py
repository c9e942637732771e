"""Presenter mode (``sgd-tui --present``, ``P``, the palette): the style reaches the plots (quadrant blocks
instead of braille), the selected run's figures are its own (checked against a float64 GD computed here),
a diverged run shows as such, and the scenario key ``look_for`` parses, is refused when it cannot be one
line, round-trips through a saved scenario, and falls back to the description's "What to look for"."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch  # noqa: F401  - imported up front, as the app's workers would
from textual.command import CommandPalette
from textual.widgets import Input, OptionList

from sgd_tui.core.errors import ScenarioError
from sgd_tui.core.scenario.files import find_scenarios
from sgd_tui.core.scenario.look_for import LOOK_FOR_MAX, first_look_for, look_for_line
from sgd_tui.core.scenario.parse import load_scenario, parse_scenario
from sgd_tui.core.scenario.write import scenario_to_toml
from sgd_tui.plotting.raster import QUADRANTS, braille_cells, quadrant_cells
from sgd_tui.plotting.style import NORMAL, PRESENTER
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.session import session_from_scenario
from sgd_tui.ui.widgets.plotgrid import PlotGrid
from sgd_tui.ui.widgets.presenter import PresenterBar, digits_text, figures_line, key_figures

BRAILLE = {chr(c) for c in range(0x2801, 0x2900)}
BLOCKS = set(QUADRANTS.strip())


def gd_scenario(lr: float, steps: int, condition: float = 10.0, angle: float = 30.0, look_for: str | None = None,
                max_loss: float | None = None) -> str:
    extra = f'look_for = "{look_for}"\n' if look_for is not None else ""
    budget = f"steps = {steps}\nlog_every = 1" + (f"\nmax_loss = {max_loss}" if max_loss else "")
    return (f'schema = 1\ntitle = "GD on a quadratic"\ndescription = "d"\n{extra}device = "cpu"\n'
            f'[objective]\nname = "quadratic"\ncondition = {condition}\nangle = {angle}\nstart = [-4.0, 3.0]\n'
            f'[budget]\n{budget}\n[optimizer]\nname = "gd"\nlr = {lr}\n')


def reference_gd(lr: float, steps: int, condition: float, angle: float):
    """Float64 GD on f = ½ wᵀHw, H = R diag(1, κ) Rᵀ: (loss after ``steps``, λmax of H)."""
    th = math.radians(angle)
    r = np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
    h = r @ np.diag([1.0, condition]) @ r.T
    w = np.array([-4.0, 3.0])
    for _ in range(steps):
        w = w - lr * (h @ w)
    return 0.5 * w @ h @ w, float(np.linalg.eigvalsh(h).max())


async def wait_done(pilot, app, timeout: float = 60.0) -> None:
    for _ in range(int(timeout / 0.1)):
        if all(r.progress.done for r in app.main.session.runs):
            break
        await pilot.pause(0.1)
    assert all(r.progress.done for r in app.main.session.runs), [r.progress for r in app.main.session.runs]
    await pilot.pause(0.8)  # the redraw timer has shown the end


def canvas_chars(plot: PlotGrid) -> set[str]:
    return set("".join(plot.text_lines()[1:]))


# ----------------------------------------------------------------------------- rasterising
def test_quadrant_lines_take_the_cells_braille_takes_and_half_a_cell_of_ink():
    xs, ys = [0.0, 9.0], [0.0, 3.0]
    qx, qy, q = quadrant_cells(xs, ys, (0.0, 9.0), (0.0, 3.0), 10, 4)
    assert q and set(q) <= BLOCKS
    # a horizontal line along the bottom: the lower half of every cell of the bottom row, nothing else
    hx, hy, h = quadrant_cells([0.0, 9.0], [0.0, 0.0], (0.0, 9.0), (0.0, 3.0), 10, 4)
    assert h == ["▄"] * 10 and set(hy) == {0.0}
    # the same line through braille touches the same cells (one per column)
    bx, by, _ = braille_cells([0.0, 9.0], [0.0, 0.0], (0.0, 9.0), (0.0, 3.0), 10, 4)
    assert (bx, by) == (hx, hy)
    assert PRESENTER.cells([0, 9], [0, 0], (0, 9), (0, 3), 10, 4)[2] == h
    assert NORMAL.cells([0, 9], [0, 0], (0, 9), (0, 3), 10, 4)[2][0] in BRAILLE


def test_digits_never_show_half_a_number():
    assert digits_text(float("nan")) == digits_text(float("inf")) == digits_text(None) == "--"
    assert digits_text(600) == "600" and digits_text(1234.5) == "1234" and digits_text(0.5) == "0.500"
    assert digits_text(1.0) == "1.00" and digits_text(600.0) == "600" and digits_text(0.00194) == "0.00194"
    assert digits_text(1.234e-7) == "1.23E-7" and digits_text(-2.5e12) == "-2.5E12"
    figures = key_figures(None)
    assert figures == []


# ----------------------------------------------------------------------------- the app
async def test_present_style_reaches_every_plot_and_the_figures_are_the_runs_own():
    lr, steps, kappa, angle = 0.05, 40, 10.0, 30.0
    loss, lam_max = reference_gd(lr, steps, kappa, angle)
    app = SgdApp(session_from_scenario(parse_scenario(gd_scenario(lr, steps, kappa, angle))), timings=False,
                 present=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space")
        await wait_done(pilot, app)
        main = app.main
        assert main.has_class("-present") and not main.has_class("-setup-open")
        assert {p.style for p in main.plots.query(PlotGrid)} == {PRESENTER}
        drawn = canvas_chars(main.plots.loss) | canvas_chars(main.plots.trajectory)
        assert drawn & BLOCKS and not drawn & BRAILLE
        bar = main.query_one(PresenterBar)
        assert bar.big  # 120x40: large digits
        figures = {f.name: f for f in bar.figures}
        assert figures["step"].value == str(steps)
        gap = float(figures["f − f*"].value.replace("E", "e"))
        assert gap == pytest.approx(loss, rel=6e-3)  # three significant digits
        alpha_lambda = float(figures["α·λmax"].value.replace("E", "e"))
        assert alpha_lambda == pytest.approx(lr * lam_max, rel=6e-3)
        assert "limit 2" in figures["α·λmax"].note and not figures["α·λmax"].alarm

        await pilot.press("P")  # off: braille again, the bar hidden
        await pilot.pause(0.5)
        assert not app.present and not main.has_class("-present")
        assert {p.style for p in main.plots.query(PlotGrid)} == {NORMAL}
        drawn = canvas_chars(main.plots.loss)
        assert drawn & BRAILLE and not drawn & BLOCKS


async def test_a_diverged_run_shows_as_diverged_in_big_figures():
    app = SgdApp(session_from_scenario(parse_scenario(gd_scenario(0.25, 200, max_loss=1e6))), timings=False,
                 present=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("space")
        await wait_done(pilot, app)
        run = app.main.session.runs[0]
        assert run.progress.status == "diverged"
        figures = {f.name: f for f in app.main.query_one(PresenterBar).figures}
        loss = figures["f − f*"]
        assert loss.value == "--" and loss.alarm and "diverged" in loss.note
        assert float(figures["α·λmax"].value) == pytest.approx(2.5, rel=1e-3) and figures["α·λmax"].alarm


async def test_the_palette_turns_presenter_mode_on_and_opening_a_demo_keeps_it():
    app = SgdApp(session_from_scenario(load_scenario("why-momentum")), timings=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)
        assert not app.main.has_class("-present")
        await pilot.press("ctrl+p")
        for _ in range(40):
            if isinstance(app.screen, CommandPalette):
                break
            await pilot.pause(0.05)
        palette = app.screen
        palette.query_one(Input).value = "Presenter mode on"
        for _ in range(40):
            await pilot.pause(0.05)
            if any("Presenter mode on" in str(getattr(o, "prompt", "")) for o in palette.query_one(OptionList).options):
                break
        await pilot.press("enter")
        for _ in range(40):
            if app.main.has_class("-present"):
                break
            await pilot.pause(0.05)
        assert app.present and app.main.has_class("-present")
        bar = app.main.query_one(PresenterBar)
        await pilot.pause(0.6)
        assert "β 0.74 near critical damping" in str(bar.query_one("#look-for").render())
        assert await app.open_scenario("polyak-vs-nesterov")
        await pilot.pause(0.6)
        main = app.main
        assert main.has_class("-present") and {p.style for p in main.plots.query(PlotGrid)} == {PRESENTER}
        look = str(main.query_one("#look-for").render())
        assert "Nesterov turns before the wall" in look and "critical damping" not in look


async def test_at_80x24_the_figures_are_one_line_that_never_cuts_a_number():
    app = SgdApp(session_from_scenario(parse_scenario(gd_scenario(0.05, 30))), timings=False, present=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space")
        await wait_done(pilot, app)
        bar = app.main.query_one(PresenterBar)
        assert not bar.big
        line = str(bar.query_one("#figures-line").render())
        assert line.startswith("step 30") and "α·λmax 0.500" in line and len(line) <= 78
        assert app.main.query_one("#figures-line").region.height == 1
        run = app.main.session.runs[0]
    figures = key_figures(run, 0.0, True)
    for width in range(8, 80):
        shown = figures_line(figures, width)
        assert len(shown) <= width
        for f in figures:  # a figure is there whole or not at all
            assert f"{f.name} {f.value}" in shown or f.name not in shown


# ----------------------------------------------------------------------------- look_for
def test_look_for_parses_and_round_trips_through_a_saved_scenario():
    text = gd_scenario(0.05, 10, look_for="GD zig-zags across the valley")
    s = parse_scenario(text, "demo.toml")
    assert s.look_for == "GD zig-zags across the valley"
    again = parse_scenario(scenario_to_toml(s), "again.toml")
    assert again.look_for == s.look_for
    saved = session_from_scenario(s).to_scenario()
    assert parse_scenario(scenario_to_toml(saved)).look_for == s.look_for
    assert "look_for" not in scenario_to_toml(parse_scenario(gd_scenario(0.05, 10)))  # absent stays absent


@pytest.mark.parametrize("value, says", [
    ('"""one\ntwo"""', "must be one line"),
    (f'"{"x" * (LOOK_FOR_MAX + 1)}"', f"at most {LOOK_FOR_MAX}"),
    ("3", "must be a string"),
    ('"  "', "is empty"),
])
def test_a_bad_look_for_is_refused_with_file_line_and_key(value, says):
    text = gd_scenario(0.05, 10).replace('device = "cpu"\n', f'device = "cpu"\nlook_for = {value}\n')
    with pytest.raises(ScenarioError) as e:
        parse_scenario(text, "bad.toml")
    issue = next(i for i in e.value.issues if i.key == "look_for")
    assert issue.file == "bad.toml" and issue.line == 5 and says in issue.message


def test_without_look_for_the_first_sentence_of_what_to_look_for_is_shown():
    desc = ("A demo.\n\nWhat to look for:\n* the first run overshoots. The second\n  does not.\n* more.\n\n"
            "Budget: 3 epochs.")
    assert first_look_for(desc) == "the first run overshoots."
    assert first_look_for("What to look for: GD creeps along the floor (loss 0.2). Newton lands.") == \
        "GD creeps along the floor (loss 0.2)."
    assert first_look_for("No such paragraph here. Another sentence.") == "No such paragraph here."
    assert first_look_for("") == ""
    long = "What to look for: " + "word " * 40
    shown = look_for_line("", long, limit=50)
    assert len(shown) <= 50 and shown.endswith("…") and " wor…" not in shown


def test_every_bundled_scenario_has_a_look_for_that_fits_100_columns():
    for name, _path, _title in find_scenarios():
        s = load_scenario(name)
        assert s.look_for, name
        assert len("Look for: " + s.look_for) <= 98, name  # inside the bar's padding at 100 columns
        assert "\n" not in s.look_for


def test_serve_present_passes_presenter_mode_to_every_session():
    pytest.importorskip("textual_serve")
    from sgd_tui.serve import SgdServer

    plain = SgdServer(port=0, max_sessions=2)
    present = SgdServer(port=0, max_sessions=2, present=True)
    assert "--present" not in plain.command_for("why-momentum")
    assert present.command_for("why-momentum").endswith("--scenario why-momentum --present")
    assert present.command_for(None).endswith("-m sgd_tui --present")
