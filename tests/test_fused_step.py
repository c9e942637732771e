"""The engine's direct call of torch.optim.SGD's fused kernel (core.fused_step) is torch.optim's step, bit for
bit: the same weights, momentum buffer and losses after a run, with momentum, Nesterov, dampening, weight
decay, a schedule and a mid-run change; torch.optim still takes the first step and every step something
hooks into; other optimizers keep ``optimizer.step``."""

from __future__ import annotations

import pytest
import torch

from sgd_tui.core.objectives.registry import validate_options
from sgd_tui.core.optim.fused_step import DirectSGDStep, step_function
from sgd_tui.core.optim.registry import validate_hyperparameters
from sgd_tui.core.run.engine import Runner
from sgd_tui.core.run.settings import BUDGET_DEFAULTS, RUN_DEFAULTS
from sgd_tui.core.run.spec import RunSpec

pytestmark = pytest.mark.usefixtures("one_torch_thread")

STEPS = 60


def runner(root, optimizer: str, hyper: dict, settings=None, changes=(), **options) -> Runner:
    opts, errors = validate_options("fashion_mnist", {"data_dir": str(root), "model": "mlp_small",
                                                      "eval_every_epoch": False, **options})
    assert not errors, errors
    h, errors = validate_hyperparameters(optimizer, hyper)
    assert not errors, errors
    run_settings = RUN_DEFAULTS | {"batch_size": 16, "sampling": "shuffle"} | (settings or {})
    budget = BUDGET_DEFAULTS | {"steps": STEPS, "log_every": 5}
    return Runner(RunSpec(label="t", objective="fashion_mnist", objective_options=opts, optimizer=optimizer, hyper=h, settings=run_settings, budget=budget, seed=3, device="cpu", changes=list(changes)))


def run(r: Runner) -> list[float]:
    losses = []
    while not r.done:
        losses += [rec.loss for rec in r.advance(7).records]
    return losses


CASES = [
    ({"lr": 0.05, "momentum": 0.5}, {}, ()),
    ({"lr": 0.05}, {}, ()),  # no momentum buffer
    ({"lr": 0.02, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}, {}, ()),
    ({"lr": 0.02, "momentum": 0.9, "dampening": 0.3, "maximize": False}, {"schedule": "step", "step_size": 10,
                                                                          "gamma": 0.5}, ()),
    ({"lr": 0.05, "momentum": 0.5}, {}, [(20, {"lr": 0.01, "momentum": 0.9})]),
]


@pytest.mark.parametrize("hyper, settings, changes", CASES)
def test_direct_fused_sgd_is_torch_optims_step_bit_for_bit(fashion_root, hyper, settings, changes):
    direct = runner(fashion_root, "sgd", hyper, settings, changes)
    plain = runner(fashion_root, "sgd", hyper, settings, changes)
    assert isinstance(direct._step, DirectSGDStep)
    direct.fold = plain.fold = None  # the direct call on every step (the fold: tests/test_folded_sgd.py)
    plain._step = plain.optimizer.step  # torch.optim every step
    assert run(direct) == run(plain)
    assert direct._step.direct_steps == STEPS - 1  # only the first step went through torch.optim
    assert torch.equal(direct.problem.flat.flat, plain.problem.flat.flat)
    assert not torch.equal(direct.problem.flat.flat, runner(fashion_root, "sgd", hyper).problem.flat.flat)  # moved
    if hyper.get("momentum"):
        (a,), (b,) = direct.optimizer.state.values(), plain.optimizer.state.values()
        assert torch.equal(a["momentum_buffer"], b["momentum_buffer"])
    assert direct.lr == plain.lr


def test_hooks_send_every_step_through_torch_optim(fashion_root):
    r = runner(fashion_root, "sgd", {"lr": 0.05, "momentum": 0.5})
    seen = []
    r.optimizer.register_step_post_hook(lambda opt, args, kwargs: seen.append(1))
    r.advance(5)
    assert len(seen) == 5 and r._step.direct_steps == 0


def test_other_optimizers_and_points_keep_torch_optims_step(fashion_root):
    adam = runner(fashion_root, "adam", {"lr": 1e-3})
    assert adam._step == adam.optimizer.step
    point = torch.zeros(2, requires_grad=True)  # a 2-D problem's single point: torch's plain loop
    assert step_function(torch.optim.SGD([point], lr=0.1)) is not None
    assert not DirectSGDStep.applies(torch.optim.SGD([point], lr=0.1))
    assert not DirectSGDStep.applies(torch.optim.SGD([point, torch.zeros(3, requires_grad=True)], lr=0.1, fused=True))
    assert DirectSGDStep.applies(torch.optim.SGD([torch.zeros(100, requires_grad=True)], lr=0.1, fused=True))
