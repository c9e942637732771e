"""Inputs that crashed or misbehaved (issue probes): deep nesting, huge echoed values, non-finite floats,
out-of-range seeds, absurd budgets, duplicate labels, errors of command-line overrides. The broken
files themselves are in tests/bad_scenarios/ (checked by test_scenario_corpus.py)."""

from __future__ import annotations

import csv
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from sgd_tui.core.errors import ParamError, ScenarioError
from sgd_tui.core.objectives.registry import OBJECTIVES
from sgd_tui.core.optim.registry import OPTIMIZERS
from sgd_tui.core.run.spec import BUDGET_PARAMS, RUN_PARAMS, SEED
from sgd_tui.core.scenario.parse import load_scenario, parse_scenario, with_overrides

ROOT = Path(__file__).resolve().parent.parent

SURFACE = """schema = 1
seed = {seed}
[objective]
name = "{objective}"
[budget]
steps = {steps}
log_every = 1
[optimizer]
name = "sgd"
lr = 0.01
"""


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sgd_tui", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_a_1000_level_nesting_is_exit_2_naming_the_file(tmp_path):
    for name, text in (("arrays.toml", "schema = 1\nx = " + "[" * 1000 + "]" * 1000 + "\n"),
                       ("tables.toml", "schema = 1\nx = " + "{a = " * 1000 + "1" + "}" * 1000 + "\n")):
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(ScenarioError, match="nested too deeply"):
            load_scenario(path)
        proc = cli("--validate", str(path))
        assert proc.returncode == 2 and proc.stderr.startswith(f"{path}: ") and "Traceback" not in proc.stderr
    # and a scenarios directory holding such a file still lists
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SGD_TUI_SCENARIOS": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "sgd_tui", "--list-scenarios"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 0 and "unreadable" in proc.stdout


def test_a_200000_number_value_is_echoed_in_a_short_message(tmp_path):
    path = tmp_path / "long.toml"
    path.write_text(SURFACE.format(seed=0, objective="rosenbrock", steps=3)
                    + "start = [" + ", ".join(["0.5"] * 200_000) + "]\n" + '"' + "k" * 100_000 + '" = 1\n')
    proc = cli("--validate", str(path))
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 2 and all(len(line) < 700 for line in lines), [len(x) for x in lines]
    assert "optimizer.start: Invalid start: [0.5, 0.5" in proc.stderr and "characters)" in proc.stderr


def _float_params():
    for info in OBJECTIVES.values():
        yield from ((f"objective {info.name}", p) for p in info.params)
    for info in OPTIMIZERS.values():
        yield from ((f"optimizer {info.name}", p) for p in info.params)
    yield from (("run", p) for p in RUN_PARAMS)
    yield from (("budget", p) for p in BUDGET_PARAMS)


FLOAT_PARAMS = [(where, p) for where, p in _float_params() if p.kind in ("float", "pair", "point", "floats")]


@pytest.mark.parametrize("where,param", FLOAT_PARAMS, ids=[f"{w}.{p.name}" for w, p in FLOAT_PARAMS])
def test_every_float_param_rejects_non_finite_values_in_files_and_forms(where, param):
    for bad in (math.inf, -math.inf, math.nan, 10**400):
        value = bad if param.kind == "float" else [bad] * (1 if param.kind == "floats" else 2)
        with pytest.raises(ParamError):
            param.check(value)
    for text in ("inf", "-inf", "nan", "1e400"):
        with pytest.raises(ParamError):
            param.parse_text(text if param.kind == "float" else f"{text}, {text}")


def test_inf_in_a_file_is_an_error_at_its_key_not_a_nan_run():
    text = SURFACE.format(seed=0, objective="quadratic", steps=3) + 'schedule = "inverse_time"\ndecay = inf\n'
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text, "x.toml")
    assert [(i.key, i.line) for i in err.value.issues] == [("optimizer.decay", 12)]
    assert "decay must be a finite number >= 0" in str(err.value)


def test_seed_range_is_what_the_generators_take():
    s = parse_scenario(SURFACE.format(seed=2**64 - 1, objective="linear_regression", steps=3))
    from sgd_tui.core.run.control import Control
    from sgd_tui.core.run.engine import Runner

    runner = Runner(s.runs[0])
    runner.advance(10, Control())
    assert runner.step == 3
    for bad in (2**64, -1):
        with pytest.raises(ScenarioError, match=r"seed must be an integer in \[0, 18446744073709551615\]"):
            parse_scenario(SURFACE.format(seed=bad, objective="rosenbrock", steps=3))
        with pytest.raises(ParamError):
            SEED.parse_text(str(bad))  # the app's form
    proc = cli("--scenario", "saddle", "--headless", "--seed", str(2**64), "--out", "/nonexistent/x")
    assert proc.returncode == 2 and "(from the command-line option --seed)" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_absurd_budgets_are_errors_and_big_logs_are_warned():
    with pytest.raises(ScenarioError, match=r"steps must be an integer in \[1, 1000000000\]"):
        parse_scenario(SURFACE.format(seed=0, objective="rosenbrock", steps=10**12))
    proc = cli("--scenario", "saddle", "--headless", "--steps", str(10**12), "--out", "/nonexistent/x")
    assert proc.returncode == 2 and "--steps" in proc.stderr and "Traceback" not in proc.stderr
    from sgd_tui.replay.progress import Progress
    from sgd_tui.replay.run import BIG_ROWS, warn_big

    class Sink(list):
        def write(self, s):
            self.append(s)

        def flush(self):
            pass

    sink = Sink()
    spec = SimpleNamespace(label="big")
    warn_big(SimpleNamespace(total_steps=BIG_ROWS, log_every=1, spec=spec), Progress(sink, 1))
    assert not sink
    warn_big(SimpleNamespace(total_steps=10**9, log_every=1, spec=spec), Progress(sink, 1))
    assert "warning" in "".join(sink) and "1,000,000,000 rows" in "".join(sink) and "log_every" in "".join(sink)


def test_the_plot_history_is_bounded_evenly_spaced_and_keeps_the_ends():
    from sgd_tui.core.run.records import Record
    from sgd_tui.replay.results_dir import History

    h = History(cap=100)
    for step in range(1_000_001):
        h.add(Record(step, None, step, 0.0, 1.0 / (1 + step), 0.1, None))
        if step % 99_991 == 0:
            assert len(h.kept) < 200
    steps = [r.step for r in h.records()]
    assert steps[0] == 0 and steps[-1] == 1_000_000 and len(steps) <= 201
    gaps = {b - a for a, b in zip(steps[:-2], steps[1:-1])}
    assert gaps == {h.stride}


def test_a_long_headless_replay_writes_every_row_and_keeps_a_bounded_history(tmp_path, monkeypatch):
    import sgd_tui.replay.results_dir as results_dir
    import sgd_tui.replay.run as headless

    kept = []
    real = results_dir.History.__init__

    def small(self, cap=64):
        real(self, cap)
        kept.append(self)

    monkeypatch.setattr(results_dir.History, "__init__", small)
    s = parse_scenario(SURFACE.format(seed=0, objective="quadratic", steps=5000))
    assert headless.replay(s, tmp_path / "out", progress=None) == 0
    with open(tmp_path / "out" / "metrics.csv", newline="") as f:
        assert sum(1 for _ in csv.DictReader(f)) == 5001  # the start and every step
    assert kept and all(len(h.records()) <= 129 for h in kept)
    assert (tmp_path / "out" / "trajectory.txt").read_text().count("\n") > 10


def test_duplicate_labels_become_unique_without_collision(tmp_path):
    text = SURFACE.format(seed=0, objective="quadratic", steps=2) + "".join(
        f'[[runs]]\nlabel = "{label}"\n' for label in ("same", "same", "same #2"))
    s = parse_scenario(text)
    assert [r.label for r in s.runs] == ["same", "same #3", "same #2"]
    from sgd_tui.replay.run import replay

    assert replay(s, tmp_path / "o", progress=None) == 0
    with open(tmp_path / "o" / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["run"] for r in rows} == {"same", "same #3", "same #2"}
    assert all(sum(r["run"] == label for r in rows) == 3 for label in ("same", "same #3", "same #2"))


def test_an_override_error_names_the_option_not_a_line_of_the_file():
    s = load_scenario("saddle")
    for kwargs, option in (({"epochs": 3}, "--epochs"), ({"device": "nonsense"}, "--device"),
                           ({"seed": -1}, "--seed")):
        with pytest.raises(ScenarioError) as err:
            with_overrides(s, **kwargs)
        text = str(err.value)
        assert f"(from the command-line option {option})" in text, text
        assert not re.search(rf"{re.escape(str(s.path))}:\d", text)  # no line of saddle.toml is to blame
