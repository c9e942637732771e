"""The theory panel in the app: the key shows it, its numbers are core.theory's for the same state, the
meter's class follows the stability, and the (α, β) map draws for momentum methods only."""

import pytest
import torch  # noqa: F401  - imported up front so key presses stay fast

from sgd_tui.core.run.control import Control
from sgd_tui.core.run.engine import Runner
from sgd_tui.core.theory.quadratic import dynamics, local_model, theory_of_runner
from sgd_tui.core.theory.rate_map import rate_map_grid
from sgd_tui.plotting.ratemap import CURRENT, OPTIMUM, rate_cells
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.session import Session, Shared
from sgd_tui.ui.widgets.runs_table import fmt_num
from sgd_tui.ui.widgets.theory_panel import TheoryPanel, meter_text, theory_lines

SIZE = (120, 40)


def session(optimizer: str, hyper: dict) -> Session:
    s = Session(Shared("quadratic", {"condition": 10.0}, {"steps": 1000, "log_every": 1}, 0, "cpu"))
    s.add(s.make_spec(optimizer, hyper, {}))
    return s


async def until(pilot, cond, timeout=10.0):
    """Wait (in small pauses) until ``cond()`` holds: the driver thread answers on its own time."""
    waited = 0.0
    while not cond() and waited < timeout:
        await pilot.pause(0.1)
        waited += 0.1
    await pilot.pause(0.3)  # and the redraw timer (5 Hz) has run
    assert cond()


def panel_text(app) -> str:
    p = app.screen.query_one(TheoryPanel)
    return "\n".join(str(p.query_one(sel).render()) for sel in ("#theory-text", "#theory-meter"))


@pytest.mark.parametrize("optimizer,hyper,stability", [
    ("sgd", {"lr": 0.1}, "stable"),
    ("gd", {"lr": 0.15}, "oscillating"),
    ("polyak", {"lr": 0.3, "momentum": 0.2}, "unstable"),
])
async def test_key_shows_the_panel_with_core_theorys_numbers(optimizer, hyper, stability):
    s = session(optimizer, hyper)
    app = SgdApp(s, timings=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        panel = screen.query_one(TheoryPanel)
        assert not panel.display or not screen.has_class("-theory-shown")
        await pilot.press("escape", "m")
        assert screen.has_class("-theory-shown") and panel.display
        await pilot.press("n")
        entry = s.runs[0]
        await until(pilot, lambda: entry.theory is not None and entry.progress.step == 1)
        assert entry.progress.step == 1 and entry.theory is not None
        # the same state, independently: a fresh runner with the same spec after one step
        runner = Runner(entry.spec)
        runner.advance(1, Control(paused=False))
        ref = theory_of_runner(runner)
        assert entry.theory.model.point == pytest.approx(ref.model.point, abs=1e-12)
        assert entry.theory.dynamics.stability == ref.dynamics.stability == stability
        text = panel_text(app)
        for line in theory_lines(ref):
            assert line in text
        for value in (ref.model.lam_min, ref.model.lam_max, ref.dynamics.limit_alpha, ref.dynamics.alpha_opt):
            assert fmt_num(value) in text
        meter = panel.query_one("#theory-meter")
        assert meter.has_class(f"-{stability}") and stability.upper()[:4] in meter_text(ref.dynamics).upper()
        assert panel.query_one("#theory-map").display  # momentum and GD (β = 0) have a map
        await pilot.press("m")
        assert not screen.has_class("-theory-shown")
        await pilot.press("q")


async def test_adaptive_method_says_no_closed_form_and_shows_its_effective_step():
    s = session("adam", {"lr": 0.05})
    app = SgdApp(s, timings=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "m", "n")
        await until(pilot, lambda: s.runs[0].theory is not None and s.runs[0].progress.step == 1)
        text = panel_text(app)
        assert "no closed form" in text
        eff = s.runs[0].theory.dynamics.effective_step
        assert eff is not None and f"({fmt_num(eff[0])}, {fmt_num(eff[1])})" in text
        # Adam's first step is lr·sign(g) per coordinate: effective step lr/|g_i|
        g = s.runs[0].state["grad"]
        assert eff[0] == pytest.approx(0.05 / abs(g[0]), rel=1e-5)
        assert not app.screen.query_one(TheoryPanel).query_one("#theory-map").display
        await pilot.press("q")


def test_rate_map_marks_the_run_and_the_optimum_where_rho_says():
    from sgd_tui.core.objectives.registry import get_objective, validate_options

    opts, _ = validate_options("quadratic", {"condition": 100.0})
    model = local_model(get_objective("quadratic").build(opts), objective="quadratic", options=opts)
    dyn = dynamics(model, "polyak", {"lr": 0.01, "momentum": 0.5})
    rmap = rate_map_grid(dyn, model, 40, 20)
    chars, fgs, bgs = rate_cells(rmap)
    assert len(chars) == 10 and all(len(r) == 40 for r in chars)
    flat = [c for row in chars for c in row]
    assert flat.count(CURRENT) == 1 and flat.count(OPTIMUM) == 1
    # the unstable colour exactly where ρ ≥ 1 (upper pixel of each cell, away from the marks)
    rho = rmap.rho[::-1]
    for r in range(10):
        for c in range(40):
            if chars[r][c] == "▀":
                assert (fgs[r][c] == (96, 32, 36)) == bool(rho[2 * r, c] >= 1)
    mono = rate_cells(rmap, monochrome=True)[0]
    for r in range(10):
        for c in range(40):
            if mono[r][c] not in (CURRENT, OPTIMUM):
                assert (mono[r][c] == " ") == bool(rho[2 * r, c] >= 1)


async def test_b_draws_the_basins_of_the_selected_run_under_the_paths_and_recomputes_on_an_edit():
    from sgd_tui.core.maps.basins import basin_map
    from sgd_tui.plotting.basinpaint import BASIN_COLORS, basin_legend
    from sgd_tui.ui.widgets.plot_area import PlotArea

    s = Session(Shared("himmelblau", {}, {"steps": 100, "log_every": 1}, 0, "cpu"))
    s.add(s.make_spec("gd", {"lr": 0.01}, {}))
    app = SgdApp(s, timings=False)
    async with app.run_test(size=SIZE) as pilot:
        area = app.screen.query_one(PlotArea)
        await pilot.press("escape", "b")
        assert area.basins_on
        await until(pilot, lambda: area.trajectory.basins is not None, timeout=60)
        got = area.trajectory.basins
        spec = s.runs[0].spec
        ref = basin_map(spec.objective, spec.objective_options, spec.optimizer, spec.hyper, settings=spec.settings,
                        seed=spec.seed)
        assert got.shares() == ref.shares() and got.optimizer == "gd"
        legend = "  ".join(text for text, _ in area.trajectory.legend())
        assert any(all(text in legend for text, _ in basin_legend(ref, form=form))  # as long as the width allows
                   for form in ("full", "compact", "shares"))
        upper, _, lower = area.trajectory._overlay(40, 12)  # two pixels per cell (half blocks)
        assert len(upper) == len(lower) == 12 and len(upper[0]) == 40
        assert ({c for row in upper + lower for c in row}
                <= set(BASIN_COLORS[:len(ref.minima)]) | {(72, 72, 72), (36, 36, 36)})
        # an edit of the selected run's hyperparameters recomputes the map for the new settings
        s.edit(s.runs[0], "gd", {"lr": 0.02}, s.runs[0].spec.settings, s.runs[0].spec.label, "")
        await until(pilot, lambda: area.trajectory.basins is not None and area.trajectory.basins.hyper["lr"] == 0.02,
                    timeout=60)
        await pilot.press("b")
        assert not area.basins_on and area.trajectory.basins is None
        await pilot.press("q")


@pytest.mark.parametrize("width", [120, 60, 40, 30])
def test_the_basin_legend_says_itself_shorter_in_a_narrow_plot_but_keeps_every_basins_share(width):
    """At 80 columns the trajectory plot is ~40 cells wide: the basins' shares (what the map is read by)
    must all be on its top line, in a shorter form if need be, and the line must fit (nothing cut)."""
    from textual.geometry import Size

    from sgd_tui.core.maps.basins import basin_map
    from sgd_tui.ui.widgets.trajectory_plot import TrajectoryPlot

    class Sized(TrajectoryPlot):
        size = property(lambda self: Size(width, 12))

    bmap = basin_map("himmelblau", {}, "gd", {"lr": 0.01}, resolution=12, steps=300)
    plot = Sized()
    plot.own_legend = False
    plot.basins = bmap
    items = plot.legend()
    line = "  ".join(text for text, _ in items)
    assert len(line) <= width, line
    shares = bmap.shares()
    for m in bmap.minima:
        assert f"{shares[m.label]:.0%}" in line
    assert sum(1 for text, _ in items if text.startswith("█")) == len(bmap.minima) + sum(
        1 for name in ("diverged", "not converged") if shares[name] > 0)
    if width >= 120:  # room for the whole form: each minimum's coordinates and the marks
        assert all(f"({m.x:.2g}, {m.y:.2g})" in line for m in bmap.minima) and "minimum]" in line
