"""Scenario files: the model (``model``), reading and checking one (``parse``, ``check``, ``view``,
``maps`` for the [basins] and [landscape] tables), writing one (``write``, ``toml_lines``), and where they
live (``files``)."""
