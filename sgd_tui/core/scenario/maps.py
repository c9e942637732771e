"""A scenario's optional map tables, checked against the runs they map: ``[basins]`` (basins of attraction
over a grid of starts, :mod:`sgd_tui.core.maps.basins`) and ``[landscape]`` (a 2-D slice of a network's training
loss, :mod:`sgd_tui.core.maps.landscape`). Called by :func:`sgd_tui.core.scenario.parse.parse_scenario` once the runs are
resolved; every problem goes to its :class:`~sgd_tui.core.scenario.check.Checker` at the table's key.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.run.settings import basin_issues
from sgd_tui.core.run.spec import BASIN_PARAMS, LANDSCAPE_PARAMS, RunSpec
from sgd_tui.core.scenario.check import Checker

__all__ = ["basins_table", "landscape_table", "landscape_issues", "BASIN_KEYS", "kept_tables"]

BASIN_KEYS = {p.name: p for p in BASIN_PARAMS}


def basins_table(c: Checker, raw: Any, runs: list[RunSpec]) -> dict[str, Any]:
    """[basins]: the map's settings, each checked; settings.basin_issues says which runs it can map."""
    out = {p.name: p.default for p in BASIN_PARAMS}
    for k, v in c.table(raw, "basins").items():
        if k in BASIN_KEYS:
            out[k] = c.check(BASIN_KEYS[k], v, f"basins.{k}")
        else:
            c.unknown(f"basins.{k}", list(BASIN_KEYS), "[basins]")
    for key, message in basin_issues([get_objective(r.objective) for r in runs]):
        c.add(key, message)
    return out


def landscape_issues(runs: list[RunSpec]) -> list[str]:
    """Why ``runs`` cannot share a loss-landscape slice (empty: they can): each needs a training set, and
    all must train one objective with the same options (one start, one weight space). The validator and
    the app's save (:func:`kept_tables`) ask the same question here."""
    issues = []
    no_data = next((r.objective for r in runs if not get_objective(r.objective).has_data), None)
    if no_data is not None:
        issues.append(f"a loss-landscape slice needs a training set; {no_data} has none")
    if len({(r.objective, json.dumps(r.objective_options, sort_keys=True, default=str)) for r in runs}) > 1:
        issues.append("every run must train the same objective with the same options (one start, one weight "
                      "space) to share a slice")
    return issues


def landscape_table(c: Checker, raw: dict, runs: list[RunSpec]) -> dict[str, Any]:
    """The [landscape] table: LANDSCAPE_PARAMS and ``runs`` (labels of the runs the plane goes through, or
    the one run the random directions are centred on). The runs must share objective and options (one
    start, one parameter space) and have a training set; every run then keeps weight snapshots for its
    path (budget.snapshot_every, 1 unless set: thinned to bounded memory)."""
    known = {p.name: p for p in LANDSCAPE_PARAMS}
    out: dict[str, Any] = {p.name: p.default for p in LANDSCAPE_PARAMS}
    for k, v in raw.items():
        if k == "runs":
            continue
        if k not in known:
            c.unknown(f"landscape.{k}", ["runs", *known], "[landscape]")
            continue
        out[k] = c.check(known[k], v, f"landscape.{k}")
    labels = [r.label for r in runs]
    want = 2 if out["mode"] == "plane" else 1
    names = raw.get("runs")
    if names is None:
        names = labels[:want]
    elif not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        c.add("landscape.runs", f"must be a list of run labels, e.g. {json.dumps(labels[:want])}")
        names = labels[:want]
    if len(names) != want:
        c.add("landscape.runs", f"mode \"{out['mode']}\" needs {want} run label{'s' if want > 1 else ''} "
                                f"({'the plane goes through the start and their weights' if want > 1 else 'the directions are centred on its weights'}); "
                                f"got {len(names)}")
    for n in names:
        if n not in labels:
            hint = difflib.get_close_matches(n, labels, n=1)
            c.add("landscape.runs", f"no run labelled {n!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
                  + "; runs: " + ", ".join(labels))
    out["runs"] = list(names)
    for message in landscape_issues(runs):
        c.add("landscape", message)
    for r in runs:
        if r.budget.get("snapshot_every") is None:
            r.budget["snapshot_every"] = 1
    return out


def kept_tables(runs: list[RunSpec], landscape: dict[str, Any] | None,
                basins: dict[str, Any] | None) -> tuple[dict[str, Any] | None, dict[str, Any] | None, list[str]]:
    """A loaded scenario's [landscape] and [basins] tables fitted to the runs it is saved with (the app's
    runs may have been renamed, removed or moved to another objective): (landscape, basins, notes). A
    [landscape] keeps the labels of its runs that are still there and fills the rest from the other runs
    in order; a table that can no longer apply is dropped, and a note says why."""
    notes: list[str] = []
    if basins is not None and basin_issues([get_objective(r.objective) for r in runs]):
        notes.append("[basins] not saved: no run is on a surface objective any more")
        basins = None
    if landscape is None:
        return None, basins, notes
    labels = [r.label for r in runs]
    want = 2 if landscape.get("mode", "plane") == "plane" else 1
    why = next(iter(landscape_issues(runs)), "")
    if not why and len(labels) < want:
        why = f"mode \"{landscape.get('mode', 'plane')}\" needs {want} runs"
    if why:
        notes.append(f"[landscape] not saved: {why}")
        return None, basins, notes
    names = [n for n in dict.fromkeys(landscape.get("runs") or []) if n in labels][:want]
    names += [n for n in labels if n not in names][: want - len(names)]
    if names != list(landscape.get("runs") or names):
        notes.append("[landscape] runs: " + ", ".join(names))
    return {**landscape, "runs": names}, basins, notes
