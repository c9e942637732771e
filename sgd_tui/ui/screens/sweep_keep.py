"""The sweep view's questions: before it starts its trials (they take every core), before Escape discards
finished trials nobody saved, and ``w``, which saves them as a headless replay writes them
(:func:`sgd_tui.replay.sweep.save_sweep`: the same files, through the same writer).

Mixed into :class:`~sgd_tui.ui.screens.sweep.SweepScreen`, which holds ``scenario``, ``sweep``, ``outcomes``,
``running``, ``n_workers``, ``threads`` and ``start()`` / ``stop()``.
"""

from __future__ import annotations

from pathlib import Path

from sgd_tui import exit_codes
from sgd_tui.core.sweep.trials import FAILED_STATUSES
from sgd_tui.replay.results_dir import OutputError, open_results_dir
from sgd_tui.replay.summary import default_out_dir
from sgd_tui.replay.sweep import save_sweep
from sgd_tui.ui.screens.dialogs import AskScreen, ConfirmScreen

__all__ = ["SweepKeeping"]


class SweepKeeping:
    """Ask before starting and before discarding; save the grid (see the module doc)."""

    saved: frozenset = frozenset()  # the trials (indices) with results in the last folder saved
    WHAT = "sweep"  # what the questions and notices call it (the race view's keeping says "race")
    SAVED_FILES = "metrics.csv, sweep.csv, bands.csv, summary.json, ..."  # the save's notice names them

    # ------------------------------------------------------------------ starting
    def ask_to_start(self) -> None:
        n = len(self.sweep.trials)
        where = (f"{self.n_workers} worker process{'es' if self.n_workers != 1 else ''}" if self.n_workers
                 else "this process")
        prompt = (f"{self.sweep.describe()}, on {where} × {self.threads} thread{'s' if self.threads != 1 else ''}: "
                  f"{'every core is' if self.n_workers > 1 else 'the machine is'} busy until they end "
                  "(space stops them).\n\nEnter starts · Escape: not now (space starts them later)")
        self.app.push_screen(ConfirmScreen(f"Run the sweep's {n} trial{'s' if n != 1 else ''}?", prompt),
                             lambda yes: self.start() if yes else self._changed())

    # ------------------------------------------------------------------ saving
    def finished(self) -> set[int]:
        """The trials with a result (stopped ones have none)."""
        return {i for i, o in self.outcomes.items() if o.result.status != "stopped"}

    def exit_code(self) -> int:
        """What a headless replay of this grid would have returned: 130 when trials are missing."""
        if self.running or len(self.finished()) < len(self.sweep.trials):
            return exit_codes.INTERRUPTED
        if any(o.result.status in FAILED_STATUSES for o in self.outcomes.values()):
            return exit_codes.TRIALS_FAILED
        return exit_codes.OK

    def save_into(self, path: Path) -> Path:
        """Write the finished trials' results into ``path`` as ``--out`` of a headless replay (refused when it
        holds results). OutputError when it cannot."""
        folder = open_results_dir(path)
        try:
            save_sweep(folder, self.scenario, dict(self.outcomes), self.executor(), self.threads, self.n_workers,
                       self.exit_code())
        finally:
            folder.release()
        self.saved = frozenset(self.finished())
        return path

    def executor(self) -> str:
        """Where the trials ran, as a saved summary.json says it."""
        return (f"{self.n_workers} worker{'s' if self.n_workers != 1 else ''} × {self.threads} thread"
                f"{'s' if self.threads != 1 else ''} (the app)" if self.n_workers else "the app, in its process")

    def action_save(self) -> None:
        if not self.finished():
            self.app.notify("nothing to save yet: no trial has finished", title="save the results")
            return

        def check(text: str) -> str:
            if not text.strip():
                return "type the folder to write into (a new one, or an empty one)"
            try:
                path = self.save_into(Path(text.strip()).expanduser())
            except OutputError as e:
                return str(e)
            self.app.notify(f"{len(self.saved)} trials' results in {path} ({self.SAVED_FILES})", title="saved")
            return ""

        self.app.push_screen(AskScreen(f"Save the {self.WHAT}'s results", "a folder, as --out of a headless replay",
                                       str(default_out_dir(self.scenario)), check=check))

    # ------------------------------------------------------------------ leaving
    def unsaved(self) -> set[int]:
        return self.finished() - set(self.saved)

    def action_back(self) -> None:
        lost = self.unsaved()
        if not lost:
            self.leave()
            return
        n = len(lost)
        prompt = (f"{n} finished trial{'s are' if n != 1 else ' is'} not saved: leaving discards "
                  f"{'them' if n != 1 else 'it'}{f' and stops the {self.WHAT}' if self.running else ''}.\n\n"
                  "Enter leaves · Escape stays (then w saves them)")
        self.app.push_screen(ConfirmScreen(f"Leave the {self.WHAT} view?", prompt), lambda yes: yes and self.leave())

    def leave(self) -> None:
        self.stop()
        self.app.pop_screen()
