"""Small builders shared by the core tests: RunSpecs, runs driven to their end, scenario texts."""

from __future__ import annotations

import textwrap

from sgd_tui.core.objectives.registry import validate_options
from sgd_tui.core.optim.registry import validate_hyperparameters
from sgd_tui.core.run.drive import drive
from sgd_tui.core.run.engine import Runner
from sgd_tui.core.run.settings import BUDGET_DEFAULTS
from sgd_tui.core.run.spec import RUN_PARAMS, RunSpec
from sgd_tui.core.scenario.parse import parse_scenario


def make_spec(objective="quadratic", optimizer="sgd", steps=100, objective_options=None, seed=0, label=None,
              log_every=None, tolerance=None, **hyper_and_settings) -> RunSpec:
    """A fully resolved RunSpec; keyword arguments are hyperparameters or RUN_PARAMS settings."""
    run_keys = {p.name for p in RUN_PARAMS}
    settings = {p.name: p.default for p in RUN_PARAMS}
    hyper_in = {}
    for k, v in hyper_and_settings.items():
        if k in run_keys:
            settings[k] = RUN_PARAMS[[p.name for p in RUN_PARAMS].index(k)].check(v)
        else:
            hyper_in[k] = v
    hyper, errors = validate_hyperparameters(optimizer, hyper_in)
    assert not errors, errors
    opts, errors = validate_options(objective, objective_options or {})
    assert not errors, errors
    budget = {**BUDGET_DEFAULTS, "steps": steps, "log_every": log_every, "tolerance": tolerance}
    return RunSpec(label=label or optimizer, objective=objective, objective_options=opts, optimizer=optimizer, hyper=hyper, settings=settings, budget=budget, seed=seed, device="cpu")


#: the head of a scenario the scenario tests extend with an [optimizer] table (line numbers matter: steps is line 5)
SCENARIO_HEAD = """\
schema = 1
[objective]
name = "rosenbrock"
[budget]
steps = 20
"""


def parse(text: str):
    """The scenario in ``text`` (dedented), as read from a file ``t.toml``."""
    return parse_scenario(textwrap.dedent(text), "t.toml")


def run_to_end(spec: RunSpec, on_chunk=None, control=None, on_sharpness=None):
    """Build ``spec`` and drive it to its end with the engine's loop: (runner, result); ``on_chunk``
    sees the initial record first, as the replay writes it; ``on_sharpness`` the curvature measured."""
    runner = Runner(spec)
    if runner.initial_record is not None and on_chunk is not None:
        on_chunk(runner, [runner.initial_record], [])
    return runner, drive(runner, control, on_chunk, on_sharpness=on_sharpness)


def trajectory(spec: RunSpec) -> list[tuple[float, float]]:
    """The parameters after every step of a 2-D run (the start point first)."""
    points = []

    def on_chunk(runner, records, evals):
        points.extend((r.x, r.y) for r in records)

    run_to_end(spec, on_chunk)
    return points


__all__ = ["make_spec", "trajectory", "Runner", "run_to_end", "SCENARIO_HEAD", "parse"]
