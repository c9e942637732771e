"""Private functions of torch and plotext behind a probe (issue 25): ``torch._fused_sgd_`` (core.fused_step)
and plotext's ``_build_matrix`` (plotting.plotmatrix). Each module probes its private call at import and
falls back to a public path that gives the same numbers and the same picture; ``SGD_TUI_PUBLIC_ONLY=1``
forces the public paths. Here: the fallbacks are bit for bit the fast paths, the probes refuse a private
function that is missing or computes something else, and the paths are reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from sgd_tui.core.objectives.registry import validate_options
from sgd_tui.core.optim import fused_step
from sgd_tui.core.optim.fused_step import DirectSGDStep
from sgd_tui.core.optim.registry import validate_hyperparameters
from sgd_tui.core.run.engine import Runner
from sgd_tui.core.run.settings import BUDGET_DEFAULTS, RUN_DEFAULTS
from sgd_tui.core.run.spec import RunSpec

pytestmark = pytest.mark.usefixtures("one_torch_thread")

ROOT = Path(__file__).resolve().parent.parent
STEPS = 40


def fashion_runner(root, hyper: dict, steps: int = STEPS, changes=()) -> Runner:
    """A FashionMNIST SGD run on the synthetic set (mlp_small, batch 16, every step logged)."""
    opts, errors = validate_options("fashion_mnist", {"data_dir": str(root), "model": "mlp_small",
                                                      "eval_every_epoch": False})
    assert not errors, errors
    h, errors = validate_hyperparameters("sgd", hyper)
    assert not errors, errors
    settings = RUN_DEFAULTS | {"batch_size": 16, "sampling": "shuffle"}
    budget = BUDGET_DEFAULTS | {"steps": steps, "log_every": 1}
    return Runner(RunSpec(label="t", objective="fashion_mnist", objective_options=opts, optimizer="sgd", hyper=h, settings=settings, budget=budget, seed=3, device="cpu", changes=list(changes)))


def losses_and_weights(r: Runner) -> tuple[list[float], list[torch.Tensor]]:
    losses, weights = [], []
    while not r.done:
        losses += [rec.loss for rec in r.advance(3).records]
        weights.append(r.problem.flat.flat.detach().clone())
    return losses, weights


HYPERS = [
    {"lr": 0.005, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3, "maximize": True},
    {"lr": 0.02, "momentum": 0.5, "dampening": 0.2, "weight_decay": 1e-2},
    {"lr": 0.05, "momentum": 0.9, "nesterov": True, "maximize": False},
    {"lr": 0.01, "weight_decay": 1e-3, "maximize": True},  # no momentum buffer
]


# --------------------------------------------------------------------------------------- torch
def test_the_kernel_passes_its_probe_here_and_the_path_says_so():
    assert fused_step._kernel_works()
    assert fused_step.step_path() == "torch._fused_sgd_"


@pytest.mark.parametrize("hyper", HYPERS)
def test_the_public_fallback_gives_the_fast_paths_numbers_bit_for_bit(fashion_root, monkeypatch, hyper):
    fast = fashion_runner(fashion_root, hyper)
    assert isinstance(fast._step, DirectSGDStep)
    monkeypatch.setattr(fused_step, "_FAST", False)
    assert fused_step.step_path() == "torch.optim"
    public = fashion_runner(fashion_root, hyper)
    assert public._step == public.optimizer.step  # every step through torch.optim
    (fast_losses, fast_w), (public_losses, public_w) = losses_and_weights(fast), losses_and_weights(public)
    assert fast.step == STEPS and fast._step.direct_steps == STEPS - 1  # (gradient ascent did not blow up)
    assert fast_losses == public_losses and len(fast_losses) == STEPS
    assert all(torch.equal(a, b) for a, b in zip(fast_w, public_w))
    if hyper.get("momentum"):
        (a,), (b,) = fast.optimizer.state.values(), public.optimizer.state.values()
        assert torch.equal(a["momentum_buffer"], b["momentum_buffer"])


def test_a_mid_run_change_is_the_same_on_both_paths(fashion_root, monkeypatch):
    hyper = {"lr": 0.05, "momentum": 0.5, "maximize": False}
    changes = [(10, {"lr": 0.01, "momentum": 0.9})]
    fast = fashion_runner(fashion_root, hyper, changes=changes)
    monkeypatch.setattr(fused_step, "_FAST", False)
    public = fashion_runner(fashion_root, hyper, changes=changes)
    (fast_losses, fast_w), (public_losses, public_w) = losses_and_weights(fast), losses_and_weights(public)
    assert fast_losses == public_losses
    assert all(torch.equal(a, b) for a, b in zip(fast_w, public_w))
    assert fast.optimizer.param_groups[0]["momentum"] == public.optimizer.param_groups[0]["momentum"] == 0.9


def _wrapping(monkeypatch, wrapper):
    real = torch._fused_sgd_
    monkeypatch.setattr(torch, "_fused_sgd_", wrapper(real), raising=False)


def test_the_probe_refuses_a_kernel_whose_direct_call_ignores_maximize(monkeypatch):
    """torch.optim passes grad_scale and found_inf; a kernel that, called without them as DirectSGDStep calls
    it, ignored ``maximize`` (a changed default, say) would no longer give torch.optim's numbers."""
    def changed(real):
        def kernel(*args, **kw):
            return real(*args, **kw if "grad_scale" in kw else {**kw, "maximize": False})
        return kernel

    _wrapping(monkeypatch, changed)
    assert not fused_step._kernel_works()


def test_the_probe_refuses_a_kernel_with_other_arguments(monkeypatch):
    def renamed(real):
        def kernel(params, grads, buffers, *, weight_decay, momentum, learning_rate, dampening, nesterov, maximize,
                   is_first_step):
            return real(params, grads, buffers, weight_decay=weight_decay, momentum=momentum, lr=learning_rate,
                        dampening=dampening, nesterov=nesterov, maximize=maximize, is_first_step=is_first_step)
        return kernel

    _wrapping(monkeypatch, renamed)
    assert not fused_step._kernel_works()


def test_the_probe_refuses_a_kernel_whose_direct_call_drops_the_momentum(monkeypatch):
    def changed(real):
        def kernel(p, g, b, **kw):
            return real(p, g, b, **kw) if "grad_scale" in kw else real(p, g, [], **{**kw, "momentum": 0.0})
        return kernel

    _wrapping(monkeypatch, changed)
    assert not fused_step._kernel_works()


def test_the_probe_refuses_a_missing_kernel(monkeypatch):
    monkeypatch.delattr(torch, "_fused_sgd_")
    assert not fused_step._kernel_works()


def _in_fresh_python(code: str, public_only: bool) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SGD_TUI_PUBLIC_ONLY", None)
    if public_only:
        env["SGD_TUI_PUBLIC_ONLY"] = "1"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                          check=True).stdout.strip()


def test_the_environment_variable_forces_both_public_paths():
    code = ("from sgd_tui.core.optim.fused_step import step_path\n"
            "from sgd_tui.plotting.plotmatrix import matrix_path\n"
            "print(step_path(), matrix_path())")
    # the probes run at import, so the variable needs a new process; without it, the private paths are the ones
    # this process took (test_the_kernel_passes_its_probe_here..., test_a_replays_environment_names_both_paths)
    assert _in_fresh_python(code, public_only=True) == "torch.optim plotext.build"


# --------------------------------------------------------------------------------------- plotext
def test_plotexts_private_build_passes_its_probe_here():
    from sgd_tui.plotting import plotmatrix

    assert plotmatrix._private_build_works()
    assert plotmatrix.matrix_path() == "plotext._build_matrix"


def test_the_probe_refuses_a_private_build_that_no_longer_makes_builds_matrix(monkeypatch):
    """A plotext whose public build() does one more step between _build_matrix and the picture (here: it
    marks a cell) would no longer be drawn right by the private calls: the probe says so."""
    import plotext as plt

    from sgd_tui.plotting import plotmatrix

    figure_class = type(plt.active())
    real_build = figure_class.build

    def build(self):
        self._set_sizes()
        self._build_matrix()
        self.monitor.matrix.marker[0][0] = "?"
        self.monitor.matrix.set_canvas()
        return self.monitor.matrix.get_canvas()

    monkeypatch.setattr(figure_class, "build", build)
    assert not plotmatrix._private_build_works()
    monkeypatch.setattr(figure_class, "build", real_build)
    assert plotmatrix._private_build_works()


def test_the_probe_refuses_a_renamed_private_build(monkeypatch):
    import plotext as plt

    from sgd_tui.plotting import plotmatrix

    figure_class = type(plt.active())
    real = figure_class._build_matrix
    monkeypatch.setattr(figure_class, "_build_matrix_v6", real, raising=False)
    monkeypatch.delattr(figure_class, "_build_matrix")
    monkeypatch.setattr(figure_class, "build", lambda self: (self._set_sizes(), self._build_matrix_v6(),
                                                             self.monitor.matrix.set_canvas())[-1])
    assert not plotmatrix._private_build_works()


def _rendered(plot) -> list[list[tuple[str, str]]]:
    """What the widget draws: per line, its segments' text and style."""
    w, h = plot.size
    return [[(seg.text, str(seg.style)) for seg in line] for line in plot._build(w, h)]


async def test_the_public_build_draws_the_same_plots(monkeypatch):
    import math

    import numpy as np
    from textual.app import App

    from sgd_tui.core.objectives.surfaces import make_surface
    from sgd_tui.core.run.records import Record
    from sgd_tui.plotting import plotmatrix
    from sgd_tui.plotting.series import RunSeries
    from sgd_tui.ui.widgets.plots import LossPlot
    from sgd_tui.ui.widgets.runs_plot import PlotRun
    from sgd_tui.ui.widgets.trajectory_plot import TrajectoryPlot

    def series(losses, xy=None):
        s = RunSeries()
        s.extend(Record(k, 1, 10 * k, 0.1 * k, float(v), 0.1, 1.0, *(xy[k] if xy else (None, None)))
                 for k, v in enumerate(losses))
        return s

    surface = make_surface("rosenbrock")
    path = [(-1.5 + 0.02 * k, 2.0 - 0.015 * k) for k in range(100)]
    runs = [PlotRun("a", "sgd", "red", series([2.0 * math.exp(-k / 30) for k in range(100)], path)),
            PlotRun("b", "boom", (230, 159, 0), series([1.0, 10.0, 1e6, math.inf], [(0, 0), (2, 1), (1e300, -1e300),
                                                                                    (math.nan, 1.0)]))]

    class Two(App):
        def compose(self):
            yield LossPlot()
            yield TrajectoryPlot()

    app = Two()
    async with app.run_test(size=(90, 40)):
        loss, traj = app.query_one(LossPlot), app.query_one(TrajectoryPlot)
        loss.set_runs(runs)
        traj.set_surface(lambda xs, ys: surface.f(*np.meshgrid(xs, ys)), surface.bounds, surface.minima)
        traj.set_runs(runs)
        for plot in (loss, traj):
            plot.refresh_if_changed()
            assert plot.error is None, plot.error
        fast = [_rendered(p) for p in (loss, traj)]
        monkeypatch.setattr(plotmatrix, "_FAST", False)
        assert plotmatrix.matrix_path() == "plotext.build"
        public = [_rendered(p) for p in (loss, traj)]
    assert fast == public
    assert any("⠁" <= ch <= "⣿" for line in fast[0] for text, _ in line for ch in text)  # a curve was drawn
    assert len({style for line in fast[1] for _, style in line}) >= 4  # the heat map's colours


# --------------------------------------------------------------------------------------- reported
def test_a_replays_environment_names_both_paths(monkeypatch):
    from core_helpers import parse

    from sgd_tui.plotting import plotmatrix
    from sgd_tui.replay.summary import environment

    s = parse("""\
        schema = 1
        [objective]
        name = "rosenbrock"
        [budget]
        steps = 5
        [optimizer]
        name = "sgd"
        """)
    env = environment(s, torch.device("cpu"))
    assert (env["sgd_step"], env["plot_matrix"]) == ("torch._fused_sgd_", "plotext._build_matrix")
    monkeypatch.setattr(fused_step, "_FAST", False)
    monkeypatch.setattr(plotmatrix, "_FAST", False)
    env = environment(s, torch.device("cpu"))
    assert (env["sgd_step"], env["plot_matrix"]) == ("torch.optim", "plotext.build")
    json.dumps(env)  # summary.json holds it


def test_bench_prints_both_paths(tmp_path, monkeypatch):
    import io

    from sgd_tui import bench
    from sgd_tui.plotting import plotmatrix

    monkeypatch.setenv("SGD_TUI_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setattr(plotmatrix, "_FAST", False)
    out = io.StringIO()
    assert bench.main(["--quick", "--batch-sizes", "16", "--seconds", "0.02", "--rounds", "1"], out=out) == 0
    assert "paths: SGD step torch._fused_sgd_; plot matrix plotext.build\n" in out.getvalue()
