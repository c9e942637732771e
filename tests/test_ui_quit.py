"""Quitting at once (issue 9): the driver stops mid-round, thread workers are daemons that nobody waits
for, and the app's exit does not wait for a warm-up import. The wall-clock figure (q to process exit in a
real terminal) is measured by benchmarks/bench_quit.py."""

import asyncio
import threading
import time

from sgd_tui.core.scenario.parse import load_scenario, with_overrides
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.jobs.background import DaemonExecutor
from sgd_tui.ui.session import session_from_scenario


def test_the_daemon_executor_runs_tasks_in_daemon_threads_and_never_waits_on_shutdown():
    release = threading.Event()
    ex = DaemonExecutor()
    fut = ex.submit(lambda: release.wait(10) and 42)
    t0 = time.monotonic()
    ex.shutdown(wait=True)
    assert time.monotonic() - t0 < 0.1 and not fut.done()
    assert any(t.daemon and t.is_alive() for t in threading.enumerate() if t is not threading.main_thread())
    release.set()
    assert fut.result(5) == 42
    boom = ex.submit(lambda: 1 / 0)
    assert isinstance(boom.exception(5), ZeroDivisionError)


async def test_q_during_a_13_run_race_flat_out_stops_the_driver_mid_round():
    session = session_from_scenario(with_overrides(load_scenario("optimizer-race"), steps=10**6))  # still racing at q
    app = SgdApp(session, timings=False)
    async with app.run_test(size=(120, 40)) as pilot:
        assert isinstance(asyncio.get_running_loop()._default_executor, DaemonExecutor)
        screen = app.screen
        await pilot.press("f", "space")
        await pilot.pause(0.5)
        assert screen.playback.playing
        driver = screen.playback.driver
        worker = screen.playback._worker
        assert worker is not None and not worker.is_finished
        await pilot.press("q")
        assert driver.cancel.is_set()
        assert all(s.control.stopped for s in driver.slots)
        for _ in range(100):  # the driver ends within a step, not a round: well under a second
            if worker.is_finished:
                break
            await asyncio.sleep(0.01)
        assert worker.is_finished
    assert app.return_code == 0


async def test_q_while_the_warm_up_is_still_importing_does_not_wait_for_it(monkeypatch):
    """A warm-up that never ends (a stand-in for torch's import on a loaded machine) holds neither the app's
    exit nor the process's: it runs in a daemon thread (the interpreter joins every other thread at exit,
    and the stock executor's threads are not daemons)."""
    import sgd_tui.ui.jobs.background as engine

    started, release = threading.Event(), threading.Event()
    seen = {}

    def slow_warm_up():
        seen["daemon"] = threading.current_thread().daemon
        started.set()
        release.wait(30)

    monkeypatch.setattr(engine, "warm_up", slow_warm_up)
    session = session_from_scenario(load_scenario("why-momentum"))
    app = SgdApp(session, timings=False)
    t0 = None
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(500):
                if started.is_set():
                    break
                await asyncio.sleep(0.01)
            assert started.is_set()
            t0 = time.monotonic()
            await pilot.press("q")
        assert time.monotonic() - t0 < 5
        assert seen["daemon"] is True
    finally:
        release.set()
