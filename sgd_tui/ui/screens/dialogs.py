"""Modal dialogs: help, a one-line question (duplicate with a change, save as), a yes/no confirm, the
scenario picker.

Each dialog dismisses with its answer (``None`` when cancelled with Escape).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from sgd_tui.core.text import safe_text

__all__ = ["HelpScreen", "AskScreen", "ConfirmScreen", "ScenarioPicker", "KEY_NAMES"]


# How the help screen writes Textual's key names.
KEY_NAMES = {"question_mark": "?", "equals_sign": "=", "plus": "+", "minus": "-", "delete": "Delete",
             "escape": "Escape", "space": "Space"}


class HelpScreen(ModalScreen[None]):
    """Every key of a screen, read from its bindings (so the help cannot drift from the keys): the keys of
    each binding, then its tooltip (a sentence) or else its description."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "close")]

    def __init__(self, bindings: list[Binding], intro: str) -> None:
        super().__init__()
        self.rows = [(" / ".join(KEY_NAMES.get(k, k) for k in b.key.split(",")), b.tooltip or b.description)
                     for b in bindings]
        self.intro = intro

    def compose(self) -> ComposeResult:
        width = max(len(k) for k, _ in self.rows)
        text = "\n".join(f"{k.rjust(width)}  {d}" for k, d in self.rows)
        with VerticalScroll(classes="dialog"):  # arrows scroll it on a small terminal
            yield Label("Keys", classes="dialog-title")
            yield Static(Content(self.intro + "\n\n" + text), id="help-text")  # plain text: "[landscape]" is a word
            yield Label("Escape closes; arrows scroll", classes="help")

    def action_dismiss(self) -> None:
        self.dismiss(None)


class AskScreen(ModalScreen[str | None]):
    """Ask for one line of text; ``check`` returns an error message (shown, dialog stays) or ''."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, title: str, prompt: str, value: str = "", check=None) -> None:
        super().__init__()
        self.title_text = title
        self.prompt = prompt
        self.value = value
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(safe_text(self.title_text, newlines=False)), classes="dialog-title")
            yield Label(self.prompt, classes="help")
            yield Input(self.value, id="answer")
            yield Static("", id="ask-error", classes="form-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        msg = self.check(event.value) if self.check else ""
        if msg:
            err = self.query_one("#ask-error", Static)
            err.update(Content(safe_text(msg)))
            err.add_class("-shown")
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A question with two answers: Enter (True) or Escape (False); the prompt says what each does."""

    BINDINGS = [Binding("enter", "answer(True)", "yes"), Binding("escape", "answer(False)", "no")]

    def __init__(self, title: str, prompt: str) -> None:
        super().__init__()
        self.title_text = title
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(safe_text(self.title_text, newlines=False)), classes="dialog-title")
            yield Static(Content(safe_text(self.prompt)), id="confirm-text")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ScenarioPicker(ModalScreen[str | None]):
    """Pick a scenario: the package's scenarios (name, title), then the scenario files of the working folder
    (``files``: file name, title; marked "file here"), or type a name or a path. Typing filters the list;
    the arrows move in it; Enter opens the highlighted entry, or what was typed when nothing in the list
    matches it (a path such as ``../demo.toml``). Dismisses with the name or the path. ``marks``: a short note shown
    before a scenario's title (``sweep · 99 trials``)."""

    BINDINGS = [Binding("escape", "cancel", "cancel"), Binding("down", "move(1)", show=False),
                Binding("up", "move(-1)", show=False)]

    def __init__(self, scenarios: list[tuple[str, str]], files: list[tuple[str, str]] | None = None,
                 marks: dict[str, str] | None = None) -> None:
        super().__init__()
        self.scenarios = scenarios
        self.files = list(files or [])
        self.marks = marks or {}
        # (what load_scenario takes, what the list shows); a working-folder file is opened by its path
        self.entries = ([(name, f"{name}  {self.mark(name)}{title}") for name, title in scenarios]
                        + [(f"./{name}" if "/" not in name else name, f"{name}  (file here)  {title}")
                           for name, title in self.files])

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Open a scenario", classes="dialog-title")
            yield Input(placeholder="type to filter, or a path to a .toml file", id="scenario-query")
            yield OptionList(id="scenario-list")
            yield Label("Enter opens · arrows choose · Escape cancels", classes="help")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def _fill(self, query: str) -> None:
        words = query.lower().split()
        options = self.query_one(OptionList)
        options.clear_options()
        shown = [(key, text) for key, text in self.entries if all(w in text.lower() for w in words)]
        options.add_options([Option(Content(safe_text(text, newlines=False)), id=key) for key, text in shown])
        if shown:
            options.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def action_move(self, by: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            options.highlighted = max(0, min(options.option_count - 1, (options.highlighted or 0) + by))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        typed = event.value.strip()
        options = self.query_one(OptionList)
        if typed in {key for key, _ in self.entries}:
            self.dismiss(typed)
        elif options.highlighted is not None and options.option_count:
            self.dismiss(options.get_option_at_index(options.highlighted).id)
        elif typed:
            self.dismiss(typed)  # a path (or a name): load_scenario says what is wrong with it

    def mark(self, name: str) -> str:
        return f"[{self.marks[name]}]  " if self.marks.get(name) else ""

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
