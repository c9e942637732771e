"""Analyses that run many steps over a whole surface: basins of attraction (``basins``) and loss-landscape
slices with the runs' projected paths (``landscape``)."""
