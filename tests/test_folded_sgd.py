"""The momentum fold (core.run.folded_sgd: the weight gradient goes straight into the momentum buffer, ∇W
is never written) changes no number: the same losses, gradient norms, weights and momentum buffer, bit for
bit, as the direct call of the fused kernel it replaces, as torch.optim's own step, and as the lecture's
nn.Module trained by torch.optim.SGD; over many steps, several seeds and batch sizes (with an epoch's
smaller last batch), a schedule and a mid-run change. Variants the fold does not compute (Nesterov, weight
decay, no momentum, a penalty, the public path) take the usual step; a fold that computes something else is
refused by its probe."""

from __future__ import annotations

import pytest
import torch
from fashion_data import block_network
from torch import nn
from torch.utils.data import DataLoader

from sgd_tui.core.objectives.data import prepare
from sgd_tui.core.objectives.lecture_model import NeuralNetwork
from sgd_tui.core.objectives.registry import validate_options
from sgd_tui.core.optim import fused_step
from sgd_tui.core.optim.registry import validate_hyperparameters
from sgd_tui.core.run import folded_sgd
from sgd_tui.core.run.engine import Runner
from sgd_tui.core.run.folded_sgd import FoldedMomentumStep, MomentumFold, fold_works
from sgd_tui.core.run.settings import BUDGET_DEFAULTS, RUN_DEFAULTS
from sgd_tui.core.run.spec import RunSpec

pytestmark = pytest.mark.usefixtures("one_torch_thread")

N_TRAIN = 512  # conftest's fashion_root
STEPS, LOG_EVERY = 80, 10


def runner(root, hyper: dict, batch: int = 16, seed: int = 3, model: str = "mlp_small", settings=None,
           changes=(), sampling: str = "shuffle", steps: int = STEPS, **options) -> Runner:
    opts, errors = validate_options("fashion_mnist", {"data_dir": str(root), "model": model,
                                                      "eval_every_epoch": False, **options})
    assert not errors, errors
    h, errors = validate_hyperparameters("sgd", hyper)
    assert not errors, errors
    run_settings = RUN_DEFAULTS | {"batch_size": batch, "sampling": sampling} | (settings or {})
    budget = BUDGET_DEFAULTS | {"steps": steps, "log_every": LOG_EVERY}
    return Runner(RunSpec(label="t", objective="fashion_mnist", objective_options=opts, optimizer="sgd",
                          hyper=h, settings=run_settings, budget=budget, seed=seed, device="cpu",
                          changes=list(changes)))


def three_ways(root, hyper, **kw) -> tuple[Runner, Runner, Runner]:
    """The same run with the fold (as the engine builds it), with the direct kernel call on every step, and
    with torch.optim's step on every step."""
    folded, direct, plain = runner(root, hyper, **kw), runner(root, hyper, **kw), runner(root, hyper, **kw)
    direct.fold = None
    plain.fold, plain._step = None, plain.optimizer.step
    return folded, direct, plain


def drive(r: Runner) -> list[tuple]:
    """Every record's (step, loss, ‖∇‖) and the weights after each chunk of 7 steps."""
    out = []
    while not r.done:
        out += [(rec.step, rec.loss, rec.grad_norm) for rec in r.advance(7).records]
        out.append(r.problem.flat.flat.detach().clone())
    return out


def momentum(r: Runner) -> torch.Tensor | None:
    state = list(r.optimizer.state.values())
    return state[0].get("momentum_buffer") if state else None


def assert_bit_for_bit(a: Runner, b: Runner, ta: list, tb: list) -> None:
    assert len(ta) == len(tb)
    for x, y in zip(ta, tb):
        assert torch.equal(x, y) if isinstance(x, torch.Tensor) else x == y
    assert torch.equal(a.problem.flat.flat, b.problem.flat.flat)
    ma, mb = momentum(a), momentum(b)
    assert (ma is None) == (mb is None)
    assert ma is None or torch.equal(ma, mb)


def unlogged_steps(steps: int, per_epoch: int) -> int:
    """Steps whose record nobody takes (the engine logs a dataset's batch ``pos % log_every == 0``)."""
    return sum(1 for s in range(steps) if (s % per_epoch) % LOG_EVERY != 0)


FOLDED = [  # hyper, settings, changes
    ({"lr": 0.05, "momentum": 0.5}, {}, ()),
    ({"lr": 0.02, "momentum": 0.9}, {}, ()),
    ({"lr": 0.05, "momentum": 0.5}, {"schedule": "cosine"}, ()),
    ({"lr": 0.05, "momentum": 0.5}, {}, [(25, {"lr": 0.01, "momentum": 0.9}), (50, {"momentum": 0.0}),
                                         (60, {"momentum": 0.5})]),
]
PROBED = [  # the fold where its probe finds it bit for bit, else the direct call
    ({"lr": 0.02, "momentum": 0.9, "dampening": 0.3}, {}, ()),
    ({"lr": 0.01, "momentum": 0.5, "maximize": True}, {}, ()),
]
NOT_FOLDED = [  # Nesterov and weight decay need g itself; without momentum there is no buffer to fold into
    ({"lr": 0.02, "momentum": 0.9, "nesterov": True}, {}, ()),
    ({"lr": 0.02, "momentum": 0.5, "weight_decay": 1e-3}, {}, ()),
    ({"lr": 0.05}, {}, ()),
]


def test_the_fold_passes_its_probe_here_at_the_benchs_batches():
    """On this machine (MKL) the fold is torch.optim's bits up to a batch of 192 at least (the bench's 16 and 64)."""
    for batch in (16, 64):
        assert fold_works((784, 512, 512, 10), batch, 0.5, 0.0, False, torch.device("cpu"))
    assert fold_works((784, 64, 10), 16, 0.9, 0.0, False, torch.device("cpu"))


@pytest.mark.parametrize("batch, seed", [(16, 3), (48, 11), (64, 5), (256, 7)])
@pytest.mark.parametrize("hyper, settings, changes", FOLDED + PROBED + NOT_FOLDED)
def test_the_fold_changes_no_number(fashion_root, batch, seed, hyper, settings, changes):
    folded, direct, plain = three_ways(fashion_root, hyper, batch=batch, seed=seed, settings=settings,
                                       changes=changes)
    assert isinstance(folded.fold, FoldedMomentumStep)
    tf, td, tp = drive(folded), drive(direct), drive(plain)
    assert folded.step == STEPS and folded.status == "finished"
    assert_bit_for_bit(folded, direct, tf, td)
    assert_bit_for_bit(folded, plain, tf, tp)
    assert not torch.equal(folded.problem.flat.flat, runner(fashion_root, hyper).problem.flat.flat)  # it moved
    per_epoch = -(-N_TRAIN // batch)  # 48: 10 batches of 48 and one of 32
    folds = folded.fold.folded_steps
    widths = (784, 64, 10)
    if (hyper, settings, changes) in NOT_FOLDED or not fold_works(widths, batch, 0.5, 0.0, False, folded.device):
        assert folds == 0  # (at 256 MKL sums the batch in blocks here: not bit for bit, refused)
    elif (hyper, settings, changes) in FOLDED and not changes:
        assert folds == unlogged_steps(STEPS, per_epoch)
    elif changes:  # no momentum on steps 51-60: the direct call
        assert folds == unlogged_steps(STEPS, per_epoch) - unlogged_steps(60, per_epoch) + unlogged_steps(50, per_epoch)
    assert folds + folded._step.direct_steps == STEPS - 1  # torch.optim took the first step only


def test_the_benchs_run_is_the_lecture_module_under_torch_optim_bit_for_bit(fashion_root, monkeypatch):
    """The bench's configuration (the lecture's MLP, batch 16 in file order, SGD lr 1e-3 momentum 0.5,
    across an epoch's end) with the fold against the lecture's NeuralNetwork, nn.CrossEntropyLoss and
    torch.optim.SGD(fused=True) over DataLoader batches: the same weights and momentum, bit for bit."""
    block_network(monkeypatch)
    steps = 40
    ours = runner(fashion_root, {"lr": 1e-3, "momentum": 0.5}, model="mlp", seed=0, sampling="sequential",
                  steps=steps)
    drive(ours)
    assert ours.fold.folded_steps == unlogged_steps(steps, N_TRAIN // 16) > 0

    from torchvision import datasets
    from torchvision.transforms import ToTensor

    prepare(fashion_root, download=False)
    train = datasets.FashionMNIST(root=str(fashion_root), train=True, download=False, transform=ToTensor())
    torch.manual_seed(0)
    model = NeuralNetwork()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.5, fused=True)
    taken = 0
    while taken < steps:
        for X, y in DataLoader(train, batch_size=16):
            loss_fn(model(X), y).backward()
            optimizer.step()
            optimizer.zero_grad()
            taken += 1
            if taken == steps:
                break
    theirs = list(model.parameters())
    for mine, other in zip(ours.problem.params, theirs):
        assert torch.equal(mine.detach(), other.detach())
    for buf, other in zip(ours.problem.flat.split(momentum(ours)), theirs):
        assert torch.equal(buf, optimizer.state[other]["momentum_buffer"])


def test_a_penalty_or_the_public_path_never_folds(fashion_root, monkeypatch):
    assert runner(fashion_root, {"lr": 0.05, "momentum": 0.5}, regularization="l2", reg_strength=1e-3).fold is None
    assert runner(fashion_root, {"lr": 0.05, "momentum": 0.5}, label_smoothing=0.1).fold is None  # autograd's path
    monkeypatch.setattr(fused_step, "_FAST", False)  # torch._fused_sgd_ refused: torch.optim, no fold
    assert runner(fashion_root, {"lr": 0.05, "momentum": 0.5}).fold is None


def test_logged_steps_have_the_whole_gradient(fashion_root):
    """A record's ‖∇‖ is of the step's gradient: the engine takes logged steps the usual way, so ∇θ is
    whole there (recomputed here by the hand-written step at the weights before the step)."""
    r = runner(fashion_root, {"lr": 0.05, "momentum": 0.5}, sampling="sequential", steps=25)
    r.advance(LOG_EVERY)  # up to the step before a logged one
    before = r.problem.flat.flat.detach().clone()
    (rec,) = r.advance(1).records
    assert rec.step == LOG_EVERY + 1
    check = runner(fashion_root, {"lr": 0.05, "momentum": 0.5}, sampling="sequential", steps=25)
    check.problem.flat.flat.detach().copy_(before)
    check.problem.loss_and_grad(torch.arange(LOG_EVERY * 16, (LOG_EVERY + 1) * 16))
    expected = float(check.problem.flat.grad.double().square().sum().sqrt())  # float64, over all of ∇θ
    assert rec.grad_norm == pytest.approx(expected, rel=1e-5)


def test_the_probe_refuses_a_fold_that_ignores_maximize(fashion_root, monkeypatch):
    """A seeded bug (the folded momentum adds +g under ``maximize``): the probe sees it, and the run takes
    the direct call with the right numbers."""
    monkeypatch.setattr(folded_sgd, "_WORKS", {})
    real_set = MomentumFold.set

    def wrong_set(self, group):
        real_set(self, group)
        self.alpha = abs(self.alpha)

    monkeypatch.setattr(MomentumFold, "set", wrong_set)
    hyper = {"lr": 0.01, "momentum": 0.5, "maximize": True}
    assert not fold_works((784, 64, 10), 16, 0.5, 0.0, True, torch.device("cpu"))
    assert fold_works((784, 64, 10), 16, 0.5, 0.0, False, torch.device("cpu"))  # unaffected without maximize
    folded, direct, _ = three_ways(fashion_root, hyper, steps=30)
    tf, td = drive(folded), drive(direct)
    assert folded.fold.folded_steps == 0
    assert_bit_for_bit(folded, direct, tf, td)


def test_the_probe_refuses_a_fold_that_rounds_differently(monkeypatch):
    """A seeded bug (β = μ rounded to bfloat16's 8 bits): not bit for bit, refused."""
    monkeypatch.setattr(folded_sgd, "_WORKS", {})
    real_set = MomentumFold.set

    def rounded_set(self, group):
        real_set(self, group)
        self.beta = float(torch.tensor(self.beta).bfloat16())

    monkeypatch.setattr(MomentumFold, "set", rounded_set)
    assert not fold_works((784, 64, 10), 16, 0.9, 0.0, False, torch.device("cpu"))
    assert fold_works((784, 64, 10), 16, 0.5, 0.0, False, torch.device("cpu"))  # 0.5 is exact in bfloat16
