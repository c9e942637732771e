"""sgd-tui --synthetic-data DIR (issue 9): a labelled synthetic set in FashionMNIST's file format, and
every place its numbers show says so (the app's status line, summary.json, loss.txt)."""

import json

import pytest
from fashion_data import make_fashion_dir, run_cli

from sgd_tui.core.objectives.data import GZ_NAMES, SYNTHETIC_MARKER, is_synthetic, load_fashion_mnist, raw_dir


def test_synthetic_data_writes_the_four_files_and_a_marker(tmp_path, monkeypatch, capsys):
    code = run_cli(monkeypatch, ["--synthetic-data", str(tmp_path / "syn")])
    out = capsys.readouterr().out
    raw = raw_dir(tmp_path / "syn")
    assert code == 0 and "SYNTHETIC" in out and "not FashionMNIST" in out
    assert sorted(p.name for p in raw.iterdir()) == sorted([*GZ_NAMES, SYNTHETIC_MARKER])
    assert "not FashionMNIST" in (raw / SYNTHETIC_MARKER).read_text()
    assert is_synthetic(tmp_path / "syn") and not is_synthetic(tmp_path)
    data = load_fashion_mnist(tmp_path / "syn", download=False)  # the real format: it loads
    assert data is not None


def test_synthetic_data_does_not_overwrite_a_real_set(tmp_path, monkeypatch, capsys):
    raw = raw_dir(tmp_path)
    raw.mkdir(parents=True)
    (raw / GZ_NAMES[0]).write_bytes(b"real bytes")
    assert run_cli(monkeypatch, ["--synthetic-data", str(tmp_path)]) == 2
    assert "not overwriting" in capsys.readouterr().err and (raw / GZ_NAMES[0]).read_bytes() == b"real bytes"


def test_a_replay_on_synthetic_data_says_so_in_summary_and_loss_plot(tmp_path, monkeypatch):
    root = make_fashion_dir(tmp_path / "data")
    out = tmp_path / "out"
    code = run_cli(monkeypatch, ["--scenario", "lecture-script", "--headless", "--out", str(out),
                                 "--data-dir", str(root), "--steps", "3"])
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert all(r.get("synthetic_data") is True for r in summary["runs"])
    assert (out / "loss.txt").read_text().startswith("SYNTHETIC data")


def test_the_app_status_line_says_synthetic(tmp_path):
    from sgd_tui.ui.session import Session, Shared
    from sgd_tui.ui.widgets.status_line import StatusLine

    root = make_fashion_dir(tmp_path / "data")
    s = Session(Shared("fashion_mnist", {"data_dir": str(root)}, {"epochs": 1}, 0, "cpu"))
    s.add(s.make_spec("sgd", {"lr": 1e-3}, {}))
    assert StatusLine().synthetic_data(s)
    real = Session(Shared("fashion_mnist", {"data_dir": str(tmp_path / "none")}, {"epochs": 1}, 0, "cpu"))
    real.add(real.make_spec("sgd", {"lr": 1e-3}, {}))
    assert not StatusLine().synthetic_data(real)


@pytest.mark.parametrize("objective", ["rosenbrock"])
def test_surfaces_are_never_synthetic_data(objective):
    from sgd_tui.ui.session import Session, Shared
    from sgd_tui.ui.widgets.status_line import StatusLine

    s = Session(Shared(objective, {}, {"steps": 5}, 0, "cpu"))
    s.add(s.make_spec("gd", {"lr": 1e-3}, {}))
    assert not StatusLine().synthetic_data(s)
