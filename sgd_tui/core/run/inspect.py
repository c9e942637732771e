"""What the teaching panel shows of a 2-D run's optimizer in step mode: the parameters, the gradient and
every state tensor by name (momentum buffer, displacement, exp_avg, exp_avg_sq, ...) as plain floats,
plus Adam's bias-corrected m̂ and v̂ and Newton's last direction."""

from __future__ import annotations

from typing import Any

__all__ = ["optimizer_state"]


def optimizer_state(problem, optimizer) -> dict[str, Any]:
    """The state of ``optimizer`` on the 2-D ``problem`` (one parameter tensor w), as plain floats."""
    w = problem.params[0]
    out: dict[str, Any] = {"w": w.detach().tolist()}
    if w.grad is not None:
        out["grad"] = w.grad.detach().tolist()
    state = optimizer.state.get(w, {})
    for k, v in state.items():
        if hasattr(v, "dim"):
            out[k] = v.detach().tolist() if v.dim() else float(v)
    group = optimizer.param_groups[0]
    if "exp_avg" in state and "step" in state:
        t = float(state["step"])
        b1, b2 = group["betas"]
        out["m_hat"] = [m / (1 - b1**t) for m in out["exp_avg"]]
        out["v_hat"] = [v / (1 - b2**t) for v in out["exp_avg_sq"]]
    if hasattr(optimizer, "last_direction"):
        out["newton_direction"] = optimizer.last_direction.tolist()
    return out
