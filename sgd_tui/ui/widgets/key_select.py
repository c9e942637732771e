"""A drop-down (Select) of the setup panel that leaves space to the runs.

Textual's Select opens its list on Enter, ↓, ↑ and space. In the setup panel space is run / pause, as in
every field that cannot use it (:mod:`.number_input`): so a closed KeySelect opens on Enter, ↓ and ↑ only,
and space goes on to the screen. Without this, ``s`` (which focuses the Objective drop-down) then space
opened the objective list, and one Enter more changed the objective.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Select

__all__ = ["KeySelect"]


class KeySelect(Select, inherit_bindings=False):
    BINDINGS = [Binding("enter,down,up", "show_overlay", "Show menu", show=False)]
