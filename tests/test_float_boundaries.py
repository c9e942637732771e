"""Values on a float boundary (issue 25): a test must not depend on the last bit of a transcendental
function, which differs between CPUs and libms (log1p(expm1(1.0)) is 1.0 on one machine and one ulp
below on another). The heat map's bands snap a value within a few ulps of a boundary to the upper band,
so a value on a boundary gets one band everywhere; here values 1 ulp either side of it."""

from __future__ import annotations

import numpy as np
import pytest

from sgd_tui.plotting.heat import BOUNDARY_RTOL, heat_bands

TOP = np.expm1(8.0)  # log1p(TOP - 0) = 8 (to an ulp): with 8 bands, boundary k at log1p(f) = k


def bands_of(*values: float) -> list[int]:
    """The bands of ``values`` in a map whose minimum is 0 and maximum TOP (the last two entries dropped)."""
    return heat_bands(np.array([*values, 0.0, TOP])).tolist()[:-2]


@pytest.mark.parametrize("k", range(1, 8))
def test_a_value_on_a_band_boundary_and_one_ulp_either_side_goes_to_the_upper_band(k):
    on = np.expm1(float(k))
    below, above = np.nextafter(on, 0.0), np.nextafter(on, np.inf)
    assert bands_of(below, on, above) == [k, k, k]
    # four ulps either side, computed through log1p's own rounding, still the upper band
    assert bands_of(*(on * (1 + s * 4 * np.finfo(float).eps) for s in (-1, 1))) == [k, k]


@pytest.mark.parametrize("k", range(1, 8))
def test_values_clearly_off_a_boundary_keep_their_side(k):
    lo, hi = np.expm1(k - 1e-9), np.expm1(k + 1e-9)  # a billionth of a band away: far beyond the tolerance
    assert bands_of(lo, hi) == [k - 1, k]


def test_the_tolerance_is_a_few_ulps():
    assert 4 * np.finfo(float).eps < BOUNDARY_RTOL < 1e-12


def test_the_top_and_the_bottom_stay_in_range():
    assert bands_of(0.0, np.nextafter(0.0, 1.0), np.nextafter(TOP, 0.0), TOP) == [0, 0, 7, 7]
    assert heat_bands(np.array([0.0, TOP, np.inf, np.nan])).tolist() == [0, 7, 7, 7]
