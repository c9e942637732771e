"""The cost of a loss-landscape slice: 21 x 21 grid points on 1,000 images with the lecture's MLP, and on
mlp_regression.

    python benchmarks/bench_landscape.py [--resolution 21] [--repeats 3] [--threads 1]

Two runs (SGD and Adam, a few steps each, weight snapshots every step) from one start, then
:func:`sgd_tui.core.maps.landscape.compute_landscape` on the plane through the start and their weights: the
grid, plus both paths projected. Synthetic images in FashionMNIST's file format
(sgd_tui.core.objectives.data.write_fashion_like). Targets: <= 10 s for the lecture's MLP, <= 1 s on mlp_regression
(best of ``--repeats``; wall time, and the process's CPU time: with one thread, what an idle core takes).
This is a benchmark, not a test: it prints figures and marks the ones that miss.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from sgd_tui.core.maps.landscape import compute_landscape  # noqa: E402
from sgd_tui.core.objectives.data import write_fashion_like  # noqa: E402
from sgd_tui.core.objectives.registry import validate_options  # noqa: E402
from sgd_tui.core.optim.registry import validate_hyperparameters  # noqa: E402
from sgd_tui.core.run.engine import Runner  # noqa: E402
from sgd_tui.core.run.spec import RUN_PARAMS, RunSpec  # noqa: E402


def runners(objective: str, options: dict, steps: int, batch) -> list[Runner]:
    opts, errors = validate_options(objective, options)
    assert not errors, errors
    out = []
    for name, lr in (("sgd", 0.05), ("adam", 0.001)):
        hyper, _ = validate_hyperparameters(name, {"lr": lr})
        settings = {p.name: p.default for p in RUN_PARAMS} | {"batch_size": batch, "label": name}
        budget = {"steps": steps, "log_every": 10**6, "max_loss": 1e12, "snapshot_every": 1}
        r = Runner(RunSpec(label=name, objective=objective, objective_options=opts, optimizer=name, hyper=hyper, settings=settings, budget=budget, seed=0, device="cpu"))
        r.advance(steps)
        out.append(r)
    return out


def best(rs: list[Runner], resolution: int, repeats: int) -> tuple[float, float]:
    """The best wall time and the best CPU time (with one thread, what an idle core takes) of a slice."""
    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        compute_landscape(rs, resolution=resolution, subset=1000)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(times), min(cpu)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolution", type=int, default=21)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (the app's default is 1)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        root = write_fashion_like(Path(tmp), n_train=2000, n_test=100, seed=0)
        rs = runners("fashion_mnist", {"data_dir": str(root), "model": "mlp", "eval_every_epoch": False}, 30, 64)
        t, c = best(rs, args.resolution, args.repeats)
        miss = t > 10.0
        ok &= not miss
        # the work after the precomputed first layer: 512x512 and 512x10 products on 1,000 images per point
        flops = args.resolution**2 * 2 * 1000 * (512 * 512 + 512 * 10)
        x, w = torch.randn(1000, 512), torch.randn(512, 512)
        t0 = time.perf_counter()
        for _ in range(20):
            x @ w
        peak = 20 * 2 * 1000 * 512 * 512 / (time.perf_counter() - t0)
        print(f"lecture MLP, 1,000 images, {args.resolution}x{args.resolution}: {t:.2f} s wall, {c:.2f} s CPU "
              "(target <= 10 s)"
              + ("  MISSED" if miss else "") + f"; {flops / t / 1e9:.1f} GFLOP/s against {peak / 1e9:.1f} for a "
              f"plain 1000x512x512 matmul now: the floor at that rate is {flops / peak:.2f} s")
    rs = runners("mlp_regression", {}, 300, 8)
    t, c = best(rs, args.resolution, args.repeats)
    miss = t > 1.0
    ok &= not miss
    print(f"mlp_regression (64 points, 32 units), {args.resolution}x{args.resolution}: {t:.3f} s wall, {c:.3f} s "
          "CPU (target <= 1 s)"
          + ("  MISSED" if miss else ""))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
