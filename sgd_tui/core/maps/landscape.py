"""A 2-D slice of a network's training loss, with the runs' paths projected onto it.

A plane in weight space is an origin θ_0 and two directions d, e; its points are θ(a, b) = θ_0 + a d + b e,
and the slice is R(θ(a, b)) on a grid of (a, b), R the training loss on a fixed seeded subset. Two planes:

* **through three points** (:func:`plane_through`): θ_0 = the shared start, d = θ_A - θ_0, e = θ_B - θ_0 for
  the weights θ_A, θ_B of two runs; the anchors sit at (0, 0), (1, 0) and (0, 1), which are grid nodes, and
  the segment between the two runs is a + b = 1;
* **filter-normalised random directions** (:func:`random_plane`, Li et al., "Visualizing the Loss Landscape
  of Neural Nets", NeurIPS 2018): d, e Gaussian, each row (filter) of each weight matrix rescaled to the
  norm of the same row of θ_0; biases get no direction (Li et al.'s ``ignore='biasbn'``). θ_0 = one run's
  weights at (0, 0), and the grid covers [-r, r]².

A path θ_t projects orthogonally onto the plane: (a, b) = G⁻¹ [d e]ᵀ (θ_t - θ_0) with G the 2x2 Gram matrix
of d and e, and its distance off the plane is ‖θ_t - θ_0 - a d - b e‖.

Cost: for an MLP the first layer is linear in (a, b), so its pre-activations are computed once per
direction, W1(a, b) x + b1(a, b) = (W1_0 x + b1_0) + a (D1 x + d1) + b (E1 x + e1), and each grid point
pays only for the layers after it (the lecture's MLP: 784x512 of its 784x512 + 512x512 + 512x10 weights).

Cancelling: :func:`slice_loss` asks ``cancelled()`` before every grid point and raises :class:`Cancelled`
when it says so, so a front end that no longer wants a slice (a newer request, another scenario, quit)
waits for one point at most (the lecture's MLP on 1,000 images: about 7 ms), not for the grid.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch

from sgd_tui.core.objectives.network import MLPProblem, mlp_forward
from sgd_tui.core.theory.flat import flat_copy, flatten, unflatten
from sgd_tui.core.theory.sharpness import fixed_subset

__all__ = ["Plane", "Slice", "PathPoint", "Landscape", "plane_through", "random_plane", "anchor_grid", "centered_grid", "slice_loss", "project", "PlaneError", "Cancelled", "compute_landscape", "run_path"]


class PlaneError(ValueError):
    """The three points do not span a plane (two runs ended on one line through the start)."""


class Cancelled(Exception):
    """The slice was given up between two grid points (its ``cancelled()`` said so); ``done`` = points computed."""

    def __init__(self, done: int) -> None:
        super().__init__(f"slice cancelled after {done} grid points")
        self.done = done


@dataclass
class Plane:
    """θ(a, b) = origin + a·d + b·e on flat weight vectors; ``anchors`` = [(name, a, b)]."""

    origin: torch.Tensor
    d: torch.Tensor
    e: torch.Tensor
    kind: str  # "three_points" | "random"
    anchors: list[tuple[str, float, float]] = field(default_factory=list)

    def point(self, a: float, b: float) -> torch.Tensor:
        return self.origin + a * self.d + b * self.e


@dataclass
class Slice:
    """The loss on the grid: ``loss[j][i]`` = R(θ(a_values[i], b_values[j])) (rows are b)."""

    plane: Plane
    a_values: list[float]
    b_values: list[float]
    loss: list[list[float]]

    def rows(self):
        """(a, b, loss) for every grid node, a fastest (the rows of landscape.csv)."""
        for j, b in enumerate(self.b_values):
            for i, a in enumerate(self.a_values):
                yield a, b, self.loss[j][i]

    def at(self, a: float, b: float) -> float:
        """The loss at the grid node nearest to (a, b)."""
        i = min(range(len(self.a_values)), key=lambda k: abs(self.a_values[k] - a))
        j = min(range(len(self.b_values)), key=lambda k: abs(self.b_values[k] - b))
        return self.loss[j][i]


class PathPoint(tuple):
    """(step, a, b, off_plane) of one snapshot projected onto a plane."""

    __slots__ = ()

    def __new__(cls, step: int, a: float, b: float, off_plane: float):
        return super().__new__(cls, (step, a, b, off_plane))

    step = property(lambda s: s[0])
    a = property(lambda s: s[1])
    b = property(lambda s: s[2])
    off_plane = property(lambda s: s[3])


# ----------------------------------------------------------------------------- planes

def plane_through(start: torch.Tensor, a_end: torch.Tensor, b_end: torch.Tensor,
                  names: tuple[str, str, str] = ("start", "A", "B")) -> Plane:
    """The plane through three flat weight vectors, with the anchors at (0, 0), (1, 0), (0, 1)."""
    d, e = a_end - start, b_end - start
    nd, ne = float(torch.linalg.vector_norm(d)), float(torch.linalg.vector_norm(e))
    if nd == 0 or ne == 0:
        raise PlaneError(f"{names[1] if nd == 0 else names[2]} has not moved from the start: no plane")
    cos = float(torch.dot(d, e)) / (nd * ne)
    if abs(cos) > 0.9999:
        raise PlaneError(f"{names[1]} and {names[2]} lie on one line through the start (cos {cos:.5f}): "
                         "choose other runs, or random directions around one run")
    return Plane(start, d, e, "three_points", [(names[0], 0.0, 0.0), (names[1], 1.0, 0.0), (names[2], 0.0, 1.0)])


def random_plane(params: Sequence[torch.Tensor], seed: int = 0, name: str = "run") -> Plane:
    """Two filter-normalised Gaussian directions around ``params`` (Li et al. 2018): for every weight
    matrix each row of the direction gets the norm of the matching row of the weights; vectors (biases)
    get zero."""
    g = torch.Generator().manual_seed(seed)
    dirs = []
    for _ in range(2):
        parts = []
        for p in params:
            w = p.detach()
            if w.dim() <= 1:
                parts.append(torch.zeros_like(w))
                continue
            r = torch.randn(w.shape, generator=g, dtype=torch.float64).to(w.device, w.dtype)
            rn = torch.linalg.vector_norm(r.reshape(r.shape[0], -1), dim=1).clamp_min(1e-30)
            wn = torch.linalg.vector_norm(w.reshape(w.shape[0], -1), dim=1)
            parts.append(r * (wn / rn).reshape(-1, *([1] * (w.dim() - 1))))
        dirs.append(flatten(parts))
    return Plane(flat_copy(params), dirs[0], dirs[1], "random", [(name, 0.0, 0.0)])


def anchor_grid(resolution: int = 21, margin: float = 0.5) -> list[float]:
    """Coordinates with nodes at 0 and 1 exactly, reaching about ``margin`` past them on each side:
    ``resolution`` nodes, step 1/q with q + 2m = resolution - 1 and m/q ≈ margin."""
    n = max(3, int(resolution))
    m = max(0, min((n - 2) // 2, round((n - 1) * margin / (1 + 2 * margin))))
    q = n - 1 - 2 * m
    return [(k - m) / q for k in range(n)]


def centered_grid(resolution: int = 21, radius: float = 1.0) -> list[float]:
    """``resolution`` evenly spaced coordinates on [-radius, radius] (0 is a node when it is odd)."""
    n = max(2, int(resolution))
    return [-radius + 2 * radius * k / (n - 1) for k in range(n)]


# ----------------------------------------------------------------------------- the slice
@torch.no_grad()
def slice_loss(problem, plane: Plane, a_values: Sequence[float], b_values: Sequence[float],
               idx: torch.Tensor | None, cancelled: Callable[[], bool] | None = None) -> Slice:
    """R(θ(a, b)) on the grid a_values × b_values, R = ``problem.training_loss`` on the examples ``idx``;
    :class:`Cancelled` as soon as ``cancelled()`` is true (asked before every grid point)."""
    like = problem.params
    P = unflatten(plane.origin, like)
    D = unflatten(plane.d, like)
    E = unflatten(plane.e, like)
    rows: list[list[float]] = []
    first = None
    if isinstance(problem, MLPProblem):
        x = problem.inputs(idx)
        y = problem.targets(idx)
        # the first layer's pre-activation is affine in (a, b): three products, once
        first = [torch.nn.functional.linear(x, W, c) for W, c in ((P[0], P[1]), (D[0], D[1]), (E[0], E[1]))]
    penalised = getattr(problem, "regularization", "none") != "none" and getattr(problem, "reg_strength", 0.0)

    def at(p, dp, ep, a, b):
        return torch.add(p, dp, alpha=a).add_(ep, alpha=b)

    done = 0
    for b in b_values:
        row = []
        for a in a_values:
            if cancelled is not None and cancelled():
                raise Cancelled(done)
            done += 1
            if first is not None:
                # the first layer's weights are needed only for the penalty: its products are precomputed
                ps = [at(p, dp, ep, a, b) if (k >= 2 or penalised) else p for k, (p, dp, ep) in enumerate(zip(P, D, E))]
                out = mlp_forward(ps, x, problem.activation, first=at(first[0], first[1], first[2], a, b))
                loss = problem.data_loss(out, y)
                if penalised:
                    loss = loss + problem.penalty(ps)
            else:
                loss = problem.training_loss([at(p, dp, ep, a, b) for p, dp, ep in zip(P, D, E)], idx)
            row.append(loss)
        v = torch.stack(row).double().cpu().tolist()  # one sync per row
        rows.append([x_ if math.isfinite(x_) else math.inf for x_ in v])
    return Slice(plane, list(a_values), list(b_values), rows)


def project(plane: Plane, snapshots: Sequence[tuple[int, torch.Tensor]]) -> list[PathPoint]:
    """Each (step, flat weights) projected orthogonally onto the plane: (step, a, b, distance off it)."""
    D = torch.stack((plane.d, plane.e)).double()
    origin = plane.origin.to(D.device).double()
    G = D @ D.T
    out = []
    for step, theta in snapshots:
        r = theta.to(D.device, torch.float64, copy=True).sub_(origin)  # never in place on a snapshot
        a, b = torch.linalg.solve(G, D @ r).tolist()
        off = float(torch.linalg.vector_norm(r.sub_(D[0], alpha=a).sub_(D[1], alpha=b)))
        out.append(PathPoint(int(step), a, b, off if math.isfinite(off) else math.inf))
    return out


def run_path(runner) -> list[tuple[int, torch.Tensor]]:
    """A runner's kept snapshots and, when it moved since the last one, its current weights."""
    log = getattr(runner, "snapshots", None)
    items = log.snapshots() if log is not None else []
    if not items or items[-1][0] != runner.step:
        items.append((runner.step, flat_copy(runner.problem.params).cpu()))
    return items


def subset_for(problem, size: int | None, seed: int) -> torch.Tensor | None:
    """The fixed seeded subset the slice is computed on (a different stream from the sharpness meter's)."""
    if not problem.n_train:
        return None
    return fixed_subset(problem.n_train, size, seed + 3, problem.params[0].device)


# ----------------------------------------------------------------------------- one call for the front ends
@dataclass
class Landscape:
    """A slice and the runs' projected paths: ``paths[label]`` = [PathPoint]; ``seconds`` it took."""

    slice: Slice
    paths: dict[str, list[PathPoint]]
    seconds: float


def compute_landscape(runners: Sequence, *, mode: str = "plane", runs: Sequence[str] | None = None,
                      resolution: int = 21, subset: int | None = 1000, margin: float = 0.5, radius: float = 1.0,
                      seed: int = 0, cancelled: Callable[[], bool] | None = None) -> Landscape:
    """The slice for runs of one objective (``runners``: engine Runners sharing objective, options and
    seed, so one start) and every runner's path on it.

    mode "plane": through the shared start and the current weights of ``runs`` (two labels; default the
    first two runners); mode "random": filter-normalised directions around the current weights of
    ``runs[0]``. Call it between steps (the training thread, or with the runs paused): it reads the weights.
    ``cancelled``: asked before every grid point; :class:`Cancelled` when it says yes.
    """

    t0 = time.perf_counter()
    by_label = {r.spec.label: r for r in runners}
    names = list(runs) if runs else [r.spec.label for r in runners[: 2 if mode == "plane" else 1]]
    missing = [n for n in names if n not in by_label]
    if missing:
        raise PlaneError(f"no run labelled {missing[0]!r}; runs: " + ", ".join(by_label))
    chosen = [by_label[n] for n in names]
    problem = chosen[0].problem
    if mode == "plane":
        if len(chosen) != 2:
            raise PlaneError("the plane through three points needs two runs besides the start")
        start = run_path(chosen[0])[0][1]
        if start is None or run_path(chosen[0])[0][0] != 0:
            raise PlaneError("the start was not kept: set budget.snapshot_every")
        ends = [flat_copy(r.problem.params).cpu() for r in chosen]
        plane = plane_through(start, ends[0], ends[1], ("start", names[0], names[1]))
        a_values = anchor_grid(resolution, margin)
        b_values = list(a_values)
    else:
        plane = random_plane(chosen[0].problem.params, seed=seed, name=names[0])
        plane = Plane(plane.origin.cpu(), plane.d.cpu(), plane.e.cpu(), plane.kind, plane.anchors)
        a_values = centered_grid(resolution, radius)
        b_values = list(a_values)
    device = problem.params[0].device
    on_device = Plane(plane.origin.to(device), plane.d.to(device), plane.e.to(device), plane.kind, plane.anchors)
    sl = slice_loss(problem, on_device, a_values, b_values, subset_for(problem, subset, seed), cancelled)
    sl.plane = plane
    paths = {r.spec.label: project(plane, run_path(r)) for r in runners}
    return Landscape(sl, paths, time.perf_counter() - t0)
