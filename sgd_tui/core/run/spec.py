"""What one run is: objective, optimizer, run settings, budget, seed and device.

A Scenario (TOML file or the app's form) resolves into one :class:`RunSpec` per run; the engine turns
a RunSpec into records. Run settings that are not optimizer hyperparameters (batch size, sampling,
learning-rate schedule, start point) live here, next to the budget keys and the seed; the rules that
combine them with an objective and an optimizer are in :mod:`sgd_tui.core.run.settings`. No torch import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from sgd_tui.core.optim.registry import get_optimizer
from sgd_tui.core.params import Param, format_value
from sgd_tui.core.text import unique_labels

__all__ = ["RUN_PARAMS", "BUDGET_PARAMS", "BASIN_PARAMS", "LANDSCAPE_PARAMS", "SCHEDULES", "SEED", "RunSpec",
           "default_labels"]

SCHEDULES = ("constant", "step", "exponential", "inverse_time", "cosine", "warmup")

# Keys that [optimizer] and [[runs]] accept besides the optimizer's own hyperparameters.
RUN_PARAMS: tuple[Param, ...] = (
    Param("label", "text", None, "the run's name in tables, legends and files", optional=True),
    Param("batch_size", "batch", None, 'examples per step: 1 = SGD, B = mini-batch, "full" = GD '
          "(default: the objective's)", optional=True),
    Param("sampling", "str", "shuffle", "how batches are drawn: shuffle = without replacement each epoch, "
          "replacement = with replacement, sequential = in file order", choices=("shuffle", "replacement", "sequential")),
    Param("schedule", "str", "constant", "learning-rate schedule α_t", choices=SCHEDULES),
    Param("step_size", "int", 100, "step schedule: steps between decays", low=1, label="step_size value"),
    Param("gamma", "float", 0.5, "step/exponential schedule: decay factor per step_size / per step", low=0.0,
          high=1.0, low_open=True, label="gamma value"),
    Param("decay", "float", 0.01, "inverse_time schedule: α_t = α / (1 + decay·t)", low=0.0, label="decay value"),
    Param("eta_min", "float", 0.0, "cosine schedule: the final learning rate", low=0.0, label="eta_min value"),
    Param("warmup_steps", "int", 100, "warmup schedule: α_t = α·min(1, (t + 1)/warmup_steps), a linear warm-up "
          "to α, then constant", low=1, label="warmup_steps value"),
    Param("start", "point", None, "2-D objectives: the starting point [x, y]", optional=True),
    Param("batch_scale", "int", None, "scale the batch ×k and the lr by the optimizer's rule (×k for SGD, ×√k "
          "for Adam and the adaptive methods), applied when the scenario is resolved", low=1, high=1_000_000,
          optional=True, label="batch_scale value"),
)

# [basins] of a scenario: a basin-of-attraction map per run on a surface (core.basins)
BASIN_PARAMS: tuple[Param, ...] = (
    Param("resolution", "int", 64, "starts per side of the grid (resolution² starts over the view)", low=2,
          high=512, label="resolution value"),
    Param("steps", "int", None, "steps per start (default: the scenario's budget.steps)", low=1,
          high=100_000, optional=True, label="steps value"),
    Param("tolerance", "float", None, "distance to a minimum that counts as reaching it (default: 1% of the "
          "view's width)", low=0.0, low_open=True, optional=True, label="tolerance value"),
)

# torch.Generator.manual_seed takes 0 .. 2**64 - 1 (2**64: "Overflow when unpacking long long")
SEED = Param("seed", "int", 0, "the seed of every run (data, sampling, noise)", low=0, high=2**64 - 1,
             label="seed value")

# Budgets beyond these are mistakes (10**9 steps of even a 2-D objective take days): a clear error.
MAX_STEPS = 10**9
MAX_EPOCHS = 100_000

BUDGET_PARAMS: tuple[Param, ...] = (
    Param("steps", "int", None, "optimizer steps to run", low=1, high=MAX_STEPS, optional=True, label="steps value"),
    Param("epochs", "int", None, "passes over the training set (dataset objectives)", low=1, high=MAX_EPOCHS,
          optional=True, label="epochs value"),
    Param("log_every", "int", None, "steps between logged training-loss points (default: 1 for 2-D "
          "objectives, 100 otherwise)", low=1, optional=True, label="log_every value"),
    Param("tolerance", "float", None, "end the run 'converged' when the gradient norm falls below this",
          low=0.0, low_open=True, optional=True, label="tolerance value"),
    Param("max_loss", "float", 1e12, "a loss above this (or NaN/inf) ends the run 'diverged'", low=0.0,
          low_open=True, label="max_loss value"),
    Param("sharpness_every", "int", None, "measure λmax, the largest eigenvalue of the training loss's Hessian, "
          "every this many steps (and at the start); off when unset", low=1, optional=True,
          label="sharpness_every value"),
    Param("snapshot_every", "int", None, "keep the weights every this many steps for the paths on a loss-landscape "
          "slice (thinned to bounded memory as the run goes on); off when unset", low=1, optional=True,
          label="snapshot_every value"),
    Param("sharpness_subset", "int", 1000, "training examples λmax is measured on (a fixed seeded subset; "
          "all of them when the set is smaller)", low=1, high=10_000, label="sharpness_subset value"),
    Param("target_loss", "float", None, "end the run 'reached' when its training loss, measured every log_every "
          "steps (f itself on 2-D objectives; never the batch loss), is at or below this; off when unset",
          optional=True, label="target_loss value"),
    Param("target_subset", "int", 1000, "training examples the target's loss is measured on (a fixed seeded "
          "subset; all of them when the set is smaller)", low=1, high=1_000_000, label="target_subset value"),
    Param("noise_every", "int", None, "measure the gradient noise scale B_simple = tr(Σ)/|G|² every this many steps "
          "(and at the start; data objectives); off when unset", low=1, optional=True, label="noise_every value"),
    Param("noise_subset", "int", 1000, "training examples B_simple is measured on (a fixed seeded subset; all of "
          "them when the set is smaller)", low=2, high=100_000, label="noise_subset value"),
)


# The [landscape] table of a scenario (besides ``runs``, a list of run labels): a 2-D slice of the training
# loss written by the headless replay (sgd_tui.core.maps.landscape).
LANDSCAPE_PARAMS: tuple[Param, ...] = (
    Param("mode", "str", "plane", "plane = through the shared start and the final weights of two runs; random = "
          "Li et al.'s filter-normalised random directions around one run's final weights",
          choices=("plane", "random")),
    Param("resolution", "int", 21, "grid points per axis", low=5, high=201, label="resolution value"),
    Param("subset", "int", 1000, "training examples the slice is computed on (a fixed seeded subset)", low=1,
          high=10_000, label="subset value"),
    Param("margin", "float", 0.5, "plane: how far the grid reaches past the anchors (1 = the anchors' distance)",
          low=0.0, high=5.0, label="margin value"),
    Param("radius", "float", 1.0, "random: the grid covers [-radius, radius]² in filter-normalised units",
          low=0.0, low_open=True, label="radius value"),
    Param("refresh_every", "int", None, "the app: recompute the shown slice every N steps of the selected run "
          "while it trains (unset: only on request, key L; the replay computes one slice after the runs)",
          low=1, high=MAX_STEPS, optional=True, label="refresh_every value"),
)


@dataclass(kw_only=True)
class RunSpec:
    """Everything needed to train one run reproducibly."""

    label: str
    objective: str
    objective_options: dict[str, Any]
    optimizer: str
    hyper: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)  # RUN_PARAMS values (resolved)
    budget: dict[str, Any] = field(default_factory=dict)  # BUDGET_PARAMS values (resolved)
    seed: int = SEED.default
    device: str = "cpu"
    # hyperparameters changed mid-run: (step, {name: value}), applied after `step` steps (core.changes)
    changes: list = field(default_factory=list)

    def with_changes(self, **changes: Any) -> "RunSpec":
        return replace(self, **changes)

    def hyper_after(self, step: int | None = None) -> dict[str, Any]:
        """The hyperparameters in effect after ``step`` steps (after all of ``changes`` when None)."""
        hyper = dict(self.hyper)
        for at, values in self.changes:
            if step is None or at <= step:
                hyper.update(values)
        return hyper

    def key_hyper(self, lr_always: bool = False) -> str:
        """The hyperparameters that differ from the optimizer's defaults (and the batch size when set), as
        a scenario file spells them: ``lr=0.5 momentum=0.9 nesterov=true batch_size=16``; ``lr_always``
        (tables) names the learning rate even at its default."""

        info = get_optimizer(self.optimizer)
        parts = []
        for p in info.params:
            value = self.hyper.get(p.name)
            if value != p.default or (lr_always and p.name == "lr"):
                parts.append(f"{p.name}={_spell(value)}")
        bs = self.settings.get("batch_size")
        if bs is not None:
            parts.append(f"batch_size={bs}")
        precision = self.objective_options.get("precision")
        if precision not in (None, "f32"):  # reduced precision changes the numbers: say so in every label
            parts.append(f"precision={precision}")
        return " ".join(parts)

    def auto_label(self) -> str:
        """The label a run gets when nobody typed one: the optimizer and what differs from its defaults
        ("sgd lr=0.5 momentum=0.9", "newton")."""
        key = self.key_hyper()
        return f"{self.optimizer} {key}" if key else self.optimizer


def _spell(value: Any) -> str:
    """A value as in a scenario file, without quotes: true, 0.001, [0.9, 0.999], full."""

    return value if isinstance(value, str) else format_value(value)


def default_labels(runs: list[RunSpec]) -> None:
    """Give every run without a label a readable one ("sgd lr=0.1 momentum=0.9"), then make all unique."""
    many_objectives = len({(r.objective, json.dumps(r.objective_options, sort_keys=True, default=str))
                           for r in runs}) > 1
    for r in runs:
        if not r.label:
            r.label = r.auto_label()
            if many_objectives:
                r.label += f" on {r.objective}"
    for r, label in zip(runs, unique_labels([r.label for r in runs])):  # one rule with the app's runs
        r.label = r.settings["label"] = label
