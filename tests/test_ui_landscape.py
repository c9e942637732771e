"""The app's loss-landscape keys beyond L and K (Textual Pilot, mlp_regression): D switches to Li et al.'s
random directions around the selected run (the grid equals core.landscape's on the same weights),
refresh_every recomputes the shown slice every N steps of the selected run, a slice under way ends at
once when another scenario is shown or the app quits, and L / D are footer keys of data sets only."""

import time

import numpy as np
import pytest
import torch  # noqa: F401  - imported up front, as the app's workers would

import sgd_tui.core.maps.landscape as landscape_core
from sgd_tui.core.maps.landscape import compute_landscape
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.session import Session, Shared

SIZE = (120, 40)
OPTIONS = {"hidden": 8, "n_samples": 24, "degree": 3}


def net_session(landscape=None, steps=24, options=OPTIONS) -> Session:
    budget = {"steps": steps, "log_every": 1, "snapshot_every": 1}
    s = Session(Shared("mlp_regression", dict(options), budget, 0, "cpu", landscape=landscape))
    for name, hyper in (("gd", {"lr": 0.2}), ("sgd", {"lr": 0.1, "momentum": 0.5})):
        s.add(s.make_spec(name, hyper, {"batch_size": "full"}))
    return s


async def settle(pilot, seconds=0.3):
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(seconds)


async def test_d_switches_to_random_directions_around_the_selected_run(tmp_path):
    app = SgdApp(net_session(), timings=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "f", "space")
        await settle(pilot)
        await pilot.press("down", "L")  # the second run selected
        await settle(pilot)
        main, plots = app.main, app.main.plots
        assert plots.landscape.view.kind == "three_points"
        await pilot.press("D")  # the slice is shown: recomputed at once
        await settle(pilot)
        view = plots.landscape.view
        assert main.session.shared.landscape["mode"] == "random" and view.kind == "random"
        runners = [r.slot.runner for r in main.session.runs]
        label = main.session.runs[1].spec.label
        ref = compute_landscape(runners, mode="random", runs=[label])
        assert view.a_values == ref.slice.a_values and view.anchors == [(label, 0.0, 0.0)]
        np.testing.assert_allclose(view.loss, ref.slice.loss, rtol=1e-12)
        assert plots.landscape.text_lines()[0].startswith(f"random dirs around {label[:11]}…")
        assert plots.landscape.off_plane()[label] < 1e-9  # the centre run's end is the plane's origin
        await pilot.press("D")
        await settle(pilot)
        assert main.session.shared.landscape["mode"] == "plane" and plots.landscape.view.kind == "three_points"
        await pilot.press("D")
        await settle(pilot)
        # saved (w), the app's landscape settings are the scenario's [landscape] table
        from sgd_tui.core.scenario.parse import load_scenario

        saved = load_scenario(app.save_to(tmp_path / "saved.toml"))
        assert saved.landscape["mode"] == "random" and saved.landscape["runs"] == [label]  # the slice shown last


async def wait_for(pilot, cond, what: str, seconds: float = 20.0):
    for _ in range(int(seconds / 0.05)):
        if cond():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never happened: {what}")


def landscape_idle(main) -> bool:
    return not main.landscape_busy()


async def test_refresh_every_recomputes_the_shown_slice_every_n_steps():
    app = SgdApp(net_session({"refresh_every": 3}), timings=False)
    async with app.run_test(size=SIZE) as pilot:
        main, plots = app.main, app.main.plots
        runs = main.session.runs

        async def step(n: int, to: int) -> None:
            for _ in range(n):
                await pilot.press("n")
            await wait_for(pilot, lambda: all(r.progress.step == to for r in runs), f"step {to}")
            await pilot.pause(0.5)  # the redraw timer (5 Hz) has looked
            await wait_for(pilot, lambda: landscape_idle(main), "the slice")

        await pilot.press("escape", "K")  # the slice shown, none computed yet
        await step(2, 2)
        assert plots.landscape.view is None and plots.landscape_key == 0  # 2 steps: not yet
        await step(1, 3)
        await wait_for(pilot, lambda: plots.landscape.view is not None, "a slice")
        assert plots.landscape_key == 1
        assert {k: p[-1][0] for k, p in plots.landscape.view.paths.items()} == {r.spec.label: 3 for r in runs}
        await step(2, 5)
        assert plots.landscape_key == 1
        await step(1, 6)
        await wait_for(pilot, lambda: plots.landscape_key == 2 and plots.landscape.view.paths[runs[0].spec.label][-1][0] == 6,
                       "the slice at step 6")
        # U sets it: empty = only on request
        await pilot.press("U")
        await pilot.pause()
        await pilot.press(*"50", "enter")
        await pilot.pause()
        assert main.session.shared.landscape["refresh_every"] == 50
        await pilot.press("U")
        await pilot.pause()
        await pilot.press("end", "backspace", "backspace", "enter")
        await pilot.pause()
        assert main.session.shared.landscape["refresh_every"] is None
        main.playback.stop()


@pytest.mark.parametrize("how", ["open another scenario", "quit"])
async def test_a_slice_under_way_ends_at_once(how, monkeypatch):
    """A 201 x 201 slice (40,401 grid points) is given up at the next point: the forward passes stop."""
    calls = []
    forward = landscape_core.mlp_forward

    def counting(*a, **k):
        calls.append(1)
        return forward(*a, **k)

    monkeypatch.setattr(landscape_core, "mlp_forward", counting)
    big = {"hidden": 64, "n_samples": 256, "degree": 3}
    app = SgdApp(net_session({"resolution": 201}, steps=4, options=big), timings=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "f", "space")
        await settle(pilot)
        await pilot.press("L")
        while not calls:  # the slice has begun
            await pilot.pause(0.05)
        if how == "quit":
            app.exit()
        else:
            old = app.main
            await app.show_session(net_session())
            await wait_for(pilot, lambda: landscape_idle(old), "the job's end")
            await pilot.pause(0.3)
            assert app.main.plots.landscape.view is None
    n = len(calls)  # a forward pass already under way may still end (one chunk), then nothing more
    time.sleep(0.3)
    assert len(calls) - n <= 1, (n, len(calls))
    n = len(calls)
    assert 0 < n < 201 * 201
    time.sleep(0.3)
    assert len(calls) == n  # nothing computed after


async def test_l_and_d_are_footer_keys_of_data_sets_only():
    app = SgdApp(net_session(), timings=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.main
        assert screen.check_action("landscape", ()) and screen.check_action("landscape_mode", ())
        footer_keys = {b.binding.key for b in screen.active_bindings.values() if b.enabled and b.binding.show}
        assert {"L", "D"} <= footer_keys
    s = Session(Shared("quadratic", {}, {"steps": 5, "log_every": 1}, 0, "cpu"))
    s.add(s.make_spec("sgd", {"lr": 0.1}, {}))
    app = SgdApp(s, timings=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.main
        assert screen.check_action("landscape", ()) is False and screen.check_action("landscape_mode", ()) is False
