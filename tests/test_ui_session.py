"""The comparison model behind the app (sgd_tui.ui.session): specs, labels, duplicate, reset."""

import pytest

from sgd_tui.core.errors import ParamError
from sgd_tui.core.run.progress import RunProgress
from sgd_tui.core.run.settings import run_settings_for
from sgd_tui.ui.session import Session, Shared, default_session


def make():
    s = Session(Shared("quadratic", {"condition": 20.0}, {"steps": 50}, 3, "cpu"))
    s.add(s.make_spec("sgd", {"lr": 0.1, "momentum": 0.5}, {}))
    return s


def test_specs_share_objective_budget_seed_and_device():
    s = make()
    spec = s.runs[0].spec
    assert (spec.objective, spec.objective_options["condition"], spec.budget["steps"], spec.seed, spec.device) == (
        "quadratic", 20.0, 50, 3, "cpu")
    assert spec.hyper["dampening"] == 0.0  # defaults filled in from the registry
    assert spec.label == "sgd lr=0.1 momentum=0.5"  # what differs from the defaults


def test_duplicate_with_a_change_and_unique_labels():
    s = make()
    d = s.duplicate(s.runs[0], "momentum = 0.9")
    assert d.spec.hyper["momentum"] == 0.9 and d.spec.hyper["lr"] == 0.1
    assert d.spec.label == "sgd lr=0.1 momentum=0.9"
    assert d.color != s.runs[0].color
    again = s.duplicate(s.runs[0], "momentum=0.9")
    assert again.spec.label == "sgd lr=0.1 momentum=0.9 #2"
    start = s.duplicate(s.runs[0], "start=1, 2")
    assert start.spec.settings["start"] == (1.0, 2.0)


@pytest.mark.parametrize("change, words", [
    ("momentum=-1", "Invalid momentum value"),
    ("betas=0.9,0.99", "sgd runs have no setting 'betas'"),
    ("lr", "write the change as key=value"),
    ("nesterov=true", "Nesterov momentum requires a momentum and zero dampening"),
])
def test_duplicate_rejects_bad_changes_with_the_registry_message(change, words):
    s = make()
    s.runs[0].spec.hyper["momentum"] = 0.0 if "nesterov" in change else 0.5
    with pytest.raises(ParamError, match=words):
        s.duplicate(s.runs[0], change)
    assert len(s.runs) == 1


def test_changing_the_shared_settings_resets_every_run():
    s = make()
    r = s.runs[0]
    old_slot = r.slot
    r.progress = RunProgress("paused", step=10)
    s.set_shared(Shared("rosenbrock", {}, {"steps": 80}, 1, "cpu"))
    assert r.spec.objective == "rosenbrock" and r.spec.budget["steps"] == 80 and r.spec.seed == 1
    assert r.progress.step == 0 and r.progress.status == "ready" and r.slot is not old_slot and old_slot.removed
    assert r.spec.hyper["momentum"] == 0.5  # the run's own settings are kept


def test_run_settings_offered_per_objective_kind():
    names = lambda o: {p.name for p in run_settings_for(o)}  # noqa: E731
    assert "batch_size" not in names("rosenbrock") and "start" in names("rosenbrock")
    assert {"batch_size", "sampling", "start"} <= names("linear_regression")
    assert "start" not in names("fashion_mnist") and "batch_size" in names("fashion_mnist")


def test_default_session_is_one_run_that_does_not_diverge():
    from core_helpers import run_to_end

    s = default_session()
    assert len(s.runs) == 1
    _, res = run_to_end(s.runs[0].spec.with_changes(budget={**s.runs[0].spec.budget, "steps": 500}))
    assert res.status == "finished" and res.final_loss < 1.0


def test_runs_with_their_own_objective_keep_it_through_shared_edits():
    from sgd_tui.core.scenario.parse import load_scenario
    from sgd_tui.ui.session import session_from_scenario

    s = session_from_scenario(load_scenario("gd-vs-newton"))
    objectives = [r.spec.objective for r in s.runs]
    assert objectives == ["quadratic", "quadratic", "rosenbrock", "rosenbrock", "saddle", "saddle"]
    assert [r.own_objective is not None for r in s.runs] == [False, False, True, True, True, True]
    shared = Shared(s.shared.objective, dict(s.shared.options), {**s.shared.budget, "steps": 7}, 1, "cpu")
    s.set_shared(shared)
    assert [r.spec.objective for r in s.runs] == objectives
    assert all(r.spec.budget["steps"] == 7 and r.spec.seed == 1 for r in s.runs)
    assert s.runs[4].spec.objective_options["start"] == (-2.0, 0.3)
    d = s.duplicate(s.runs[3], "lr=0.5")
    assert d.spec.objective == "rosenbrock" and d.own_objective == s.runs[3].own_objective


def test_a_new_label_alone_keeps_the_progress_and_any_other_edit_resets():
    s = make()
    r = s.runs[0]
    slot, r.progress = r.slot, RunProgress("paused", step=10)
    assert s.edit(r, "sgd", {"lr": 0.1, "momentum": 0.5}, {}, "mine") == ""
    assert r.spec.label == "mine" and r.progress.step == 10 and r.slot is slot
    assert s.edit(r, "sgd", {"lr": 0.1, "momentum": 0.5, "nesterov": True}, {}, "mine") == ""
    assert r.spec.hyper["nesterov"] and r.progress == RunProgress() and r.slot is not slot and slot.removed


def test_an_invalid_edit_keeps_the_spec_and_blocks_the_run():
    s = make()
    r = s.runs[0]
    spec = r.spec
    error = s.edit(r, "sgd", {"lr": 0.1, "momentum": 0.0, "nesterov": True, "dampening": 0.5}, {}, "")
    assert "Nesterov" in error and r.invalid == error and r.spec is spec
    assert s.first_invalid() == f"{spec.label}: {error}"
    assert s.edit(r, "sgd", {"lr": 0.1}, {}, "", error="lr: not a number") == "lr: not a number"
    with pytest.raises(ParamError, match="not a number"):
        s.to_scenario()
    assert s.edit(r, "sgd", {"lr": 0.1}, {}, "") == "" and not r.invalid and s.first_invalid() == ""


def test_to_scenario_holds_the_runs_as_specified_and_refuses_an_empty_comparison():
    s = make()
    s.add_like(s.runs[0])
    sc = s.to_scenario()
    assert [x.label for x in sc.runs] == ["sgd lr=0.1 momentum=0.5", "sgd lr=0.1 momentum=0.5 #2"]
    assert sc.runs[1].hyper == s.runs[0].spec.hyper and sc.seed == 3 and sc.budget["steps"] == 50
    for r in list(s.runs):
        s.remove(r)
    with pytest.raises(ParamError, match="nothing to save"):
        s.to_scenario()


def test_labels_follow_edits_unless_typed_and_spell_values_as_scenarios_do():
    s = Session(Shared("quadratic", {}, {"steps": 5}, 0, "cpu"))
    r = s.add(s.make_spec("sgd", {"lr": 0.001}, {}))
    assert r.spec.label == "sgd lr=0.001" and not r.typed_label
    # the form's label is unchanged: the label follows the new settings, in the scenario format's spelling
    s.edit(r, "sgd", {"lr": 0.5789, "momentum": 0.9, "nesterov": True}, {}, r.spec.label)
    assert r.spec.label == "sgd lr=0.5789 momentum=0.9 nesterov=true"
    newton = s.add(s.make_spec("newton", {}, {}))
    assert newton.spec.label == "newton"  # defaults are left out (not "newton lr=1.0")
    # a typed label stays through later edits
    s.edit(r, "sgd", {"lr": 0.1}, {}, "my run")
    s.edit(r, "sgd", {"lr": 0.2}, {}, "my run")
    assert r.spec.label == "my run" and r.typed_label and r.spec.hyper["lr"] == 0.2
    # a scenario's own labels count as typed, its automatic ones do not
    sc_auto = s.add(s.make_spec("adam", {"lr": 0.01}, {}))
    assert not sc_auto.typed_label
    s.edit(sc_auto, "adam", {"lr": 0.02}, {}, sc_auto.spec.label)
    assert sc_auto.spec.label == "adam lr=0.02"
    # relabelling keeps labels unique
    twin = s.add(s.make_spec("adam", {"lr": 0.03}, {}))
    s.edit(twin, "adam", {"lr": 0.02}, {}, twin.spec.label)
    assert twin.spec.label == "adam lr=0.02 #2"
