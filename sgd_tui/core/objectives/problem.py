"""The Problem interface: an objective instantiated for one run, with parameters the optimizer updates.

The engine only talks to this interface (implementations: :mod:`sgd_tui.core.objectives.problems_2d` for surfaces and
regression risks, :mod:`sgd_tui.core.objectives.fashion` for FashionMNIST; the objective registry builds them):

* ``params``             the model's leaf tensors (the optimizer updates ``optimizer_params()``: these,
                         or one flat tensor whose slices they are);
* ``n_train``            training examples (``None`` for surfaces, which have no data);
* ``loss_and_grad(idx)`` loss of the batch ``idx`` (an index tensor, or ``None`` = the whole training set)
                         at the *current* parameters, with the gradient written into ``p.grad``;
                         returns a float or a 0-dim tensor (no device sync);
* ``hessian(idx)``       the (d, d) Hessian at the current parameters (2-D problems);
* ``logged_loss(l)``     the number to log: the full objective for 2-D problems, the batch loss
                         (a CPU-GPU sync) for datasets;
* ``evaluate()``         (test_loss, test_accuracy) for dataset objectives with a test split, else None.

2-D problems also have ``point()``, ``value(x, y)``, ``grid(xs, ys)``, ``bounds``, ``minima`` and
``min_value`` for plots and tests.
"""

from __future__ import annotations

import math
from typing import Any

import torch

__all__ = ["Problem", "Problem2D"]


class Problem:
    is_2d = False
    n_train: int | None = None
    params: list[torch.Tensor]
    has_test = False

    def loss_and_grad(self, idx: torch.Tensor | None) -> Any:
        raise NotImplementedError

    def hessian(self, idx: torch.Tensor | None) -> torch.Tensor:
        raise NotImplementedError

    def logged_loss(self, batch_loss: Any) -> float:
        return float(batch_loss)

    def evaluate(self) -> tuple[float, float] | None:
        return None

    def optimizer_params(self) -> list[torch.Tensor]:
        """The tensors the optimizer updates: ``params``, or one flat tensor holding them all."""
        return self.params

    def n_params(self) -> int:
        return sum(p.numel() for p in self.params)

    def grad_norm(self) -> float:
        grads = [p.grad for p in self.params if p.grad is not None]
        if not grads:
            return 0.0
        if len(grads) == 1:
            return float(torch.linalg.vector_norm(grads[0]))
        return float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])))


class Problem2D(Problem):
    is_2d = True
    bounds: tuple[tuple[float, float], tuple[float, float]]

    def point(self) -> tuple[float, float]:
        x, y = self.params[0].detach().tolist()
        return x, y

    def value(self, x: float, y: float) -> float:
        raise NotImplementedError

    def grid(self, xs, ys):
        """f on the grid xs × ys as a NumPy array of shape (len(ys), len(xs))."""
        raise NotImplementedError

    def hessian_at(self, x: float, y: float) -> tuple[tuple[float, float], tuple[float, float]]:
        """The Hessian of the full objective at (x, y), as floats (the theory panel's local model)."""
        raise NotImplementedError

    def logged_loss(self, batch_loss: Any) -> float:
        return self.value(*self.point())

    def grad_norm(self) -> float:
        g = self.params[0].grad
        if g is None:
            return 0.0
        gx, gy = g.tolist()
        return math.hypot(gx, gy)
