"""The minimum value f* of an objective, where it is known (a surface's, the regression risk's solved
optimum; None for a network), so that a plot can show the gap f − f*; and the f* of each configuration
of a sweep, for its seed bands. Builds the problem: imports torch (lazily, in the registry)."""

from __future__ import annotations

from typing import Any

from sgd_tui.core.objectives.registry import get_objective

__all__ = ["objective_min", "config_minima"]


def objective_min(objective: str, options: dict[str, Any], seed: int = 0) -> float | None:
    """f* of ``objective`` with ``options`` (None for a data set, or when it cannot be had)."""
    try:
        info = get_objective(objective)
        if info.kind == "dataset":
            return None
        return float(info.build(options, None, seed).min_value)
    except Exception:  # noqa: BLE001 - no gap for this objective: the plot shows f
        return None


def config_minima(sweep: Any) -> dict[str, float | None]:
    """f* of each configuration of ``sweep`` (its first trial's objective, options and seed)."""
    out: dict[str, float | None] = {}
    known: dict[str, float | None] = {}
    for t in sweep.trials:
        if t.config in out:
            continue
        key = repr((t.spec.objective, sorted(t.spec.objective_options.items()), t.spec.seed))
        if key not in known:
            known[key] = objective_min(t.spec.objective, t.spec.objective_options, t.spec.seed)
        out[t.config] = known[key]
    return out
