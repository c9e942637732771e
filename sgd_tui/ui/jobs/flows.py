"""The ``c`` key's flows of the selected GD run, off the UI thread: on a surface other than edge_valley (whose
central flow is closed-form and drawn at once), the gradient flow of f and the flow of the modified loss f̃
(:func:`sgd_tui.plotting.flowseries.modified_flow_series`: an adaptive ODE solve, usually well under a second,
at most ``SECONDS`` per flow). The answer is a :class:`FlowsReady` message keyed by what it was computed for,
so a late answer for an old selection is ignored."""

from __future__ import annotations

from typing import Any, Callable

from textual.message import Message

from sgd_tui.plotting.flowseries import modified_flow_series

__all__ = ["FlowsReady", "compute_flows", "SECONDS"]

SECONDS = 2.0


class FlowsReady(Message):
    """(the flow of f, the flow of f̃) as RunSeries for the run settings ``key``; None: no flows."""

    def __init__(self, key: tuple, flows) -> None:
        super().__init__()
        self.key = key
        self.flows = flows


def compute_flows(post: Callable[[Message], Any], key: tuple, objective: str, options: dict, optimizer: str,
                  hyper: dict, settings: dict, steps: int) -> None:
    try:
        flows = modified_flow_series(objective, options, optimizer, hyper, settings, steps, seconds=SECONDS)
    except (ArithmeticError, ValueError):  # a surface that overflows along the way: no flows to draw
        flows = None
    post(FlowsReady(key, flows))
