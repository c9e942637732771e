"""The app's network views on mlp_regression (Textual Pilot, tiny budgets, every run finished before a
check): λmax per run beside the loss with the selected run's stability limit, and the loss-landscape slice
computed off the UI thread, checked against core.theory and core.landscape on the same weights."""

import math

import numpy as np
import pytest
import torch  # noqa: F401  - imported once up front, as the app's workers would, so presses stay fast

from sgd_tui.core.maps.landscape import compute_landscape
from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.theory.quadratic import lambda_limit
from sgd_tui.plotting.netseries import SharpnessSeries, limit_formula
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.session import Session, Shared
from sgd_tui.ui.widgets.netplots import bilinear

SIZE = (120, 40)
OPTIONS = {"hidden": 8, "n_samples": 24, "degree": 3}


def net_session(budget=None, runs=(("gd", {"lr": 0.2}), ("sgd", {"lr": 0.1, "momentum": 0.5}))) -> Session:
    budget = {"steps": 24, "log_every": 1, "sharpness_every": 4, "snapshot_every": 2, **(budget or {})}
    s = Session(Shared("mlp_regression", dict(OPTIONS), budget, 0, "cpu"))
    for name, hyper in runs:
        s.add(s.make_spec(name, hyper, {"batch_size": "full"}))
    return s


async def run_to_end(pilot):
    await pilot.press("escape", "f", "space")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.3)


async def test_sharpness_series_reaches_the_plot_with_the_selected_runs_limit():
    app = SgdApp(net_session(), timings=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        main = app.main
        plots = main.plots
        assert plots.has_class("-sharpness") and plots.sharpness.display
        await run_to_end(pilot)
        runs = main.session.runs
        for r in runs:
            assert r.progress.step == 24
            # step 0 and every 4th step: 7 measurements, all positive and finite
            assert [m.step for m in r.sharpness.records] == [0, 4, 8, 12, 16, 20, 24]
            assert all(math.isfinite(m.lambda_max) and m.lambda_max > 0 for m in r.sharpness.records)
        plot = plots.sharpness
        assert plot.error is None and plot.canvas[0] > 10
        # the selected run (the first) draws its limit: 2/α for GD
        formula, value, run = plot.limit_line()
        assert run.run_id == runs[0].run_id and formula == "2/α"
        assert value == pytest.approx(lambda_limit("gd", runs[0].spec.hyper, 0.2)) == pytest.approx(10.0)
        assert "2/α = 10" in plot.text_lines()[0]
        # select the momentum run: its limit 2(1+β)/α = 30
        await pilot.press("down")
        await pilot.pause(0.3)
        formula, value, run = plot.limit_line()
        assert run.run_id == runs[1].run_id and formula == "2(1+β)/α"
        assert value == pytest.approx(lambda_limit("sgd", runs[1].spec.hyper, 0.1)) == pytest.approx(30.0)
        assert "2(1+β)/α = 30" in plot.text_lines()[0]


async def test_landscape_job_grid_equals_core_landscape_on_the_same_weights():
    app = SgdApp(net_session(), timings=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        main = app.main
        await run_to_end(pilot)
        await pilot.press("L")
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        plots = main.plots
        view = plots.landscape.view
        assert view is not None, plots.landscape.status
        assert plots.has_class("-landscape") and plots.landscape.display and not plots.evals.display
        runners = [r.slot.runner for r in main.session.runs]
        ref = compute_landscape(runners, mode="plane", runs=[r.spec.label for r in main.session.runs])
        assert view.a_values == ref.slice.a_values and view.b_values == ref.slice.b_values
        np.testing.assert_allclose(view.loss, ref.slice.loss, rtol=1e-12)
        assert set(view.paths) == set(ref.paths)
        for label, pts in ref.paths.items():
            np.testing.assert_allclose([tuple(p) for p in pts], view.paths[label], rtol=1e-9, atol=1e-12)
        # both runs lie in the plane through their own ends: off-plane distance 0 at the last point
        off = plots.landscape.off_plane()
        assert all(abs(d) < 1e-5 for d in off.values())
        text = plots.landscape.text_lines()
        labels = [r.spec.label for r in main.session.runs]
        assert plots.landscape.error is None and text[0].startswith("a→gd lr=0.2")
        assert plots.landscape.plane_text() == f"a→{labels[0][:11]}… b→{labels[1][:11]}…"


async def test_landscape_without_snapshots_rebuilds_the_start():
    """No budget.snapshot_every: the shared start is a fresh build of the objective (same seed), so the
    plane still goes through the true start, and the paths are start → now."""
    session = net_session({"snapshot_every": None, "sharpness_every": None})
    app = SgdApp(session, timings=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app.main.plots.has_class("-sharpness")
        await run_to_end(pilot)
        await pilot.press("L")
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        view = app.main.plots.landscape.view
        assert view is not None, app.main.plots.landscape.status
        start = get_objective("mlp_regression").build(dict(session.shared.options), None, 0)
        r0 = session.runs[0].slot.runner
        # the start is (0, 0): the slice there is the loss at the fresh build's weights
        i = view.a_values.index(0.0)
        assert view.loss[i][i] == pytest.approx(float(r0.problem.training_loss(start.params, None).detach()), rel=1e-5)
        assert [p[0] for p in view.paths[session.runs[0].spec.label]] == [0, 24]
        assert "snapshot_every" in app.main.plots.landscape.status


async def test_landscape_key_on_a_surface_says_why_not():
    s = Session(Shared("quadratic", {}, {"steps": 5, "log_every": 1}, 0, "cpu"))
    s.add(s.make_spec("sgd", {"lr": 0.1}, {}))
    app = SgdApp(s, timings=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "L")
        await pilot.pause()
        assert app.main.plots.landscape.view is None and not app.main.plots.has_class("-landscape")


async def test_new_keys_in_help_and_budget_form_draws_the_sharpness_keys():
    from sgd_tui.ui.screens.dialogs import HelpScreen

    app = SgdApp(net_session(), timings=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "question_mark")
        await pilot.pause()
        help_screen = app.screen_stack[-1]
        assert isinstance(help_screen, HelpScreen)
        keys = dict(help_screen.rows)
        assert "loss-landscape" in keys["L"] and "landscape" in keys["K"]
        await pilot.press("escape")
        await pilot.pause()
        for key in ("sharpness_every", "sharpness_subset", "snapshot_every"):
            assert app.main.query_one(f"#budget #f-{key}")


def test_sharpness_series_bounded_and_x_axes():
    from sgd_tui.core.run.records import SharpnessRecord

    s = SharpnessSeries(capacity=8)
    s.extend(SharpnessRecord(k, 10 * k, 0.5 * k, float(k), 2.0) for k in range(20))
    assert len(s) <= 8 and s.records[0].step == 0 and s.records[-1].step == 19
    xs, ys = s.xy("epoch", n_train=10)
    assert list(xs) == [r.samples / 10 for r in s.records] and list(ys) == [r.lambda_max for r in s.records]
    assert limit_formula("sgd", {"momentum": 0.9, "nesterov": True}) == "(2+2β)/((1+2β)α)"
    assert limit_formula("nesterov", {"momentum": 0.9}) == "(2+2β)/((1+2β)α)"
    assert limit_formula("adam", {}) == "(2+2β1)/((1−β1)α)"  # on the preconditioned sharpness P⁻¹H
    assert limit_formula("rmsprop", {}) == "2(1+μ)/α" and limit_formula("adadelta", {}) is None


def test_bilinear_hits_the_nodes_and_interpolates_between():
    a, b = [0.0, 1.0, 2.0], [0.0, 1.0]
    z = [[0.0, 1.0, 2.0], [10.0, 11.0, 12.0]]  # z = a + 10 b
    f = bilinear(a, b, z)
    xs, ys = [0.0, 0.5, 2.0], [1.0, 0.25]
    out = f(xs, ys)
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out, [[10.0, 10.5, 12.0], [2.5, 3.0, 4.5]])
