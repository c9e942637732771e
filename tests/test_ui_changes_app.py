"""Changing a hyperparameter of a run that has taken steps, in the app (Textual Pilot): typed values are
held until Enter or leaving the field (a half-typed "1" on the way to "1e-4" never reaches the run), then
the run goes on from its step with the new value, the theory panel and the loss plot's mark follow."""

import pytest
import torch  # noqa: F401  - imported once up front, as the app's workers would, so presses stay fast
from test_app import SIZE, quadratic_session, runs, type_into

from sgd_tui.ui.app import SgdApp


async def wait_for(pilot, cond, tries=100):
    for _ in range(tries):
        if cond():
            return
        await pilot.pause(0.1)
    raise AssertionError("timed out")


async def test_a_typed_lr_is_held_until_enter_then_continues_the_run():
    app = SgdApp(quadratic_session(steps=100_000, runs=(("sgd", {"lr": 0.01}),)), timings=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await pilot.press("escape", "m", "n", "n", "n")  # the theory panel; three single steps
        r = runs(pilot)[0]
        await wait_for(pilot, lambda: r.progress.step == 3 and r.theory is not None)
        slot = r.slot
        assert r.theory.dynamics.alpha == 0.01

        await type_into(pilot, "#hyper #f-lr", "1e-4")  # passes "1" (lr 1) and "1e" (not a number)
        note = screen.query_one("#hyper #err-lr")  # under the field: what Enter will do
        assert str(note.render()) == "Enter applies 0.0001 from the current step (0.01 until then)"
        assert note.has_class("-shown") and note.has_class("-note") and r.held == {"lr": 1e-4}
        assert r.spec.changes == [] and not r.pending and not r.slot.requests and not r.invalid
        await pilot.press("enter")
        await wait_for(pilot, lambda: r.spec.changes != [])
        assert r.spec.changes == [(3, {"lr": 1e-4})] and r.slot is slot and r.progress.step == 3
        assert not note.has_class("-shown") and not r.held
        await wait_for(pilot, lambda: r.theory.dynamics.alpha == 1e-4)  # the panel's α, without a step
        await pilot.pause(0.3)
        assert "α = 1.00e-04" in str(screen.query_one("#theory-text").render())

        # leaving the field applies too; the run keeps its steps
        await type_into(pilot, "#hyper #f-momentum", "0.5")
        assert len(r.spec.changes) == 1
        await pilot.press("escape", "n")
        # both at step 3: one change (a scenario file holds one per step), one mark naming both
        await wait_for(pilot, lambda: r.progress.step == 4 and "momentum" in r.spec.changes[0][1])
        assert r.spec.changes == [(3, {"lr": 1e-4, "momentum": 0.5})] and r.slot is slot
        assert r.series.marks == [(3, "lr 0.01→0.0001, momentum 0→0.5")]
        assert r.theory.dynamics.beta == pytest.approx(0.5)
        assert r.spec.hyper["lr"] == 0.01  # the start value stays the spec's; the changes follow it
