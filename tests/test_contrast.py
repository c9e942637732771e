"""Projector contrast: every run colour, marker and path keeps a WCAG 2.x contrast ratio of at least 4.5:1
against every background it can be drawn on -- the app's background, each heat-map band, each basin colour.

The luminance is computed here from the WCAG 2.x formula (not with the package's helper, which is checked
against it), over the palettes the plots actually use."""

import math
from pathlib import Path

import pytest
from textual.color import Color

from sgd_tui.plotting.basinpaint import BASIN_COLORS, DIVERGED, NOT_CONVERGED, legend_color
from sgd_tui.plotting.heat import HEAT_BANDS, heat_colors
from sgd_tui.plotting.palette import (
    BACKGROUND_MAX_LUMINANCE,
    MIN_CONTRAST,
    PRESENTER_ALARM,
    PRESENTER_MIN_CONTRAST,
    PRESENTER_RUN_COLORS,
    PRESENTER_TEXT,
    RUN_COLORS,
    contrast_ratio,
    presenter_color,
)
from sgd_tui.plotting.raster import braille_cells
from sgd_tui.plotting.ratemap import RATE_BANDS
from sgd_tui.ui.app import SgdApp

WHITE = (255, 255, 255)  # the minimum's mark on the trajectory plot, the rate map's marks


def luminance(rgb) -> float:
    """WCAG 2.x: sRGB channels linearised, weighted 0.2126 / 0.7152 / 0.0722."""
    lin = [(c / 255) / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def ratio(a, b) -> float:
    la, lb = luminance(a), luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def app_backgrounds() -> dict[str, tuple[int, int, int]]:
    """The theme colours the plots, the legend and the runs table sit on (app.tcss sets none of its own)."""
    variables = SgdApp().get_css_variables()
    return {name: Color.parse(variables[name]).rgb for name in ("background", "surface")}


def backgrounds() -> dict[str, tuple[int, int, int]]:
    out = {f"heat band {i}": c for i, c in enumerate(heat_colors(HEAT_BANDS))}
    out.update({f"basin {i}": c for i, c in enumerate(BASIN_COLORS)})
    out.update({"diverged starts": DIVERGED, "not-converged starts": NOT_CONVERGED})
    out.update(app_backgrounds())
    return out


def test_the_formula_matches_wcag_reference_values():
    assert ratio(WHITE, (0, 0, 0)) == pytest.approx(21.0)
    assert ratio((119, 119, 119), WHITE) == pytest.approx(4.48, abs=0.01)  # #777 on white: just under AA
    assert ratio((118, 118, 118), WHITE) == pytest.approx(4.54, abs=0.01)  # #767676: the lightest AA grey
    for a, b in [(RUN_COLORS[0], heat_colors(HEAT_BANDS)[-1]), ((12, 200, 99), (3, 4, 5))]:
        assert contrast_ratio(a, b) == pytest.approx(ratio(a, b), rel=1e-12)


def test_every_run_colour_reaches_aa_on_every_background_it_is_drawn_on():
    worst = min((ratio(run, bg), run, name) for run in RUN_COLORS for name, bg in backgrounds().items())
    assert worst[0] >= MIN_CONTRAST, f"run colour {worst[1]} on {worst[2]}: {worst[0]:.2f}:1"


def test_the_minimum_mark_and_the_rate_map_marks_reach_aa():
    for name, bg in {**backgrounds(), **{f"rate band {i}": c for i, c in enumerate(heat_colors(RATE_BANDS))}}.items():
        assert ratio(WHITE, bg) >= MIN_CONTRAST, name


def test_backgrounds_stay_under_the_luminance_bound_and_runs_above_it():
    """The bound the palettes are built around: dark backgrounds, runs bright enough for all of them."""
    assert max(luminance(c) for c in backgrounds().values()) <= BACKGROUND_MAX_LUMINANCE
    need = MIN_CONTRAST * (BACKGROUND_MAX_LUMINANCE + 0.05) - 0.05
    assert min(luminance(c) for c in RUN_COLORS) >= need


def test_heat_bands_stay_distinct_and_rise():
    """Dark, yet the bands still read as contours: each a different colour, luminance rising with f."""
    bands = heat_colors(HEAT_BANDS)
    assert len(set(bands)) == HEAT_BANDS
    lum = [luminance(c) for c in bands]
    assert lum == sorted(lum) and lum[-1] / lum[0] > 4
    assert len(set(BASIN_COLORS)) == len(BASIN_COLORS)
    assert ratio(DIVERGED, NOT_CONVERGED) > 1.3


def test_run_colours_are_distinct_hues():
    """Brightened, the runs must still be told apart: no two run colours closer than 60 in RGB distance."""
    for i, a in enumerate(RUN_COLORS):
        for b in RUN_COLORS[i + 1:]:
            assert math.dist(a, b) > 60, (a, b)


def test_the_basin_legend_is_readable_and_keeps_each_basins_hue():
    """The legend writes each basin in its map colour lightened (the map's colours are too dark for text)."""
    for dark in [*BASIN_COLORS, DIVERGED, NOT_CONVERGED]:
        light = legend_color(dark)
        for name, bg in app_backgrounds().items():
            assert ratio(light, bg) >= MIN_CONTRAST, (dark, light, name)
        if len(set(dark)) > 1:  # a hue: the strongest channel stays the strongest
            assert max(range(3), key=lambda c: light[c]) == max(range(3), key=lambda c: dark[c])


def test_bold_paths_are_two_dots_thick_in_the_same_cells():
    """A path over the heat map is drawn bold: every dot a 2x2 block of its cell, so a thin diagonal reads
    as a line; the cells it touches (what the terminal is sent) stay the same."""
    xs, ys = [0.0, 9.0], [0.0, 3.0]
    thin = braille_cells(xs, ys, (0.0, 9.0), (0.0, 3.0), 10, 4)
    bold = braille_cells(xs, ys, (0.0, 9.0), (0.0, 3.0), 10, 4, bold=True)
    assert (thin[0], thin[1]) == (bold[0], bold[1])
    dots = [bin(ord(c) - 0x2800).count("1") for c in bold[2]]
    assert all(d in (4, 8) for d in dots) and sum(dots) > sum(bin(ord(c) - 0x2800).count("1") for c in thin[2])
    for t, b in zip(thin[2], bold[2]):
        assert (ord(t) - 0x2800) & ~(ord(b) - 0x2800) == 0  # bold covers every thin dot


# ----------------------------------------------------------------------------- presenter mode (--present)
def presenter_backgrounds() -> dict[str, tuple[int, int, int]]:
    """What presenter colours are drawn on: the plots' backgrounds (heat bands, basins, the app's), and the
    panel colour the legend and table rows may sit on."""
    variables = SgdApp().get_css_variables()
    return {**backgrounds(), "panel": Color.parse(variables["panel"]).rgb}


def test_presenter_run_colours_reach_7_to_1_on_every_background():
    """The figures the docs state: at least 7.2:1 on every heat band and basin, 8.1:1 on the panel colour, at least
    11.2:1 on the app's background (computed here from the WCAG formula)."""
    worst = min((ratio(run, bg), run, name) for run in PRESENTER_RUN_COLORS
                for name, bg in presenter_backgrounds().items())
    assert worst[0] >= PRESENTER_MIN_CONTRAST, f"presenter colour {worst[1]} on {worst[2]}: {worst[0]:.2f}:1"
    assert worst[0] >= 7.2
    on_background = min(ratio(run, app_backgrounds()["background"]) for run in PRESENTER_RUN_COLORS)
    assert on_background >= 11.2
    assert min(ratio(run, presenter_backgrounds()["panel"]) for run in PRESENTER_RUN_COLORS) >= 8.1


def test_presenter_text_and_alarm_colours_reach_7_to_1_where_they_are_drawn():
    """The look-for line, the figures' labels, the status line and a diverged figure sit on the app's
    background (presenter mode sets it under them)."""
    bg = app_backgrounds()["background"]
    assert ratio(PRESENTER_TEXT, bg) >= 16.0
    assert ratio(PRESENTER_ALARM, bg) >= PRESENTER_MIN_CONTRAST
    css = (Path(__file__).resolve().parents[1] / "sgd_tui" / "ui" / "app.tcss").read_text()
    assert "rgb({}, {}, {})".format(*PRESENTER_TEXT) in css and "rgb({}, {}, {})".format(*PRESENTER_ALARM) in css


def test_presenter_colours_keep_the_normal_hues_apart_and_map_one_to_one():
    for i, a in enumerate(PRESENTER_RUN_COLORS):
        for b in PRESENTER_RUN_COLORS[i + 1:]:
            assert math.dist(a, b) > 60, (a, b)
    assert [presenter_color(c) for c in RUN_COLORS] == list(PRESENTER_RUN_COLORS)
    own = presenter_color((90, 20, 20))  # a colour of the scenario's own: lightened, its hue kept
    assert luminance(own) >= 0.58 and own[0] == max(own)
    assert min(ratio(own, bg) for bg in presenter_backgrounds().values()) >= PRESENTER_MIN_CONTRAST
