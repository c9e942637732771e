"""A form generated from registry Params, validated as you type.

One row per Param: its name, then a field (an Input for numbers, text, pairs and points; a Select for a
choice or a boolean). Each edit is parsed with ``Param.parse_text``; a value the Param does not allow
shows the registry's message under the row and is kept out of :attr:`values` — the owner sees it in
:attr:`errors` and refuses to start the run.
"""

from __future__ import annotations

import math
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, Select, Static

from sgd_tui.core.errors import ParamError
from sgd_tui.core.params import Param, format_value
from sgd_tui.core.text import safe_text
from sgd_tui.ui.nudge import NUMERIC_KINDS
from sgd_tui.ui.widgets.key_select import KeySelect
from sgd_tui.ui.widgets.number_input import NumberInput

__all__ = ["ParamForm"]


def _text(p: Param, value: Any) -> str:
    """A value as a person would type it (no quotes, pairs as "a, b")."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(p, v) for v in value)
    if isinstance(value, str):
        return safe_text(value, newlines=False)  # an Input draws its value: never raw control characters
    if isinstance(value, float) and math.isfinite(value):
        short = f"{value:g}"
        return short if float(short) == value else repr(value)
    return format_value(value)


class ParamForm(Vertical):
    """Fields for ``params`` starting at ``values``; posts :class:`ParamForm.Edited` on every edit, and once
    more when a typed field is submitted (Enter) or left (``committed``)."""

    class Edited(Message):
        """A field changed (valid or not): ``form.values`` and ``form.errors`` are up to date. ``typing``: a
        keystroke in a text field (the value may be half typed: "1" on the way to "1e-4"); ``committed``:
        Enter or leaving the field after typing (the value is what was meant)."""

        def __init__(self, form: "ParamForm", name: str, typing: bool = False, committed: bool = False) -> None:
            super().__init__()
            self.form = form
            self.name = name
            self.typing = typing
            self.committed = committed

        @property
        def control(self) -> "ParamForm":
            return self.form

    def __init__(self, params: tuple[Param, ...], values: dict[str, Any] | None = None, *, title: str = "",
                 id: str | None = None) -> None:
        super().__init__(id=id, classes="param-form")
        self.params = tuple(params)
        self.values: dict[str, Any] = {p.name: p.default for p in self.params}
        self.values.update({k: v for k, v in (values or {}).items() if k in self.values})
        self.errors: dict[str, str] = {}
        self.title = title
        self._typed: set[str] = set()  # fields typed in since their last Enter / leaving

    def compose(self) -> ComposeResult:
        if self.title:
            yield Label(self.title, classes="form-title")
        for p in self.params:
            with Horizontal(classes="form-row"):
                yield Label(p.name, classes="form-label")
                yield self._field(p)
            yield Static("", id=f"err-{p.name}", classes="form-error")

    def _field(self, p: Param):
        value = self.values[p.name]
        fid = f"f-{p.name}"
        if p.kind in ("str", "bool"):
            options = [("true", True), ("false", False)] if p.kind == "bool" else [(c, c) for c in p.choices or ()]
            field = KeySelect(options, value=value, allow_blank=False, id=fid, compact=True)
        else:
            cls = NumberInput if p.kind in NUMERIC_KINDS else Input
            extra = {"param": p} if cls is NumberInput else {}
            field = cls(value=_text(p, value), placeholder=p.allowed(), id=fid, compact=True, select_on_focus=False,
                        **extra)
        field.tooltip = f"{p.help}\nallowed: {p.allowed()}"
        return field

    # ------------------------------------------------------------------------------------ editing
    def _param(self, widget_id: str | None) -> Param | None:
        name = (widget_id or "")[2:]
        return next((p for p in self.params if p.name == name), None)

    def on_input_changed(self, event: Input.Changed) -> None:
        p = self._param(event.input.id)
        if p is None:
            return
        event.stop()
        before = (self.values.get(p.name), self.errors.get(p.name))
        try:
            self.values[p.name] = p.parse_text(event.value)
            self.errors.pop(p.name, None)
        except ParamError as e:
            self.errors[p.name] = str(e)
        if (self.values.get(p.name), self.errors.get(p.name)) == before:
            return  # e.g. the Changed event of the initial value, or "0.10" after "0.1"
        self._show(p)
        self._typed.add(p.name)
        self.post_message(self.Edited(self, p.name, typing=True))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._commit(event.input.id)

    def on_input_blurred(self, event: Input.Blurred) -> None:
        self._commit(event.input.id)

    def _commit(self, widget_id: str | None) -> None:
        p = self._param(widget_id)
        if p is not None and p.name in self._typed:
            self._typed.discard(p.name)
            self.post_message(self.Edited(self, p.name, committed=True))

    def on_select_changed(self, event: Select.Changed) -> None:
        p = self._param(event.select.id)
        if p is None or event.value is Select.NULL or self.values.get(p.name) == event.value:
            return
        event.stop()
        self.values[p.name] = event.value
        self.post_message(self.Edited(self, p.name))

    def _show(self, p: Param) -> None:
        msg = self.errors.get(p.name, "")
        err = self.query_one(f"#err-{p.name}", Static)
        err.update(Content(safe_text(msg)))  # it echoes what was typed: never markup
        err.set_class(bool(msg), "-shown")
        err.remove_class("-note")
        self.query_one(f"#f-{p.name}").set_class(bool(msg), "-invalid")

    def set_error(self, name: str, message: str) -> None:
        """Show a message the Params alone cannot give (a combination); '' clears it."""
        p = next(p for p in self.params if p.name == name)
        if message:
            self.errors[name] = message
        else:
            self.errors.pop(name, None)
        self._show(p)

    def set_note(self, name: str, message: str) -> None:
        """A line under the field that is not an error ("Enter applies 0.1 ..."); '' clears it. An error
        in the field keeps its place."""
        if name in self.errors or not any(p.name == name for p in self.params):
            return
        err = self.query_one(f"#err-{name}", Static)
        err.update(Content(safe_text(message)))
        err.set_class(bool(message), "-shown")
        err.set_class(bool(message), "-note")

    def field(self, name: str):
        return self.query_one(f"#f-{name}")
