"""Headless sweeps: the same files whatever runs the trials (this process, 2 worker processes, a real
local Ray instance), the documented columns, Ctrl+C, a trial that cannot start."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from sgd_tui.core.scenario.parse import parse_scenario
from sgd_tui.core.sweep.stats import BANDS_COLUMNS
from sgd_tui.replay.sweep import replay_sweep


def fashion_sweep(data_dir: Path, seeds: int = 2, epochs: int = 2, lrs: str = "0.01, 30.0") -> str:
    return textwrap.dedent(f"""\
        schema = 1
        title = "tiny fashion sweep"
        device = "cpu"
        [objective]
        name = "fashion_mnist"
        model = "mlp_small"
        data_dir = "{data_dir}"
        [budget]
        epochs = {epochs}
        log_every = 2
        max_loss = 10.0
        [optimizer]
        name = "sgd"
        batch_size = 16
        [[runs]]
        [[runs]]
        name = "adam"
        [sweep]
        lr = [{lrs}]
        seeds = {seeds}
        """)


def rows(path: Path, drop=("time_s",)) -> list[dict]:
    with open(path, newline="") as f:
        return [{k: v for k, v in r.items() if k not in drop} for r in csv.DictReader(f)]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    from sgd_tui.core.objectives.data import write_fashion_like

    root = tmp_path_factory.mktemp("fashion")
    write_fashion_like(root, n_train=96, n_test=48)
    return root


@pytest.fixture(scope="module")
def serial_out(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    s = parse_scenario(fashion_sweep(data_dir), "tiny.toml")
    assert replay_sweep(s, out, workers=1) == 0
    return out


def test_serial_outputs_have_the_documented_columns(serial_out):
    names = sorted(p.name for p in serial_out.iterdir())
    assert names == ["bands.csv", "eval.csv", "loss.txt", "metrics.csv", "scenario.toml", "sensitivity.txt",
                     "summary.json", "sweep.csv"]
    sweep = rows(serial_out / "sweep.csv", drop=())
    assert list(sweep[0]) == ["label", "config", "seed", "lr", "status", "steps", "final_loss", "best_loss",
                              "test_loss", "test_accuracy", "diverged_step", "time_s"]
    assert [r["label"] for r in sweep] == ["sgd lr=0.01 seed=0", "sgd lr=0.01 seed=1", "sgd lr=30.0 seed=0",
                                           "sgd lr=30.0 seed=1", "adam lr=0.01 seed=0", "adam lr=0.01 seed=1",
                                           "adam lr=30.0 seed=0", "adam lr=30.0 seed=1"]
    by = {r["label"]: r for r in sweep}
    assert by["sgd lr=0.01 seed=0"]["status"] == "finished" and by["sgd lr=0.01 seed=0"]["steps"] == "12"
    assert float(by["sgd lr=0.01 seed=0"]["test_accuracy"]) > 0
    assert by["sgd lr=30.0 seed=0"]["status"] == "diverged" and by["sgd lr=30.0 seed=0"]["diverged_step"]
    with open(serial_out / "bands.csv", newline="") as f:
        assert tuple(next(csv.reader(f))) == BANDS_COLUMNS
    band = [r for r in rows(serial_out / "bands.csv") if r["config"] == "sgd lr=0.01"]
    assert [int(r["step"]) for r in band] == [1, 3, 5, 7, 9, 11] and {r["n"] for r in band} == {"2"}
    assert all(float(r["p10"]) <= float(r["median"]) <= float(r["p90"]) for r in band)
    metrics = rows(serial_out / "metrics.csv")
    assert {m["run"] for m in metrics} == {r["label"] for r in sweep}
    summary = json.loads((serial_out / "summary.json").read_text())
    assert summary["sweep"]["trials"] == 8 and summary["scenario"]["sweep"]["lr"] == [0.01, 30.0]
    assert len(summary["runs"]) == 8 and summary["environment"]["threads_per_trial"] == 1
    assert "median over seeds" in (serial_out / "loss.txt").read_text()
    sens = (serial_out / "sensitivity.txt").read_text()
    assert "final loss against lr" in sens and "test accuracy against lr" in sens and "diverged" in sens


def test_two_worker_processes_write_the_same_numbers_as_one(serial_out, tmp_path, cli):
    from sgd_tui.core.objectives.data import write_fashion_like

    # the same data, gzipped only: both workers' first trials extract the same files at once; run as users
    # run it, so the fork server is started before the replay's own set-up (sweep_run.start_early)
    fresh = write_fashion_like(tmp_path / "data", n_train=96, n_test=48)
    (tmp_path / "tiny.toml").write_text(fashion_sweep(fresh))
    proc = cli("--scenario", tmp_path / "tiny.toml", "--headless", "--workers", "2", "--out", tmp_path / "out")
    assert proc.returncode == 0 and "on 2 workers" in proc.stderr, proc.stderr
    for name in ("sweep.csv", "bands.csv", "metrics.csv", "eval.csv"):
        assert rows(tmp_path / "out" / name) == rows(serial_out / name), name
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["environment"]["workers"] == 2
    assert len({r.get("device") for r in summary["runs"]}) == 1


def test_ctrl_c_while_the_fork_server_imports_torch_still_writes_every_trial(data_dir, tmp_path):
    # a terminal's Ctrl+C reaches the whole foreground group, the fork server included, which is still
    # importing torch right after the replay has begun (it used to die of it: exit 1, an EOFError, no files)
    (tmp_path / "tiny.toml").write_text(fashion_sweep(data_dir, epochs=200))  # long: still running at the Ctrl+C
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "sgd_tui", "--scenario", str(tmp_path / "tiny.toml"),
                             "--headless", "--workers", "2", "--out", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    deadline = time.monotonic() + 60
    while not (out / "scenario.toml").exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Traceback" not in err, err
    statuses = [r["status"] for r in rows(out / "sweep.csv")]
    assert len(statuses) == 8 and set(statuses) <= {"stopped", "finished", "diverged"}


def test_a_new_process_makes_its_imports_with_the_collector_paused_then_freezes_them():
    script = textwrap.dedent("""\
        import gc, sys
        from sgd_tui.core.sweep.trials import warm_process
        assert "torch" not in sys.modules and gc.get_freeze_count() == 0
        warm_process()
        frozen = gc.get_freeze_count()
        assert "torch._dynamo" in sys.modules  # torch.optim's first-use imports are made
        assert gc.isenabled() and frozen > 100_000, frozen
        warm_process()  # torch is there: only a warm-up, nothing more is frozen
        assert gc.get_freeze_count() == frozen
        print("ok")
        """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    assert proc.returncode == 0 and proc.stdout == "ok\n", proc.stderr


@pytest.mark.slow
def test_real_local_ray_writes_the_same_numbers(data_dir, serial_out, tmp_path, monkeypatch, one_ray_at_a_time):
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'sgd-tui[ray]')")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.delenv("SGD_TUI_THREADS", raising=False)  # one thread per trial: one Ray CPU runs a trial
    s = parse_scenario(fashion_sweep(data_dir), "tiny.toml")
    # one Ray worker process (it imports torch once): the trials still go through Ray's tasks, in any order
    assert replay_sweep(s, tmp_path, ray_address="", ray_cpus=1) == 0
    assert not ray.is_initialized()  # the instance it started is shut down
    for name in ("sweep.csv", "bands.csv", "metrics.csv", "eval.csv"):
        assert rows(tmp_path / name) == rows(serial_out / name), name
    assert json.loads((tmp_path / "summary.json").read_text())["environment"]["executor"] == "Ray"


def test_missing_data_starts_no_trial_leaves_no_folder_and_says_the_way_forward(tmp_path, monkeypatch):
    import io

    from fashion_data import block_network

    attempts = block_network(monkeypatch)
    s = parse_scenario(fashion_sweep(tmp_path / "nowhere"), "tiny.toml")
    progress = io.StringIO()
    assert replay_sweep(s, tmp_path / "out", workers=2, progress=progress) == 2
    assert not (tmp_path / "out").exists()  # checked before the folder is made: nothing left behind
    text = progress.getvalue()
    errors = [line for line in text.splitlines() if line.startswith("sgd-tui: error:")]
    assert len(errors) == 1 and "trials done" not in text, text  # no trial ran
    assert "FashionMNIST" in errors[0] and str(tmp_path / "nowhere") in errors[0]
    assert "--synthetic-data DIR" in errors[0] and attempts  # the way forward; a download was tried once


def test_ctrl_c_cancels_the_rest_and_writes_what_finished(data_dir, tmp_path):
    # the lr=30 trials diverge within a few steps and come first: they finish, the others are cut short
    s = parse_scenario(fashion_sweep(data_dir, seeds=4, epochs=500, lrs="30.0, 0.01"), "long.toml")
    out = tmp_path / "out"

    def press_ctrl_c():  # as a terminal does, once the first trials are written (workers ignore SIGINT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(_lines(out / "metrics.csv")) < 2:
            time.sleep(0.1)
        time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=press_ctrl_c, daemon=True).start()
    t0 = time.monotonic()
    assert replay_sweep(s, out, workers=2) == 130
    assert time.monotonic() - t0 < 100  # 16 trials of 3000 steps each would take far longer
    sweep = rows(out / "sweep.csv")
    assert len(sweep) == 16
    statuses = [r["status"] for r in sweep]
    assert statuses[:4] == ["diverged"] * 4 and "stopped" in statuses[4:8]
    assert set(statuses) <= {"finished", "diverged", "stopped"}
    metrics = rows(out / "metrics.csv")
    assert {m["run"] for m in metrics} >= {r["label"] for r in sweep[:4]}
    assert json.loads((out / "summary.json").read_text())["exit_code"] == 130


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text().splitlines()
    except FileNotFoundError:
        return []
