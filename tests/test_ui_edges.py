"""The edge of stability in the app: on a 2-D surface the λmax plot shows beside the loss, an adaptive
run draws its preconditioned sharpness (the line) and its raw λmax (dots) against its limit on P⁻¹H, and
the theory panel lists each run's measured curvature against its limit."""

import math

import numpy as np
import pytest
import torch  # noqa: F401  - imported once up front, as the app's workers would, so presses stay fast

from sgd_tui.core.run.records import SharpnessRecord
from sgd_tui.plotting.netseries import SharpnessSeries, sharpness_plot_series
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.session import Session, Shared
from sgd_tui.ui.widgets.netplots import RAW_MARK
from sgd_tui.ui.widgets.theory_panel import curvature_lines

SIZE = (120, 40)


def valley_session() -> Session:
    budget = {"steps": 300, "log_every": 1, "sharpness_every": 20}
    s = Session(Shared("edge_valley", {"c": 0.01}, budget, 0, "cpu"))
    s.add(s.make_spec("gd", {"lr": 0.5}, {}))
    s.add(s.make_spec("adam", {"lr": 0.01}, {}))
    return s


async def test_edge_valley_shows_both_curvatures_and_their_limits():
    app = SgdApp(valley_session(), timings=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        main = app.main
        plots = main.plots
        assert plots.has_class("-surface") and plots.has_class("-sharpness") and plots.sharpness.display
        assert plots.trajectory.display and plots.loss.display
        await pilot.press("escape", "f", "space")
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        gd, adam = main.session.runs
        assert [m.step for m in gd.sharpness.records] == list(range(0, 301, 20))
        assert all(m.preconditioned is None and m.limit == pytest.approx(4.0) for m in gd.sharpness.records)
        pre = [m.preconditioned for m in adam.sharpness.records]
        assert pre[0] is None and all(v is not None and v > 0 for v in pre[1:])
        plot = plots.sharpness
        assert plot.error is None
        formula, value, _ = plot.limit_line()
        assert formula == "2/α" and value == pytest.approx(4.0)
        await pilot.press("down")  # the Adam run: its limit on P⁻¹H
        await pilot.pause(0.3)
        formula, value, run = plot.limit_line()
        assert run.run_id == adam.run_id and formula == "(2+2β1)/((1−β1)α)" and value == pytest.approx(3800.0)
        legend = [item for item, _ in plot.legend()]
        assert legend[0] == "╌╌ limit (2+2β1)/((1−β1)α) = 3.8e+03" and "P⁻¹H" in legend[-1]
        assert RAW_MARK in "\n".join(plot.text_lines())  # Adam's raw λmax as dots
        # the theory panel: each run's curvature against its own limit
        await pilot.press("m")
        await pilot.pause(0.3)
        panel = str(main.query_one("#theory-text").render())
        last_gd, last_adam = gd.sharpness.last, adam.sharpness.last
        assert f"λmax {last_gd.lambda_max:.4g} / limit 4 ({last_gd.lambda_max / 4:.2f}); start 0.40× limit: lazy" in panel
        assert f"P⁻¹H {last_adam.preconditioned:.4g} / limit 3800" in panel


def test_series_curves_and_log_axis_and_the_panel_lines():
    s = SharpnessSeries()
    s.extend([SharpnessRecord(0, 0, 0.0, 2.0, 3800.0), SharpnessRecord(10, 10, 0.0, 5.0, 3800.0, 4, 1000.0),
              SharpnessRecord(20, 20, 0.0, 6.0, 3800.0, 4, 3000.0)])
    assert s.preconditioned
    xs, ys = s.xy("step", preconditioned=True)
    assert list(xs) == [10.0, 20.0] and list(ys) == [1000.0, 3000.0]
    assert list(s.xy("step")[1]) == [2.0, 5.0, 6.0]
    # [view] curvature = "ratio": the measured quantity over the limit (P⁻¹H for an adaptive run)
    assert list(s.xy("step", ratio=True)[1]) == [1000.0 / 3800.0, 3000.0 / 3800.0]
    g = SharpnessSeries()
    g.extend([SharpnessRecord(0, 0, 0.0, 6.0, 4.0), SharpnessRecord(1, 1, 0.0, 2.0, 4.0)])
    assert list(g.xy("step", ratio=True)[1]) == [1.5, 0.5]  # η·λ/2 at η = 0.5

    class Entry:  # what curvature_lines reads of a RunEntry
        def __init__(self, label, optimizer, series):
            self.spec = type("Spec", (), {"label": label, "optimizer": optimizer})()
            self.sharpness = series

    fresh = SharpnessSeries()
    fresh.extend([SharpnessRecord(0, 0, 0.0, 2.0, 3800.0)])
    gd = SharpnessSeries()
    gd.extend([SharpnessRecord(0, 0, 0.0, 3.9, 4.0)])
    lines = curvature_lines([Entry("A", "adam", s), Entry("B", "adam", fresh), Entry("G", "gd", gd),
                             Entry("none", "gd", SharpnessSeries())])
    assert lines == ["A: P⁻¹H 3000 / limit 3800 (0.79) (λmax 6)", "B: λmax 2; P⁻¹H after the first step",
                     "G: λmax 3.9 / limit 4 (0.97); start 0.97× limit: lazy"]
    for lam0, kind in ((5.0, "catapult"), (8.0, "diverges")):  # ηλ0 = 2.5 and 4 at η = 0.5
        s0 = SharpnessSeries()
        s0.extend([SharpnessRecord(0, 0, 0.0, lam0, 4.0)])
        assert curvature_lines([Entry("C", "gd", s0)])[0].endswith(f"× limit: {kind}")
    series = sharpness_plot_series({"A": s.records})
    assert [name for name, _, _ in series] == ["A: λmax", "A: P⁻¹H (preconditioned)", "A: limit on P⁻¹H"]
    assert series[1][2] == [1000.0, 3000.0] and all(math.isfinite(v) for v in np.ravel(series[2][2]))


async def test_the_c_key_draws_the_selected_gd_runs_central_flow():
    from sgd_tui.core.theory.central_flow import edge_valley_central_flow

    app = SgdApp(valley_session(), timings=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        plots = app.main.plots
        await pilot.press("escape", "c")
        await pilot.pause(0.3)
        flow = plots.flow_run()
        assert plots.flow_on and flow is not None
        assert flow in plots.trajectory._runs and flow in plots.loss._runs
        ref = edge_valley_central_flow(0.01, (1.0, 0.0), 0.5, 300)
        xs, ys = flow.series.path()
        np.testing.assert_allclose(xs, ref.x, rtol=1e-12)
        np.testing.assert_allclose(ys, ref.y, rtol=1e-12)
        await pilot.press("down")  # the Adam run: no central flow
        await pilot.pause(0.3)
        assert plots.flow_run() is None and all(r.run_id != "central-flow" for r in plots.trajectory._runs)
        await pilot.press("up", "c")
        await pilot.pause(0.3)
        assert not plots.flow_on and plots.flow_run() is None


def test_a_diverged_run_says_so_after_its_regime():
    class Entry:
        spec = type("Spec", (), {"label": "D", "optimizer": "gd"})()
        progress = type("Progress", (), {"status": "diverged"})()
        sharpness = SharpnessSeries()

    Entry.sharpness.extend([SharpnessRecord(0, 0, 0.0, 7.8, 4.0), SharpnessRecord(6, 6, 0.0, 100.0, 4.0)])
    assert curvature_lines([Entry()]) == ["D: λmax 100 / limit 4 (25.00); start 1.95× limit: catapult; diverged"]


async def test_the_c_key_draws_the_flows_of_f_and_of_the_modified_loss_beside_a_gd_run():
    """Off edge_valley, c draws GD's two flows (solved in a worker): the gradient flow of f and the flow of
    f̃ = f + (α/4)‖∇f‖². Checked against a float64 reference solved here (fine steps of RK4 on the
    quadratic's linear ODEs, not the app's solver), and the lesson itself: GD's points lie far closer to
    f̃'s flow than to f's. The legend names both."""
    from sgd_tui.core.objectives.surfaces import make_surface
    from sgd_tui.ui.widgets.legend import RunLegend

    lr, steps = 0.02, 60
    s = Session(Shared("quadratic", {}, {"steps": steps, "log_every": 1}, 0, "cpu"))
    s.add(s.make_spec("gd", {"lr": lr}, {}))
    surface = make_surface("quadratic")
    start = np.array(surface.start, dtype=float)
    H = np.array(surface.hess(*start), dtype=float)  # constant: f is quadratic

    def rk4(A, t_end, n=6000):  # θ' = -A (θ - θ*) with θ* = the minimum
        m = np.array(surface.minima[0], dtype=float)
        p, h = start - m, t_end / n
        for _ in range(n):
            k1 = -A @ p
            k2 = -A @ (p + h / 2 * k1)
            k3 = -A @ (p + h / 2 * k2)
            k4 = -A @ (p + h * k3)
            p = p + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        return p + m

    gd = start.copy()
    for _ in range(steps):
        gd = gd - lr * np.array(surface.grad(*gd), dtype=float)
    want_f, want_mod = rk4(H, steps * lr), rk4(H + lr / 2 * H @ H, steps * lr)  # ∇f̃ = (I + (α/2)H)∇f

    app = SgdApp(s, timings=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        plots = app.main.plots
        await pilot.press("escape", "c")
        for _ in range(100):
            if len(plots.flow_runs()) == 2:
                break
            await pilot.pause(0.1)
        f, mod = plots.flow_runs()
        assert f in plots.trajectory._runs and mod in plots.loss._runs
        end_f = np.array([v[-1] for v in f.series.path()])
        end_mod = np.array([v[-1] for v in mod.series.path()])
        np.testing.assert_allclose(end_f, want_f, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(end_mod, want_mod, rtol=1e-6, atol=1e-9)
        assert np.linalg.norm(gd - end_mod) < 0.1 * np.linalg.norm(gd - end_f)
        await pilot.pause(0.4)
        text = str(app.main.query_one(RunLegend).render())
        assert "┄┄ gradient flow" in text and "┄┄ modified flow" in text
        await pilot.press("c")
        await pilot.pause(0.4)
        assert plots.flow_runs() == [] and "flow" not in str(app.main.query_one(RunLegend).render())
