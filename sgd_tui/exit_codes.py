"""The exit status of ``sgd-tui`` (design §3), shared by the CLI and the headless replay."""

OK = 0  # done; a diverged run is a result, not a failure
INTERNAL = 1  # an internal error (a bug)
BAD_INPUT = 2  # bad arguments, scenario, missing data or unavailable device: one clear message
TRIALS_FAILED = 3  # a sweep finished, but some trials failed (an error, a worker died, a timeout): all written
INTERRUPTED = 130  # Ctrl+C; partial results are written
