"""The loss-landscape slice of a headless replay: landscape.csv, landscape_paths.csv and landscape.txt.

Kept out of :mod:`sgd_tui.replay.run` (as :mod:`sgd_tui.replay.theory` is) so the replay loop calls one
function, :func:`write_landscape`, after the runs when the scenario has a ``[landscape]`` table. Never
imports textual.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from sgd_tui.core.run.engine import Runner
from sgd_tui.core.scenario.model import Scenario
from sgd_tui.core.text import safe_text
from sgd_tui.replay.results_dir import csv_number, csv_text, write_whole

__all__ = ["write_landscape"]


def write_landscape(out: Path, s: Scenario, runners: list[Runner], bar: Any) -> dict | None:
    """landscape.csv (a,b,loss), landscape_paths.csv (run,step,a,b,off_plane) and landscape.txt (the slice's
    contours with the paths); returns what summary.json records of it (None when no plane could be made)."""
    from sgd_tui.core.maps.landscape import PlaneError, compute_landscape  # lazy: torch
    from sgd_tui.plotting.textplot import trajectory_plot  # lazy: numpy

    spec = s.landscape
    try:
        land = compute_landscape(runners, mode=spec["mode"], runs=spec["runs"], resolution=spec["resolution"],
                                 subset=spec["subset"], margin=spec["margin"], radius=spec["radius"], seed=s.seed)
    except PlaneError as e:
        bar.note(f"sgd-tui: no loss landscape: {e}")
        return {"error": str(e)}
    sl = land.slice
    write_whole(out / "landscape.csv", csv_text(("a", "b", "loss"), ((csv_number(a), csv_number(b), csv_number(loss))
                                                                   for a, b, loss in sl.rows())))
    write_whole(out / "landscape_paths.csv", csv_text(
        ("run", "step", "a", "b", "off_plane"),
        ((label, p.step, csv_number(p.a), csv_number(p.b), csv_number(p.off_plane))
         for label, points in land.paths.items() for p in points)))
    a0, a1, b0, b1 = sl.a_values[0], sl.a_values[-1], sl.b_values[0], sl.b_values[-1]

    def nearest(xs, ys):
        import numpy as np  # lazy: numpy

        grid = np.asarray(sl.loss, dtype=float)
        ia = np.clip(np.rint((np.asarray(xs) - a0) / (a1 - a0) * (len(sl.a_values) - 1)), 0, len(sl.a_values) - 1)
        ib = np.clip(np.rint((np.asarray(ys) - b0) / (b1 - b0) * (len(sl.b_values) - 1)), 0, len(sl.b_values) - 1)
        return grid[np.ix_(ib.astype(int), ia.astype(int))]

    anchors = ", ".join(f"{name} at ({a:g}, {b:g})" for name, a, b in sl.plane.anchors)
    if sl.plane.kind == "three_points":
        title = "Training loss on a plane through three weights"
        about = f"θ(a, b) = start + a·({sl.plane.anchors[1][0]} - start) + b·({sl.plane.anchors[2][0]} - start)"
        xl, yl = f"a (towards {sl.plane.anchors[1][0]})", f"b (towards {sl.plane.anchors[2][0]})"
    else:
        title = "Training loss around one run (random directions)"
        about = f"θ(a, b) = {sl.plane.anchors[0][0]} + a·d + b·e, d and e filter-normalised (Li et al. 2018)"
        xl, yl = "a (direction d)", "b (direction e)"
    paths = [(label, [p.a for p in pts], [p.b for p in pts]) for label, pts in land.paths.items()]
    text = trajectory_plot(paths, bounds=((a0, a1), (b0, b1)), grid=nearest, start=(0.0, 0.0), title=title,
                           xlabel=xl, ylabel=yl)
    lines = [text, about, "anchors: " + anchors + "; loss there: "
             + ", ".join(f"{sl.at(a, b):.4g}" for _, a, b in sl.plane.anchors),
             f"grid {len(sl.a_values)} x {len(sl.b_values)}, loss from {min(v for *_, v in sl.rows()):.4g} "
             f"to {max(v for *_, v in sl.rows()):.4g}", "",
             "distance off the plane (largest along the path, at the end):"]
    for label, pts in land.paths.items():
        offs = [p.off_plane for p in pts]
        lines.append(f"  {label}: {max(offs):.4g}, {offs[-1]:.4g}" if offs else f"  {label}: no snapshots")
    write_whole(out / "landscape.txt", safe_text("\n".join(lines) + "\n"))
    finite = [v for _, _, v in sl.rows() if math.isfinite(v)]
    return {"mode": spec["mode"], "runs": spec["runs"], "resolution": spec["resolution"],
            "anchors": [{"name": n, "a": a, "b": b, "loss": sl.at(a, b)} for n, a, b in sl.plane.anchors],
            "min_loss": min(finite) if finite else None, "max_loss": max(finite) if finite else None,
            "seconds": land.seconds}
