"""summary.json's ``modified_flow`` of each 2-D run (:mod:`sgd_tui.core.theory.modified_flow`): gradient descent
from the run's start with the run's α (constant, for the run's steps, at most :data:`MAX_STEPS`), the
gradient flow of f and the gradient flow of the modified loss f̃ = f + (α/4)‖∇f‖², compared at the time
t = steps·α: ``to_flow`` and ``to_modified`` are the distances from GD's final point to each flow's point.
Written for plain gradient-descent runs only (gd, or sgd without momentum): the theory is about GD, and
for other optimizers the entry would describe a GD that was not run, at a cost (the flows of a stiff
surface such as Rosenbrock's take seconds each: 32 s of a 36 s optimizer-race replay). ``gd_is_the_run``
says whether GD is the run itself (no schedule, no mid-run change, no gradient noise, no mini-batches)."""

from __future__ import annotations

from typing import Any

from sgd_tui.core.theory.modified_flow import Grad, Hess, modified_flow_summary

__all__ = ["gradient_and_hessian", "run_modified_flow", "MAX_STEPS"]

MAX_STEPS = 20_000


def gradient_and_hessian(problem) -> tuple[Grad, Hess] | None:
    """(∇f, H) of a 2-D problem as functions of (x, y): a surface's exact ones, else (regressions) autograd
    on the full-data risk; None for other problems."""
    surface = getattr(problem, "surface", None)
    if surface is not None:
        return surface.grad, surface.hess
    if not getattr(problem, "is_2d", False) or not hasattr(problem, "training_loss"):
        return None
    import torch  # lazy: torch

    def grad(x: float, y: float):
        v = torch.tensor((x, y), dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(problem.training_loss([v], None), v)
        return tuple(g.tolist())

    return grad, problem.hessian_at


def run_modified_flow(runner) -> dict[str, Any] | None:
    """The ``modified_flow`` entry of a finished 2-D run, or None (not 2-D, no lr, nothing stepped)."""
    p, spec = runner.problem, runner.spec
    lr = spec.hyper.get("lr")
    fns = gradient_and_hessian(p) if p.is_2d else None
    if fns is None or not isinstance(lr, (int, float)) or runner.step == 0:
        return None
    if spec.optimizer not in ("gd", "sgd") or spec.hyper.get("momentum"):
        return None
    steps = min(runner.step, MAX_STEPS)
    out = modified_flow_summary(fns[0], fns[1], p.start, float(lr), steps)
    plain_gd = spec.optimizer == "gd" or (not getattr(p, "noise", 0.0) and p.n_train is None)
    out["gd_is_the_run"] = bool(plain_gd and not spec.changes and (spec.settings.get("schedule") or "constant") == "constant")
    return out
