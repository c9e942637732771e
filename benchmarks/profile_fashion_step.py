"""Where the time of one FashionMNIST training step goes: torch.profiler, op by op.

    python benchmarks/profile_fashion_step.py [--batch 16] [--steps 300] [--threads 1] [--autograd] [--no-fold]

Runs the fast path of ``sgd-tui --bench`` (the engine's Runner on the lecture's MLP, cross-entropy, SGD lr
1e-3 momentum 0.5, batches in file order, on synthetic data in the real format) for ``--steps`` steps under
``torch.profiler`` and prints the per-op table (self CPU time per step, calls per step), the share of the
step spent in the matmuls, and the wall time per step without the profiler (best of 5 windows; the
profiler's own overhead inflates the small ops). ``--autograd`` profiles the autograd path instead of
the hand-written forward/backward; ``--no-fold`` takes every step with the direct call of the fused SGD kernel
instead of the momentum fold (core.run.folded_sgd). A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--autograd", action="store_true", help="profile the autograd path")
    ap.add_argument("--no-fold", action="store_true", help="no momentum fold: ∇θ written, the fused kernel")
    args = ap.parse_args()

    import torch
    from torch.profiler import ProfilerActivity, profile

    from sgd_tui.bench import FastLoop
    from sgd_tui.core.objectives.data import write_fashion_like

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="sgd-tui-prof-") as tmp:
        root = write_fashion_like(Path(tmp), n_train=8192, n_test=1024, seed=0)
        loop = FastLoop(root, args.batch, torch.device("cpu"))
        runner = loop.runner
        if args.autograd:
            runner.problem.fast_step = None
        if args.autograd or args.no_fold:
            runner.fold = None
        loop.run(0.5)  # warm up
        per_step, per_step_cpu = [], []
        for _ in range(5):
            t0, c0 = time.perf_counter(), time.thread_time()
            runner.advance(args.steps)
            per_step.append((time.perf_counter() - t0) / args.steps)
            per_step_cpu.append((time.thread_time() - c0) / args.steps)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            runner.advance(args.steps)
    events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in events)
    n = args.steps
    path = "autograd" if args.autograd else "hand-written forward/backward"
    path += f", momentum fold on {runner.fold.folded_steps / runner.step:.0%} of steps" if runner.fold else ""
    print(f"batch {args.batch}, {args.threads} thread(s), {path}: {min(per_step) * 1e6:.0f} µs per step without "
          f"the profiler (best of 5 windows of {n} steps; median {sorted(per_step)[2] * 1e6:.0f} µs; per step of this "
          f"thread's CPU time: best {min(per_step_cpu) * 1e6:.0f} µs, median {sorted(per_step_cpu)[2] * 1e6:.0f} µs)")
    print("\n| op | self CPU µs per step | calls per step | share |\n|---|---:|---:|---:|")
    shown = 0.0
    for e in events:
        if e.self_cpu_time_total / total < 0.005:
            continue
        shown += e.self_cpu_time_total
        print(f"| `{e.key}` | {e.self_cpu_time_total / n:.1f} | {e.count / n:g} | {e.self_cpu_time_total / total:.1%} |")
    print(f"| (other ops) | {(total - shown) / n:.1f} | | {(total - shown) / total:.1%} |")
    mm = sum(e.self_cpu_time_total for e in events if e.key in ("aten::mm", "aten::addmm", "aten::addmm_"))
    print(f"\nmatmuls (aten::mm, aten::addmm, aten::addmm_): {mm / total:.0%} of the profiled step "
          f"({total / n:.0f} µs per step under the profiler)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
