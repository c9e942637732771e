"""The theory numbers and basin maps of a headless replay (summary.json's ``theory``, basin.csv, basins.txt).

Kept out of :mod:`sgd_tui.replay.run` so the replay loop only calls three functions: :func:`theory_start`
when a 2-D run is built, :func:`theory_end` when it ends, and :func:`write_basins` after the runs when
the scenario has a ``[basins]`` table. Never imports textual.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

from sgd_tui.core.maps.basins import BasinMap, basin_map
from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.theory.quadratic import method_of, theory_of, theory_of_runner
from sgd_tui.plotting.textplot import basin_plot
from sgd_tui.replay.results_dir import csv_text, write_whole

__all__ = ["theory_start", "theory_end", "write_basins", "central_flow_summary"]

BASIN_COLUMNS = ("x0", "y0", "x", "y", "minimum", "status", "steps")


def theory_start(runner) -> dict[str, Any] | None:
    """The theory at a 2-D run's start (its lr before any step), as summary.json writes it."""
    if not runner.problem.is_2d:
        return None
    spec = runner.spec
    return theory_of(runner.problem, spec.optimizer, spec.hyper, runner.lr, point=runner.problem.start,
                     objective=spec.objective, options=spec.objective_options).to_dict()


def theory_end(runner, records: Sequence) -> dict[str, Any] | None:
    """The theory at a 2-D run's last point with its lr after the schedule; ``records`` (the run's logged
    rows) give the last update for the adaptive methods' effective step when the last two are one step
    apart."""
    if not runner.problem.is_2d:
        return None
    previous = None
    if len(records) >= 2 and records[-1].step - records[-2].step == 1 and records[-1].step == runner.step:
        previous = (records[-2].x, records[-2].y)
    return theory_of_runner(runner, previous=previous).to_dict()


def write_basins(out: Path, scenario, runners: list, cancelled: Callable[[], bool]) -> dict[str, dict]:
    """basin.csv (a ``run`` column first when several runs have a map) and basins.txt for every run on a
    surface objective; returns each mapped run's summary (minima, shares) by label."""
    settings = scenario.basins or {}
    mapped: list[tuple[Any, BasinMap]] = []
    for r in runners:
        spec = r.spec
        if get_objective(spec.objective).kind != "surface":
            continue
        b = basin_map(spec.objective, spec.objective_options, spec.optimizer, spec.hyper,
                      resolution=settings.get("resolution") or 64, steps=settings.get("steps") or r.total_steps,
                      settings=spec.settings, seed=spec.seed, tolerance=settings.get("tolerance"),
                      max_loss=r.max_loss, cancelled=cancelled)
        if b is None:  # interrupted
            break
        mapped.append((spec, b))
    if not mapped:
        return {}
    several = len(mapped) > 1
    write_whole(out / "basin.csv", csv_text((("run",) if several else ()) + BASIN_COLUMNS, (
        ((spec.label,) if several else ()) + tuple(repr(v) if isinstance(v, float) else v for v in row)
        for spec, b in mapped for row in b.rows())))
    panels = [basin_plot(b, title=f"{get_objective(spec.objective).title}: basins of {spec.label}")
              for spec, b in mapped]
    write_whole(out / "basins.txt", "\n".join(panels))
    return {spec.label: b.summary() for spec, b in mapped}


def central_flow_summary(runner, records: Sequence) -> dict[str, Any] | None:
    """summary.json's ``central_flow`` of a GD run (constant step, no gradient noise) on a surface whose
    central flow is known in closed form (edge_valley, :mod:`sgd_tui.core.theory.central_flow`): the
    flow's edge step, ȳ, E[x²] = σ² and time-averaged loss at the edge, against the run's own means over
    the logged points of its last third (``records``)."""
    surface = getattr(runner.problem, "surface", None)
    flow_of = getattr(surface, "central_flow", None)
    spec = runner.spec
    if flow_of is None or method_of(spec.optimizer, runner.hyper)[0] != "gd" or getattr(runner.problem, "noise", 0):
        return None
    if (spec.settings.get("schedule") or "constant") != "constant" or spec.changes or runner.step == 0:
        return None
    flow = flow_of(runner.problem.start, runner.lr, runner.step, max(1, runner.step))
    tail = [r for r in records if r.step >= 2 * runner.step / 3 and r.x is not None]
    out: dict[str, Any] = {"edge_step": flow.edge_step, "y": flow.edge_y, "e_x2": flow.edge_variance,
                           "loss": flow.edge_loss}
    if tail and flow.edge_step is not None:
        n = len(tail)
        out["measured"] = {"y": sum(r.y for r in tail) / n, "e_x2": sum(r.x * r.x for r in tail) / n,
                           "loss": sum(r.loss for r in tail) / n, "points": n}
    return out
