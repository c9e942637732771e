"""sgd-tui: a terminal optimizer playground for the SGD lecture."""

__version__ = "0.1.0"
