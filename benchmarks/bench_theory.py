"""The theory panel's (α, β) rate map and the basin-of-attraction map: wall time on this machine.

    python benchmarks/bench_theory.py [--repeats 20] [--what rate|draw|basins|all]

1. Rate map: ``rate_map_grid`` at 120x40 cells for heavy ball and Nesterov on the quadratic (κ = 100),
   the local model and the dynamics included (what the panel recomputes when α or β changes).
   Target: <= 20 ms.
   ``--what draw``: what the app's theory panel does with it: the map at 120x40 cells (two β rows per
   cell: 120x80 ρ values), its half-block cells and the Rich Text, rendered to segments by a Console
   (the panel's own size, 34x6 cells, too). Target: <= 20 ms at 120x40.
2. Basin map: ``basin_map`` on Himmelblau, 64x64 starts x 500 steps as one (4096, 2) parameter tensor
   through the run's own optimizer class, per optimizer. Target: <= 300 ms.
Figures: median and minimum of ``--repeats`` timings (the machine may be shared: look at the minimum).
This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sgd_tui.core.objectives.registry import get_objective, validate_options  # noqa: E402
from sgd_tui.core.optim.registry import validate_hyperparameters  # noqa: E402
from sgd_tui.core.theory.quadratic import dynamics, local_model  # noqa: E402
from sgd_tui.core.theory.rate_map import rate_map_grid  # noqa: E402

RATE_TARGET_MS = 20.0
BASIN_TARGET_MS = 300.0


def timed(fn, repeats: int) -> tuple[float, float, float]:
    """(median wall ms, min wall ms, median CPU ms of this process): on a shared machine the CPU time
    is what the work costs on an idle core, the wall time what it took today."""
    fn()  # warm-up
    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    return statistics.median(times), min(times), statistics.median(cpu)


def bench_rate(repeats: int) -> None:
    opts, _ = validate_options("quadratic", {"condition": 100.0, "angle": 30.0})
    problem = get_objective("quadratic").build(opts)
    for name in ("polyak", "nesterov", "sgd"):
        hyper, _ = validate_hyperparameters(name, {"lr": 0.01, "momentum": 0.9})

        def once():
            m = local_model(problem, (1.0, 2.0), "quadratic", opts)
            return rate_map_grid(dynamics(m, name, hyper), m, 120, 40)

        med, best, cpu = timed(once, repeats)
        mark = "" if med <= RATE_TARGET_MS else "   MISSES the target"
        print(f"rate map 120x40 {name:9s} median {med:7.3f} ms  min {best:7.3f} ms  cpu {cpu:7.3f} ms  "
              f"(target {RATE_TARGET_MS:g} ms){mark}")


def bench_draw(repeats: int) -> None:
    from rich.console import Console

    from sgd_tui.core.theory.quadratic import Theory
    from sgd_tui.ui.widgets.theory_panel import MAP_COLS, MAP_ROWS, map_text

    opts, _ = validate_options("quadratic", {"condition": 100.0, "angle": 30.0})
    problem = get_objective("quadratic").build(opts)
    console = Console(width=200, color_system="truecolor", file=open(os.devnull, "w"))
    for name in ("polyak", "nesterov"):
        hyper, _ = validate_hyperparameters(name, {"lr": 0.01, "momentum": 0.9})
        for cols, rows in ((120, 40), (MAP_COLS, MAP_ROWS)):
            for mono in (False, True):
                def once():
                    m = local_model(problem, (1.0, 2.0), "quadratic", opts)
                    text = map_text(Theory(m, dynamics(m, name, hyper)), mono, cols, rows)
                    return console.render_lines(text, console.options.update_width(cols + 2))

                med, best, cpu = timed(once, repeats)
                mark = "" if med <= RATE_TARGET_MS else "   MISSES the target"
                print(f"panel map {cols}x{rows} {'mono ' if mono else 'color'} {name:9s} median {med:7.3f} ms  "
                      f"min {best:7.3f} ms  cpu {cpu:7.3f} ms  (target {RATE_TARGET_MS:g} ms){mark}")


def bench_basins(repeats: int) -> None:
    from sgd_tui.core.maps.basins import basin_map

    for name, hyper in (("gd", {"lr": 0.01}), ("polyak", {"lr": 0.01, "momentum": 0.5}),
                        ("sgd", {"lr": 0.01, "momentum": 0.5}), ("adam", {"lr": 0.01}), ("newton", {})):
        h, errors = validate_hyperparameters(name, hyper)
        assert not errors, errors
        med, best, cpu = timed(lambda: basin_map("himmelblau", {}, name, h, resolution=64, steps=500), repeats)
        mark = "" if med <= BASIN_TARGET_MS else "   MISSES the target"
        print(f"basins 64x64x500 {name:7s} median {med:7.1f} ms  min {best:7.1f} ms  cpu {cpu:7.1f} ms  "
              f"(target {BASIN_TARGET_MS:g} ms){mark}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--what", choices=("rate", "draw", "basins", "all"), default="all")
    args = ap.parse_args()
    import torch

    print(f"torch {torch.__version__}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if args.what in ("rate", "all"):
        bench_rate(args.repeats)
    if args.what in ("draw", "all"):
        bench_draw(args.repeats)
    if args.what in ("basins", "all"):
        bench_basins(max(3, args.repeats // 4))


if __name__ == "__main__":
    main()
