"""The weights a run keeps every ``snapshot_every`` steps (:class:`SnapshotLog`, bounded), so that a
loss-landscape slice can draw the run's path projected on its plane."""

from __future__ import annotations

from typing import Sequence

import torch

from sgd_tui.core.theory.flat import flat_copy


# ----------------------------------------------------------------------------- snapshots for the paths
class SnapshotLog:
    """A run's weights every ``every`` steps (flat CPU copies), in bounded memory: when ``max_count``
    snapshots are held, every other one is dropped and ``every`` doubles, so the kept ones stay evenly
    spaced and cover the whole run. The start (step 0) is always kept; :meth:`final` adds the last step."""

    def __init__(self, every: int = 1, max_count: int = 256, max_bytes: int = 64 << 20, n_params: int = 1,
                 element_size: int = 4):
        self.every = max(1, int(every))
        per = max(1, n_params * element_size)
        self.max_count = max(4, min(int(max_count), max_bytes // per))
        self.items: list[tuple[int, torch.Tensor]] = []

    def offer(self, step: int, params: Sequence[torch.Tensor]) -> None:
        if step % self.every:
            return
        self.items.append((step, flat_copy(params).cpu()))
        if len(self.items) > self.max_count:
            self.every *= 2
            self.items = [it for it in self.items if it[0] % self.every == 0]

    def snapshots(self) -> list[tuple[int, torch.Tensor]]:
        return list(self.items)
