"""The sgd-tui command line: fast answers, one clear line for bad input, exit codes of design §3.

Most tests call the CLI in this process (``cli_in_process``: no new interpreter importing torch for each);
``test_the_console_entry_point_exits_with_mains_status`` runs ``python -m sgd_tui`` as a process, and the
hostile-text, results-folder and corpus tests run many more."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from sgd_tui.core.objectives.registry import OBJECTIVES
from sgd_tui.core.optim.registry import MODERN, OPTIMIZERS
from sgd_tui.core.params import format_value

ROOT = Path(__file__).resolve().parent.parent


def test_list_optimizers_shows_every_hyperparameter_with_default_and_range(cli_in_process, capsys):
    assert cli_in_process(["--list-optimizers"]) == 0
    out = capsys.readouterr().out
    for info in OPTIMIZERS.values():
        block = out.split(f"\n{info.name}: ", 1)[1] if not out.startswith(f"{info.name}: ") else out
        block = block.split("\n\n", 1)[0]
        for p in info.params:
            line = next(line for line in block.splitlines() if line.split()[:1] == [p.name])
            assert format_value(p.default) in line and p.allowed() in line
    assert "batch_size" in out.split("run settings", 1)[1]


def test_list_objectives_and_scenarios(cli_in_process, capsys):
    assert cli_in_process(["--list-objectives"]) == 0
    out = capsys.readouterr().out
    for info in OBJECTIVES.values():
        assert f"{info.name} ({info.kind}): {info.title}" in out
    assert cli_in_process(["--list-scenarios"]) == 0
    out = capsys.readouterr().out
    assert any(line.startswith("optimizer-race ") and "Rosenbrock" in line for line in out.splitlines())


@pytest.mark.parametrize("args, words", [
    (["--steps", "x"], "invalid int value"),
    (["--steps", "5", "--epochs", "2"], "not allowed with"),
    (["--headless"], "--headless needs --scenario"),
    (["--seed", "1"], "--seed need --scenario"),
    (["--scenario", "no-such-scenario", "--headless"], "unknown scenario 'no-such-scenario'"),
    (["--scenario", "optimizer-race", "--headless", "--device", "gpu"], "invalid device 'gpu'"),
    (["--scenario", "optimizer-race", "--headless", "--epochs", "1"], "budget.epochs"),
    (["--scenario", "optimizer-race", "--headless", "--steps", "0"], "--steps and --epochs take a number >= 1"),
    (["--validate", "/nonexistent/x.toml"], "no such file"),
])
def test_bad_input_is_one_line_and_exit_2(args, words, tmp_path, cli_in_process, capsys):
    code = cli_in_process([*args, "--out", str(tmp_path / "o")] if "--headless" in args else args)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert words in err
    assert len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("args, code, words", [
    (["--steps", "x"], 2, "invalid int value"),  # argparse's sys.exit(2)
    (["--scenario", "no-such-scenario", "--headless"], 2, "unknown scenario 'no-such-scenario'"),  # main's 2
])
def test_the_console_entry_point_exits_with_mains_status(args, code, words, tmp_path, cli):
    proc = cli(*args, "--out", str(tmp_path / "o"))
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr and words in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stdout == "" and not (tmp_path / "o").exists()


def test_headless_with_overrides_writes_to_the_default_directory(tmp_path, cli_in_process, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = cli_in_process(["--scenario", str(ROOT / "scenarios" / "optimizer-race.toml"), "--headless",
                           "--steps", "30", "--seed", "5"])
    err = capsys.readouterr().err
    assert code == 0, err
    (out,) = (tmp_path / "runs").iterdir()
    assert out.name.startswith("optimizer-race-")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["environment"]["seed"] == 5
    assert {r["steps"] for r in summary["runs"]} == {30} and len(summary["runs"]) == len(OPTIMIZERS) - len(MODERN)
    assert "results in" in err and "run 1/" in err  # plain progress lines off a terminal
    assert "\r" not in err


def test_a_diverged_run_still_exits_0(tmp_path, cli_in_process, capsys, scenario_file):
    path = scenario_file("""\
        schema = 1
        [objective]
        name = "quadratic"
        [budget]
        steps = 100
        [optimizer]
        name = "gd"
        lr = 10.0
        """)
    code = cli_in_process(["--scenario", str(path), "--headless", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "diverged at step" in err


def test_an_unavailable_device_is_bad_input(tmp_path, cli_in_process, capsys, scenario_file):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    path = scenario_file(f"""\
        schema = 1
        device = "cuda:0"
        [objective]
        name = "fashion_mnist"
        data_dir = "{tmp_path}"
        [budget]
        epochs = 1
        [optimizer]
        name = "sgd"
        """)
    code = cli_in_process(["--scenario", str(path), "--headless", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and "'cuda:0' is not available" in err


def test_the_interactive_path_hands_the_scenario_to_the_app(monkeypatch):
    """The CLI calls ui.app.run_app(scenario=..., monochrome=...) with the overrides applied."""
    import types

    from sgd_tui import cli as cli_module

    seen = {}
    fake = types.ModuleType("sgd_tui.ui.app")
    fake.run_app = lambda scenario=None, monochrome=False, lecture=None, overrides=None, present=False: seen.update(
        scenario=scenario, mono=monochrome, lecture=lecture, present=present) or 0
    monkeypatch.setitem(sys.modules, "sgd_tui.ui.app", fake)
    assert cli_module.main(["--scenario", "optimizer-race", "--monochrome", "--steps", "7"]) == 0
    assert seen["mono"] is True and seen["scenario"].name == "optimizer-race"
    assert {r.budget["steps"] for r in seen["scenario"].runs} == {7}
    assert cli_module.main([]) == 0 and seen["scenario"] is None and seen["mono"] is False
    assert cli_module.main(["--lecture"]) == 0  # the playlist's first demo, and the playlist
    assert seen["scenario"].name == seen["lecture"].demos[0] == "losses"
    assert seen["present"] is False
    # presenter mode, with a scenario, with the lecture and on its own
    assert cli_module.main(["--present", "--scenario", "why-momentum"]) == 0
    assert seen["present"] is True and seen["scenario"].name == "why-momentum"
    assert cli_module.main(["--lecture", "--present"]) == 0 and seen["present"] and seen["lecture"] is not None
    assert cli_module.main(["--present"]) == 0 and seen["present"] and seen["scenario"] is None


def test_a_missing_app_is_reported_cleanly(monkeypatch, capsys):
    from sgd_tui import cli as cli_module

    monkeypatch.setitem(sys.modules, "sgd_tui.ui.app", None)  # as if this build had no UI
    assert cli_module.main([]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "sgd-tui: sgd_tui.ui.app is not part of this build; use --scenario NAME --headless"
