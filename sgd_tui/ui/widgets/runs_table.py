"""The runs table: one row per run with its settings and live figures.

Rows are keyed by run id; :meth:`RunsTable.sync` touches only the cells of runs whose ``version``
changed since the last sync, so a 5 Hz refresh of a quiet table costs nothing and writes no bytes.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from sgd_tui.core.text import safe_text
from sgd_tui.plotting.style import NORMAL
from sgd_tui.ui.run_entry import RunEntry

__all__ = ["RunsTable", "fmt_num", "to_target_text"]

# live figures first, so a narrow terminal still shows them; the settings follow
COLUMNS = ("run", "status", "step", "loss", "best", "to target", "|g|", "samples/s", "optimizer", "hyperparameters")
# Fixed widths for the live columns (cells are updated in place without re-measuring the table): a number
# from fmt_num is at most 10 characters ("-1.234e+05"), a status at most 14 ("diverged@12345").
RUN_WIDTH = 20  # labels longer than this are cut in the table (the legend shows them whole)
WIDTHS = {"run": RUN_WIDTH, "status": 14, "step": 7, "loss": 10, "best": 10, "to target": 20, "|g|": 10, "samples/s": 10, "optimizer": 9}


def fmt_num(x: float | None) -> str:
    """Short numbers for narrow cells: 4 significant digits, scientific outside [1e-3, 1e5)."""
    if x is None:
        return "–"
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e5:
        return f"{x:.4g}"
    return f"{x:.2e}"


def to_target_text(to_target: tuple[int, int, float] | None, timings: bool = True) -> str:
    """The "to target" cell: ``steps · samples · seconds`` once the run reached the target, else "–"
    (seconds left out when timings are off: they depend on the machine)."""
    if to_target is None:
        return "–"
    steps, samples, seconds = to_target
    return f"{steps}·{samples}" + (f"·{seconds:.3g}s" if timings else "")


class RunsTable(DataTable):
    """A DataTable of runs; the cursor row is the selected run."""

    def __init__(self, *, timings: bool = True, monochrome: bool = False, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.timings = timings  # off for reproducible snapshots: samples/s depends on the machine
        self.monochrome = monochrome
        self.style = NORMAL  # presenter mode: the bright palette (plotting.style)
        self._seen: dict[str, tuple] = {}
        self._reselect: str | None = None

        self.columns_shown: tuple[str, ...] = ()
        self.has_target = False  # the budget sets target_loss: a "to target" column (steps · samples · seconds)
        self._runs: list[RunEntry] = []

    def fit_columns(self, width: int, runs: list[RunEntry]) -> tuple[str, ...]:
        """The columns that fit in ``width`` cells, in COLUMNS order (live figures first): a narrow terminal
        drops the settings, then |g| and samples/s, rather than cutting a header short. Each column takes
        its width plus the cell padding on both sides. Only the width decides (not the labels), so typing
        a label never rebuilds the table under the cursor."""
        pad = 2 * self.cell_padding
        shown, used = [], 1  # the scroll bar's column
        for c in COLUMNS:
            if c == "to target" and not self.has_target:
                continue
            w = WIDTHS.get(c, 16) + pad
            if c in ("run", "status", "step", "loss") or used + w <= width:
                shown.append(c)
                used += w
        return tuple(shown)

    def _set_columns(self, columns: tuple[str, ...]) -> None:
        self.clear(columns=True)
        self.columns_shown = columns
        for c in columns:
            self.add_column(c, key=c, width=WIDTHS.get(c))
        self._seen = {}

    def on_resize(self) -> None:
        self.sync(self._runs)

    def set_style(self, style) -> None:
        """Draw the run names in ``style``'s colours (every row's cells are redrawn at the next sync)."""
        self.style = style
        self._seen = {k: (None, *v[1:]) for k, v in self._seen.items()}

    def _cells(self, r: RunEntry) -> tuple:
        style = "" if self.monochrome else "rgb({},{},{})".format(*self.style.color(r.color))
        label = safe_text(r.spec.label, newlines=False)
        name = Text(("" if r.visible else "◌ ") + label, style=style if r.visible else "dim")
        p = r.progress
        status = Text(r.status_text, style={"diverged": "red", "error": "bold red", "invalid": "red"}.get(
            p.status if not r.invalid else "invalid", ""))
        sps = fmt_num(p.samples_per_s) if self.timings else "–"
        cells = dict(zip(COLUMNS, (name, status, str(p.step), fmt_num(p.last_loss), fmt_num(p.best_loss),
                                   to_target_text(p.to_target, self.timings), fmt_num(p.grad_norm), sps, r.spec.optimizer, r.spec.key_hyper(lr_always=True))))
        return tuple(cells[c] for c in self.columns_shown)

    def sync(self, runs: list[RunEntry]) -> None:
        """Make the rows match ``runs`` (order, membership and changed cells).

        Only cells whose text changed are updated: over SSH every repainted cell costs bytes.
        """
        self._runs = list(runs)
        columns = self.fit_columns(self.size.width or 80, runs)
        if columns != self.columns_shown:
            selected = self.selected_id
            self._set_columns(columns)
            self._reselect = selected
        ids = [r.run_id for r in runs]
        if list(self._seen) != ids:
            selected = self.selected_id or self._reselect
            self._reselect = None
            self.clear()
            self._seen = {}
            for r in runs:
                cells = self._cells(r)
                self.add_row(*cells, key=r.run_id)
                self._seen[r.run_id] = (r.version, r.visible, self.timings, cells)
            if selected in ids:
                self.move_cursor(row=ids.index(selected))
            return
        for r in runs:
            stamp = (r.version, r.visible, self.timings)
            old = self._seen.get(r.run_id)
            if old is not None and old[:3] == stamp:
                continue
            cells = self._cells(r)
            for col, value, before in zip(self.columns_shown, cells, old[3] if old else (None,) * len(cells)):
                if value != before:
                    self.update_cell(r.run_id, col, value)
            self._seen[r.run_id] = (*stamp, cells)

    @property
    def selected_id(self) -> str | None:
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # the cursor is outside the rows while the table is rebuilt
            return None

    def select(self, run_id: str) -> None:
        ids = list(self._seen)
        if run_id in ids:
            self.move_cursor(row=ids.index(run_id))
