"""Before a sweep starts any trial: the data sets its trials train on are there (or fetched once, here).

Without this, a sweep without its FashionMNIST files started every trial, each failed on the missing
files, and the headless replay left a folder of empty results; the app showed ``99 error`` and no reason.
:func:`check_data` prepares each distinct data directory once, in the process that starts the sweep
(download when the network is there, else :class:`~sgd_tui.core.errors.DataError` saying where the files
go and how to try the demo offline), so a sweep either starts with its data or does not start at all.
"""

from __future__ import annotations

from pathlib import Path

from sgd_tui.core.objectives.data import prepare, resolve_data_dir
from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.sweep.grid import Trial

__all__ = ["data_dirs", "check_data"]


def data_dirs(trials: list[Trial]) -> list[Path]:
    """The distinct data directories the trials read (objectives with a ``data_dir`` option), in order."""
    out: list[Path] = []
    for t in trials:
        info = get_objective(t.spec.objective)
        if any(p.name == "data_dir" for p in info.params):
            root = resolve_data_dir(t.spec.objective_options.get("data_dir"))
            if root not in out:
                out.append(root)
    return out


def check_data(trials: list[Trial], download: bool = True) -> list[Path]:
    """Make sure every data set the trials read is present (extracted; downloaded once when missing and
    ``download``); DataError (a SetupError) otherwise. Returns the directories checked."""
    roots = data_dirs(trials)
    for root in roots:
        prepare(root, download=download)
    return roots
