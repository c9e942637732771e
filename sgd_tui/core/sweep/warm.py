"""Imported once by a sweep's fork server (see ``sgd_tui.core.sweep.executors``): torch, the engine and the imports
torch.optim makes when it builds its first optimizer, so that every worker process forked from the
server starts with them loaded instead of paying them itself (:func:`~sgd_tui.core.sweep.trials.warm_process`:
imported with the garbage collector paused, then frozen). Importing this module is its purpose.

First, the server ignores Ctrl+C, as multiprocessing makes it do only after its imports: a Ctrl+C in the
terminal reaches every process of the foreground group, and one during these seconds of imports would
end the server (the sweep's pool then fails to start its workers). The sweep's process handles it."""

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)

from sgd_tui.core.sweep.trials import warm_process  # noqa: E402

warm_process()
