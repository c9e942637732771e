"""mlp_regression's fit (issue 20): the network's curve against its training points, live in the app
(in place of the empty test-metrics plot) and as fit.txt in a headless replay."""

from __future__ import annotations

import numpy as np
from textual.app import App

from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.run.fit import network_fit
from sgd_tui.core.run.progress import RunProgress
from sgd_tui.plotting.series import RunSeries
from sgd_tui.plotting.textplot import fit_plot
from sgd_tui.ui.jobs.worker import RunUpdate
from sgd_tui.ui.session import Session, Shared
from sgd_tui.ui.widgets.fitplot import FitPlot
from sgd_tui.ui.widgets.runs_plot import PlotRun

OPTIONS = {"n_samples": 32, "target": "chebyshev", "degree": 3, "frequency": 1.0, "noise": 0.0, "hidden": 8,
           "activation": "tanh", "init_scale": 1.0, "regularization": "none", "reg_strength": 0.0}


def test_the_fit_is_the_network_forward_at_the_current_weights():
    p = get_objective("mlp_regression").build(OPTIONS, None, 0)
    fit = network_fit(p, points=21)
    w1, b1, w2, b2 = (t.detach().double().numpy() for t in p.params)
    xs = np.linspace(-1, 1, 21)
    want = (np.tanh(xs[:, None] @ w1.T + b1) @ w2.T + b2).ravel()  # W2 tanh(W1 x + b1) + b2, by hand
    assert np.allclose(fit.xs, xs) and np.allclose(fit.ys, want, rtol=1e-12, atol=1e-12)
    t = np.linspace(-1, 1, 32)
    assert np.allclose(fit.data_x, t) and np.allclose(fit.data_y, 4 * t**3 - 3 * t)  # T_3
    assert network_fit(get_objective("quadratic").build({}, None, 0)) is None


def test_a_run_entry_keeps_the_fit_the_driver_sent():
    s = Session(Shared("mlp_regression", dict(OPTIONS), {"steps": 10}, 0, "cpu"))
    r = s.add(s.make_spec("gd", {"lr": 0.1}, {}))
    fit = network_fit(get_objective("mlp_regression").build(OPTIONS, None, 0))
    s.apply([RunUpdate(r.slot, [], [], RunProgress("running", step=1), fit=fit)])
    assert r.fit is fit
    s.apply([RunUpdate(r.slot, [], [], RunProgress("running", step=2))])  # no new fit: the last one stays
    assert r.fit is fit
    r.reset()
    assert r.fit is None


class PlotApp(App):
    def __init__(self, widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self):
        yield self.widget


async def test_the_fit_plot_draws_the_points_and_each_runs_curve():
    p = get_objective("mlp_regression").build(OPTIONS, None, 0)
    fit = network_fit(p)
    plot = FitPlot()
    async with PlotApp(plot).run_test(size=(60, 20)):
        plot.set_runs([PlotRun("a", "gd", "#56b4e9", RunSeries())])
        plot.refresh_if_changed()
        assert "shows once a run starts" in plot.legend()[-1][0]
        plot.set_fits({"a": fit})
        assert plot.refresh_if_changed() and plot.error is None, plot.error
        text = "\n".join(plot.text_lines())
        assert FitPlot.DATA_MARK in text and any(ch in text for ch in "⠁⠂⠄⡀⢀⠈⠐⠠")  # points and a braille curve
        assert "training points" in plot.legend()[-1][0]
        blown = fit._replace(ys=[1e30] * len(fit.ys))  # a diverged network: clipped, the points stay legible
        plot.set_fits({"a": blown})
        plot.refresh_if_changed()
        assert plot.error is None and FitPlot.DATA_MARK in "\n".join(plot.text_lines())


def test_fit_txt_draws_the_points_and_marks_a_clipped_curve():
    xs = np.linspace(-1, 1, 20)
    text = fit_plot((xs, xs**2), [("good", xs, xs**2), ("wild", xs, 1e6 * xs)], title="fit", width=70, height=20)
    assert "·  training points" in text and "good: the network's f(x)" in text
    assert "wild: the network's f(x) (clipped to the axis)" in text
