"""Scenario files (TOML, ``schema = 1``): parse, validate against the registries, resolve into RunSpecs.

A scenario names an objective, a budget, shared optimizer settings and a list of runs (design §4)::

    schema = 1
    title = "..."            description = "..."     seed = 0     device = "auto"
    look_for = "..."         optional: the one line presenter mode shows (core.scenario.look_for)
    [objective]  name + that objective's options
    [budget]     exactly one of steps / epochs, plus log_every, tolerance, max_loss
    [optimizer]  name + its hyperparameters + run settings (batch_size, sampling, schedule, start, label, ...)
    [[runs]]     each overrides [optimizer] keys; ``name`` picks another optimizer (then only the
                 hyperparameters it also has carry over); an ``objective`` table overrides the
                 scenario's objective options for that run (its ``name`` another objective, same rule)
    [view]       optional: how the app first shows it (x axis, log y, f or the gap f - f*, smoothing,
                 which plots; see :mod:`sgd_tui.core.scenario.view`)
    [sweep]      optional: lists of values and seeds; every run x grid point x seed is a trial
                 (see :mod:`sgd_tui.core.sweep.grid`)

A scenario without ``[[runs]]`` is one run of its ``[optimizer]`` settings.

Validation reports every problem of a file at once: each :class:`ScenarioIssue` names the file, the
line where the key is (or its table's header), the key path (``runs[2].momentum``; runs are counted
from 1, as they appear in the file) and what is allowed. Each value is checked by its registry Param; the
rules that combine settings, budget, objective and optimizer are :mod:`sgd_tui.core.run.settings`'s; the
issues are collected by :mod:`sgd_tui.core.scenario.check`; the [basins] and [landscape] tables are
checked by :mod:`sgd_tui.core.scenario.maps`; writing a scenario back as TOML is
:mod:`sgd_tui.core.scenario.write`'s. No torch, textual, rich or plotext import.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from sgd_tui.core.errors import ScenarioError, ScenarioIssue
from sgd_tui.core.objectives.registry import OBJECTIVES, get_objective, validate_options
from sgd_tui.core.optim.changes import check_changes
from sgd_tui.core.optim.registry import OPTIMIZERS, get_optimizer, validate_hyperparameters
from sgd_tui.core.optim.scaling import scale_batch
from sgd_tui.core.run.devices import check_device_name
from sgd_tui.core.run.settings import BUDGET_DEFAULTS, RUN_DEFAULTS, budget_issues, run_issues
from sgd_tui.core.run.spec import BUDGET_PARAMS, RUN_PARAMS, SEED, RunSpec, default_labels
from sgd_tui.core.scenario.check import Checker as _Checker
from sgd_tui.core.scenario.check import join_key as _join
from sgd_tui.core.scenario.check import show_value as _show
from sgd_tui.core.scenario.files import PLAYLIST, find_scenarios, scenarios_dir
from sgd_tui.core.scenario.look_for import check_look_for
from sgd_tui.core.scenario.maps import basins_table as _basins
from sgd_tui.core.scenario.maps import landscape_table as _landscape
from sgd_tui.core.scenario.model import Scenario
from sgd_tui.core.scenario.race import build_race
from sgd_tui.core.scenario.view import check_view
from sgd_tui.core.scenario.write import SCHEMA, scenario_to_toml, toml_text
from sgd_tui.core.sweep.grid import build_sweep
from sgd_tui.core.text import shorten

__all__ = ["parse_scenario", "load_scenario", "with_overrides"]

TOP_KEYS = ("schema", "title", "description", "look_for", "seed", "device", "objective", "budget", "optimizer", "runs",
            "view", "sweep", "basins", "landscape", "race")
RUN_KEYS = {p.name: p for p in RUN_PARAMS}
BUDGET_KEYS = {p.name: p for p in BUDGET_PARAMS}


# ============================================================================ loading by name or path
def load_scenario(name_or_path: str | Path, *, max_trials: int | None = None) -> Scenario:
    """Load a scenario by NAME (``scenarios/NAME.toml``) or by PATH (contains ``/`` or ends ``.toml``);
    ``max_trials`` overrides a sweep's maximum number of trials."""
    text_arg = str(name_or_path)
    if isinstance(name_or_path, Path) or "/" in text_arg or os.sep in text_arg or text_arg.endswith(".toml"):
        path = Path(name_or_path)
    else:
        path = scenarios_dir() / f"{text_arg}.toml"
        if path.name == PLAYLIST:
            raise ScenarioError([ScenarioIssue(text_arg, None, "", "this is the lecture playlist, not a scenario: "
                                               "sgd-tui --lecture opens its first demo")])
        if not path.is_file():
            names = [n for n, _, _ in find_scenarios()]
            hint = difflib.get_close_matches(text_arg, names, n=1)
            msg = f"unknown scenario {shorten(repr(text_arg))}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
            msg += "; available: " + (", ".join(names) or f"none in {scenarios_dir()}")
            raise ScenarioError([ScenarioIssue(text_arg, None, "", msg)])
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([ScenarioIssue(str(path), None, "", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError([ScenarioIssue(str(path), None, "", f"cannot read the file: {e}")]) from None
    return parse_scenario(text, path, max_trials=max_trials)


# ============================================================================ parsing and validation
def parse_scenario(text: str, path: str | Path = "<string>", *, max_trials: int | None = None) -> Scenario:
    """Parse and validate a scenario; raise :class:`ScenarioError` listing every problem."""
    file = str(path)
    try:
        data = tomllib.loads(text)
    except RecursionError:  # tomllib recurses per nesting level: 1,000 `[` in a 1 KB file
        raise ScenarioError([ScenarioIssue(file, None, "", "TOML syntax error: arrays or tables nested "
                                                          "too deeply to read")]) from None
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        msg = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(e))
        line = int(m.group(1)) if m else len(text.splitlines()) or None
        raise ScenarioError([ScenarioIssue(file, line, "", f"TOML syntax error: {msg}")]) from None
    c = _Checker(text, file)
    name = Path(file).stem if file != "<string>" else "scenario"

    for key in data:
        if key not in TOP_KEYS:
            c.unknown(key, list(TOP_KEYS), "a scenario")
    schema = data.get("schema")
    if schema is None:
        c.add("schema", f"missing: the first line of a scenario is `schema = {SCHEMA}`")
    elif schema != SCHEMA or isinstance(schema, bool):
        c.add("schema", f"unsupported schema {_show(schema)}: this sgd-tui reads schema = {SCHEMA}")
    title = data.get("title", name)
    if not isinstance(title, str):
        c.add("title", f"must be a string, got {_show(title)}")
        title = name
    description = data.get("description", "")
    if not isinstance(description, str):
        c.add("description", f"must be a string, got {_show(description)}")
        description = ""
    look_for = check_look_for(c, data.get("look_for"))
    seed = c.check(SEED, data.get("seed", SEED.default), "seed")
    device = data.get("device", "auto")
    msg = check_device_name(device)
    if msg:
        c.add("device", msg)
        device = "auto"

    objective, objective_options = _objective(c, c.table(data.get("objective"), "objective"), "objective",
                                              None, None)
    budget_raw = c.table(data.get("budget"), "budget")
    optimizer_raw = c.table(data.get("optimizer"), "optimizer")
    runs_raw = data.get("runs")
    if runs_raw is None:
        runs_raw = [{}]
        implicit = True
    elif not isinstance(runs_raw, list) or not all(isinstance(r, dict) for r in runs_raw) or not runs_raw:
        c.add("runs", "must be one or more [[runs]] tables")
        runs_raw, implicit = [], False
    else:
        implicit = False

    budget = _budget(c, budget_raw)
    view = check_view(c, c.table(data.get("view"), "view"), objective)
    runs = []
    for i, raw in enumerate(runs_raw, 1):
        prefix = "optimizer" if implicit else f"runs[{i}]"
        spec = _run(c, raw, prefix, optimizer_raw, objective, objective_options, budget, seed, device)
        if spec is not None:
            runs.append(spec)
    _check_optimizer_keys(c, optimizer_raw, [r.get("name") for r in runs_raw])
    sweep = None
    if "sweep" in data:
        def resolve(i: int, point: dict) -> RunSpec | None:
            prefix = "optimizer" if implicit else f"runs[{i + 1}]"
            return _run(c, runs_raw[i], prefix, optimizer_raw, objective, objective_options, budget, seed,
                        device, point)

        sweep = build_sweep(c, data["sweep"], runs_raw, optimizer_raw, seed, resolve, max_trials)
    race = None
    if "race" in data:
        def resolve_race(i: int, point: dict) -> RunSpec | None:
            return _run(c, runs_raw[i], "optimizer" if implicit else f"runs[{i + 1}]", optimizer_raw, objective,
                        objective_options, budget, seed, device, point)

        if sweep is not None or "sweep" in data:
            c.add("race", "a race tunes over its own grid: use [race] or [sweep], not both")
        elif len(runs) == len(runs_raw):
            race = build_race(c, data["race"], runs_raw, optimizer_raw, seed, budget, resolve_race, runs, max_trials)
    basins = _basins(c, data.get("basins"), runs) if "basins" in data else None
    if basins is not None and sweep is not None:
        c.add("basins", "a sweep replays many trials, not runs to map: use [basins] in a scenario without [sweep]")
    if c.issues:
        raise ScenarioError(sorted(c.issues, key=lambda i: i.line or 1 << 30))
    if sweep is not None or race is not None:
        for r, label in zip(runs, (sweep or race.tuning).run_labels):
            r.label = r.settings["label"] = label
    else:
        default_labels(runs)
    landscape = None
    if "landscape" in data:
        landscape = _landscape(c, c.table(data["landscape"], "landscape"), runs)
        if c.issues:
            raise ScenarioError(sorted(c.issues, key=lambda i: i.line or 1 << 30))
    return Scenario(name=name, path=Path(path) if file != "<string>" else None, title=title, description=description, seed=seed, device=device,
                    look_for=look_for, objective=objective, objective_options=objective_options, budget=budget, optimizer=dict(optimizer_raw), runs=runs, sweep=sweep, basins=basins, landscape=landscape,
                    view=view, race=race)


def _objective(c: _Checker, raw: dict, key: str, base_name: str | None, base_options: dict | None):
    """Resolve an objective table. For a run's table, ``base_*`` are the scenario's objective: its
    options carry over (all of them for the same objective, the shared ones for another)."""
    name = raw.get("name", base_name)
    if name is None:
        c.add(_join(key, "name"), "missing: name the objective, one of " + ", ".join(OBJECTIVES))
        return None, {}
    if not isinstance(name, str) or name not in OBJECTIVES:
        hint = difflib.get_close_matches(str(name), list(OBJECTIVES), n=1)
        c.add(_join(key, "name"), f"unknown objective {_show(name)}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
              + "; one of " + ", ".join(OBJECTIVES))
        return None, {}
    info = get_objective(name)
    values: dict[str, Any] = {}
    if base_options is not None and base_name is not None:
        base_defaults = get_objective(base_name).defaults
        for k, v in base_options.items():
            # carry over what the scenario set (not the base objective's defaults) and this objective takes
            if k in info.defaults and (name == base_name or v != base_defaults.get(k)):
                values[k] = v
    own = {k: v for k, v in raw.items() if k != "name"}
    values.update(own)
    resolved, errors = validate_options(name, {k: v for k, v in values.items() if v is not None})
    for k, message in errors:
        if k in own or k not in values:
            path = _join(key, k)
        else:
            path = _join("objective", k)
        if k not in info.defaults:
            c.unknown(path, ["name", *info.defaults], f"objective {name}")
        else:
            c.add(path, message)
    return name, resolved


def _budget(c: _Checker, raw: dict) -> dict[str, Any]:
    budget = dict(BUDGET_DEFAULTS)
    for k, v in raw.items():
        if k not in BUDGET_KEYS:
            c.unknown(f"budget.{k}", list(BUDGET_KEYS), "[budget]")
            continue
        budget[k] = c.check(BUDGET_KEYS[k], v, f"budget.{k}")
    for key, message in budget_issues(raw):
        c.add(key, message)
    return budget


def _run(c: _Checker, raw: dict, prefix: str, shared: dict, objective: str | None, objective_options: dict,
         budget: dict, seed: int, device: str, point: dict | None = None) -> RunSpec | None:
    """Resolve one run: [optimizer] keys overridden by the run's own, then by a sweep's grid ``point``
    (only the keys this run's optimizer takes); every key checked where it is. Returns None when the
    run's optimizer or objective is unknown (after checking all it can)."""
    opt_name, name_key = _run_optimizer(c, raw, shared, prefix)
    info = get_optimizer(opt_name) if opt_name else None
    hyper_names = [p.name for p in info.params] if info else []

    # the objective of this run
    run_obj = raw.get("objective")
    if run_obj is not None and prefix != "optimizer":
        table = c.table(run_obj, f"{prefix}.objective")
        if objective is None and "name" not in table:
            obj_name, obj_opts = None, {}  # the scenario's objective is already reported
        else:
            obj_name, obj_opts = _objective(c, table, f"{prefix}.objective", objective, objective_options)
    else:
        obj_name, obj_opts = objective, objective_options

    # merge: [optimizer] first (its hyperparameters only if this optimizer has them), then the run
    sources: dict[str, str] = {}
    values: dict[str, Any] = {}
    for table, where in ((shared, "optimizer"), (raw, prefix), (point or {}, "sweep")):
        for k, v in table.items():
            if k == "name" or (k in ("objective", "changes") and table is raw):
                continue
            if table is not raw and where != prefix and k not in RUN_KEYS and k not in hyper_names:
                continue  # another optimizer's hyperparameter: checked against that optimizer
            values[k] = v
            sources[k] = f"{where}.{k}"
    settings = dict(RUN_DEFAULTS)
    hyper_in = {}
    for k, v in values.items():
        if k in RUN_KEYS:
            settings[k] = c.check(RUN_KEYS[k], v, sources[k])
        elif k in hyper_names:
            hyper_in[k] = v
        elif info is None:
            continue  # without a known optimizer, its hyperparameters cannot be told from typos
        elif sources[k].startswith("optimizer."):
            c.unknown(sources[k], ["name", *hyper_names, *RUN_KEYS], f"[optimizer] (for {opt_name})")
        else:
            c.unknown(sources[k], ["name", *hyper_names, *RUN_KEYS, "objective"], f"a run of {opt_name}")
    if info is None or obj_name is None:
        return None
    hyper, errors = validate_hyperparameters(opt_name, hyper_in)
    for k, message in errors:
        c.add(sources.get(k, prefix), message)
    changes = []
    if "changes" in raw and prefix != "optimizer":
        steps = budget.get("steps") if not budget.get("epochs") else None
        changes, errors = check_changes(opt_name, hyper, raw["changes"], steps)
        for k, message in errors:
            c.add(f"{prefix}.{k}", message)
    if settings.get("batch_scale") is not None:
        hyper = _batch_scale(c, info, get_objective(obj_name), hyper, settings, sources.get("batch_scale", prefix))
    run_key = name_key if "name" in raw or prefix == "optimizer" else prefix
    for k, message in run_issues(info, get_objective(obj_name), obj_opts, settings, budget, given=sources):
        c.add(sources.get(k, k) if k else run_key, message)
    return RunSpec(label=settings.get("label") or "", objective=obj_name, objective_options=dict(obj_opts), optimizer=opt_name, hyper=hyper, settings=settings, budget=dict(budget),
                   seed=seed, device=device, changes=changes)


def _batch_scale(c: _Checker, info, obj, hyper: dict, settings: dict, where: str) -> dict:
    """``batch_scale = k``: batch_size ×k and lr by the optimizer's rule (core.optim.scaling), resolved here so
    the RunSpec holds the values that run (the setting stays for tables and sweeps; the writer leaves it out)."""
    k = settings["batch_scale"]
    batch = settings.get("batch_size") or obj.default_batch
    if info.full_batch or not isinstance(batch, int):
        c.add(where, f"batch_scale needs an integer batch size to scale (got {batch!r}{' from ' + info.name if info.full_batch else ''})")
        return hyper
    hyper, settings["batch_size"] = scale_batch(info.name, hyper, batch, k)
    return hyper


def _run_optimizer(c: _Checker, raw: dict, shared: dict, prefix: str) -> tuple[str | None, str]:
    """The run's optimizer name (its own ``name``, else [optimizer]'s) and the key path it came from."""
    opt_name = raw.get("name", shared.get("name"))
    name_key = f"{prefix}.name" if "name" in raw else "optimizer.name"
    if opt_name is None:
        c.add(name_key, "missing: name the optimizer in [optimizer] or in the run, one of " + ", ".join(OPTIMIZERS))
        return None, name_key
    if not isinstance(opt_name, str) or opt_name not in OPTIMIZERS:
        hint = difflib.get_close_matches(str(opt_name), list(OPTIMIZERS), n=1)
        c.add(name_key, f"unknown optimizer {_show(opt_name)}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
              + "; one of " + ", ".join(OPTIMIZERS))
        return None, name_key
    return opt_name, name_key


def _check_optimizer_keys(c: _Checker, shared: dict, run_names: list) -> None:
    """A key of [optimizer] that no run's optimizer takes is a mistake (runs that name another optimizer
    skip the ones theirs lacks; if no run uses it at all, say so)."""
    names = {n for n in run_names if isinstance(n, str) and n in OPTIMIZERS}
    if isinstance(shared.get("name"), str) and shared["name"] in OPTIMIZERS and None in run_names:
        names.add(shared["name"])
    if not names:
        return
    takes = {p.name for n in names for p in get_optimizer(n).params}
    reported = {i.key for i in c.issues}
    for k in shared:
        if k not in takes and k not in RUN_KEYS and k != "name" and shorten(f"optimizer.{k}") not in reported:
            allowed = ["name", *sorted(takes), *RUN_KEYS]
            c.unknown(f"optimizer.{k}", allowed, "[optimizer] (for " + ", ".join(sorted(names)) + ")")


# ============================================================================ building and writing
_OPTIONS = {"seed": "--seed", "device": "--device", "budget.steps": "--steps", "budget.epochs": "--epochs",
            "budget": "--steps/--epochs", "data_dir": "--data-dir"}


def with_overrides(s: Scenario, *, seed: int | None = None, device: str | None = None, steps: int | None = None,
                   epochs: int | None = None, data_dir: str | None = None,
                   max_trials: int | None = None) -> Scenario:
    """The scenario with command-line overrides applied (and checked like the file's own values)."""
    text = scenario_to_toml(s)
    data = tomllib.loads(text)
    if seed is not None:
        data["seed"] = seed
    if device is not None:
        data["device"] = device
    if steps is not None or epochs is not None:
        data["budget"].pop("steps", None)
        data["budget"].pop("epochs", None)
        data["budget"]["steps" if steps is not None else "epochs"] = steps if steps is not None else epochs
    if data_dir is not None:
        for table in [data["objective"], *(r.get("objective", {}) for r in data["runs"])]:
            if table and "data_dir" in get_objective(table.get("name", data["objective"]["name"])).defaults:
                table["data_dir"] = data_dir
    try:
        out = parse_scenario(toml_text(data), s.path or "<string>", max_trials=max_trials)
    except ScenarioError as e:
        for issue in e.issues:  # the override, not the file, is wrong: say so (lines are of the rewritten text)
            issue.line = None
            option = next((o for k, o in _OPTIONS.items() if issue.key == k or issue.key.endswith("." + k)), None)
            issue.message += f" (from the command-line option {option})" if option else " (from the command line)"
        raise
    out.name = s.name
    return out


