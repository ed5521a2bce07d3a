"""The Evaluation view: spaCy's scores for the current gold, a bar chart per label, disagreements."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSplitter, QTableView, QTableWidget,
    QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget,
)

from annotator.core.evaluation import Disagreement
from annotator.core.labels import LabelSet
from annotator.gui.models import _FlatTableModel
from annotator.ops.evaluating import EvaluationReport

Index = QModelIndex | QPersistentModelIndex
KIND_TEXT = {"type": "wrong label", "boundary": "wrong boundaries", "missed": "missed", "spurious": "spurious"}


class DisagreementModel(_FlatTableModel):
    """Where model and gold disagree: document, text, gold label, predicted label, kind."""

    HEADERS = ("Document", "Text", "Gold", "Predicted", "Kind")

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[Disagreement] = []

    def set_rows(self, rows: list[Disagreement]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Disagreement:
        return self._rows[row]

    def _row_count(self) -> int:
        return len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        d = self._rows[index.row()]
        return (d.source, d.text.replace("\n", " ⏎ "), d.gold_label or "—", d.predicted_label or "—",
                KIND_TEXT[d.kind])[index.column()]


class BarChart(QWidget):
    """Grouped bars: precision, recall and F per label (0-100%)."""

    SERIES = (("P", QColor("#4477AA")), ("R", QColor("#EE6677")), ("F", QColor("#228833")))

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._rows: list[tuple[str, float, float, float]] = []
        self.setMinimumHeight(220)

    def set_scores(self, per_type: dict[str, dict[str, float]]) -> None:
        self._rows = [(label, s["p"], s["r"], s["f"]) for label, s in sorted(per_type.items())]
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text_color = self.palette().windowText().color()
        left, bottom, top = 36.0, self.height() - 48.0, 22.0
        width = self.width() - left - 8
        painter.setPen(text_color)
        for pct in (0, 50, 100):
            y = bottom - (bottom - top) * pct / 100
            painter.drawText(QRectF(0, y - 8, left - 4, 16), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{pct}")
            grid = QColor(text_color)
            grid.setAlpha(50)
            painter.setPen(grid)
            painter.drawLine(int(left), int(y), int(left + width), int(y))
            painter.setPen(text_color)
        x = left
        for i, (name, color) in enumerate(self.SERIES):
            painter.fillRect(QRectF(left + 60 * i, 4, 10, 10), color)
            painter.drawText(QRectF(left + 60 * i + 14, 0, 40, 18), Qt.AlignmentFlag.AlignVCenter, name)
        if not self._rows:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No scores yet")
            return
        group = width / len(self._rows)
        bar = max(2.0, min(14.0, group / 4))
        for label, *values in self._rows:
            for k, value in enumerate(values):
                h = (bottom - top) * value
                painter.fillRect(QRectF(x + group / 2 - 1.5 * bar + k * bar, bottom - h, bar - 1, h), self.SERIES[k][1])
            painter.save()
            painter.translate(x + group / 2, bottom + 4)
            painter.rotate(30)
            painter.drawText(QRectF(0, 0, 90, 14), Qt.AlignmentFlag.AlignLeft, label)
            painter.restore()
            x += group


class EvaluationDialog(QDialog):
    """Non-modal: the reviewer keeps working and presses Refresh to score the current gold."""

    def __init__(self, compute: Callable[[], EvaluationReport], open_span: Callable[[int, int, int], None],
                 labels: LabelSet, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Evaluation")
        self._compute, self._open_span = compute, open_span
        self.summary = QLabel()
        self.summary.setObjectName("evaluationSummary")
        self.summary.setWordWrap(True)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(refresh)
        self.per_label = QTableWidget(0, 7)
        self.per_label.setHorizontalHeaderLabels(["Label", "P %", "R %", "F %", "tp", "fp", "fn"])
        self.per_label.verticalHeader().hide()
        self.per_label.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.confusion = QTableWidget(0, 0)
        self.confusion.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.chart = BarChart()
        self.disagreements = DisagreementModel()
        self.disagreement_table = QTableView()
        self.disagreement_table.setObjectName("disagreements")
        self.disagreement_table.setModel(self.disagreements)
        self.disagreement_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.disagreement_table.verticalHeader().hide()
        self.disagreement_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.disagreement_table.clicked.connect(self._clicked)
        scores = QSplitter(Qt.Orientation.Vertical)
        scores.addWidget(self.per_label)
        scores.addWidget(self.chart)
        tabs = QTabWidget()
        tabs.addTab(scores, "Per label")
        tabs.addTab(self.confusion, "Confusion")
        tabs.addTab(self.disagreement_table, "Disagreements")
        self.tabs = tabs
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(tabs, 1)
        self.resize(760, 620)
        self.refresh()

    def refresh(self) -> None:
        from annotator.core.errors import AnnotatorError

        try:
            report = self._compute()
        except AnnotatorError as exc:
            self.summary.setText(str(exc))
            return
        data = report.evaluation.to_dict()

        def pct(v: Any) -> str:
            return "—" if v is None else f"{100 * v:.1f}"

        p = data["partial"]
        self.summary.setText(
            f"<b>{report.pipeline}</b> on {report.documents} accepted document(s): "
            f"<b>P {pct(data['ents_p'])} · R {pct(data['ents_r'])} · F {pct(data['ents_f'])}</b> "
            f"(tp {data['tp']}, fp {data['fp']}, fn {data['fn']}; exact match, as spaCy). "
            f"Partial match: P {pct(p['p'])} · R {pct(p['r'])} · F {pct(p['f'])}."
        )
        per = data["ents_per_type"] or {}
        self.per_label.setRowCount(len(per))
        for row, (label, s) in enumerate(sorted(per.items())):
            for col, value in enumerate((label, pct(s["p"]), pct(s["r"]), pct(s["f"]), s["tp"], s["fp"], s["fn"])):
                item = QTableWidgetItem(str(value))
                if col:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.per_label.setItem(row, col, item)
        self.chart.set_scores(per)
        conf = data["confusion"]
        rows = sorted(conf)
        cols = sorted({c for r in conf.values() for c in r})
        self.confusion.setRowCount(len(rows))
        self.confusion.setColumnCount(len(cols))
        self.confusion.setHorizontalHeaderLabels(cols)
        self.confusion.setVerticalHeaderLabels([f"gold {r}" for r in rows])
        for i, r in enumerate(rows):
            for j, c in enumerate(cols):
                value = conf[r].get(c)
                item = QTableWidgetItem("" if value is None else str(value))
                if value and r != c:
                    item.setBackground(QColor(255, 120, 120, 90))
                self.confusion.setItem(i, j, item)
        self.disagreements.set_rows(report.evaluation.disagreements)

    def _clicked(self, index: QModelIndex) -> None:
        d = self.disagreements.row_at(index.row())
        self._open_span(d.document_id, d.start, d.end)
