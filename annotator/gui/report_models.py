"""Qt models for report tables: plain records shown through columns, sortable through a proxy."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QApplication, QHeaderView, QTableView

from annotator.gui.models import Index, _FlatTableModel

SORT_ROLE = Qt.ItemDataRole.UserRole  # the raw value, for sorting (numbers sort as numbers)


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

    ``muted(record)`` greys a row out (e.g. a label with no data); ``color(record)`` puts a
    swatch of that colour before the first column's text.
    """

    def __init__(self, columns: Sequence[Column], *, muted: Callable[[Any], bool] | None = None,
                 color: Callable[[Any], str | None] | None = None):
        super().__init__()
        self.columns = tuple(columns)
        self.HEADERS = tuple(c.header for c in self.columns)
        self._muted, self._color = muted, color
        self._rows: list[Any] = []
        self._icons: dict[str, QIcon] = {}

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def rows(self) -> list[Any]:
        return list(self._rows)

    def _row_count(self) -> int:
        return len(self._rows)

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
        if role == SORT_ROLE:
            value = column.value(record)
            if value is None:
                return float("-inf") if column.numeric else ""
            return value if isinstance(value, (int, float)) else str(value)
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


def sorted_view(model: RecordModel, name: str, stretch: tuple[int, ...] | None = None,
                max_width: int = 360) -> tuple[QTableView, QSortFilterProxyModel]:
    """A read-only, row-selecting, sortable table over ``model`` (sorted by its raw values).

    With ``stretch=None`` the columns share the width; else the ``stretch`` columns share what
    the others, sized to their contents (at most ``max_width``) once the rows are in, leave.
    """
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    proxy.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    table = QTableView()
    table.setObjectName(name)
    table.setModel(proxy)
    proxy.setParent(table)
    table.setSortingEnabled(True)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    header = table.horizontalHeader()
    header.setHighlightSections(False)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
    if stretch is None:
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        return table, proxy
    for column in stretch:
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)

    def fit_columns() -> None:
        for column in range(model.columnCount()):
            if column not in stretch:
                table.resizeColumnToContents(column)
                table.setColumnWidth(column, min(max_width, table.columnWidth(column)))

    model.modelReset.connect(fit_columns)
    return table, proxy


def fit_height(table: QTableView, rows: int) -> None:
    """Let ``table`` be as tall as its header and ``rows`` rows, no taller (a layout gives the rest away)."""
    frame = 2 * table.frameWidth()
    scroll = table.horizontalScrollBar().sizeHint().height() if table.horizontalScrollBar().isVisible() else 0
    height = table.horizontalHeader().sizeHint().height() + rows * table.verticalHeader().defaultSectionSize()
    table.setMaximumHeight(height + frame + scroll)


def source_row(table: QTableView, index: QModelIndex) -> int:
    """The model row behind a row of a :func:`sorted_view` table."""
    proxy = table.model()
    assert isinstance(proxy, QSortFilterProxyModel)
    return proxy.mapToSource(index).row()
