"""The UI's work off its thread besides training: a preview of the objective and the list of devices.

Both import torch (about a second, holding the GIL), so the main screen runs them in thread workers after
the first frame and they answer with a message through ``post`` (the screen's ``post_message``, which is
thread-safe and never blocks). The training driver and its messages live in :mod:`sgd_tui.ui.jobs.worker`.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

from textual.message import Message

from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.run.devices import available_devices
from sgd_tui.core.run.drive import warm_up

__all__ = ["SurfaceReady", "DevicesFound", "BasinsReady", "OptimaFound", "build_surface", "find_devices",
           "compute_basins", "find_optima", "DaemonExecutor"]


class DaemonExecutor(ThreadPoolExecutor):
    """The app's event-loop executor (Textual runs thread workers in it): one *daemon* thread per task, and a
    shutdown that does not wait. With the stock executor, quitting waits for every thread worker to return
    (asyncio joins them, and so does the interpreter at exit): a torch import in progress (about a second,
    several on a loaded machine) or a driver round held ``q`` for seconds. Workers that must stop cleanly
    are told to (the driver's cancel event); anything else dies with the process."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as e:  # noqa: BLE001 - handed to whoever awaits the future
                future.set_exception(e)
            else:
                future.set_result(result)

        threading.Thread(target=run, daemon=True, name=getattr(fn, "__name__", "task")).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        return None  # nothing to join: the threads are daemons


class SurfaceReady(Message):
    """A preview of the objective was built off the UI thread (torch imported there).

    grid_fn(xs, ys) -> 2-D array of f, bounds ((x0, x1), (y0, y1)), minima [(x, y), ...];
    start (x, y) the objective's default starting point; all None for dataset objectives, which have no
    surface to draw. ``key`` identifies the objective and options the preview was built for, so a late
    answer for an old choice is ignored.
    """

    def __init__(self, key: str, grid_fn: Callable | None, bounds, minima, error: str = "", start=None) -> None:
        super().__init__()
        self.start = start
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


def build_surface(post: Callable[[Message], Any], key: str, objective: str, options: dict, seed: int) -> None:
    """A preview problem for the heat map; a failure is an answer too (the app shows it and goes on)."""

    try:
        p = get_objective(objective).build(options, None, seed)
        post(SurfaceReady(key, p.grid, p.bounds, list(p.minima), start=p.start))
    except Exception as e:  # noqa: BLE001 - shown to the user, the app goes on
        post(SurfaceReady(key, None, None, None, f"{type(e).__name__}: {e}"))


class BasinsReady(Message):
    """A basin map (core.basins.BasinMap) for the run settings ``key``, or an error; a cancelled job posts
    nothing."""

    def __init__(self, key: tuple, basins, error: str = "") -> None:
        super().__init__()
        self.key = key
        self.basins = basins
        self.error = error


def compute_basins(post: Callable[[Message], Any], key: tuple, spec, cancelled: Callable[[], bool]) -> None:
    """The basin map of the run ``spec`` (its objective, optimizer, hyperparameters, schedule and seed):
    64 x 64 starts x 500 steps through the run's own optimizer code; ``cancelled()`` (a newer request
    came) stops it within 25 steps."""
    from sgd_tui.core.maps.basins import basin_map, has_several_minima  # lazy: numpy

    try:
        if not has_several_minima(spec.objective, spec.objective_options):
            post(BasinsReady(key, None, f"{spec.objective} has a single minimum here: no basins to tell apart"))
            return
        bmap = basin_map(spec.objective, spec.objective_options, spec.optimizer, spec.hyper,
                         settings=spec.settings, seed=spec.seed, cancelled=cancelled)
    except Exception as e:  # noqa: BLE001 - shown to the user, the app goes on
        post(BasinsReady(key, None, f"{type(e).__name__}: {e}"))
        return
    if bmap is not None:
        post(BasinsReady(key, bmap))


class OptimaFound(Message):
    """The minimum values f* of objectives (None where unknown), keyed as the request was."""

    def __init__(self, f_stars: dict[str, float | None]) -> None:
        super().__init__()
        self.f_stars = f_stars


def find_optima(post: Callable[[Message], Any], wanted: dict[str, tuple[str, dict, int]]) -> None:
    """f* of each objective (key -> (name, options, seed)): a surface's known minimum value, the
    regression risk's optimum (solved); None for data sets (a network's minimum is not known)."""

    out: dict[str, float | None] = {}
    for key, (name, options, seed) in wanted.items():
        info = get_objective(name)
        if info.kind == "dataset":
            out[key] = None
            continue
        try:
            value = float(info.build(options, None, seed).min_value)
            out[key] = value if math.isfinite(value) else None  # edge_valley has no minimum
        except Exception:  # noqa: BLE001 - no gap for this objective, the plot shows f
            out[key] = None
    post(OptimaFound(out))


def find_devices(post: Callable[[Message], Any]) -> None:
    """The devices torch can use, then the first optimizer's imports while the user reads the screen."""

    post(DevicesFound(available_devices()))
    warm_up()
