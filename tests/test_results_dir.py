"""The results folder of a headless replay: nothing lost, nothing mixed (sgd_tui.replay.results_dir).

--out a file, a folder in the way of metrics.csv, a read-only folder (a read-only tmpfs mount: root
ignores chmod), a full disk (a 160 KB tmpfs), a folder that already holds results (--force), two replays
at once (the lock), SIGTERM and a second Ctrl+C, a run failing before its first step, and what
summary.json records about the environment and the data."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sgd_tui.core.run.control import Control
from sgd_tui.core.scenario.parse import parse_scenario
from sgd_tui.replay.results_dir import LOCK_NAME, OutputError, open_results_dir
from sgd_tui.replay.run import replay
from sgd_tui.replay.signals import Signals

ROOT = Path(__file__).resolve().parent.parent

QUAD = """schema = 1
title = "quadratic"
[objective]
name = "quadratic"
[budget]
steps = {steps}
log_every = {log_every}
[optimizer]
name = "sgd"
lr = 0.01
"""


def scenario_file(tmp_path: Path, steps: int = 20, log_every: int = 1, extra: str = "") -> Path:
    path = tmp_path / "s.toml"
    path.write_text(QUAD.format(steps=steps, log_every=log_every) + extra)
    return path


@pytest.fixture
def cli(capsys):
    """``sgd-tui ARGS`` in this process (torch is loaded once): (returncode, stdout, stderr)."""
    from types import SimpleNamespace

    from sgd_tui.cli import main

    def run(*args: str):
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return run


def one_line_error(proc, *words: str) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for w in words:
        assert w in lines[0], lines[0]


def check_whole_rows(path: Path, columns: int = 10) -> int:
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    rows = list(csv.reader(text.splitlines()))
    assert all(len(r) == columns for r in rows), {len(r) for r in rows}
    return len(rows) - 1


# ------------------------------------------------------------------------------------------ mounts
def _mount(where: Path, options: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None or os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                          capture_output=True).returncode == 0


@pytest.fixture
def tiny_fs(tmp_path):
    where = tmp_path / "tiny"
    if not _mount(where, "size=160k"):
        pytest.skip("cannot mount a small tmpfs here (needs root and mount permission)")
    yield where
    subprocess.run(["umount", str(where)], check=True)


@pytest.fixture
def read_only_dir(tmp_path):
    """A folder nobody can write into, root included: a read-only tmpfs, else an immutable folder."""
    where = tmp_path / "ro"
    if _mount(where, "ro,size=64k"):
        yield where
        subprocess.run(["umount", str(where)], check=True)
        return
    if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(where)], capture_output=True).returncode == 0:
        yield where
        subprocess.run(["chattr", "-i", str(where)], check=True)
        return
    pytest.skip("no read-only mount and no chattr +i here: root ignores chmod, so no real read-only folder")


# ------------------------------------------------------------------------------------------ bad --out
def test_out_that_is_a_file_is_one_line(tmp_path, cli):
    (tmp_path / "f").write_text("x")
    one_line_error(cli("--scenario", str(scenario_file(tmp_path)), "--headless", "--out", str(tmp_path / "f")),
                   str(tmp_path / "f"), "is a file")
    one_line_error(cli("--scenario", str(scenario_file(tmp_path)), "--headless", "--out", str(tmp_path / "f" / "x")),
                   str(tmp_path / "f" / "x"), "cannot create")


def test_a_folder_in_the_way_of_metrics_csv_is_one_line(tmp_path, cli):
    (tmp_path / "o" / "metrics.csv").mkdir(parents=True)
    for extra in ((), ("--force",)):
        one_line_error(cli("--scenario", str(scenario_file(tmp_path)), "--headless", "--out", str(tmp_path / "o"),
                           *extra), str(tmp_path / "o" / "metrics.csv"), "is a folder")


def test_a_read_only_folder_is_one_line(tmp_path, cli, read_only_dir):
    one_line_error(cli("--scenario", str(scenario_file(tmp_path)), "--headless", "--out", str(read_only_dir)),
                   str(read_only_dir))
    one_line_error(cli("--scenario", str(scenario_file(tmp_path)), "--headless", "--out",
                       str(read_only_dir / "sub")), str(read_only_dir / "sub"))


def test_a_full_disk_keeps_whole_rows_and_says_so(tmp_path, tiny_fs, cli):
    import io

    out = tiny_fs / "o"
    progress = io.StringIO()
    s = parse_scenario(scenario_file(tmp_path, steps=50_000).read_text())
    assert replay(s, out, progress=progress, chunk_seconds=0.002) == 2  # small chunks: many whole ones fit
    error = [line for line in progress.getvalue().splitlines() if line.startswith("sgd-tui: error:")]
    assert len(error) == 1 and "the disk is full" in error[0] and "whole" in error[0], progress.getvalue()
    rows = check_whole_rows(out / "metrics.csv")
    assert 100 < rows < 50_001 and f"first {rows} rows" in error[0]
    if (out / "summary.json").exists():  # whole or absent
        assert json.loads((out / "summary.json").read_text())["exit_code"] == 2
    assert not list(out.glob(".*.part"))
    shutil.rmtree(out)
    proc = cli("--scenario", str(scenario_file(tmp_path, steps=50_000)), "--headless", "--out", str(out))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "the disk is full" in proc.stderr
    check_whole_rows(out / "metrics.csv")


# ------------------------------------------------------------------------------------------ one replay per folder
def test_a_folder_with_results_is_refused_unless_force_and_stale_files_go(tmp_path, cli):
    out = tmp_path / "o"
    s = scenario_file(tmp_path)
    assert cli("--scenario", str(s), "--headless", "--out", str(out)).returncode == 0
    first = (out / "metrics.csv").read_text()
    (out / "eval.csv").write_text("run,epoch\nstale,1\n")  # as left by an earlier dataset replay
    (out / "notes.md").write_text("mine")
    one_line_error(cli("--scenario", str(s), "--headless", "--out", str(out)), str(out), "--force")
    assert (out / "metrics.csv").read_text() == first
    proc = cli("--scenario", str(s), "--headless", "--out", str(out), "--force")
    assert proc.returncode == 0, proc.stderr
    assert not (out / "eval.csv").exists() and (out / "notes.md").read_text() == "mine"
    assert check_whole_rows(out / "metrics.csv") == 21
    assert not (out / LOCK_NAME).exists()
    one_line_error(cli("--scenario", str(s), "--out", str(out), "--force"), "--out")


def test_a_second_replay_into_a_locked_folder_names_the_holder(tmp_path, cli):
    out = tmp_path / "o"
    held = open_results_dir(out)  # this process holds the lock, as a running replay would
    try:
        proc = cli("--scenario", str(scenario_file(tmp_path)), "--headless", "--out", str(out))
        one_line_error(proc, str(out), f"pid {os.getpid()}")
        with pytest.raises(OutputError, match="in use by another replay"):
            open_results_dir(out)
        assert not (out / "metrics.csv").exists()
    finally:
        held.release()
    assert replay(parse_scenario(QUAD.format(steps=3, log_every=1)), out, progress=None) == 0


# ------------------------------------------------------------------------------------------ signals
def _start(tmp_path: Path, out: Path) -> subprocess.Popen:
    s = scenario_file(tmp_path, steps=10**9, log_every=1000, extra='[[runs]]\nlabel = "a"\n[[runs]]\nlabel = "b"\n')
    proc = subprocess.Popen([sys.executable, "-m", "sgd_tui", "--scenario", str(s), "--headless", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if (out / "metrics.csv").exists() and check_whole_rows(out / "metrics.csv") > 2:
            return proc
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the replay did not start writing")


@pytest.mark.parametrize("signals", [(signal.SIGTERM,), (signal.SIGINT, signal.SIGINT)], ids=["sigterm", "2x-sigint"])
def test_sigterm_and_a_second_ctrl_c_end_with_a_complete_summary(tmp_path, signals):
    out = tmp_path / "o"
    proc = _start(tmp_path, out)
    for sig in signals:
        proc.send_signal(sig)
        time.sleep(0.05)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    summary = json.loads((out / "summary.json").read_text())
    assert [r["status"] for r in summary["runs"]] == ["stopped", "stopped"]
    assert summary["runs"][1]["message"] == "not started" and summary["exit_code"] == 130
    check_whole_rows(out / "metrics.csv")
    assert (out / "loss.txt").exists() and not (out / LOCK_NAME).exists()


def test_signals_stop_first_interrupt_second_and_wait_while_finishing():
    control = Control()
    sig = Signals(control)
    sig._handler(signal.SIGTERM, None)
    assert control.stopped
    with pytest.raises(KeyboardInterrupt):
        sig._handler(signal.SIGINT, None)
    sig.finishing = True
    sig._handler(signal.SIGINT, None)  # ignored: the results are being written


# ------------------------------------------------------------------------------------------ setup failures
def _bad_data(tmp_path: Path) -> Path:
    raw = tmp_path / "bad-data" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (raw / f"{name}.gz").write_bytes(b"not gzip")
    return tmp_path / "bad-data"


def test_a_run_failing_before_its_first_step_leaves_no_folder(tmp_path, cli):
    out = tmp_path / "new" / "o"
    proc = cli("--scenario", "batch-size", "--headless", "--steps", "1", "--data-dir", str(_bad_data(tmp_path)),
               "--out", str(out))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert not (tmp_path / "new").exists()
    (tmp_path / "mine").mkdir()
    proc = cli("--scenario", "batch-size", "--headless", "--steps", "1", "--data-dir", str(_bad_data(tmp_path / "x")),
               "--out", str(tmp_path / "mine"))
    assert proc.returncode == 2 and list((tmp_path / "mine").iterdir()) == []


def test_a_later_run_failing_to_start_is_in_the_summary(tmp_path, cli):
    bad = _bad_data(tmp_path)
    s = scenario_file(tmp_path, extra=f'[[runs]]\nlabel = "ok"\n[[runs]]\nlabel = "no data"\nbatch_size = 4\n'
                                      f'objective = {{ name = "fashion_mnist", data_dir = "{bad}" }}\n'
                                      '[[runs]]\nlabel = "after"\n')
    proc = cli("--scenario", str(s), "--headless", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert [r["status"] for r in summary["runs"]] == ["finished", "error", "stopped"]
    assert "gzip" in summary["runs"][1]["message"] and summary["exit_code"] == 2


# ------------------------------------------------------------------------------------------ what the numbers depend on
def test_summary_records_torch_threads_device_and_the_data(tmp_path):
    from sgd_tui.core.objectives.data import PUBLISHED_MD5, write_fashion_like

    data = write_fashion_like(tmp_path / "data", n_train=64, n_test=16)
    s = parse_scenario(f'schema = 1\n[objective]\nname = "fashion_mnist"\ndata_dir = "{data}"\ntrain_subset = 64\n'
                       '[budget]\nsteps = 2\n[optimizer]\nname = "sgd"\nbatch_size = 8\n')
    assert replay(s, tmp_path / "o", progress=None) == 0
    env = json.loads((tmp_path / "o" / "summary.json").read_text())["environment"]
    import torch

    assert env["torch"] == torch.__version__ and env["torch_threads"] == torch.get_num_threads()
    assert env["device"].startswith("cpu")
    [d] = env["data"]
    assert d["kind"] == "synthetic" and d["dir"] == str(data)
    assert set(d["md5"]) == set(PUBLISHED_MD5) and all(len(v) == 32 for v in d["md5"].values())
    (data / "FashionMNIST" / "raw" / "SYNTHETIC").unlink()
    from sgd_tui.core.objectives.data import describe_data

    assert describe_data(data)["kind"] == "other"
