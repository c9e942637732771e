"""Sweeps that survive faults: a worker process killed mid-trial (SIGKILL), a Ray worker that dies, a trial
past its ``trial_timeout``, a full disk, Ctrl+C. Each failed trial is recorded with its reason, the others
finish, every written row is whole, the summary says what happened and the exit status is 3 ("finished,
some trials failed"), never 1 (an internal error).

The sweeps are on a 2-D quadratic with a tolerance: lr 0.1, 0.05 and 0.02 converge within a few thousand
steps (well under a second), lr 1e-7 runs its whole budget of 3,000,000 steps (minutes): the long trial is
the one killed or timed out, so each test is short whatever the machine's speed."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from sgd_tui import exit_codes
from sgd_tui.core.run.control import Control
from sgd_tui.core.scenario.parse import parse_scenario
from sgd_tui.core.sweep import executors
from sgd_tui.replay.sweep import replay_sweep

FAULTS = """\
schema = 1
title = "faults"
[objective]
name = "quadratic"
[budget]
steps = {steps}
log_every = {log_every}
tolerance = 1e-6
[optimizer]
name = "sgd"
[sweep]
lr = [{lrs}]
seeds = 1
{extra}
"""


def faults(lrs: str = "0.1, 1e-7, 0.05, 0.02", steps: int = 3_000_000, log_every: int = 1000, extra: str = ""):
    return parse_scenario(FAULTS.format(lrs=lrs, steps=steps, log_every=log_every, extra=extra), "faults.toml")


def rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def whole_rows(path: Path, columns: int) -> list[list[str]]:
    """Every line of the CSV file is a whole row of ``columns`` cells, the last one ended."""
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    table = list(csv.reader(text.splitlines()))
    assert {len(r) for r in table} == {columns}, {len(r) for r in table}
    return table[1:]


def test_a_worker_killed_mid_trial_fails_that_trial_alone(tmp_path, monkeypatch):
    s = faults(extra="trial_timeout = 120")  # a safety net: a kill that misses ends as "timeout", not a hang
    victim = next(t for t in s.sweep.trials if "1e-07" in t.label)
    killed: list[int] = []
    real_pool = executors.pool

    def pool(*args, **kwargs):
        def on_start(index: int, pid: int) -> None:
            if index == victim.index and not killed:  # one second into the long trial: SIGKILL its worker
                killed.append(pid)
                threading.Timer(1.0, os.kill, (pid, signal.SIGKILL)).start()
        return real_pool(*args, on_start=on_start, **kwargs)

    monkeypatch.setattr(executors, "pool", pool)
    progress = io.StringIO()
    out = tmp_path / "out"
    t0 = time.monotonic()
    assert replay_sweep(s, out, workers=2, progress=progress) == exit_codes.TRIALS_FAILED == 3
    assert time.monotonic() - t0 < 110 and killed
    by = {r["label"]: r for r in rows(out / "sweep.csv")}
    assert by[victim.label]["status"] == "error"
    assert {r["status"] for label, r in by.items() if label != victim.label} == {"converged"}
    metrics = whole_rows(out / "metrics.csv", 10)
    assert {r[0] for r in metrics} == set(by) - {victim.label}  # the victim has no rows, the others all of theirs
    summary = json.loads((out / "summary.json").read_text())
    assert summary["exit_code"] == 3 and summary["sweep"]["ended"] == "finished, some trials failed"
    [failed] = summary["sweep"]["failed"]
    assert failed["label"] == victim.label and "SIGKILL" in failed["message"]
    assert f"pid {killed[0]}" in failed["message"]
    text = progress.getvalue()
    assert "SIGKILL" in text and "1 failed" in text and "Traceback" not in text


def test_a_trial_past_its_timeout_is_stopped_and_recorded(tmp_path, cli_in_process, capsys):
    path = tmp_path / "faults.toml"
    path.write_text(FAULTS.format(lrs="0.1, 1e-7", steps=3_000_000, log_every=1000, extra="trial_timeout = 1.5"))
    t0 = time.monotonic()
    code = cli_in_process(["--scenario", str(path), "--headless", "--workers", "1", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 3, err  # the command line's status: finished, a trial failed
    assert time.monotonic() - t0 < 60
    by = {r["label"]: r for r in rows(tmp_path / "out" / "sweep.csv")}
    assert by["sgd lr=0.1 seed=0"]["status"] == "converged"
    late = by["sgd lr=1e-07 seed=0"]
    assert late["status"] == "timeout" and 0 < int(late["steps"]) < 3_000_000
    assert late["final_loss"]  # what it did before the stop is kept
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    [failed] = summary["sweep"]["failed"]
    assert failed["status"] == "timeout" and "trial_timeout = 1.5 s" in failed["message"]
    assert summary["sweep"]["trial_timeout"] == 1.5 and summary["scenario"]["sweep"]["trial_timeout"] == 1.5
    assert "trial_timeout = 1.5" in (tmp_path / "out" / "scenario.toml").read_text()  # replays the same
    assert "timeout" in err and "Traceback" not in err


def test_a_trial_that_does_not_stop_itself_is_killed_at_its_timeout():
    # kill_grace = 0: the worker is killed the moment the timeout passes, whatever the trial is doing
    s = faults(lrs="1e-7")
    t0 = time.monotonic()
    [o] = list(executors.pool(s.sweep.trials, Control(), 1, 1, timeout=1.0, kill_grace=0.0))
    assert o.result.status == "timeout" and "trial_timeout = 1 s" in o.result.message
    assert time.monotonic() - t0 < 60


def test_ctrl_c_writes_what_finished_and_says_it_was_interrupted(tmp_path):
    s = faults()
    out = tmp_path / "out"
    control = Control()

    def press():  # the long trial runs once the three short ones are written
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
                (out / "metrics.csv").exists() and "sgd lr=0.1 seed=0" in (out / "metrics.csv").read_text()):
            time.sleep(0.05)
        time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=press, daemon=True).start()
    assert replay_sweep(s, out, workers=2, control=control) == 130
    statuses = {r["label"]: r["status"] for r in rows(out / "sweep.csv")}
    assert statuses["sgd lr=1e-07 seed=0"] == "stopped" and len(statuses) == 4
    whole_rows(out / "metrics.csv", 10)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["exit_code"] == 130 and summary["sweep"]["ended"] == "interrupted"


@pytest.fixture
def tiny_fs(tmp_path):
    import shutil
    import subprocess

    where = tmp_path / "tiny"
    where.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0 or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(where)], capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root and mount permission)")
    yield where
    subprocess.run(["umount", str(where)], check=True)


def test_a_full_disk_during_a_sweep_keeps_whole_rows_and_says_so(tmp_path, tiny_fs):
    # 4 trials of 3,000 rows each (about 80 bytes a row): more than the 160 KB the disk holds
    s = faults(lrs="0.001, 0.002, 0.003, 0.004", steps=3000, log_every=1)
    progress = io.StringIO()
    out = tiny_fs / "o"
    assert replay_sweep(s, out, workers=1, progress=progress) == 2
    errors = [line for line in progress.getvalue().splitlines() if line.startswith("sgd-tui: error:")]
    assert len(errors) == 1 and "the disk is full" in errors[0] and "whole" in errors[0], progress.getvalue()
    kept = whole_rows(out / "metrics.csv", 10)
    assert 100 < len(kept) < 12_000 and f"first {len(kept)} rows" in errors[0]
    for name in ("summary.json", "sweep.csv", "bands.csv"):  # whole or absent, never cut
        if (out / name).exists() and name == "summary.json":
            assert json.loads((out / name).read_text())["exit_code"] == 2
    assert not list(out.glob(".*.part"))


def _ray_trial_pids() -> list[int]:
    """Processes whose title is a running Ray task of the sweep (Ray names them ``ray::_ray_trial``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().startswith(b"ray::_ray_trial"):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def test_a_ray_worker_that_dies_fails_its_trial_alone(tmp_path, monkeypatch, one_ray_at_a_time):
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'sgd-tui[ray]')")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    s = faults(lrs="0.1, 0.05, 1e-7", extra="trial_timeout = 150")  # the long trial comes last
    out = tmp_path / "out"
    killed: list[int] = []

    def kill_the_long_trial():  # once the two short trials are written, only the long one runs
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            done = {r["run"] for r in rows(out / "metrics.csv")} if (out / "metrics.csv").exists() else set()
            pids = _ray_trial_pids()
            if {"sgd lr=0.1 seed=0", "sgd lr=0.05 seed=0"} <= done and pids:
                time.sleep(0.5)
                for pid in _ray_trial_pids():
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                return
            time.sleep(0.1)

    threading.Thread(target=kill_the_long_trial, daemon=True).start()
    code = replay_sweep(s, out, ray_address="", ray_cpus=2)
    assert not ray.is_initialized()
    assert killed, "no Ray task process was found to kill"
    assert code == 3
    by = {r["label"]: r for r in rows(out / "sweep.csv")}
    assert [by[k]["status"] for k in ("sgd lr=0.1 seed=0", "sgd lr=0.05 seed=0", "sgd lr=1e-07 seed=0")] == \
        ["converged", "converged", "error"]
    summary = json.loads((out / "summary.json").read_text())
    [failed] = summary["sweep"]["failed"]
    assert "Ray worker" in failed["message"] and summary["sweep"]["ended"] == "finished, some trials failed"
    whole_rows(out / "metrics.csv", 10)


def test_every_result_file_goes_through_the_results_folders_writers():
    # one row writer (ResultWriter: whole rows) and one file writer (write_whole: whole or absent) for single
    # replays, sweeps and the app's saved sweeps: no module of the replay opens a result file itself
    replay = Path(__file__).resolve().parent.parent / "sgd_tui" / "replay"
    for path in sorted(replay.glob("*.py")):
        if path.name != "results_dir.py":
            text = path.read_text(encoding="utf-8")
            assert "open(" not in text.replace("open_results_dir(", "") and ".write_text(" not in text \
                and "csv.writer" not in text, path.name
