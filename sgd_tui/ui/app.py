"""The Textual app: ``run_app`` is what ``sgd-tui`` (without ``--headless``) calls.

The app itself is small: it holds the main screen, adds scenario commands to the command palette, and
opens and saves scenario files (the main view's ``o`` and ``w`` keys call its actions). Everything else
lives in :mod:`sgd_tui.ui.screens.main` and the widgets.
"""

from __future__ import annotations

import asyncio
import multiprocessing.resource_tracker
import os
import sys
from pathlib import Path
from typing import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.markup import escape
from textual.screen import Screen

from sgd_tui.core.errors import ParamError, ScenarioError
from sgd_tui.core.scenario.files import find_local_scenarios, find_scenarios
from sgd_tui.core.scenario.lecture import Lecture
from sgd_tui.core.scenario.marks import sweep_mark
from sgd_tui.core.scenario.parse import load_scenario, parse_scenario, with_overrides
from sgd_tui.core.scenario.write import scenario_to_toml
from sgd_tui.core.text import file_stem, safe_text
from sgd_tui.ui.jobs.background import DaemonExecutor
from sgd_tui.ui.screens.dialogs import AskScreen, ScenarioPicker
from sgd_tui.ui.screens.main import MainScreen
from sgd_tui.ui.session import Session, default_session, session_from_scenario

__all__ = ["SgdApp", "run_app"]


class SgdApp(App):
    """sgd-tui: pick, run, watch and compare optimizers."""

    CSS_PATH = "app.tcss"
    TITLE = "sgd-tui"
    BINDINGS = [Binding("pagedown", "next_demo", "next demo", id="next_demo", priority=True,
                        tooltip="the lecture's next demo (sgd-tui --lecture), opened as a fresh launch would"),
                Binding("pageup", "previous_demo", "prev demo", id="previous_demo", priority=True,
                        tooltip="the lecture's previous demo (sgd-tui --lecture)"),
                Binding("P", "toggle_present", "presenter", id="toggle_present",
                        tooltip="presenter mode on / off: block lines, bright colours, the look-for line and "
                                "the selected run's figures in large digits (sgd-tui --present)")]

    def __init__(self, session: Session | None = None, *, monochrome: bool = False, timings: bool = True,
                 sweep=None, hard_exit: bool = False, lecture: Lecture | None = None, demo: str | None = None,
                 overrides: dict | None = None, present: bool = False):
        super().__init__()
        # the command line's --device / --data-dir: they say where this machine computes and keeps its data,
        # so every scenario opened in the session (o, the palette, PageDown) gets them, not only the first
        self.overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
        self.present = present  # presenter mode (--present, P, the palette): every main view opens in it
        self.lecture = lecture  # the lecture playlist (--lecture): PageDown / PageUp step through its demos
        self.demo = demo  # the playlist's demo shown now (None: not one of its demos)
        self.hard_exit = hard_exit  # q ends the process at once (see :mod:`.quit`): the command line's app
        self.initial = session or default_session()
        self.initial_sweep = sweep  # a Scenario with a [sweep]: its sweep view opens over the main view
        self.sweep_workers: int | None = None  # worker processes of a sweep (None: fill the cores; 0: in-process)
        self.monochrome = monochrome
        self.timings = timings  # False hides wall-clock figures (reproducible screenshots)

    def on_mount(self) -> None:
        # thread workers run in daemon threads: quitting never waits for a torch import or a driver round
        asyncio.get_running_loop().set_default_executor(DaemonExecutor())
        self.push_screen(MainScreen(self.initial, monochrome=self.monochrome, timings=self.timings,
                                    present=self.present))
        if self.initial_sweep is not None:
            self.open_sweep(self.initial_sweep)

    def open_sweep(self, scenario, **kwargs) -> None:
        """Push the sweep view of a scenario with a ``[sweep]`` table (it asks, then starts the trials)."""
        from sgd_tui.ui.screens.sweep import SweepScreen  # lazy: rich

        kwargs.setdefault("workers", self.sweep_workers)
        if getattr(scenario, "race", None) is not None:  # a fair race: tuning and race (ui.screens.race)
            from sgd_tui.ui.screens.race import RaceScreen  # lazy: rich

            self.push_screen(RaceScreen(scenario, monochrome=self.monochrome, timings=self.timings, **kwargs))
            return
        self.push_screen(SweepScreen(scenario, monochrome=self.monochrome, timings=self.timings, **kwargs))

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = False) -> None:
        """Every notification of the app: its text may come from a scenario file (a title, a label, an
        error echoing a value), so it is made safe (core.text.safe_text) and never read as markup."""
        super().notify(safe_text(message), title=safe_text(title, newlines=False), severity=severity,
                       timeout=timeout, markup=False)

    @property
    def main(self) -> MainScreen:
        return next(s for s in self.screen_stack if isinstance(s, MainScreen))

    # ------------------------------------------------------------------------------- scenarios
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Open scenario…", "pick a scenario file and load its runs", self.action_open_scenario)
        yield SystemCommand("Save scenario…", "save the current runs as a scenario file", self.action_save_scenario)
        yield SystemCommand("Presenter mode off (P)" if self.present else "Presenter mode on (P)",
                            "for a projector: block lines, bright colours, what to look for and the selected "
                            "run's figures in large digits", self.action_toggle_present)
        if self.lecture is not None:
            yield SystemCommand("Next demo (PageDown)", f"the next demo of {safe_text(self.lecture.title)}",
                                lambda: self.run_worker(self.step_lecture(1)))
            yield SystemCommand("Previous demo (PageUp)", f"the previous demo of {safe_text(self.lecture.title)}",
                                lambda: self.run_worker(self.step_lecture(-1)))

        for name, path, title in find_scenarios():
            mark = sweep_mark(path)  # "sweep · 99 trials": opening it asks before starting them
            yield SystemCommand(escape(safe_text(f"Scenario: {name}", newlines=False)),
                                escape(safe_text(f"{mark} · {title}" if mark else title, newlines=False)),
                                lambda n=name: self.run_worker(self.open_scenario(n)))
        for name, path, title in find_local_scenarios():  # the working folder's files (what w saves)
            yield SystemCommand(escape(safe_text(f"Scenario file: {name}", newlines=False)),
                                escape(safe_text(f"{title} (a file in {path.parent})", newlines=False)),
                                lambda p=str(path): self.run_worker(self.open_scenario(p)))

    def action_open_scenario(self) -> None:

        def picked(name: str | None) -> None:
            if name:
                self.run_worker(self.open_scenario(name))

        found = find_scenarios()
        marks = {n: m for n, p, _t in found if (m := sweep_mark(p))}  # sweeps: "sweep · 99 trials"
        self.push_screen(ScenarioPicker([(n, t) for n, _p, t in found],
                                        [(n, t) for n, _p, t in find_local_scenarios()], marks), picked)

    def action_toggle_present(self) -> None:
        """Presenter mode on / off in every main view; opening another demo keeps it."""
        self.present = not self.present
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                screen.set_present(self.present)
        self.notify("on: P or the palette turns it off" if self.present else "off", title="presenter mode",
                    timeout=3)

    # ------------------------------------------------------------------------------- the lecture
    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("next_demo", "previous_demo"):
            return self.lecture is not None  # only in a lecture (--lecture): not on the key bar otherwise
        if action == "toggle_present":  # presenter mode restyles the main view: not a key of the sweep/race views
            return isinstance(self.screen, MainScreen)
        return True

    async def action_next_demo(self) -> None:
        await self.step_lecture(1)

    async def action_previous_demo(self) -> None:
        await self.step_lecture(-1)

    async def step_lecture(self, step: int) -> bool:
        """Open the playlist's next (``step`` 1) or previous (-1) demo; at either end, say so."""
        if self.lecture is None:
            return False
        name = self.lecture.after(self.demo, step)
        if name is None:
            where = "last" if step > 0 else "first"
            self.notify(f"this is the lecture's {where} demo ({len(self.lecture.demos)} in all)", title="lecture")
            return False
        return await self.open_scenario(name)

    def lecture_place(self) -> str:
        """`` · demo 3/18`` while a playlist demo is shown, else empty."""
        if self.lecture is None or self.demo not in self.lecture.demos:
            return ""
        return f" · demo {self.lecture.demos.index(self.demo) + 1}/{len(self.lecture.demos)}"

    async def open_scenario(self, name: str) -> bool:
        """Load scenario ``name`` (or a path) into the main view; a bad file is a notification."""

        try:
            scenario = load_scenario(name)
            if self.overrides:
                scenario = with_overrides(scenario, **self.overrides)
            session = session_from_scenario(scenario)
        except ScenarioError as e:
            self.notify(str(e), title="cannot open the scenario", severity="error", timeout=10)
            return False
        self.demo = name if self.lecture is not None and name in self.lecture.demos else None
        await self.show_session(session)  # a sweep's runs before the grid: the view under the sweep's
        if scenario.sweep is not None or getattr(scenario, "race", None) is not None:
            self.open_sweep(scenario)
        else:
            self.notify(session.shared.title + self.lecture_place(), title="scenario loaded")
        return True

    async def show_session(self, session: Session) -> MainScreen:
        """Show ``session`` in a new main view, built as at launch: the view, overlays (basin map, landscape
        slice), theory and story panels, selection, zoom and setup panel are the session's own, never what
        the previous scenario left open. The old view (with its driver, timers and background jobs) goes,
        and so does what was over it (a sweep view, a dialog) and its notifications."""
        while len(self.screen_stack) > 1 and not isinstance(self.screen, MainScreen):
            await self.pop_screen()
        self.clear_notifications()
        main = MainScreen(session, monochrome=self.monochrome, timings=self.timings, present=self.present)
        if isinstance(self.screen, MainScreen):
            await self.switch_screen(main)
        else:
            await self.push_screen(main)
        return main

    def save_to(self, path: str | Path, notes: list[str] | None = None) -> Path:
        """Write the comparison as a scenario file that ``--headless`` replays to the same numbers (the
        loaded scenario's tables kept; ``notes`` gets what changed in them). The text is read back first:
        a file that would not load is not written (ValueError)."""

        path = Path(path)
        text = scenario_to_toml(self.main.session.to_scenario(notes))
        try:
            parse_scenario(text, path)
        except ScenarioError as e:
            raise ValueError(f"not saved, the file would not load: {e}") from None
        path.write_text(text, encoding="utf-8")
        return path

    def action_save_scenario(self) -> None:

        default = f"{file_stem(self.main.session.shared.title)}.toml"  # in the working folder, whatever the title
        asked: list[Path] = []

        def check(path: str) -> str:
            target, refused = save_target(path)
            if refused:
                return refused
            if target.exists() and target not in asked:  # a second Enter on the same name overwrites
                asked.append(target)
                return f"{target} exists: press Enter again to overwrite it, or change the name"
            notes: list[str] = []
            try:
                saved = self.save_to(target, notes)
            except (ParamError, OSError, ValueError) as e:
                return str(e)
            said = "".join(f"\n{n}" for n in notes)
            self.notify(f"replay it with: sgd-tui --scenario {saved} --headless{said}", title=f"saved {saved}")
            return ""

        self.push_screen(AskScreen("Save scenario", "file name", default, check=check))


def save_target(typed: str) -> tuple[Path, str]:
    """The file a typed save name means (``.toml`` added when it has no suffix, so ``o`` and ``--scenario``
    take it as a path), or why it cannot be one: an empty name, or a folder."""
    name = typed.strip()
    if not name:
        return Path(), "type a file name, e.g. my-demo.toml"
    target = Path(name).expanduser()
    if target.is_dir() or name.endswith(("/", os.sep)) or target.name in ("", ".", ".."):
        return target, f"{name} is a folder: type a file name, e.g. {target / 'my-demo.toml'}"
    if not target.suffix:
        target = target.with_name(target.name + ".toml")
    return target, ""


def run_app(scenario=None, monochrome: bool = False, lecture: Lecture | None = None,
            overrides: dict | None = None, present: bool = False) -> int:
    """Run the app (optionally preloaded with a :class:`~sgd_tui.core.scenario.parse.Scenario`), then end the
    process with the app's exit code.

    The process ends with ``os._exit`` once the terminal is restored and the output flushed: the
    interpreter's teardown with torch loaded (its modules' finalisers, daemon threads still importing)
    took 2-3 s on a loaded 2-core machine, and ``q`` must end the process within 0.5 s. Nothing is left
    unwritten: the app writes files only when asked (``w``), synchronously."""
    if monochrome:
        os.environ["NO_COLOR"] = "1"

    # a sweep's worker processes need it started before Textual captures stderr ("bad value(s) in fds_to_keep")
    multiprocessing.resource_tracker.ensure_running()
    session = session_from_scenario(scenario) if scenario is not None else None
    sweep = scenario if scenario is not None and (scenario.sweep is not None or scenario.race is not None) else None
    demo = lecture.demos[0] if lecture is not None else None  # --lecture opens the playlist's first demo
    app = SgdApp(session, monochrome=monochrome, sweep=sweep, hard_exit=True, lecture=lecture, demo=demo,
                 overrides=overrides, present=present)
    app.run()
    code = app.return_code or 0
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
