"""The plotting layer, shared by the app (``sgd_tui.ui``) and the headless replay (``sgd_tui.replay.run``).

Everything that decides *what* a plot shows lives here, as plain functions on numbers and arrays; the
Textual widgets in ``sgd_tui.ui.widgets`` only turn the results into Strips, and the replay into text.
Nothing here imports textual or rich (a test checks); the layer needs NumPy, and plotext only in
:mod:`.textplot`. It builds on ``sgd_tui.core`` (records), never the other way round.

Modules (import them directly; this package imports nothing, so it stays cheap):

* :mod:`.series`   ``RunSeries``: the bounded per-run store of records, decimated on absolute steps.
* :mod:`.prepare`  value cleaning (``sanitize``), min/max thinning on fixed buckets (``thin``), smoothing
  (``ema``), 2-D paths clamped to the view and thinned to what can be drawn (``clamp_path``,
  ``thin_path``).
* :mod:`.scales`   axis limits snapped to 1-2-5 values or decades, ticks, short tick labels
  (``value_axis``, ``x_limits``, ``linear_ticks``, ``log_ticks``, ``short_label`` ...).
* :mod:`.raster`   braille lines (``braille_cells``), quadrant-block lines (``quadrant_cells``) and
  half-block pictures (``half_block_cells``).
* :mod:`.style`    how the app's plots draw runs: ``NORMAL`` (braille) or ``PRESENTER`` (quadrant blocks,
  the bright palette; ``sgd-tui --present``).
* :mod:`.heat`     sampling a surface on a canvas (``cell_centres``), colour bands (``heat_bands``,
  ``heat_colors``, ``band_colors``) and contour lines (``contour_marks``, ``contour_fill``).
* :mod:`.palette`  run colours (and presenter mode's brighter ones) and marker characters.
* :mod:`.marks`    the loss plot's change marks (``lr 0.01→0.1`` at a step): ticks and labels laid out
  on the canvas clear of the curves and of each other (``change_ticks``, ``layout_ticks``).
* :mod:`.textplot` the replay's plain-text plots (``loss_plot``, ``trajectory_plot``).
"""
