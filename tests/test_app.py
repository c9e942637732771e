"""The app driven by keys as a user would (Textual Pilot). Budgets are small and every run is finished
(or paused) before the next key press, since a press waits for the process to go idle (pitfalls)."""

import csv
import math

import pytest
import torch  # noqa: F401  - imported once up front, as the app's workers would, so presses stay fast
from textual.widgets import Input, OptionList, Select

from sgd_tui.core.scenario.parse import load_scenario
from sgd_tui.replay.run import replay
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.screens.main import MainScreen
from sgd_tui.ui.session import Session, Shared, session_from_scenario

SIZE = (120, 40)


def quadratic_session(steps=30, runs=(("sgd", {"lr": 0.1}),)) -> Session:
    s = Session(Shared("quadratic", {}, {"steps": steps, "log_every": 1}, 0, "cpu"))
    for name, hyper in runs:
        s.add(s.make_spec(name, hyper, {}))
    return s


async def type_into(pilot, selector: str, text: str) -> Input:
    inp = pilot.app.screen.query_one(selector, Input)
    inp.focus()
    await pilot.press("end", *["backspace"] * len(inp.value), *text)
    await pilot.pause()
    return inp


async def choose(pilot, selector: str, name: str) -> Select:
    """Open the Select and walk down to ``name`` with the arrow keys (typing to search would be shorter,
    but its query resets 0.7 s after a key, and a press on a loaded machine can take longer than that)."""
    sel = pilot.app.screen.query_one(selector, Select)
    sel.focus()
    await pilot.press("enter", "home")
    options = sel.query_one(OptionList)
    for _ in range(options.option_count):
        if str(options.highlighted_option.prompt) == name:
            break
        await pilot.press("down")
    await pilot.press("enter")
    await pilot.pause()
    return sel


async def flat_out(pilot):
    await pilot.press("escape", "f")
    assert pilot.app.screen.playback.speed is None


async def run_to_end(pilot):
    """space, then wait for the driver to finish every run."""
    await pilot.press("escape", "space")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.25)  # the redraw timer (5 Hz) has run


def runs(pilot):
    return pilot.app.screen.session.runs


async def test_choose_objective_optimizer_and_bad_value_is_rejected():
    app = SgdApp(timings=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await choose(pilot, "#objective", "quadratic")
        assert screen.session.shared.objective == "quadratic"
        assert runs(pilot)[0].spec.objective == "quadratic"
        await choose(pilot, "#optimizer", "adam")
        assert runs(pilot)[0].spec.optimizer == "adam"
        assert screen.query_one("#hyper #f-betas", Input).value == "0.9, 0.999"

        # a bad value shows the registry's message and the run cannot start
        await type_into(pilot, "#hyper #f-lr", "-1")
        err = str(screen.query_one("#hyper #err-lr").render())
        assert "Invalid learning rate" in err and "lr must be a number >= 0" in err
        assert runs(pilot)[0].invalid
        await pilot.press("escape", "space")
        await pilot.pause()
        assert not screen.playback.playing and runs(pilot)[0].progress.step == 0
        assert any("Invalid learning rate" in n.message for n in app._notifications)

        # fixed: the run takes the new value
        await type_into(pilot, "#hyper #f-lr", "0.05")
        assert not runs(pilot)[0].invalid and runs(pilot)[0].spec.hyper["lr"] == 0.05
        await type_into(pilot, "#budget #f-steps", "20")
        assert runs(pilot)[0].spec.budget["steps"] == 20
        await flat_out(pilot)
        await run_to_end(pilot)
        r = runs(pilot)[0]
        assert r.progress.status == "finished" and r.progress.step == 20
        assert r.series.last.step == 20 and r.progress.last_loss < r.series.xy("step")[1][0]


async def test_start_pause_step_reset_and_add_a_second_run():
    app = SgdApp(quadratic_session(steps=100_000), timings=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await pilot.press("escape", *["minus"] * 3)  # 5 steps per second: the run will not end by itself
        assert screen.playback.speed == 5
        await pilot.press("n")  # one step in step mode
        await pilot.pause(0.3)
        r = runs(pilot)[0]
        assert r.progress.step == 1 and r.progress.status == "paused"
        assert r.state is not None and r.state["t"] == 1 and "grad" in r.state and r.state["delta_steps"] == 1
        # the step taken is -lr * gradient for plain SGD
        assert r.state["delta"] == pytest.approx([-0.1 * g for g in r.state["grad"]])
        await pilot.press("n")
        await pilot.pause(0.3)
        assert runs(pilot)[0].progress.step == 2
        await pilot.press("space")
        assert screen.playback.playing
        await pilot.pause(1.2)
        await pilot.press("space")  # pause
        assert not screen.playback.playing
        await pilot.pause(0.2)
        paused_at = runs(pilot)[0].progress.step
        assert paused_at >= 3
        await pilot.pause(0.5)
        assert runs(pilot)[0].progress.step == paused_at
        await pilot.press("r")
        await pilot.pause()
        r = runs(pilot)[0]
        assert r.progress.step == 0 and r.progress.status == "ready"
        assert r.series.last is None or r.series.last.step == 0
        await pilot.press("a")
        await pilot.pause()
        assert len(runs(pilot)) == 2
        assert runs(pilot)[1].spec.optimizer == "sgd" and runs(pilot)[1].spec.label != runs(pilot)[0].spec.label
        assert screen.table.row_count == 2 and screen.table.selected_id == runs(pilot)[1].run_id
        await pilot.press("n")
        await pilot.pause(0.3)
        assert [r.progress.step for r in runs(pilot)] == [1, 1]  # n steps every run once
        # duplicate with a change, toggle visibility, remove
        await pilot.press("d", *"lr=0.2", "enter")
        await pilot.pause()
        assert len(runs(pilot)) == 3 and runs(pilot)[2].spec.hyper["lr"] == 0.2
        await pilot.press("v")
        assert runs(pilot)[2].visible is False
        await pilot.press("x")
        await pilot.pause()
        assert len(runs(pilot)) == 2
        await pilot.press("q")


async def test_diverging_run_is_a_status_with_its_step():
    app = SgdApp(quadratic_session(steps=200, runs=(("sgd", {"lr": 0.1}), ("sgd", {"lr": 5.0}))), timings=False)
    async with app.run_test(size=SIZE) as pilot:
        await flat_out(pilot)
        await run_to_end(pilot)
        good, bad = runs(pilot)
        assert good.progress.status == "finished" and good.progress.step == 200
        assert bad.progress.status == "diverged" and 0 < bad.progress.diverged_step < 200
        assert bad.status_text == f"diverged@{bad.progress.diverged_step}"
        assert app.screen.table.get_cell(bad.run_id, "status").plain == bad.status_text
        # renaming keeps the run's progress; a name already taken is made unique (files need distinct names)
        app.screen.table.select(bad.run_id)
        await pilot.pause()
        await type_into(pilot, "#settings #f-label", good.spec.label)
        assert bad.spec.label == f"{good.spec.label} #2" and bad.progress.status == "diverged"


class ExplodingRunner:
    """A runner whose steps fail inside torch, as a bug or a numerical failure would."""

    def __init__(self, spec):
        from sgd_tui.core.run.engine import Runner

        self._r = Runner(spec)

    def __getattr__(self, name):
        return getattr(self._r, name)

    def advance(self, *a, **k):
        raise RuntimeError("injected failure")


async def test_worker_failure_becomes_a_notification_and_the_app_keeps_working():
    app = SgdApp(quadratic_session(steps=20), timings=False)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.playback.driver.runner_factory = ExplodingRunner
        await flat_out(pilot)
        await run_to_end(pilot)
        r = runs(pilot)[0]
        assert r.progress.status == "error" and "injected failure" in r.progress.message
        assert any("injected failure" in n.message for n in app._notifications)
        # the app goes on: a fresh run works
        from sgd_tui.core.run.engine import Runner

        app.screen.playback.driver.runner_factory = Runner
        await pilot.press("r")
        await run_to_end(pilot)
        assert runs(pilot)[0].progress.status == "finished" and runs(pilot)[0].progress.step == 20

        # a failure of the driver thread itself (outside any run's try) is reported too
        class NotARunner:
            pass

        app.screen.playback.driver.runner_factory = lambda spec: NotARunner()
        await pilot.press("r")
        await run_to_end(pilot)
        assert any(n.title == "driver failed" and "initial_record" in n.message for n in app._notifications)
        assert not app.screen.playback.playing
        assert app.is_running


async def test_open_a_scenario_then_save_it_and_replay_headless_to_identical_metrics(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = SgdApp(timings=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        await pilot.pause()
        names = [n for n, _t in app.screen_stack[-1].scenarios]
        assert "saddle" in names
        await pilot.press(*["down"] * names.index("saddle"), "enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        main = app.main
        expected = load_scenario("saddle")
        assert main.session.shared.title == expected.title
        assert [r.spec.label for r in main.session.runs] == [r.label for r in expected.runs]
        assert all(r.progress.status == "ready" for r in main.session.runs)

        # shorten it, run it, save it
        await type_into(pilot, "#budget #f-steps", "40")
        await flat_out(pilot)
        await run_to_end(pilot)
        assert all(r.progress.step == 40 for r in main.session.runs)
        path = tmp_path / "mine.toml"
        await pilot.press("w", "ctrl+u", *"mine.toml", "enter")
        await pilot.pause()
        assert path.is_file()

        out = tmp_path / "out"
        assert replay(load_scenario(path), out, progress=None) == 0
        with open(out / "metrics.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        for r in main.session.runs:
            mine = [row for row in rows if row["run"] == r.spec.label]
            steps, losses = r.series.xy("step")
            assert [int(m["step"]) for m in mine] == [int(s) for s in steps]
            assert [float(m["loss"]) for m in mine] == list(losses)  # identical, not approximately
            xs, ys = r.series.path()
            assert [float(m["x"]) for m in mine] == list(xs)


async def test_resize_to_80x24_and_200x60():
    app = SgdApp(quadratic_session(steps=10), timings=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        setup, loss = screen.query_one("#setup"), screen.query_one("#loss")
        assert screen.has_class("-narrow")
        assert setup.display is False or setup.region.width == 0
        plots, table = screen.query_one("#plots"), screen.query_one("#runs")
        assert plots.region.height >= 6 and table.region.height >= 3
        assert screen.query_one("Footer").region.y == 23
        width_closed = loss.region.width
        await pilot.press("s")  # the setup panel on demand: a drawer over the plots, which keep their width
        await pilot.pause()
        assert setup.region.width > 0 and screen.focused is screen.query_one("#objective")
        assert loss.region.width == width_closed
        await pilot.press("s")
        await pilot.pause()
        assert setup.region.width == 0 and screen.focused is table
        await flat_out(pilot)
        await run_to_end(pilot)
        await pilot.resize_terminal(200, 60)
        await pilot.pause(0.3)
        assert screen.has_class("-wide")
        assert setup.region.width == 0  # hidden by the user: stays hidden after a resize
        assert screen.query_one("#loss").region.width > 50
        await pilot.press("s")
        await pilot.pause()
        assert setup.region.width > 0
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.3)
        assert setup.region.width > 0  # shown by the user: stays shown (as the drawer)
        assert runs(pilot)[0].progress.status == "finished"  # resizes neither crash nor lose the run


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_tab_reaches_every_field_and_shows_it(size):
    """Tab walks every field of the setup panel (the regularization demo's own options included); each
    focused field lies inside the panel's visible region, whole, and its row is reversed."""
    app = SgdApp(session_from_scenario(load_scenario("regularization")), timings=False)
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        if not screen.has_class("-setup-open"):
            await pilot.press("s")
        await pilot.pause()
        panel = screen.query_one("#setup")
        fields = [w for w in panel.query("Input, Select") if w.focusable]
        names = {w.id for w in fields}
        assert {"f-regularization", "f-reg_strength", "f-lr", "f-start", "f-max_loss"} <= names
        seen = set()
        screen.query_one("#objective").focus()
        await pilot.pause()
        for _ in range(len(fields) + 2):
            w = screen.focused
            if w is None or panel not in w.ancestors:
                break
            seen.add(w.id)
            visible = panel.content_region
            assert w.region.width > 0 and w.region.height > 0, (w.id, w.region)  # shown, not scrolled off
            assert visible.contains_region(w.region), (w.id, w.region, visible)
            if w.id and w.id.startswith("f-"):
                assert w.parent.has_pseudo_class("focus-within")
                label = w.parent.query_one(".form-label")
                assert "reverse" in str(label.styles.text_style)
            await pilot.press("tab")
            await pilot.pause()
        assert names <= seen


def test_session_from_scenario_keeps_every_run_ready():
    sc = load_scenario("optimizer-race")
    s = session_from_scenario(sc)
    assert [r.spec for r in s.runs] == sc.runs
    assert len({r.color for r in s.runs}) == min(len(s.runs), 8)
    assert all(r.progress.status == "ready" and r.progress.step == 0 for r in s.runs)
    assert math.isfinite(sc.runs[0].hyper["lr"])


async def test_monochrome_and_scenarios_in_the_command_palette():
    app = SgdApp(quadratic_session(), monochrome=True, timings=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert screen.plots.loss.monochrome and screen.plots.trajectory.monochrome
        assert not screen.table.get_cell(runs(pilot)[0].run_id, "run").style  # no colour per run
        titles = [c.title for c in app.get_system_commands(screen)]
        assert "Scenario: optimizer-race" in titles and "Open scenario…" in titles
        await pilot.press("ctrl+p", *"saddle")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        assert app.main.session.shared.title == load_scenario("saddle").title


async def test_a_bad_shared_setting_is_shown_and_blocks_the_start():
    app = SgdApp(quadratic_session(steps=20), timings=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await type_into(pilot, "#budget #f-epochs", "3")  # steps and epochs both set
        assert "exactly one of steps and epochs" in str(screen.query_one("#shared-error").render())
        await pilot.press("escape", "space")
        assert not screen.playback.playing and any("exactly one" in n.message for n in app._notifications)
        await type_into(pilot, "#options #f-condition", "0.5")  # κ >= 1
        assert "condition" in str(screen.query_one("#options #err-condition").render())
        assert runs(pilot)[0].spec.budget["steps"] == 20  # the runs kept the last valid settings


async def test_the_surface_is_the_selected_runs_objective():
    """gd-vs-newton has runs on a quadratic, on Rosenbrock and on a saddle: the heat map follows the
    selected run, with the paths of the runs on that objective only."""
    app = SgdApp(session_from_scenario(load_scenario("gd-vs-newton")), timings=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert screen.plots.surface_objective == "quadratic"
        screen.table.select(screen.session.runs[3].run_id)  # Newton on Rosenbrock
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        assert screen.plots.surface_objective == "rosenbrock"
        labels = [r.label for r in screen.plots.trajectory._runs]
        assert labels == ["GD on Rosenbrock", "Newton on Rosenbrock"]
        assert "(selected run: rosenbrock)" in str(screen.query_one("#status").render())


def test_every_key_has_an_id_a_sentence_and_an_action_that_exists():
    from sgd_tui.ui.screens.dialogs import HelpScreen
    from sgd_tui.ui.screens.keys import HELP_INTRO, MAIN_BINDINGS

    ids = [b.id for b in MAIN_BINDINGS]
    assert len(set(ids)) == len(ids) and all(ids)
    assert all(b.tooltip and b.description for b in MAIN_BINDINGS)
    for b in MAIN_BINDINGS:
        namespace, _, name = b.action.rpartition(".")
        owner = SgdApp if namespace == "app" else MainScreen
        assert callable(getattr(owner, "action_" + name.partition("(")[0], None)), b.action
    rows = HelpScreen(MAIN_BINDINGS, HELP_INTRO).rows
    faster = next(b.tooltip for b in MAIN_BINDINGS if b.id == "faster")
    assert rows[0] == ("Space", "run / pause every run") and ("+ / =", faster) in rows
    assert len(rows) == len(MAIN_BINDINGS)
