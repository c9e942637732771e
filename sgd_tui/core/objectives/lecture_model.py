"""The lecture's PyTorch model, verbatim (``NeuralNetwork``: 784-512-512-10 with ReLU), as its training
script defines it. The app trains FashionMNIST with the same function written as flat ``F.linear`` calls
(:mod:`sgd_tui.core.objectives.fashion`); this class is the reference the tests compare it with, and what
``--bench`` times as the lecture's own loop."""

from __future__ import annotations

from torch import nn

__all__ = ["NeuralNetwork"]


class NeuralNetwork(nn.Module):
    """The lecture's model, verbatim."""

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10),
        )

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))
