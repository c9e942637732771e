"""The noisy quadratic model: the exact expected loss against the SGD formula and against a Monte-Carlo
simulation (SGD and heavy ball), and the critical batch it predicts (steps halve per doubled batch while
the batch is small; a harder target and momentum push B_crit up)."""

from __future__ import annotations

import numpy as np
import pytest

from sgd_tui.core.sweep.critical_batch import BatchPoint, fit_critical_batch
from sgd_tui.core.theory.noisy_quadratic import default_nqm, expected_loss, simulate_loss, steps_to_target


def test_sgd_expected_loss_is_the_geometric_sum():
    q = default_nqm(30)
    lr, B, T = 0.3, 8, 50
    r = (1 - lr * q.h) ** 2
    t = np.arange(T + 1)[:, None]
    theta_sq = r**t * q.theta0**2 + lr**2 * q.c / B * (1 - r**t) / (1 - r)
    np.testing.assert_allclose(expected_loss(q, lr, B, T), 0.5 * (theta_sq * q.h).sum(1), rtol=1e-12)


@pytest.mark.parametrize("lr, momentum, batch", [(0.1, 0.0, 1), (0.3, 0.0, 16), (0.02, 0.9, 2), (0.1, 0.5, 8)])
def test_closed_form_agrees_with_a_monte_carlo_simulation(lr, momentum, batch):
    q = default_nqm(50)
    exact = expected_loss(q, lr, batch, 150, momentum)
    sim = simulate_loss(q, lr, batch, 150, momentum, runs=1500, seed=1)
    assert np.max(np.abs(sim / exact - 1)) < 0.04  # within a few percent at every step


def test_a_diverging_step_is_an_infinite_or_growing_loss_not_an_error():
    q = default_nqm(10)
    loss = expected_loss(q, 2.5, 1, 200)  # α h_1 = 2.5 > 2
    assert loss[-1] > loss[0] * 1e10 or not np.isfinite(loss[-1])


def test_the_critical_batch_of_the_model():
    q = default_nqm(50)
    l0 = float(q.loss(q.theta0**2))
    lrs = np.geomspace(1e-3, 4.0, 40)

    def fit(frac, momenta):
        pts = [BatchPoint(b, s, b * s) for b in (1, 2, 4, 8, 16, 32, 64, 128, 256, 1024)
               for s in [steps_to_target(q, b, frac * l0, lrs, momenta, 100_000)[0]]]
        return pts, fit_critical_batch(pts)

    pts5, sgd5 = fit(0.05, (0.0,))
    # perfect scaling while the batch is small: steps about halve per doubling
    assert 1.8 < pts5[0].steps / pts5[1].steps < 2.2 and 1.8 < pts5[1].steps / pts5[2].steps < 2.2
    # and almost nothing past B_crit
    assert pts5[-1].steps > 0.7 * pts5[-2].steps
    _, sgd1 = fit(0.01, (0.0,))
    _, hb5 = fit(0.05, (0.0, 0.5, 0.9, 0.99))
    assert sgd5.resolved and sgd1.b_crit > 2 * sgd5.b_crit  # a harder target: a bigger critical batch
    assert hb5.b_crit > 1.5 * sgd5.b_crit  # momentum helps only at large batches: B_crit grows


def test_the_report_runs_and_says_its_numbers(tmp_path):
    from sgd_tui.replay.nqm import main

    out = tmp_path / "nqm.txt"
    assert main(["--out", str(out), "--runs", "200"]) == 0
    text = out.read_text()
    assert "closed form vs simulation" in text and text.count("B_crit = ") == 4
