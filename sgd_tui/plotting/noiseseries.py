"""Per-run data of the noise-scale plot (no Textual): a run's B_simple measurements (budget ``noise_every``,
:class:`~sgd_tui.core.run.records.NoiseRecord`) in bounded memory, with the loss plot's x values."""

from __future__ import annotations

import numpy as np

from sgd_tui.plotting.netseries import MeasurementSeries, x_values

__all__ = ["NoiseSeries"]


class NoiseSeries(MeasurementSeries):
    """A run's B_simple measurements (:class:`~sgd_tui.plotting.netseries.MeasurementSeries`: bounded,
    versioned)."""

    def xy(self, x_key: str = "step", n_train: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(x, B_simple) with x the step, the samples seen, the epoch (samples / n_train) or the run's time."""
        rs = self.records
        return (np.asarray(x_values(rs, x_key, n_train), dtype=float),
                np.asarray([r.b_simple for r in rs], dtype=float))
