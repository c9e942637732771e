"""The loss-landscape slice, computed off the UI thread for the app.

The runs' weights belong to the driver thread, which changes them in place at every step. So the job
first *captures* every run between two of the driver's steps (:meth:`~sgd_tui.ui.jobs.worker.Driver.call_between`,
or directly when no driver thread is running): a copy of the weights, the kept snapshots and a shallow copy
of the problem (the data is shared: the slice only reads it). Then, in the job's own thread, it computes
the slice with :func:`sgd_tui.core.maps.landscape.compute_landscape` on those copies, while the driver waits
(at most ``HOLD_S``): two Python threads stepping small torch ops share the GIL op by op. Measured in the
app on this 2-core machine under load (load average about 10): a 21 x 21 slice of a small mlp_regression
took 7.2 s beside flat-out training, 2.4 s with training held. The UI thread stays free throughout.

A run without kept snapshots (``budget.snapshot_every`` unset) still has its start: every run of a
comparison starts from the weights a fresh build of its objective gives (same options, same seed), so the
start is rebuilt and such a path is just start → now.

The answer is a :class:`LandscapeReady` message; a newer request (or a reset) makes the screen ignore an
older answer. The job asks ``cancelled()`` while it waits for the driver and before every grid point of
the slice (:class:`~sgd_tui.core.maps.landscape.Cancelled`), and then ends without an answer: a newer request,
another scenario or quitting never waits for a slice (a grid point of the lecture's MLP on 1,000 images
takes about 7 ms).
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable

from textual.message import Message

from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.run.spec import LANDSCAPE_PARAMS

HOLD_S = 30.0  # the longest the driver waits for a slice before training goes on

__all__ = ["LandscapeReady", "LandscapeRequest", "capture", "compute_view", "landscape_job", "make_request"]


class LandscapeReady(Message):
    """The slice for request ``key`` (``view`` a LandscapeView), or why there is none (``error``; ``quiet``:
    a refresh nobody asked for, shown in the plot but not notified)."""

    def __init__(self, key: int, view=None, error: str = "", seconds: float = 0.0, quiet: bool = False) -> None:
        super().__init__()
        self.key, self.view, self.error, self.seconds, self.quiet = key, view, error, seconds, quiet


@dataclass
class LandscapeRequest:
    """Which runs (``slots``: the driver's Slots of the runs on one objective), the plane's ``runs``
    (labels), and the [landscape] settings (mode, resolution, subset, margin, radius); ``quiet``: the
    timer's refresh (refresh_every), not a key."""

    key: int
    slots: list
    runs: list[str]
    settings: dict[str, Any]
    seed: int = 0
    quiet: bool = False


class _Log:
    def __init__(self, items):
        self.items = items

    def snapshots(self):
        return list(self.items)


def capture(slots) -> list[SimpleNamespace]:
    """Copies of the runs' current state, in the shape compute_landscape reads (call between steps)."""
    from sgd_tui.core.maps.landscape import run_path  # lazy: torch

    out = []
    for s in slots:
        r = s.runner
        if r is None:
            continue
        problem = copy.copy(r.problem)
        problem.params = [p.detach().clone() for p in r.problem.params]
        frozen = SimpleNamespace(spec=r.spec, problem=problem, step=r.step, snapshots=None)
        items = run_path(SimpleNamespace(snapshots=r.snapshots, step=r.step, problem=problem))
        frozen.snapshots = _Log(items)
        out.append(frozen)
    return out


def _rebuilt_start(frozen: SimpleNamespace):
    """The start every run of the comparison shares: a fresh build of the objective (flat, CPU)."""
    from sgd_tui.core.theory.flat import flat_copy  # lazy: torch

    spec = frozen.spec
    problem = get_objective(spec.objective).build(dict(spec.objective_options), None, spec.seed)
    return flat_copy(problem.params).cpu()


def compute_view(frozen: list[SimpleNamespace], req: LandscapeRequest, cancelled: Callable[[], bool] | None = None):
    """(LandscapeView, seconds) from captured runs; core.landscape.Cancelled when ``cancelled()`` says so."""
    from sgd_tui.core.maps.landscape import compute_landscape  # lazy: torch
    from sgd_tui.ui.widgets.netplots import LandscapeView  # lazy: numpy

    notes = []
    for f in frozen:
        items = f.snapshots.items
        if not items or items[0][0] != 0:
            f.snapshots.items = [(0, _rebuilt_start(f))] + [it for it in items if it[0] != 0]
            notes.append(f.spec.label)
    st = req.settings
    ls = compute_landscape(frozen, mode=st.get("mode", "plane"), runs=req.runs, resolution=st.get("resolution", 21),
                           subset=st.get("subset", 1000), margin=st.get("margin", 0.5), radius=st.get("radius", 1.0),
                           seed=req.seed, cancelled=cancelled)
    sl = ls.slice
    note = "paths start→now (no snapshots: budget.snapshot_every)" if notes else ""
    view = LandscapeView(list(sl.a_values), list(sl.b_values), [list(r) for r in sl.loss],
                         list(sl.plane.anchors), {k: [tuple(p) for p in v] for k, v in ls.paths.items()},
                         sl.plane.kind, note)
    return view, ls.seconds


def landscape_job(post: Callable[[Message], Any], req: LandscapeRequest, driver, driver_running: Callable[[], bool],
                  cancelled: Callable[[], bool] = lambda: False) -> None:
    """Capture (between the driver's steps), compute, answer; any failure is an answer too; cancelled: no
    answer."""
    from sgd_tui.core.maps.landscape import Cancelled  # lazy: torch

    released = threading.Event()
    try:
        frozen = None
        if driver_running():
            box: list = []
            done = threading.Event()

            def between():
                try:
                    box.append(capture(req.slots))
                except Exception as e:  # noqa: BLE001 - the driver must go on; the job reports it
                    box.append(e)
                done.set()
                # training waits while the slice is computed: the two threads would share the GIL op by op
                # (measured in the app: 7.2 s beside training, 2.4 s held; the module docstring); at most HOLD_S
                t_end = time.monotonic() + HOLD_S
                while not released.wait(0.05) and not driver.cancel.is_set() and time.monotonic() < t_end:
                    pass

            driver.call_between(between)
            while not done.wait(0.05):
                if cancelled():
                    return
                if not driver_running():  # the driver ended before serving the request
                    break
            frozen = box[0] if box else None
            if isinstance(frozen, Exception):
                raise frozen
        if frozen is None:
            frozen = capture(req.slots)
        if cancelled():
            return
        if not frozen:
            post(LandscapeReady(req.key, error="no run has started yet: run (space) or step (n) first",
                                quiet=req.quiet))
            return
        view, seconds = compute_view(frozen, req, cancelled)
        if not cancelled():
            post(LandscapeReady(req.key, view, seconds=seconds, quiet=req.quiet))
    except Cancelled:
        return
    except Exception as e:  # noqa: BLE001 - shown to the user, the app goes on
        post(LandscapeReady(req.key, error=f"{type(e).__name__}: {e}" if not isinstance(e, ValueError) else str(e),
                            quiet=req.quiet))
    finally:
        released.set()


def make_request(session, selected, key: int) -> LandscapeRequest | str:
    """The request for the selected run and the next one on its objective (the scenario's [landscape]
    settings, else the defaults; when the table names two runs and the selected one is among them, those
    two), or why there is none. Random directions: around the selected run."""

    if selected is None:
        return "select a run first"
    name, options = session.objective_of(selected)
    if not get_objective(name).has_data:
        return f"a loss landscape needs a training set; {name} is a surface (its heat map is the landscape)"
    settings = {p.name: p.default for p in LANDSCAPE_PARAMS}
    settings.update(getattr(session.shared, "landscape", None) or {})
    same = [r for r in session.runs if session.objective_of(r) == (name, options) and not r.invalid]
    i = same.index(selected)
    if settings["mode"] == "plane":
        if len(same) < 2:
            return "the plane goes through the start and two runs: add a run (a)"
        named = [n for n in settings.get("runs") or () if any(r.spec.label == n for r in same)]
        if len(named) == 2 and named[0] != named[1] and selected.spec.label in named:
            runs = named
        else:
            runs = [selected.spec.label, same[(i + 1) % len(same)].spec.label]
    else:
        runs = [selected.spec.label]
    return LandscapeRequest(key, [r.slot for r in same], runs, settings, selected.spec.seed)
