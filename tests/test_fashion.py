"""The FashionMNIST objective: the fast path computes what the lecture's training script computes
(same initialisation, same batches in file order, same losses, same test_loop numbers), it learns, it is
deterministic, and devices that are not there are a clear error. Synthetic data in the real format."""

from __future__ import annotations

import math

import pytest
import torch
from core_helpers import make_spec, run_to_end
from fashion_data import block_network, run_cli
from torch import nn
from torch.utils.data import DataLoader

from sgd_tui.core.errors import SetupError
from sgd_tui.core.objectives import fashion
from sgd_tui.core.objectives.data import prepare
from sgd_tui.core.objectives.lecture_model import NeuralNetwork
from sgd_tui.core.optim.registry import OPTIMIZERS
from sgd_tui.core.run import devices
from sgd_tui.core.run.engine import Runner

N_TRAIN, N_TEST = 512, 256  # the sizes of conftest's fashion_root


@pytest.fixture(scope="module")
def root(fashion_root):
    """conftest's synthetic data set, shared with the other FashionMNIST tests."""
    return fashion_root


def spec(root, optimizer="sgd", steps=None, epochs=None, model="mlp", log_every=5, seed=0, options=None, **kw):
    s = make_spec("fashion_mnist", optimizer, steps=steps or 1, seed=seed, log_every=log_every,
                  objective_options={"data_dir": str(root), "model": model, **(options or {})}, **kw)
    if epochs is not None:
        s.budget["steps"], s.budget["epochs"] = None, epochs
    return s


def run(s):
    records, evals = [], []
    runner, result = run_to_end(s, on_chunk=lambda r, rec, ev: (records.extend(rec), evals.extend(ev)))
    return runner, result, records, evals


def lecture_datasets(root):
    from torchvision import datasets
    from torchvision.transforms import ToTensor

    prepare(root, download=False)
    train = datasets.FashionMNIST(root=str(root), train=True, download=True, transform=ToTensor())
    test = datasets.FashionMNIST(root=str(root), train=False, download=True, transform=ToTensor())
    return train, test


# ----------------------------------------------------------------------------- the lecture's numbers
def test_initialisation_is_nn_linear_under_the_seed_and_leaves_the_global_rng_alone():
    before = torch.get_rng_state()
    ours = fashion.init_params(fashion.MODELS["mlp"], seed=7)
    assert torch.equal(torch.get_rng_state(), before)
    torch.manual_seed(7)
    theirs = list(NeuralNetwork().parameters())
    assert [tuple(p.shape) for p in ours] == [tuple(p.shape) for p in theirs]
    assert all(torch.equal(a, b) for a, b in zip(ours, theirs))
    assert not torch.equal(fashion.init_params(fashion.MODELS["mlp"], seed=8)[0], ours[0])


def test_file_order_steps_are_the_lecture_dataloader_loop(root, monkeypatch):
    """40 steps of batch 16 (across an epoch boundary) in file order: the same logged losses and the same
    parameters as the lecture's train_loop, to float32 rounding."""
    block_network(monkeypatch)
    steps, bs, log_every = 40, 16, 5
    runner, _, records, _ = run(spec(root, steps=steps, lr=1e-3, momentum=0.5, batch_size=bs,
                                     sampling="sequential", log_every=log_every))

    train, _ = lecture_datasets(root)
    torch.manual_seed(0)
    model = NeuralNetwork()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.5)
    logged, seen, taken = [], 0, 0
    while taken < steps:  # the lecture's train_loop, epoch after epoch
        for batch, (X, y) in enumerate(DataLoader(train, batch_size=bs)):
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            taken += 1
            seen += len(X)
            if batch % log_every == 0:
                logged.append((seen, loss.item()))
            if taken == steps:
                break

    assert [r.samples for r in records] == [s for s, _ in logged]
    assert [r.loss for r in records] == pytest.approx([v for _, v in logged], rel=1e-6, abs=1e-7)
    for ours, theirs in zip(runner.problem.params, model.parameters()):
        torch.testing.assert_close(ours.detach(), theirs.detach(), rtol=1e-6, atol=1e-7)


def test_evaluation_is_the_lecture_test_loop(root):
    runner = Runner(spec(root, steps=10, lr=0.05, batch_size=32))
    runner.advance(10)
    p = runner.problem
    _, test = lecture_datasets(root)
    model = NeuralNetwork()
    with torch.no_grad():
        for mine, theirs in zip(p.params, model.parameters()):
            theirs.copy_(mine)
    loader = DataLoader(test, batch_size=16)
    model.eval()
    loss_fn = nn.CrossEntropyLoss()
    test_loss, correct = 0.0, 0.0
    with torch.no_grad():  # the lecture's test_loop
        for X, y in loader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= len(loader)
    correct /= len(loader.dataset)
    loss, accuracy = p.evaluate()
    assert loss == pytest.approx(test_loss, rel=1e-5)
    assert accuracy == correct and 0.0 <= accuracy <= 1.0


# ----------------------------------------------------------------------------- learning
def test_training_lowers_the_loss_and_lifts_test_accuracy_well_above_chance(root):
    _, result, records, evals = run(spec(root, epochs=3, model="mlp_small", lr=0.05, momentum=0.9,
                                         batch_size=32, log_every=4))
    assert result.status == "finished" and result.samples == 3 * N_TRAIN
    assert [e.epoch for e in evals] == [1, 2, 3] and [e.samples for e in evals] == [512, 1024, 1536]
    first, last = records[0].loss, sum(r.loss for r in records[-4:]) / 4
    assert first > 2.0 and last < 0.5 * first
    assert evals[-1].test_accuracy > 0.6  # chance is 0.1
    assert evals[-1].test_loss < evals[0].test_loss


def test_same_seed_same_numbers_other_seed_other_numbers(root):
    def numbers(seed):
        _, _, records, evals = run(spec(root, epochs=2, model="mlp", lr=0.01, batch_size=64, seed=seed,
                                        log_every=2, sampling="shuffle"))
        return [(r.step, r.samples, r.loss, r.grad_norm) for r in records], evals

    a, b, c = numbers(0), numbers(0), numbers(1)
    assert a == b
    assert a[0] != c[0] and a[1] != c[1]


def test_runs_of_one_scenario_start_identical(root):
    first = Runner(spec(root, steps=1, lr=0.1))
    second = Runner(spec(root, steps=1, lr=0.5, optimizer="adam"))
    assert all(torch.equal(a, b) for a, b in zip(first.problem.params, second.problem.params))


# ----------------------------------------------------------------------------- options
def test_big_batches_are_accumulated_in_chunks_with_the_same_gradient(root, monkeypatch):
    options = {"class_weights": [1.0 + i / 10 for i in range(10)], "label_smoothing": 0.1,
               "regularization": "l2", "reg_strength": 1e-3}
    p = Runner(spec(root, steps=1, model="mlp_small", options=options, batch_size="full", optimizer="gd")).problem
    whole = p.loss_and_grad(None)
    grads = [g.grad.clone() for g in p.params]
    ev = p.evaluate()
    monkeypatch.setattr(fashion, "CHUNK", 100)  # 512 -> chunks of 100, 100, 100, 100, 100, 12
    chunked = p.loss_and_grad(None)
    assert float(chunked) == pytest.approx(float(whole), rel=1e-5)
    for a, b in zip(grads, p.params):
        torch.testing.assert_close(b.grad, a, rtol=1e-4, atol=1e-7)
    assert p.evaluate() == pytest.approx(ev, rel=1e-5)


@pytest.mark.parametrize("loss", ["nll", "kl_div", "mse"])
def test_other_losses(root, loss):
    p = Runner(spec(root, steps=1, model="logistic", options={"loss": loss})).problem
    value = float(p.loss_and_grad(torch.arange(64)))
    with torch.no_grad():
        logits = p.logits(p.x[:64])
    if loss == "nll":  # nll on log-softmax outputs is cross-entropy
        assert value == pytest.approx(float(nn.functional.cross_entropy(logits, p.y[:64])), rel=1e-6)
    assert math.isfinite(value) and all(q.grad is not None for q in p.params)


def test_subsets_use_the_first_images(root):
    p = Runner(spec(root, steps=1, options={"train_subset": 100, "test_subset": 50})).problem
    assert (p.n_train, p.n_test) == (100, 50)
    assert p.x.data_ptr() == Runner(spec(root, steps=1)).problem.x.data_ptr()  # one copy, shared


@pytest.mark.parametrize("name", [n for n in OPTIMIZERS if not OPTIMIZERS[n].needs_hessian
                                  and not OPTIMIZERS[n].needs_matrices])
def test_every_network_optimizer_trains(root, name):
    batch = "full" if OPTIMIZERS[name].full_batch else 64
    lr = {"gd": 0.1, "adadelta": 1.0, "sgd": 0.1, "polyak": 0.03, "nesterov": 0.03}.get(name, 0.003)
    _, result, records, _ = run(spec(root, steps=12, optimizer=name, model="logistic", lr=lr,
                                     batch_size=batch, log_every=1, sampling="shuffle"))
    assert result.status == "finished"
    assert all(math.isfinite(r.loss) for r in records)
    assert min(r.loss for r in records[-3:]) < records[0].loss


def test_newton_on_a_network_is_a_setup_error(root):
    with pytest.raises(SetupError):
        Runner(spec(root, steps=1, optimizer="newton", model="logistic", batch_size="full"))


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw", "adagrad"])
def test_torch_optimizers_use_their_fused_kernel_on_the_mlp(root, name):
    runner = Runner(spec(root, steps=1, optimizer=name))
    assert runner.optimizer.defaults["fused"] is True


# ----------------------------------------------------------------------------- devices
def test_training_threads(monkeypatch):
    monkeypatch.delenv(devices.THREADS_ENV_VAR, raising=False)
    before = torch.get_num_threads()
    try:
        assert [devices.default_training_threads(c) for c in (1, 2, 4, 8, 64)] == [1, 1, 2, 4, 4]
        assert devices.set_training_threads() == devices.default_training_threads()
        assert devices.set_training_threads(1) == 1 and torch.get_num_threads() == 1
        assert devices.set_training_threads(2) == 2 and torch.get_num_threads() == 2
        monkeypatch.setenv(devices.THREADS_ENV_VAR, "3")
        assert devices.set_training_threads() == 3 and devices.set_training_threads(1) == 1
        monkeypatch.setenv(devices.THREADS_ENV_VAR, "lots")  # not a number: the default
        assert devices.set_training_threads() == devices.default_training_threads()
    finally:
        torch.set_num_threads(before)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_asking_for_cuda_without_one_is_a_clear_setup_error(root):
    s = spec(root, steps=1)
    s.device = "cuda"
    with pytest.raises(SetupError, match="'cuda' is not available"):
        Runner(s)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cli_device_cuda_without_one_exits_2(root, tmp_path, monkeypatch, capsys):
    code = run_cli(monkeypatch, ["--scenario", "lecture-script", "--headless", "--out", str(tmp_path / "out"),
                                 "--data-dir", str(root), "--device", "cuda:1", "--steps", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "'cuda:1' is not available" in err and "Traceback" not in err


# ----------------------------------------------------------------------------- the lecture-script scenario
def test_lecture_script_scenario_is_the_lecture_script():
    from sgd_tui.core.scenario.parse import load_scenario
    from sgd_tui.replay.summary import lecture_title

    s = load_scenario("lecture-script")
    (r,) = s.runs
    assert (r.objective, r.objective_options["model"], r.objective_options["loss"]) == ("fashion_mnist", "mlp",
                                                                                         "cross_entropy")
    assert (r.optimizer, r.hyper["lr"], r.hyper["momentum"]) == ("sgd", 1e-3, 0.5)
    assert (r.settings["batch_size"], r.settings["sampling"]) == (16, "sequential")
    assert (r.budget["epochs"], r.budget["log_every"]) == (10, 100)
    assert lecture_title(r) == "Optimizer-SGD lr-0.001 mt-0.5 bs-16"


def test_lecture_script_replays_headless(root, tmp_path, monkeypatch, capsys):
    block_network(monkeypatch)
    out = tmp_path / "out"
    code = run_cli(monkeypatch, ["--scenario", "lecture-script", "--headless", "--out", str(out),
                                 "--data-dir", str(root), "--device", "cpu", "--epochs", "2"])
    assert code == 0, capsys.readouterr().err
    eval_rows = (out / "eval.csv").read_text().splitlines()
    assert len(eval_rows) == 3 and eval_rows[1].split(",")[1:3] == ["1", "512"]
    metrics = (out / "metrics.csv").read_text().splitlines()[1:]
    assert [int(m.split(",")[3]) for m in metrics] == [16, 528]  # batch 0 of each 32-batch epoch
    assert "Optimizer-SGD lr-0.001 mt-0.5 bs-16" in (out / "loss.txt").read_text()
