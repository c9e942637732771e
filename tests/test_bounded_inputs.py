"""New inputs, bounded: sizes nobody can run are refused at file:line:key with the limit, before anything
big is made (each test measures the peak memory of the refusal with tracemalloc).

- a [sweep] of 10**6 trials (it reached 2.3 GB in 20 s before its first trial and ignored Ctrl+C): at most
  10,000 trials (max_trials and --max-trials too), and a count of seeds is checked before its list is made;
- a [basins] grid of 10,000 x 10,000 starts: at most 512 per side;
- a [landscape] of 1,000 x 1,000: at most 201 per side;
- sharpness_every = 1 on a subset of 10**6 examples: the subset is at most 10,000.
"""

from __future__ import annotations

import tracemalloc

import pytest

from sgd_tui.core.errors import ScenarioError
from sgd_tui.core.scenario.parse import parse_scenario
from sgd_tui.core.sweep.grid import TRIALS_CEILING

QUAD = """\
schema = 1
title = "big"
[objective]
name = "quadratic"
[budget]
steps = 10
[optimizer]
name = "sgd"
"""

NET = """\
schema = 1
title = "big network"
[objective]
name = "mlp_regression"
[budget]
steps = 10
{budget}
[optimizer]
name = "sgd"
[[runs]]
label = "a"
[[runs]]
label = "b"
{tables}
"""


def refused(text: str, name: str = "big.toml", max_trials: int | None = None) -> list[str]:
    """The issues of a refused file, and the refusal's peak memory below 20 MB (nothing big was made)."""
    tracemalloc.start()
    try:
        with pytest.raises(ScenarioError) as e:
            parse_scenario(text, name, max_trials=max_trials)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20e6, peak
    return [str(i) for i in e.value.issues]


def line_of(text: str, start: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(start))


def test_a_sweep_of_a_million_trials_is_refused_with_the_limit_before_any_trial_is_made():
    lrs = ", ".join(repr(1e-4 * (1 + i / 1000)) for i in range(1000))
    text = QUAD + f"[sweep]\nlr = [{lrs}]\nseeds = 1000\nmax_trials = 1000000\n"
    issues = refused(text)
    assert TRIALS_CEILING == 10_000
    assert any(i.startswith(f"big.toml:{line_of(text, 'max_trials')}: sweep.max_trials:") and "[1, 10000]" in i
               for i in issues), issues
    total = [i for i in issues if "= 1000000 trials" in i]
    assert total and total[0].startswith(f"big.toml:{line_of(text, '[sweep]')}: sweep:") and "10000" in total[0]
    assert "set max_trials" not in total[0]  # no advice to raise it past the ceiling


def test_the_command_lines_max_trials_cannot_pass_the_ceiling(tmp_path, cli_in_process, capsys):
    path = tmp_path / "s.toml"
    path.write_text(QUAD + "[sweep]\nlr = [0.01, 0.1]\n")
    assert cli_in_process(["--validate", str(path), "--max-trials", "1000000"]) == 2
    assert "--max-trials takes a number from 1 to 10000" in capsys.readouterr().err
    # within it, a big-but-allowed sweep is still refused by the scenario's own limit, and the message says how
    lrs = ", ".join(repr(1e-4 * (1 + i / 100)) for i in range(100))
    assert any("set max_trials = 600" in i for i in refused(QUAD + f"[sweep]\nlr = [{lrs}]\nseeds = 6\n"))
    assert len(parse_scenario(QUAD + f"[sweep]\nlr = [{lrs}]\nseeds = 6\n", "ok.toml", max_trials=600).sweep.trials) == 600


def test_a_count_of_seeds_is_checked_before_its_list_is_made():
    text = QUAD + "[sweep]\nlr = [0.01]\nseeds = 1000000000000000000\n"
    issues = refused(text)
    assert any(i.startswith(f"big.toml:{line_of(text, 'seeds')}: sweep.seeds:") and "10000" in i for i in issues), issues


def test_a_basins_grid_of_ten_thousand_per_side_is_refused():
    text = QUAD + "[basins]\nresolution = 10000\n"
    issues = refused(text)
    assert issues == [f"big.toml:{line_of(text, 'resolution')}: basins.resolution: Invalid resolution value: 10000 "
                      "(resolution must be an integer in [2, 512])"]


def test_a_landscape_of_a_thousand_per_side_is_refused():
    text = NET.format(budget="", tables='[landscape]\nruns = ["a", "b"]\nresolution = 1000\n')
    issues = refused(text)
    assert issues == [f"big.toml:{line_of(text, 'resolution')}: landscape.resolution: Invalid resolution value: "
                      "1000 (resolution must be an integer in [5, 201])"]


def test_sharpness_every_step_on_a_million_examples_is_refused():
    text = NET.format(budget="sharpness_every = 1\nsharpness_subset = 1000000", tables="")
    issues = refused(text)
    assert issues == [f"big.toml:{line_of(text, 'sharpness_subset')}: budget.sharpness_subset: Invalid "
                      "sharpness_subset value: 1000000 (sharpness_subset must be an integer in [1, 10000])"]


def test_trial_timeout_is_checked_at_its_line():
    for bad in ("0", "-1", '"ten"', "inf"):
        text = QUAD + f"[sweep]\nlr = [0.01]\ntrial_timeout = {bad}\n"
        issues = refused(text)
        assert any(i.startswith(f"big.toml:{line_of(text, 'trial_timeout')}: sweep.trial_timeout:") for i in issues), \
            (bad, issues)
    ok = parse_scenario(QUAD + "[sweep]\nlr = [0.01]\ntrial_timeout = 90\n", "ok.toml")
    assert ok.sweep.trial_timeout == 90.0 and ok.sweep.to_table()["trial_timeout"] == 90.0
    assert parse_scenario(QUAD + "[sweep]\nlr = [0.01]\n", "ok.toml").sweep.trial_timeout is None
