"""noise.csv of a replay (budget ``noise_every``): ``run,step,samples,b_simple,trace_sigma,grad_norm_sq``, one
row per measurement of the gradient noise scale (:mod:`sgd_tui.core.theory.noise_scale`), opened at the first."""

from __future__ import annotations

from sgd_tui.core.run.records import NOISE_COLUMNS, NoiseRecord
from sgd_tui.replay.results_dir import ResultsDir, RowFile, csv_number

__all__ = ["NoiseWriter"]


class NoiseWriter:
    """Appends each run's noise-scale measurements to noise.csv as they come (whole rows, like metrics.csv)."""

    def __init__(self, folder: ResultsDir):
        self.folder = folder
        self.file: RowFile | None = None
        self.rows: dict[str, list[NoiseRecord]] = {}

    def write(self, label: str, rows: list[NoiseRecord]) -> None:
        if not rows:
            return
        if self.file is None:
            self.file = RowFile(self.folder.file("noise.csv"), NOISE_COLUMNS)
        self.file.append((label, r.step, r.samples, csv_number(r.b_simple), csv_number(r.trace_sigma),
                          csv_number(r.grad_norm_sq)) for r in rows)
        self.rows.setdefault(label, []).extend(rows)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
