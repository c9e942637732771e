"""Where training runs: the device and torch's threads.

Device selection: auto picks CUDA, then MPS, then CPU; an unavailable device is an error, never a
silent fallback. Threads: a process-wide policy for torch's intra-op threads (:func:`set_training_threads`),
set once by whoever drives training (the app's worker, the headless replay, the benchmark).
"""

from __future__ import annotations

import os
import platform
import re

from sgd_tui.core.errors import DeviceError
from sgd_tui.core.text import shorten

__all__ = ["resolve_device", "available_devices", "DEVICE_PATTERN", "set_training_threads", "default_training_threads", "THREADS_ENV_VAR"]

DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda|cuda:\d+)$")
THREADS_ENV_VAR = "SGD_TUI_THREADS"


def check_device_name(name: str) -> str | None:
    """A message when ``name`` is not a device name at all (no torch needed)."""
    if not isinstance(name, str) or not DEVICE_PATTERN.match(name):
        return f"invalid device {shorten(repr(name))}: must be auto, cpu, cuda, cuda:N or mps"
    return None


def available_devices() -> list[str]:
    """Devices that exist here, in the order auto prefers them (CPU last)."""
    import torch  # lazy: torch

    out = []
    if torch.cuda.is_available():
        out += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        out.append("mps")
    out.append("cpu")
    return out


def resolve_device(name: str):
    """Return a torch.device for ``name`` or raise DeviceError saying what is available."""
    import torch  # lazy: torch

    msg = check_device_name(name)
    if msg:
        raise DeviceError(msg)
    if name == "auto":
        return torch.device(available_devices()[0])
    if name == "cpu":
        return torch.device("cpu")
    avail = available_devices()
    if name == "mps":
        if "mps" not in avail:
            raise DeviceError("device 'mps' is not available here (available: " + ", ".join(avail) + ")")
        return torch.device("mps")
    index = int(name.split(":")[1]) if ":" in name else 0
    if not torch.cuda.is_available():
        raise DeviceError(
            f"device {name!r} is not available: torch sees no CUDA GPU here "
            f"(torch {torch.__version__}, CUDA build: {torch.version.cuda or 'no'}); available: " + ", ".join(avail)
        )
    if index >= torch.cuda.device_count():
        raise DeviceError(
            f"device {name!r} is not available: this machine has {torch.cuda.device_count()} CUDA device(s); "
            "available: " + ", ".join(avail)
        )
    return torch.device(f"cuda:{index}")


def device_description(device) -> str:
    import torch  # lazy: torch

    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":

        return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"
    return str(device)


# ----------------------------------------------------------------------------- threads
def default_training_threads(cores: int | None = None) -> int:
    """Half the cores, at most 4, at least 1: on this project's 2-core reference machine, one thread.

    Measured there with ``sgd-tui --bench`` (the lecture's MLP and SGD, best of 10 windows), samples/s at
    batch 16 / 64 / 256: 1 thread 13.6k / 22.6k / 26.6k, steady whatever else ran; 2 threads on an idle
    machine 9.4k / 22.8k / 40.1k (small batches pay OpenMP's fork-join on every small op), and 1-5k as soon
    as another process or the UI used the second core (spinning OpenMP threads wait on each other).
    """
    cores = cores or os.cpu_count() or 1
    return max(1, min(4, cores // 2))


def set_training_threads(n: int | None = None) -> int:
    """Set torch's intra-op threads for training and return the number: ``n``, else the environment
    variable ``SGD_TUI_THREADS`` (e.g. 2 for a headless replay on an otherwise idle 2-core machine, where
    batch 256 trains 1.5x faster), else :func:`default_training_threads`. Process-wide: call it once,
    before training starts (the app's worker, the headless replay)."""
    if n is None:
        env = os.environ.get(THREADS_ENV_VAR, "").strip()
        n = int(env) if env.isdigit() and int(env) > 0 else default_training_threads()
    n = max(1, int(n))
    import torch  # lazy: torch

    torch.set_num_threads(n)
    return n
