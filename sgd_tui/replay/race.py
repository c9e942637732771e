"""``sgd-tui --scenario NAME --headless`` for a scenario with a ``[race]`` table: tune, choose, race.

1. The tuning: every run × lr (× momentum / β1) × seed (:attr:`Race.tuning`, a plain sweep) runs through
   the sweep executors (:mod:`sgd_tui.core.sweep.executors`: this process for ``--workers 1``, a pool of
   worker processes by default, Ray tasks with ``--ray``), all at the scenario's budget.
2. The choice (:func:`sgd_tui.core.sweep.race.choose`): per run the grid point with the best median
   criterion over seeds.
3. The race: each run at its hand-picked values and at its tuned point, on fresh seeds, again through the
   executors.

Output: ``tuning.csv`` (``run, lr, [momentum, betas,] seed, final_loss, steps_to_target, status``: every
tuning trial), ``metrics.csv`` (the race's trials), ``race.csv`` (one row per race trial), ``bands.csv``
(median, p10, p90 over the race seeds), ``summary.json`` (per run ``tuned_lr``, its criterion value and
the race's medians, hand-picked and tuned; the winner of each), ``scenario.toml`` (replaying it gives
the same numbers), ``race.txt`` (each run's sensitivity curve with the chosen lr, then the race) and
``loss.txt`` (the race). A trial's numbers depend only on its RunSpec and the thread count per trial,
so any number of workers writes the same files apart from times.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import IO, Any

from sgd_tui import exit_codes
from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.run.control import Control
from sgd_tui.core.run.records import METRICS_COLUMNS
from sgd_tui.core.scenario.model import Scenario
from sgd_tui.core.scenario.write import scenario_to_toml
from sgd_tui.core.sweep import executors as sweep_run
from sgd_tui.core.sweep.grid import Sweep, Trial, value_text
from sgd_tui.core.sweep.race import Choice, Race, choose, criterion_value, race_sweep
from sgd_tui.core.sweep.stats import BANDS_COLUMNS, bands, quantile
from sgd_tui.core.sweep.trials import TrialOutcome, trial_threads
from sgd_tui.core.text import safe_text
from sgd_tui.replay.progress import SweepProgress
from sgd_tui.replay.results_dir import csv_number
from sgd_tui.replay.signals import stop_on_sigint
from sgd_tui.replay.summary import default_out_dir, environment, json_safe, scenario_summary

__all__ = ["replay_race", "race_results", "TUNING_HEAD", "RACE_COLUMNS"]

TUNING_HEAD = ("run", "lr")
TUNING_TAIL = ("seed", "final_loss", "steps_to_target", "status")
RACE_COLUMNS = ("run", "kind", "lr", "seed", "label", "status", "steps", "final_loss", "best_loss",
                "steps_to_target", "samples_to_target", "seconds_to_target", "time_s")


def _run_trials(trials: list[Trial], control: Control, workers: int | None, ray_address: str | None,
                threads: int, bar_stream: IO[str] | None, what: str) -> tuple[int, dict[int, TrialOutcome], str]:
    """Every trial through the sweep executors; (exit code, outcomes by index, where they ran)."""
    if ray_address is not None:
        where = "Ray" + (f" at {ray_address}" if ray_address else "")
        runs = sweep_run.ray_tasks(trials, control, ray_address, threads)
    else:
        n = sweep_run.pool_size(workers, len(trials), threads)
        where = f"{n} worker{'s' if n > 1 else ''} × {threads} thread{'s' if threads > 1 else ''}"
        runs = sweep_run.serial(trials, control, threads) if n == 1 else sweep_run.pool(trials, control, n, threads)
    bar = SweepProgress(bar_stream, len(trials), f"{where} ({what})")
    outcomes: dict[int, TrialOutcome] = {}
    code = exit_codes.OK
    try:
        with stop_on_sigint(control):
            try:
                for o in runs:
                    outcomes[o.index] = o
                    bar.update(o)
                    if o.setup_error and code == exit_codes.OK:
                        bar.note(f"sgd-tui: error: trial {trials[o.index].label!r}: {o.setup_error}")
                        code = exit_codes.BAD_INPUT
                        control.stop()
                    elif o.result.status == "error" and code == exit_codes.OK:
                        code = exit_codes.INTERNAL
            except KeyboardInterrupt:
                control.stop()
                runs.close()
    except sweep_run.RayUnavailable as e:
        bar.note(f"sgd-tui: error: {e}")
        code = exit_codes.BAD_INPUT
    return code, outcomes, where


def replay_race(scenario: Scenario, out_dir: str | Path | None = None, *, progress: IO[str] | None = None,
                workers: int | None = None, ray_address: str | None = None, control: Control | None = None) -> int:
    """Tune every run of ``scenario.race``, race the tuned runs, write the results; the exit code as
    :func:`sgd_tui.replay.run.replay`'s."""
    race = scenario.race
    assert race is not None, "replay_race needs a scenario with a [race] table"
    out = Path(out_dir) if out_dir is not None else default_out_dir(scenario)
    out.mkdir(parents=True, exist_ok=True)
    (out / "scenario.toml").write_text(scenario_to_toml(scenario), encoding="utf-8")
    control = control or Control()
    threads = trial_threads()
    code, tuned, where = _run_trials(race.tuning.trials, control, workers, ray_address, threads, progress, "tuning")
    choices = choose(race.tuning, {i: o.result for i, o in tuned.items()}, race.criterion)
    _write_tuning(out / "tuning.csv", race, tuned)
    raced: dict[int, TrialOutcome] = {}
    rs = race_sweep(race, choices)
    if code == exit_codes.OK and not control.stopped:
        code, raced, _ = _run_trials(rs.trials, control, workers, ray_address, threads, progress, "race")
    if control.stopped and code == exit_codes.OK:
        code = exit_codes.INTERRUPTED
    _write_race(out, rs, raced)
    band_rows = bands(rs, {i: o.records for i, o in raced.items()}, {i: o.result.status for i, o in raced.items()})
    _write_csv(out / "bands.csv", BANDS_COLUMNS, [r._asdict() for r in band_rows])
    runs, winners = race_results(race, choices, rs, {i: o.result for i, o in raced.items()})
    device = next((o.device for o in [*tuned.values(), *raced.values()] if o.device), scenario.device)
    env = environment(scenario, device)
    env.update(executor=where, threads_per_trial=threads)
    summary = {"scenario": scenario_summary(scenario), "environment": env, "exit_code": code,
               "race": {**race.to_table(), "criterion": race.criterion, "lrs": race.lrs, "seeds": race.seeds,
                        "race_seeds": race.race_seeds, "described": race.describe(), "winner": winners},
               "runs": runs}
    summary["scenario"]["race"] = race.to_table()
    (out / "summary.json").write_text(json.dumps(json_safe(summary), indent=2) + "\n", encoding="utf-8")
    _write_plots(out, scenario, choices, rs, band_rows, runs, winners)
    if progress is not None:
        progress.write(_verdict(runs, winners, race.criterion) + f"results in {out}\n")
    return code


def _write_csv(path: Path, columns, rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            w.writerow([csv_number(row[c]) if isinstance(row[c], float) else "" if row[c] is None else row[c]
                        for c in columns])


def _write_tuning(path: Path, race: Race, tuned: dict[int, TrialOutcome]) -> None:
    extra = [k for k in race.tuning.keys if k != "lr"]
    rows = []
    for t in race.tuning.trials:
        o = tuned.get(t.index)
        r = o.result if o is not None else None
        row = {"run": t.run, "lr": float(t.values["lr"]), "seed": t.seed,
               "final_loss": r.final_loss if r is not None else None,
               "steps_to_target": r.steps_to_target if r is not None else None,
               "status": r.status if r is not None else "stopped"}
        for k in extra:
            row[k] = value_text(t.values[k]) if k in t.values else ""
        rows.append(row)
    _write_csv(path, (*TUNING_HEAD, *extra, *TUNING_TAIL), rows)


def _write_race(out: Path, rs: Sweep, raced: dict[int, TrialOutcome]) -> None:
    with open(out / "metrics.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(METRICS_COLUMNS)
        for t in rs.trials:
            o = raced.get(t.index)
            for r in (o.records if o is not None else []):
                w.writerow((t.label, r.step, csv_number(r.epoch), r.samples, f"{r.time_s:.6f}", csv_number(r.loss),
                            csv_number(r.lr), csv_number(r.grad_norm), csv_number(r.x), csv_number(r.y)))
    rows = []
    for t in rs.trials:
        o = raced.get(t.index)
        r = o.result if o is not None else None
        run, kind = t.run.rsplit(" ", 1)
        rows.append({"run": run, "kind": kind, "lr": float(t.values["lr"]), "seed": t.seed, "label": t.label,
                     "status": r.status if r else "stopped", "steps": r.steps if r else 0,
                     "final_loss": r.final_loss if r else None, "best_loss": r.best_loss if r else None,
                     "steps_to_target": r.steps_to_target if r else None,
                     "samples_to_target": r.samples_to_target if r else None,
                     "seconds_to_target": r.seconds_to_target if r else None, "time_s": r.time_s if r else 0.0})
    _write_csv(out / "race.csv", RACE_COLUMNS, rows)


def _stats(values: list[float | None]) -> dict[str, float | None]:
    present = sorted(v for v in values if v is not None)
    if not present:
        return {"median": None, "p10": None, "p90": None}
    return {"median": quantile(present, 0.5), "p10": quantile(present, 0.1), "p90": quantile(present, 0.9)}


def race_results(race: Race, choices: list[Choice], rs: Sweep, results: dict[int, Any]) -> tuple[list[dict], dict]:
    """summary.json's runs (one per scenario run: hand-picked and tuned values, the criterion at the tuned
    point, the race's medians and p10/p90 over the fresh seeds) and the winner of each race."""
    runs = []
    score: dict[str, list[tuple[float, float, str]]] = {"hand": [], "tuned": []}
    for hand, ch in zip(race.hand, choices):
        d: dict[str, Any] = {"label": ch.run, "optimizer": hand.optimizer, "objective": hand.objective,
                             "hand_lr": hand.hyper.get("lr"), "tuned_lr": ch.lr,
                             "tuned": {k: v for k, v in ch.best.values.items()}, "criterion": race.criterion,
                             "criterion_value": ch.best.score, "tuning_final_loss": ch.best.final_median,
                             "at_grid_edge": ch.lr in (min(race.lrs), max(race.lrs)) and len(race.lrs) > 1,
                             "tuning": [{"values": p.values, "score": p.score, "per_seed": p.per_seed,
                                         "diverged": p.diverged} for p in ch.points]}
        for kind in ("hand", "tuned"):
            members = [t for t in rs.trials if t.run == f"{ch.run} {kind}"]
            res = [results.get(t.index) for t in members]
            crit = [criterion_value(r, race.criterion) for r in res]
            finals = [criterion_value(r, "final_loss") for r in res]
            stats = {"final_loss": _stats(finals), race.criterion: _stats(crit),
                     "statuses": [r.status if r is not None else "stopped" for r in res]}
            if race.criterion != "steps_to_target" and hand.budget.get("target_loss") is not None:
                stats["steps_to_target"] = _stats([criterion_value(r, "steps_to_target") for r in res])
            d[f"race_{kind}"] = stats
            med = stats[race.criterion]["median"]
            fin = stats["final_loss"]["median"]
            score[kind].append((math.inf if med is None else med, math.inf if fin is None else fin, ch.run))
        runs.append(d)
    winners = {kind: min(v)[2] if v else None for kind, v in score.items()}
    return runs, winners


def _verdict(runs: list[dict], winners: dict, criterion: str) -> str:
    lines = [f"{'run':<24} {'hand lr':>9} {'median':>11}   {'tuned lr':>9} {'median':>11} (race seeds, {criterion})"]
    for d in runs:
        h, t = d["race_hand"][criterion]["median"], d["race_tuned"][criterion]["median"]
        lines.append(f"{d['label'][:24]:<24} {d['hand_lr']:>9.3g} {_num(h):>11}   {d['tuned_lr']:>9.3g} {_num(t):>11}")
    missed = [d["label"] for d in runs if d["criterion_value"] is None or math.isinf(d["criterion_value"])]
    if missed:
        lines.append(f"no lr gave a finite median {criterion} (chosen by the median final loss instead): " + ", ".join(missed))
    edge = [d["label"] for d in runs if d.get("at_grid_edge")]
    if edge:
        lines.append("chosen at the edge of the lr grid (the best may lie outside it: widen the grid): " + ", ".join(edge))
    lines.append(f"winner at the hand-picked lr: {winners['hand']}; after tuning: {winners['tuned']}")
    return "\n".join(lines) + "\n"


def _num(v: float | None) -> str:
    return "–" if v is None else f"{v:.4g}"


def _write_plots(out: Path, s: Scenario, choices: list[Choice], rs: Sweep, band_rows, runs: list[dict],
                 winners: dict) -> None:
    from sgd_tui.plotting.raceplot import tuning_plot  # lazy: plotext
    from sgd_tui.plotting.sweepplot import band_plot, band_series  # lazy: plotext

    race = s.race
    name = safe_text(s.title if len(s.title) <= 40 else s.name, newlines=False)
    by_samples = any(get_objective(t.spec.objective).has_data for t in rs.trials)
    x = "samples" if by_samples else "step"
    sens = tuning_plot(choices, criterion=race.criterion,
                       title=f"{name}: tuning, {race.criterion.replace('_', ' ')} against lr, {len(race.seeds)} seeds")
    panels = []
    for kind in ("tuned", "hand"):
        series = [b for ch in choices for b in band_series(rs, band_rows, f"{ch.run} {kind}", x)]
        if series:
            what = "tuned lr" if kind == "tuned" else "hand-picked lr"
            panels.append(band_plot(series, title=f"{name}: the race at the {what}, {len(race.race_seeds)} fresh seeds",
                                    xlabel="# of samples" if by_samples else "step"))
    race_text = "\n".join(panels) or "(no race trial logged a loss)\n"
    verdict = _verdict(runs, winners, race.criterion) if runs else ""
    (out / "race.txt").write_text(safe_text(sens + "\n" + verdict + "\n" + race_text), encoding="utf-8")
    (out / "loss.txt").write_text(safe_text(race_text), encoding="utf-8")
