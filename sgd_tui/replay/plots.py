"""A replay's text plots: ``loss.txt`` (as the scenario's [view] shows it: x axis, log or linear y, f or
the gap f − f*, the log floor, ending at the budget), ``trajectory.txt`` (2-D objectives),
``sharpness.txt`` (λmax per run against its stability limit, when the budget measures it) and
``fit.txt`` (a 1-D regression network's curve at the end against its training points); and the line
:func:`run_extras` adds to a finished run's printed summary (test accuracy, λmax against 2/α)."""

from __future__ import annotations

import json

from sgd_tui.core.objectives.data import is_synthetic
from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.run.engine import Runner
from sgd_tui.core.run.fit import network_fit
from sgd_tui.core.run.records import EvalRecord, SharpnessRecord
from sgd_tui.core.scenario.model import Scenario
from sgd_tui.core.text import safe_text
from sgd_tui.plotting.budget import budget_ends
from sgd_tui.replay.results_dir import ResultsDir, ResultWriter, write_whole
from sgd_tui.replay.summary import lecture_title

__all__ = ["write_plots", "run_extras", "loss_x_key"]

_X_LABELS = {"step": "step", "samples": "# of samples", "epoch": "epoch", "time": "time (s)"}


def loss_x_key(s: Scenario, runners: list[Runner]) -> str:
    """The x axis of loss.txt: the [view]'s when it names one other than the default (step), else samples
    where a run has a training set (the lecture's plots), else step."""
    x = s.view.get("x", "step")
    if x != "step":
        return x
    return "samples" if any(get_objective(r.spec.objective).has_data for r in runners) else "step"


def _f_star(r: Runner) -> float | None:
    """The minimum value of a 2-D run's objective (None for a network, or when it cannot be had)."""
    if not r.problem.is_2d:
        return None
    try:
        return float(r.problem.min_value)
    except Exception:  # noqa: BLE001 - no gap for this objective: loss.txt shows f
        return None


def write_plots(folder: ResultsDir, s: Scenario, runners: list[Runner], writer: ResultWriter) -> None:
    from sgd_tui.plotting.textplot import loss_plot, trajectory_plot  # lazy: numpy

    x = loss_x_key(s, runners)
    view = s.view
    kept = {label: history.records() for label, history in writer.series.items()}
    by_label = {r.spec.label: r for r in runners}
    stars = {label: _f_star(by_label[label]) if label in by_label else None for label in kept}
    log = view.get("y", "log") == "log"
    gap = view.get("loss", "auto") == "gap" or (view.get("loss", "auto") == "auto" and log)
    gap = gap and any(v is not None for v in stars.values())

    def xs_of(label, recs):
        r = by_label.get(label)
        n = r.problem.n_train if r is not None else None
        if x == "epoch" and n:
            return [rec.samples / n for rec in recs]
        return [getattr(rec, {"time": "time_s"}.get(x, x)) for rec in recs]

    series = [(safe_text(label, newlines=False), xs_of(label, recs),
               [None if rec.loss is None else rec.loss - ((stars[label] or 0.0) if gap else 0.0) for rec in recs])
              for label, recs in kept.items()]
    ends = [budget_ends(r.spec, r.problem.n_train).get(x) for r in runners]
    x_end = max(ends) if ends and all(e is not None for e in ends) else None
    by_samples = any(get_objective(r.spec.objective).has_data for r in runners)
    one_dataset = len(runners) == 1 and get_objective(runners[0].spec.objective).kind == "dataset"
    title = lecture_title(runners[0].spec) if one_dataset else s.title
    synthetic = any(r.info.has_data and is_synthetic(r.spec.objective_options.get("data_dir")) for r in runners)
    if synthetic:
        title += " [SYNTHETIC data, not FashionMNIST]"
    ylabel = "f − f*" if gap else ("training loss" if by_samples else "loss")
    text = loss_plot(series, title=safe_text(title, newlines=False), xlabel=_X_LABELS.get(x, x), ylabel=ylabel,
                     log=None if log else False, floor=float(view.get("y_floor") or 0.0), x_end=x_end,
                     diverged=[safe_text(r.spec.label, newlines=False) for r in runners if r.status == "diverged"])
    if synthetic:  # a long title may be left off by the plot: the first line says it too
        text = "SYNTHETIC data (sgd-tui --synthetic-data), not FashionMNIST: these are not FashionMNIST results\n" + text
    write_whole(folder.file("loss.txt"), safe_text(text))  # users `cat` it: never raw controls

    # trajectories: one panel per distinct 2-D objective (a scenario may compare objectives)
    groups: dict[str, list[Runner]] = {}
    for r in runners:
        if r.problem.is_2d:
            key = json.dumps([r.spec.objective, r.spec.objective_options], sort_keys=True, default=str)
            groups.setdefault(key, []).append(r)
    panels = []
    for members in groups.values():
        p = members[0].problem
        info = get_objective(members[0].spec.objective)
        paths = [(safe_text(r.spec.label, newlines=False), [q.x for q in kept.get(r.spec.label, [])],
                  [q.y for q in kept.get(r.spec.label, [])]) for r in members]
        xl, yl = ("w (slope)", "b (intercept)") if info.kind == "regression" else ("x", "y")
        panels.append(trajectory_plot(paths, bounds=p.bounds, grid=p.grid, minima=p.minima, start=p.start,
                                      title=f"{info.title} ({info.name}): paths of the runs", xlabel=xl,
                                      ylabel=yl))
    if panels:
        write_whole(folder.file("trajectory.txt"), safe_text("\n".join(panels)))
    if writer.sharpness:
        write_whole(folder.file("sharpness.txt"), safe_text(sharpness_text(s, writer.sharpness)))
    fits = [(r, network_fit(r.problem)) for r in runners]
    fits = [(r, f) for r, f in fits if f is not None]
    if fits:
        from sgd_tui.plotting.textplot import fit_plot  # lazy: numpy

        data = (fits[0][1].data_x, fits[0][1].data_y)
        curves = [(safe_text(r.spec.label, newlines=False), f.xs, f.ys) for r, f in fits]
        info = get_objective(fits[0][0].spec.objective)
        text = fit_plot(data, curves, title=f"{info.title}: the networks' fits at the end")
        write_whole(folder.file("fit.txt"), safe_text(text))


def sharpness_text(s: Scenario, rows: dict[str, list[SharpnessRecord]]) -> str:
    """λmax of every run against the step, with each run's stability limit (2/α for GD) as a line of ``-``;
    an adaptive run's preconditioned sharpness P⁻¹H against its limit, and its raw λmax beside it."""
    from sgd_tui.plotting.textplot import sharpness_plot  # lazy: numpy

    series = []
    for label, rs in rows.items():
        name = safe_text(label, newlines=False)
        pre = [r for r in rs if r.preconditioned is not None]
        if pre:  # an adaptive run: its limit is on the preconditioned sharpness P⁻¹H; raw λmax drawn beside it
            series.append((f"{name}: P⁻¹H", [r.step for r in pre], [r.preconditioned for r in pre],
                           [r.limit for r in pre]))
            series.append((f"{name}: λmax", [r.step for r in rs], [r.lambda_max for r in rs], [None] * len(rs)))
        else:
            series.append((name, [r.step for r in rs], [r.lambda_max for r in rs], [r.limit for r in rs]))
    title = "λmax of the training loss's Hessian against the stability limit"
    return sharpness_plot(series, title=title if len(s.title) > 60 else f"{s.title}: λmax", xlabel="step")


def run_extras(evals: list[EvalRecord] | None, sharp: list[SharpnessRecord] | None) -> str:
    """What a finished run's printed line adds to its final loss: the last test accuracy and test loss, and
    the last λmax against its stability limit (``λmax 9.41 = 0.47 × 2/α (20)``)."""
    parts = []
    if evals:
        e = evals[-1]
        if e.test_accuracy is not None:
            parts.append(f"test accuracy {100 * e.test_accuracy:.2f}%")
        if e.test_loss is not None:
            parts.append(f"test loss {e.test_loss:.4g}")
    if sharp:
        last = sharp[-1]
        if last.preconditioned is not None:  # adaptive: the limit is on P⁻¹H
            text = f"P⁻¹H {last.preconditioned:.4g}"
            if last.limit:
                text += f" = {last.preconditioned / last.limit:.2f} × its limit ({last.limit:.3g})"
            text += f", raw λmax {last.lambda_max:.4g}"
        else:
            text = f"λmax {last.lambda_max:.4g}"
            if last.limit:
                text += f" = {last.lambda_max / last.limit:.2f} × 2/α ({last.limit:.3g})"
        parts.append(text)
    return ", ".join(parts)
