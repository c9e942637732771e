"""The Textual app: ``run_app`` is what ``sgd-tui`` (without ``--headless``) calls.

The app itself is small: it holds the main screen, adds scenario commands to the command palette, and
opens and saves scenario files (the main view's ``o`` and ``w`` keys call its actions). Everything else
lives in :mod:`sgd_tui.ui.screens.main` and the widgets.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from textual.app import App, SystemCommand
from textual.screen import Screen

from .screens.dialogs import AskScreen, ScenarioPicker
from .screens.main import MainScreen
from .session import Session, default_session, session_from_scenario

__all__ = ["SgdApp", "run_app"]


class SgdApp(App):
    """sgd-tui: pick, run, watch and compare optimizers."""

    CSS_PATH = "app.tcss"
    TITLE = "sgd-tui"

    def __init__(self, session: Session | None = None, *, monochrome: bool = False, timings: bool = True):
        super().__init__()
        self.initial = session or default_session()
        self.monochrome = monochrome
        self.timings = timings  # False hides wall-clock figures (reproducible screenshots)

    def on_mount(self) -> None:
        self.push_screen(MainScreen(self.initial, monochrome=self.monochrome, timings=self.timings))

    @property
    def main(self) -> MainScreen:
        return next(s for s in self.screen_stack if isinstance(s, MainScreen))

    # ------------------------------------------------------------------------------- scenarios
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Open scenario…", "pick a scenario file and load its runs", self.action_open_scenario)
        yield SystemCommand("Save scenario…", "save the current runs as a scenario file", self.action_save_scenario)
        from ..core.scenario import find_scenarios

        for name, _path, title in find_scenarios():
            yield SystemCommand(f"Scenario: {name}", title, lambda n=name: self.run_worker(self.open_scenario(n)))

    def action_open_scenario(self) -> None:
        from ..core.scenario import find_scenarios

        def picked(name: str | None) -> None:
            if name:
                self.run_worker(self.open_scenario(name))

        self.push_screen(ScenarioPicker([(n, t) for n, _p, t in find_scenarios()]), picked)

    async def open_scenario(self, name: str) -> bool:
        """Load scenario ``name`` (or a path) into the main view; a bad file is a notification."""
        from ..core.scenario import ScenarioError, load_scenario

        try:
            session = session_from_scenario(load_scenario(name))
        except ScenarioError as e:
            self.notify(str(e), title="cannot open the scenario", severity="error", timeout=10)
            return False
        await self.main.load_session(session)
        self.notify(session.shared.title, title="scenario loaded")
        return True

    def save_to(self, path: str | Path) -> Path:
        """Write the comparison as a scenario file that ``--headless`` replays to the same numbers."""
        from ..core.scenario import scenario_to_toml

        text = scenario_to_toml(self.main.session.to_scenario())
        path = Path(path)
        path.write_text(text, encoding="utf-8")
        return path

    def action_save_scenario(self) -> None:
        from ..core.params import ParamError

        default = f"{self.main.session.shared.title.lower().replace(' ', '-')}.toml"

        def check(path: str) -> str:
            try:
                saved = self.save_to(path.strip())
            except (ParamError, OSError, ValueError) as e:
                return str(e)
            self.notify(f"replay it with: sgd-tui --scenario {saved} --headless", title=f"saved {saved}")
            return ""

        self.push_screen(AskScreen("Save scenario", "file name", default, check=check))


def run_app(scenario=None, monochrome: bool = False) -> int:
    """Run the app (optionally preloaded with a :class:`~sgd_tui.core.scenario.Scenario`); the exit code."""
    if monochrome:
        os.environ["NO_COLOR"] = "1"
    session = session_from_scenario(scenario) if scenario is not None else None
    app = SgdApp(session, monochrome=monochrome)
    app.run()
    return app.return_code or 0
