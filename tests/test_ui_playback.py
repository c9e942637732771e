"""Play, pause, single steps and speed (sgd_tui.ui.jobs.playback), without a screen: the driver thread is not
started (a fake run_worker records the request), so every assertion is about the runs' controls."""

from sgd_tui.core.run.progress import RunProgress
from sgd_tui.ui.jobs.playback import DEFAULT_SPEED, SPEEDS, Playback, next_speed
from sgd_tui.ui.session import Session, Shared


class Workers:
    def __init__(self):
        self.started = []

    def __call__(self, fn, **kw):
        self.started.append(kw["name"])
        return type("W", (), {"is_finished": False})()


def make(objective="quadratic", budget=None):
    s = Session(Shared(objective, {}, budget or {"steps": 50}, 0, "cpu"))
    for lr in (0.1, 0.2):
        s.add(s.make_spec("sgd", {"lr": lr}, {}))
    workers = Workers()
    pb = Playback(lambda m: None, workers)
    pb.follow(s)
    return s, pb, workers


def test_play_resumes_the_runs_that_can_move_and_starts_the_driver_once():
    s, pb, workers = make()
    s.runs[1].slot.progress = RunProgress("finished", step=50)
    assert pb.play(s) and pb.playing
    assert not s.runs[0].slot.control.paused and s.runs[1].slot.control.paused
    assert workers.started == []  # the driver starts when the screen follows the change
    pb.follow(s)
    pb.follow(s)
    assert workers.started == ["driver"] and pb.driver.slots == [r.slot for r in s.runs]
    pb.pause(s)
    assert not pb.playing and all(r.slot.control.paused for r in s.runs)


def test_nothing_plays_when_no_run_can_move_and_idle_stops_playing():
    s, pb, workers = make()
    for r in s.runs:
        r.slot.progress = RunProgress("diverged", step=3)
    assert not pb.play(s) and not pb.playing and workers.started == []
    pb.playing = True
    pb.idle(s)
    assert not pb.playing


def test_a_single_step_pauses_and_gives_every_run_one_step():
    s, pb, workers = make()
    pb.playing = True
    pb.step(s)
    assert not pb.playing and workers.started == ["driver"]
    for r in s.runs:
        c = r.slot.control
        assert c.paused and c.may_step() and not c.may_step()  # exactly one step allowed


def test_invalid_runs_are_not_driven():
    s, pb, _ = make()
    s.runs[0].invalid = "lr: not a number"
    pb.follow(s)
    assert pb.driver.slots == [s.runs[1].slot]


def test_speed_paces_surfaces_only_and_flat_out_toggles_back():
    s, pb, _ = make()
    assert pb.driver.rate == DEFAULT_SPEED
    pb.change_speed(s, 1)
    assert pb.speed == pb.driver.rate == SPEEDS[SPEEDS.index(DEFAULT_SPEED) + 1]
    pb.toggle_flat_out(s)
    assert pb.speed is None and pb.driver.rate is None
    pb.toggle_flat_out(s)
    assert pb.speed == DEFAULT_SPEED
    assert next_speed(None, 1) is None and next_speed(1, -1) == 1 and next_speed(None, -1) == 1000
    _, pb2, _ = make("fashion_mnist", {"epochs": 1})
    assert pb2.speed == DEFAULT_SPEED and pb2.driver.rate is None  # data sets always train flat out
