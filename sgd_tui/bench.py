"""``sgd-tui --bench`` / ``python -m sgd_tui.bench``: FashionMNIST training throughput, fast path vs lecture.

In one process, for each batch size (16, 64, 256 by default) it measures the training samples/s of

* the lecture's own loop: ``datasets.FashionMNIST(transform=ToTensor())``, ``DataLoader(batch_size=B)``,
  the lecture's ``NeuralNetwork``, ``nn.CrossEntropyLoss``, ``torch.optim.SGD(lr=1e-3, momentum=0.5)``
  (torch's default implementation) and its ``train_loop`` (``loss.item()`` every 100 batches); on an
  accelerator each batch is moved to the device, as the PyTorch tutorial does;
* the fast path: :class:`sgd_tui.core.run.engine.Runner` on the ``fashion_mnist`` objective with the same
  model, loss, optimizer, batch size and batch order (file order), evaluation off;
* with ``--bf16``, the fast path with ``precision = "bf16"`` (bfloat16 autocast: it changes the numbers);

in alternating windows, several rounds, keeping each one's best window (the least disturbed by other
processes), alternating also with windows of the matmuls alone. Each window is cut into slices of about 0.2 s
(``--slices``) and the loops take turns slice by slice, so within a round every loop sees the same load
(whole windows one after another, ``--slices 1``, compare one loop's luck with the scheduler with another's).
With more than one round it also prints each round's fast/peak (its fast-path window over its own matmul
window), min / median / max: the spread a loaded machine gives. Then it prints the ratios and the
fraction of the machine's matmul throughput the fast path reaches: the throughput is measured on the very
matmuls one training step of the MLP performs at that batch size (forward x·W1ᵀ, h·W2ᵀ, h·W3ᵀ; weight
gradients gᵀ·x, gᵀ·h, gᵀ·h; input gradients g·W3, g·W2), and the fast path's useful work is the FLOPs of
those matmuls per sample times its samples/s. Both loops run with the same number of torch threads.

Without the FashionMNIST files it writes synthetic data in the same IDX .gz format (60,000 + 10,000
images, or fewer with ``--quick``) to a temporary directory and says so; never downloads.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence

from sgd_tui.core.errors import DeviceError, SetupError
from sgd_tui.core.objectives.data import missing_files, prepare, resolve_data_dir, write_fashion_like
from sgd_tui.core.objectives.registry import validate_options
from sgd_tui.core.optim.registry import validate_hyperparameters
from sgd_tui.core.run.devices import device_description, resolve_device, set_training_threads
from sgd_tui.core.run.engine import Runner
from sgd_tui.core.run.settings import BUDGET_DEFAULTS, RUN_DEFAULTS
from sgd_tui.core.run.spec import RunSpec

__all__ = ["main", "mlp_flops_per_sample", "MatmulLoop", "LectureLoop", "FastLoop"]

LR, MOMENTUM, LOG_EVERY = 1e-3, 0.5, 100
SLICE_S = 0.2  # the default slice of a timing window (--slices): the loops take turns at this pace


def mlp_flops_per_sample(widths: Sequence[int]) -> int:
    """FLOPs of the matmuls of one forward + backward pass per example: 2·fan_in·fan_out per layer each for
    the forward product and the weight gradient, and for the input gradient of every layer but the first
    (the images need no gradient). Element-wise work (bias, ReLU, softmax) is not counted."""
    layers = [2 * a * b for a, b in zip(widths[:-1], widths[1:])]
    return 2 * sum(layers) + sum(layers[1:])


def _sync(device) -> None:
    import torch  # lazy: torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


class MatmulLoop:
    """The matmuls of one training step of the MLP ``widths`` at ``batch``, with preallocated outputs: the
    ceiling the training step's matmuls could reach on this device. ``run`` returns (FLOPs, seconds)."""

    def __init__(self, widths: Sequence[int], batch: int, device):
        import torch  # lazy: torch

        g = torch.Generator().manual_seed(0)
        self.device = device
        self.ops: list[Callable[[], object]] = []
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
            x = torch.rand(batch, a, generator=g).to(device)
            w = torch.rand(b, a, generator=g).to(device)
            d = torch.rand(batch, b, generator=g).to(device)
            y = torch.empty(batch, b, device=device)
            gw = torch.empty(b, a, device=device)
            gx = torch.empty(batch, a, device=device)
            self.ops.append(lambda x=x, w=w, y=y: torch.mm(x, w.t(), out=y))  # forward
            self.ops.append(lambda x=x, d=d, gw=gw: torch.mm(d.t(), x, out=gw))  # weight gradient
            if i > 0:
                self.ops.append(lambda w=w, d=d, gx=gx: torch.mm(d, w, out=gx))  # input gradient
        self.flops_per_step = batch * mlp_flops_per_sample(widths)

    def run(self, seconds: float) -> tuple[int, float]:
        steps = 0
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            for op in self.ops:
                op()
            steps += 1
        _sync(self.device)
        return steps * self.flops_per_step, time.perf_counter() - t0


# ----------------------------------------------------------------------------- the two training loops
class LectureLoop:
    """The lecture's train_loop, resumable across timing windows (a new epoch restarts the DataLoader)."""

    def __init__(self, train_data, batch: int, device):
        import torch  # lazy: torch
        from torch import nn  # lazy: torch
        from torch.utils.data import DataLoader  # lazy: torch

        from sgd_tui.core.objectives.lecture_model import NeuralNetwork  # lazy: torch

        torch.manual_seed(0)
        self.device = device
        self.model = NeuralNetwork().to(device)
        self.loss_fn = nn.CrossEntropyLoss()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LR, momentum=MOMENTUM)
        self.loader = DataLoader(train_data, batch_size=batch)
        self._it = None

    def run(self, seconds: float) -> tuple[int, float]:
        """Train for about ``seconds``; returns (samples, elapsed seconds)."""
        model, loss_fn, optimizer, dev = self.model, self.loss_fn, self.optimizer, self.device
        model.train()
        seen = 0
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            if self._it is None:
                self._it = enumerate(self.loader)
            nxt = next(self._it, None)
            if nxt is None:
                self._it = None
                continue
            batch, (X, y) = nxt
            if dev.type != "cpu":
                X, y = X.to(dev), y.to(dev)
            pred = model(X)
            loss = loss_fn(pred, y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            if batch % LOG_EVERY == 0:
                loss.item()
            seen += len(X)
        _sync(dev)
        return seen, time.perf_counter() - t0


class FastLoop:
    """The engine's Runner on the fashion_mnist objective, same model, loss, optimizer, batch and order."""

    def __init__(self, root: Path, batch: int, device, precision: str = "f32"):

        opts, _ = validate_options("fashion_mnist", {"data_dir": str(root), "model": "mlp", "eval_every_epoch": False,
                                                     "precision": precision})
        hyper, _ = validate_hyperparameters("sgd", {"lr": LR, "momentum": MOMENTUM})
        settings = RUN_DEFAULTS | {"batch_size": batch, "sampling": "sequential"}
        budget = BUDGET_DEFAULTS | {"steps": 10**12, "log_every": LOG_EVERY}
        self.device = device
        self.runner = Runner(RunSpec(label="bench", objective="fashion_mnist", objective_options=opts, optimizer="sgd", hyper=hyper, settings=settings, budget=budget, seed=0, device=str(device)))

    def run(self, seconds: float) -> tuple[int, float]:
        r = self.runner
        s0 = r.samples
        t0 = time.perf_counter()
        r.advance(10**12, deadline=t0 + seconds)
        _sync(self.device)
        return r.samples - s0, time.perf_counter() - t0


# ----------------------------------------------------------------------------- the report
def _data_root(data_dir: str | None, quick: bool, out) -> tuple[Path, tempfile.TemporaryDirectory | None]:

    root = resolve_data_dir(data_dir)
    if not missing_files(root):
        print(f"data: FashionMNIST files in {root}", file=out)
        return root, None
    n_train, n_test = (8192, 1024) if quick else (60_000, 10_000)
    tmp = tempfile.TemporaryDirectory(prefix="sgd-tui-bench-")
    t = time.perf_counter()
    write_fashion_like(Path(tmp.name), n_train=n_train, n_test=n_test, seed=0)
    print(f"data: no FashionMNIST files in {root}: generated synthetic data in the same IDX .gz format "
          f"({n_train:,} + {n_test:,} images, {time.perf_counter() - t:.1f} s); the speed is the same", file=out)
    return Path(tmp.name), tmp


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sgd-tui --bench", description="FashionMNIST training throughput: the fast "
                                "path against the lecture's own loop and against the machine's matmul throughput.")
    p.add_argument("--device", default="cpu", help="auto | cpu | cuda | cuda:N | mps (default: cpu)")
    p.add_argument("--data-dir", help="FashionMNIST directory (default: as the app); synthetic data if empty")
    p.add_argument("--batch-sizes", default="16,64,256", help="comma-separated (default: 16,64,256)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch intra-op threads for both loops (default: training's, half the cores, at most 4)")
    p.add_argument("--seconds", type=float, default=2.0, help="length of one timing window (default: 2)")
    p.add_argument("--rounds", type=int, default=3, help="alternating windows per loop and batch size (default: 3)")
    p.add_argument("--slices", type=int, default=0, help="cut each window into N slices taken in turn with the "
                   f"other loops' (default: one per {SLICE_S:g} s of --seconds; 1: whole windows one after another)")
    p.add_argument("--quick", action="store_true", help="short windows, one round, small synthetic data (a smoke test)")
    p.add_argument("--cpu-time", action="store_true", help="also the table per second of the training thread's "
                   "CPU time (--threads 1): steadier than wall time on a machine others are using")
    p.add_argument("--bf16", action="store_true", help='also time the fast path with precision = "bf16" (bfloat16 '
                   "autocast: faster where the hardware has bf16 units, but it changes the numbers)")
    return p


def main(argv: Sequence[str] | None = None, out=None) -> int:
    """Run the benchmark and print the table; returns 0 (2 on a bad device or unusable data)."""

    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    try:
        sizes = [int(b) for b in args.batch_sizes.split(",")]
        if any(b < 1 for b in sizes):
            raise ValueError
    except ValueError:
        print(f"sgd-tui --bench: error: --batch-sizes takes positive integers, e.g. 16,64,256 "
              f"(got {args.batch_sizes!r})", file=sys.stderr)
        return 2
    if args.quick:
        args.seconds, args.rounds = min(args.seconds, 0.3), 1
    if args.slices < 0:
        print(f"sgd-tui --bench: error: --slices takes a positive integer (got {args.slices})", file=sys.stderr)
        return 2

    import torch  # lazy: torch
    from torchvision import datasets  # lazy: torchvision
    from torchvision.transforms import ToTensor  # lazy: torchvision

    from sgd_tui.core.objectives.fashion import MODELS  # lazy: torch

    try:
        device = resolve_device(args.device)
    except DeviceError as e:
        print(f"sgd-tui --bench: error: {e}", file=sys.stderr)
        return 2
    threads = set_training_threads(args.threads)
    widths = MODELS["mlp"]
    print(f"FashionMNIST training, float32, the lecture's {'-'.join(map(str, widths))} MLP, cross-entropy, "
          f"SGD lr {LR} momentum {MOMENTUM}, batches in file order", file=out)
    print(f"device: {device_description(device)}; torch {torch.__version__}; Python {platform.python_version()}",
          file=out)
    from sgd_tui.core.optim.fused_step import step_path  # lazy: torch
    from sgd_tui.plotting.plotmatrix import matrix_path  # lazy: plotext

    print(f"paths: SGD step {step_path()}; plot matrix {matrix_path()}", file=out)
    try:
        root, tmp = _data_root(args.data_dir, args.quick, out)
        prepare(root, download=False)
    except SetupError as e:
        print(f"sgd-tui --bench: error: {e}", file=sys.stderr)
        return 2
    try:
        train_data = datasets.FashionMNIST(root=str(root), train=True, download=False, transform=ToTensor())
        loops = {b: (LectureLoop(train_data, b, device), FastLoop(root, b, device), MatmulLoop(widths, b, device))
                 + ((FastLoop(root, b, device, "bf16"),) if args.bf16 else ()) for b in sizes}
        for trio in loops.values():  # warm up (allocator, kernels, first epoch set-up)
            for loop in trio:
                loop.run(0.05)
        best = {b: [0.0, 0.0, 0.0, 0.0] for b in sizes}  # lecture, fast samples/s, matmul FLOP/s, bf16 samples/s
        best_cpu = {b: [0.0, 0.0, 0.0, 0.0] for b in sizes}  # the same per second of this thread's CPU time
        shares = {b: [] for b in sizes}  # each round's fast/peak: its fast window over its own matmul window
        shares_cpu = {b: [] for b in sizes}  # the same per second of CPU time
        slices = args.slices or max(1, round(args.seconds / SLICE_S))
        for _ in range(args.rounds):  # alternating windows: a disturbance hits one window, not one loop
            for b, trio in loops.items():
                done = [[0, 0.0, 0.0] for _ in trio]  # per loop: samples (FLOPs), wall s, CPU s of its window
                for _ in range(slices):  # the loops' windows cut into slices taken in turn: the same load
                    for k, loop in enumerate(trio):
                        c0 = time.thread_time()
                        n, dt = loop.run(args.seconds / slices)
                        done[k][0] += n
                        done[k][1] += dt
                        done[k][2] += time.thread_time() - c0
                rates = [n / dt for n, dt, _ in done]
                rates_cpu = [n / max(cpu, 1e-9) for n, _, cpu in done]
                for k in range(len(trio)):
                    best[b][k] = max(best[b][k], rates[k])
                    best_cpu[b][k] = max(best_cpu[b][k], rates_cpu[k])
                shares[b].append(rates[1] * mlp_flops_per_sample(widths) / rates[2])
                shares_cpu[b].append(rates_cpu[1] * mlp_flops_per_sample(widths) / rates_cpu[2])
    finally:
        if tmp is not None:
            tmp.cleanup()

    print(_fold_line({b: trio[1].runner for b, trio in loops.items()}), file=out)
    flops = mlp_flops_per_sample(widths)
    print(f"matmul FLOPs per sample (forward + backward): {flops / 1e6:.2f} M; "
          f"{threads} intra-op thread{'s' if threads > 1 else ''}", file=out)
    _table(best, sizes, flops, args.bf16, out)
    cut = f", each in {slices} slices taken in turn with the other loops'" if slices > 1 else ""
    print(f"\nsamples/s: best of {args.rounds} alternating window{'s' if args.rounds > 1 else ''} of "
          f"{args.seconds:g} s per loop{cut}; matmul peak: the step's matmuls alone at that batch size", file=out)
    if args.rounds > 1:
        print("fast/peak round by round (each round's fast-path window over its own matmul window), min / median "
              "/ max:", file=out)
        _spread(shares, sizes, out)
    if args.cpu_time:
        if threads == 1 and device.type == "cpu":
            _table(best_cpu, sizes, flops, args.bf16, out)
            print("\nthe same per second of CPU time of the training thread (best window): what an idle core "
                  "would do, whatever else runs on the machine", file=out)
            if args.rounds > 1:
                print("fast/peak per second of CPU time, round by round, min / median / max:", file=out)
                _spread(shares_cpu, sizes, out)
        else:
            print("\n--cpu-time needs --threads 1 on the CPU (other threads' time is not counted)", file=out)
    if args.bf16:
        print('bf16: the fast path with precision = "bf16" (bfloat16 autocast) and its speed-up over float32; '
              "it CHANGES THE NUMBERS (not the lecture's float32 results)", file=out)
    return 0


def _fold_line(runners: dict) -> str:
    """Which share of the fast path's steps the momentum fold took, per batch size (core.run.folded_sgd)."""
    parts = []
    for b, r in runners.items():
        taken = r.fold.folded_steps if r.fold is not None else 0
        parts.append(f"batch {b} {taken / max(r.step, 1):.0%}" if taken else f"batch {b} none")
    return ("momentum fold (∇W straight into the momentum buffer, used where its probe finds torch.optim's bits; "
            "not on logged steps): " + ", ".join(parts) + " of the fast path's steps")


def _spread(shares: dict, sizes: list[int], out) -> None:
    for b in sizes:
        r = sorted(shares[b])
        print(f"{b:>5}  {r[0]:.0%} / {statistics.median(r):.0%} / {r[-1]:.0%}  ({len(r)} rounds)", file=out)


def _table(best: dict, sizes: list[int], flops: int, bf16: bool, out) -> None:
    print("", file=out)
    bf16_head = f"  {'bf16 (other numbers)':>22}" if bf16 else ""
    print(f"{'batch':>5}  {'lecture loop':>14}  {'fast path':>14}  {'ratio':>6}  {'matmul peak':>12}  {'fast/peak':>9}"
          f"{bf16_head}", file=out)
    for b in sizes:
        lec, fast, peak, b16 = best[b]
        bf16_cell = f"  {b16:>12,.0f}/s {b16 / fast:>5.2f}x" if bf16 else ""
        print(f"{b:>5}  {lec:>12,.0f}/s  {fast:>12,.0f}/s  {fast / lec:>5.2f}x  {peak / 1e9:>7.1f} GFLOP/s"
              f"  {fast * flops / peak:>8.0%}{bf16_cell}", file=out)


if __name__ == "__main__":
    sys.exit(main())
