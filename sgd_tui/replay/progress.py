"""What a headless replay prints while it works: one bar per single replay (:class:`Progress`) and the
sweep's trial count with an ETA (:class:`SweepProgress`); on a terminal a redrawn line, else plain lines."""

from __future__ import annotations

import os
import time
from typing import IO

from sgd_tui.core.run.engine import Runner
from sgd_tui.core.run.records import RunResult
from sgd_tui.core.sweep.trials import FAILED_STATUSES, TrialOutcome
from sgd_tui.core.text import safe_text


class Progress:
    """A one-line bar on a terminal; plain lines (at most one per ``every`` seconds per run) otherwise."""

    def __init__(self, stream: IO[str] | None, n_runs: int, every: float = 5.0):
        self.stream = stream
        self.tty = bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())
        self.n = n_runs
        self.every = every
        self._last = 0.0

    def _columns(self) -> int:
        """The terminal's width, so the bar never wraps (a wrapped line cannot be redrawn with \\r)."""
        try:
            return os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            return 80

    def _say(self, text: str) -> None:
        if self.stream is not None:
            self.stream.write(text)
            self.stream.flush()

    def update(self, i: int, runner: Runner) -> None:
        done, total = runner.step, max(1, runner.total_steps)
        loss = "" if runner.last_loss is None else f"  loss {runner.last_loss:.4g}"
        head = f"run {i + 1}/{self.n} {safe_text(runner.spec.label, newlines=False)}"
        if self.tty:
            width = 24
            fill = int(width * done / total)
            line = f"{head} [{'#' * fill}{'-' * (width - fill)}] {done}/{total}{loss}"
            self._say(f"\r\x1b[2K{line[:self._columns() - 1]}")
        elif time.monotonic() - self._last >= self.every:
            self._last = time.monotonic()
            self._say(f"{head}: step {done}/{total}{loss}\n")

    def finished(self, i: int, result: RunResult, extra_text: str = "") -> None:
        """The run's line: status, steps, final loss and ``extra_text`` (test accuracy, λmax against 2/α)."""
        loss = "" if result.final_loss is None else f", final loss {result.final_loss:.6g}"
        if extra_text:
            loss += f", {safe_text(extra_text, newlines=False)}"
        extra = f" at step {result.diverged_step}" if result.diverged_step is not None else ""
        msg = f": {safe_text(result.message)}" if result.message else ""
        label = safe_text(result.label, newlines=False)
        self._say(("\r\x1b[2K" if self.tty else "") + f"run {i + 1}/{self.n} {label}: {result.status}"
                  f"{extra} after {result.steps} steps{loss} ({result.time_s:.2f} s){msg}\n")
        self._last = 0.0

    def note(self, text: str) -> None:
        """A line of text (from a file or the command line: made safe here)."""
        self._say(("\r\x1b[2K" if self.tty else "") + safe_text(text) + "\n")



class SweepProgress:
    """One line for the whole sweep: redrawn on a terminal, at most every ``every`` seconds otherwise."""

    def __init__(self, stream: IO[str] | None, total: int, where: str, every: float = 5.0):
        self.stream = stream
        self.tty = bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())
        self.total = total
        self.where = where
        self.every = every
        self.t0 = time.monotonic()
        self._last = 0.0
        self.done = self.diverged = self.failed = self.stopped = 0

    def _say(self, text: str) -> None:
        if self.stream is not None:
            self.stream.write(text)
            self.stream.flush()

    def line(self) -> str:
        """``sweep: 7/99 trials done, 1 diverged, 1 failed, 2 stopped on ...``: done = ran to their end (a
        failed trial is done and counted as failed too), stopped = not started or cut short."""
        elapsed = time.monotonic() - self.t0
        ended = self.done + self.stopped
        eta = elapsed / self.done * (self.total - ended) if self.done else None
        extra = "".join(f", {n} {what}" for n, what in ((self.diverged, "diverged"), (self.failed, "failed"),
                                                         (self.stopped, "stopped")) if n)
        return (f"sweep: {self.done}/{self.total} trials done{extra} on {self.where}, {clock(elapsed)}"
                + (f", ETA {clock(eta)}" if eta is not None and ended < self.total else ""))

    def ending(self, how: str) -> str:
        """The last line: how the sweep ended and what its trials did."""
        parts = [f"{self.done - self.failed} ran", f"{self.diverged} of them diverged" if self.diverged else "",
                 f"{self.failed} failed (see summary.json)" if self.failed else "",
                 f"{self.stopped} stopped" if self.stopped else ""]
        return f"sweep {how}: " + ", ".join(p for p in parts if p) + f" of {self.total} trials"

    def update(self, o: TrialOutcome) -> None:
        if o.result.status == "stopped":
            self.stopped += 1
        else:
            self.done += 1
        self.diverged += o.result.status == "diverged"
        self.failed += o.result.status in FAILED_STATUSES
        if self.tty:
            width = 24
            fill = int(width * self.done / max(1, self.total))
            self._say(f"\r\x1b[2K[{'#' * fill}{'-' * (width - fill)}] {self.line()}")
        elif time.monotonic() - self._last >= self.every or self.done + self.stopped == self.total:
            self._last = time.monotonic()
            self._say(self.line() + "\n")

    def note(self, text: str) -> None:
        self._say(("\r\x1b[2K" if self.tty else "") + safe_text(text) + "\n")


def clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}h{s // 60 % 60:02d}m{s % 60:02d}s" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"
