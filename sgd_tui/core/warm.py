"""Imported once by a sweep's fork server (see ``sgd_tui.sweep_run``): torch, the engine and the imports
torch.optim makes when it builds its first optimizer, so that every worker process forked from the
server starts with them loaded instead of paying them itself (:func:`~sgd_tui.core.trials.warm_process`:
imported with the garbage collector paused, then frozen). Importing this module is its purpose."""

from .trials import warm_process

warm_process()
