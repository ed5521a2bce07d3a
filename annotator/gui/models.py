"""Qt models: the lazy document list and the span table. They translate, they do not decide."""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QGuiApplication

from annotator.core.labels import LabelSet
from annotator.core.model import ACCEPTED, IN_PROGRESS, SKIPPED, TODO
from annotator.core.spans import Span
from annotator.store import Store
from annotator.store.listing import Listing, ListQuery, ListRow

Index = QModelIndex | QPersistentModelIndex
STATE_TEXT = {TODO: "to do", IN_PROGRESS: "in progress", ACCEPTED: "✓ accepted", SKIPPED: "skipped"}
STATE_COLOR = {ACCEPTED: "#2E7D32", SKIPPED: "#8A8A8A", IN_PROGRESS: "#1565C0"}  # on a light palette
STATE_COLOR_DARK = {ACCEPTED: "#81C784", SKIPPED: "#9E9E9E", IN_PROGRESS: "#64B5F6"}  # on a dark one
PAGE = 200


class _FlatTableModel(QAbstractTableModel):
    """A flat table with fixed column ``HEADERS`` and ``_row_count()`` rows."""

    HEADERS: tuple[str, ...] = ()

    def _row_count(self) -> int:
        raise NotImplementedError

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else self._row_count()

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None


class DocumentListModel(_FlatTableModel):
    """The documents a filter holds, fetched a page at a time as the list scrolls (Qt's
    ``canFetchMore``/``fetchMore``): ids by key (``WHERE id > ? LIMIT n``), and the rows of
    a page read together when first shown. Nothing here grows with the corpus but what the
    reviewer has scrolled through."""

    HEADERS = ("Document", "State", "Spans")

    def __init__(self, store: Store, annotator: str = "", page: int = PAGE):
        super().__init__()
        self._listing = Listing(store)
        self._query = ListQuery(annotator)
        self._page = page
        self._ids: list[int] = []
        self._rows: dict[int, int] = {}  # document id -> row: row_of runs on every edit
        self._cache: dict[int, dict[int, ListRow]] = {}
        self._complete = False
        self._figures: dict[int, int] | None = None  # shown instead of the spans (set_ids)
        self._figure_name = ""

    @property
    def query(self) -> ListQuery:
        return self._query

    @property
    def listing(self) -> Listing:
        return self._listing

    def set_query(self, query: ListQuery) -> None:
        """Show what ``query`` holds: the first page at once, the rest as the list scrolls."""
        self.beginResetModel()
        self._query = query
        self._figures, self._figure_name = None, ""
        self._ids, self._rows, self._cache, self._complete = [], {}, {}, False
        self._load(self._page)
        self.endResetModel()

    def set_ids(self, query: ListQuery, ids: list[int], figures: dict[int, int] | None = None,
                figure_name: str = "") -> None:
        """Show exactly ``ids`` in this order (an adjudication queue, a disagreement ranking);
        rows are read for ``query.annotator`` a page at a time as they are shown. With
        ``figures`` the last column shows them (headed ``figure_name``) instead of the spans."""
        self.beginResetModel()
        self._query = query
        self._figures, self._figure_name = figures, figure_name
        self._ids = list(ids)
        self._rows = {doc_id: row for row, doc_id in enumerate(self._ids)}
        self._cache, self._complete = {}, True
        self.endResetModel()

    def _load(self, n: int) -> list[int]:
        after = self._ids[-1] if self._ids else 0
        fresh = self._listing.page(self._query, after, n)
        if len(fresh) < n:
            self._complete = True
        for doc_id in fresh:
            self._rows[doc_id] = len(self._ids)
            self._ids.append(doc_id)
        return fresh

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: N802, B008
        return not parent.isValid() and not self._complete

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: N802, B008
        if parent.isValid() or self._complete:
            return
        first = len(self._ids)
        after = self._ids[-1] if self._ids else 0
        fresh = self._listing.page(self._query, after, self._page)
        if len(fresh) < self._page:
            self._complete = True
        if not fresh:
            return
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        for doc_id in fresh:
            self._rows[doc_id] = len(self._ids)
            self._ids.append(doc_id)
        self.endInsertRows()

    def reach(self, document_id: int) -> int | None:
        """The row of ``document_id``, loading the list up to it when the filter holds it."""
        row = self._rows.get(document_id)
        if row is not None or self._complete or (self._ids and document_id < self._ids[-1]):
            return row
        after = self._ids[-1] if self._ids else 0
        fresh = self._listing.page_upto(self._query, after, document_id)
        if not fresh or fresh[-1] != document_id:
            return None
        first = len(self._ids)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        for doc_id in fresh:
            self._rows[doc_id] = len(self._ids)
            self._ids.append(doc_id)
        self.endInsertRows()
        return self._rows[document_id]

    def loaded_ids(self) -> list[int]:
        return self._ids

    def is_complete(self) -> bool:
        return self._complete

    def row_of(self, document_id: int) -> int | None:
        return self._rows.get(document_id)

    def document_id(self, row: int) -> int:
        return self._ids[row]

    def refresh_document(self, document_id: int) -> None:
        """Re-read one document's row (after an edit or a state change)."""
        row = self.row_of(document_id)
        if row is None:
            return
        self._cache.pop(row // PAGE, None)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))

    def refresh_all(self) -> None:
        self._cache.clear()
        if self._ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, len(self.HEADERS) - 1))

    def row_data(self, row: int) -> ListRow:
        page = row // PAGE
        if page not in self._cache:
            ids = self._ids[page * PAGE:(page + 1) * PAGE]
            self._cache[page] = self._listing.rows(ids, self._query.annotator)
        return self._cache[page].get(self._ids[row], ListRow("?", TODO, 0, False, None, ""))

    def _row_count(self) -> int:
        return len(self._ids)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.ToolTipRole,
                        Qt.ItemDataRole.UserRole, Qt.ItemDataRole.TextAlignmentRole):
            return None
        if role == Qt.ItemDataRole.UserRole:
            return self._ids[index.row()]
        item = self.row_data(index.row())
        column = index.column()
        state_text = STATE_TEXT.get(item.state, item.state) + (" · edited since" if item.edited_since_accepted else "")
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter) if column == 2 else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if column != 1 or item.state not in STATE_COLOR:
                return None
            dark = QGuiApplication.palette().base().color().lightness() < 128
            return QBrush(QColor((STATE_COLOR_DARK if dark else STATE_COLOR)[item.state]))
        if role == Qt.ItemDataRole.ToolTipRole:
            flag = f"\nflagged {item.flag}" + (f": {item.note}" if item.note else "") if item.flag else ""
            return f"{item.source} — {state_text}, {item.spans} spans{flag}"
        name = f"⚑ {item.source}" if item.flag else item.source
        if column == 2 and self._figures is not None:
            return self._figures.get(self._ids[index.row()], 0)
        return (name, state_text, item.spans)[column]

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if (section == 2 and self._figures is not None and orientation == Qt.Orientation.Horizontal
                and role == Qt.ItemDataRole.DisplayRole):
            return self._figure_name
        return super().headerData(section, orientation, role)


class SpanTableModel(_FlatTableModel):
    """The current document's gold spans: text, label, origin, offsets."""

    HEADERS = ("Text", "Label", "Origin", "Start–End")

    def __init__(self, labels: LabelSet):
        super().__init__()
        self._labels = labels
        self._text = ""
        self._spans: list[Span] = []

    def set_labels(self, labels: LabelSet) -> None:
        self._labels = labels

    def set_spans(self, text: str, spans: list[Span]) -> None:
        self.beginResetModel()
        self._text = text
        self._spans = sorted(spans)
        self.endResetModel()

    def spans(self) -> list[Span]:
        return self._spans

    def span_at(self, row: int) -> Span:
        return self._spans[row]

    def row_of(self, span: Span) -> int | None:
        i = bisect_left(self._spans, span)
        return i if i < len(self._spans) and self._spans[i] == span else None

    def _row_count(self) -> int:
        return len(self._spans)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._spans):
            return None
        span = self._spans[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            text = self._text[span.start:span.end].replace("\n", " ⏎ ")
            return (text, span.label, span.origin, f"{span.start}–{span.end}")[column]
        if role == Qt.ItemDataRole.BackgroundRole and column == 1:
            return QBrush(QColor(self._labels.color(span.label)))
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            return QBrush(QColor("#111111"))
        return None
