"""Screenshots of the main views, as SVG: ``python -m sgd_tui.ui.screenshots [OUT_DIR]`` (default ``screenshots/``).

Each view is a :class:`View`: an app with a fixed session, a terminal size and the keys pressed before the
picture is taken (every run finished or paused first, so the picture is the same on every machine).
The snapshot tests use the same views.

The FashionMNIST view trains on synthetic data in the FashionMNIST file format
(:func:`sgd_tui.core.objectives.data.write_fashion_like`) when the real files are not on the machine: the picture
shows the app's layout for a data set, not real FashionMNIST results.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sgd_tui.core.objectives.data import write_fashion_like
from sgd_tui.core.scenario.parse import load_scenario, with_overrides
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.session import Session, Shared, session_from_scenario

__all__ = ["View", "VIEWS", "finish_runs", "take_steps", "show_help"]


@dataclass
class View:
    name: str
    make: Callable[[], SgdApp]
    size: tuple[int, int]
    keys: Callable  # async (pilot) -> None: what happens before the picture


async def finish_runs(pilot) -> None:
    """Run every run flat out to the end of its budget, then let the redraw timer catch up."""
    await pilot.press("escape", "f", "space")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.5)


async def show_help(pilot) -> None:
    """The help screen over the main view (the surface preview drawn first)."""
    await pilot.app.workers.wait_for_complete()
    await pilot.press("escape", "question_mark")
    await pilot.pause(0.2)


async def take_steps(pilot, n: int = 4) -> None:
    """Step mode: n single steps of every run (the teaching aids show the state after the last)."""
    await pilot.app.workers.wait_for_complete()  # the surface preview is drawn
    await pilot.press("escape")
    for _ in range(n):
        await pilot.press("n")
        await pilot.pause(0.15)
    await pilot.pause(0.4)


def race_app() -> SgdApp:
    sc = with_overrides(load_scenario("optimizer-race"), steps=300)
    return SgdApp(session_from_scenario(sc), timings=False)


def step_app() -> SgdApp:
    s = Session(Shared("quadratic", {"condition": 10.0, "angle": 30.0}, {"steps": 100, "log_every": 1}, 0, "cpu"))
    s.add(s.make_spec("polyak", {"lr": 0.05, "momentum": 0.8}, {}))
    s.add(s.make_spec("adam", {"lr": 0.3}, {}))
    return SgdApp(s, timings=False)


def fashion_app(data_dir: str | None = None) -> SgdApp:

    root = data_dir or tempfile.mkdtemp(prefix="sgd-tui-shots-")
    write_fashion_like(Path(root), n_train=2000, n_test=500, seed=0)
    opts = {"model": "mlp_small", "data_dir": str(root)}
    s = Session(Shared("fashion_mnist", opts, {"epochs": 4, "log_every": 10}, 0, "cpu",
                       "FashionMNIST format (synthetic data)"))
    s.add(s.make_spec("sgd", {"lr": 0.05, "momentum": 0.9}, {"batch_size": 64}))
    s.add(s.make_spec("adam", {"lr": 0.001}, {"batch_size": 64}))
    return SgdApp(s, timings=False)


def saddle_app() -> SgdApp:
    sc = with_overrides(load_scenario("saddle"), steps=60)
    return SgdApp(session_from_scenario(sc), timings=False)


def present_app() -> SgdApp:
    """Presenter mode (--present) on Polyak vs Nesterov: blocks, bright colours, look-for line, big figures."""
    return SgdApp(session_from_scenario(load_scenario("polyak-vs-nesterov")), timings=False, present=True)


VIEWS = [
    View("race", race_app, (120, 40), finish_runs),
    View("step-mode", step_app, (120, 40), take_steps),
    View("fashion-mnist", fashion_app, (120, 40), finish_runs),
    View("ssh-80x24", saddle_app, (80, 24), finish_runs),
    View("present", present_app, (120, 40), finish_runs),
]


async def shoot(view: View, out_dir: Path) -> Path:
    app = view.make()
    async with app.run_test(size=view.size) as pilot:
        await view.keys(pilot)
        path = out_dir / f"{view.name}.svg"
        app.save_screenshot(str(path))
        await pilot.press("q")
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0] if args else "screenshots")
    out_dir.mkdir(parents=True, exist_ok=True)
    for view in VIEWS:
        print(asyncio.run(shoot(view, out_dir)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
