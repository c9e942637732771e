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
"""

from __future__ import annotations

import importlib
from typing import Callable

import torch

__all__ = ["DirectSGDStep", "step_function"]

_NO_STATE: dict = {}
_OPTIM = importlib.import_module("torch.optim.optimizer")  # its global step hooks (the name is not exported)


def step_function(optimizer) -> Callable:
    """``optimizer.step``, or a :class:`DirectSGDStep` doing the same where it applies."""
    if DirectSGDStep.applies(optimizer):
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

    def __call__(self, closure: Callable[[], torch.Tensor]) -> torch.Tensor:
        """The closure's loss after one SGD step; through ``optimizer.step`` on the first step, with hooks,
        a tensor lr, no momentum buffer (yet) or no dense gradient."""
        opt, group = self.optimizer, self.group
        momentum = group["momentum"]
        buffers = []
        if momentum != 0:
            buf = opt.state.get(self.param, _NO_STATE).get("momentum_buffer")
            buffers = [buf]
        if not self.stepped or (momentum != 0 and buf is None) or isinstance(group["lr"], torch.Tensor) \
                or self._hooked():
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
        torch._fused_sgd_(self.params, [grad], buffers, weight_decay=group["weight_decay"], momentum=momentum,
                          lr=group["lr"], dampening=group["dampening"], nesterov=group["nesterov"],
                          maximize=group["maximize"], is_first_step=False)
        self.direct_steps += 1
        return loss
