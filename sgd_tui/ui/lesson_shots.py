"""One picture per lesson: ``python -m sgd_tui.ui.lesson_shots [--out docs/lessons] [--synthetic-data DIR]
[NAME ...]`` opens each bundled scenario (or the NAMEs) in the app at 80x24, as ``sgd-tui --scenario NAME``
does, runs it to the end of its budget flat out with the scenario's own view (then shows the basin map, ``b``,
of a scenario with a ``[basins]`` table, or the loss-landscape slice, ``L``, of one with a
``[landscape]`` table), and saves the screen as
``OUT/NAME.svg``. A sweep scenario's picture is its sweep view once every trial has finished, a race's its
race view once the race is over (the trials run in the app's own thread, one at a time).

FashionMNIST scenarios train on a synthetic data set in FashionMNIST's file format when ``--synthetic-data
DIR`` is given or the real files are not on the machine (a small one, 2,000 + 500 images, written to a
temporary folder): their pictures show the lesson's layout, not FashionMNIST's numbers, and the status
line says ``SYNTHETIC DATA``. Each picture is printed with the data it used.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from sgd_tui.core.objectives.data import missing_files, resolve_data_dir, write_fashion_like
from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.scenario.files import find_scenarios
from sgd_tui.core.scenario.parse import load_scenario, with_overrides
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.session import session_from_scenario

__all__ = ["SIZE", "shoot_lesson", "uses_data", "main"]

SIZE = (80, 24)
TIMEOUT_S = 1800.0  # the longest one lesson may run before its picture is given up


def uses_data(scenario) -> bool:
    """Whether a run of the scenario trains on a data set read from files (FashionMNIST: a ``data_dir``)."""
    names = {scenario.objective, *(r.objective for r in scenario.runs)}
    return any("data_dir" in get_objective(n).defaults for n in names)


async def _until(pilot, done, what: str) -> None:
    t0 = time.monotonic()
    while not done():
        if time.monotonic() - t0 > TIMEOUT_S:
            raise TimeoutError(f"gave up waiting for {what}")
        await pilot.pause(0.2)


async def shoot_lesson(name: str, out_dir: Path, data_dir: str | None = None) -> Path:
    """Run scenario ``name`` to its end in the app at 80x24 and save the screen as ``out_dir/NAME.svg``."""
    from sgd_tui.ui.screens.dialogs import ConfirmScreen  # lazy: rich
    from sgd_tui.ui.screens.race import RaceScreen  # lazy: rich
    from sgd_tui.ui.screens.sweep import SweepScreen  # lazy: rich

    scenario = load_scenario(name)
    if data_dir is not None and uses_data(scenario):
        scenario = with_overrides(scenario, data_dir=data_dir)
    sweep = scenario if scenario.sweep is not None or scenario.race is not None else None
    app = SgdApp(session_from_scenario(scenario), sweep=sweep, timings=False)
    app.sweep_workers = 0  # the trials in the sweep view's thread: no pool of processes to start
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        if sweep is not None:
            for _ in range(100):  # the sweep and race views ask before they start their trials: Enter starts them
                if isinstance(app.screen, ConfirmScreen):
                    await pilot.press("enter")
                    break
                await pilot.pause(0.1)
            await pilot.pause(0.3)
            screen = app.screen
            if isinstance(screen, RaceScreen):
                await _until(pilot, lambda: screen.phase == "done", f"{name}'s race")
            else:
                assert isinstance(screen, SweepScreen)
                await _until(pilot, lambda: not screen.running and len(screen.outcomes) == len(screen.sweep.trials),
                             f"{name}'s trials")
        else:
            await app.workers.wait_for_complete()  # the surface preview and the devices
            await pilot.press("escape", "f", "space")
            main = app.main
            await _until(pilot, lambda: not main.playback.playing and not main.session.runnable(), f"{name}'s runs")
            plots = main.plots
            if scenario.basins is not None and main.session.shared.is_2d:  # the lesson is the basin map
                await pilot.press("b")
                await _until(pilot, lambda: plots.trajectory.basins is not None or not plots.basins_on,
                             f"{name}'s basin map")
            if scenario.landscape is not None and not main.session.shared.is_2d:  # ... the loss landscape
                await pilot.press("L")
                await _until(pilot, lambda: plots.landscape.view is not None or not main.landscape_busy(),
                             f"{name}'s landscape slice")
        app.clear_notifications()
        await pilot.pause(1.0)  # the redraw timer (5 Hz) has drawn the end
        path = out_dir / f"{name}.svg"
        app.save_screenshot(str(path))
    return path


def _synthetic_dir(given: str | None) -> str:
    if given:
        root = Path(given)
        if missing_files(root):
            write_fashion_like(root, n_train=2000, n_test=500, seed=0)
        return str(root)
    root = Path(tempfile.mkdtemp(prefix="sgd-tui-lessons-"))
    write_fashion_like(root, n_train=2000, n_test=500, seed=0)
    return str(root)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sgd_tui.ui.lesson_shots", description=__doc__.split("\n\n")[0])
    p.add_argument("names", nargs="*", help="scenarios to picture (default: every bundled one)")
    p.add_argument("--out", default="docs/lessons", help="folder of the SVGs (default docs/lessons)")
    p.add_argument("--synthetic-data", metavar="DIR", help="train FashionMNIST scenarios on a synthetic set in "
                   "DIR (written there, small, if DIR has none); default: the real files when present, else "
                   "a small synthetic set in a temporary folder")
    p.add_argument("--skip", action="append", default=[], metavar="NAME", help="leave a scenario out")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = args.names or [n for n, _p, _t in find_scenarios()]
    data_dir = None
    for name in names:
        if name in args.skip:
            continue
        scenario = load_scenario(name)
        given = None
        if uses_data(scenario):
            if args.synthetic_data or missing_files(resolve_data_dir(None)):
                data_dir = data_dir or _synthetic_dir(args.synthetic_data)
                given = data_dir
        t0 = time.monotonic()
        path = asyncio.run(shoot_lesson(name, out_dir, given))
        said = f" (synthetic data in {given})" if given else ""
        print(f"{path}{said} in {time.monotonic() - t0:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
