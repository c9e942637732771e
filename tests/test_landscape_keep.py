"""What the app keeps of a scenario's maps: saving (``w``) writes back the loaded scenario's [landscape],
[basins], [sweep] and [view] tables (fitted to the runs), so the saved file replays headless to the same
files; the [landscape] table's ``refresh_every``; and a slice gives up between two grid points when asked."""

from __future__ import annotations

import csv

import pytest
import torch
from core_helpers import Runner, make_spec

from sgd_tui.core.maps.landscape import Cancelled, compute_landscape
from sgd_tui.core.scenario.files import find_scenarios
from sgd_tui.core.scenario.parse import load_scenario, parse_scenario
from sgd_tui.core.scenario.write import scenario_to_toml
from sgd_tui.ui.session import session_from_scenario

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SMALL = """schema = 1
title = "small slice"
seed = 2
[objective]
name = "mlp_regression"
n_samples = 32
hidden = 8
[budget]
steps = 40
[optimizer]
name = "sgd"
lr = 0.1
batch_size = 8
[[runs]]
label = "SGD"
[[runs]]
label = "Adam"
name = "adam"
lr = 0.01
[[runs]]
label = "momentum"
momentum = 0.9
lr = 0.05
[view]
x = "samples"
[landscape]
mode = "random"
runs = ["Adam"]
resolution = 9
radius = 0.5
refresh_every = 25
"""


@pytest.mark.parametrize("name", [n for n, _, _ in find_scenarios()])
def test_every_bundled_scenario_saved_from_the_app_keeps_its_tables(name):
    sc = load_scenario(name)
    saved = parse_scenario(scenario_to_toml(session_from_scenario(sc).to_scenario()))
    assert saved.landscape == sc.landscape and saved.basins == sc.basins and saved.view == sc.view
    assert (saved.sweep is None) == (sc.sweep is None)
    if sc.sweep is not None:
        assert saved.sweep.to_table() == sc.sweep.to_table()
        assert [t.spec for t in saved.sweep.trials] == [t.spec for t in sc.sweep.trials]
    assert [r.label for r in saved.runs] == [r.label for r in sc.runs]


def test_a_saved_landscape_scenario_replays_to_the_same_files(tmp_path):
    from sgd_tui.replay.run import replay

    sc = parse_scenario(SMALL, "small.toml")
    assert sc.landscape["refresh_every"] == 25 and sc.landscape["mode"] == "random"
    text = scenario_to_toml(session_from_scenario(sc).to_scenario())
    assert "[landscape]" in text and "refresh_every = 25" in text and "[view]" in text
    again = parse_scenario(text, "saved.toml")
    assert again.landscape == sc.landscape
    outputs = []
    for i, s in enumerate((sc, again)):
        out = tmp_path / str(i)
        assert replay(s, out, progress=None) == 0
        files = {f: (out / f).read_text() for f in ("landscape.csv", "landscape_paths.csv", "landscape.txt")}
        metrics = list(csv.DictReader(open(out / "metrics.csv")))
        files["metrics"] = [{k: v for k, v in row.items() if k != "time_s"} for row in metrics]  # wall time
        outputs.append(files)
    assert outputs[0] == outputs[1]
    assert "random directions" in outputs[0]["landscape.txt"]


def test_saving_fits_the_landscape_table_to_the_runs_left():
    sc = parse_scenario(SMALL.replace('mode = "random"\nruns = ["Adam"]', 'runs = ["SGD", "Adam"]'))
    session = session_from_scenario(sc)
    session.remove(next(r for r in session.runs if r.spec.label == "SGD"))
    notes: list[str] = []
    saved = parse_scenario(scenario_to_toml(session.to_scenario(notes)))
    assert saved.landscape["runs"] == ["Adam", "momentum"] and notes == ["[landscape] runs: Adam, momentum"]
    # one run left: no plane through two runs; the table is dropped and the note says why
    session.remove(next(r for r in session.runs if r.spec.label == "Adam"))
    notes.clear()
    saved = parse_scenario(scenario_to_toml(session.to_scenario(notes)))
    assert saved.landscape is None and notes == ['[landscape] not saved: mode "plane" needs 2 runs']


@pytest.mark.parametrize("value,allowed", [("0", "an integer in [1, 1000000000]"), ('"often"', "an integer"),
                                           ("2.5", "an integer")])
def test_refresh_every_errors_name_file_line_and_key(value, allowed):
    from sgd_tui.core.errors import ScenarioError

    text = SMALL.replace("refresh_every = 25", f"refresh_every = {value}")
    line = text.splitlines().index(f"refresh_every = {value}") + 1
    with pytest.raises(ScenarioError) as e:
        parse_scenario(text, "s.toml")
    assert f"s.toml:{line}: landscape.refresh_every:" in str(e.value) and allowed in str(e.value)


def test_a_slice_stops_at_the_first_grid_point_after_it_is_cancelled(fashion_root):
    """The lecture's MLP on FashionMNIST images would take seconds for 21 x 21 points: cancelled after 30
    points, it computes no 31st (the loss is evaluated once per point: counted)."""
    spec = make_spec("fashion_mnist", "sgd", steps=2, label="sgd", lr=0.1, batch_size=16,
                     objective_options={"model": "mlp", "data_dir": str(fashion_root)})
    spec.budget["snapshot_every"] = 1
    r = Runner(spec)
    r.advance(2)
    calls = {"asked": 0, "forward": 0}
    loss = r.problem.data_loss

    def counting(*a, **k):
        calls["forward"] += 1
        return loss(*a, **k)

    r.problem.data_loss = counting

    def cancelled() -> bool:
        calls["asked"] += 1
        return calls["asked"] > 30

    with pytest.raises(Cancelled) as e:
        compute_landscape([r], mode="random", resolution=21, subset=512, cancelled=cancelled)
    assert e.value.done == 30 and calls["forward"] == 30
    # not cancelled: the whole grid, and the same values as without a callback
    full = compute_landscape([r], mode="random", resolution=5, subset=200, cancelled=lambda: False)
    ref = compute_landscape([r], mode="random", resolution=5, subset=200)
    assert full.slice.loss == ref.slice.loss and calls["forward"] == 30 + 50


def test_refresh_every_is_ignored_by_the_replay_but_named_in_its_summary(tmp_path):
    import json

    from sgd_tui.replay.run import replay

    sc = parse_scenario(SMALL)
    assert replay(sc, tmp_path, progress=None) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["landscape"]["mode"] == "random"
    assert torch.isfinite(torch.tensor([float(x.split(",")[2]) for x in
                                        (tmp_path / "landscape.csv").read_text().splitlines()[1:]])).all()
