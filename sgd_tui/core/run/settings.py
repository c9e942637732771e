"""Run settings and the budget: the rules every caller applies, in one place.

The scenario validator, the engine, the headless replay and the app's forms ask this module (and the
registries' descriptions), never an objective's name:

* which run settings apply: ``batch_size`` and ``sampling`` need a training set, ``start`` a 2-D
  objective; a schedule's own settings (``step_size``, ``gamma``, ...) only that schedule;
* a run's effective batch B: ``"full"`` (B = N, every step the whole training set) for a full-batch
  optimizer (gd, newton), which refuses a mini-batch; else its ``batch_size``, else the objective's
  default; an integer B is at most N, the training-set size;
* the budget: exactly one of ``steps`` and ``epochs``; epochs need a training set, and E epochs of
  ⌈N/B⌉ batches are E·⌈N/B⌉ optimizer steps; a budget without either runs :data:`DEFAULT_STEPS` steps;
  ``log_every`` defaults to every step on 2-D objectives (a smooth path) and every 100th batch on data
  sets (the lecture's ``batch % 100 == 0``).

Every default is a registry Param's (:data:`~sgd_tui.core.run.spec.RUN_PARAMS`,
:data:`~sgd_tui.core.run.spec.BUDGET_PARAMS`, :data:`~sgd_tui.core.run.spec.SEED`) or a constant here.
No torch import.
"""

from __future__ import annotations

from typing import Any, Collection

from sgd_tui.core.objectives.registry import OBJECTIVES, ObjectiveInfo, get_objective
from sgd_tui.core.optim.registry import OptimizerInfo
from sgd_tui.core.params import Param
from sgd_tui.core.run.spec import BUDGET_PARAMS, RUN_PARAMS

__all__ = ["DEFAULT_STEPS", "DEFAULT_EPOCHS", "DATA_ONLY", "SCHEDULE_PARAMS", "RUN_DEFAULTS", "BUDGET_DEFAULTS", "applies", "basin_issues", "run_settings_for", "in_effect", "default_budget", "budget_issues", "run_issues", "effective_batch", "total_steps", "log_every", "max_loss"]

DEFAULT_STEPS = 500  # a budget without steps or epochs; a first 2-D run in the app: an animation of 500 steps
DEFAULT_EPOCHS = 3  # a first data-set run in the app
DATA_ONLY = ("batch_size", "sampling", "batch_scale")  # run settings that need a training set
SCHEDULE_PARAMS = {"constant": (), "step": ("step_size", "gamma"), "exponential": ("gamma",),
                   "inverse_time": ("decay",), "cosine": ("eta_min",), "warmup": ("warmup_steps",)}
RUN_DEFAULTS: dict[str, Any] = {p.name: p.default for p in RUN_PARAMS}
BUDGET_DEFAULTS: dict[str, Any] = {p.name: p.default for p in BUDGET_PARAMS}
LOG_EVERY_2D, LOG_EVERY_DATA = 1, 100


# ============================================================================ which settings apply
def applies(setting: str, obj: ObjectiveInfo) -> bool:
    """Whether a run setting means something on objective ``obj``."""
    if setting in DATA_ONLY:
        return obj.has_data
    if setting == "start":
        return obj.is_2d
    return True


def run_settings_for(objective: str) -> tuple[Param, ...]:
    """The RUN_PARAMS a form offers for this objective (not the label; surfaces have no batches, data
    sets no start)."""
    obj = get_objective(objective)
    return tuple(p for p in RUN_PARAMS if p.name not in ("label", "batch_scale") and applies(p.name, obj))


def in_effect(settings: dict[str, Any], obj: ObjectiveInfo) -> set[str]:
    """The settings that act on a run: the schedule and its own settings, and the batch settings when
    there is a training set."""
    used = {"schedule", *SCHEDULE_PARAMS[settings.get("schedule") or RUN_DEFAULTS["schedule"]]}
    return used | {k for k in DATA_ONLY if applies(k, obj)}


# ============================================================================ the budget
def default_budget(objective: str) -> dict[str, Any]:
    """A budget that makes a good first run: an animation of DEFAULT_STEPS steps on a 2-D objective,
    DEFAULT_EPOCHS epochs of a data set."""
    budget = dict(BUDGET_DEFAULTS)
    if get_objective(objective).is_2d:
        budget["steps"] = DEFAULT_STEPS
    else:
        budget["epochs"] = DEFAULT_EPOCHS
    return budget


def budget_issues(given: Collection[str], obj: ObjectiveInfo | None = None) -> list[tuple[str, str]]:
    """(key, message) for a budget that sets the keys ``given``: exactly one of steps and epochs, and
    epochs only on an objective with a training set."""
    out = []
    if ("steps" in given) == ("epochs" in given):
        out.append(("budget", "give exactly one of steps and epochs: steps = N optimizer steps, or epochs = N "
                              "passes over the training set" + ("; not both" if "steps" in given else "")))
    if obj is not None and "epochs" in given:
        out += _epochs_issue(obj)
    return out


def _epochs_issue(obj: ObjectiveInfo) -> list[tuple[str, str]]:
    if obj.has_data:
        return []
    return [("budget.epochs", f"objective {obj.name} has no training set, so it has no epochs: give steps instead")]


def basin_issues(objectives: Collection[ObjectiveInfo]) -> list[tuple[str, str]]:
    """A [basins] table maps the runs on a surface objective (core.basins): at least one run must be."""
    if not objectives or any(o.kind == "surface" for o in objectives):
        return []
    surfaces = ", ".join(o.name for o in OBJECTIVES.values() if o.kind == "surface")
    return [("basins", f"a basin map needs a run on a surface objective ({surfaces}); this scenario has "
                       + ", ".join(sorted({o.name for o in objectives})))]


def total_steps(budget: dict[str, Any], batches_per_epoch: int) -> int:
    """The run's length in optimizer steps: epochs · batches per epoch, else steps, else DEFAULT_STEPS."""
    if budget.get("epochs") is not None:
        return int(budget["epochs"]) * batches_per_epoch
    return int(budget.get("steps") or DEFAULT_STEPS)


def log_every(budget: dict[str, Any], obj: ObjectiveInfo) -> int:
    return int(budget.get("log_every") or (LOG_EVERY_2D if obj.is_2d else LOG_EVERY_DATA))


def max_loss(budget: dict[str, Any]) -> float:
    return float(budget.get("max_loss") or BUDGET_DEFAULTS["max_loss"])


# ============================================================================ a run's combination
def effective_batch(opt: OptimizerInfo, obj: ObjectiveInfo, batch_size: int | str | None) -> int | str:
    """B: "full" for a full-batch optimizer, else ``batch_size``, else the objective's default."""
    if opt.full_batch:
        return "full"
    return batch_size or obj.default_batch


def run_issues(opt: OptimizerInfo, obj: ObjectiveInfo, obj_options: dict[str, Any], settings: dict[str, Any],
               budget: dict[str, Any], given: Collection[str] = ()) -> list[tuple[str, str]]:
    """Combinations a run cannot have, as (key, message): key is a run setting's name, ``budget.epochs``,
    or ``""`` for the run as a whole (its optimizer). Settings that do not apply are reported only when
    ``given`` (written by the user, as in a scenario file); what the engine cannot run, always."""
    out = []
    for k in DATA_ONLY:
        if k in given and not applies(k, obj):
            out.append((k, f"objective {obj.name} has no training set, so {k} does not apply"
                           + ("; noise = σ in [objective] emulates stochastic gradients" if k == "batch_size" else "")))
    if "start" in given and settings.get("start") is not None and not applies("start", obj):
        out.append(("start", f"start is for 2-D objectives; {obj.name} has {obj.kind} parameters"))
    if budget.get("epochs") is not None:
        out += _epochs_issue(obj)
    if budget.get("noise_every") and not obj.has_data:
        out.append(("budget.noise_every", f"objective {obj.name} has no training set, so it has no per-example "
                                          "gradients and no noise scale: noise_every is for data objectives"))
    batch, n = settings.get("batch_size"), obj.train_size(obj_options)
    if obj.has_data and batch not in (None, "full"):
        if opt.full_batch:
            out.append(("batch_size", f"{opt.name} uses the whole training set every step: batch_size must be "
                                      f"\"full\" (got {batch}); use sgd (or another optimizer) for mini-batches"))
        elif n is not None and batch > n:
            out.append(("batch_size", f"batch_size {batch} exceeds the {n} training examples of {obj.name}: "
                                      f"use at most {n}, or \"full\""))
    if opt.needs_matrices and obj.is_2d:
        out.append(("", f"{opt.name} needs a hidden weight matrix (a 2-D weight between two hidden layers); "
                        f"{obj.name} has two parameters: use mlp_regression with depth >= 2"))
    if opt.needs_hessian and not obj.is_2d:
        out.append(("", f"{opt.name} needs the Hessian, which is only built for 2-D objectives (not {obj.name}); "
                        "use a first-order optimizer"))
    return out
