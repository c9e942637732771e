"""FashionMNIST with the lecture's MLP: the fast path of the lecture's training script.

What it computes is the lecture's ``train_loop``/``test_loop`` (``../shared/lecture-sgd.md``, "The First
Training Script"); how it computes it is faster:

* the whole data set sits on the run's device as uint8 rows (:mod:`sgd_tui.core.objectives.data`); a batch is picked by
  index (the :class:`~sgd_tui.core.run.sampler.Sampler`: a seeded permutation, or file order like ``DataLoader``
  without shuffle) and becomes float on the device as ``x / 255`` -- exactly ``ToTensor``, so the numbers are the lecture's;
* the model is the lecture's ``NeuralNetwork`` written as plain ``F.linear``/``F.relu`` calls on six leaf
  tensors (W1, b1, W2, b2, W3, b3 -- the order of ``model.parameters()``): the same kernels without the
  ``nn.Module`` call overhead;
* those tensors, their gradients and the optimizer's state are slices of one flat buffer each
  (:mod:`sgd_tui.core.objectives.flat_params`): the optimizer updates the whole model in one call, one pass (for SGD
  the engine calls torch's fused kernel directly, :mod:`sgd_tui.core.optim.fused_step`);
* for the cross-entropy and nll losses (no label smoothing) with any penalty, a hand-written forward and
  backward pass (:mod:`sgd_tui.core.objectives.mlp_fast`) runs the same kernels as autograd into preallocated buffers,
  without building a graph; autograd computes everything else (other losses, big batches);
* the batch loss stays on the device; it is read back only at logging points (:meth:`logged_loss`).

Precision: ``f32`` (the default) computes the lecture's float32 numbers. ``bf16`` (opt-in) runs the
network's layers under ``torch.autocast`` in bfloat16 (CPU or GPU; the loss, the gradients accumulated into
the weights and the weights stay float32). That changes the numbers (about 3 significant digits per
product); the app, summary.json and the README say so.

Models: ``mlp`` = Flatten, Linear(784, 512), ReLU, Linear(512, 512), ReLU, Linear(512, 10) (the lecture's);
``mlp_small`` = 784-64-10; ``logistic`` = Linear(784, 10) (multinomial logistic regression). Initialisation
is ``nn.Linear.reset_parameters`` exactly -- W ~ U(-1/√fan_in, 1/√fan_in) (kaiming_uniform with a=√5),
b ~ U(-1/√fan_in, 1/√fan_in), layer by layer, weight before bias -- drawn from a ``torch.Generator`` seeded
with the run's seed on the CPU, so runs with one seed start identical on every device and torch's global
RNG is never touched (``torch.manual_seed(seed); NeuralNetwork()`` gives the same numbers).

The training loss is R(θ) = L(f_θ(x_batch), y_batch) + λΩ(θ). The test numbers are the lecture's
``test_loop``: accuracy = fraction of test images whose arg-max logit is the label; test loss = the mean of
L over the test set (no λΩ). The lecture averages per-batch means; that is the same number when its batch
size divides 10,000 (16 does), and differs only by the weight of the last partial batch otherwise.
"""

from __future__ import annotations

from typing import Any

import torch

from sgd_tui.core.objectives.data import load_fashion_mnist, resolve_data_dir
from sgd_tui.core.objectives.flat_params import FlatParams
from sgd_tui.core.objectives.losses import classification_loss, penalty
from sgd_tui.core.objectives.mlp_fast import MLPFastStep, covers
from sgd_tui.core.objectives.network import MLPProblem, init_params, mlp_forward

__all__ = ["FashionProblem", "MODELS"]

# layer widths per model: 784 inputs, 10 classes
MODELS = {
    "mlp": (784, 512, 512, 10),
    "mlp_small": (784, 64, 10),
    "logistic": (784, 10),
}
# Batches larger than this are processed in chunks (gradients accumulated): bounded memory for "full"
# batches (gradient descent on 60k images) and for evaluation.
CHUNK = 10_000


class FashionProblem(MLPProblem):
    """One run's model on FashionMNIST (see the module docstring for what is computed)."""

    has_test = True

    def __init__(self, options: dict[str, Any], seed: int = 0, device: str = "cpu"):
        self.device = torch.device(device)
        data = load_fashion_mnist(resolve_data_dir(options.get("data_dir")), str(self.device))
        n_tr = options.get("train_subset") or data.train_x.shape[0]
        n_te = options.get("test_subset") or data.test_x.shape[0]
        self.x, self.y = data.train_x[:n_tr], data.train_y[:n_tr]  # views: no copy
        self.test_x, self.test_y = data.test_x[:n_te], data.test_y[:n_te]
        self.n_train = int(self.x.shape[0])
        self.n_test = int(self.test_x.shape[0])
        self.model = options.get("model", "mlp")
        # θ and ∇θ as one flat buffer each; params are views (W1, b1, ...); the optimizer updates θ at once
        self.flat = FlatParams(init_params(MODELS[self.model], seed, self.device))
        self.params = self.flat.params
        self.loss_name = options.get("loss", "cross_entropy")
        cw = options.get("class_weights")
        self.class_weights = torch.tensor(cw, dtype=torch.float32, device=self.device) if cw is not None else None
        self.label_smoothing = float(options.get("label_smoothing") or 0.0)
        self.regularization = options.get("regularization", "none")
        self.reg_strength = float(options.get("reg_strength") or 0.0)
        # opt-in reduced precision: the network's forward under autocast (changes the numbers)
        self.precision = options.get("precision") or "f32"
        self.autocast_dtype = torch.bfloat16 if self.precision == "bf16" else None
        # the hand-written step where it computes the same numbers (see mlp_fast), else autograd
        self.fast_step = None
        if covers(self.loss_name, self.label_smoothing, self.regularization, self.precision):
            self.fast_step = MLPFastStep(self.flat, self.loss_name, self.class_weights, self.regularization,
                                         self.reg_strength)

    def optimizer_params(self) -> list[torch.Tensor]:
        return [self.flat.flat]

    # ----------------------------------------------------------------------------- the model
    def logits(self, x_u8: torch.Tensor) -> torch.Tensor:
        """f_θ(x) for uint8 image rows: x/255 (ToTensor), then Linear, ReLU, ..., Linear. With
        ``precision = "bf16"`` the layers run under bfloat16 autocast and the logits are cast back to
        float32 (the loss, its gradient and the weights stay float32)."""
        if self.autocast_dtype is not None:
            with torch.autocast(self.device.type, dtype=self.autocast_dtype):
                return self._logits(x_u8).float()
        return self._logits(x_u8)

    def _logits(self, x_u8: torch.Tensor) -> torch.Tensor:
        # uint8 / int -> float32: bit for bit ToTensor's img.float().div(255); then Linear, ReLU, ..., Linear
        return mlp_forward(self.params, torch.div(x_u8, 255), "relu")

    # the MLPProblem interface (the curvature and the landscape slice use it)
    def inputs(self, idx: torch.Tensor | None) -> torch.Tensor:
        x = self.x if idx is None else self.x[idx]
        return torch.div(x, 255)  # uint8 / int -> float32: bit for bit ToTensor's img.float().div(255)

    def targets(self, idx: torch.Tensor | None) -> torch.Tensor:
        return self.y if idx is None else self.y[idx]

    def data_loss(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return classification_loss(self.loss_name, logits, y, self.class_weights, self.label_smoothing)

    def _chunk_weight(self, y: torch.Tensor, y_all: torch.Tensor) -> torch.Tensor | float:
        """The share of a chunk in the batch mean: Σ_chunk w_y / Σ_batch w_y with class weights (torch's
        weighted mean, also under label smoothing), else n_chunk / n_batch."""
        if self.class_weights is not None and self.loss_name in ("cross_entropy", "nll"):
            return self.class_weights[y].sum() / self.class_weights[y_all].sum()
        return y.shape[0] / y_all.shape[0]

    # ----------------------------------------------------------------------------- the Problem interface
    def loss_and_grad(self, idx: torch.Tensor | None) -> torch.Tensor:
        """Batch loss L + λΩ at the current θ, its gradient in ``p.grad`` (slices of the flat ∇θ); the loss
        stays on the device. The hand-written step when it covers the case, else autograd."""
        n = self.n_train if idx is None else idx.shape[0]
        if self.fast_step is not None and n <= CHUNK:
            return self.fast_step(self.x, self.y, idx)
        return self._autograd_loss_and_grad(idx)

    def _autograd_loss_and_grad(self, idx: torch.Tensor | None) -> torch.Tensor:
        self.flat.zero_grad()  # backward accumulates into the slices of ∇θ
        x = self.x if idx is None else self.x[idx]
        y = self.y if idx is None else self.y[idx]
        reg = penalty(self.regularization, self.reg_strength, self.params)  # 0.0 when there is none
        if y.shape[0] <= CHUNK:
            loss = self.data_loss(self.logits(x), y)
            if isinstance(reg, torch.Tensor):
                loss = loss + reg
            loss.backward()
            return loss.detach()
        # a big batch: R = Σ_chunks share_c · L_c + λΩ, accumulated chunk by chunk (bounded memory)
        total = reg.detach() if isinstance(reg, torch.Tensor) else torch.tensor(reg, device=self.device)
        if isinstance(reg, torch.Tensor):
            reg.backward()
        for lo in range(0, y.shape[0], CHUNK):
            xc, yc = x[lo : lo + CHUNK], y[lo : lo + CHUNK]
            part = self._chunk_weight(yc, y) * self.data_loss(self.logits(xc), yc)
            part.backward()
            total = total + part.detach()
        return total

    def logged_loss(self, batch_loss: torch.Tensor) -> float:
        return float(batch_loss)  # note: a CPU-GPU sync point (the only one per logged step)

    @torch.no_grad()
    def evaluate(self) -> tuple[float, float]:
        """(test loss, test accuracy in [0, 1]) as the lecture's test_loop, in chunks of CHUNK images, under
        no_grad. (The model has no layer that behaves differently in eval mode, so there is no mode to set.)"""
        loss = torch.zeros((), device=self.device)
        correct = torch.zeros((), dtype=torch.int64, device=self.device)
        for lo in range(0, self.n_test, CHUNK):
            xc, yc = self.test_x[lo : lo + CHUNK], self.test_y[lo : lo + CHUNK]
            out = self.logits(xc)
            loss += self._chunk_weight(yc, self.test_y) * self.data_loss(out, yc)
            correct += (out.argmax(1) == yc).sum()
        return float(loss), int(correct) / self.n_test  # a sync, once per epoch

