"""The plotting layer on numbers: RunSeries, thinning, sanitising, smoothing, axis scales, braille and
half-block rasterising, heat-map bands and contours, and the replay's text plots."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sgd_tui.core.run.records import EvalRecord, Record
from sgd_tui.plotting.heat import (
    band_colors,
    cell_centres,
    contour_fill,
    contour_marks,
    heat_bands,
    heat_colors,
    pixel_centres,
    sample_grid,
    sample_pixels,
)
from sgd_tui.plotting.prepare import LIMIT, clamp_path, ema, sanitize, thin, thin_path
from sgd_tui.plotting.raster import UPPER_HALF, braille_cells, half_block_cells
from sgd_tui.plotting.scales import (
    linear_limits,
    linear_ticks,
    log_limits,
    log_ticks,
    nice_step,
    short_label,
    tick_labels,
    value_axis,
)
from sgd_tui.plotting.series import RunSeries
from sgd_tui.plotting.textplot import loss_plot, trajectory_plot


def records(steps, loss=None, xy=None):
    out = []
    for k, s in enumerate(steps):
        value = float(loss[k]) if loss is not None else 1.0 / (1 + s)
        x, y = xy[k] if xy is not None else (None, None)
        out.append(Record(int(s), 1, int(s) * 10, s * 0.01, value, 0.1, 1.0, x, y))
    return out


# ---------------------------------------------------------------------------- thin
def test_thin_keeps_every_buckets_extremes_and_endpoints_and_bounds_size():
    rng = np.random.default_rng(0)
    xs = np.sort(rng.uniform(0, 1000, 50_000))
    ys = rng.normal(size=xs.size)
    ys[12_345] = 40.0  # a spike must survive
    tx, ty = thin(xs, ys, 100, 0.0, 1000.0)
    assert len(tx) <= 2 * 100 + 2
    assert tx[0] == xs[0] and tx[-1] == xs[-1]
    assert 40.0 in ty and ys.min() in ty
    assert np.all(np.diff(tx) >= 0)
    buckets = np.floor(xs / 10.0)
    for b in np.unique(buckets)[::7]:
        sel = buckets == b
        assert ys[sel].min() in ty[np.floor(tx / 10.0) == b]
        assert ys[sel].max() in ty[np.floor(tx / 10.0) == b]


def test_thin_is_aligned_to_absolute_x_so_old_buckets_do_not_change():
    rng = np.random.default_rng(1)
    xs = np.arange(20_000, dtype=float)
    ys = rng.random(xs.size)
    full = thin(xs, ys, 200, 0.0, 50_000.0)
    part = thin(xs[:15_000], ys[:15_000], 200, 0.0, 50_000.0)
    done = part[0] < 14_750  # buckets of width 250 completed in the prefix
    assert np.array_equal(part[0][done], full[0][full[0] < 14_750])
    assert np.array_equal(part[1][done], full[1][full[0] < 14_750])


def test_thin_small_and_degenerate_inputs():
    assert thin([], [], 10)[0].size == 0
    x, y = thin([5.0], [1.0], 10)
    assert x.tolist() == [5.0] and y.tolist() == [1.0]
    x, y = thin([1.0, 1.0, 1.0, 1.0], [3.0, 1.0, 4.0, 2.0], 10)  # zero x range: one bucket
    assert sorted(y.tolist()) == [1.0, 2.0, 3.0, 4.0]  # first, last, min and max


# ---------------------------------------------------------------------------- sanitize / clamp
def test_sanitize_drops_non_finite_and_non_positive_on_log_and_clips_huge():
    xs = [0, 1, 2, 3, 4, 5, math.nan]
    ys = [1.0, math.nan, math.inf, -2.0, 1e308, 0.0, 1.0]
    x, y = sanitize(xs, ys)
    assert x.tolist() == [0, 3, 4, 5] and y.tolist() == [1.0, -2.0, LIMIT, 0.0]
    x, y = sanitize(xs, ys, log=True)
    assert x.tolist() == [0, 4] and y.tolist() == [1.0, LIMIT]
    x, y = sanitize([], [], log=True)
    assert x.size == y.size == 0


def test_clamp_path_drops_non_finite_and_clamps_into_bounds():
    x, y = clamp_path([0.5, 1e300, math.nan, -7.0], [0.5, 2.0, 1.0, -math.inf], ((-1, 1), (-2, 2)))
    assert x.tolist() == [0.5, 1.0] and y.tolist() == [0.5, 2.0]


# ---------------------------------------------------------------------------- ema
@pytest.mark.parametrize("w", [0.2, 0.6, 0.9, 0.99])
def test_ema_matches_the_recursion(w):
    rng = np.random.default_rng(2)
    ys = rng.normal(size=3000) * 10 ** rng.uniform(-3, 3, size=3000)
    s, ref = 0.0, []
    for t, v in enumerate(ys):
        s = w * s + (1 - w) * v
        ref.append(s / (1 - w ** (t + 1)))
    assert np.allclose(ema(ys, w), ref, rtol=0, atol=1e-10 * np.abs(ys).max())


def test_ema_identity_and_huge_values():
    ys = np.array([3.0, 1.0, 2.0])
    assert ema(ys, 0.0).tolist() == ys.tolist()
    out = ema(np.array([1e300, -1e300, 1e300]), 0.5)
    assert np.all(np.isfinite(out)) and out[0] == pytest.approx(1e300)


# ---------------------------------------------------------------------------- RunSeries
def test_runseries_decimation_bounded_keeps_first_last_and_is_order_independent():
    steps = np.arange(0, 10_000)
    one = RunSeries(capacity=64)
    one.extend(records(steps))
    many = RunSeries(capacity=64)
    rng = np.random.default_rng(3)
    cut = np.sort(rng.choice(np.arange(1, 10_000), size=40, replace=False))
    for a, b in zip(np.r_[0, cut], np.r_[cut, 10_000]):
        many.extend(records(steps[a:b]))
    for s in (one, many):
        x, y = s.xy("step")
        assert 4 <= len(x) <= 64
        assert x[0] == 0 and x[-1] == 9_999
        assert np.all(np.diff(x) > 0)
        # all but the newest point are the first of their bucket of width `quantum` (aligned to step 0)
        assert np.all(x[:-1] % s.quantum == 0)
        assert y[-1] == pytest.approx(1 / 10_000)
    assert one.quantum == many.quantum
    assert np.array_equal(one.xy("step")[0], many.xy("step")[0])


def test_runseries_fields_versions_and_x_keys():
    s = RunSeries(capacity=16, n_train=200)
    assert s.version == 0 and s.last is None and s.best_loss is None and s.xy("step")[0].size == 0
    loss = [5.0, math.nan, 0.5, math.inf, 2.0]
    s.extend(records(range(0, 50, 10), loss=loss, xy=[(k, -k) for k in range(5)]))
    assert s.version == 1 and s.last.step == 40 and s.best_loss == 0.5
    assert s.xy("samples")[0].tolist() == [0, 100, 200, 300, 400]
    assert s.xy("epoch")[0].tolist() == [0, 0.5, 1.0, 1.5, 2.0]
    assert s.xy("time")[0][-1] == pytest.approx(0.4)
    assert s.path()[0].tolist() == [0, 1, 2, 3, 4] and s.path()[1][-1] == -4
    assert RunSeries().xy("epoch")[0].size == 0
    with pytest.raises(ValueError, match="x_key"):
        s.xy("loss")
    s.extend([])
    assert s.version == 1
    s.extend_evals([EvalRecord(e, e * 100, 1.0 / e, 0.5 + e / 100) for e in range(1, 10_001)])
    epochs, test_loss, acc = s.evals()
    assert s.version == 2 and len(epochs) <= s.eval_capacity
    assert epochs[0] == 1 and epochs[-1] == 10_000 and acc[-1] == pytest.approx(100.5)


# ---------------------------------------------------------------------------- scales
def test_short_labels():
    cases = {0: "0", 0.25: "0.25", 12: "12", 1500: "1.5k", 250_000: "250k", 2e6: "2M", 1e-3: "1e-3",
             0.01: "0.01", 1e300: "1e300", -4e-5: "-4e-5", 3e15: "3e15", 9.99e-5: "1e-4"}
    for value, label in cases.items():
        assert short_label(value) == label, value
    assert max(len(short_label(10.0**e)) for e in range(-300, 301)) <= 6


def test_limits_snap_to_nice_values_and_ticks_stay_inside():
    assert nice_step(0.3) == 0.5 and nice_step(7) == 10 and nice_step(1e-7) == pytest.approx(1e-7)
    assert linear_limits(0.13, 2.4) == (0.0, 2.5)
    assert linear_limits(5.0, 5.0)[0] < 5.0 < linear_limits(5.0, 5.0)[1]
    assert linear_limits(-1e300, 1e300) == (-1e300, 1e300)
    assert log_limits(-2.3, 300.0) == (-3.0, 300.0)
    ticks = linear_ticks(0.0, 2.5, 6)
    assert ticks[0] == 0.0 and ticks[-1] == pytest.approx(2.5) and len(ticks) <= 7
    decades = log_ticks(-3.0, 300.0, 8)
    assert decades and len(decades) <= 8 and all(e % 50 == 0 for e in decades)


# ---------------------------------------------------------------------------- braille
def test_braille_cells_one_marker_per_cell_and_drops_outside():
    x, y, chars = braille_cells([0.0, 10.0], [0.0, 0.0], (0.0, 10.0), (0.0, 1.0), 6, 3)
    assert len(x) == 6 and len(set(zip(x, y))) == 6  # a horizontal line touches every column once
    assert set(chars) == {chr(0x2800 + 0x40 + 0x80)}  # the bottom dot row of each cell
    x, y, chars = braille_cells([20.0, 30.0], [0.0, 0.0], (0.0, 10.0), (0.0, 1.0), 6, 3, lines=False)
    assert x == []


def test_half_block_cells_pair_pixel_rows():
    red, green, blue = (255, 0, 0), (0, 255, 0), (0, 0, 255)
    chars, fg, bg = half_block_cells([[red, green], [blue, red], [green, None]])
    assert chars == [[UPPER_HALF] * 2] * 2
    assert fg == [[red, green], [green, None]] and bg == [[blue, red], [None, None]]
    assert half_block_cells([]) == ([], [], [])


# ---------------------------------------------------------------------------- paths
def test_thin_path_drops_points_in_the_same_dot_and_keeps_the_ends():
    xs = np.r_[np.zeros(50), np.linspace(0.0, 1.0, 11)]  # 50 repeats of the start, then 11 distinct dots
    ys = np.zeros_like(xs)
    px, py = thin_path(xs, ys, ((0.0, 1.0), (0.0, 1.0)), 11, 4, 1000)
    assert px.tolist() == np.linspace(0.0, 1.0, 11).tolist() and py.tolist() == [0.0] * 11
    px, _ = thin_path(np.linspace(0, 1, 5000), np.linspace(0, 1, 5000), ((0, 1), (0, 1)), 4000, 4000, 100)
    assert len(px) <= 101 and px[0] == 0.0 and px[-1] == 1.0


# ---------------------------------------------------------------------------- axes
def test_value_axis_snaps_for_live_plots_and_keeps_the_data_range_for_static_ones():
    live = value_axis(0.13, 2.4, 6)
    assert (live.lo, live.hi) == (0.0, 2.5) and live.labels[0] == "0" and live.labels[-1] == "2.5"
    still = value_axis(-0.25, 4.0, 6, snap=False)
    assert (still.lo, still.hi) == (-0.25, 4.0) and all(-0.25 <= t <= 4.0 for t in still.ticks)
    assert value_axis(3.0, 3.0, 6, snap=False).lo < 3.0  # a single value still gets a range
    log = value_axis(-2.3, 1.2, 8, log=True)
    assert (log.lo, log.hi) == (-3.0, 2.0) and log.labels == ["1e-3", "0.01", "0.1", "1", "10", "100"]
    assert (value_axis(None, None, 5, log=True).lo, value_axis(None, None, 5).hi) == (-1.0, 1.0)
    assert tick_labels([-3.0, 0.0, 5.0], log=True) == ["1e-3", "1", "100k"]


# ---------------------------------------------------------------------------- heat maps
def test_heat_bands_are_equal_steps_of_log1p_and_non_finite_is_top():
    # log1p(f - min f) = z: the minimum in band 0, mid-band values k + 0.5 in band k, the top value in the
    # top band (values on a boundary: tests/test_float_boundaries.py)
    z = np.array([0.0, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.0])
    f = np.expm1(z) + 5.0
    assert heat_bands(f).tolist() == [0, 0, 1, 2, 3, 4, 5, 6, 7, 7]
    assert heat_bands(np.array([[1.0, np.nan], [np.inf, 1.0]]), 4).tolist() == [[0, 3], [3, 0]]
    assert heat_bands(np.full((2, 2), 3.0)).tolist() == [[0, 0], [0, 0]]
    colors = band_colors(np.array([[0, 7]]))
    assert colors == [[heat_colors(8)[0], heat_colors(8)[7]]] and colors[0][0] != colors[0][1]


def test_contour_marks_sit_on_the_low_side_of_coarse_band_edges_in_all_directions():
    bands = np.array([[3, 2, 1, 2, 3],
                      [2, 1, 0, 1, 2],
                      [3, 2, 1, 2, 3]])  # a valley down the middle column: lines on both of its sides
    assert contour_marks(bands, every=1).astype(int).tolist() == [[0, 1, 1, 1, 0],
                                                                  [1, 1, 1, 1, 1],
                                                                  [0, 1, 1, 1, 0]]
    # halved (0,1 -> 0; 2,3 -> 1): the low side of the coarse edges only
    assert contour_marks(bands).astype(int).tolist() == [[0, 0, 1, 0, 0],
                                                         [0, 1, 0, 1, 0],
                                                         [0, 0, 1, 0, 0]]
    assert contour_fill(bands)[1] == [None, "·", None, "·", None]


def test_cell_centres_follow_plotexts_dot_mapping_top_row_first():
    xs, ys = cell_centres(((0.0, 7.0), (0.0, 3.0)), 4, 1)
    assert xs.tolist() == [0.5, 2.5, 4.5, 6.5]  # 8 dots across: cell c holds dots 2c and 2c+1
    assert ys.tolist() == [1.5]
    _, ys = cell_centres(((0.0, 1.0), (-1.0, 1.0)), 3, 5)
    assert np.all(np.diff(ys) < 0) and -1.0 < ys[-1] < ys[0] < 1.0


def test_pixel_centres_split_each_cell_into_an_upper_and_a_lower_half_on_plotexts_dots():
    bounds, cols, rows = ((0.0, 7.0), (-1.0, 2.0)), 4, 5
    xs, ys = pixel_centres(bounds, cols, rows)
    cxs, cys = cell_centres(bounds, cols, rows)
    assert xs.tolist() == cxs.tolist() and len(ys) == 2 * rows
    assert np.allclose((ys[0::2] + ys[1::2]) / 2, cys)  # the cell centre lies midway
    # plotext's dot index floor(0.5 + (4 rows - 1)(y - y0)/(y1 - y0)): upper pixel in the cell's dots 2..3,
    # lower pixel in its dots 0..1 (cell r counted from the bottom spans dots 4r..4r+3)
    dots = np.floor(0.5 + (4 * rows - 1) * (ys + 1.0) / 3.0).astype(int)
    for i in range(rows):
        r = rows - 1 - i
        assert 4 * r + 2 <= dots[2 * i] <= 4 * r + 3 and 4 * r <= dots[2 * i + 1] <= 4 * r + 1
    f = sample_pixels(lambda xs, ys: np.add.outer(10 * np.asarray(ys), xs), bounds, cols, rows)
    assert f.shape == (2 * rows, cols) and f.tolist() == np.add.outer(10 * ys, xs).tolist()
    with pytest.raises(ValueError, match="shape"):
        sample_pixels(lambda xs, ys: np.zeros((len(xs), len(ys))), bounds, cols, rows)


def test_sample_grid_evaluates_at_the_cell_centres_and_checks_the_shape():
    bounds = ((0.0, 7.0), (0.0, 3.0))
    f = sample_grid(lambda xs, ys: np.add.outer(10 * np.asarray(ys), xs), bounds, 4, 2)
    xs, ys = cell_centres(bounds, 4, 2)
    assert f.shape == (2, 4) and f.tolist() == np.add.outer(10 * ys, xs).tolist()
    with np.errstate(all="raise"):  # overflow inside the surface is a value, not an error
        assert np.isinf(sample_grid(lambda xs, ys: np.exp(np.add.outer(ys, xs) * 1e3), bounds, 4, 2)).all()
    with pytest.raises(ValueError, match="shape"):
        sample_grid(lambda xs, ys: np.zeros((len(xs), len(ys))), bounds, 4, 2)


# ---------------------------------------------------------------------------- text plots
def test_loss_plot_text_log_axis_markers_and_hostile_values():
    series = [("falls", list(range(200)), [10.0 * 0.9**k for k in range(200)]),
              ("breaks", [0, 1, 2, 3], [1.0, math.inf, None, math.nan]),
              ("nothing", [0, 1], [math.nan, None])]
    text = loss_plot(series, title="demo", xlabel="step")
    assert "\x1b" not in text and "log scale" in text
    assert "  x  falls" in text and "  o  breaks" in text and "  +  nothing (nothing to draw)" in text
    assert "1e-8" in text  # 10 * 0.9**199 ~ 8e-9: short decade labels, data down to there
    body = text.split("step")[0]
    assert body.count("x") > 50 and "o" in body
    linear = loss_plot([("saddle", [0, 1, 2], [1.0, 0.0, -0.25])], title="t", xlabel="step")
    assert "log scale" not in linear and "-0.2" in linear
    assert "(no finite loss values to plot)" in loss_plot([("a", [0], [math.inf])], title="t", xlabel="s")


def test_trajectory_plot_text_contours_clamped_paths_and_marks():
    def bowl(xs, ys):
        X, Y = np.meshgrid(xs, ys)
        return X**2 + 10 * Y**2

    paths = [("calm", [-1.5, -1.0, -0.5, 0.0], [1.5, 1.0, 0.5, 0.0]),
             ("boom", [0.0, 1e300, math.nan], [0.0, -1e300, 1.0])]
    text = trajectory_plot(paths, bounds=((-2, 2), (-2, 2)), grid=bowl, minima=[(0.0, 0.0), (5.0, 5.0)],
                           start=(-1.5, 1.5), title="bowl", width=60, height=24)
    lines = text.splitlines()
    assert "\x1b" not in text and lines[0].strip() == "bowl"
    assert "·" in text and text.count("M") == 2 and "  M  minimum" in text and "  S  start" in text
    # the diverged point is clamped to the corner (x max, y min): the last canvas row ends with the marker
    bottom = max(i for i, line in enumerate(lines) if line.rstrip().endswith("│"))
    assert lines[bottom].rstrip().endswith("o│")
