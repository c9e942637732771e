"""Run settings and the budget (sgd_tui.core.run.settings): one rule, one verdict, whoever asks -- the scenario
validator, the engine, the app's forms."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from core_helpers import make_spec

from sgd_tui.core.errors import ScenarioError, SetupError
from sgd_tui.core.objectives.registry import OBJECTIVES, get_objective
from sgd_tui.core.optim.registry import get_optimizer
from sgd_tui.core.run.engine import Runner
from sgd_tui.core.run.settings import (
    DEFAULT_STEPS,
    budget_issues,
    default_budget,
    effective_batch,
    log_every,
    max_loss,
    run_issues,
    run_settings_for,
    total_steps,
)
from sgd_tui.core.scenario.parse import parse_scenario

ROOT = Path(__file__).resolve().parent.parent

# (objective, its options, optimizer, run settings, budget) that cannot run; the key the validator names
CANNOT_RUN = [
    ("linear_regression", {}, "gd", {"batch_size": 16}, {"steps": 5}, "optimizer.batch_size"),
    ("linear_regression", {"n_samples": 50}, "sgd", {"batch_size": 51}, {"steps": 5}, "optimizer.batch_size"),
    ("fashion_mnist", {"train_subset": 100}, "sgd", {"batch_size": 101}, {"steps": 5}, "optimizer.batch_size"),
    ("quadratic", {}, "sgd", {}, {"epochs": 2}, "budget.epochs"),
    ("fashion_mnist", {"model": "logistic"}, "newton", {"batch_size": "full"}, {"steps": 1}, "optimizer.name"),
]


def _toml(objective, options, optimizer, settings, budget) -> str:
    def value(v):
        return f'"{v}"' if isinstance(v, str) else str(v)

    lines = ["schema = 1", "[objective]", f'name = "{objective}"', *(f"{k} = {value(v)}" for k, v in options.items()),
             "[budget]", *(f"{k} = {value(v)}" for k, v in budget.items()),
             "[optimizer]", f'name = "{optimizer}"', *(f"{k} = {value(v)}" for k, v in settings.items())]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("objective,options,optimizer,settings,budget,key", CANNOT_RUN,
                         ids=lambda v: v if isinstance(v, str) else None)
def test_the_validator_and_the_engine_give_one_verdict(objective, options, optimizer, settings, budget, key):
    with pytest.raises(ScenarioError) as bad_file:
        parse_scenario(_toml(objective, options, optimizer, settings, budget))
    [issue] = [i for i in bad_file.value.issues if i.key == key]
    spec = make_spec(objective, optimizer, steps=budget.get("steps"), objective_options=options, **settings)
    spec.budget.update(budget)
    with pytest.raises(SetupError) as bad_run:  # raised before any data is loaded or torch model built
        Runner(spec)
    assert str(bad_run.value) == issue.message


def test_settings_that_do_not_apply_are_reported_only_when_written():
    quad, sgd = get_objective("quadratic"), get_optimizer("sgd")
    settings = {"batch_size": 8, "sampling": "shuffle", "start": None}
    assert run_issues(sgd, quad, {}, settings, {"steps": 5}) == []  # the engine ignores them
    keys = [k for k, _ in run_issues(sgd, quad, {}, settings, {"steps": 5}, given=("batch_size", "sampling"))]
    assert keys == ["batch_size", "sampling"]
    fashion = get_objective("fashion_mnist")
    assert [k for k, _ in run_issues(sgd, fashion, {}, {"start": (1.0, 2.0)}, {"steps": 1}, given=("start",))] \
        == ["start"]


def test_the_effective_batch():
    gd, sgd = get_optimizer("gd"), get_optimizer("sgd")
    fashion, linear, quad = (get_objective(n) for n in ("fashion_mnist", "linear_regression", "quadratic"))
    assert effective_batch(gd, fashion, None) == effective_batch(gd, fashion, "full") == "full"
    assert effective_batch(sgd, fashion, None) == 64  # the lecture's batch size
    assert effective_batch(sgd, linear, None) == "full" and effective_batch(sgd, linear, 8) == 8
    assert effective_batch(sgd, quad, None) == 1


def test_the_training_set_size_comes_from_the_registry():
    assert get_objective("fashion_mnist").train_size({}) == 60_000
    assert get_objective("fashion_mnist").train_size({"train_subset": 100}) == 100
    assert get_objective("logistic_regression").train_size({"n_samples": 30}) == 30
    assert all(get_objective(n).train_size({}) is None for n, o in OBJECTIVES.items() if not o.has_data)


def test_the_budget():
    assert total_steps({"steps": None, "epochs": None}, 7) == DEFAULT_STEPS
    assert total_steps({"steps": 12}, 7) == 12 and total_steps({"epochs": 3}, 7) == 21
    assert log_every({}, get_objective("rosenbrock")) == 1 and log_every({}, get_objective("fashion_mnist")) == 100
    assert log_every({"log_every": 5}, get_objective("fashion_mnist")) == 5
    assert max_loss({}) == 1e12 and max_loss({"max_loss": 10.0}) == 10.0
    assert default_budget("rosenbrock")["steps"] == DEFAULT_STEPS and default_budget("rosenbrock")["epochs"] is None
    assert default_budget("fashion_mnist")["epochs"] == 3 and default_budget("fashion_mnist")["steps"] is None
    assert [k for k, _ in budget_issues({"steps", "epochs"})] == ["budget"]
    assert [k for k, _ in budget_issues(set())] == ["budget"]
    assert budget_issues({"epochs"}, get_objective("linear_regression")) == []
    assert [k for k, _ in budget_issues({"epochs"}, get_objective("saddle"))] == ["budget.epochs"]


def test_forms_offer_the_settings_that_apply():
    names = {o: {p.name for p in run_settings_for(o)} for o in OBJECTIVES}
    for o, info in OBJECTIVES.items():
        assert ("batch_size" in names[o]) == info.has_data and ("start" in names[o]) == info.is_2d
        assert "label" not in names[o] and "schedule" in names[o]


def _name_comparisons(path: Path) -> list[str]:
    """``x == "fashion_mnist"``-like comparisons with an objective's name in one source file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                if isinstance(side, ast.Constant) and side.value in OBJECTIVES:
                    out.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return out


def test_no_caller_branches_on_an_objective_name():
    """What a caller needs of an objective (its builder, training-set size, classes, default batch) is in
    the registry; only the registry, the regression problem (which picks its model) and the theory of
    particular objectives (which risks are exactly quadratic) name objectives."""
    own = {ROOT / "sgd_tui" / "core" / f"{m}.py" for m in ("objectives/registry", "objectives/problems_2d", "theory/quadratic")}
    found = [hit for p in sorted((ROOT / "sgd_tui").rglob("*.py")) if p not in own for hit in _name_comparisons(p)]
    assert found == []
