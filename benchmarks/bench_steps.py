"""Optimizer steps per second on a 2-D surface, and the wall time of a headless optimizer race.

    python benchmarks/bench_steps.py [--steps 20000] [--objective rosenbrock] [--repeats 3]

1. For every optimizer of the registry: a Runner (sgd_tui.core.run.engine, the code the app and the headless
   replay use) on the surface, logging every step as the app does (log_every = 1: the loss at the new
   point, the gradient norm and the parameters), timed over ``--steps`` steps after a warm-up; the best
   of ``--repeats``. Target: >= 5,000 steps/s per run.
2. ``sgd-tui --scenario optimizer-race --headless`` as a subprocess, start-up (Python, torch) included.
   Target: < 10 s wall for >= 8 optimizers x 2,000 steps.
This is a benchmark, not a test: it prints figures and marks the ones that miss their target.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sgd_tui.core.objectives.registry import validate_options  # noqa: E402
from sgd_tui.core.optim.registry import OPTIMIZERS, validate_hyperparameters  # noqa: E402
from sgd_tui.core.run.engine import Runner  # noqa: E402
from sgd_tui.core.run.spec import RUN_PARAMS, RunSpec  # noqa: E402
from sgd_tui.core.scenario.parse import load_scenario  # noqa: E402

STEPS_TARGET = 5_000
RACE_TARGET_S = 10.0


def steps_per_second(name: str, objective: str, steps: int, log_every: int) -> float:
    """Best-case throughput of one run: a small learning rate keeps every optimizer finite."""
    hyper, errors = validate_hyperparameters(name, {"lr": 1e-4} if name not in ("newton", "adadelta") else {})
    assert not errors, errors
    options, _ = validate_options(objective, {})
    settings = {p.name: p.default for p in RUN_PARAMS}
    budget = {"steps": steps + 200, "log_every": log_every, "max_loss": 1e300}
    runner = Runner(RunSpec(label=name, objective=objective, objective_options=options, optimizer=name, hyper=hyper, settings=settings, budget=budget, seed=0, device="cpu"))
    runner.advance(200)  # warm-up: lazy imports, first-call caches
    t0 = time.perf_counter()
    runner.advance(steps)
    elapsed = time.perf_counter() - t0
    assert runner.step == steps + 200, (name, runner.status)
    return steps / elapsed


def race_wall_time() -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "sgd_tui", "--scenario", "optimizer-race", "--headless",
                               "--out", out], capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"the race failed ({proc.returncode}):\n{proc.stderr}")
        return wall, json.loads((Path(out) / "summary.json").read_text())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=20_000)
    ap.add_argument("--objective", default="rosenbrock")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)

    print(f"steps/s per run on {args.objective} (Runner.advance, best of {args.repeats}, {args.steps} steps)")
    print(f"{'optimizer':10s} {'log_every=1':>12s} {'log_every=100':>14s}")
    missed = []
    for name in OPTIMIZERS:
        every1 = max(steps_per_second(name, args.objective, args.steps, 1) for _ in range(args.repeats))
        every100 = max(steps_per_second(name, args.objective, args.steps, 100) for _ in range(args.repeats))
        flag = "" if every1 >= STEPS_TARGET else f"  < {STEPS_TARGET} target"
        if flag:
            missed.append(name)
        print(f"{name:10s} {every1:12,.0f} {every100:14,.0f}{flag}")

    n_runs = len(load_scenario("optimizer-race").runs)
    wall, summary = race_wall_time()
    steps = sum(r["steps"] for r in summary["runs"])
    run_time = sum(r["time_s"] for r in summary["runs"])
    flag = "" if wall < RACE_TARGET_S else f"  >= {RACE_TARGET_S} s target"
    print(f"\nsgd-tui --scenario optimizer-race --headless: {n_runs} runs, {steps:,} steps, "
          f"{wall:.2f} s wall (of which the runs' own time {run_time:.2f} s){flag}")
    return 1 if missed or flag else 0


if __name__ == "__main__":
    sys.exit(main())
