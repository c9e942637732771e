"""The sweep view: opening a scenario with a ``[sweep]`` table pushes it over the main view.

Top to bottom: one progress line (trials done / total, diverged, failed, elapsed, ETA from the mean time
per finished trial and the workers in use), the trials table (one row per trial in the sweep's order:
label, status, steps, final and best training loss, test accuracy, time), then the seed bands of one run
(median and p10-p90 over seeds per configuration, x = step / samples / epoch) beside the sensitivity plot
(a metric against one swept key, log x for lr, diverged trials at the top, every seed's value). Both plots
are the headless replay's (:mod:`sgd_tui.plotting.sweepplot`), computed by :mod:`sgd_tui.core.sweep.stats`.
Below 110 columns (80x24) the two plots take turns at the full width: ``p`` shows the other one.

The trials run in worker processes (:mod:`sgd_tui.ui.jobs.sweep`); the screen only collects finished
trials and redraws, at most every ``REDRAW_S``. It asks before it starts them (they take every core), and
before Escape discards finished trials that were not saved (``w`` writes the files a headless replay
writes: :mod:`sgd_tui.ui.screens.sweep_keep`). A note under the progress line says why a sweep cannot start
(its data is missing: where the files go, and ``--synthetic-data``) or which trials failed and why; ``g``
shows the scenario's story in the plots' place. Leaving the view or quitting stops the sweep without
waiting for it: the pool stops its running trials within a chunk in the background.
"""

from __future__ import annotations

import time
from functools import partial

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Static

from sgd_tui.core.objectives.data import is_synthetic
from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.run.control import Control
from sgd_tui.core.scenario.model import Scenario
from sgd_tui.core.sweep.preflight import data_dirs
from sgd_tui.core.sweep.stats import bands, sensitivity, sweep_rows
from sgd_tui.core.sweep.trials import FAILED_STATUSES, TrialOutcome, default_workers, trial_threads
from sgd_tui.core.text import safe_text
from sgd_tui.plotting.sweepplot import band_plot, band_series, band_view, sensitivity_plot
from sgd_tui.ui.jobs.sweep import Mailbox, SweepEnded, TrialsFinished, run_sweep
from sgd_tui.ui.screens.dialogs import HelpScreen
from sgd_tui.ui.screens.sweep_keep import SweepKeeping
from sgd_tui.ui.widgets.footer import KeyFooter
from sgd_tui.ui.widgets.relay import Relay, covered
from sgd_tui.ui.widgets.story import StoryPanel
from sgd_tui.ui.widgets.sweep_plots import SweepTextPlot

__all__ = ["SweepScreen", "SWEEP_BINDINGS"]

REDRAW_S = 0.5
X_AXES = ("step", "samples", "epoch")
COLUMNS = (("label", "trial"), ("status", "status"), ("steps", "steps"), ("final_loss", "final loss"),
           ("best_loss", "best loss"), ("test_accuracy", "test acc"), ("time_s", "time"))

SWEEP_BINDINGS: list[Binding] = [
    Binding("space", "start_stop", "start/stop", id="sweep_start_stop",
            tooltip="start the trials not finished yet / stop the sweep (running trials stop within a chunk)"),
    Binding("b", "band_run", "bands of", id="sweep_band_run", tooltip="seed bands: the next run of the scenario"),
    Binding("t", "x_axis", "x axis", id="sweep_x_axis", tooltip="seed bands x axis: step, samples, epoch"),
    Binding("k", "key", "swept key", id="sweep_key", tooltip="sensitivity: the next swept hyperparameter"),
    Binding("m", "metric", "final/best", id="sweep_metric",
            tooltip="sensitivity: final loss, best loss, test accuracy (where there is a test split)"),
    Binding("g", "story", "story", id="sweep_story",
            tooltip="the scenario's story (what the sweep shows, what to look for) in the plots' place; g again: the plots"),
    Binding("w", "save", "save results", id="sweep_save",
            tooltip="write the finished trials' results into a folder, as a headless replay does (metrics.csv, "
                    "sweep.csv, bands.csv, summary.json, loss.txt, sensitivity.txt)"),
    Binding("escape", "back", "back", id="sweep_back",
            tooltip="back to the main view (stops the sweep; asks first when finished trials are not saved)"),
    Binding("p", "other_plot", "other plot", id="sweep_other_plot",
            tooltip="below 110 columns: the seed bands or the sensitivity plot, full width (one at a time)"),
    Binding("question_mark", "help", "help", id="sweep_help", tooltip="this help"),
    Binding("q", "quit", "quit", id="sweep_quit", tooltip="quit (stops the sweep at once)"),
]
HELP_INTRO = ("The sweep's trials run in worker processes; the table and the plots follow as they finish.\n"
              "The plots are the headless replay's loss.txt (bands) and sensitivity.txt.")


def table_cell(v) -> str:
    if v is None or v == "":
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


class SweepScreen(SweepKeeping, Screen):
    """Run a sweep scenario's trials and show them live (see the module docstring)."""

    BINDINGS = SWEEP_BINDINGS
    FOOTER_PRIORITY = ("sweep_help", "sweep_start_stop", "sweep_back", "sweep_quit", "sweep_story", "sweep_save",
                       "sweep_other_plot", "sweep_x_axis",
                       "sweep_band_run", "sweep_key", "sweep_metric", "command_palette")  # the key bar's, first first
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]  # narrow: one plot at a time, full width (p)
    DEFAULT_CSS = """
    SweepScreen { layout: vertical; }
    #sweep-progress { height: 1; padding: 0 1; background: $panel; }
    #sweep-note { height: auto; max-height: 6; padding: 0 1; color: $warning; display: none; }
    #sweep-note.-shown { display: block; }
    SweepScreen.-cannot-start #sweep-note { max-height: 16; }
    SweepScreen.-cannot-start #sweep-trials { display: none; }
    #sweep-story { height: 2fr; display: none; }
    SweepScreen.-story #sweep-story { display: block; }
    SweepScreen.-story #sweep-plots { display: none; }
    #sweep-trials { height: 1fr; min-height: 4; }
    #sweep-plots { height: 2fr; min-height: 10; }
    #sweep-bands { border-right: solid $panel-lighten-2; }
    SweepScreen.-narrow #sweep-bands { border-right: none; }
    SweepScreen.-narrow #sweep-sensitivity, SweepScreen.-narrow.-sensitivity #sweep-bands { display: none; }
    SweepScreen.-narrow.-sensitivity #sweep-sensitivity { display: block; }
    """

    def __init__(self, scenario: Scenario, *, workers: int | None = None, autostart: bool = True,
                 confirm: bool = True, monochrome: bool = False, timings: bool = True) -> None:
        super().__init__()
        assert scenario.sweep is not None, "SweepScreen needs a scenario with a [sweep] table"
        self.scenario = scenario
        self.sweep = scenario.sweep
        self.threads = trial_threads()
        n = len(self.sweep.trials)
        # workers: processes (0 = in the sweep's thread, for tests); default fills the cores
        self.n_workers = min(n, default_workers(self.threads)) if workers is None else min(workers, n)
        self.autostart = autostart
        self.confirm = confirm  # ask before starting (autostart: once mounted)
        self.synthetic = any(is_synthetic(d) for d in data_dirs(self.sweep.trials))
        self.setup_error = ""  # why the trials cannot start (their data is missing)
        self.monochrome = monochrome
        self.timings = timings
        self.outcomes: dict[int, TrialOutcome] = {}
        self._rows_due: set[int] = set()  # finished trials whose table rows the next redraw fills
        self.control: Control | None = None
        self.running = False
        self.message = ""
        self.t0 = self.elapsed = 0.0
        self.band_run = 0
        self.x_axis = scenario.view.get("bands_x", "auto")  # the first of X_AXES the trials log, if not this
        if self.x_axis not in X_AXES:
            self.x_axis = "samples"
        self._band_view: tuple | None = None  # the [view]'s f* per configuration, log and floor (band_view)
        self.axes: list[str] = ["step"]
        self.key_index = 0
        self.metric = self.sweep.metric
        self._dirty = True

    def compose(self) -> ComposeResult:
        yield Static(id="sweep-progress")
        yield Static(id="sweep-note")
        yield DataTable(id="sweep-trials", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="sweep-plots"):
            yield SweepTextPlot(monochrome=self.monochrome, id="sweep-bands")
            yield SweepTextPlot(monochrome=self.monochrome, id="sweep-sensitivity")
        yield StoryPanel(id="sweep-story")
        yield KeyFooter()
        yield Relay(trials_finished=self.on_trials_finished, sweep_ended=self.on_sweep_ended)

    def on_mount(self) -> None:
        self.sub_title = safe_text(self.scenario.title, newlines=False)  # a scenario file is untrusted text
        table = self.query_one(DataTable)
        for key, title in COLUMNS:
            table.add_column(title, key=key, width=9 if key == "status" else None)
        for t in self.sweep.trials:
            table.add_row(Text(safe_text(t.label, newlines=False)), "queued", "", "", "", "", "", key=str(t.index))
        self.query_one(StoryPanel).show(self.scenario.title, self.scenario.description)
        self.query_one(Relay).set_interval(REDRAW_S, self._redraw)  # see widgets/relay.py
        self._redraw()
        if self.autostart:
            self.call_after_refresh(self.ask_to_start if self.confirm else self.start)

    def on_unmount(self) -> None:
        self.stop()

    # ------------------------------------------------------------------ running
    def start(self) -> None:
        """Run every trial without a finished outcome (all of them at first; after a stop, the rest)."""
        if self.running:
            return
        for i in [i for i, o in self.outcomes.items() if o.result.status == "stopped"]:
            del self.outcomes[i]
        todo = [t for t in self.sweep.trials if t.index not in self.outcomes]
        if not todo:
            return
        self.control = Control()
        self.running, self.message, self.setup_error = True, "", ""
        self.t0 = time.monotonic() - self.elapsed
        box = Mailbox(self.query_one(Relay).post_message)
        self._box = box
        workers = min(self.n_workers, len(todo))
        self.run_worker(partial(run_sweep, box, self.post_message, todo, self.control, workers, self.threads,
                                self.sweep.trial_timeout), thread=True, exit_on_error=False, group="sweep")
        for t in todo:
            self._set_row(t.index, "queued")
        self._dirty = True

    def stop(self) -> None:
        """Stop the sweep; the pool finishes stopping in the background (nothing here waits for it)."""
        if self.control is not None:
            self.control.stop()

    def on_trials_finished(self, _message: TrialsFinished) -> None:
        for o in self._box.take():
            self.outcomes[o.index] = o
            self._rows_due.add(o.index)  # their rows: on the next redraw (not under a dialog)
        self._dirty = True

    def on_sweep_ended(self, message: SweepEnded) -> None:
        self.on_trials_finished(TrialsFinished())
        self.running = False
        self.elapsed = time.monotonic() - self.t0
        if message.setup:  # no trial started: the note says why and what to do, in the table's place
            self.setup_error = message.error
            for t in self.sweep.trials:
                if t.index not in self.outcomes:
                    self._set_row(t.index, "not run")
        self.message = f"failed: {message.error}" if message.error and not message.setup else ""
        if message.error and not message.setup:
            self.notify(safe_text(message.error), title="the sweep failed", severity="error", timeout=10,
                        markup=False)
        self._dirty = True
        self._redraw()

    # ------------------------------------------------------------------ drawing
    def _set_row(self, index: int, status: str | None = None) -> None:
        table = self.query_one(DataTable)
        o = self.outcomes.get(index)
        if o is None:
            values = {"status": status or "queued"}
        else:
            row = sweep_rows(self.sweep, {index: o})[index]
            values = {k: table_cell(row[k]) for k, _ in COLUMNS[1:]}
            values["time_s"] = f"{row['time_s']:.1f}s" if self.timings else "-"
        for k, v in values.items():
            table.update_cell(str(index), k, v)

    def progress_text(self) -> str:
        statuses = [o.result.status for o in self.outcomes.values()]
        n, done = len(self.sweep.trials), sum(s != "stopped" for s in statuses)
        failed = sum(s in FAILED_STATUSES for s in statuses)
        counts = "".join(f", {k} {what}" for k, what in ((statuses.count("diverged"), "diverged"),
                                                          (failed, "failed"), (statuses.count("stopped"), "stopped")) if k)
        if self.running:
            state = "running"
        elif not self.outcomes and self.control is None:
            state = f"not started (space runs the {n} trials)"
        elif self.setup_error:
            state = "cannot start"
        else:
            state = "finished" if done == n else "stopped"
        text = ("SYNTHETIC data (not FashionMNIST) · " if self.synthetic else "") + f"{state}: {done}/{n} trials done{counts}"
        text += (f" on {self.n_workers} worker process{'es' if self.n_workers != 1 else ''}" if self.n_workers
                 else " in this process") + f" × {self.threads} thread{'s' if self.threads != 1 else ''}"
        if self.timings:
            elapsed = time.monotonic() - self.t0 if self.running else self.elapsed
            text += f", {elapsed:.0f}s"
            if self.running and done:
                text += f", ETA {elapsed / done * (n - done):.0f}s"
        if self.message:
            text += f"  {self.message}"
        return text

    def note_text(self) -> str:
        """Why the sweep cannot start, or which trials failed and why (the first three)."""
        if self.setup_error:
            return f"cannot start the trials: {self.setup_error}"
        failed = [(i, o) for i, o in sorted(self.outcomes.items()) if o.result.status in FAILED_STATUSES]
        if not failed:
            return ""
        lines = [f"{len(failed)} trial{'s' if len(failed) != 1 else ''} failed (the others went on):"]
        lines += [f"  {self.sweep.trials[i].label}: {o.result.status}: {o.result.message}" for i, o in failed[:3]]
        return "\n".join(lines + ([f"  ... and {len(failed) - 3} more (w saves them all, with the reasons)"]
                                   if len(failed) > 3 else []))

    def _redraw(self) -> None:
        if covered(self):  # a dialog on top: drawing now would repaint it too (widgets/relay.py)
            return
        for index in sorted(self._rows_due):
            self._set_row(index)
        self._rows_due.clear()
        self.query_one("#sweep-progress", Static).update(Text(safe_text(self.progress_text(), newlines=False)))
        note = self.note_text()
        self.set_class(bool(self.setup_error), "-cannot-start")
        widget = self.query_one("#sweep-note", Static)
        widget.set_class(bool(note), "-shown")
        widget.update(Text(safe_text(note)))
        if not self._dirty:
            return
        self._dirty = False
        self.draw_plots()

    def metrics(self) -> list[str]:
        out = list(dict.fromkeys([self.sweep.metric, "final_loss", "best_loss"]))
        if any(o.evals for o in self.outcomes.values()):
            out.append("test_accuracy")
        return out

    def x_axes(self, band_rows) -> list[str]:
        """step, and samples and epoch where the trials have data sets (a 2-D objective has no samples)."""

        data = any(get_objective(o).has_data for o in {t.spec.objective for t in self.sweep.trials})
        return [x for x in X_AXES if x == "step" or data and (x == "samples" or any(
            r.epoch is not None for r in band_rows))]

    def draw_plots(self) -> None:
        """Recompute the bands and the sensitivity series from the finished trials and hand both plots
        their pictures (they draw them at their size)."""
        sweep = self.sweep
        done = {i: o for i, o in self.outcomes.items()}
        version = (len(done), tuple(sorted(done)))
        statuses = {i: o.result.status for i, o in done.items()}
        band_rows = bands(sweep, {i: o.records for i, o in done.items()}, statuses) if done else []
        self.axes = axes = self.x_axes(band_rows)
        x = self.x_axis = self.x_axis if self.x_axis in axes else axes[0]
        run = sweep.run_labels[self.band_run % len(sweep.run_labels)]
        series = band_series(sweep, band_rows, run, x)
        n_seeds = len(sweep.seeds)
        if series:
            if self._band_view is None:  # f* of the configurations (builds the problems once)
                self._band_view = band_view(self.scenario.view, sweep, True)[1:]
            minima, log, floor = self._band_view
            self.query_one("#sweep-bands", SweepTextPlot).show(
                ("bands", version, run, x),
                lambda w, h, s=series: band_plot(s, title=f"{run}: {n_seeds} seeds", xlabel=x, minima=minima,
                                                 log=log, floor=floor, width=w,
                                                 height=max(8, h - len(s) - 1 - bool(minima))))
        rows = sweep_rows(sweep, done)
        if sweep.keys and done:
            key = sweep.keys[self.key_index % len(sweep.keys)]
            metric = self.metric if self.metric in self.metrics() else self.metrics()[0]
            sens = sensitivity(sweep, rows, key, metric)
            label = metric.replace("_", " ")
            self.query_one("#sweep-sensitivity", SweepTextPlot).show(
                ("sens", version, key, metric),
                lambda w, h, s=sens: sensitivity_plot(s, title=f"{label} against {key}", ylabel=label,
                                                      width=w, height=max(8, h - len(s) - 2)))

    # ------------------------------------------------------------------ keys
    def action_start_stop(self) -> None:
        if self.running:
            self.stop()
        else:
            self.start()

    def _changed(self) -> None:
        self._dirty = True
        self._redraw()

    def action_band_run(self) -> None:
        self.band_run = (self.band_run + 1) % len(self.sweep.run_labels)
        self._changed()

    def action_x_axis(self) -> None:
        axes = self.axes
        self.x_axis = axes[(axes.index(self.x_axis) + 1) % len(axes)]
        self._changed()

    def action_key(self) -> None:
        self.key_index = (self.key_index + 1) % max(1, len(self.sweep.keys))
        self._changed()

    def action_metric(self) -> None:
        ms = self.metrics()
        self.metric = ms[(ms.index(self.metric) + 1) % len(ms)] if self.metric in ms else ms[0]
        self._changed()

    def action_story(self) -> None:
        self.toggle_class("-story")

    def action_other_plot(self) -> None:
        """Narrow: the seed bands or the sensitivity plot in the plots' row (wide: both, side by side)."""
        self.toggle_class("-sensitivity")
        self._changed()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.BINDINGS, HELP_INTRO))

    def action_quit(self) -> None:
        self.stop()
        self.app.exit()
