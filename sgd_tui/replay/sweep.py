"""``sgd-tui --scenario NAME --headless`` for a sweep scenario: run every trial, write the results.

Before any trial, and before the results folder is made, the data sets the trials read are checked
(:func:`sgd_tui.core.sweep.preflight.check_data`): without them the replay is one line and exit 2, and
leaves no folder. The trials run where :mod:`sgd_tui.core.sweep.executors` puts them (this process for
``--workers 1``, a pool of worker processes by default, Ray tasks with ``--ray``); one progress line covers
the whole sweep (trials done / total, diverged, failed, stopped, elapsed, ETA from the mean time per
finished trial). A trial's numbers depend only on its RunSpec and the sweep's thread count per trial, so
any number of workers, in any order, writes the same files apart from times: rows are written in the
sweep's trial order, each as soon as every trial before it is done.

Rows go through the results folder's one writer (:class:`~sgd_tui.replay.results_dir.ResultWriter`: whole
rows on a full disk), and every other file through :func:`~sgd_tui.replay.results_dir.write_whole` (whole
or absent). The app's sweep view saves its grid with :func:`save_sweep`, into the same files.

Output (design §5): ``metrics.csv`` and ``eval.csv`` of all trials (the ``run`` column is the trial's
label), ``sweep.csv`` (one row per trial), ``bands.csv`` (median, p10, p90 over seeds per configuration
and step), ``summary.json`` (as a replay's, with the sweep and how it ended), ``scenario.toml``,
``loss.txt`` (the seed bands, one panel per run of the scenario) and ``sensitivity.txt`` (the metric
against each swept key).

Exit status: 0 every trial ran (diverged ones included); 3 the sweep finished but some trials failed (an
error inside a trial, a worker process or Ray worker that died, a trial past ``trial_timeout``), each
recorded with its reason; 2 bad input (a trial that cannot start, a full disk); 130 interrupted. The
first Ctrl+C cancels the trials not started, stops the running ones within a quarter second and writes
everything (unfinished trials ``stopped``); a second one interrupts at once.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Callable

from sgd_tui import exit_codes
from sgd_tui.core.errors import SetupError
from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.run.control import Control
from sgd_tui.core.scenario.model import Scenario
from sgd_tui.core.scenario.write import scenario_to_toml
from sgd_tui.core.sweep import executors as sweep_run
from sgd_tui.core.sweep.preflight import check_data
from sgd_tui.core.sweep.stats import BANDS_COLUMNS, bands, sensitivity, sweep_columns, sweep_rows
from sgd_tui.core.sweep.trials import FAILED_STATUSES, TrialOutcome, trial_threads
from sgd_tui.core.text import safe_text
from sgd_tui.replay.critical_batch import write_critical_batch
from sgd_tui.replay.progress import SweepProgress
from sgd_tui.replay.results_dir import (
    OutputError,
    ResultsDir,
    ResultWriter,
    csv_number,
    csv_text,
    open_results_dir,
    write_whole,
)
from sgd_tui.replay.signals import Signals
from sgd_tui.replay.summary import default_out_dir, environment, json_safe, scenario_summary

__all__ = ["replay_sweep", "save_sweep", "TrialRows", "ending"]


class TrialRows:
    """metrics.csv and eval.csv rows in the sweep's trial order, through the folder's ResultWriter: a
    trial's rows are written once every trial before it is done."""

    PIECE = 1024  # rows per write

    def __init__(self, writer: ResultWriter, labels: list[str]):
        self.writer = writer
        self.labels = labels
        self.pending: dict[int, TrialOutcome] = {}
        self.next = 0

    def add(self, o: TrialOutcome) -> None:
        self.pending[o.index] = o
        while self.next < len(self.labels) and self.next in self.pending:
            self._write(self.pending.pop(self.next))
            self.next += 1

    def _write(self, o: TrialOutcome) -> None:
        label = self.labels[o.index]
        for at in range(0, len(o.records), self.PIECE):  # pieces: a full disk keeps all the whole pieces before it
            self.writer.write(label, o.records[at:at + self.PIECE], [])
        self.writer.write(label, [], o.evals)

    def flush_rest(self) -> None:
        """After a stop: the trials still waiting for an earlier one, in trial order."""
        for i in sorted(self.pending):
            self._write(self.pending.pop(i))


def ending(code: int) -> str:
    """How a sweep ended, in words (summary.json's ``sweep.ended``)."""
    return {exit_codes.OK: "finished", exit_codes.TRIALS_FAILED: "finished, some trials failed",
            exit_codes.INTERRUPTED: "interrupted", exit_codes.BAD_INPUT: "stopped: bad input",
            exit_codes.INTERNAL: "an internal error"}.get(code, str(code))


def replay_sweep(scenario: Scenario, out_dir: str | Path | None = None, *, progress: IO[str] | None = None,
                 workers: int | None = None, ray_address: str | None = None, control: Control | None = None,
                 ray_cpus: int | None = None, force: bool = False) -> int:
    """Run every trial of ``scenario.sweep`` and write the results into ``out_dir``; the exit code (see
    the module doc). ``workers``: worker processes (default: the cores / the threads per trial; 1 = in
    this process); ``ray_address``: run on Ray ("" = local instance or $RAY_ADDRESS). The folder is
    refused when it holds results unless ``force`` (OutputError), and locked while written."""

    sweep = scenario.sweep
    assert sweep is not None, "replay_sweep needs a scenario with a [sweep] table"
    threads = trial_threads()
    trials = sweep.trials
    timeout = sweep.trial_timeout
    control = control or Control()
    if ray_address is not None:
        where = "Ray" + (f" at {ray_address}" if ray_address else "")
        n_workers = 0
    else:
        n_workers = sweep_run.pool_size(workers, len(trials), threads)
        where = f"{n_workers} worker{'s' if n_workers > 1 else ''} × {threads} thread{'s' if threads > 1 else ''}"
    bar = SweepProgress(progress, len(trials), where)
    if not (ray_address or (ray_address is not None and os.environ.get("RAY_ADDRESS"))):
        try:  # a cluster's nodes read their own copy: checked by the trials there
            check_data(trials)
        except SetupError as e:
            bar.note(f"sgd-tui: error: {e}")
            return exit_codes.BAD_INPUT  # before any folder: nothing is left behind
    folder = open_results_dir(Path(out_dir) if out_dir is not None else default_out_dir(scenario), force)
    try:
        if ray_address is not None:
            runs = sweep_run.ray_tasks(trials, control, ray_address, threads, ray_cpus, timeout=timeout)
        elif n_workers == 1:
            runs = sweep_run.serial(trials, control, threads, timeout=timeout)
        else:
            runs = sweep_run.pool(trials, control, n_workers, threads, timeout=timeout)
        return _run(scenario, folder, runs, bar, control, where, threads, n_workers)
    finally:
        folder.release()


def _run(s: Scenario, folder: ResultsDir, runs, bar: SweepProgress, control: Control, where: str, threads: int,
         n_workers: int) -> int:
    trials = s.sweep.trials
    outcomes: dict[int, TrialOutcome] = {}
    code = exit_codes.OK
    failure: OutputError | None = None
    with Signals(control) as signals:
        try:
            write_whole(folder.file("scenario.toml"), scenario_to_toml(s))
            writer = ResultWriter(folder, history=False)
        except OutputError as e:
            bar.note(f"sgd-tui: error: {e}")
            return exit_codes.BAD_INPUT
        rows = TrialRows(writer, [t.label for t in trials])
        try:
            for o in runs:
                outcomes[o.index] = o
                bar.update(o)
                if failure is None:
                    try:
                        rows.add(o)
                    except OutputError as e:  # the disk is full: what is written stays whole rows
                        failure = e
                        control.stop()
                label = trials[o.index].label
                if o.setup_error and code == exit_codes.OK:
                    bar.note(f"sgd-tui: error: trial {label!r}: {o.setup_error}")
                    code = exit_codes.BAD_INPUT
                    control.stop()
                elif o.result.status in FAILED_STATUSES and not o.setup_error:
                    bar.note(f"sgd-tui: trial {label!r} failed ({o.result.status}): {o.result.message}")
        except KeyboardInterrupt:  # a second Ctrl+C: the generator's cleanup ends the workers
            control.stop()
            runs.close()
        except sweep_run.RayUnavailable as e:
            bar.note(f"sgd-tui: error: {e}")
            code = exit_codes.BAD_INPUT
        finally:
            signals.finishing = True  # from here on the files are written whole; signals wait
            try:
                if failure is None:
                    rows.flush_rest()
            except OutputError as e:
                failure = e
            writer.close()
        if failure is not None:
            code = exit_codes.BAD_INPUT
        elif control.stopped and code == exit_codes.OK:
            code = exit_codes.INTERRUPTED
        elif code == exit_codes.OK and any(o.result.status in FAILED_STATUSES for o in outcomes.values()):
            code = exit_codes.TRIALS_FAILED
        try:
            write_sweep_files(folder, s, outcomes, code, where, threads, n_workers, bar.note)
        except OutputError as e:
            failure = failure or e
            code = exit_codes.BAD_INPUT
    if failure is not None:
        bar.note(f"sgd-tui: error: {failure}")
    else:
        bar.note(bar.ending(ending(code)))
        bar.note(f"results in {folder.path}")
    return code


def save_sweep(folder: ResultsDir, s: Scenario, outcomes: dict[int, TrialOutcome], where: str, threads: int,
               workers: int, code: int) -> None:
    """Write a sweep's results as the headless replay does (the app's sweep view: ``w``), from the
    outcomes it holds: scenario.toml, metrics.csv and eval.csv in trial order, and the rest. OutputError
    when the folder cannot take them."""
    write_whole(folder.file("scenario.toml"), scenario_to_toml(s))
    writer = ResultWriter(folder, history=False)
    try:
        rows = TrialRows(writer, [t.label for t in s.sweep.trials])
        for i in sorted(outcomes):
            rows.add(outcomes[i])
        rows.flush_rest()
    finally:
        writer.close()
    write_sweep_files(folder, s, outcomes, code, where, threads, workers)


def write_sweep_files(folder: ResultsDir, s: Scenario, outcomes: dict[int, TrialOutcome], code: int, where: str,
                      threads: int, workers: int, note: Callable[[str], None] = lambda _: None) -> None:
    """sweep.csv, bands.csv, summary.json, loss.txt and sensitivity.txt, each whole or absent."""
    sweep = s.sweep
    rows = sweep_rows(sweep, outcomes)
    columns = sweep_columns(sweep)
    write_whole(folder.file("sweep.csv"), csv_text(columns, ([_cell(row[c]) for c in columns] for row in rows)))
    statuses = {i: o.result.status for i, o in outcomes.items()}
    band_rows = bands(sweep, {i: o.records for i, o in outcomes.items()}, statuses)
    write_whole(folder.file("bands.csv"), csv_text(BANDS_COLUMNS, ([_cell(v) for v in r] for r in band_rows)))
    critical = write_critical_batch(folder, s, outcomes, note)  # with steps to target (budget target_loss)
    _write_summary(folder, s, outcomes, rows, code, where, threads, workers, critical)
    _write_plots(folder, s, rows, band_rows)


def _cell(v):
    return csv_number(v) if isinstance(v, float) else "" if v is None else v


def _write_summary(folder: ResultsDir, s: Scenario, outcomes: dict[int, TrialOutcome], rows: list[dict],
                   code: int, where: str, threads: int, workers: int, critical: dict | None = None) -> None:
    sweep = s.sweep
    device = next((o.device for o in outcomes.values() if o.device), s.device)
    env = environment(s, device)
    env.update(executor=where, threads_per_trial=threads, workers=workers or None)
    runs = []
    for t, row in zip(sweep.trials, rows):
        o = outcomes.get(t.index)
        d = o.result.to_dict() if o is not None else {"label": t.label, "status": "stopped",
                                                       "message": "not started"}
        d.update(optimizer=t.spec.optimizer, objective=t.spec.objective, config=t.config, seed=t.seed,
                 values=t.values)
        if o is not None and o.device:
            d["device"] = o.device
        if row["test_loss"] is not None:
            d["test_loss"], d["test_accuracy"] = row["test_loss"], row["test_accuracy"]
        runs.append(d)
    failed = [{"label": r["label"], "status": r["status"], "message": r.get("message", "")} for r in runs
              if r["status"] in FAILED_STATUSES]
    summary = {
        "scenario": scenario_summary(s),
        "environment": env,
        "exit_code": code,
        "sweep": {"trials": len(sweep.trials), "configurations": sweep.configs(), "seeds": sweep.seeds,
                  "grid": sweep.values, "described": sweep.describe(), "ended": ending(code),
                  "trial_timeout": sweep.trial_timeout,
                  "statuses": {st: sum(r["status"] == st for r in rows) for st in sorted({r["status"] for r in rows})},
                  "failed": failed},
        "runs": runs,
    }
    if critical is not None:
        summary["critical_batch"] = critical
    write_whole(folder.file("summary.json"), json.dumps(json_safe(summary), indent=2) + "\n")


def _write_plots(folder: ResultsDir, s: Scenario, rows: list[dict], band_rows) -> None:
    from sgd_tui.plotting.sweepplot import band_plot, band_series, band_view, sensitivity_plot  # lazy: numpy

    sweep = s.sweep
    name = safe_text(s.title if len(s.title) <= 50 else s.name, newlines=False)  # plotext drops a wider title
    by_samples = any(get_objective(t.spec.objective).has_data for t in sweep.trials)
    x, minima, log, floor = band_view(s.view, sweep, by_samples)
    panels = []
    for run in sweep.run_labels:
        series = band_series(sweep, band_rows, run, x)
        if not series:
            continue
        panels.append(band_plot(series, title=f"{name}: {safe_text(run, newlines=False)}, {len(sweep.seeds)} seeds",
                                xlabel="# of samples" if x == "samples" else x, minima=minima, log=log,
                                floor=floor))
    write_whole(folder.file("loss.txt"), safe_text("\n".join(panels)) or "(no trial logged a loss)\n")
    texts = []
    metric = sweep.metric
    accuracy = any(r["test_accuracy"] is not None for r in rows)
    for key in sweep.keys:
        texts.append(sensitivity_plot(sensitivity(sweep, rows, key, metric),
                                      title=f"{name}: {metric.replace('_', ' ')} against {key}",
                                      ylabel=metric.replace("_", " ")))
        if accuracy:
            texts.append(sensitivity_plot(sensitivity(sweep, rows, key, "test_accuracy"),
                                          title=f"{name}: test accuracy against {key}", ylabel="test accuracy"))
    if texts:
        write_whole(folder.file("sensitivity.txt"), safe_text("\n".join(texts)))  # users `cat` it
