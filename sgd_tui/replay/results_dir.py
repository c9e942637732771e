"""The folder a headless replay writes (design §5): one replay per folder, nothing lost, nothing mixed.

* :func:`open_results_dir` makes ``--out`` a folder this replay owns: it must be a folder (or not exist
  yet: then it is created, with its parents); a folder that already holds results (any of
  :data:`RESULT_FILES`) is refused unless ``force``, which deletes those files first, so no stale
  ``eval.csv`` of an earlier replay sits beside the new files; a lock (``fcntl.flock`` on
  ``.sgd-tui.lock``, which holds the owner's pid) keeps a second replay out while one writes.
* :class:`RowFile` appends CSV rows chunk by chunk with ``os.write`` (what is written is on its way to
  the disk, as after a flush); when a write fails (the disk is full) the file is cut back to its last
  whole chunk, so it stays a valid CSV of whole rows.
* :func:`write_whole` writes a small file through a temporary file and a rename: all or nothing.
* :class:`ResultWriter` writes metrics.csv and eval.csv as a replay goes, and keeps a bounded
  :class:`History` of each run for the final text plots.

Every failure is an :class:`OutputError` (a SetupError: exit status 2, one line naming the path and
the reason), never a traceback.
"""

from __future__ import annotations

import csv
import errno
import io
import os
from pathlib import Path
from typing import Iterable, Sequence

from sgd_tui.core.errors import SetupError
from sgd_tui.core.run.records import (
    EVAL_COLUMNS,
    METRICS_COLUMNS,
    SHARPNESS_COLUMNS,
    EvalRecord,
    Record,
    SharpnessRecord,
)

try:
    import fcntl
except ImportError:  # not on Windows: no lock there
    fcntl = None  # type: ignore[assignment]

__all__ = ["OutputError", "ResultsDir", "RowFile", "ResultWriter", "History", "open_results_dir", "write_whole",
           "RESULT_FILES", "LOCK_NAME", "csv_text", "csv_number"]

RESULT_FILES = ("metrics.csv", "eval.csv", "summary.json", "scenario.toml", "loss.txt", "trajectory.txt",
                "basin.csv", "basins.txt", "sharpness.csv", "landscape.csv", "landscape_paths.csv", "sweep.csv",
                "bands.csv", "sensitivity.txt", "landscape.txt", "sharpness.txt", "fit.txt", "noise.csv",
                "critical_batch.txt")
LOCK_NAME = ".sgd-tui.lock"


class OutputError(SetupError):
    """The results folder cannot take the results; the message names the path and the reason."""


def _reason(e: OSError) -> str:
    if e.errno == errno.ENOSPC:
        return "the disk is full"
    if e.errno == errno.EROFS:
        return "the file system is read-only"
    return e.strerror or str(e)


class ResultsDir:
    """An open results folder: its path, whether this replay created it, and the lock it holds."""

    def __init__(self, path: Path, created: list[Path], lock_fd: int | None):
        self.path = path
        self.created = created  # folders made for this replay, innermost last
        self._lock_fd = lock_fd
        self.written: list[Path] = []

    def file(self, name: str) -> Path:
        """The path of a result file this replay writes (remembered, for :meth:`discard`)."""
        p = self.path / name
        self.written.append(p)
        return p

    def discard(self) -> None:
        """Remove what this replay wrote, and the folders it created if they are left empty (a replay that
        failed before its first step leaves nothing behind)."""
        for p in self.written:
            try:
                p.unlink()
            except OSError:
                pass
        self.release()
        for d in reversed(self.created):
            try:
                d.rmdir()
            except OSError:
                break

    def release(self) -> None:
        if self._lock_fd is not None:
            try:
                (self.path / LOCK_NAME).unlink()
            except OSError:
                pass
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None


def open_results_dir(out: Path, force: bool = False) -> ResultsDir:
    """``out`` made ready for one replay's results, locked (see the module doc); OutputError otherwise."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file, not a folder: choose a folder")
    created = []
    for d in reversed([out, *out.parents]):
        if not d.exists():
            created.append(d)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create the folder {out}: {_reason(e)}") from None
    lock_fd = _lock(out)
    try:
        _clear_results(out, force)
    except OutputError:
        if lock_fd is not None:
            os.close(lock_fd)
        raise
    return ResultsDir(out, created, lock_fd)


def _lock(out: Path) -> int | None:
    if fcntl is None:
        return None
    path = out / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise OutputError(f"cannot write into {out}: {_reason(e)}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise OutputError(f"{out} is in use by another replay (pid {holder}): wait for it to end, or choose "
                          "another --out") from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError as e:
        os.close(fd)
        raise OutputError(f"cannot write into {out}: {_reason(e)}") from None
    return fd


def _clear_results(out: Path, force: bool) -> None:
    found = [name for name in RESULT_FILES if os.path.lexists(out / name)]
    if not found:
        return
    for name in found:
        if (out / name).is_dir() and not (out / name).is_symlink():
            raise OutputError(f"{out / name} is a folder where a result file goes: move it away, or choose "
                              "another --out")
    if not force:
        raise OutputError(f"{out} already holds the results of a replay ({', '.join(found)}): choose another "
                          "--out, or add --force to replace them")
    for name in found:
        p = out / name
        try:
            p.unlink()
        except OSError as e:
            raise OutputError(f"cannot remove the earlier {p}: {_reason(e)}") from None


class RowFile:
    """A CSV file of whole rows, appended chunk by chunk (see the module doc)."""

    def __init__(self, path: Path, header: Sequence[str]):
        self.path = path
        try:
            self._fd: int | None = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except OSError as e:
            raise OutputError(f"cannot write {path}: {_reason(e)}") from None
        self.size = 0
        self.rows = 0
        self.append([header])
        self.rows = 0  # data rows, not the header

    def append(self, rows: Iterable[Sequence]) -> None:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        n = 0
        for row in rows:
            w.writerow(row)
            n += 1
        data = memoryview(buf.getvalue().encode("utf-8"))
        done = 0
        try:
            while done < len(data):
                done += os.write(self._fd, data[done:])
        except OSError as e:
            try:
                os.ftruncate(self._fd, self.size)  # back to the last whole chunk
            except OSError:
                pass
            raise OutputError(f"cannot write {self.path}: {_reason(e)}; it keeps its first {self.rows} rows, "
                              "each whole") from None
        self.size += len(data)
        self.rows += n

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def write_whole(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: the file is whole or absent."""
    tmp = path.with_name(f".{path.name}.part")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as e:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise OutputError(f"cannot write {path}: {_reason(e)}") from None


def csv_text(columns: Sequence[str], rows: Iterable[Sequence]) -> str:
    """A small CSV file's text (header and rows), for :func:`write_whole`."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    w.writerows(rows)
    return buf.getvalue()


def csv_number(v: float | None) -> str:
    """A float exactly as Python reads it back (repr), or empty for None."""
    return "" if v is None else repr(float(v)) if isinstance(v, float) else str(v)


class History:
    """A bounded sample of one run's logged records, for the final text plots: every ``stride``-th record,
    the stride doubling (and every other kept record dropped) whenever ``2·cap`` are kept, plus the latest
    record. Memory stays below ~2·cap records whatever the budget (keeping every record, a 1M-step run
    peaked at 1.1 GB); metrics.csv still gets every row."""

    def __init__(self, cap: int = 2048):
        self.cap = cap
        self.kept: list[Record] = []
        self.stride = 1
        self.n = 0
        self.last: Record | None = None

    def add(self, r: Record) -> None:
        if self.n % self.stride == 0:
            self.kept.append(r)
            if len(self.kept) >= 2 * self.cap:
                self.kept = self.kept[::2]  # kept records are n = 0, s, 2s, ...: now 0, 2s, 4s, ...
                self.stride *= 2
        self.n += 1
        self.last = r

    def records(self) -> list[Record]:
        if self.last is None or (self.kept and self.kept[-1] is self.last):
            return list(self.kept)
        return [*self.kept, self.last]


class ResultWriter:
    """metrics.csv and eval.csv of a results folder, appended per chunk; a History per run for the plots
    (``history=False``: none, for a sweep, which keeps its trials' records itself). The one writer of
    these rows, for single replays, sweeps and the app's saved sweeps."""

    def __init__(self, folder: ResultsDir, history: bool = True):
        self.folder = folder
        self.history = history
        self.metrics = RowFile(folder.file("metrics.csv"), METRICS_COLUMNS)
        self.eval: RowFile | None = None
        self.sharp: RowFile | None = None
        self.series: dict[str, History] = {}
        self.evals: dict[str, list[EvalRecord]] = {}
        self.sharpness: dict[str, list[SharpnessRecord]] = {}

    def write(self, label: str, records: list[Record], evals: list[EvalRecord]) -> None:
        self.metrics.append((label, r.step, csv_number(r.epoch), r.samples, f"{r.time_s:.6f}", csv_number(r.loss), csv_number(r.lr),
                             csv_number(r.grad_norm), csv_number(r.x), csv_number(r.y)) for r in records)
        if self.history:
            history = self.series.setdefault(label, History())
            for r in records:
                history.add(r)
        if evals:
            if self.eval is None:
                self.eval = RowFile(self.folder.file("eval.csv"), EVAL_COLUMNS)
            self.eval.append((label, e.epoch, e.samples, csv_number(e.test_loss), csv_number(e.test_accuracy)) for e in evals)
            if self.history:
                self.evals.setdefault(label, []).extend(evals)

    def write_sharpness(self, label: str, rows: list[SharpnessRecord]) -> None:
        """sharpness.csv (run,step,samples,lambda_max,limit,preconditioned), opened at the first measurement."""
        if not rows:
            return
        if self.sharp is None:
            self.sharp = RowFile(self.folder.file("sharpness.csv"), SHARPNESS_COLUMNS)
        self.sharp.append((label, r.step, r.samples, csv_number(r.lambda_max), csv_number(r.limit),
                          csv_number(r.preconditioned)) for r in rows)
        self.sharpness.setdefault(label, []).extend(rows)

    def close(self) -> None:
        self.metrics.close()
        for f in (self.eval, self.sharp):
            if f is not None:
                f.close()
