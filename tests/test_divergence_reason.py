"""A diverged run says which value tripped the check (the engine's rule: a NaN/inf, a loss above
max_loss, or a batch loss above it between log points), at the step it was declared."""

from core_helpers import make_spec, run_to_end
from fashion_data import make_fashion_dir


def test_a_blow_up_between_log_points_names_the_batch_loss_and_its_steps(tmp_path):
    root = make_fashion_dir(tmp_path, n_train=256, n_test=64)
    spec = make_spec("fashion_mnist", "sgd", steps=40, log_every=20, lr=10.0, momentum=0.5, batch_size=16,
                     objective_options={"data_dir": str(root), "model": "mlp_small"})
    spec.budget["max_loss"] = 50.0  # a cross-entropy far above ln 10: the weights are ruined
    runner, result = run_to_end(spec)
    assert result.status == "diverged" and result.diverged_step > 1  # found at a later log point
    assert "batch loss" in result.message and ("above max_loss = 50" in result.message or "nan" in result.message)
    assert f"-{result.diverged_step};" in result.message  # the steps the running maximum covered


def test_a_loss_above_max_loss_on_a_surface_names_the_value():
    runner, result = run_to_end(make_spec("quadratic", "gd", steps=200, lr=10.0, log_every=1))
    assert result.status == "diverged"
    assert result.message.startswith("the loss ") and "above max_loss = 1e+12" in result.message
    loss = float(result.message.split()[2])
    assert loss > 1e12
