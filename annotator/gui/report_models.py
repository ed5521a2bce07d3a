"""Qt models for report tables: plain records shown through columns, sorted and filtered in Python."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QApplication, QHeaderView, QTableView

from annotator.gui.models import Index, _FlatTableModel



def pct(value: float | None) -> str:
    """A score in percent with one decimal; "—" when it is undefined."""
    return "—" if value is None else f"{100 * value:.1f}"


def swatch(color: str, size: int = 12) -> QIcon:
    """A small square of a label's colour."""
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


def muted_text() -> QColor:
    """Text colour for rows with nothing in them: half-way between text and background (readable, quiet)."""
    palette = QApplication.palette()
    text, base = palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base)
    return QColor((text.red() + base.red()) // 2, (text.green() + base.green()) // 2, (text.blue() + base.blue()) // 2)


@dataclass(frozen=True)
class Column:
    """One column of a :class:`RecordModel`: its header, raw value, shown text and alignment."""

    header: str
    value: Callable[[Any], Any]
    text: Callable[[Any], str] = str
    numeric: bool = False
    tip: str = ""


class RecordModel(_FlatTableModel):
    """Rows of plain records (dataclasses, tuples), one :class:`Column` per column.

    Sorting (a header click) and filtering run on the records in Python, not through a proxy
    that would call :meth:`data` for every comparison: 20,000 rows sort in milliseconds.
    ``muted(record)`` greys a row out (e.g. a label with no data); ``color(record)`` puts a
    swatch of that colour before the first column's text.
    """

    def __init__(self, columns: Sequence[Column], *, muted: Callable[[Any], bool] | None = None,
                 color: Callable[[Any], str | None] | None = None):
        super().__init__()
        self.columns = tuple(columns)
        self.HEADERS = tuple(c.header for c in self.columns)
        self._muted, self._color = muted, color
        self._all: list[Any] = []  # every record, in the order given
        self._rows: list[Any] = []  # those shown, in the order shown
        self._keep: Callable[[Any], bool] | None = None
        self._order: tuple[int, Qt.SortOrder] | None = None
        self._icons: dict[str, QIcon] = {}

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._all = list(rows)
        self._rows = self._arranged()
        self.endResetModel()

    def set_filter(self, keep: Callable[[Any], bool] | None) -> None:
        """Show only the records ``keep`` accepts (None: all of them)."""
        self.beginResetModel()
        self._keep = keep
        self._rows = self._arranged()
        self.endResetModel()

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def rows(self) -> list[Any]:
        """The records shown, in the order shown."""
        return list(self._rows)

    def total(self) -> int:
        """How many records there are, shown or filtered out."""
        return len(self._all)

    def _row_count(self) -> int:
        return len(self._rows)

    def _sort_key(self, column: Column) -> Callable[[Any], Any]:
        def key(record: Any) -> Any:
            value = column.value(record)
            if column.numeric:
                return float("-inf") if value is None else value
            return "" if value is None else str(value).casefold()
        return key

    def _arranged(self) -> list[Any]:
        rows = [r for r in self._all if self._keep(r)] if self._keep is not None else list(self._all)
        if self._order is not None:
            column, order = self._order
            rows.sort(key=self._sort_key(self.columns[column]), reverse=order == Qt.SortOrder.DescendingOrder)
        return rows

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        self.layoutAboutToBeChanged.emit()
        self._order = (column, order)
        before = self._rows
        self._rows = self._arranged()
        where = {id(record): row for row, record in enumerate(self._rows)}
        persistent = self.persistentIndexList()
        self.changePersistentIndexList(
            persistent, [self.index(where[id(before[i.row()])], i.column()) for i in persistent])
        self.layoutChanged.emit()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if (role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(self.columns)):
            return self.columns[section].tip or None
        return super().headerData(section, orientation, role)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows) or not 0 <= index.column() < len(self.columns):
            return None
        record, column = self._rows[index.row()], self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return column.text(column.value(record))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if column.numeric else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and self._muted is not None and self._muted(record):
            return QBrush(muted_text())
        if role == Qt.ItemDataRole.DecorationRole and index.column() == 0 and self._color is not None:
            color = self._color(record)
            if color:
                if color not in self._icons:
                    self._icons[color] = swatch(color)
                return self._icons[color]
        return None


def report_table(model: RecordModel, name: str, stretch: tuple[int, ...] | None = None,
                 max_width: int = 360) -> QTableView:
    """A read-only, row-selecting table over ``model``, sorted by a click on a header.

    With ``stretch=None`` the columns share the width; else the ``stretch`` columns share what
    the others, sized to their contents (at most ``max_width``, measured on the first rows)
    once the rows are in, leave.
    """
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setSortingEnabled(True)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    rows = table.verticalHeader()
    rows.hide()
    rows.setDefaultSectionSize(table.fontMetrics().height() + 8)
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    rows.setResizeContentsPrecision(200)  # column widths from the first 200 rows, not 1,000
    header = table.horizontalHeader()
    header.setHighlightSections(False)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
    if stretch is None:
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        return table
    for column in stretch:
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)

    def fit_columns() -> None:
        for column in range(model.columnCount()):
            if column not in stretch:
                table.resizeColumnToContents(column)
                table.setColumnWidth(column, min(max_width, table.columnWidth(column)))

    model.modelReset.connect(fit_columns)
    return table


def fit_height(table: QTableView, rows: int) -> None:
    """Let ``table`` be as tall as its header and ``rows`` rows, no taller (a layout gives the rest away)."""
    frame = 2 * table.frameWidth()
    scroll = table.horizontalScrollBar().sizeHint().height() if table.horizontalScrollBar().isVisible() else 0
    height = table.horizontalHeader().sizeHint().height() + rows * table.verticalHeader().defaultSectionSize()
    table.setMaximumHeight(height + frame + scroll)
