"""Time from the quit key to the end of the process (issue 9 target: under 0.5 s whatever is running).

Run: ``python benchmarks/bench_quit.py [--trials N] [--scenario NAME]``. Each trial starts ``sgd-tui`` on a
pseudo-terminal of 120x40 (a real terminal as far as Textual knows), waits for the first frame, then in the
case ``race`` switches to flat out (``f``) and starts every run (space) and lets it train for --race-seconds (default 1);
in the case ``warm-up`` it presses ``q`` as soon as the first frame is drawn, while the app's background
thread still imports torch. Reported: the time from writing ``q`` to the child's exit, per trial, and the
median and maximum.
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _drain(fd: int, until: float, want: bytes | None = None) -> bytes:
    seen = b""
    while time.monotonic() < until:
        r, _, _ = select.select([fd], [], [], 0.02)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            seen += chunk
            if want is not None and want in seen:
                return seen
    return seen


def trial(case: str, scenario: str, race_s: float = 1.0) -> float:
    import fcntl
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color"}
    proc = subprocess.Popen([sys.executable, "-m", "sgd_tui", "--scenario", scenario], stdin=slave, stdout=slave,
                            stderr=slave, env=env, close_fds=True, start_new_session=True)
    os.close(slave)
    try:
        _drain(master, time.monotonic() + 15, want=b"run/pause")  # the footer: the first frame is drawn
        if case == "race":
            _drain(master, time.monotonic() + 2.0)  # warm-up import finished (the race runs, not the import)
            os.write(master, b"f")
            _drain(master, time.monotonic() + 0.3)
            os.write(master, b" ")
            _drain(master, time.monotonic() + race_s)
        os.write(master, b"q")
        t0 = time.monotonic()
        tail = b""
        while proc.poll() is None and time.monotonic() - t0 < 20:
            tail = (tail + _drain(master, time.monotonic() + 0.005))[-4000:]
        took = time.monotonic() - t0
        if proc.returncode != 0 or b"Traceback" in tail:
            raise SystemExit(f"the app ended with status {proc.returncode}: {tail[-800:]!r}")
        return took
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        os.close(master)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=5)
    p.add_argument("--scenario", default="optimizer-race")
    p.add_argument("--race-seconds", type=float, default=1.0, help="how long the race runs before q")
    args = p.parse_args()
    for case in ("race", "warm-up"):
        times = [trial(case, args.scenario, args.race_seconds) for _ in range(args.trials)]
        print(f"{case:8s} q -> exit: " + " ".join(f"{t:.3f}" for t in times)
              + f"  median {statistics.median(times):.3f} s  max {max(times):.3f} s")


if __name__ == "__main__":
    main()
