"""What a replay's ``summary.json`` says besides the runs: the default results folder, the resolved
scenario, the environment (Python, torch, device, the fast paths taken), JSON-safe numbers, and the
lecture's run title."""

from __future__ import annotations

import math
import platform
import re
import statistics
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Sequence

from sgd_tui import __version__
from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.optim.registry import get_optimizer
from sgd_tui.core.run.devices import device_description
from sgd_tui.core.run.records import SharpnessRecord
from sgd_tui.core.run.settings import effective_batch
from sgd_tui.core.scenario.model import Scenario


def default_out_dir(s: Scenario) -> Path:
    """``runs/<name>-<YYYYmmdd-HHMMSS>/`` under the current directory."""
    return Path("runs") / f"{s.name}-{time.strftime('%Y%m%d-%H%M%S')}"


def json_safe(v: Any) -> Any:
    """JSON has no inf/NaN: they become null (the run's status says why)."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_safe(x) for x in v]
    return v


def scenario_summary(s: Scenario) -> dict[str, Any]:
    """summary.json's ``scenario``: the resolved scenario's metadata and runs (and a sweep's table)."""
    out = {
        "name": s.name, "title": s.title, "description": s.description, "seed": s.seed, "device": s.device,
        "objective": s.objective, "objective_options": s.objective_options, "budget": s.budget,
        "runs": [{"label": r.label, "objective": r.objective, "objective_options": r.objective_options,
                  "optimizer": r.optimizer, "hyper": r.hyper, "settings": r.settings,
                  **({"changes": [{"step": at, **values} for at, values in r.changes]} if r.changes else {})}
                 for r in s.runs],
    }
    if s.sweep is not None:
        out["sweep"] = s.sweep.to_table()
    if getattr(s, "landscape", None) is not None:
        out["landscape"] = dict(s.landscape)
    return out


def environment(s: Scenario, device: Any) -> dict[str, Any]:
    """summary.json's environment: Python, platform, torch, sgd-tui, the device (a torch.device is
    described with its name and threads) and the seed."""
    env: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(), "seed": s.seed}
    torch = sys.modules.get("torch")  # a sweep's parent process need not import it (its workers did)
    if torch is not None:

        env["torch"] = torch.__version__
        env["device"] = device_description(device) if isinstance(device, torch.device) else device
        env["torch_threads"] = torch.get_num_threads()  # 1 vs 2 threads differ by ~2e-7 relative
        from sgd_tui.core.optim.fused_step import step_path  # lazy: torch

        env["sgd_step"] = step_path()  # "torch._fused_sgd_" or "torch.optim" (the same numbers)
    else:

        try:
            env["torch"] = version("torch")
        except PackageNotFoundError:
            env["torch"] = None
        env["device"] = str(device)
        env["sgd_step"] = None  # not known in a process without torch (a sweep's workers took the steps)
    from sgd_tui.plotting.plotmatrix import matrix_path  # lazy: plotext

    env["plot_matrix"] = matrix_path()  # "plotext._build_matrix" or "plotext.build" (the app's plots)

    env["sgd_tui"] = __version__
    return env


def lecture_title(spec) -> str:
    """The lecture's plot title: ``Optimizer-SGD lr-0.001 mt-0.5 bs-16``."""
    info = get_optimizer(spec.optimizer)
    m = re.search(r"torch\.optim\.(\w+)", info.title)
    name = m.group(1) if m else spec.optimizer.capitalize()
    momentum = spec.hyper.get("momentum", spec.hyper.get("betas", (0,))[0])
    bs = effective_batch(info, get_objective(spec.objective), spec.settings.get("batch_size"))
    return f"Optimizer-{name} lr-{spec.hyper.get('lr')} mt-{momentum} bs-{bs}"


def curvature_summary(rows: Sequence[SharpnessRecord], steps: int) -> dict[str, Any] | None:
    """summary.json's curvature of a run with sharpness measurements: ``limit`` (the limit at its last
    measurement: for a run whose α changes, the limit at the end), ``measured`` ("preconditioned" for an
    adaptive method's P⁻¹H, else "lambda_max"), ``tail_median`` (the median of the measured quantity over
    the measurements taken in the last third of the run's ``steps``, step ≥ 2·steps/3) and ``tail_ratio``
    = tail_median / limit (None without a limit); None without measurements."""
    if not rows:
        return None
    pre = any(r.preconditioned is not None for r in rows)
    tail = [r.measured for r in rows if r.step >= 2 * steps / 3 and r.step > 0]
    tail = [v for v in tail if v is not None and math.isfinite(v)]
    limit = rows[-1].limit
    med = statistics.median(tail) if tail else None
    ratio = med / limit if med is not None and limit else None
    return {"limit": limit, "measured": "preconditioned" if pre else "lambda_max", "tail_median": med,
            "tail_ratio": ratio, "tail_measurements": len(tail)}
