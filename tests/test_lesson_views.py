"""Lessons that their own view used to hide (issue 20): the loss axis ends at the budget, a log floor keeps
a run at 1e-75 from squashing the others, the seed bands show batch noise, labels follow changes."""

from __future__ import annotations

import math

import pytest
from textual.app import App

from sgd_tui.core.run.records import Record
from sgd_tui.core.run.spec import RunSpec
from sgd_tui.plotting.budget import budget_ends, ticks_to_end
from sgd_tui.plotting.scales import linear_ticks
from sgd_tui.plotting.series import RunSeries
from sgd_tui.ui.widgets.plots import LossPlot
from sgd_tui.ui.widgets.runs_plot import PlotRun


class PlotApp(App):
    def __init__(self, widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self):
        yield self.widget


def spec(objective="quadratic", budget=None, batch=None, sampling=None, options=None, optimizer="sgd"):
    settings = {k: v for k, v in (("batch_size", batch), ("sampling", sampling)) if v is not None}
    return RunSpec(label="r", objective=objective, objective_options=options or {}, optimizer=optimizer,
                   hyper={"lr": 0.01}, settings=settings, budget=budget or {"steps": 600})


def test_budget_ends_on_every_axis():
    assert budget_ends(spec(budget={"steps": 600})) == {"step": 600.0, "samples": 600.0}
    # 1,024 examples at batch 16 (64 batches an epoch), 1500 steps: 1500 * 16 samples either way
    reg = {"n_samples": 1024}
    e = budget_ends(spec("linear_regression", {"steps": 1500}, batch=16, options=reg))
    assert e == {"step": 1500.0, "samples": 24000.0, "epoch": 24000 / 1024}
    e = budget_ends(spec("linear_regression", {"steps": 1500}, batch="full", options=reg))
    assert e["samples"] == 1500 * 1024 and e["epoch"] == 1500
    # 1000 examples at batch 64: 16 batches an epoch, the last of 40 examples (shuffle) or 64 (replacement)
    opts = {"n_samples": 1000}
    e = budget_ends(spec("linear_regression", {"epochs": 3}, batch=64, sampling="shuffle", options=opts))
    assert e == {"step": 48.0, "samples": 3000.0, "epoch": 3.0}
    e = budget_ends(spec("linear_regression", {"epochs": 3}, batch=64, sampling="replacement", options=opts))
    assert e == {"step": 48.0, "samples": 3 * 16 * 64.0, "epoch": 3 * 16 * 64 / 1000}
    e = budget_ends(spec("linear_regression", {"steps": 20}, batch=64, sampling="shuffle", options=opts))
    assert e["samples"] == 1000 + 4 * 64  # one epoch (16 steps), then 4 full batches
    assert budget_ends(spec("no_such_objective")) == {}


@pytest.mark.parametrize("budget", [600, 1500, 6000, 700, 37])
def test_ticks_end_at_the_budget(budget):
    for n in (2, 3, 5, 8):
        plain = linear_ticks(0, budget, n)
        ticks = ticks_to_end(plain, 0, budget)
        assert ticks[0] == 0 and ticks[-1] == budget  # the end is labelled
        step = plain[1] - plain[0]
        assert all(b - a >= 0.5 * step - 1e-9 for a, b in zip(ticks, ticks[1:]))  # never crowded


def run_of(losses, steps=None, label="r", ends=None) -> PlotRun:
    s = RunSeries()
    s.extend(Record(k, 1, k, 0.01 * k, float(v), 0.1, 1.0) for k, v in enumerate(losses))
    return PlotRun(label, label, "#56b4e9", s, ends=ends)


def x_axis_row(plot) -> str:
    lines = plot.text_lines()
    return next(line for line in reversed(lines) if any(ch.isdigit() for ch in line) and "┴" not in line)


@pytest.mark.parametrize("budget,label", [(600, "600"), (1500, "1.5k"), (6000, "6k")])
async def test_loss_axis_ends_at_the_budget_not_the_next_nice_value(budget, label):
    plot = LossPlot(log_y=True)
    async with PlotApp(plot).run_test(size=(80, 24)):
        for done in (budget // 7, budget):  # running and finished
            plot.set_runs([run_of([2.0 * math.exp(-k / budget) for k in range(done + 1)],
                                  ends={"step": float(budget), "samples": float(budget)})])
            plot.refresh_if_changed()
            assert plot.error is None, plot.error
            assert plot.x_shown == (0.0, float(budget))
            row = x_axis_row(plot)
            assert row.rstrip().endswith(label), row
            nice = {600: "1k", 1500: "2k", 6000: "10k"}[budget]
            assert nice not in row.split()


async def test_time_axis_without_budget_end_keeps_nice_limits():
    plot = LossPlot(x_key="time")
    async with PlotApp(plot).run_test(size=(80, 24)):
        plot.set_runs([run_of([1.0] * 61, ends={"step": 600.0})])
        plot.refresh_if_changed()
        assert plot.x_shown == (0.0, 1.0)  # 0.6 s rounded up: no budget in seconds


async def test_log_floor_keeps_a_deep_run_from_squashing_the_others():
    deep = [1e3 * 10.0 ** (-k / 8) for k in range(601)]  # down to 1e-72
    wavy = [10.0 ** (2 + 2 * math.sin(k / 30)) for k in range(601)]  # 1 .. 1e4
    plot = LossPlot(log_y=True)
    async with PlotApp(plot).run_test(size=(80, 24)):
        plot.set_runs([run_of(deep, label="deep"), run_of(wavy, label="wavy")])
        plot.refresh_if_changed()
        assert plot.y_axis_span()[0] < -60  # without a floor: 78 decades, the wavy run in a few rows
        plot.y_floor = 1e-8
        plot.refresh_if_changed()
        assert plot.error is None, plot.error
        lo, hi = plot.y_axis_span()
        assert lo == -8 and hi == 4
        assert plot.floored and "▼ < 1e-8" in plot.legend()[-1][0]
        assert any(LossPlot.FLOOR_MARK in line for line in plot.text_lines())
        plot.log_y = False  # a linear axis has no floor
        plot.refresh_if_changed()
        assert not plot.floored


def marker_rows(text: str, marker: str) -> set[int]:
    """Rows (from the top) of the plot frame where ``marker`` is drawn in the right half of the canvas."""
    lines = [line for line in text.splitlines() if "│" in line or "┤" in line]
    rows = set()
    for r, line in enumerate(lines):
        inner = line.split("│" if "│" in line[:8] else "┤", 1)[-1]
        if marker in inner[len(inner) // 2:]:
            rows.add(r)
    return rows


def test_band_plot_puts_the_three_batch_sizes_on_different_rows():
    from sgd_tui.plotting.sweepplot import band_plot

    f_star = 0.2470913834
    xs = list(range(0, 1501, 10))
    tail = {"batch 1": (0.2542, 0.2497, 0.2733), "batch 16": (0.24769, 0.24738, 0.24801),
            "full": (f_star, f_star, f_star)}

    def curve(end):  # full batch: its gap decays to 3e-10 (measured: to rounding, 1e-16), the others jitter
        return [end + 37.0 * math.exp(-k / 15) + (1e-3 * math.exp(-k / 100) if end == f_star else 0) for k in xs]

    bands = [(name, xs, curve(m), curve(lo), curve(hi)) for name, (m, lo, hi) in tail.items()]
    plain = band_plot(bands, title="t", xlabel="step", width=80, height=24)
    assert len(set.union(*[marker_rows(plain, m) for m in "xo+"])) <= 2  # before: all on one or two rows
    text = band_plot(bands, title="t", xlabel="step", width=80, height=24,
                     minima={name: f_star for name in tail}, floor=1e-6)
    rows = [marker_rows(text, m) for m in "xo+"]
    assert all(rows) and not (rows[0] & rows[1]) and not (rows[1] & rows[2]) and not (rows[0] & rows[2]), rows
    assert min(rows[0]) < min(rows[1]) < min(rows[2])  # batch 1 noisiest, full batch at the floor
    assert "(< 1e-6: on the floor)" in text and "− f*" in text


def test_batch_noise_view_draws_the_gap_against_steps():
    import numpy as np

    from sgd_tui.core.objectives.registry import get_objective
    from sgd_tui.core.scenario.parse import load_scenario
    from sgd_tui.plotting.sweepplot import band_view

    s = load_scenario("batch-noise")
    x, minima, log, floor = band_view(s.view, s.sweep, True)
    assert x == "step" and log is None and floor == 1e-6
    assert len(minima) == 3 and len({round(v, 12) for v in minima.values()}) == 1
    # f* against the risk at the least-squares solution of y = w x + b, solved here by numpy in float64
    spec = s.sweep.trials[0].spec
    p = get_objective(spec.objective).build(spec.objective_options, None, spec.seed)
    xs, ys = p.x.double().numpy(), p.y.double().numpy()
    (w, b), *_ = np.linalg.lstsq(np.c_[xs, np.ones_like(xs)], ys, rcond=None)
    assert abs(next(iter(minima.values())) - p.value(float(w), float(b))) < 1e-9


def test_headless_edge_of_stability_writes_the_sharpness_plot_and_says_lambda_max_against_its_limit(tmp_path):
    import io

    from sgd_tui.core.scenario.parse import load_scenario, with_overrides
    from sgd_tui.replay.run import replay

    s = with_overrides(load_scenario("edge-of-stability"), steps=120)
    out = io.StringIO()
    assert replay(s, tmp_path, progress=out) == 0
    text = (tmp_path / "sharpness.txt").read_text()
    assert "2/α 20" in text and "2/α 10" in text and "last λmax" in text
    lines = [line for line in out.getvalue().splitlines() if "finished after" in line]
    assert len(lines) == 3 and all("λmax" in line and "× 2/α" in line for line in lines)
    assert "training points" in (tmp_path / "fit.txt").read_text()
    loss = (tmp_path / "loss.txt").read_text()
    assert loss.splitlines()[0].strip().startswith("Edge of stability")  # the title, above the plot
    assert loss.rstrip().split("\n")[-5].rstrip().endswith("7.68k")  # the x axis ends at the budget: 120 × 64


def test_headless_gd_vs_newton_draws_the_gap_on_a_log_axis_with_its_title(tmp_path):
    from sgd_tui.core.scenario.parse import load_scenario
    from sgd_tui.replay.run import replay

    s = load_scenario("gd-vs-newton")
    assert replay(s, tmp_path, progress=None) == 0
    loss = (tmp_path / "loss.txt").read_text()
    assert loss.splitlines()[0].startswith("GD vs Newton")
    assert "f − f* (log scale" in loss and "1e-20" in loss  # Newton's drop takes decades


def test_the_printed_summary_adds_the_test_accuracy():
    from sgd_tui.core.run.records import EvalRecord
    from sgd_tui.replay.plots import run_extras

    assert run_extras([EvalRecord(1, 60000, 0.45, 0.8412)], None) == "test accuracy 84.12%, test loss 0.45"
    assert run_extras(None, None) == ""


async def test_the_sharpness_and_test_plots_end_at_the_budget_too():
    from sgd_tui.core.run.records import EvalRecord, SharpnessRecord
    from sgd_tui.plotting.netseries import SharpnessSeries
    from sgd_tui.ui.widgets.netplots import SharpnessPlot, SharpRun
    from sgd_tui.ui.widgets.plots import EvalPlot

    sharp = SharpnessSeries()
    sharp.extend([SharpnessRecord(k, 64 * k, 0.0, 4.0 + k / 1000, 20.0) for k in range(0, 3001, 50)])
    plot = SharpnessPlot()
    async with PlotApp(plot).run_test(size=(80, 24)):
        plot.set_runs([SharpRun("a", "a", "#56b4e9", sharp, ends={"step": 6000.0, "samples": 384000.0})])
        plot.refresh_if_changed()
        assert plot.error is None, plot.error
        assert x_axis_row(plot).rstrip().endswith("6k") and "10k" not in x_axis_row(plot)
    s = RunSeries(n_train=1000)
    s.extend_evals([EvalRecord(e, 1000 * e, 0.5, 0.8) for e in (1, 2)])
    evals = EvalPlot()
    async with PlotApp(evals).run_test(size=(80, 24)):
        evals.set_runs([PlotRun("a", "a", "#56b4e9", s, ends={"epoch": 3.0})])
        evals.refresh_if_changed()
        assert evals.error is None, evals.error
        assert x_axis_row(evals).rstrip().endswith("3") and " 5" not in x_axis_row(evals)


def test_loss_txt_spans_the_runs_that_did_not_diverge():
    from sgd_tui.plotting.textplot import loss_plot

    steps = list(range(601))
    wavy = [10.0 ** (2 + 2 * math.sin(k / 30)) for k in steps]
    blown = [10.0 ** min(k, 12) for k in range(16)]
    text = loss_plot([("wavy", steps, wavy), ("blown", list(range(16)), blown)], title="t", xlabel="step",
                     diverged=["blown"], x_end=600)
    assert "blown (diverged: clipped to the axis)" in text
    assert "1e12" not in text and "10G" not in text  # the axis spans the calm run: 1 .. 1e4
