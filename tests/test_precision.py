"""FashionMNIST's opt-in ``precision = "bf16"``: never the default, validated like every option, trains,
changes the numbers (and says so in labels and summary.json), keeps the weights in float32."""

from __future__ import annotations

import json
import math

import pytest
import torch
from core_helpers import make_spec, run_to_end
from fashion_data import block_network, make_fashion_dir, run_cli

from sgd_tui.core.objectives import fashion
from sgd_tui.core.objectives.registry import PRECISIONS, get_objective, validate_options


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return make_fashion_dir(tmp_path_factory.mktemp("fashion"), n_train=256, n_test=64, seed=0)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_precision_is_an_option_defaulting_to_the_lecture_float32():
    p = get_objective("fashion_mnist").param("precision")
    assert p.default == "f32" and set(p.choices) == set(PRECISIONS) == {"f32", "bf16"}
    assert "CHANGES THE NUMBERS" in p.help
    resolved, errors = validate_options("fashion_mnist", {})
    assert resolved["precision"] == "f32" and not errors
    _, errors = validate_options("fashion_mnist", {"precision": "fp8"})
    assert errors and errors[0][0] == "precision" and '"bf16"' in errors[0][1]


def run(root, precision):
    spec = make_spec("fashion_mnist", "sgd", steps=24, lr=0.1, momentum=0.9, batch_size=32, log_every=1,
                     objective_options={"data_dir": str(root), "model": "mlp_small", "precision": precision})
    records = []
    runner, result = run_to_end(spec, on_chunk=lambda r, rec, ev: records.extend(rec))
    return runner, result, [r.loss for r in records]


def test_bf16_trains_with_float32_weights_and_changes_the_numbers(root):
    f32, _, f32_losses = run(root, "f32")
    bf16, result, losses = run(root, "bf16")
    assert f32.problem.fast_step is not None and bf16.problem.fast_step is None  # autograd under autocast
    assert result.status == "finished" and all(math.isfinite(v) for v in losses)
    assert min(losses[-4:]) < 0.7 * losses[0]  # it learns
    assert all(p.dtype == torch.float32 for p in bf16.problem.params)
    assert losses[0] == pytest.approx(f32_losses[0], rel=2e-2)  # close to float32 ...
    assert losses != f32_losses  # ... but not the same numbers
    loss, accuracy = bf16.problem.evaluate()
    assert math.isfinite(loss) and 0.0 <= accuracy <= 1.0


def test_bf16_logits_are_float32_computed_under_autocast(root):
    spec_opts, _ = validate_options("fashion_mnist", {"data_dir": str(root), "model": "logistic", "precision": "bf16"})
    p = fashion.FashionProblem(spec_opts)
    with torch.no_grad():
        out = p.logits(p.x[:8])
        exact = torch.nn.functional.linear(torch.div(p.x[:8], 255), p.params[0], p.params[1])
    assert out.dtype == torch.float32
    assert not torch.equal(out, exact) and torch.allclose(out, exact, rtol=0.05, atol=0.05)


def test_bf16_is_labelled_as_changing_the_numbers_in_labels_and_summary(root, tmp_path, monkeypatch, capsys,
                                                                       scenario_file):
    block_network(monkeypatch)
    spec = make_spec("fashion_mnist", "sgd", objective_options={"data_dir": str(root), "precision": "bf16"})
    assert "precision=bf16" in spec.key_hyper()
    assert "precision" not in make_spec("fashion_mnist", "sgd", objective_options={"data_dir": str(root)}).key_hyper()
    scenario = scenario_file(f'''schema = 1
title = "bf16"
[objective]
name = "fashion_mnist"
model = "mlp_small"
precision = "bf16"
data_dir = "{root}"
[budget]
steps = 4
[optimizer]
name = "sgd"
lr = 0.01
batch_size = 32
''', "bf16.toml")
    out = tmp_path / "out"
    code = run_cli(monkeypatch, ["--scenario", str(scenario), "--headless", "--out", str(out), "--device", "cpu"])
    assert code == 0, capsys.readouterr().err
    (run_summary,) = json.loads((out / "summary.json").read_text())["runs"]
    assert run_summary["precision"] == PRECISIONS["bf16"] and "changes the numbers" in run_summary["precision"]
