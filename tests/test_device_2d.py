"""A device that is not there is an error for every objective (2-D ones too): exit 2 and the message,
in the headless replay and in the app; a present non-CPU device on a 2-D objective steps on the CPU and
says so."""

import textwrap

import pytest
import torch

from sgd_tui.core.errors import SetupError
from sgd_tui.core.run import engine
from sgd_tui.core.run.engine import Runner
from sgd_tui.core.run.settings import RUN_DEFAULTS
from sgd_tui.core.run.spec import RunSpec
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.session import Session, Shared

needs_no_gpu = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")


def surface_spec(device: str) -> RunSpec:
    return RunSpec(label="gd", objective="rosenbrock", objective_options={}, optimizer="gd", hyper={"lr": 1e-3}, settings=dict(RUN_DEFAULTS), budget={"steps": 3, "log_every": 1},
                   seed=0, device=device)


@needs_no_gpu
@pytest.mark.parametrize("device", ["cuda:7", "cuda"])
def test_an_absent_device_on_a_2d_objective_is_a_setup_error(device):
    with pytest.raises(SetupError, match=f"'{device}' is not available"):
        Runner(surface_spec(device))


def test_a_present_gpu_on_a_2d_objective_steps_on_the_cpu_and_says_so(monkeypatch):
    assert Runner(surface_spec("cpu")).device_note == ""
    monkeypatch.setattr(engine, "resolve_device", lambda name: torch.device("meta"))  # a device that exists
    r = Runner(surface_spec("cuda:0"))
    assert r.device.type == "cpu" and "step on the CPU" in r.device_note


@needs_no_gpu
def test_headless_2d_scenario_on_an_absent_device_exits_2(tmp_path, capsys):
    from sgd_tui.cli import main

    path = tmp_path / "gpu2d.toml"
    path.write_text(textwrap.dedent("""\
        schema = 1
        device = "cuda:7"
        [objective]
        name = "rosenbrock"
        [budget]
        steps = 5
        [optimizer]
        name = "gd"
        lr = 0.001
        """))
    code = main(["--scenario", str(path), "--headless", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "'cuda:7' is not available" in err and "Traceback" not in err


@needs_no_gpu
async def test_the_app_reports_an_absent_device_on_a_2d_objective():
    s = Session(Shared("rosenbrock", {}, {"steps": 5, "log_every": 1}, 0, "cuda:7"))
    s.add(s.make_spec("gd", {"lr": 1e-3}, {}))
    app = SgdApp(s, timings=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space")
        await app.workers.wait_for_complete()
        await pilot.pause()
        p = s.runs[0].progress
        assert p.status == "error" and "'cuda:7' is not available" in p.message
