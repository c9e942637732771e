"""The wall between layers (after harlequin's test_import_hygiene): sgd_tui.core, the plotting layer and
the headless replay never import textual; the core imports no rich or plotext either, nor the layers
above it; the CLI's help, list and validate paths import neither textual nor torch. Each check runs in a
fresh interpreter and inspects sys.modules."""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import sgd_tui.core
import sgd_tui.plotting

ROOT = Path(__file__).resolve().parent.parent
CORE_MODULES = sorted(m.name for m in pkgutil.walk_packages(sgd_tui.core.__path__, "sgd_tui.core."))
PLOTTING_MODULES = sorted(m.name for m in pkgutil.walk_packages(sgd_tui.plotting.__path__, "sgd_tui.plotting."))


def loaded_after(code: str, full: bool = False) -> set[str]:
    """The top-level packages (every module name with ``full``) loaded after running ``code``."""
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120,
                         check=True).stdout
    names = json.loads(out.splitlines()[-1])
    return set(names) if full else {m.split(".")[0] for m in names}


def test_the_core_has_modules():
    assert {"sgd_tui.core.scenario.parse", "sgd_tui.core.run.engine", "sgd_tui.core.optim.registry"} <= set(CORE_MODULES)


def test_core_never_imports_ui_or_plotting_libraries():
    loaded = loaded_after("\n".join(f"import {m}" for m in CORE_MODULES), full=True)
    top = {m.split(".")[0] for m in loaded}
    assert "torch" in top  # the probe did import the heavy modules
    assert not top & {"textual", "rich", "plotext", "textual_plotext"}
    above = {m for m in loaded if m.startswith(("sgd_tui.plotting", "sgd_tui.ui", "sgd_tui.replay"))}
    assert not above, above


def test_plotting_never_imports_textual():
    assert {"sgd_tui.plotting.textplot", "sgd_tui.plotting.series"} <= set(PLOTTING_MODULES)
    top = loaded_after("\n".join(f"import {m}" for m in PLOTTING_MODULES))
    assert {"numpy", "plotext"} <= top  # the probe did import the modules
    assert not top & {"textual", "rich", "textual_plotext"}


def test_headless_replay_never_imports_textual():
    top = loaded_after("import sgd_tui.replay.run, sgd_tui.replay.sweep, sgd_tui.plotting.textplot, sgd_tui.cli")
    assert "plotext" in top and "textual" not in top


@pytest.mark.parametrize("args", [["--help"], ["--list-scenarios"], ["--list-objectives"], ["--list-optimizers"],
                                  ["--validate", "scenarios/optimizer-race.toml"]])
def test_cli_fast_paths_import_neither_torch_nor_textual(args):
    code = (f"import os, sys; os.chdir({str(ROOT)!r}); from sgd_tui.cli import main\n"
            f"try:\n    main({args!r})\nexcept SystemExit:\n    pass")
    top = loaded_after(code)
    assert not top & {"torch", "textual", "numpy", "plotext", "rich"}


def test_the_data_files_and_errors_load_without_the_engine_or_torch():
    top = loaded_after("import sgd_tui.core.errors, sgd_tui.core.objectives.data, sgd_tui.core.scenario.parse")
    assert "torch" not in top
    mods = json.loads(subprocess.run(
        [sys.executable, "-c", "import sys, json, sgd_tui.core.objectives.data; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120, check=True,
    ).stdout.splitlines()[-1])
    assert "sgd_tui.core.run.engine" not in mods
