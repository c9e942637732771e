"""Text from a scenario file or the command line never reaches the terminal raw (core.text.safe_text).

tests/hostile/escapes.toml is a valid scenario whose title, description and labels hold OSC 0 (window
title), OSC 52 (clipboard), CSI 2J (clear screen), one-byte C1 sequences, bidi overrides, BEL, CR and
Textual markup; tests/bad_scenarios/hostile_text.toml puts them in an unknown key and invalid values.
Every print path is checked: --validate, --list-scenarios, error messages, headless progress, loss.txt
and trajectory.txt, and the app's drawn screen. Data files (metrics.csv, summary.json) keep the exact text.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sgd_tui.core.text import safe_text, shorten, unique_label, unique_labels

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "tests" / "hostile" / "escapes.toml"
BAD = ROOT / "tests" / "bad_scenarios" / "hostile_text.toml"
DANGEROUS = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]} - {"\n", "\t"} | set(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")


def raw(text: str, allow: str = "") -> set[str]:
    """The dangerous characters in ``text`` (``allow``: ones the writer adds itself, e.g. a progress bar's CR)."""
    return {c for c in text if c in DANGEROUS and c not in allow}


def screen_text(app) -> str:
    """The text the app has drawn (its screenshot's SVG without tags: what reaches the terminal)."""
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]*>", "", svg)).replace("\xa0", " ")


async def drawn(pilot, *texts: str, timeout: float = 60) -> str:
    """The app's drawn text once it shows every one of ``texts`` (or after ``timeout`` s, for the assertion to
    say what is missing): a loaded machine may take well over a fixed pause to draw a notification."""
    deadline = time.monotonic() + timeout
    while True:
        await pilot.pause(0.1)
        screen = screen_text(pilot.app)
        if all(t in screen for t in texts) or time.monotonic() > deadline:
            return screen


def cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sgd_tui", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env}, errors="surrogateescape")


# ------------------------------------------------------------------------------------------- the function
def test_safe_text_makes_every_control_visible_and_keeps_plain_text():
    assert safe_text("plain ünïcode ∇f(x) — ok") == "plain ünïcode ∇f(x) — ok"
    assert safe_text("\x1b]0;t\x07\x1b[2J\r\x7f") == "␛]0;t␇␛[2J␍␡"
    assert safe_text("\x9b31m\x9d0;x\x9c") == "\\x9b31m\\x9d0;x\\x9c"
    assert safe_text("a\u202eb\u2066c\u200ed\u061c") == "a\\u202eb\\u2066c\\u200ed\\u061c"
    assert safe_text("a\udcffb") == "a\\udcffb"  # an undecodable byte of a command-line argument
    assert safe_text("one\n\ttwo") == "one\n\ttwo"
    assert safe_text("one\n\ttwo", newlines=False) == "one␊␉two"
    every = "".join(chr(c) for c in range(0x2100)) + "\ud800\udfff"
    once = safe_text(every, newlines=False)
    assert not raw(once + "\n\t") - {"\n", "\t"} and "\n" not in once and safe_text(once) == once


def test_shorten_cuts_long_values_and_says_how_long():
    assert shorten("short") == "short"
    long = "[" + ", ".join(["0.0"] * 200_000) + "]"
    cut = shorten(long)
    assert len(cut) <= 80 and cut.startswith("[0.0, 0.0") and str(len(long)) in cut


def test_unique_labels_never_collide():
    assert unique_labels(["same", "same", "same #2"]) == ["same", "same #3", "same #2"]
    assert unique_labels(["a", "a", "a", "a #2", "a #3"]) == ["a", "a #4", "a #5", "a #2", "a #3"]
    for labels in (["x"] * 5, ["x #2", "x", "x", "x #2"], ["", "", " #2"]):
        out = unique_labels(labels)
        assert len(set(out)) == len(out)
    assert unique_label("x", {"x", "x #2"}) == "x #3" and unique_label("y", {"x"}) == "y"


# ------------------------------------------------------------------------------------------- the CLI
def test_validate_prints_titles_and_errors_made_visible():
    proc = cli("--validate", str(HOSTILE), str(BAD))
    assert proc.returncode == 2
    assert not raw(proc.stdout) and not raw(proc.stderr)
    assert "␛]0;pwned-title␇" in proc.stdout and "\\u202eevil" in proc.stdout and "\\x9b31m" in proc.stdout
    assert "x␛]0;pwned-key␇" in proc.stderr  # the unknown key
    assert "␛[2Jshuffle\\x9b" in proc.stderr  # the invalid value
    assert "Traceback" not in proc.stderr


def test_list_scenarios_prints_names_and_titles_made_visible(tmp_path):
    (tmp_path / "evil\x1b]0;name\x07.toml").write_text(HOSTILE.read_text())
    (tmp_path / "broken.toml").write_text('title = "\x1b[2J" = 3\n')
    proc = cli("--list-scenarios", SGD_TUI_SCENARIOS=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert not raw(proc.stdout) and not raw(proc.stderr)
    assert "evil␛]0;name␇" in proc.stdout and "pwned-title" in proc.stdout and "broken" in proc.stdout


def test_errors_from_options_and_arguments_are_made_visible(tmp_path):
    proc = cli("--scenario", str(HOSTILE), "--headless", "--device", "\x1b]52;c;eA==\x07", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and not raw(proc.stderr) and "]52;c;eA==" in proc.stderr
    assert "from the command-line option --device" in proc.stderr
    proc = cli("--scenario", "no\x1b[2Jsuch\udcff", "--headless")
    assert proc.returncode == 2 and not raw(proc.stderr) and "no␛[2Jsuch\\udcff" in proc.stderr
    proc = cli("--validate", str(tmp_path / "gone\x1b]0;x\x07.toml"))
    assert proc.returncode == 2 and not raw(proc.stderr) and "gone␛]0;x␇" in proc.stderr
    proc = cli("--seed", "\x1b[2J", "--scenario", "saddle")
    assert proc.returncode == 2 and not raw(proc.stderr)


def test_headless_progress_and_text_plots_are_safe_and_data_files_exact(tmp_path):
    out = tmp_path / "out"
    proc = cli("--scenario", str(HOSTILE), "--headless", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert not raw(proc.stderr) and "A␛]0;pwned-label␇" in proc.stderr and "\\u202eok" in proc.stderr
    for name in ("loss.txt", "trajectory.txt"):
        text = (out / name).read_text(encoding="utf-8")
        assert not raw(text), name
    assert "␛]0;pwned-title␇" in (out / "loss.txt").read_text(encoding="utf-8")
    assert "A␛]0;pwned-label␇" in (out / "trajectory.txt").read_text(encoding="utf-8")
    # data keep the exact text, escaped by their format
    with open(out / "metrics.csv", newline="", encoding="utf-8") as f:
        labels = {row["run"] for row in csv.DictReader(f)}
    assert labels == {"A\x1b]0;pwned-label\x07\x1b[31m[red]LBL[/red]", "B\x9d0;c1-osc\x9c\u202eok"}
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"]["title"].startswith("T\x1b]0;pwned-title\x07")
    assert "\\u001b" in (out / "summary.json").read_text(encoding="utf-8")  # JSON escapes it


def test_a_sweep_replay_prints_and_draws_file_text_made_visible(tmp_path):
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(HOSTILE.read_text(encoding="utf-8").replace("steps = 3", "steps = 5")
                     + "\n[sweep]\nlr = [0.01, 0.1]\nseeds = 1\n", encoding="utf-8")
    out = tmp_path / "out"
    proc = cli("--scenario", str(sweep), "--headless", "--out", str(out), "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    assert not raw(proc.stderr + proc.stdout)
    for name in ("loss.txt", "sensitivity.txt"):
        assert not raw((out / name).read_text(encoding="utf-8")), name
    assert "A␛]0;pwned-label␇" in (out / "loss.txt").read_text(encoding="utf-8")
    with open(out / "sweep.csv", newline="", encoding="utf-8") as f:  # data keep the exact text
        assert any(row["label"].startswith("A\x1b]0;pwned-label\x07") for row in csv.DictReader(f))


def test_a_data_error_naming_a_hostile_data_dir_is_made_visible(tmp_path):
    data = tmp_path / "d\x1b]0;data\x07"
    raw_dir = data / "FashionMNIST" / "raw"
    raw_dir.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (raw_dir / f"{name}.gz").write_bytes(b"not gzip")  # a readable error, without any download
    proc = cli("--scenario", "batch-size", "--headless", "--steps", "1", "--data-dir", str(data),
               "--out", str(tmp_path / "o"))
    assert proc.returncode == 2, proc.stderr
    assert not raw(proc.stderr) and "d␛]0;data␇" in proc.stderr and "Traceback" not in proc.stderr


# ------------------------------------------------------------------------------------------- the app
async def test_the_app_draws_file_text_made_visible_and_never_reads_it_as_markup(tmp_path, monkeypatch):
    pytest.importorskip("textual")
    from sgd_tui.core.scenario.parse import load_scenario
    from sgd_tui.ui.app import SgdApp
    from sgd_tui.ui.screens.dialogs import ScenarioPicker
    from sgd_tui.ui.session import session_from_scenario

    (tmp_path / "evil.toml").write_text(HOSTILE.read_text())
    monkeypatch.setenv("SGD_TUI_SCENARIOS", str(tmp_path))
    app = SgdApp(session_from_scenario(load_scenario(HOSTILE)), timings=False)
    async with app.run_test(size=(200, 50), notifications=True) as pilot:
        screen = await drawn(pilot, "A␛]0;pwned-label␇␛[31m[red]LBL[/red]", "T␛]0;pwned-title␇")
        assert not raw(screen)
        assert "A␛]0;pwned-label␇␛[31m[red]LBL[/red]" in screen  # table and label field: literal text
        assert "T␛]0;pwned-title␇" in screen  # the status line
        assert await app.open_scenario(str(BAD)) is False  # an error notification echoing the bad values
        await pilot.pause(0.3)
        screen = screen_text(app)
        assert not raw(screen) and "x␛]0;pwned-key␇" in screen
        assert await app.open_scenario(str(HOSTILE)) is True  # "scenario loaded" with the title
        app.notify("[b]x\x1b]0;n\x07", title="t\x1b[2J")
        screen = await drawn(pilot, "[b]x␛]0;n␇")
        assert not raw(screen) and "[b]x␛]0;n␇" in screen
        app.push_screen(ScenarioPicker([("evil", load_scenario(HOSTILE).title)]))
        screen = await drawn(pilot, "evil  T␛]0;pwned-title␇")
        assert not raw(screen) and "evil  T␛]0;pwned-title␇" in screen


async def test_the_app_save_proposes_a_safe_name_and_asks_before_overwriting(tmp_path, monkeypatch):
    from textual.widgets import Input, Static

    from sgd_tui.core.scenario.parse import load_scenario, parse_scenario
    from sgd_tui.ui.app import SgdApp
    from sgd_tui.ui.screens.dialogs import AskScreen
    from sgd_tui.ui.session import session_from_scenario

    monkeypatch.chdir(tmp_path)
    text = HOSTILE.read_text().replace('title = "T', 'title = "../../x/T', 1)
    app = SgdApp(session_from_scenario(parse_scenario(text, "t.toml")), timings=False)
    async with app.run_test(size=(160, 50)) as pilot:
        app.action_save_scenario()
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, AskScreen)
        answer = dialog.query_one("#answer", Input)
        assert "/" not in answer.value and ".." not in answer.value and answer.value.endswith(".toml")
        assert answer.value.startswith("x-t-0-pwned-title")
        target = tmp_path / answer.value
        target.write_text("mine")
        await pilot.press("enter")  # exists: asks, keeps the file
        assert target.read_text() == "mine" and app.screen is dialog
        assert "press Enter again to overwrite" in str(dialog.query_one("#ask-error", Static).render())
        await pilot.press("enter")  # the same name again: overwrite
        await pilot.pause()
        assert app.screen is not dialog
        assert load_scenario(target).runs[0].label.startswith("A␛]0;pwned-label␇")
