"""Test helpers for FashionMNIST: a small learnable data set in the real file format, and no network.

``make_fashion_dir`` writes class templates plus noise as gzipped IDX files into a torchvision-style
directory (``<root>/FashionMNIST/raw/*.gz``) with :func:`sgd_tui.core.objectives.data.write_fashion_like`;
``block_network`` makes any connection attempt fail, as on a machine without network.
"""

from __future__ import annotations

import signal
import socket
import sys
from pathlib import Path

from sgd_tui.core.objectives.data import write_fashion_like

__all__ = ["make_fashion_dir", "block_network", "NetworkBlocked", "run_cli"]


def make_fashion_dir(root, n_train: int = 512, n_test: int = 256, seed: int = 0) -> Path:
    """Write a synthetic FashionMNIST-format data set under ``root``; returns ``root`` (the data_dir)."""
    return write_fashion_like(Path(root), n_train=n_train, n_test=n_test, seed=seed)


class NetworkBlocked(OSError):
    """Raised by every connection attempt while the network is blocked."""


def block_network(monkeypatch) -> list[str]:
    """Make name lookups and connections fail (as offline); returns the list of attempted hosts."""
    attempts: list[str] = []

    def refuse(*args, **kwargs):
        attempts.append(str(args[0] if args else kwargs))
        raise NetworkBlocked("network blocked by the test")

    def refuse_connect(self, address, *args):
        attempts.append(str(address))
        raise NetworkBlocked("network blocked by the test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse_connect)
    return attempts


def run_cli(monkeypatch, argv: list[str]) -> int:
    """``sgd-tui ARGV`` in this process; returns the exit status (``sys.exit``'s too, as a process's).

    headless.replay binds ``sys.stderr`` as its default progress stream when it is imported, which may be
    an earlier test's (closed) capture: point it at the current stderr first. The SIGINT and SIGTERM
    handlers are this process's again afterwards.
    """
    import sgd_tui.replay.run as headless
    from sgd_tui.cli import main

    monkeypatch.setitem(headless.replay.__kwdefaults__, "progress", sys.stderr)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return main(argv)
    except SystemExit as e:  # argparse ends a bad command line with sys.exit(2), as the console script would
        return 0 if e.code is None else e.code if isinstance(e.code, int) else 1
    finally:  # a headless replay ignores SIGINT/SIGTERM once its results are written (until its process exits)
        for sig, handler in handlers.items():
            if handler is not None:
                signal.signal(sig, handler)
