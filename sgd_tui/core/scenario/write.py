"""Writing a scenario as TOML (``schema = 1``): the file the app saves and the headless replay writes
next to its results. Every run is explicit -- its optimizer, all hyperparameters, the run settings in
effect, its objective when it differs from the scenario's -- so replaying the file gives the same numbers.
No torch import.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.run.settings import RUN_DEFAULTS, in_effect
from sgd_tui.core.scenario.model import Scenario
from sgd_tui.core.scenario.view import default_view

__all__ = ["SCHEMA", "scenario_to_toml", "toml_text"]

SCHEMA = 1


def scenario_to_toml(s: "Scenario") -> str:
    """The resolved scenario as TOML: every run explicit (optimizer, all hyperparameters, settings, its
    objective when it differs from the scenario's), so replaying it gives the same numbers."""
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "title": s.title,
        "description": s.description,
        **({"look_for": s.look_for} if getattr(s, "look_for", "") else {}),
        "seed": s.seed,
        "device": s.device,
        "objective": {"name": s.objective, **_present(s.objective_options)},
        "budget": _present(s.budget),
        **({"basins": _present(s.basins)} if getattr(s, "basins", None) is not None else {}),
        "runs": [],
    }
    for r in s.runs:
        run: dict[str, Any] = {"label": r.label, "name": r.optimizer, **_present(r.hyper)}
        used = in_effect(r.settings, get_objective(r.objective))
        for k, v in r.settings.items():
            # batch_scale is applied already (batch_size and lr hold the scaled values): not written again
            if k not in ("label", "batch_scale") and v is not None and (k in used or v != RUN_DEFAULTS[k]):
                run[k] = v
        if r.objective != s.objective or r.objective_options != s.objective_options:
            run["objective"] = {"name": r.objective, **_present(r.objective_options)}
        if getattr(r, "changes", None):
            run["changes"] = [{"step": step, **values} for step, values in r.changes]
        data["runs"].append(run)
    view = {k: v for k, v in s.view.items() if v != default_view().get(k)}
    if view:
        data["view"] = view
    if s.sweep is not None:
        data["sweep"] = s.sweep.to_table()
    if getattr(s, "race", None) is not None:
        data["race"] = s.race.to_table()
    if getattr(s, "landscape", None) is not None:
        data["landscape"] = _present(dict(s.landscape))
    return toml_text(data)


def toml_text(data: dict[str, Any]) -> str:
    """Write a scenario-shaped dict (top-level scalars, tables, ``runs`` as an array of tables) as TOML."""
    lines: list[str] = []
    tables = []
    for k, v in data.items():
        if isinstance(v, dict) or (isinstance(v, list) and v and all(isinstance(x, dict) for x in v)):
            tables.append((k, v))
        else:
            lines.append(f"{k} = {_toml_value(v)}")
    for k, v in tables:
        items = v if isinstance(v, list) else [v]
        for item in items:
            lines.append("")
            lines.append(f"[[{k}]]" if isinstance(v, list) else f"[{k}]")
            sub = []
            for kk, vv in item.items():
                if isinstance(vv, dict):
                    sub.append((kk, vv))
                else:
                    lines.append(f"{kk} = {_toml_value(vv)}")
            for kk, vv in sub:
                lines.append(f"[{k}.{kk}]")
                lines.extend(f"{kkk} = {_toml_value(vvv)}" for kkk, vvv in vv.items())
    return "\n".join(lines) + "\n"


def _present(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        if "\n" in v and '"""' not in v and "\\" not in v and not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", v):
            return '"""\n' + v + '"""'
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")
