"""Teaching aids for 2-D objectives: the selected run's update rule and, in step mode, its state.

The rule is the registry's ``OptimizerInfo.rule`` (the lecture's notation). The state comes from
``Runner.inspect()`` after the last step, taken in the driver thread. Named as in the rules: step t goes
from w_t to w_{t+1} (the start is w_1, so after t steps the point is w_{t+1}); the panel shows t, the new
point w_{t+1}, the gradient g_t = ∇f(w_t) the step used, the optimizer's buffers of step t (b_t, m_t,
v_t, ...) and the step taken Δw = w_{t+1} − w_t.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from sgd_tui.core.optim.registry import get_optimizer
from sgd_tui.core.text import safe_text
from sgd_tui.ui.run_entry import RunEntry
from sgd_tui.ui.widgets.runs_table import fmt_num

__all__ = ["TeachingPanel", "STATE_NAMES"]

# How the optimizers' state entries read in the lecture's notation.
STATE_NAMES = {
    "w": "w_{t+1} (now)",
    "grad": "g_t = ∇f(w_t) (used)",
    "momentum_buffer": "b_t (momentum buffer)",
    "displacement": "w_t - w_{t-1} (momentum term before β)",
    "exp_avg": "m_t",
    "exp_avg_sq": "v_t",
    "max_exp_avg_sq": "max v_t",
    "m_hat": "m̂_t",
    "v_hat": "v̂_t",
    "square_avg": "v_t (square avg)",
    "acc_delta": "u_t (delta avg)",
    "sum": "s_t (sum of g²)",
    "exp_inf": "u_t (inf norm)",
    "newton_direction": "∇²f(w_t)⁻¹∇f(w_t)",
    "delta": "Δw = w_{t+1} - w_t (step taken)",
    # the optimizers of 2021-24 (core.optim.modern): Lion's m_t is exp_avg above
    "ascent": "ε̂_t = ρ g/‖g‖ (SAM's ascent: g_t was taken at w_t + ε̂_t)",
    "z": "z_{t+1} (schedule-free: the SGD sequence)",
    "y": "y_t = (1-β) z_t + β x_t (schedule-free: where g_t was taken; w = x, the average)",
}
_SKIP = {"t", "step", "delta_steps", "mu_product"}


def _vec(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return "(" + ", ".join(fmt_num(float(x)) for x in v) + ")"
    return fmt_num(float(v)) if isinstance(v, (int, float)) else str(v)


def describe_state(state: dict[str, Any]) -> list[str]:
    """One line per state entry, named as in the lecture."""
    lines = [f"t = {state.get('t', '?')}"]
    for key, value in state.items():
        if key in _SKIP:
            continue
        name = STATE_NAMES.get(key, key)
        if key == "delta" and state.get("delta_steps", 1) != 1:
            name = f"Δw over the last {state['delta_steps']} steps (w_{{t+1}} - w_{{t+1-{state['delta_steps']}}})"
        lines.append(f"{name} = {_vec(value)}")
    return lines


class TeachingPanel(Static):
    """Rule and state of the selected run (shown for 2-D objectives)."""

    _shown: Text | str | None = None

    def show(self, entry: RunEntry | None, playing: bool) -> None:
        """Show the rule and state of ``entry``; no repaint when the text is unchanged (an update means
        a layout pass of the whole screen, since the panel's height follows its text)."""
        text = self._text(entry, playing)
        if text != self._shown:
            self._shown = text
            self.update(text)

    def _text(self, entry: RunEntry | None, playing: bool) -> Text | str:
        if entry is None:
            return ""
        info = get_optimizer(entry.spec.optimizer)
        text = Text()
        text.append(f"{safe_text(entry.spec.label, newlines=False)}: ", style="bold")
        text.append(info.rule)
        if entry.state and not playing:
            text.append("\n" + "   ".join(describe_state(entry.state)))
        elif entry.progress.status in ("ready", "running"):
            text.append("\n(press n to take one step and see the state)", style="dim")
        return text
