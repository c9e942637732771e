"""Nudge keys and run keys in number fields (issue 9): [ / ] and shift+up/down change the value one notch
at once, for the selected run, without leaving the field; keys a number cannot contain (space, n, r)
act on the runs without Escape; a fast burst of keys after an edit is not dropped."""

import math

import pytest
import torch  # noqa: F401  - imported up front, as the app's workers would

from sgd_tui.core.optim.registry import get_optimizer
from sgd_tui.core.params import Param
from sgd_tui.core.run.spec import BUDGET_PARAMS
from sgd_tui.core.scenario.parse import parse_scenario
from sgd_tui.core.scenario.write import scenario_to_toml
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.nudge import LR_FACTOR, nudge, nudge_text
from sgd_tui.ui.session import Session, Shared
from sgd_tui.ui.widgets.number_input import NumberInput


def param(optimizer: str, name: str) -> Param:
    return next(p for p in get_optimizer(optimizer).params if p.name == name)


def test_learning_rates_move_by_a_quarter_decade():
    lr = param("sgd", "lr")
    x = 0.01
    for _ in range(4):
        x = nudge(lr, x, 1)
    assert x == pytest.approx(0.1, rel=1e-3)
    assert x == 0.1 and nudge(lr, nudge(lr, 0.1, 1), -1) == 0.1  # on the quarter-decade grid, exactly
    assert nudge(lr, 0.01, -1) == pytest.approx(0.01 / LR_FACTOR, rel=1e-3)
    assert nudge(lr, 0.3, 1) == pytest.approx(0.3 * LR_FACTOR, rel=1e-3)  # off the grid: times 10^(1/4)
    assert nudge(lr, 0.0, 1) == 1e-3 and nudge(lr, 0.0, -1) == 0.0  # lr >= 0: stops at the closed bound


def test_momentum_and_betas_move_by_0_05_inside_the_allowed_range():
    m = param("sgd", "momentum")
    assert nudge(m, 0.9, 1) == pytest.approx(0.95) and nudge(m, 0.0, -1) == 0.0
    betas = param("adam", "betas")  # each in [0, 1): 1 is excluded
    assert nudge(betas, (0.9, 0.999), 1) == (pytest.approx(0.95), 0.999)
    assert nudge(betas, (0.95, 0.999), 1) == (0.95, 0.999)  # 1.0 is not allowed: stays
    assert nudge(betas, (0.9, 0.999), -1, element=1) == (0.9, pytest.approx(0.949))
    assert nudge_text(betas, "0.9, 0.999", -1, cursor=8) == "0.9, 0.949"
    assert nudge_text(betas, "0.9, 0.999", 1, cursor=1) == "0.95, 0.999"


def test_integers_move_by_one_and_invalid_text_does_not_move():
    steps = next(p for p in BUDGET_PARAMS if p.name == "steps")
    assert nudge(steps, 10, 1) == 11 and nudge(steps, 10, -1) == 9
    assert nudge_text(steps, "1", -1) in (None, "0") and nudge_text(steps, "abc", 1) is None
    assert nudge_text(param("sgd", "lr"), "0.1", 1) == f"{0.1 * LR_FACTOR:.4g}"


def session(steps: int = 200) -> Session:
    s = Session(Shared("quadratic", {}, {"steps": steps, "log_every": 1}, 0, "cpu"))
    s.add(s.make_spec("sgd", {"lr": 0.1, "momentum": 0.5}, {}))
    return s


async def until(pilot, condition, timeout: float = 20.0) -> bool:
    """Wait (in the app's loop) until ``condition()`` holds: a first step builds the run, which takes a
    while on a loaded machine."""
    for _ in range(int(timeout / 0.05)):
        if condition():
            return True
        await pilot.pause(0.05)
    return condition()


async def focused_field(pilot, name: str) -> NumberInput:
    field = pilot.app.screen.query_one(f"#hyper #f-{name}", NumberInput)
    field.focus()
    await pilot.pause()
    return field


async def test_nudge_keys_change_the_selected_run_at_once_and_keep_the_focus():
    """At 80x24: the setup panel is a drawer over the plots, opened with s."""
    s = session()
    app = SgdApp(s, timings=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        lr = await focused_field(pilot, "lr")
        await pilot.pause(0.2)
        assert app.screen.get_widget_at(lr.region.x + 1, lr.region.y)[0] is lr  # on screen, not under anything
        await pilot.press("n", "n")
        assert await until(pilot, lambda: s.runs[0].progress.step == 2)
        r = s.runs[0]
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert app.focused is lr
        assert r.hyper_now["lr"] == pytest.approx(0.1 * LR_FACTOR, rel=1e-3)
        assert r.progress.step == 2 and r.spec.hyper["lr"] == 0.1  # the run goes on; its start value kept
        await pilot.press("shift+down", "shift+down")
        await pilot.pause()
        assert r.hyper_now["lr"] == pytest.approx(0.1 / LR_FACTOR, rel=1e-3)
        m = await focused_field(pilot, "momentum")
        await pilot.press("left_square_bracket", "shift+up", "shift+up")
        await pilot.pause()
        assert app.focused is m and r.hyper_now["momentum"] == pytest.approx(0.55)
        await pilot.press("n")  # the next step uses them, and the run records them at step 2
        assert await until(pilot, lambda: r.progress.step == 3 and not r.pending)
        # one change at step 2 (a scenario file holds one per step), with the last values: it saves and loads
        assert r.spec.changes == [(2, {"lr": pytest.approx(0.1 / LR_FACTOR, rel=1e-3), "momentum": 0.55})]
        assert parse_scenario(scenario_to_toml(s.to_scenario())).runs[0].changes == r.spec.changes


async def test_run_keys_act_from_a_number_field_and_a_burst_after_an_edit_is_not_dropped():
    s = session(steps=100_000)
    app = SgdApp(s, timings=False)
    async with app.run_test(size=(120, 40)) as pilot:
        lr = await focused_field(pilot, "lr")
        # an edit, then a burst in one go: the step keys are not typed into the field, none is dropped
        await pilot.press("end", "backspace", "0", "5", "n", "n", "n")  # lr 0.05: stable, runs on
        assert await until(pilot, lambda: s.runs[0].progress.step == 3)
        assert lr.value == "0.05" and app.focused is lr and s.runs[0].spec.hyper["lr"] == 0.05
        await pilot.press("r")
        assert await until(pilot, lambda: s.runs[0].progress.step == 0)
        assert lr.value == "0.05"
        await pilot.press("space")  # run
        assert await until(pilot, lambda: s.runs[0].progress.step > 0)
        assert app.screen.playback.playing and lr.value == "0.05"
        await pilot.press("space")  # pause (the driver waits for more: its worker does not end)
        assert not app.screen.playback.playing
        await pilot.pause(0.5)
        step = s.runs[0].progress.step
        await pilot.pause(0.5)
        assert s.runs[0].progress.step == step > 0  # paused: it no longer moves
        assert math.isfinite(s.runs[0].progress.last_loss)
