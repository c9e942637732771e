"""The headless replay: a scenario run with no UI, its results written to a folder (``run`` for single
replays, ``sweep`` for sweeps, ``results_dir`` for the files and their guarantees, ``summary``,
``progress``, ``signals``, and the theory and landscape extras: ``theory``, ``landscape``)."""
