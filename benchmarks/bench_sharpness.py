"""The cost of one curvature estimate: λmax of the lecture's MLP on 1,000 images, warm-started.

    python benchmarks/bench_sharpness.py [--repeats 5] [--steps 20] [--threads 1] [--tol T]

Synthetic images in FashionMNIST's file format (sgd_tui.core.objectives.data.write_fashion_like) in a temporary
directory; the lecture's 784-512-512-10 MLP trained by a Runner with SGD (lr 0.01, batch 64) and
``sharpness_every`` = ``--steps``, so each estimate after the first is warm-started from the previous
eigenvector, as in a run. Figures: the cold first estimate, then each warm estimate (time and
Hessian-vector products) over ``--repeats`` measurements, in wall time and in the process's CPU time (with one
thread, what an idle core would take). Target: a warm estimate <= 1 s on this CPU.
This is a benchmark, not a test: it prints figures and marks the ones that miss their target.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from sgd_tui.core.objectives.data import write_fashion_like  # noqa: E402
from sgd_tui.core.objectives.registry import validate_options  # noqa: E402
from sgd_tui.core.optim.registry import validate_hyperparameters  # noqa: E402
from sgd_tui.core.run.engine import Runner  # noqa: E402
from sgd_tui.core.run.spec import RUN_PARAMS, RunSpec  # noqa: E402

TARGET_S = 1.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5, help="warm estimates to time")
    ap.add_argument("--steps", type=int, default=20, help="SGD steps between estimates")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (the app's default is 1)")
    ap.add_argument("--tol", type=float, default=None, help="the meter's tolerance (default: the engine's)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        root = write_fashion_like(Path(tmp), n_train=2000, n_test=100, seed=0)
        opts, _ = validate_options("fashion_mnist", {"data_dir": str(root), "model": "mlp",
                                                     "eval_every_epoch": False})
        hyper, _ = validate_hyperparameters("sgd", {"lr": 0.01})
        settings = {p.name: p.default for p in RUN_PARAMS} | {"batch_size": 64}
        budget = {"steps": 10**6, "log_every": 10**6, "max_loss": 1e12, "sharpness_every": args.steps,
                  "sharpness_subset": 1000}
        runner = Runner(RunSpec(label="bench", objective="fashion_mnist", objective_options=opts, optimizer="sgd", hyper=hyper, settings=settings, budget=budget, seed=0, device="cpu"))
        meter = runner.sharpness_meter
        if args.tol is not None:
            meter.tol = args.tol
        assert meter.idx.numel() == 1000
        t0 = time.perf_counter()
        lam = meter.measure()
        cold = time.perf_counter() - t0
        print(f"cold estimate: λmax {lam:.4g} in {cold:.3f} s ({meter.products} Hessian-vector products)")
        warm, cpu = [], []
        for _ in range(args.repeats):
            runner.advance(args.steps - 1)  # the step that would measure is timed below, alone
            t0, c0 = time.perf_counter(), time.process_time()
            lam = meter.measure()
            warm.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            print(f"  warm estimate after {runner.step} steps: λmax {lam:.4g} in {warm[-1]:.3f} s wall, "
                  f"{cpu[-1]:.3f} s CPU ({meter.products} products)")
            runner.advance(1)
    med, worst = statistics.median(warm), max(warm)
    ok = med <= TARGET_S
    print(f"warm estimate, 1,000 images, lecture MLP, {args.threads} thread(s): median {med:.3f} s wall, "
          f"max {worst:.3f} s (target <= {TARGET_S:g} s){'' if ok else '  MISSED'}; CPU time median "
          f"{statistics.median(cpu):.3f} s, max {max(cpu):.3f} s (with one thread: what an idle core takes)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
