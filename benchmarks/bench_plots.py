"""Frame build cost of the plot widgets (issue 4 target: 4 runs x 100k points build in <= 50 ms at 120x40).

Run: ``python benchmarks/bench_plots.py [--frames N]``. Each widget runs inside a headless Textual app
(``App.run_test``) at 120x40; every timed frame first appends 100 new records to each run (so every
series version changed and nothing is served from a cache), then times ``replot()``: sanitising,
thinning, plotext's matrix build and the conversion to Strips. Reported: median and p95 per frame, and
how many of the 40 lines changed (only those are repainted); once more with three change marks per run
(``lr 0.01→0.1`` ticks and labels laid out by :mod:`sgd_tui.plotting.marks`). For comparison the same thinned data goes
through the stock path (plotext ``build()`` to ANSI, then ``Text.from_ansi``), which the cell-grid widget
replaces (LossPlot rows only).

Second part: bytes written to the terminal while a 2-D race animates at 80x24 (issue 4 target: at most
30 KB/s over SSH). Four momentum-GD runs on Rosenbrock advance 20 steps per frame at 5 frames/s in a
TrajectoryPlot and a LossPlot side by side; the headless app's screen updates are rendered to the escape
sequences a real terminal would receive (Rich's truecolor and 256-colour output) and counted.

Third part: the replay's text plots (``sgd_tui.plotting.textplot``) of 13 runs x 20k points each, the
loss curves and the paths over Rosenbrock's contours, timed as median CPU time of 7 builds.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import time

import numpy as np
from rich.text import Text
from textual.app import App
from textual_plotext.plot import Plot

from sgd_tui.core.run.records import Record
from sgd_tui.plotting.prepare import sanitize, thin
from sgd_tui.plotting.series import RunSeries
from sgd_tui.ui.widgets.plots import EvalPlot, LossPlot
from sgd_tui.ui.widgets.runs_plot import PlotRun
from sgd_tui.ui.widgets.trajectory_plot import TrajectoryPlot

SIZE = (120, 40)
N_POINTS = 100_000
N_RUNS = 4


def make_records(run: int, start: int, n: int, rng: np.random.Generator) -> list[Record]:
    steps = np.arange(start, start + n)
    loss = (run + 1) * np.exp(-steps / 20_000) * (1 + 0.3 * rng.random(n)) + 1e-3
    angle = steps / 5_000 + run
    radius = 2.0 * np.exp(-steps / 40_000)
    xs, ys = radius * np.cos(angle), radius * np.sin(angle)
    return [
        Record(int(s), None, int(s) * 64, float(s) * 1e-3, float(loss_s), 0.1, 1.0, float(x), float(y))
        for s, loss_s, x, y in zip(steps, loss, xs, ys)
    ]


def surface_grid(xs, ys):
    X, Y = np.meshgrid(np.asarray(xs), np.asarray(ys))
    return (1 - X) ** 2 + 100 * (Y - X**2) ** 2


class BenchApp(App):
    def __init__(self, widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self):
        yield self.widget


def changed_lines(before: list[str], after: list[str]) -> int:
    return sum(a != b for a, b in zip(before, after)) + abs(len(before) - len(after))


async def bench_widget(name: str, widget, series: list[RunSeries], frames: int, rng) -> dict:
    app = BenchApp(widget)
    async with app.run_test(size=SIZE) as pilot:
        widget.set_runs([PlotRun(f"r{i}", f"run {i}", "", s) for i, s in enumerate(series)])
        if isinstance(widget, TrajectoryPlot):
            widget.set_surface(surface_grid, ((-2.0, 2.0), (-2.0, 2.0)), [(1.0, 1.0)])
        widget.replot()
        await pilot.pause()
        times, changed = [], []
        next_step = [int(s.last.step) + 1 for s in series]
        for _ in range(frames):
            for i, s in enumerate(series):
                s.extend(make_records(i, next_step[i], 100, rng))
                next_step[i] += 100
            before = widget.text_lines()
            t0 = time.perf_counter()
            widget.replot()
            times.append(time.perf_counter() - t0)
            changed.append(changed_lines(before, widget.text_lines()))
            assert widget.error is None, widget.error
        stock = stock_cost(series) if isinstance(widget, LossPlot) else float("nan")
    times_ms = sorted(t * 1e3 for t in times)
    return {
        "name": name,
        "median_ms": statistics.median(times_ms),
        "p95_ms": times_ms[max(0, math.ceil(0.95 * len(times_ms)) - 1)],
        "changed_lines": statistics.median(changed),
        "stock_ms": stock,
    }


def stock_cost(series: list[RunSeries]) -> float:
    """The stock textual-plotext path for the same loss frame: the same sanitising and thinning, then
    plotext draws braille lines itself, writes ANSI, and Rich parses it back (what PlotextPlot.render does)."""
    t0 = time.perf_counter()
    fig = Plot()
    fig.theme("clear")
    fig.plotsize(SIZE[0], SIZE[1] - 1)
    fig._set_size(SIZE[0], SIZE[1] - 1)
    for s in series:
        xs, ys = sanitize(*s.xy("step"), log=True)
        xs, ys = thin(xs, np.log10(ys), SIZE[0] - 8, 0.0, float(xs[-1]))
        fig.plot(xs.tolist(), ys.tolist(), marker="braille")
    Text.from_ansi(fig.build())
    return (time.perf_counter() - t0) * 1e3


def build_series(capacity: int, rng, with_evals: bool = False) -> list[RunSeries]:
    out = []
    for i in range(N_RUNS):
        s = RunSeries(capacity=capacity, n_train=60_000)
        for start in range(0, N_POINTS, 10_000):
            s.extend(make_records(i, start, 10_000, rng))
        out.append(s)
    return out


def with_marks(series: list[RunSeries]) -> list[RunSeries]:
    """The same series with three hyperparameter changes each (12 ticks and labels to lay out)."""
    for i, s in enumerate(series):
        s.set_marks([(20_000 + 1000 * i, "lr 0.01→0.1"), (50_000 + 1000 * i, "momentum 0.5→0.9"),
                     (80_000, "betas (0.9, 0.999)→(0.5, 0.999)")])
    return series


class ByteCountingApp(App):
    """Two plots side by side; counts the bytes each screen update would send to a real terminal."""

    CSS = "Horizontal { height: 1fr; }"

    def __init__(self, color_system: str) -> None:
        super().__init__()
        self.bytes_written = 0
        self.count_color_system = color_system

    def compose(self):
        from textual.containers import Horizontal

        with Horizontal():
            yield TrajectoryPlot()
            yield LossPlot()

    def _display(self, screen, renderable) -> None:  # noqa: D401 - replaces the headless no-op
        from rich.console import Console
        from textual._compositor import CompositorUpdate

        if renderable is None:
            return
        console = Console(color_system=self.count_color_system, force_terminal=True, width=self.size.width)
        # strips and styles cache their escape sequences (for the first colour system used in the
        # process); forget them so that everything is rendered for this colour system
        lines = getattr(renderable, "strips", None) or [c.values() for c in getattr(renderable, "chops", [])]
        for line in lines:
            for strip in line:
                if strip is not None:
                    strip._render_cache = None
                    for segment in strip:
                        if segment.style is not None:
                            segment.style._ansi = None
        if isinstance(renderable, CompositorUpdate):
            sequence = renderable.render_segments(console)
        else:
            sequence = console._render_buffer(console.render(renderable))
        self.bytes_written += len(sequence.encode())


def race_records(n_steps: int) -> list[list[Record]]:
    """Four heavy-ball runs on Rosenbrock (lr 1e-3, momentum 0 / 0.5 / 0.8 / 0.9) from (-1.5, 2)."""
    from sgd_tui.core.objectives.surfaces import make_surface

    surface = make_surface("rosenbrock")
    runs = []
    for momentum in (0.0, 0.5, 0.8, 0.9):
        x, y, vx, vy, out = -1.5, 2.0, 0.0, 0.0, []
        for step in range(n_steps):
            f, gx, gy = surface.value_and_grad(x, y)
            out.append(Record(step, None, step, step * 1e-3, f, 1e-3, math.hypot(gx, gy), x, y))
            vx, vy = momentum * vx + gx, momentum * vy + gy
            x, y = x - 1e-3 * vx, y - 1e-3 * vy
        runs.append(out)
    return runs


async def bench_bytes(color_system: str, seconds: float = 6.0, fps: float = 5.0, steps_per_frame: int = 20) -> float:
    from sgd_tui.core.objectives.surfaces import make_surface

    surface = make_surface("rosenbrock")
    frames = int(seconds * fps)
    records = race_records(frames * steps_per_frame)
    app = ByteCountingApp(color_system)
    async with app.run_test(size=(80, 24)) as pilot:
        traj, loss = app.query_one(TrajectoryPlot), app.query_one(LossPlot)
        series = [RunSeries() for _ in records]
        runs = [PlotRun(f"r{i}", f"momentum {m}", "", s) for i, (m, s) in enumerate(zip((0, 0.5, 0.8, 0.9), series))]
        traj.set_surface(lambda xs, ys: surface.f(*np.meshgrid(xs, ys)), surface.bounds, surface.minima)
        for plot in (traj, loss):
            plot.set_runs(runs)
        await pilot.pause()
        app.bytes_written = 0
        t0 = time.perf_counter()
        for frame in range(frames):
            for s, recs in zip(series, records):
                s.extend(recs[frame * steps_per_frame : (frame + 1) * steps_per_frame])
            traj.refresh_if_changed()
            loss.refresh_if_changed()
            await asyncio.sleep(max(0.0, t0 + (frame + 1) / fps - time.perf_counter()))
        await pilot.pause()
        return app.bytes_written / (time.perf_counter() - t0)


def bench_text_plots(repeats: int = 7) -> dict[str, float]:
    """Median CPU ms of the replay's loss_plot and trajectory_plot for 13 runs of 20k points."""
    from sgd_tui.core.objectives.surfaces import make_surface
    from sgd_tui.plotting.textplot import loss_plot, trajectory_plot

    surface = make_surface("rosenbrock")
    rng = np.random.default_rng(0)
    k = np.arange(20_000)
    series = [(f"run {i}", k.tolist(), ((i + 1) * np.exp(-k / 3000) * (1 + 0.3 * rng.random(k.size))).tolist())
              for i in range(13)]
    paths = [(f"run {i}", (-1.5 + 2.5 * np.sin(k / 3000 + i)).tolist(), (2 * np.cos(k / 4000 + i)).tolist())
             for i in range(13)]
    grid = lambda xs, ys: surface.f(*np.meshgrid(xs, ys))  # noqa: E731
    jobs = {
        "loss_plot": lambda: loss_plot(series, title="bench", xlabel="step"),
        "trajectory_plot": lambda: trajectory_plot(paths, bounds=surface.bounds, grid=grid, minima=surface.minima,
                                                   start=(-1.5, 2.0), title="bench"),
    }
    out = {}
    for name, job in jobs.items():
        times = []
        for _ in range(repeats):
            t0 = time.process_time()
            job()
            times.append(time.process_time() - t0)
        out[name] = statistics.median(times) * 1e3
    return out


async def main(frames: int) -> None:
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    full = build_series(capacity=131_072, rng=rng)  # holds all 100k points: the worst case
    t_fill = time.perf_counter() - t0
    default = build_series(capacity=RunSeries(capacity=16384).capacity, rng=rng)
    print(f"filling 4 RunSeries with 100k records each: {t_fill * 1e3:.0f} ms; stored {len(full[0])} / "
          f"{len(default[0])} points (capacity 131072 / default)")
    results = [
        await bench_widget("LossPlot, 4 x 100k stored, step, log y", LossPlot(), full, frames, rng),
        await bench_widget("LossPlot, 4 x 100k stored, EMA 0.9", LossPlot(smoothing=0.9), full, frames, rng),
        await bench_widget("LossPlot, default capacity (decimated)", LossPlot(), default, frames, rng),
        await bench_widget("LossPlot, monochrome", LossPlot(monochrome=True), full, frames, rng),
        await bench_widget("LossPlot, + 3 change marks per run", LossPlot(), with_marks(full), frames, rng),
        await bench_widget("TrajectoryPlot, 4 x 100k path points", TrajectoryPlot(), full, frames, rng),
        await bench_widget("EvalPlot (no evals: axes only)", EvalPlot(), full, frames, rng),
    ]
    print(f"\nframe build at {SIZE[0]}x{SIZE[1]}, {frames} frames each, 100 new records per run per frame")
    print(f"{'widget':44s} {'median':>8s} {'p95':>8s} {'changed lines':>14s} {'stock path':>12s}")
    for r in results:
        stock = f"{r['stock_ms']:10.1f}ms" if math.isfinite(r["stock_ms"]) else f"{'-':>12s}"
        print(f"{r['name']:44s} {r['median_ms']:6.1f}ms {r['p95_ms']:6.1f}ms {r['changed_lines']:14.0f} {stock}")
    print("\nterminal bytes, 80x24, 2-D race of 4 runs (trajectories + loss), 5 frames/s, 20 steps per frame")
    for color_system in ("truecolor", "256"):
        rate = await bench_bytes(color_system)
        print(f"  {color_system:9s} {rate / 1024:6.1f} KB/s")
    print("\nreplay text plots, 13 runs x 20k points, median CPU time of 7 builds")
    for name, ms in bench_text_plots().items():
        print(f"  {name:16s} {ms:6.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=30)
    asyncio.run(main(parser.parse_args().frames))
