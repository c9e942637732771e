"""Hyperparameters changed mid-run (core.changes): the engine, the scenario format, the round trip."""

from __future__ import annotations

import pytest
import torch

from sgd_tui.core.errors import ScenarioError
from sgd_tui.core.run.engine import Runner
from sgd_tui.core.scenario.parse import parse_scenario
from sgd_tui.core.scenario.write import scenario_to_toml

BASE = """schema = 1
title = "t"
[objective]
name = "quadratic"
[budget]
steps = 40
[[runs]]
name = "{opt}"
lr = 0.01
{extra}
changes = {changes}
"""


def _spec(opt="sgd", extra="momentum = 0.5", changes="[{step = 15, lr = 0.05, momentum = 0.8}]"):
    return parse_scenario(BASE.format(opt=opt, extra=extra, changes=changes)).runs[0]


@pytest.mark.parametrize("opt,extra,values", [
    ("sgd", "momentum = 0.5", {"lr": 0.05, "momentum": 0.8}),
    ("adam", "betas = [0.9, 0.999]", {"lr": 0.05, "betas": (0.5, 0.9)}),
])
def test_a_change_equals_a_run_edited_in_place(opt, extra, values):
    """Independent reference: the run without changes, stopped after 15 steps, its torch param_groups
    edited in place, then run on: every logged loss and point equal exactly (float64 objective)."""
    torch.set_default_dtype(torch.float64)
    try:
        text = "[" + "{step = 15, " + ", ".join(
            f"{k} = {list(v) if isinstance(v, tuple) else v}" for k, v in values.items()) + "}]"
        spec = _spec(opt, extra, text)
        assert spec.changes == [(15, values)]
        with_change = Runner(spec)
        a = with_change.advance(100).records
        ref = Runner(spec.with_changes(changes=[]))
        b = ref.advance(15).records
        for g in ref.optimizer.param_groups:
            g.update(values)
        b += ref.advance(100).records
        assert [(r.step, r.loss, r.x, r.y, r.lr) for r in a] == [(r.step, r.loss, r.x, r.y, r.lr) for r in b]
        assert a[14].lr == 0.01 and a[15].lr == 0.05  # the record of step 16 was taken at the new lr
        plain = Runner(spec.with_changes(changes=[])).advance(100).records
        assert a[20].loss != plain[20].loss  # the change did something
        assert with_change.hyper["lr"] == 0.05
    finally:
        torch.set_default_dtype(torch.float32)


def test_lr_change_under_a_schedule_sets_the_base():
    """Under a schedule the new lr is the schedule's base: from the change on, α_t equals that of a run
    started with the new lr (same schedule, same step)."""
    for sched in ("step_size = 5\nschedule = \"step\"", "schedule = \"cosine\"", "schedule = \"inverse_time\""):
        spec = _spec("sgd", sched, "[{step = 12, lr = 0.05}]")
        a = Runner(spec).advance(100).records
        b = Runner(spec.with_changes(changes=[], hyper={**spec.hyper, "lr": 0.05})).advance(100).records
        for ra, rb in zip(a[12:], b[12:]):
            assert ra.lr == pytest.approx(rb.lr, rel=1e-12), sched
        assert a[5].lr != b[5].lr


@pytest.mark.parametrize("changes,key,words", [
    ("[{step = 10, lr = -1.0}]", "runs[1].changes[0].lr", "learning rate"),
    ("[{step = 10, lr = 0.1}, {step = 5, lr = 0.2}]", "runs[1].changes[1].step", "increase"),
    ("[{step = 40, lr = 0.1}]", "runs[1].changes[0].step", "budget"),
    ("[{lr = 0.1}]", "runs[1].changes[0]", "step"),
    ("[{step = 3, nesterov = true}]", "runs[1].changes[0].nesterov", "cannot change"),
    ("[{step = 3, momentum = -0.5}]", "runs[1].changes[0].momentum", "momentum"),
    ("3", "runs[1].changes", "list"),
])
def test_validator_errors(changes, key, words):
    with pytest.raises(ScenarioError) as e:
        parse_scenario(BASE.format(opt="sgd", extra="momentum = 0.5", changes=changes), "s.toml")
    issues = e.value.issues
    assert any(i.key == key and words in i.message for i in issues), [(i.key, i.message) for i in issues]
    hit = next(i for i in issues if i.key == key)
    assert hit.line == 11 and hit.file == "s.toml"


def test_round_trip_and_replay(tmp_path):
    s = parse_scenario(BASE.format(opt="sgd", extra="momentum = 0.5",
                                   changes="[{step = 15, lr = 0.05}, {step = 30, momentum = 0.9}]"))
    text = scenario_to_toml(s)
    assert "changes = [{ step = 15, lr = 0.05 }, { step = 30, momentum = 0.9 }]" in text
    again = parse_scenario(text)
    assert again.runs[0].changes == s.runs[0].changes == [(15, {"lr": 0.05}), (30, {"momentum": 0.9})]
    a, b = Runner(s.runs[0]).advance(100).records, Runner(again.runs[0]).advance(100).records
    assert [(r.loss, r.x, r.y, r.lr) for r in a] == [(r.loss, r.x, r.y, r.lr) for r in b]


def test_edits_with_no_step_between_are_one_change_and_the_effect_after_every_step_is_the_same():
    """add_change against applying each edit in turn (the reference: a dict updated step by step), on
    random edit sequences (several at one step, values back to what they were, a reset's later changes);
    the result is a list a scenario file accepts (check_changes: steps increase, no empty change)."""
    import random

    from sgd_tui.core.optim.changes import add_change, check_changes

    start = {"lr": 0.1, "momentum": 0.5}
    assert add_change([], 2, {"lr": 0.2}) == [(2, {"lr": 0.2})]
    assert add_change([(2, {"lr": 0.2})], 2, {"momentum": 0.6}) == [(2, {"lr": 0.2, "momentum": 0.6})]
    assert add_change([(2, {"lr": 0.2})], 2, {"lr": 0.3}) == [(2, {"lr": 0.3})]
    assert add_change([(40, {"lr": 0.3})], 5, {"lr": 0.2}) == [(5, {"lr": 0.2}), (40, {"lr": 0.3})]
    rng = random.Random(0)
    for _ in range(300):
        changes, edits = [], []
        for _ in range(rng.randint(1, 8)):
            step = rng.choice([1, 2, 2, 3, 7])
            values = {k: rng.choice([0.1, 0.2, 0.3] if k == "lr" else [0.5, 0.6])
                      for k in rng.sample(["lr", "momentum"], rng.randint(1, 2))}
            edits.append((step, values))
            changes = add_change(changes, step, values)
        for after in range(9):  # reference: every edit made so far that applies by then, in the order made
            want = dict(start)
            for at in sorted({s for s, _ in edits}):  # edits at one step: later ones win
                if at <= after:
                    for s, v in edits:
                        if s == at:
                            want.update(v)
            got = dict(start)
            for at, v in changes:
                if at <= after:
                    got.update(v)
            assert got == want
        checked, errors = check_changes("sgd", start, [{"step": s, **v} for s, v in changes], 40)
        assert not errors and checked == changes
