"""The ``c`` key: the selected GD run's flows on the surface and loss plots, mixed into
:class:`~sgd_tui.ui.widgets.plot_area.PlotArea` (which holds ``_runs``, ``selected`` and ``set_runs``).

On edge_valley its central flow, in closed form (:func:`~sgd_tui.plotting.flowseries.central_flow_series`):
a grey path through GD's zig-zag and its predicted time-averaged loss. On the other surfaces the gradient flow
of f (grey, "gradient flow") and the flow of the modified loss f̃ = f + (α/4)‖∇f‖² (light grey, "modified
flow") that GD follows to second order, solved in a thread worker (:mod:`sgd_tui.ui.jobs.flows`). The legend
names them (:meth:`FlowOverlay.flow_legend`; plain words: a combining tilde is lost in many terminal fonts).
They are drawn under the runs.
"""

from __future__ import annotations

from functools import partial

from sgd_tui.plotting.flowseries import FLOW_COLOR, MODIFIED_COLOR, central_flow_series, gd_flow_surface
from sgd_tui.ui.jobs.flows import FlowsReady, compute_flows
from sgd_tui.ui.widgets.runs_plot import PlotRun

__all__ = ["FlowOverlay"]


class FlowOverlay:
    """The flows of the selected GD run (see the module docstring)."""

    flow_on = False
    _flow: tuple[tuple, list[PlotRun]] = ((), [])  # (what they were computed for, the flows as runs)
    _flows_pending: tuple = ()  # the key of the flows a worker is solving

    def toggle_flow(self) -> bool:
        """The selected GD run's flows, or not: on edge_valley its central flow (a grey path through its
        zig-zag and its predicted time-averaged loss); on the other surfaces the gradient flow of f (grey) and
        the flow of the modified loss f̃ = f + (α/4)‖∇f‖² (light grey) that GD follows (:mod:`..jobs.flows`)."""
        self.flow_on = not self.flow_on
        self.set_runs(self._runs)
        return self.flow_on

    def flow_runs(self) -> list[PlotRun]:
        """The selected run's flows as PlotRuns (cached per spec and budget; the modified flows come from a
        thread worker, so they join the plots a moment later), or []."""
        entry = next((r for r in self._runs if r.run_id == self.selected), None)
        if not self.flow_on or entry is None:
            return []
        spec = entry.shown_spec()
        steps = spec.budget.get("steps") or 0
        key = (spec.objective, repr(sorted(spec.objective_options.items())), spec.optimizer,
               repr(sorted(spec.hyper.items())), repr(sorted(spec.settings.items())), steps)
        if key == self._flow[0]:
            return self._flow[1]
        self._flow = (key, [])
        args = (spec.objective, spec.objective_options, spec.optimizer, spec.hyper, spec.settings)
        if not steps or gd_flow_surface(*args) is None:
            return []
        series = central_flow_series(*args, steps)
        if series is not None:
            self._flow = (key, [PlotRun("central-flow", "central flow", FLOW_COLOR, series)])
        else:
            self._flows_pending = key
            self.run_worker(partial(compute_flows, self.post_message, key, *args, steps), thread=True,
                            exclusive=True, group="flows", exit_on_error=False)
        return self._flow[1]

    def flows_coming(self) -> bool:
        """Whether the selected run's flows are being solved (they join the plots when ready)."""
        return self.flow_on and not self._flow[1] and bool(self._flow[0]) and self._flows_pending == self._flow[0]

    def flow_run(self) -> PlotRun | None:
        """The first of :meth:`flow_runs` (edge_valley's central flow), or None."""
        return next(iter(self.flow_runs()), None)

    def flow_legend(self) -> list[tuple[str, tuple[int, int, int]]]:
        """The flows drawn now, for the legend: (label, colour)."""
        return [(r.label, r.color) for r in self._flow[1]] if self.flow_on else []

    def on_flows_ready(self, m: FlowsReady) -> None:
        if m.key != self._flow[0] or m.flows is None:
            return
        f, modified = m.flows
        self._flow = (m.key, [PlotRun("flow-f", "gradient flow", FLOW_COLOR, f),
                              PlotRun("flow-f-tilde", "modified flow", MODIFIED_COLOR, modified)])
        self.set_runs(self._runs)
