"""The noisy quadratic model's report (:mod:`sgd_tui.core.theory.noisy_quadratic`), as plain text:

1. the expected loss of SGD and heavy ball in closed form against a Monte-Carlo simulation of the same model
   (the mean of many runs), at a few batch sizes: they agree within a few percent (the largest relative gap
   is printed);
2. the steps to a target loss (5% and 1% of the initial loss) against the batch size, α (and β for heavy
   ball) tuned per batch size, with the critical-batch fit S(B) = S_min (1 + B_crit/B)
   (:func:`sgd_tui.core.sweep.critical_batch.fit_critical_batch`): steps halve per doubled batch while it is
   small, and stop falling past B_crit; a harder target and momentum both push B_crit up.

``python -m sgd_tui.replay.nqm [--out FILE]`` prints it (or writes FILE); it takes about ten seconds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from sgd_tui.core.sweep.critical_batch import BatchPoint, fit_critical_batch, steps_curve
from sgd_tui.core.theory.noisy_quadratic import default_nqm, expected_loss, simulate_loss, steps_to_target
from sgd_tui.plotting.loglog import loglog_plot
from sgd_tui.replay.results_dir import write_whole

__all__ = ["BATCHES", "TARGETS", "critical_batches", "nqm_report", "main"]

BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096)
TARGETS = (0.05, 0.01)  # fractions of the initial loss
LRS = np.geomspace(1e-3, 4.0, 56)
MOMENTA = {"SGD": (0.0,), "heavy ball": (0.0, 0.5, 0.9, 0.95, 0.99)}


def critical_batches(nqm=None, batches=BATCHES, targets=TARGETS) -> list[dict[str, Any]]:
    """Per method and target: the tuned steps to target at each batch size and the fit."""
    nqm = nqm or default_nqm()
    l0 = float(nqm.loss(nqm.theta0**2))
    out = []
    for frac in targets:
        for method, momenta in MOMENTA.items():
            pts = []
            for b in batches:
                s, lr, beta = steps_to_target(nqm, b, frac * l0, LRS, momenta, 400_000)
                if s is not None:
                    pts.append(BatchPoint(b, s, b * s, lr))
            out.append({"method": method, "target": frac, "points": pts, "fit": fit_critical_batch(pts)})
    return out


def nqm_report(runs: int = 2000, width: int = 100) -> str:
    nqm = default_nqm()
    parts = []
    worst = 0.0
    curves, dots = [], []
    for method, beta, lr in (("SGD", 0.0, 0.1), ("heavy ball β 0.9", 0.9, 0.02)):
        for b in (1, 16):
            exact = expected_loss(nqm, lr, b, 400, beta)
            sim = simulate_loss(nqm, lr, b, 400, beta, runs=runs, seed=b)
            worst = max(worst, float(np.max(np.abs(sim / exact - 1))))
            t = np.arange(1, 401)
            curves.append((f"{method}, α {lr}, B {b}: closed form", t, exact[1:]))
            dots.append((f"{method}, α {lr}, B {b}: simulated ({runs} runs)", t[::20], sim[1::20]))
    parts.append(loglog_plot(curves, dots, title="Noisy quadratic model: expected loss, closed form vs simulation",
                             xlabel="step", ylabel="loss", width=width))
    parts.append(f"largest relative gap between closed form and simulation: {100 * worst:.2f}%\n")
    for row in critical_batches(nqm):
        pts, fit = row["points"], row["fit"]
        bs = [p.batch for p in pts]
        grid = np.geomspace(min(bs), max(bs), 60)
        title = f"{row['method']}: steps to {100 * row['target']:g}% of the initial loss (α tuned per B)"
        parts.append(loglog_plot([("fit S_min (1 + B_crit/B)", grid, [steps_curve(b, fit.s_min, fit.b_crit) for b in grid])],
                                 [("tuned steps", bs, [p.steps for p in pts])], title=title, xlabel="batch size B",
                                 ylabel="steps", width=width))
        steps = ", ".join(f"B {p.batch:g}: {p.steps:g}" for p in pts)
        parts.append(f"B_crit = {fit.b_crit:.3g}, S_min = {fit.s_min:.4g} (fit rms {100 * fit.rms_log_error:.1f}%)\n"
                     f"steps: {steps}\n")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sgd_tui.replay.nqm", description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="write the report to this file (default: print it)")
    ap.add_argument("--runs", type=int, default=2000, help="simulated runs per curve (default 2000)")
    args = ap.parse_args(argv)
    text = nqm_report(args.runs)
    if args.out:
        write_whole(Path(args.out), text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
