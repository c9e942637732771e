"""``sgd-tui --scenario NAME --headless`` for a sweep scenario: run every trial, write the results.

The trials run where :mod:`sgd_tui.core.sweep.executors` puts them (this process for ``--workers 1``, a pool of
worker processes by default, Ray tasks with ``--ray``); one progress line covers the whole sweep (trials
done / total, diverged, elapsed, ETA from the mean time per finished trial). A trial's numbers depend
only on its RunSpec and the sweep's thread count per trial, so any number of workers, in any order,
writes the same files apart from times: rows are written in the sweep's trial order, each as soon as
every trial before it is done.

Output (design §5): ``metrics.csv`` and ``eval.csv`` of all trials (the ``run`` column is the trial's
label), ``sweep.csv`` (one row per trial), ``bands.csv`` (median, p10, p90 over seeds per configuration
and step), ``summary.json`` (as a replay's, with the sweep), ``scenario.toml``, ``loss.txt`` (the seed
bands, one panel per run of the scenario) and ``sensitivity.txt`` (the metric against each swept key).

The first Ctrl+C cancels the trials not started, stops the running ones within a quarter second and
writes everything (unfinished trials ``stopped``), exit 130; a second one interrupts at once.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO, Any

from sgd_tui import exit_codes
from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.run.control import Control
from sgd_tui.core.run.records import EVAL_COLUMNS, METRICS_COLUMNS
from sgd_tui.core.scenario.model import Scenario
from sgd_tui.core.scenario.write import scenario_to_toml
from sgd_tui.core.sweep import executors as sweep_run
from sgd_tui.core.sweep.stats import BANDS_COLUMNS, bands, sensitivity, sweep_columns, sweep_rows
from sgd_tui.core.sweep.trials import TrialOutcome, trial_threads
from sgd_tui.core.text import safe_text
from sgd_tui.replay.critical_batch import write_critical_batch
from sgd_tui.replay.progress import SweepProgress
from sgd_tui.replay.results_dir import csv_number
from sgd_tui.replay.signals import stop_on_sigint
from sgd_tui.replay.summary import default_out_dir, environment, json_safe, scenario_summary

__all__ = ["replay_sweep"]


class _OrderedWriter:
    """metrics.csv and eval.csv rows in the sweep's trial order, flushed as each prefix completes."""

    def __init__(self, out: Path, labels: list[str]):
        self.labels = labels
        self._files: list[IO[str]] = []
        self.metrics = self._open(out / "metrics.csv", METRICS_COLUMNS)
        self.out = out
        self.eval = None
        self.pending: dict[int, TrialOutcome] = {}
        self.next = 0

    def _open(self, path: Path, header) -> Any:
        f = open(path, "w", newline="", encoding="utf-8")
        self._files.append(f)
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        return w

    def add(self, o: TrialOutcome) -> None:
        self.pending[o.index] = o
        while self.next < len(self.labels) and self.next in self.pending:
            self._write(self.pending.pop(self.next))
            self.next += 1
        for f in self._files:
            f.flush()

    def _write(self, o: TrialOutcome) -> None:
        label = self.labels[o.index]
        for r in o.records:
            self.metrics.writerow((label, r.step, csv_number(r.epoch), r.samples, f"{r.time_s:.6f}", csv_number(r.loss),
                                   csv_number(r.lr), csv_number(r.grad_norm), csv_number(r.x), csv_number(r.y)))
        if o.evals and self.eval is None:
            self.eval = self._open(self.out / "eval.csv", EVAL_COLUMNS)
        for e in o.evals:
            self.eval.writerow((label, e.epoch, e.samples, csv_number(e.test_loss), csv_number(e.test_accuracy)))

    def close(self) -> None:
        for i in sorted(self.pending):  # after a stop: the rest, still in trial order
            self._write(self.pending.pop(i))
        for f in self._files:
            f.close()


def replay_sweep(scenario: Scenario, out_dir: str | Path | None = None, *, progress: IO[str] | None = None,
                 workers: int | None = None, ray_address: str | None = None, control: Control | None = None,
                 ray_cpus: int | None = None) -> int:
    """Run every trial of ``scenario.sweep`` and write the results into ``out_dir``; the exit code as
    :func:`sgd_tui.replay.run.replay`'s. ``workers``: worker processes (default: the cores / the threads
    per trial; 1 = in this process); ``ray_address``: run on Ray ("" = local instance or $RAY_ADDRESS)."""

    sweep = scenario.sweep
    assert sweep is not None, "replay_sweep needs a scenario with a [sweep] table"
    threads = trial_threads()
    trials = sweep.trials
    out = Path(out_dir) if out_dir is not None else default_out_dir(scenario)
    out.mkdir(parents=True, exist_ok=True)
    (out / "scenario.toml").write_text(scenario_to_toml(scenario), encoding="utf-8")
    control = control or Control()
    if ray_address is not None:
        where = "Ray" + (f" at {ray_address}" if ray_address else "")
        n_workers = 0
        runs = sweep_run.ray_tasks(trials, control, ray_address, threads, ray_cpus)
    else:
        n_workers = sweep_run.pool_size(workers, len(trials), threads)
        where = f"{n_workers} worker{'s' if n_workers > 1 else ''} × {threads} thread{'s' if threads > 1 else ''}"
        runs = (sweep_run.serial(trials, control, threads) if n_workers == 1
                else sweep_run.pool(trials, control, n_workers, threads))
    bar = SweepProgress(progress, len(trials), where)
    writer = _OrderedWriter(out, [t.label for t in trials])
    outcomes: dict[int, TrialOutcome] = {}
    code = exit_codes.OK
    try:
        with stop_on_sigint(control):
            try:
                for o in runs:
                    outcomes[o.index] = o
                    writer.add(o)
                    bar.update(o)
                    if o.setup_error and code == exit_codes.OK:
                        bar.note(f"sgd-tui: error: trial {trials[o.index].label!r}: {o.setup_error}")
                        code = exit_codes.BAD_INPUT
                        control.stop()
                    elif o.result.status == "error" and code == exit_codes.OK:
                        code = exit_codes.INTERNAL
            except KeyboardInterrupt:  # a second Ctrl+C: the generator's cleanup ends the workers
                control.stop()
                runs.close()
    except sweep_run.RayUnavailable as e:
        bar.note(f"sgd-tui: error: {e}")
        code = exit_codes.BAD_INPUT
    finally:
        writer.close()
    if control.stopped and code == exit_codes.OK:
        code = exit_codes.INTERRUPTED
    rows = sweep_rows(sweep, outcomes)
    _write_csv(out / "sweep.csv", sweep_columns(sweep), rows)
    statuses = {i: o.result.status for i, o in outcomes.items()}
    band_rows = bands(sweep, {i: o.records for i, o in outcomes.items()}, statuses)
    _write_csv(out / "bands.csv", BANDS_COLUMNS, [r._asdict() for r in band_rows])
    critical = write_critical_batch(out, scenario, outcomes, bar.note)  # with steps to target (budget target_loss)
    _write_summary(out, scenario, outcomes, rows, code, where, threads, n_workers, critical)
    _write_plots(out, scenario, rows, band_rows)
    bar.note(f"results in {out}")
    return code


def _write_csv(path: Path, columns, rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            w.writerow([csv_number(row[c]) if isinstance(row[c], float) else "" if row[c] is None else row[c]
                        for c in columns])


def _write_summary(out: Path, s: Scenario, outcomes: dict[int, TrialOutcome], rows: list[dict], code: int,
                   where: str, threads: int, workers: int, critical: dict | None = None) -> None:
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
    summary = {
        "scenario": scenario_summary(s),
        "environment": env,
        "exit_code": code,
        "sweep": {"trials": len(sweep.trials), "configurations": sweep.configs(), "seeds": sweep.seeds,
                  "grid": sweep.values, "described": sweep.describe(),
                  "statuses": {st: sum(r["status"] == st for r in rows) for st in sorted({r["status"] for r in rows})}},
        "runs": runs,
    }
    if critical is not None:
        summary["critical_batch"] = critical
    (out / "summary.json").write_text(json.dumps(json_safe(summary), indent=2) + "\n", encoding="utf-8")


def _write_plots(out: Path, s: Scenario, rows: list[dict], band_rows) -> None:
    from sgd_tui.plotting.sweepplot import band_plot, band_series, sensitivity_plot  # lazy: numpy

    sweep = s.sweep
    name = safe_text(s.title if len(s.title) <= 50 else s.name, newlines=False)  # plotext drops a wider title
    by_samples = any(get_objective(t.spec.objective).has_data for t in sweep.trials)
    panels = []
    for run in sweep.run_labels:
        series = band_series(sweep, band_rows, run, "samples" if by_samples else "step")
        if not series:
            continue
        panels.append(band_plot(series, title=f"{name}: {safe_text(run, newlines=False)}, {len(sweep.seeds)} seeds",
                                xlabel="# of samples" if by_samples else "step"))
    (out / "loss.txt").write_text(safe_text("\n".join(panels)) or "(no trial logged a loss)\n", encoding="utf-8")
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
        (out / "sensitivity.txt").write_text(safe_text("\n".join(texts)), encoding="utf-8")  # users `cat` it
