"""Fixtures shared by the test files: scenario files written to a temporary directory, the synthetic
FashionMNIST data set, and the ``sgd-tui`` command line run as a separate process.

Helpers that are plain functions rather than fixtures live in ``core_helpers.py`` (RunSpecs and runs)
and ``fashion_data.py`` (the data set's writer, the network block, the in-process CLI).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Callable

import pytest
from fashion_data import make_fashion_dir, run_cli

ROOT = Path(__file__).resolve().parent.parent

#: the synthetic FashionMNIST set the session shares (class templates plus noise, in the real file format)
FASHION_TRAIN, FASHION_TEST = 512, 256


def pytest_xdist_auto_num_workers(config) -> int:
    """``-n auto`` (pyproject's addopts): one worker more than the cores. About a third of the suite's time is
    waiting (app tests pausing for a redraw, subprocesses, sockets), which a third worker fills: on the
    2-core machine the suite took 212 s with 3 workers against 258 s with 2 (quiet, 351 CPU-s either way)."""
    return (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1) + 1


def pytest_collection_modifyitems(config, items):
    """The test files that hold tests marked ``slow`` first (each file's tests kept together and in their
    order, so its module fixtures are made once): xdist's worksteal hands the first half of the list to one
    worker and lets the other take queued tests from it, so the longest tests start early and the last ones
    to finish are short (a 30 s test started last would leave the other worker idle for 30 s)."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: item.path not in slow_files)


@pytest.fixture
def one_ray_at_a_time():
    """The tests that start a local Ray instance take turns, across the xdist workers: two instances
    starting at once on one machine were seen to fail each other (a file lock in the temporary folder)."""
    import fcntl
    import tempfile

    with open(Path(tempfile.gettempdir()) / "sgd-tui-tests-ray.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture
def scenario_file(tmp_path) -> Callable[..., Path]:
    """A factory ``scenario_file(text, name="scenario.toml")``: writes the TOML ``text`` (dedented) under
    this test's tmp_path and returns its path."""

    def write(text: str, name: str = "scenario.toml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    return write


@pytest.fixture(scope="session")
def fashion_root(tmp_path_factory) -> Path:
    """The synthetic FashionMNIST data set (512 training, 256 test images, seed 0), written once a session.

    Tests only read it (the loader extracts the .gz files next to themselves, the same for every reader);
    a test that corrupts or rewrites files writes its own set with ``make_fashion_dir(tmp_path)``."""
    return make_fashion_dir(tmp_path_factory.mktemp("fashion"), n_train=FASHION_TRAIN, n_test=FASHION_TEST, seed=0)


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch intra-op thread for a module (``pytestmark = pytest.mark.usefixtures("one_torch_thread")``):
    on a busy 2-core machine two threads make small FashionMNIST steps 10-40x slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess]:
    """``cli(*args, cwd=None, timeout=120, env=None)``: ``python -m sgd_tui ARGS`` in a new process with this
    checkout first on the path; the CompletedProcess has ``returncode``, ``stdout`` and ``stderr``."""
    return run_sgd_tui


@pytest.fixture
def cli_in_process(monkeypatch) -> Callable[[list[str]], int]:
    """``cli_in_process(argv)``: ``sgd-tui ARGV`` in this process (capsys sees its output, monkeypatches
    apply); returns the exit status."""
    return lambda argv: run_cli(monkeypatch, argv)


def run_sgd_tui(*args: str, cwd: Path | None = None, timeout: float = 120,
                env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "sgd_tui", *map(str, args)], capture_output=True, text=True,
                          env=environ, timeout=timeout, cwd=cwd)
