"""The setup sidebar: the comparison's shared settings and the selected run's settings.

Top: objective picker, its options, budget, seed and device (shared by every run). Bottom: the selected
run's optimizer, its hyperparameters and run settings (batch size, schedule, start, label). Every form
is generated from the registries; the panel only reports edits (:class:`SharedEdited`,
:class:`RunEdited`) and answers what the forms hold — the screen decides what an edit does.
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, Select, Static

from sgd_tui.core.objectives.registry import OBJECTIVES, get_objective
from sgd_tui.core.optim.registry import OPTIMIZERS, get_optimizer
from sgd_tui.core.params import Param
from sgd_tui.core.run.settings import budget_issues, default_budget, run_settings_for
from sgd_tui.core.run.spec import BUDGET_PARAMS, SEED, RunSpec
from sgd_tui.core.text import safe_text
from sgd_tui.ui.session import Shared
from sgd_tui.ui.widgets.key_select import KeySelect
from sgd_tui.ui.widgets.param_form import ParamForm

__all__ = ["SetupPanel"]

NET_ONLY = ("sharpness_subset", "snapshot_every", "target_subset",  # data sets: λmax's subset, landscape paths, target,
            "noise_every", "noise_subset")  # the noise scale (per-example gradients)

class SetupPanel(VerticalScroll):
    """Forms for the shared settings and the selected run."""

    class SharedEdited(Message):
        """The objective, its options, the budget, the seed or the device changed."""

    class RunEdited(Message):
        """The selected run's optimizer, hyperparameters or settings changed; ``typing``: by a keystroke
        (a RunEdited without it follows on Enter or on leaving the field)."""

        def __init__(self, typing: bool = False) -> None:
            super().__init__()
            self.typing = typing

    def __init__(self, shared: Shared, optimizer: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # what the selects show; a Select.Changed with the same value (e.g. on mount) is no edit
        self._objective = shared.objective
        self._optimizer = optimizer
        self._device = shared.device
        self._devices = ["auto", "cpu"] + ([shared.device] if shared.device not in ("auto", "cpu") else [])
        self._loading = asyncio.Lock()  # forms are replaced by remove + mount: one rebuild at a time

    def compose(self) -> ComposeResult:
        yield Label("Objective", classes="section")
        yield KeySelect([(k, k) for k in OBJECTIVES], value=self._objective, allow_blank=False, id="objective",
                     compact=True)
        yield Static("", id="objective-help", classes="help")
        yield Vertical(id="options-box")
        yield Label("Device", classes="form-title")
        yield KeySelect([(d, d) for d in self._devices], value=self._device, allow_blank=False, id="device",
                     compact=True)
        yield Vertical(id="budget-box")
        yield Static("", id="shared-error", classes="form-error")
        yield Label("Selected run", classes="section")
        yield KeySelect([(k, k) for k in OPTIMIZERS], value=self._optimizer, allow_blank=False, id="optimizer",
                     compact=True)
        yield Static("", id="optimizer-help", classes="help")
        yield Vertical(id="hyper-box")
        yield Vertical(id="settings-box")
        yield Static("", id="run-error", classes="form-error")

    # ------------------------------------------------------------------------------- loading
    async def load_shared(self, shared: Shared) -> None:
        """Show ``shared`` (rebuilding the option and budget forms) without posting edits."""
        async with self._loading:
            await self._load_shared(shared)

    async def _load_shared(self, shared: Shared) -> None:
        self._objective = shared.objective
        self._device = shared.device
        info = get_objective(shared.objective)
        with self.prevent(Select.Changed):
            self.query_one("#objective", Select).value = shared.objective
            self._set_device_options()
        self.query_one("#objective-help", Static).update(Content(f"{info.formula}\n{info.help}"))  # "[-1, 1]" is text
        await self._replace("#options-box", ParamForm(info.params, shared.options, title="options", id="options"))
        budget = dict(shared.budget, seed=shared.seed)
        # a surface has no subset to measure λmax on (its Hessian is exact) and no landscape slice
        shown = tuple(p for p in BUDGET_PARAMS if info.has_data or p.name not in NET_ONLY)
        await self._replace("#budget-box", ParamForm((*shown, SEED), budget, title="budget", id="budget"))

    async def load_run(self, spec: RunSpec | None, invalid: str = "") -> None:
        """Show the selected run's settings (or nothing when there is no run) without posting edits."""
        async with self._loading:
            await self._load_run(spec, invalid)

    async def _load_run(self, spec: RunSpec | None, invalid: str = "") -> None:
        if spec is None:
            await self._replace("#hyper-box", None)
            await self._replace("#settings-box", None)
            self._optimizer = ""
            return
        self._optimizer = spec.optimizer
        with self.prevent(Select.Changed):
            self.query_one("#optimizer", Select).value = spec.optimizer
        await self._show_optimizer(spec.optimizer, spec.hyper)
        values = dict(spec.settings, label=spec.label)
        label_param = Param("label", "text", "", "the run's name in the table, legends and files")
        params = (label_param, *run_settings_for(self._objective))
        await self._replace("#settings-box", ParamForm(params, values, title="run settings", id="settings"))
        self.show_run_error(invalid)

    async def _show_optimizer(self, name: str, hyper: dict[str, Any]) -> None:
        info = get_optimizer(name)
        self.query_one("#optimizer-help", Static).update(info.help)
        await self._replace("#hyper-box", ParamForm(info.params, hyper, title="hyperparameters", id="hyper"))

    async def _replace(self, box_id: str, form: ParamForm | None) -> None:
        box = self.query_one(box_id, Vertical)
        await box.remove_children()
        if form is not None:
            await box.mount(form)

    def set_devices(self, devices: list[str]) -> None:
        """Offer only devices that exist (found off the UI thread: it needs torch)."""
        self._devices = ["auto", *devices]
        with self.prevent(Select.Changed):
            self._set_device_options()

    def _set_device_options(self) -> None:
        sel = self.query_one("#device", Select)
        if self._device not in self._devices:
            self._devices.append(self._device)  # a scenario's device: kept so the user sees it
        sel.set_options([(d, d) for d in self._devices])
        sel.value = self._device

    def set_label(self, label: str) -> None:
        """Show the run's label as it now is (relabelled after an edit) without posting an edit."""
        form = self._form("settings")
        if form is None or form.values.get("label") == label:
            return
        field = form.field("label")
        if field.has_focus:
            return  # being typed into (perhaps emptied on the way to a new name): not under the cursor
        form.values["label"] = label
        with field.prevent(Input.Changed):
            field.value = label

    def show_run_error(self, message: str) -> None:
        self._show_error("#run-error", message)

    def show_notes(self, notes: dict[str, str]) -> None:
        """Notes under the hyperparameter fields (a typed value that waits for Enter); {} clears them."""
        form = self._form("hyper")
        if form is not None:
            for p in form.params:
                form.set_note(p.name, notes.get(p.name, ""))

    def show_shared_error(self, message: str) -> None:
        self._show_error("#shared-error", message)

    def _show_error(self, selector: str, message: str) -> None:
        err = self.query_one(selector, Static)
        err.update(Content(safe_text(message)))  # it may echo a typed value: never markup
        err.set_class(bool(message), "-shown")

    # ------------------------------------------------------------------------------- edits
    async def on_select_changed(self, event: Select.Changed) -> None:
        sid = event.select.id
        if sid == "objective" and event.value != self._objective:
            event.stop()
            self._objective = event.value
            budget = self._form("budget")
            seed = (budget.values.get("seed") if budget is not None else None) or SEED.default
            await self.load_shared(Shared(objective=event.value, budget=default_budget(event.value), seed=seed,
                                          device=self._device))
            self.post_message(self.SharedEdited())
        elif sid == "device" and event.value != self._device:
            event.stop()
            self._device = event.value
            self.post_message(self.SharedEdited())
        elif sid == "optimizer" and event.value != self._optimizer:
            event.stop()
            self._optimizer = event.value
            async with self._loading:
                await self._show_optimizer(event.value, {})
            self.post_message(self.RunEdited())

    def on_param_form_edited(self, event: ParamForm.Edited) -> None:
        event.stop()
        if event.form.id in ("options", "budget"):
            if not event.committed:  # shared settings follow every keystroke
                self.post_message(self.SharedEdited())
        else:
            self.post_message(self.RunEdited(typing=event.typing))

    # ------------------------------------------------------------------------------- values
    def _form(self, fid: str) -> ParamForm | None:
        found = self.query(f"#{fid}").results(ParamForm)
        return next(iter(found), None)

    def shared_values(self) -> tuple[Shared | None, str]:
        """The shared settings the forms hold, or (None, the first error)."""
        options, budget = self._form("options"), self._form("budget")
        if options is None or budget is None:
            return None, "loading"
        for form in (options, budget):
            if form.errors:
                return None, next(iter(form.errors.values()))
        b = {k: v for k, v in budget.values.items() if k != "seed"}
        issues = budget_issues({k for k, v in b.items() if v is not None}, get_objective(self._objective))
        if issues:
            return None, issues[0][1]
        return Shared(self._objective, dict(options.values), b, budget.values["seed"], self._device), ""

    def run_values(self) -> tuple[str, dict[str, Any], dict[str, Any], str, str]:
        """(optimizer, hyperparameters, settings, label, first error or '') of the selected run."""
        hyper, settings = self._form("hyper"), self._form("settings")
        if hyper is None or settings is None:
            return self._optimizer, {}, {}, "", "loading"
        errors = [*hyper.errors.values(), *settings.errors.values()]
        values = dict(settings.values)
        label = values.pop("label", "") or ""
        return self._optimizer, dict(hyper.values), values, label, errors[0] if errors else ""
