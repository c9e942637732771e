"""A form field for a number (or a pair, a point, a batch size) that leaves the run keys working.

* It takes only what a number can contain (digits, ``.``, ``-``, ``+``, ``e``; a comma in a pair or point;
  the letters of "full" for a batch size, of "none" for an optional number). Any other key is not typed:
  it goes on to the screen, so space (run/pause), ``n`` (step), ``r`` (reset) and the other run keys act
  at once, without Escape; and the footer shows them as available.
* ``[`` / ``]`` and shift+↑/↓ nudge the value one notch (:mod:`sgd_tui.ui.nudge`) without leaving the
  field; the form sees the change as a typed edit (Input.Changed) submitted at once (Input.Submitted, as
  Enter), so it reaches the selected run at once, also a running one.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.widgets import Input

from sgd_tui.core.params import Param
from sgd_tui.ui.nudge import nudge_text

__all__ = ["NumberInput", "typeable"]

_NUMBER = set("0123456789.-+eE")


def typeable(p: Param) -> frozenset[str]:
    """The characters a value of ``p`` can contain (what the field takes as typing)."""
    chars = set(_NUMBER)
    if p.kind in ("pair", "point"):
        chars.add(",")  # "a, b": no brackets ([ and ] are the nudge keys), no space (run/pause)
    if p.kind == "batch":
        chars |= set("ful")
    if p.optional:
        chars |= set("none")
    return frozenset(chars)


class NumberInput(Input):
    BINDINGS = [
        Binding("right_square_bracket,shift+up", "nudge(1)", "nudge up", show=False,
                tooltip="in a number field: one notch up (lr ×10^¼, momentum +0.05, integers +1)"),
        Binding("left_square_bracket,shift+down", "nudge(-1)", "nudge down", show=False,
                tooltip="in a number field: one notch down"),
    ]

    def __init__(self, param: Param, value: str = "", **kwargs) -> None:
        super().__init__(value, **kwargs)
        self.param = param
        self._typeable = typeable(param)

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character is not None and character in self._typeable

    async def _on_key(self, event: events.Key) -> None:
        # Textual calls the handlers of every class in the MRO: Input's (which types the character) runs
        # after this one unless the default is prevented. Preventing it does not stop the event, which
        # bubbles on to the screen's and the app's bindings (space, n, r, ...).
        if event.is_printable and event.character not in self._typeable:
            event.prevent_default()

    def action_nudge(self, direction: int) -> None:
        text = nudge_text(self.param, self.value, direction, self.cursor_position)
        if text is not None:
            self.value = text
            self.cursor_position = len(text)
            # a whole value, not one half typed: as if Enter were pressed after it, so the form sends it to
            # the run now (a typed value waits for Enter: "1" may be on its way to "1e-4")
            self.post_message(self.Submitted(self, text))
