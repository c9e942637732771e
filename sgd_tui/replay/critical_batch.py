"""A sweep's critical batch in the replay: the fit of :mod:`sgd_tui.core.sweep.critical_batch` over its
trials' steps to target, written to summary.json (``critical_batch``) and drawn to ``critical_batch.txt``
(steps S(B) and examples E(B) against the batch size, measured points and the fitted curves, log-log),
with one line on the progress stream giving B_crit beside the measured B_simple when there is one."""

from __future__ import annotations

from typing import Any, Callable

from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.scenario.model import Scenario
from sgd_tui.core.sweep.critical_batch import critical_batch_from_sweep, samples_curve, steps_curve
from sgd_tui.core.text import safe_text
from sgd_tui.replay.results_dir import ResultsDir, write_whole

__all__ = ["write_critical_batch", "critical_batch_text", "critical_batch_line"]


def critical_batch_line(cb: dict[str, Any]) -> str:
    """One line: B_crit, S_min, E_min, and the measured B_simple when the trials measured it."""
    text = (f"critical batch B_crit = {cb['b_crit']:.3g} (S_min = {cb['s_min']:.4g} steps, E_min = {cb['e_min']:.4g} "
            f"examples; fit rms {100 * cb['rms_log_error']:.1f}%)")
    if not cb["resolved"]:
        text += " - not resolved: every batch size measured is in one regime"
    if cb.get("b_simple_median") is not None:
        text += f"; measured B_simple (median of the trials' last) = {cb['b_simple_median']:.3g}"
    return text


def critical_batch_text(cb: dict[str, Any], title: str) -> str:
    from sgd_tui.plotting.loglog import loglog_plot  # lazy: numpy, plotext

    pts = cb["measured"]
    bs = [p["batch"] for p in pts]
    lo, hi = min(bs) / 2, max(bs) * 2
    grid = [lo * (hi / lo) ** (k / 60) for k in range(61)]
    s_min, b_crit = cb["s_min"], cb["b_crit"]
    parts = [loglog_plot([("fit S(B) = S_min (1 + B_crit/B)", grid, [steps_curve(b, s_min, b_crit) for b in grid])],
                         [("measured steps to target", bs, [p["steps"] for p in pts])],
                         title=f"{title}: steps to target", xlabel="batch size B", ylabel="steps S"),
             loglog_plot([("fit E(B) = E_min (1 + B/B_crit)", grid, [samples_curve(b, s_min, b_crit) for b in grid])],
                         [("measured examples to target", bs, [p["samples"] for p in pts])],
                         title=f"{title}: examples to target", xlabel="batch size B", ylabel="examples E")]
    return "\n".join(parts) + critical_batch_line(cb) + f"\n(lr: {cb['lr_choice']})\n"


def write_critical_batch(folder: ResultsDir, s: Scenario, outcomes: dict[int, Any], note: Callable[[str], None]
                         ) -> dict[str, Any] | None:
    """The fit (or None: no trial has steps to target), its plot in critical_batch.txt, its line on ``note``."""
    sweep = s.sweep
    first = sweep.trials[0].spec if sweep.trials else None
    n_train = get_objective(first.objective).train_size(first.objective_options) if first is not None else None
    cb = critical_batch_from_sweep(sweep.trials, outcomes, n_train)
    if cb is None:
        return None
    name = safe_text(s.title if len(s.title) <= 50 else s.name, newlines=False)
    write_whole(folder.file("critical_batch.txt"), safe_text(critical_batch_text(cb, name)))
    note(critical_batch_line(cb))
    return cb
