"""The package installs anywhere: a wheel built from this checkout carries every scenario file, and the
installed package, run from another folder, lists them all and replays one. The version has one home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import sgd_tui

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted(p.name for p in (ROOT / "scenarios").glob("*.toml"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "-q", "-w", str(out), str(ROOT)], check=True, capture_output=True, timeout=300,
                   cwd=tmp_path_factory.mktemp("cwd"))
    (whl,) = out.glob("sgd_tui-*.whl")
    return whl


def test_the_wheel_carries_every_scenario_and_the_stylesheet(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("sgd_tui/scenarios/")) == SCENARIOS
    assert "sgd_tui/ui/app.tcss" in names
    assert not [n for n in names if n.startswith(("tests/", "scenarios/"))]


@pytest.mark.slow
def test_an_installed_wheel_lists_and_replays_the_scenarios_from_another_folder(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)  # what pip install puts in site-packages
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("SGD_TUI_SCENARIOS", None)
    probe = subprocess.run([sys.executable, "-c", "import sgd_tui; print(sgd_tui.__file__)"], env=env,
                           cwd=elsewhere, capture_output=True, text=True, check=True)
    assert probe.stdout.strip().startswith(str(site))  # the installed copy, not this checkout
    listed = subprocess.run([sys.executable, "-m", "sgd_tui", "--list-scenarios"], env=env, cwd=elsewhere,
                            capture_output=True, text=True, timeout=120, check=True).stdout
    assert sorted(line.split()[0] + ".toml" for line in listed.splitlines() if line.strip()) == [
        n for n in SCENARIOS if n != "lecture.toml"]  # the playlist is not a scenario
    run = subprocess.run([sys.executable, "-m", "sgd_tui", "--scenario", "saddle", "--headless", "--out", "out",
                          "--steps", "5"], env=env, cwd=elsewhere, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    summary = json.loads((elsewhere / "out" / "summary.json").read_text())
    assert summary["environment"]["sgd_tui"] == sgd_tui.__version__
    assert all(r["steps"] == 5 for r in summary["runs"])


def test_the_version_lives_in_one_place():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "sgd_tui.__version__"}
