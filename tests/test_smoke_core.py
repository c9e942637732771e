"""A first end-to-end check of the engine: every optimizer runs on Rosenbrock without error."""

import math

import pytest
from core_helpers import run_to_end

from sgd_tui.core.objectives.registry import validate_options
from sgd_tui.core.optim.registry import OPTIMIZERS, validate_hyperparameters
from sgd_tui.core.run.spec import RUN_PARAMS, RunSpec


@pytest.mark.parametrize("name", [n for n in OPTIMIZERS if not OPTIMIZERS[n].needs_matrices])
def test_every_optimizer_runs_on_rosenbrock(name):
    hyper, errors = validate_hyperparameters(name, {"lr": 1e-3} if name not in ("newton", "adadelta") else {})
    assert not errors
    opts, _ = validate_options("rosenbrock", {})
    settings = {p.name: p.default for p in RUN_PARAMS}
    spec = RunSpec(label=name, objective="rosenbrock", objective_options=opts, optimizer=name, hyper=hyper, settings=settings, budget={"steps": 50}, seed=0, device="cpu")
    runner, result = run_to_end(spec)
    assert result.status == "finished"
    assert result.steps == 50
    assert math.isfinite(result.final_loss)
    assert result.final_loss < 12.5  # f(-1.5, 2) = 12.5: every optimizer goes downhill
