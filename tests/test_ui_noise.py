"""The app's noise-scale plot (budget noise_every): B_simple per run under the loss with the selected run's
batch size, the measurements the engine took (Textual Pilot, a tiny budget, every run finished first)."""

import math

import torch  # noqa: F401  - imported once up front, as the app's workers would, so presses stay fast

from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.session import Session, Shared
from sgd_tui.ui.widgets.noiseplot import NoisePlot

SIZE = (120, 40)


def noise_session(objective="mlp_regression", options=None, budget=None) -> Session:
    budget = {"steps": 20, "log_every": 1, "noise_every": 5, "noise_subset": 16, **(budget or {})}
    s = Session(Shared(objective, dict(options or {"hidden": 8, "n_samples": 24}), budget, 0, "cpu"))
    s.add(s.make_spec("sgd", {"lr": 0.1}, {"batch_size": 4}))
    s.add(s.make_spec("sgd", {"lr": 0.1}, {"batch_size": 12}))
    return s


async def test_noise_series_reaches_the_plot_under_the_loss():
    app = SgdApp(noise_session(), timings=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        plots = app.main.plots
        plot = plots.query_one(NoisePlot)
        assert plots.has_class("-noise") and plot.display
        await pilot.press("escape", "f", "space")
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        for r in app.main.session.runs:
            assert r.progress.step == 20
            assert [m.step for m in r.noise.records] == [0, 5, 10, 15, 20]
            assert all(math.isfinite(m.trace_sigma) and m.trace_sigma > 0 for m in r.noise.records)
        assert plot.error is None and plot.canvas[0] > 10
        b, _, run = plot.batch_line()
        assert b == 4 and run.run_id == app.main.session.runs[0].run_id
        assert any("batch B = 4" in line for line in plot.text_lines()[:3])  # the legend line(s) on top
        # under the loss: same column, below it
        assert plot.region.x == plots.loss.region.x and plot.region.y > plots.loss.region.y


async def test_no_noise_plot_without_noise_every():
    app = SgdApp(noise_session(budget={"noise_every": None}), timings=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app.main.plots.has_class("-noise")
        assert not app.main.plots.query_one(NoisePlot).display
