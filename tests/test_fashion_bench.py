"""Smoke test of ``sgd-tui --bench``: both loops run on generated data and the table has its numbers."""

from __future__ import annotations

import io
import re

import pytest

from sgd_tui import bench


def test_flops_per_sample_of_the_lecture_mlp():
    # forward 2·(784·512 + 512·512 + 512·10), the same again for the weight gradients, and the input
    # gradients of layers 2 and 3 only
    fwd = 2 * (784 * 512 + 512 * 512 + 512 * 10)
    assert bench.mlp_flops_per_sample((784, 512, 512, 10)) == 2 * fwd + 2 * (512 * 512 + 512 * 10)
    assert bench.mlp_flops_per_sample((784, 10)) == 4 * 784 * 10


def test_bench_quick_runs_both_loops_on_generated_data(tmp_path, monkeypatch):
    monkeypatch.setenv("SGD_TUI_DATA_DIR", str(tmp_path / "empty"))
    out = io.StringIO()
    assert bench.main(["--quick", "--batch-sizes", "16,64", "--seconds", "0.05"], out=out) == 0
    text = out.getvalue()
    assert "generated synthetic data in the same IDX .gz format" in text
    row = r"^\s*(\d+)\s+([\d,]+)/s\s+([\d,]+)/s\s+([\d.]+)x\s+([\d.]+) GFLOP/s\s+(\d+)%"
    rows = {int(m[0]): m for m in re.findall(row, text, re.M)}
    assert sorted(rows) == [16, 64]
    for _, lecture, fast, ratio, peak, share in rows.values():
        lec, fst = float(lecture.replace(",", "")), float(fast.replace(",", ""))
        assert lec > 0 and fst > 0 and float(peak) > 0 and int(share) > 0
        assert float(ratio) == pytest.approx(fst / lec, abs=0.01)


def test_bench_bf16_column_and_cpu_time_table(tmp_path, monkeypatch):
    monkeypatch.setenv("SGD_TUI_DATA_DIR", str(tmp_path / "empty"))
    out = io.StringIO()
    argv = ["--quick", "--batch-sizes", "64", "--seconds", "0.05", "--bf16", "--cpu-time", "--threads", "1"]
    assert bench.main(argv, out=out) == 0
    text = out.getvalue()
    row = r"^\s*64\s+([\d,]+)/s\s+([\d,]+)/s\s+[\d.]+x\s+[\d.]+ GFLOP/s\s+\d+%\s+([\d,]+)/s\s+([\d.]+)x"
    wall, cpu = re.findall(row, text, re.M)  # a table by wall time, then one by CPU time
    for m in (wall, cpu):
        fast, bf16 = float(m[1].replace(",", "")), float(m[2].replace(",", ""))
        assert bf16 > 0 and float(m[3]) == pytest.approx(bf16 / fast, abs=0.01)
    assert float(cpu[1].replace(",", "")) >= 0.9 * float(wall[1].replace(",", ""))  # CPU time <= wall time
    assert "CHANGES THE NUMBERS" in text and "per second of CPU time" in text


def test_bench_rejects_bad_arguments(capsys):
    assert bench.main(["--batch-sizes", "16,x"]) == 2
    assert "--batch-sizes takes positive integers" in capsys.readouterr().err


def test_bench_on_a_missing_device_exits_2(capsys):
    import torch

    if torch.cuda.device_count() > 7:
        pytest.skip("this machine has a cuda:7")
    assert bench.main(["--device", "cuda:7", "--quick"]) == 2
    assert "'cuda:7' is not available" in capsys.readouterr().err


def test_bench_prints_each_rounds_share_min_median_max(fashion_root):
    out = io.StringIO()
    argv = ["--data-dir", str(fashion_root), "--batch-sizes", "16", "--seconds", "0.02", "--rounds", "3",
            "--threads", "1", "--cpu-time"]
    assert bench.main(argv, out=out) == 0
    text = out.getvalue()
    spreads = re.findall(r"^\s*16\s+(\d+)% / (\d+)% / (\d+)%\s+\(3 rounds\)$", text, re.M)
    assert len(spreads) == 2  # by wall time, then by CPU time
    for lo, mid, hi in spreads:
        assert 0 < int(lo) <= int(mid) <= int(hi)
    assert "round by round" in text


def test_bench_cuts_windows_into_slices_and_reports_the_fold(fashion_root, capsys):
    """Windows of 0.4 s are cut into 2 slices by default (one per 0.2 s); --slices 1 keeps whole windows; the
    share of steps the momentum fold took is printed per batch size (batch 16: every step but the logged ones)."""
    out = io.StringIO()
    argv = ["--data-dir", str(fashion_root), "--batch-sizes", "16", "--seconds", "0.4", "--rounds", "1",
            "--threads", "1"]
    assert bench.main(argv, out=out) == 0
    text = out.getvalue()
    assert "each in 2 slices taken in turn with the other loops'" in text
    share = re.search(r"momentum fold .*: batch 16 (\d+)% of the fast path's steps", text)
    assert share and 90 <= int(share[1]) <= 100
    out = io.StringIO()
    assert bench.main(argv + ["--slices", "1"], out=out) == 0
    assert "slices taken in turn" not in out.getvalue()
    assert bench.main(argv + ["--slices", "-1"]) == 2
    assert "--slices takes a positive integer" in capsys.readouterr().err
