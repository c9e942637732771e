"""Imported once by a sweep's fork server (see ``sgd_tui.sweep_run``): torch, the engine and the imports
torch.optim makes when it builds its first optimizer, so that every worker process forked from the
server starts with them loaded instead of paying them itself. Importing this module is its purpose."""

from .engine import warm_up

warm_up()
