"""The race view's questions, as the sweep view asks them (:mod:`sgd_tui.ui.screens.sweep_keep`): before it
starts the tuning (its trials take every core), before Escape discards finished trials nobody saved, and
``w``, which saves the results as a headless replay writes them
(:func:`sgd_tui.replay.race.write_race_results`: the same files, through the same writers).

The saving and leaving are :class:`~sgd_tui.ui.screens.sweep_keep.SweepKeeping`'s; this says what a race
has finished and writes a race's files. Mixed into :class:`~sgd_tui.ui.screens.race.RaceScreen`, which holds ``scenario``, ``race``, ``tuned``,
``raced``, ``phase``, ``running``, ``n_workers``, ``threads`` and ``start()`` / ``stop()``.
"""

from __future__ import annotations

from pathlib import Path

from sgd_tui import exit_codes
from sgd_tui.core.scenario.write import scenario_to_toml
from sgd_tui.core.sweep.trials import FAILED_STATUSES
from sgd_tui.replay.race import write_race_results
from sgd_tui.replay.results_dir import OutputError, open_results_dir, write_whole
from sgd_tui.ui.screens.dialogs import ConfirmScreen
from sgd_tui.ui.screens.sweep_keep import SweepKeeping

__all__ = ["RaceKeeping"]


class RaceKeeping(SweepKeeping):
    """Ask before starting and before discarding; save the race (see the module doc)."""

    saved: frozenset = frozenset()  # ("tuning" | "race", index) of the trials with results in the last save
    WHAT = "race"
    SAVED_FILES = "tuning.csv, race.csv, race.txt, summary.json, ..."

    def ask_to_start(self) -> None:
        n = len(self.race.tuning.trials)
        where = f"{self.n_workers} worker process{'es' if self.n_workers != 1 else ''}"
        prompt = (f"{self.race.describe()}, on {where} × {self.threads} thread{'s' if self.threads != 1 else ''}: "
                  f"{'every core is' if self.n_workers > 1 else 'the machine is'} busy until they end "
                  "(space stops them).\n\nEnter starts · Escape: not now (space starts them later)")
        self.app.push_screen(ConfirmScreen(f"Tune and race ({n} tuning trials, then the race)?", prompt),
                             lambda yes: self.start() if yes else self._redraw())

    def finished(self) -> set[tuple[str, int]]:
        """The trials with a result, tuning and race (stopped ones have none)."""
        return ({("tuning", i) for i, o in self.tuned.items() if o.result.status != "stopped"}
                | {("race", i) for i, o in self.raced.items() if o.result.status != "stopped"})

    def exit_code(self) -> int:
        """What a headless replay of this race would have returned: 130 while it is not over."""
        if self.running or self.phase != "done":
            return exit_codes.INTERRUPTED
        if any(o.result.status in FAILED_STATUSES for o in [*self.tuned.values(), *self.raced.values()]):
            return exit_codes.TRIALS_FAILED
        return exit_codes.OK

    def save_into(self, path: Path) -> Path:
        """Write the results so far into ``path`` as ``--out`` of a headless replay (refused when it holds
        results). OutputError when it cannot."""
        folder = open_results_dir(path)
        try:
            write_whole(folder.file("scenario.toml"), scenario_to_toml(self.scenario))
            write_race_results(path, self.scenario, dict(self.tuned), dict(self.raced), self.exit_code(),
                               self.executor(), self.threads)
        except OSError as e:
            raise OutputError(f"cannot write into {path}: {e.strerror or e}") from None
        finally:
            folder.release()
        self.saved = frozenset(self.finished())
        return path
