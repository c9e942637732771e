"""The main view's keys, written once: each Binding carries an id (for keymaps), the footer's short
description, and in its tooltip the sentence the help screen shows (the footer shows it on hover too).

The help screen (:class:`~sgd_tui.ui.screens.dialogs.HelpScreen`) lists these bindings, in this order, so
the help cannot drift from the keys.
"""

from __future__ import annotations

from textual.binding import Binding

__all__ = ["MAIN_BINDINGS", "MAIN_FOOTER_PRIORITY", "HELP_INTRO"]


MAIN_BINDINGS: list[Binding] = [
    Binding("space", "run_pause", "run/pause", id="run_pause", tooltip="run / pause every run"),
    Binding("n", "step", "step", id="step", tooltip="one step of every run (the teaching aids show the state)"),
    Binding("r", "reset", "reset", id="reset", tooltip="every run back to step 0"),
    Binding("a", "add", "add run", id="add", tooltip="add a copy of the selected run (edit it in the setup panel)"),
    Binding("d", "duplicate", "duplicate", id="duplicate",
            tooltip="duplicate the selected run with one change, e.g. lr=0.01"),
    Binding("x,delete", "remove", "remove", id="remove", tooltip="remove the selected run"),
    Binding("v", "toggle_visible", "show/hide", id="toggle_visible",
            tooltip="show / hide the selected run on the plots"),
    Binding("L", "landscape", "landscape", id="landscape",
            tooltip="data sets: compute the loss-landscape slice (off the UI thread) through the start and the "
                    "selected and next runs' weights (or the two a scenario's [landscape] names), with every "
                    "run's path and its distance ⟂ off the plane"),
    Binding("D", "landscape_mode", "plane/random", id="landscape_mode",
            tooltip="data sets: the slice's directions: the plane through the start and two runs, or Li et "
                    "al.'s filter-normalised random directions around the selected run (recomputed if shown)"),
    Binding("K", "toggle_landscape", "landscape on/off", id="toggle_landscape", show=False,
            tooltip="data sets: show / hide the landscape slice (in place of the test metrics)"),
    Binding("U", "landscape_every", "slice every N", id="landscape_every", show=False,
            tooltip="data sets: recompute the shown slice every N steps of the selected run while it trains "
                    "(asks N; empty: only on L)"),
    Binding("plus,equals_sign", "speed(1)", "faster", id="faster",
            tooltip="faster 2-D animation (steps per second, up to flat out)"),
    Binding("minus", "speed(-1)", "slower", id="slower", tooltip="slower 2-D animation"),
    Binding("f", "flat_out", "flat out", id="flat_out", show=False,
            tooltip="flat out / back to the default animation speed"),
    Binding("t", "plot_view('cycle_x')", "x axis", id="x_axis", show=False, tooltip="loss plot x axis: step, samples, epoch, time"),
    Binding("l", "plot_view('toggle_log')", "log y", id="log_y", show=False, tooltip="loss plot: log / linear y"),
    Binding("e", "plot_view('cycle_smoothing')", "smoothing", id="smoothing", show=False,
            tooltip="loss plot smoothing (EMA 0, 0.6, 0.9, 0.97)"),
    Binding("y", "plot_view('cycle_loss_mode')", "f − f*", id="gap", show=False,
            tooltip="loss plot: the gap f − f* to the known minimum value, or f itself"),
    Binding("p", "plot_view('cycle_plots')", "plots", id="which_plots", show=False,
            tooltip="plots shown: all, the loss plot alone, the trajectory / test plot alone"),
    Binding("z", "reset_zoom", "reset zoom", id="reset_zoom", show=False,
            tooltip="loss plot: the whole x range again (the mouse wheel over it zooms about the pointer)"),
    Binding("s", "toggle_setup", "setup", id="toggle_setup", tooltip="show / hide the setup panel"),
    Binding("g", "toggle_story", "story", id="toggle_story",
            tooltip="show / hide the scenario's description and what to look for, beside the plots"),
    Binding("i", "toggle_teaching", "teaching aids", id="toggle_teaching", show=False,
            tooltip="show / hide the teaching aids (2-D objectives)"),
    Binding("m", "toggle_theory", "theory", id="toggle_theory",
            tooltip="show / hide the theory panel: local model, step-size limits, optimum, (α, β) map (2-D)"),
    Binding("b", "toggle_basins", "basins", id="toggle_basins",
            tooltip="basins of attraction of the selected run's optimizer in place of the heat map (surfaces "
                    "with several minima; recomputed when its hyperparameters change)"),
    Binding("c", "toggle_flow", "flows", id="toggle_flow", show=False,
            tooltip="the selected GD run's flows, in grey: on edge_valley its central flow (its path through the "
                    "zig-zag, its predicted time-averaged loss); on the other surfaces the gradient flow of f and "
                    "the flow of the modified loss f̃ = f + (α/4)‖∇f‖² that GD follows"),
    Binding("F", "save_figures", "figures", id="save_figures", show=False,
            tooltip="save every plot on screen as an SVG for slides, and the whole screen, in figures/"),
    Binding("o", "app.open_scenario", "open", id="open_scenario", tooltip="open a scenario file"),
    Binding("w", "app.save_scenario", "save", id="save_scenario",
            tooltip="save as a scenario file (--headless replays it)"),
    Binding("escape", "focus_runs", "to runs table", id="focus_runs", show=False,
            tooltip="leave a form field: the keys work again"),
    Binding("question_mark", "help", "help", id="help", tooltip="this help"),
    Binding("q", "quit", "quit", id="quit", tooltip="quit (Ctrl+Q works too)"),
]

# the key bar's keys, most important first: what fits the width is shown, help always (ui/widgets/footer.py);
# at 80 columns: run/pause, setup, story, theory, open, save, quit and help
MAIN_FOOTER_PRIORITY = ("help", "run_pause", "next_demo", "quit", "previous_demo", "open_scenario", "save_scenario",
                        "toggle_setup", "toggle_story", "toggle_theory", "step", "landscape", "toggle_basins", "command_palette", "reset", "add",
                        "duplicate", "remove", "toggle_visible", "landscape_mode", "faster", "slower", "toggle_present")

HELP_INTRO = ("Keys work when the runs table has focus (Escape); in a text field they type. In a number field, "
              "keys a number cannot contain (space, n, r, ...) still act on the runs, and [ / ] (or shift+↑/↓) "
              "nudge the value: lr ×10^(±1/4), momentum and betas ±0.05, integers ±1.\n"
              "Mouse: click the surface (or the basin map) to start the selected run there (shift-click: every "
              "run), click a row to select its run, the wheel over the loss plot zooms its x range (z resets it).\n"
              "Editing lr, momentum or betas of a run that has taken steps continues it from there; any other "
              "edit restarts it. Ctrl+P opens the command palette.\n"
              "Budget sharpness_every: λmax per run beside the loss (adaptive runs: P⁻¹H as the line, λmax as "
              "dots), ╌ the selected run's stability limit (2/α, 2(1+β)/α, Nesterov's, 38/α on P⁻¹H for Adam).")
