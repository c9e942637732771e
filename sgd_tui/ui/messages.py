"""Messages from background threads to the app (posted with ``post_message``, which never blocks).

The training driver posts one :class:`Progress` per round with a :class:`RunUpdate` per run that
changed, so the message rate stays at the round rate (about 20 Hz) however many records a round logs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from textual.message import Message

if TYPE_CHECKING:
    from ..core.records import EvalRecord, Record
    from .worker import Slot


@dataclass
class RunUpdate:
    """What one run did in one round of the driver.

    status is the run's status as the user sees it (``running`` while the driver keeps stepping it);
    state is the optimizer's state after the last step (2-D runs, when paused: the teaching aids).
    """

    slot: "Slot"
    records: list["Record"]
    evals: list["EvalRecord"]
    status: str
    step: int = 0
    samples: int = 0
    elapsed: float = 0.0
    last_loss: float | None = None
    best_loss: float | None = None
    grad_norm: float | None = None
    diverged_step: int | None = None
    message: str = ""
    n_train: int | None = None  # training-set size (data objectives): the plots' fractional epochs
    state: dict[str, Any] | None = field(default=None, repr=False)


class Progress(Message):
    """One round of the driver: the updates of every run that changed."""

    def __init__(self, updates: list[RunUpdate]) -> None:
        super().__init__()
        self.updates = updates


class DriverIdle(Message):
    """The driver thread ended: no run can move any more (or it was cancelled)."""


class SurfaceReady(Message):
    """A preview of the objective was built off the UI thread (torch imported there).

    grid_fn(xs, ys) -> 2-D array of f, bounds ((x0, x1), (y0, y1)), minima [(x, y), ...];
    all None for dataset objectives, which have no surface to draw. ``key`` identifies the objective
    and options the preview was built for, so a late answer for an old choice is ignored.
    """

    def __init__(self, key: str, grid_fn: Callable | None, bounds, minima, error: str = "") -> None:
        super().__init__()
        self.key = key
        self.grid_fn = grid_fn
        self.bounds = bounds
        self.minima = minima
        self.error = error


class DevicesFound(Message):
    """The devices torch can use here (found off the UI thread, since it imports torch)."""

    def __init__(self, devices: list[str]) -> None:
        super().__init__()
        self.devices = devices
