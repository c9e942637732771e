"""Figures for slides: ``--figures svg`` writes an SVG beside each text plot, sized 16:9, with the title,
the plot's text and each run's marker in its colour."""

from __future__ import annotations

import re

import pytest

from sgd_tui.cli import main
from sgd_tui.plotting.palette import RUN_COLORS
from sgd_tui.replay.figures import CELL_RATIO, SLIDE_RATIO, legend_markers, slide_padding, text_figure_svg


def test_slide_padding_reaches_16_9_by_padding_the_short_side():
    for cols, rows in [(80, 30), (200, 20), (50, 50)]:
        c, r = slide_padding(cols, rows)
        assert c >= cols and r >= rows and (c == cols or r == rows)
        assert c * CELL_RATIO / r == pytest.approx(SLIDE_RATIO, rel=0.03)


def test_legend_markers_follow_run_order():
    lines = ["plot", "  x  gd lr=0.001", "  o  sgd momentum=0.9", "  +  adam"]
    assert legend_markers(lines) == {"x": RUN_COLORS[0], "o": RUN_COLORS[1], "+": RUN_COLORS[2]}


def test_a_marker_is_coloured_inside_the_frame_and_on_its_legend_line_only():
    text = "  title\n  │x  o│\n  └───┘\n  x  gd\n  o  sgd mom\n"
    svg = text_figure_svg(text, "demo · loss")
    assert "demo&#160;·&#160;loss" in svg or "demo · loss" in svg
    gd = "#%02x%02x%02x" % RUN_COLORS[0]
    assert gd in svg.lower()
    # the 'o' letters inside the label "sgd mom" are not styled as markers: 2 'o' marks in the run's colour
    sgd = "#%02x%02x%02x" % RUN_COLORS[1]
    classes = set(re.findall(r"\.([\w-]+-r\d+) \{ fill: " + sgd, svg.lower()))
    assert classes
    coloured = sum(len(re.findall(rf'class="{c}"[^>]*>o<', svg)) for c in classes)
    assert coloured == 2  # the marker in the frame and the one on its legend line, not the label's letters


def test_headless_figures_svg_writes_one_svg_per_text_plot(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["--scenario", "saddle", "--headless", "--out", "out", "--steps", "20", "--figures", "svg"]) == 0
    txt = sorted(p.stem for p in (tmp_path / "out").glob("*.txt"))
    svg = sorted(p.stem for p in (tmp_path / "out").glob("*.svg"))
    assert txt and svg == txt
    assert "<svg" in (tmp_path / "out" / "loss.svg").read_text()


def test_figures_are_for_headless_replays(capsys):
    assert main(["--scenario", "saddle", "--figures", "svg"]) == 2
    assert "--figures is for --headless replays" in capsys.readouterr().err
