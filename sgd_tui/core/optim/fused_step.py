"""torch.optim.SGD's fused update on one flat parameter tensor, called without torch.optim's Python around it.

``torch.optim.SGD(fused=True).step(closure)`` evaluates the closure and then runs one kernel,
``torch._fused_sgd_``, which for every coordinate i computes (weight decay λ, momentum μ, dampening τ)

    g_i ← ∓∇_i + λ θ_i,   b_i ← μ b_i + (1 - τ) g_i  (b_i ← g_i on the first step),
    θ_i ← θ_i - α (g_i + μ b_i  with Nesterov,  else b_i).

Around that kernel the optimizer spends tens of microseconds per step in Python (the step wrapper and its
profiler record, the grad-mode switches, grouping the tensors by device): at batch 16 on a laptop core that
is a noticeable share of a 1 ms training step of the lecture's MLP. When the model is one flat tensor
(:mod:`sgd_tui.core.objectives.flat_params`) and nothing hooks into the step, :class:`DirectSGDStep` calls the same
kernel with the same arguments read from the optimizer's param group at every step (so schedules and
mid-run changes apply) and the same momentum buffer from the optimizer's state: the numbers are torch.optim's,
bit for bit (tests/test_fused_step.py). The first step (which creates the momentum buffer) and every case it
does not cover go through ``optimizer.step`` itself.

``torch._fused_sgd_`` is private: torch may rename it or change its arguments. So at import a probe calls it
as :class:`DirectSGDStep` does on tiny tensors (momentum with Nesterov, weight decay and ``maximize``; momentum
with dampening; no momentum) and compares the weights and momentum buffers with torch.optim.SGD's own steps,
bit for bit. When it is missing, raises or differs, or the environment sets ``SGD_TUI_PUBLIC_ONLY=1``,
:func:`step_function` returns ``optimizer.step`` (torch.optim's fused SGD, the same numbers, only the Python
around the kernel is back). :func:`step_path` says which path runs (a replay's summary.json and ``--bench``
report it).
"""

from __future__ import annotations

import importlib
import os
from typing import Callable

import torch

__all__ = ["DirectSGDStep", "call_kernel", "step_function", "step_path", "FAST_PATH", "PUBLIC_PATH", "PUBLIC_ONLY_ENV"]

_NO_STATE: dict = {}
_OPTIM = importlib.import_module("torch.optim.optimizer")  # its global step hooks (the name is not exported)

FAST_PATH = "torch._fused_sgd_"  # step_path() when DirectSGDStep calls the kernel itself
PUBLIC_PATH = "torch.optim"  # step_path() when every step goes through optimizer.step
PUBLIC_ONLY_ENV = "SGD_TUI_PUBLIC_ONLY"  # "1": no private torch or plotext function (also plotting.plotmatrix)


def call_kernel(params, grads, buffers, group) -> None:
    """``torch._fused_sgd_`` as DirectSGDStep calls it, with the hyperparameters of ``group``."""
    torch._fused_sgd_(params, grads, buffers, weight_decay=group["weight_decay"], momentum=group["momentum"],
                      lr=group["lr"], dampening=group["dampening"], nesterov=group["nesterov"],
                      maximize=group["maximize"], is_first_step=False)


_PROBES = (
    {"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "nesterov": True, "weight_decay": 0.01, "maximize": True},
    {"lr": 0.05, "momentum": 0.5, "dampening": 0.3, "nesterov": False, "weight_decay": 0.0, "maximize": False},
    {"lr": 0.2, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.1, "maximize": False},
)


def _kernel_works() -> bool:
    """Whether ``torch._fused_sgd_`` exists and, called as DirectSGDStep calls it for a second step, leaves the
    weights and momentum buffer bit for bit where two steps of torch.optim.SGD(fused=True) leave them."""
    if not callable(getattr(torch, "_fused_sgd_", None)):
        return False
    w0 = torch.tensor([1.0, -2.0, 0.25, 4.0, -0.5])
    grads = (torch.tensor([0.5, -1.25, 3.0, 1e-3, -7.0]), torch.tensor([-0.75, 2.0, 0.125, 5.0, 0.3]))
    try:
        for hyper in _PROBES:
            ref, mine = w0.clone().requires_grad_(), w0.clone().requires_grad_()
            a = torch.optim.SGD([ref], fused=True, **hyper)
            b = torch.optim.SGD([mine], fused=True, **hyper)
            for g in grads:
                ref.grad = g.clone()
                a.step()
            mine.grad = grads[0].clone()
            b.step()  # the first step creates the buffer, as in DirectSGDStep
            buffers = [b.state[mine]["momentum_buffer"]] if hyper["momentum"] else []
            call_kernel([mine.detach()], [grads[1].clone()], buffers, b.param_groups[0])
            if not torch.equal(ref.detach(), mine.detach()):
                return False
            if buffers and not torch.equal(a.state[ref]["momentum_buffer"], buffers[0]):
                return False
    except Exception:  # noqa: BLE001 - renamed arguments, another signature, no CPU kernel: the public path
        return False
    return True


_FAST = os.environ.get(PUBLIC_ONLY_ENV, "") != "1" and _kernel_works()


def step_path() -> str:
    """Which SGD step the engine takes for a fused torch.optim.SGD on one tensor: ``"torch._fused_sgd_"``
    (the kernel called directly, :class:`DirectSGDStep`) or ``"torch.optim"`` (``optimizer.step``)."""
    return FAST_PATH if _FAST else PUBLIC_PATH


def step_function(optimizer) -> Callable:
    """``optimizer.step``, or a :class:`DirectSGDStep` doing the same where it applies."""
    if _FAST and DirectSGDStep.applies(optimizer):
        return DirectSGDStep(optimizer)
    return optimizer.step


class DirectSGDStep:
    """``step(closure)`` of a fused torch.optim.SGD on one tensor: the closure, then ``torch._fused_sgd_``."""

    @staticmethod
    def applies(optimizer) -> bool:
        """Exactly torch.optim.SGD, fused, one param group of one tensor, not differentiable."""
        if type(optimizer) is not torch.optim.SGD or len(optimizer.param_groups) != 1:
            return False
        group = optimizer.param_groups[0]
        return (len(group["params"]) == 1 and bool(group.get("fused")) and not group.get("differentiable")
                and not group.get("foreach"))

    def __init__(self, optimizer: torch.optim.SGD):
        self.optimizer = optimizer
        self.group = optimizer.param_groups[0]
        self.param = self.group["params"][0]
        self.params = [self.param.detach()]  # θ's memory without requires_grad: the kernel needs no no_grad()
        self.stepped = False  # the first step goes through torch.optim (its buffers, its schedulers' checks)
        self.direct_steps = 0  # steps taken by the direct call (the others went through optimizer.step)

    def _hooked(self) -> bool:
        opt = self.optimizer
        return bool(opt._optimizer_step_pre_hooks or opt._optimizer_step_post_hooks
                    or _OPTIM._global_optimizer_pre_hooks or _OPTIM._global_optimizer_post_hooks)

    def ready(self) -> list | None:
        """The momentum buffers of a direct kernel call now ([] without momentum), or None when torch.optim
        must take this step: the first step, hooks, a tensor lr, no momentum buffer (yet)."""
        group = self.group
        buffers = []
        if group["momentum"] != 0:
            buf = self.optimizer.state.get(self.param, _NO_STATE).get("momentum_buffer")
            if buf is None:
                return None
            buffers = [buf]
        if not self.stepped or isinstance(group["lr"], torch.Tensor) or self._hooked():
            return None
        return buffers

    def __call__(self, closure: Callable[[], torch.Tensor]) -> torch.Tensor:
        """The closure's loss after one SGD step; through ``optimizer.step`` on the first step, with hooks,
        a tensor lr, no momentum buffer (yet) or no dense gradient."""
        opt = self.optimizer
        buffers = self.ready()
        if buffers is None:
            self.stepped = True
            return opt.step(closure)
        if torch.is_grad_enabled():
            loss = closure()
        else:
            with torch.enable_grad():  # as torch.optim evaluates the closure
                loss = closure()
        grad = self.param.grad
        if grad is None or grad.is_sparse:  # no usable gradient: torch.optim's own handling
            opt.step()
            return loss
        call_kernel(self.params, [grad], buffers, self.group)
        self.direct_steps += 1
        return loss
