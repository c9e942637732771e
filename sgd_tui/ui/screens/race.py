"""The race view: opening a scenario with a ``[race]`` table pushes it over the main view.

Top: one progress line (the phase, tuning or race, trials done / total, diverged, elapsed). Below, side by
side: each optimizer's sensitivity curve (the criterion against lr on a log axis, every seed's value,
``@`` the chosen lr: :func:`sgd_tui.plotting.raceplot.tuning_plot`) and the race (median and p10-p90 over
the fresh seeds of each run at its tuned lr, or at its hand-picked lr with ``h``). Under them the verdict:
per run the hand-picked and the tuned lr with the race's median of the criterion, and the winner of each.
The same pictures and numbers as the headless replay's ``race.txt``.

The tuning trials run in worker processes (:mod:`sgd_tui.ui.jobs.sweep`, as a sweep's), then the choice is
made (:func:`sgd_tui.core.sweep.race.choose`) and the race's trials run the same way. As in the sweep view,
it asks before it starts (the trials take every core), ``g`` shows the scenario's story in the plots' place,
``w`` saves the results as the headless replay writes them, Escape asks before it discards finished trials
nobody saved (:mod:`.race_keep`), and below 110 columns one plot is shown at a time, full width (``p``).
Leaving the view or quitting stops the trials without waiting for them.
"""

from __future__ import annotations

import time
from functools import partial

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Static

from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.run.control import Control
from sgd_tui.core.scenario.model import Scenario
from sgd_tui.core.sweep.race import Choice, choose, race_results, race_sweep, verdict_text
from sgd_tui.core.sweep.stats import bands
from sgd_tui.core.sweep.trials import TrialOutcome, default_workers, trial_threads
from sgd_tui.core.text import safe_text
from sgd_tui.plotting.raceplot import tuning_plot
from sgd_tui.plotting.sweepplot import band_plot, band_series
from sgd_tui.ui.jobs.sweep import Mailbox, SweepEnded, TrialsFinished, run_sweep
from sgd_tui.ui.screens.dialogs import HelpScreen
from sgd_tui.ui.screens.race_keep import RaceKeeping
from sgd_tui.ui.widgets.footer import KeyFooter
from sgd_tui.ui.widgets.relay import Relay, covered
from sgd_tui.ui.widgets.story import StoryPanel
from sgd_tui.ui.widgets.sweep_plots import SweepTextPlot

__all__ = ["RaceScreen", "RACE_BINDINGS"]

REDRAW_S = 0.5
RACE_BINDINGS: list[Binding] = [
    Binding("space", "start_stop", "start/stop", id="race_start_stop",
            tooltip="start the trials not finished yet / stop (running trials stop within a chunk)"),
    Binding("h", "hand", "hand/tuned", id="race_hand", tooltip="the race at the tuned lr / at the hand-picked lr"),
    Binding("g", "story", "story", id="race_story",
            tooltip="the scenario's story (what the race shows, who wins) in the plots' place; g again: the plots"),
    Binding("w", "save", "save results", id="race_save",
            tooltip="write the results so far into a folder, as a headless replay does (tuning.csv, race.csv, "
                    "bands.csv, summary.json, race.txt)"),
    Binding("p", "other_plot", "other plot", id="race_other_plot",
            tooltip="below 110 columns: the tuning or the race, full width (one at a time)"),
    Binding("escape", "back", "back", id="race_back",
            tooltip="back to the main view (stops the trials; asks first when finished trials are not saved)"),
    Binding("question_mark", "help", "help", id="race_help", tooltip="this help"),
    Binding("q", "quit", "quit", id="race_quit", tooltip="quit (stops the trials at once)"),
]
HELP_INTRO = ("A fair race: every run's lr is tuned on the [race] grid over seeds at the same budget (left: the\n"
              "criterion against lr, @ the chosen lr), then raced at its tuned and its hand-picked lr on fresh\n"
              "seeds (right: median and p10-p90). The headless replay writes the same pictures (race.txt).")


class RaceScreen(RaceKeeping, Screen):
    """Tune and race a [race] scenario's runs and show both (see the module docstring)."""

    BINDINGS = RACE_BINDINGS
    FOOTER_PRIORITY = ("race_help", "race_start_stop", "race_back", "race_quit", "race_story", "race_hand",
                       "race_save", "race_other_plot", "command_palette")  # the key bar's, first first
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]  # narrow: one plot at a time, full width (p)
    DEFAULT_CSS = """
    RaceScreen { layout: vertical; }
    #race-progress { height: 1; padding: 0 1; background: $panel; }
    #race-plots { height: 1fr; min-height: 10; }
    #race-story { height: 1fr; display: none; }
    RaceScreen.-story #race-story { display: block; }
    RaceScreen.-story #race-plots { display: none; }
    #race-tuning { border-right: solid $panel-lighten-2; }
    RaceScreen.-narrow #race-tuning { border-right: none; }
    RaceScreen.-narrow #race-race, RaceScreen.-narrow.-race #race-tuning { display: none; }
    RaceScreen.-narrow.-race #race-race { display: block; }
    #race-verdict { height: auto; max-height: 30%; padding: 0 1; overflow-y: auto; }
    """

    def __init__(self, scenario: Scenario, *, workers: int | None = None, autostart: bool = True,
                 confirm: bool = True, monochrome: bool = False, timings: bool = True) -> None:
        super().__init__()
        assert scenario.race is not None, "RaceScreen needs a scenario with a [race] table"
        self.scenario = scenario
        self.race = scenario.race
        self.threads = trial_threads()
        n = len(self.race.tuning.trials)
        self.n_workers = min(n, default_workers(self.threads)) if workers is None else min(workers, n)
        self.autostart, self.monochrome, self.timings = autostart, monochrome, timings
        self.confirm = confirm  # ask before starting (autostart: once mounted)
        self.tuned: dict[int, TrialOutcome] = {}
        self.raced: dict[int, TrialOutcome] = {}
        self.phase = "tuning"  # tuning -> race -> done
        self.choices: list[Choice] = []
        self.race_trials = None  # the race's Sweep, once the choice is made
        self.control: Control | None = None
        self.running = False
        self.message = ""
        self.t0 = self.elapsed = 0.0
        self.kind = "tuned"
        self._dirty = True

    def compose(self) -> ComposeResult:
        yield Static(id="race-progress")
        with Horizontal(id="race-plots"):
            yield SweepTextPlot(monochrome=self.monochrome, id="race-tuning")
            yield SweepTextPlot(monochrome=self.monochrome, id="race-race")
        yield StoryPanel(id="race-story")
        yield Static(id="race-verdict")
        yield KeyFooter()
        yield Relay(trials_finished=self.on_trials_finished, sweep_ended=self.on_sweep_ended)

    def on_mount(self) -> None:
        self.sub_title = safe_text(self.scenario.title, newlines=False)
        self.query_one(StoryPanel).show(self.scenario.title, self.scenario.description)
        self.query_one(Relay).set_interval(REDRAW_S, self._redraw)  # see widgets/relay.py
        self._redraw()
        if self.autostart:
            self.call_after_refresh(self.ask_to_start if self.confirm else self.start)

    def on_unmount(self) -> None:
        self.stop()

    # ------------------------------------------------------------------ running
    def _trials(self):
        return self.race.tuning.trials if self.phase == "tuning" else self.race_trials.trials

    def _done(self) -> dict[int, TrialOutcome]:
        return self.tuned if self.phase == "tuning" else self.raced

    def start(self) -> None:
        """Run the current phase's trials without a finished outcome."""
        if self.running or self.phase == "done":
            return
        done = self._done()
        for i in [i for i, o in done.items() if o.result.status == "stopped"]:
            del done[i]
        todo = [t for t in self._trials() if t.index not in done]
        if not todo:
            self._phase_over()
            return
        self.control = Control()
        self.running, self.message = True, ""
        self.t0 = time.monotonic() - self.elapsed
        self._box = Mailbox(self.query_one(Relay).post_message)
        workers = min(self.n_workers, len(todo))
        self.run_worker(partial(run_sweep, self._box, self.post_message, todo, self.control, workers, self.threads),
                        thread=True, exit_on_error=False, group="race")
        self._dirty = True

    def stop(self) -> None:
        if self.control is not None:
            self.control.stop()

    def on_trials_finished(self, _message: TrialsFinished) -> None:
        done = self._done()
        for o in self._box.take():
            done[o.index] = o
        self._dirty = True

    def on_sweep_ended(self, message: SweepEnded) -> None:
        self.on_trials_finished(TrialsFinished())
        self.running = False
        self.elapsed = time.monotonic() - self.t0
        if message.error:
            self.message = f"failed: {message.error}"
            self.notify(safe_text(message.error), title="the race failed", severity="error", timeout=10)
        elif not any(o.result.status == "stopped" for o in self._done().values()):
            self._phase_over()
        self._dirty = True
        self._redraw()

    def _phase_over(self) -> None:
        """Tuning done: choose and start the race; race done: the end."""
        if self.phase == "tuning":
            self.choices = choose(self.race.tuning, {i: o.result for i, o in self.tuned.items()}, self.race.criterion)
            self.race_trials = race_sweep(self.race, self.choices)
            self.phase = "race"
            self.add_class("-race")  # below 110 columns: the race now running takes the plots' place (p: tuning)
            self.start()
        else:
            self.phase = "done"

    # ------------------------------------------------------------------ drawing
    def progress_text(self) -> str:
        trials = self._trials() if self.phase != "done" else self.race_trials.trials
        done = self._done() if self.phase != "done" else self.raced
        statuses = [o.result.status for o in done.values()]
        n, k = len(trials), sum(s != "stopped" for s in statuses)
        counts = "".join(f", {statuses.count(s)} {s}" for s in ("diverged", "error", "stopped") if s in statuses)
        state = {"tuning": "tuning", "race": "race", "done": "finished"}[self.phase]
        if not self.running and self.phase != "done":
            state += " (stopped: space resumes)" if statuses else " (space starts)"
        text = f"{state}: {k}/{n} trials done{counts}"
        if self.timings:
            elapsed = time.monotonic() - self.t0 if self.running else self.elapsed
            text += f", {elapsed:.0f}s"
        return text + (f"  {self.message}" if self.message else "") + f"; {self.race.describe()}"

    def _redraw(self) -> None:
        if covered(self):  # a dialog on top: drawing now would repaint it too (widgets/relay.py)
            return
        self.query_one("#race-progress", Static).update(Text(safe_text(self.progress_text(), newlines=False)))
        if not self._dirty:
            return
        self._dirty = False
        self.draw_plots()

    def draw_plots(self) -> None:
        race = self.race
        if self.tuned:
            choices = self.choices or choose(race.tuning, {i: o.result for i, o in self.tuned.items()}, race.criterion)
            crit = race.criterion.replace("_", " ")
            key = ("tuning", len(self.tuned), self.phase)
            self.query_one("#race-tuning", SweepTextPlot).show(
                key, lambda w, h, c=choices: tuning_plot(c, criterion=race.criterion, title=f"{crit} against lr",
                                                         width=w, height=max(8, h - 2 * len(c) - 4)))
        if self.race_trials is not None and self.raced:
            rs = self.race_trials
            rows = bands(rs, {i: o.records for i, o in self.raced.items()},
                         {i: o.result.status for i, o in self.raced.items()})
            data = any(get_objective(t.spec.objective).has_data for t in rs.trials)
            x = "samples" if data else "step"
            series = [b for ch in self.choices for b in band_series(rs, rows, f"{ch.run} {self.kind}", x)]
            what = "tuned" if self.kind == "tuned" else "hand-picked"
            if series:
                self.query_one("#race-race", SweepTextPlot).show(
                    ("race", len(self.raced), self.kind),
                    lambda w, h, s=series: band_plot(s, title=f"race at the {what} lr, "
                                                             f"{len(race.race_seeds)} new seeds", xlabel=x,
                                                     width=w, height=max(8, h - len(s) - 1)))
            if self.phase == "done":
                runs, winners = race_results(race, self.choices, rs, {i: o.result for i, o in self.raced.items()})
                *table, winner = safe_text(verdict_text(runs, winners, race.criterion).rstrip()).split("\n")
                text = Text(winner, style="bold")  # the lesson first: on a small screen the table scrolls
                text.append("\n" + "\n".join(table))
                self.query_one("#race-verdict", Static).update(text)

    # ------------------------------------------------------------------ keys
    def action_start_stop(self) -> None:
        if self.running:
            self.stop()
        else:
            self.start()

    def action_hand(self) -> None:
        self.kind = "hand" if self.kind == "tuned" else "tuned"
        self._dirty = True
        self._redraw()

    def action_story(self) -> None:
        self.toggle_class("-story")

    def action_other_plot(self) -> None:
        """Below 110 columns: the tuning or the race plot, full width."""
        self.toggle_class("-race")

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.BINDINGS, HELP_INTRO))

    def action_quit(self) -> None:
        self.stop()
        self.app.exit()
