"""The network scenarios replayed headless, with what their descriptions promise asserted on the files.

``edge-of-stability`` runs at its own settings (3 runs x 6,000 full-batch steps with λmax every 50 steps:
about 20 s on an idle 2-core machine, marked slow; CI runs it). ``landscape`` runs at its own settings
(a few seconds). ``fashion-landscape`` runs on 5,000 synthetic images in FashionMNIST's format (its
optimizers, batch size, epochs and landscape table unchanged). Thresholds come from
measured replays (docs/scenarios.md) with a margin.
"""

from __future__ import annotations

import csv
import json
import statistics
from collections import defaultdict
from pathlib import Path

import pytest

from sgd_tui.core.scenario.parse import load_scenario, with_overrides
from sgd_tui.replay.run import replay


def replay_to(scenario, out: Path) -> dict:
    assert replay(scenario, out, progress=None) == 0
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def rises(values: list[float]) -> int:
    return sum(b > a for a, b in zip(values, values[1:]))


class Slice:
    """landscape.csv and landscape_paths.csv read back."""

    def __init__(self, out: Path):
        self.grid = {(round(float(r["a"]), 9), round(float(r["b"]), 9)): float(r["loss"])
                     for r in read_csv(out / "landscape.csv")}
        self.paths: dict[str, list[dict]] = defaultdict(list)
        for r in read_csv(out / "landscape_paths.csv"):
            self.paths[r["run"]].append({k: float(v) for k, v in r.items() if k != "run"})
        self.nodes = sorted({a for a, _ in self.grid})

    def at(self, a: float, b: float) -> float:
        near = lambda v: min(self.nodes, key=lambda x: abs(x - v))  # noqa: E731
        return self.grid[(near(a), near(b))]

    def segment(self) -> list[float]:
        """The loss on the straight segment between the two anchor runs' ends (a + b = 1), A to B."""
        return [v for (a, b), v in sorted(self.grid.items(), reverse=True) if abs(a + b - 1) < 1e-9 and 0 <= a <= 1]

    def ray(self, da: int, db: int) -> list[float]:
        """The loss on the segment from the start (0, 0) to the anchor (da, db)."""
        return [v for (a, b), v in sorted(self.grid.items(), key=lambda kv: kv[0][0] + kv[0][1])
                if a * db == b * da and 0 <= a + b <= 1 and a >= 0 and b >= 0]


# ----------------------------------------------------------------------------- edge of stability
@pytest.mark.slow
def test_edge_of_stability_sharpens_to_2_over_alpha_while_the_loss_keeps_falling(tmp_path):
    s = load_scenario("edge-of-stability")
    summary = replay_to(s, tmp_path)
    small, edge, large = (r.label for r in s.runs)
    assert all(r["status"] == "finished" for r in summary["runs"])
    sharp: dict[str, list[tuple[int, float, float]]] = defaultdict(list)
    for r in read_csv(tmp_path / "sharpness.csv"):
        sharp[r["run"]].append((int(r["step"]), float(r["lambda_max"]), float(r["limit"])))
    losses: dict[str, list[float]] = defaultdict(list)
    for r in read_csv(tmp_path / "metrics.csv"):
        losses[r["run"]].append(float(r["loss"]))
    steps = s.runs[0].budget["steps"]
    for label, lr in ((small, 0.1), (edge, 0.2), (large, 0.3)):
        assert all(lim == pytest.approx(2 / lr) for _, _, lim in sharp[label])
        assert [st for st, _, _ in sharp[label]] == list(range(0, steps + 1, 50))

    def last_third(label):
        return [lam for st, lam, _ in sharp[label] if st >= 2 * steps / 3]

    # progressive sharpening: λmax at least doubles from its start (measured 2.17x, 2.46x)
    for label in (small, edge):
        start = sharp[label][0][1]
        assert max(lam for _, lam, _ in sharp[label]) >= 2.0 * start
    # the larger steps settle at the edge: within ±20% of 2/α over the last third
    # (measured [0.93, 1.06] x 10 for α = 0.2, [0.99, 1.04] x 6.7 for α = 0.3, means 1.00 and 1.01)
    for label, limit in ((edge, 10.0), (large, 2 / 0.3)):
        tail = last_third(label)
        assert 0.8 * limit <= min(tail) and max(tail) <= 1.2 * limit
        assert statistics.mean(tail) == pytest.approx(limit, rel=0.1)
    # the small step ends below its limit (measured 9.4 against 20) and its loss falls monotonically
    assert sharp[small][-1][1] < 0.6 * 20.0
    assert rises(losses[small]) == 0
    # at the edge the loss keeps falling, but not monotonically (measured 279 and 1,322 rises in 6,000 steps)
    for label in (edge, large):
        loss = losses[label]
        assert loss[-1] < 0.1 * loss[0]
        third = len(loss) // 3
        assert rises(loss[2 * third:]) >= 50
    assert min(losses[edge][-100:]) < min(losses[small])  # the edge does not stop progress (0.013 vs 0.024)


# ----------------------------------------------------------------------------- landscape
def test_landscape_runs_end_below_the_start_with_a_low_ridge_between_them(tmp_path):
    s = load_scenario("landscape")
    summary = replay_to(s, tmp_path)
    sl = Slice(tmp_path)
    start = sl.at(0, 0)
    anchors = {a["name"]: a["loss"] for a in summary["landscape"]["anchors"]}
    assert anchors["start"] == pytest.approx(start)
    assert len(sl.grid) == 41 * 41
    # every run ends far below the start on the slice (measured 0.211 -> 0.017 SGD, 0.008 Adam)
    for label in ("SGD", "Adam"):
        end = sl.paths[label][-1]
        assert end["off_plane"] < 1e-9
        assert sl.at(end["a"], end["b"]) < start / 5
    # momentum's end is off the plane: its shadow on the slice reads higher than where it is
    mom = next(r for r in summary["runs"] if r["label"] == "momentum 0.9")
    m_end = sl.paths["momentum 0.9"][-1]
    assert m_end["off_plane"] > 0.5  # measured 1.97
    assert sl.at(m_end["a"], m_end["b"]) > 3 * mom["final_loss"]  # measured 0.141 against 0.008
    # the segment between the two ends rises above both but stays far below the start (measured 0.028)
    seg = sl.segment()
    assert len(seg) == 21
    assert max(seg) > 1.3 * max(seg[0], seg[-1])
    assert max(seg) < start / 4
    # from the start straight to each end: a small bump first (<5% up), then down to the end
    for da, db in ((1, 0), (0, 1)):
        ray = sl.ray(da, db)
        assert max(ray) < 1.05 * ray[0] and ray[-1] == min(ray)


@pytest.fixture(scope="module")
def fashion_root(tmp_path_factory) -> Path:
    from sgd_tui.core.objectives.data import write_fashion_like

    return write_fashion_like(tmp_path_factory.mktemp("fashion"), n_train=5000, n_test=200, seed=0)


def test_landscape_fashion_on_synthetic_images(tmp_path, fashion_root):
    s = with_overrides(load_scenario("fashion-landscape"), data_dir=str(fashion_root), device="cpu")
    small = {"train_subset": 5000, "test_subset": 200}
    s.objective_options = {**s.objective_options, **small}
    s.runs = [r.with_changes(objective_options={**r.objective_options, **small}) for r in s.runs]
    assert s.landscape["subset"] == 1000 and s.landscape["resolution"] == 21
    replay_to(s, tmp_path)
    sl = Slice(tmp_path)
    start = sl.at(0, 0)
    assert start == pytest.approx(2.3, abs=0.1)  # ln 10: ten classes, untrained
    # measured on 5,000 synthetic images: start 2.31, ends 0.047 (SGD) and 0.068 (Adam), the segment's
    # top 0.076, both rays from the start monotone
    for da, db in ((1, 0), (0, 1)):
        assert sl.at(da, db) < 0.1 * start
        ray = sl.ray(da, db)
        assert ray == sorted(ray, reverse=True)  # straight downhill from the start
    seg = sl.segment()
    assert max(seg[0], seg[-1]) < max(seg) < 0.1 * start  # a slight rise between the ends
