"""UI benchmarks (issue 4, design §6). Not a test: prints figures against the targets.

    python benchmarks/bench_ui.py [--seconds 8]

1. While a run trains flat out in the app (FashionMNIST format, the lecture's MLP, batch 64, synthetic
   data; and the optimizer race on Rosenbrock flat out): key-press latency (a key event posted from
   another thread, as the terminal driver does, until its action has run and redrawn; p50/p95/max),
   plot rebuilds per second, and training throughput against the same run headless (Runner.advance in
   big chunks, same process, same torch thread count as the headless replay).
2. A frame with 4 runs x 100k points at 120x40: the main screen's redraw (loss plot + trajectory plot +
   table) after every series changed.
3. In a real terminal (a pty at 80x24, TERM=xterm-256color, no COLORTERM, as over SSH): bytes per
   second written while the optimizer race animates at its default speed, and the time from launch to
   the first frame (the footer's keys on screen).
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import pty
import select
import statistics
import struct
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from sgd_tui.core.objectives.data import write_fashion_like  # noqa: E402
from sgd_tui.core.run.control import Control  # noqa: E402
from sgd_tui.core.run.devices import default_training_threads  # noqa: E402
from sgd_tui.core.run.engine import Runner  # noqa: E402
from sgd_tui.core.run.records import Record  # noqa: E402
from sgd_tui.core.scenario.parse import load_scenario, with_overrides  # noqa: E402
from sgd_tui.ui.app import SgdApp  # noqa: E402
from sgd_tui.ui.screens.main import MainScreen  # noqa: E402
from sgd_tui.ui.session import Session, Shared, session_from_scenario  # noqa: E402

# The headless replay and the app's driver train with the same thread policy (one thread here); two threads
# are faster only on an idle machine and collapse when anything else runs (pitfalls.md).
HEADLESS_THREADS = default_training_threads()
REST_S: float | None = None  # --rest: the driver's sleep between flat-out chunks (default: the app's)


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))]


# ------------------------------------------------------------------------------------ 1. while training
def fashion_session(root: Path, batch: int = 64) -> Session:
    s = Session(Shared("fashion_mnist", {"model": "mlp", "data_dir": str(root), "eval_every_epoch": False},
                       {"epochs": 50, "log_every": 20}, 0, "cpu", "bench"))
    s.add(s.make_spec("sgd", {"lr": 0.01, "momentum": 0.9}, {"batch_size": batch}))
    return s


def surface_session() -> Session:
    s = Session(Shared("rosenbrock", {}, {"steps": 10**7, "log_every": 1}, 0, "cpu", "bench"))
    s.add(s.make_spec("adam", {"lr": 0.01}, {}))
    return s


def race_session() -> Session:
    return session_from_scenario(with_overrides(load_scenario("optimizer-race"), steps=10**6))


def headless_rate(session: Session, seconds: float) -> float:
    """Samples (or steps) per second of the same runs with no UI: Runner.advance in 0.25 s chunks."""
    torch.set_num_threads(HEADLESS_THREADS)  # the app's driver sets its own count; the replay keeps torch's
    runners = [Runner(r.spec) for r in session.runs]
    for rn in runners:
        rn.advance(5)  # warm up
    s0 = sum(rn.samples for rn in runners)
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for rn in runners:
            rn.advance(1 << 30, Control(), time.perf_counter() + 0.25 / len(runners))
    return (sum(rn.samples for rn in runners) - s0) / (time.perf_counter() - t0)


async def in_app(session: Session, seconds: float) -> dict:
    latencies: list[float] = []
    pending: list[float] = []
    original = MainScreen.action_x_axis

    def timed_action(self):
        original(self)
        if pending:
            latencies.append(time.perf_counter() - pending.pop(0))

    MainScreen.action_x_axis = timed_action
    builds = 0  # loss plot rebuilds
    try:
        app = SgdApp(session)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(1.0)
            screen = app.screen
            inner = screen.plots.loss.refresh_if_changed

            def counting():
                nonlocal builds
                built = inner()
                builds += bool(built)
                return built

            screen.plots.loss.refresh_if_changed = counting
            screen.playback.speed = None
            screen.playback.driver.rate = None
            if REST_S is not None:
                screen.playback.driver.rest_s = REST_S
            screen.action_run_pause()
            await asyncio.sleep(1.5)  # warm up: runners built, first chunks
            # window 1: training and redrawing, no keys -> throughput and plot refresh rate
            s0 = sum(r.progress.samples for r in screen.session.runs)
            b0, t0 = builds, time.perf_counter()
            await asyncio.sleep(seconds)
            dt = time.perf_counter() - t0
            rate = (sum(r.progress.samples for r in screen.session.runs) - s0) / dt
            fps = (builds - b0) / dt
            # window 2: the same, with a key press every 150 ms -> latency
            stop = threading.Event()

            def keys():
                from textual import events

                while not stop.wait(0.15):
                    pending.append(time.perf_counter())
                    app.post_message(events.Key("t", "t"))

            th = threading.Thread(target=keys, daemon=True)
            th.start()
            await asyncio.sleep(seconds)
            stop.set()
            th.join()
            screen.playback.pause(screen.session)
            await asyncio.sleep(0.3)
    finally:
        MainScreen.action_x_axis = original
    return {"rate": rate, "builds_per_s": fps, "lat": latencies}


def report_training(name: str, session_fn, seconds: float) -> None:
    head = headless_rate(session_fn(), seconds)
    res = asyncio.run(in_app(session_fn(), seconds))
    lat = [x * 1000 for x in res["lat"]]
    print(f"[{name}] headless {head:,.0f} samples/s; in the app {res['rate']:,.0f} samples/s "
          f"= {100 * res['rate'] / head:.0f}% (target >= 70%)")
    print(f"[{name}] loss plot rebuilt {res['builds_per_s']:.1f}/s (target >= 5); "
          f"key latency over {len(lat)} presses: "
          f"p50 {pct(lat, 50):.1f} ms, p95 {pct(lat, 95):.1f} ms (target <= 100), max {max(lat):.1f} ms")


# ------------------------------------------------------------------------------------ 2. a heavy frame
async def heavy_frame(n_runs: int = 4, n_points: int = 100_000) -> list[float]:
    s = Session(Shared("rosenbrock", {}, {"steps": n_points, "log_every": 1}, 0, "cpu"))
    for i in range(n_runs):
        s.add(s.make_spec("sgd", {"lr": 1e-4 * (i + 1)}, {}))
    import math

    for k, r in enumerate(s.runs):
        recs = []
        for step in range(n_points):
            a = step / n_points
            x, y = -1.5 + 2.5 * a, 2.0 - 1.0 * a + 0.1 * math.sin(step / 50 + k)
            loss = 10 * math.exp(-5 * a) * (1 + 0.3 * math.sin(step / 7 + k)) + 1e-3
            recs.append(Record(step, None, step, step * 1e-4, loss, 1e-3, 1.0, x, y))
        r.series.extend(recs)
    times = []
    app = SgdApp(s, timings=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(2.0)  # the surface preview is built
        screen = app.screen
        for i in range(12):
            for r in s.runs:  # one more point each: every plot must rebuild
                last = r.series.last
                r.series.extend([last._replace(step=last.step + 1, samples=last.samples + 1)])
                r.version += 1
            t0 = time.perf_counter()
            screen.refresh_views()
            times.append((time.perf_counter() - t0) * 1000)
            await pilot.pause(0.05)
    return times[2:]


# ------------------------------------------------------------------------------------ 3. a real terminal
def pty_session(args: list[str], cols: int, rows: int, seconds: float, keys_at: dict[float, bytes]):
    """Run ``python -m sgd_tui ARGS`` in a pty; return (time to first frame, [(t, nbytes)])."""
    pid, fd = pty.fork()
    if pid == 0:
        env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "TEXTUAL_COLOR_SYSTEM")}
        env["TERM"] = "xterm-256color"
        os.chdir(ROOT)
        os.execvpe(sys.executable, [sys.executable, "-m", "sgd_tui", *args], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    t0 = time.perf_counter()
    first = None
    seen = b""
    chunks = []
    sent = set()
    while True:
        now = time.perf_counter() - t0
        if now > seconds:
            break
        for at, key in keys_at.items():
            if now >= at and at not in sent:
                os.write(fd, key)
                sent.add(at)
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            chunks.append((now, len(data)))
            if first is None:
                seen += data
                if b"run/pause" in seen:
                    first = now
    os.write(fd, b"q")
    time.sleep(0.5)
    try:
        os.kill(pid, 9)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    return first, chunks


def report_terminal(seconds: float) -> None:
    first, _ = pty_session([], 80, 24, 6.0, {})
    print(f"[launch] first frame after {first:.2f} s (target <= 1.5 s)" if first else "[launch] no frame seen")
    start = 6.0  # launched, surface drawn, idle: then space starts the race
    _, chunks = pty_session(["--scenario", "optimizer-race"], 80, 24, start + 2 + seconds, {start: b" "})
    window = [n for t, n in chunks if start + 2 <= t < start + 2 + seconds]
    idle = [n for t, n in chunks if start - 2 <= t < start]
    print(f"[ssh 80x24] optimizer race animating (13 runs, default speed): {sum(window) / seconds / 1024:.1f} KB/s "
          f"(target <= 30); idle (paused, 2 s before the key): {sum(idle) / 2 / 1024:.2f} KB/s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--rest", type=float, default=None, help="driver rest between chunks, seconds")
    ap.add_argument("--only", default="", help="comma list: fashion,surface,race,frame,terminal")
    args = ap.parse_args()
    global REST_S
    REST_S = args.rest
    only = set(filter(None, args.only.split(","))) or {"fashion", "surface", "race", "frame", "terminal"}
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, headless with {HEADLESS_THREADS} torch threads")
    if "fashion" in only:
        with tempfile.TemporaryDirectory() as root:
            write_fashion_like(Path(root), n_train=20_000, n_test=1000, seed=0)
            report_training("fashion mlp b64", lambda: fashion_session(Path(root)), args.seconds)
    if "surface" in only:
        report_training("rosenbrock adam, flat out", surface_session, args.seconds)
    if "race" in only:
        report_training("race x13 flat out (stress)", race_session, args.seconds)
    if "frame" in only:
        times = asyncio.run(heavy_frame())
        print(f"[frame 4x100k @120x40] redraw median {statistics.median(times):.1f} ms, max {max(times):.1f} ms "
              f"(target <= 50)")
    if "terminal" in only:
        report_terminal(args.seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
