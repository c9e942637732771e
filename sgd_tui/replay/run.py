"""``sgd-tui --scenario NAME --headless``: replay a scenario with no UI and write its results.

Every run goes through :class:`sgd_tui.core.run.engine.Runner`, the code the app uses, one run after
another, in chunks of about a quarter of a second: after each chunk the new rows are appended to
``metrics.csv`` (and ``eval.csv``) and flushed, so an interrupted replay loses nothing, and the progress
line on stderr is updated (a bar on a terminal, a plain line every few seconds otherwise).

Output (design §5): metrics.csv, eval.csv (dataset objectives that evaluate), summary.json (per 2-D run
also the ``theory`` at its start and end), scenario.toml (the resolved scenario: replaying it gives the
same numbers), loss.txt and, for 2-D objectives, trajectory.txt; with ``[basins]`` basin.csv and
basins.txt (:mod:`sgd_tui.replay.theory`). Floats are written with ``repr`` so two replays are
identical apart from ``time_s``.

Ctrl+C or SIGTERM stops the current run within one step (the first signal only asks the runner to stop),
writes everything with the unfinished runs ``stopped`` and returns 130. The folder is one replay's
(:mod:`sgd_tui.replay.results_dir`: refused when it holds results unless ``force``, locked while written, whole
rows on a full disk, nothing left when the first run cannot start). Never imports textual.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, Any

from sgd_tui import exit_codes
from sgd_tui.core.errors import SetupError
from sgd_tui.core.objectives.data import describe_data, is_synthetic, resolve_data_dir
from sgd_tui.core.objectives.registry import PRECISIONS, get_objective
from sgd_tui.core.run.control import Control
from sgd_tui.core.run.devices import set_training_threads
from sgd_tui.core.run.drive import drive
from sgd_tui.core.run.engine import Runner
from sgd_tui.core.run.records import EvalRecord, Record, RunResult, SharpnessRecord
from sgd_tui.core.scenario.model import Scenario
from sgd_tui.core.scenario.write import scenario_to_toml
from sgd_tui.replay.landscape import write_landscape
from sgd_tui.replay.modified_flow import run_modified_flow
from sgd_tui.replay.noise import NoiseWriter
from sgd_tui.replay.plots import run_extras, write_plots
from sgd_tui.replay.progress import Progress
from sgd_tui.replay.race import replay_race
from sgd_tui.replay.results_dir import OutputError, ResultsDir, ResultWriter, open_results_dir, write_whole
from sgd_tui.replay.signals import Signals
from sgd_tui.replay.summary import curvature_summary, default_out_dir, environment, json_safe, scenario_summary
from sgd_tui.replay.sweep import replay_sweep
from sgd_tui.replay.theory import central_flow_summary, theory_end, theory_start, write_basins

__all__ = ["replay"]


_STDERR: Any = object()  # "the sys.stderr of the moment replay() is called" (not of import time)


def replay(scenario: Scenario, out_dir: str | Path | None = None, *, progress: IO[str] | None = _STDERR,
           chunk_seconds: float = 0.25, control: Control | None = None, workers: int | None = None,
           ray_address: str | None = None, force: bool = False) -> int:
    """Run every run of ``scenario`` and write the results into ``out_dir``; return the exit code:
    0 done (diverged runs included), 3 a sweep finished with failed trials, 2 a run could not start (SetupError, reported on ``progress``) or the
    results could not be written, 130 interrupted (SIGINT or SIGTERM), 1 a run ended in an internal error.
    ``progress=None`` is silent. A folder that already holds results is refused unless ``force``
    (OutputError, as is a folder locked by another replay: see :mod:`sgd_tui.replay.results_dir`). A sweep
    scenario runs its trials with :func:`sgd_tui.replay.sweep.replay_sweep` (``workers``, ``ray_address``)."""
    if progress is _STDERR:
        progress = sys.stderr
    out = Path(out_dir) if out_dir is not None else default_out_dir(scenario)
    if getattr(scenario, "race", None) is not None:  # a fair race: tune, choose, race (replay.race)
        folder = open_results_dir(out, force)
        try:
            return replay_race(scenario, out, progress=progress, workers=workers, ray_address=ray_address,
                               control=control)
        finally:
            folder.release()
    if scenario.sweep is not None:  # its data checked first, then one replay per folder, locked
        return replay_sweep(scenario, out, progress=progress, workers=workers, ray_address=ray_address,
                            control=control, force=force)
    if any(get_objective(spec.objective).kind == "dataset" for spec in scenario.runs):

        set_training_threads()  # 1 thread on 2 cores: steady when anything else uses the other core
    folder = open_results_dir(out, force)
    try:
        return _replay(scenario, folder, Progress(progress, len(scenario.runs)), chunk_seconds,
                       control or Control())
    finally:
        folder.release()


def _replay(s: Scenario, folder: ResultsDir, bar: Progress, chunk_seconds: float, control: Control) -> int:
    write_whole(folder.file("scenario.toml"), scenario_to_toml(s))
    writer = ResultWriter(folder)
    noise = NoiseWriter(folder)  # noise.csv (budget noise_every)
    results: list[tuple[dict, RunResult]] = []
    runners: list[Runner] = []
    code = exit_codes.OK
    failure: OutputError | None = None
    with Signals(control) as signals:
        runner = None
        try:
            for i, spec in enumerate(s.runs):
                meta = {"optimizer": spec.optimizer, "objective": spec.objective}
                if "precision" in spec.objective_options:  # the arithmetic, and whether it is the lecture's
                    meta["precision"] = PRECISIONS[spec.objective_options["precision"]]
                if control.stopped or code != exit_codes.OK:
                    results.append((meta, RunResult(spec.label, status="stopped", message="not started")))
                    continue
                runner = None
                try:
                    runner = Runner(spec)
                except SetupError as e:
                    bar.note(f"sgd-tui: error: run {spec.label!r}: {e}")
                    results.append((meta, RunResult(spec.label, status="error", message=str(e))))
                    code = exit_codes.BAD_INPUT
                    continue
                runners.append(runner)
                warn_big(runner, bar)
                meta["device"] = str(runner.device)
                if runner.info.has_data and is_synthetic(spec.objective_options.get("data_dir")):
                    meta["synthetic_data"] = True  # numbers on sgd-tui --synthetic-data, not FashionMNIST
                if runner.device_note:
                    meta["device_note"] = runner.device_note
                    bar.note(f"sgd-tui: note: run {spec.label!r}: {runner.device_note}")
                start_theory = theory_start(runner)
                try:
                    if runner.initial_record is not None:
                        writer.write(spec.label, [runner.initial_record], [])
                    _run(runner, control, writer, bar, i, chunk_seconds, noise)
                except OutputError as e:  # the disk is full: what is written stays whole rows
                    failure = e
                    control.stop()
                    runner.stop()
                result = runner.final_result()
                if runner.noise_meter is not None and runner.noise_meter.last is not None:
                    meta["noise_scale"] = runner.noise_meter.summary()  # the last B_simple
                if start_theory is not None:
                    history = writer.series.get(spec.label)
                    end_theory = theory_end(runner, history.records() if history is not None else [])
                    meta["theory"] = {"start": start_theory, "end": end_theory}
                    flow = central_flow_summary(runner, history.records() if history is not None else [])
                    if flow is not None:
                        meta["central_flow"] = flow
                if runner.problem.is_2d and (flows := run_modified_flow(runner)) is not None:
                    meta["modified_flow"] = flows  # GD vs the flows of f and of f + (α/4)‖∇f‖²
                if result.status == "error" and code == exit_codes.OK:
                    code = exit_codes.INTERNAL
                results.append((meta, result))
                runner = None
                bar.finished(i, result, run_extras(writer.evals.get(spec.label), writer.sharpness.get(spec.label)))
            if s.basins is not None and runners and not control.stopped and code == exit_codes.OK:
                bar.note("basin maps ...")
                maps = write_basins(folder.path, s, runners, lambda: control.stopped)
                for meta, r in results:
                    if r.label in maps:
                        meta["basins"] = maps[r.label]
        except KeyboardInterrupt:  # a second signal outside a step
            control.stop()
            if runner is not None:
                runner.stop()
                results.append(({"optimizer": runner.spec.optimizer, "objective": runner.spec.objective,
                                 "device": str(runner.device)}, runner.final_result()))
            results += [({"optimizer": r.optimizer, "objective": r.objective},
                         RunResult(r.label, status="stopped", message="not started")) for r in s.runs[len(results):]]
        finally:
            signals.finishing = True
            writer.close()
            noise.close()
        if code == exit_codes.BAD_INPUT and not runners:
            folder.discard()  # nothing ran: no half-written folder
            return code
        if failure is not None:
            code = exit_codes.BAD_INPUT
        elif control.stopped and code == exit_codes.OK:
            code = exit_codes.INTERRUPTED
        landscape = None
        try:
            if s.landscape is not None and runners and code != exit_codes.BAD_INPUT:
                landscape = write_landscape(folder.path, s, runners, bar)
            _write_summary(folder, s, runners, results, writer, code, landscape)
            write_plots(folder, s, runners, writer)
        except OutputError as e:
            failure = failure or e
            code = exit_codes.BAD_INPUT
        if failure is not None:
            bar.note(f"sgd-tui: error: {failure}")
        elif runners:
            bar.note(f"results in {folder.path}")
    return code


BIG_ROWS = 10_000_000  # ~1 GB of metrics.csv


def warn_big(runner: Runner, bar: Progress) -> None:
    """Say so when a budget logs more rows than anyone reads (memory stays bounded: see History)."""
    rows = runner.total_steps // max(1, runner.log_every)
    if rows > BIG_ROWS:
        bar.note(f"sgd-tui: warning: run {runner.spec.label!r} logs about {rows:,} rows (~{rows // 10_000_000} GB "
                 f"of metrics.csv); raise log_every in [budget] to log fewer")


def _run(runner: Runner, control: Control, writer: ResultWriter, bar: Progress, i: int,
         chunk_seconds: float, noise: NoiseWriter | None = None) -> None:
    """Advance one run to its end in chunks of ``chunk_seconds``, writing each chunk's records."""

    def on_chunk(r: Runner, records: list[Record], evals: list[EvalRecord]) -> None:
        writer.write(r.spec.label, records, evals)
        bar.update(i, r)

    def on_sharpness(r: Runner, rows: list[SharpnessRecord]) -> None:
        writer.write_sharpness(r.spec.label, rows)

    drive(runner, control, on_chunk, chunk_seconds, on_sharpness, None if noise is None else
          (lambda r, rows: noise.write(r.spec.label, rows)))


def _write_summary(folder: ResultsDir, s: Scenario, runners: list[Runner], results: list[tuple[dict, RunResult]],
                   writer: ResultWriter, code: int, landscape: dict | None = None) -> None:
    env = environment(s, runners[0].device if runners else s.device)
    env["data"] = _data_used(runners)
    runs = []
    for meta, r in results:
        d = {**r.to_dict(), **meta}
        curvature = curvature_summary(writer.sharpness.get(r.label, []), r.steps)
        if curvature is not None:
            d.update(curvature)
        evals = writer.evals.get(r.label)
        if evals:
            d["test_loss"], d["test_accuracy"] = evals[-1].test_loss, evals[-1].test_accuracy
        runs.append(d)
    summary = {
        "scenario": scenario_summary(s),
        "environment": env,
        "exit_code": code,
        "runs": runs,
    }
    if landscape is not None:
        summary["landscape"] = landscape
    write_whole(folder.file("summary.json"), json.dumps(json_safe(summary), indent=2) + "\n")


def _data_used(runners: list[Runner]) -> list[dict[str, Any]]:
    """The data sets the runs read: folder, real or synthetic, and the files' md5 (core.data.describe_data)."""

    dirs = []
    for r in runners:
        if get_objective(r.spec.objective).kind == "dataset":
            d = resolve_data_dir(r.spec.objective_options.get("data_dir"))
            if d not in dirs:
                dirs.append(d)
    return [describe_data(d) for d in dirs]
