"""Device selection: auto picks CUDA, then MPS, then CPU; an unavailable device is an error, never a
silent fallback."""

from __future__ import annotations

import re

__all__ = ["DeviceError", "resolve_device", "available_devices", "DEVICE_PATTERN"]

DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda|cuda:\d+)$")


class DeviceError(ValueError):
    """The requested device does not exist on this machine."""


def check_device_name(name: str) -> str | None:
    """A message when ``name`` is not a device name at all (no torch needed)."""
    if not isinstance(name, str) or not DEVICE_PATTERN.match(name):
        return f"invalid device {name!r}: must be auto, cpu, cuda, cuda:N or mps"
    return None


def available_devices() -> list[str]:
    """Devices that exist here, in the order auto prefers them (CPU last)."""
    import torch

    out = []
    if torch.cuda.is_available():
        out += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        out.append("mps")
    out.append("cpu")
    return out


def resolve_device(name: str):
    """Return a torch.device for ``name`` or raise DeviceError saying what is available."""
    import torch

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
    import torch

    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        import platform

        return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"
    return str(device)
