"""How fast the command line answers where it promises to be quick (design §6: under 0.3 s).

    python benchmarks/bench_cli.py [--repeat 7]

Each command runs as a fresh process (the cost a user sees, interpreter start-up included); the table gives
the minimum, median and maximum wall time. ``tests/test_import_hygiene.py`` proves the reason these paths
are fast (they import neither torch nor textual); this script measures the figure, which a test cannot do
reliably on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = [["--help"], ["--list-optimizers"], ["--list-objectives"], ["--list-scenarios"],
            ["--validate", "scenarios/optimizer-race.toml"]]


def timed(args: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sgd_tui", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    print(f"{'command':<48} {'min':>7} {'median':>7} {'max':>7}")
    for args in COMMANDS:
        times = [timed(args) for _ in range(repeat)]
        print(f"{'sgd-tui ' + ' '.join(args):<48} {min(times):7.3f} {statistics.median(times):7.3f} {max(times):7.3f}")


if __name__ == "__main__":
    main()
