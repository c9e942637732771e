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

import json
from pathlib import Path
from typing import IO

from sgd_tui import exit_codes
from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.run.control import Control
from sgd_tui.core.run.records import METRICS_COLUMNS
from sgd_tui.core.scenario.model import Scenario
from sgd_tui.core.scenario.write import scenario_to_toml
from sgd_tui.core.sweep import executors as sweep_run
from sgd_tui.core.sweep.grid import Sweep, Trial, value_text
from sgd_tui.core.sweep.race import Choice, Race, choose, race_results, race_sweep, verdict_text
from sgd_tui.core.sweep.stats import BANDS_COLUMNS, bands
from sgd_tui.core.sweep.trials import TrialOutcome, trial_threads
from sgd_tui.core.text import safe_text
from sgd_tui.replay.progress import SweepProgress
from sgd_tui.replay.results_dir import csv_number, csv_text, write_whole
from sgd_tui.replay.signals import stop_on_sigint
from sgd_tui.replay.summary import default_out_dir, environment, json_safe, scenario_summary

__all__ = ["replay_race", "write_race_results", "TUNING_HEAD", "RACE_COLUMNS"]

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
    write_whole(out / "scenario.toml", scenario_to_toml(scenario))
    control = control or Control()
    threads = trial_threads()
    code, tuned, where = _run_trials(race.tuning.trials, control, workers, ray_address, threads, progress, "tuning")
    choices = choose(race.tuning, {i: o.result for i, o in tuned.items()}, race.criterion)
    _write_tuning(out / "tuning.csv", race, tuned)  # on disk before the race runs (written again at the end)
    raced: dict[int, TrialOutcome] = {}
    if code == exit_codes.OK and not control.stopped:
        code, raced, _ = _run_trials(race_sweep(race, choices).trials, control, workers, ray_address, threads,
                                     progress, "race")
    if control.stopped and code == exit_codes.OK:
        code = exit_codes.INTERRUPTED
    runs, winners = write_race_results(out, scenario, tuned, raced, code, where, threads)
    if progress is not None:
        progress.write(verdict_text(runs, winners, race.criterion) + f"results in {out}\n")
    return code


def write_race_results(out: Path, scenario: Scenario, tuned: dict[int, TrialOutcome], raced: dict[int, TrialOutcome],
                       code: int, where: str, threads: int) -> tuple[list[dict], dict]:
    """Every file of a race's results into ``out`` (the headless replay's, and the app's race view with ``w``),
    from the trials' outcomes so far: tuning.csv, metrics.csv, race.csv, bands.csv, summary.json, race.txt,
    loss.txt (scenario.toml is the caller's). Returns the race's runs and winners (for the verdict)."""
    race = scenario.race
    choices = choose(race.tuning, {i: o.result for i, o in tuned.items()}, race.criterion)
    _write_tuning(out / "tuning.csv", race, tuned)
    rs = race_sweep(race, choices)
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
    write_whole(out / "summary.json", json.dumps(json_safe(summary), indent=2) + "\n")
    _write_plots(out, scenario, choices, rs, band_rows, runs, winners)
    return runs, winners


def _write_csv(path: Path, columns, rows: list[dict]) -> None:
    """A whole table at once, through the results folder's file writer (whole or absent)."""
    write_whole(path, csv_text(columns, ([csv_number(row[c]) if isinstance(row[c], float) else "" if row[c] is None
                                          else row[c] for c in columns] for row in rows)))


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
    metrics = ((t.label, r.step, csv_number(r.epoch), r.samples, f"{r.time_s:.6f}", csv_number(r.loss),
                csv_number(r.lr), csv_number(r.grad_norm), csv_number(r.x), csv_number(r.y))
               for t in rs.trials for r in (raced[t.index].records if t.index in raced else []))
    write_whole(out / "metrics.csv", csv_text(METRICS_COLUMNS, metrics))
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
    verdict = verdict_text(runs, winners, race.criterion) if runs else ""
    write_whole(out / "race.txt", safe_text(sens + "\n" + verdict + "\n" + race_text))
    write_whole(out / "loss.txt", safe_text(race_text))
