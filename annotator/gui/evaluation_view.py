"""The Evaluation window: spaCy's scores for the current gold, per label, confusion, disagreements.

The scores are computed off the GUI thread (:class:`~annotator.gui.report_window.ReportWindow`)
over a connection of the worker's own; clicking a disagreement opens its document with the
span selected.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QAbstractScrollArea, QComboBox, QHBoxLayout, QHeaderView, QLabel, QSizePolicy, QTableView,
    QTabWidget, QVBoxLayout, QWidget,
)

from annotator.core.evaluation import DISAGREEMENTS_KEPT, MISSED, PRF, SPURIOUS, Disagreement
from annotator.core.labels import LabelSet
from annotator.gui.background import Task, tokenize_with
from annotator.gui.charts import LabelBar, ScoreChart
from annotator.gui.models import Index, _FlatTableModel
from annotator.gui.report_models import Column, RecordModel, fit_height, pct, report_table
from annotator.gui.report_window import ReportWindow
from annotator.ops.evaluating import EvaluationReport
from annotator.ops.progress import Progress

KIND_TEXT = {"type": "wrong label", "boundary": "wrong boundaries", "missed": "missed", "spurious": "spurious"}


def evaluation_task(db_path: Path, model: str, wait_for: threading.Event | None = None) -> Task:
    """Score the stored predictions over a connection opened (and closed) in the worker thread.

    With ``wait_for``, first wait (cancellable) until it is set: the window's warm-up of the
    scores has stopped (:mod:`annotator.gui.evaluation_warmup`), so no score is computed twice.
    """

    def run(progress: Progress) -> EvaluationReport:
        from annotator.ops.evaluating import evaluate_stored
        from annotator.store import Store

        if wait_for is not None and not wait_for.is_set():
            progress.start("Waiting for the evaluation's preparation to stop", 0)
            while not wait_for.wait(0.05):
                progress.advance(0)  # raises once Cancel is pressed

        with Store.open(db_path, create=False) as store:  # the report is shown before the scores are kept
            return evaluate_stored(store, None, tokenize_with(model), progress,
                                   on_report=getattr(progress, "deliver", None))

    return run


def _flat(text: str | None) -> str:
    return "—" if text is None else text.replace("\n", " ⏎ ")


DISAGREEMENT_COLUMNS = (
    Column("Document", lambda d: d.source),
    Column("Kind", lambda d: KIND_TEXT[d.kind]),
    Column("Gold", lambda d: d.gold_label, lambda v: v or "—"),
    Column("Gold text", lambda d: d.gold_text, _flat, tip="The gold span's text (none for a spurious prediction)"),
    Column("Predicted", lambda d: d.predicted_label, lambda v: v or "—"),
    Column("Predicted text", lambda d: d.predicted_text, _flat,
           tip="The predicted span's text (none for a missed gold entity)"),
)


class DisagreementModel(RecordModel):
    """Where model and gold disagree: document, kind, gold label and text, predicted label and text."""

    def __init__(self) -> None:
        super().__init__(DISAGREEMENT_COLUMNS)

    def row_at(self, row: int) -> Disagreement:
        return super().row_at(row)


def _label_columns() -> tuple[Column, ...]:
    def score(name: str) -> Callable[[tuple[str, PRF | None]], float | None]:
        return lambda row: None if row[1] is None or not len(row[1]) else getattr(row[1], name)

    def count(name: str) -> Callable[[tuple[str, PRF | None]], int]:
        return lambda row: 0 if row[1] is None else getattr(row[1], name)

    def gold(row: tuple[str, PRF | None]) -> int:
        return 0 if row[1] is None else row[1].tp + row[1].fn

    def predicted(row: tuple[str, PRF | None]) -> int:
        return 0 if row[1] is None else row[1].tp + row[1].fp

    return (
        Column("Label", lambda row: row[0]),
        Column("P %", score("precision"), pct, True, "Precision: of the predictions, how many are right"),
        Column("R %", score("recall"), pct, True, "Recall: of the gold entities, how many were predicted"),
        Column("F %", score("fscore"), pct, True, "F-score: harmonic mean of precision and recall"),
        Column("Gold", gold, numeric=True, tip="Gold entities scored (tp + fn)"),
        Column("Predicted", predicted, numeric=True, tip="Predictions scored (tp + fp)"),
        Column("tp", count("tp"), numeric=True, tip="True positives: same label, same tokens"),
        Column("fp", count("fp"), numeric=True, tip="False positives"),
        Column("fn", count("fn"), numeric=True, tip="False negatives"),
    )


class ConfusionModel(_FlatTableModel):
    """Gold label (rows) x predicted label (columns) for same-tokens spans; (missed) and (spurious) last."""

    def __init__(self) -> None:
        super().__init__()
        self.gold: list[str] = []
        self.predicted: list[str] = []
        self._counts: dict[str, dict[str, int]] = {}
        self._worst = 1

    def set_confusion(self, confusion: dict[str, dict[str, int]]) -> None:
        self.beginResetModel()
        self._counts = confusion
        self.gold = sorted(r for r in confusion if r != SPURIOUS) + ([SPURIOUS] if SPURIOUS in confusion else [])
        cols = {c for row in confusion.values() for c in row}
        self.predicted = sorted(cols - {MISSED}) + ([MISSED] if MISSED in cols else [])
        self._worst = max([n for r, row in confusion.items() for c, n in row.items() if r != c] or [1])
        self.HEADERS = tuple(self.predicted)
        self.endResetModel()

    def _row_count(self) -> int:
        return len(self.gold)

    def count(self, row: int, column: int) -> int:
        return self._counts.get(self.gold[row], {}).get(self.predicted[column], 0)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Vertical:
            if role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self.gold):
                return self.gold[section]
            return None
        return super().headerData(section, orientation, role)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.gold) and 0 <= index.column() < len(self.predicted)):
            return None
        n = self.count(index.row(), index.column())
        gold, predicted = self.gold[index.row()], self.predicted[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{n:,}" if n else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"gold {gold}, predicted {predicted}: {n:,}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole and n:
            if gold == predicted:
                return QBrush(QColor(34, 136, 51, 70))
            return QBrush(QColor(238, 102, 119, int(50 + 150 * n / self._worst)))
        return None


class EvaluationDialog(ReportWindow):
    """Non-modal: the reviewer keeps working and presses Refresh to score the current gold."""

    def __init__(self, task: Task, open_span: Callable[[int, int, int], None], labels: LabelSet,
                 parent: QWidget | None = None):
        super().__init__("Evaluation", task, parent)
        self._open_span, self._labels = open_span, labels
        self.before_run: Callable[[], object] | None = None  # called before each computation (pauses the warm-up)
        self.label_model = RecordModel(_label_columns(), muted=lambda row: row[1] is None or not len(row[1]),
                                       color=lambda row: labels.color(row[0]))
        self.per_label = report_table(self.label_model, "perLabel")
        self.per_label.sortByColumn(4, Qt.SortOrder.DescendingOrder)
        self.per_label.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.chart = ScoreChart()
        scores = QWidget()
        box = QVBoxLayout(scores)
        box.addWidget(self.per_label)  # every label, as tall as its rows
        box.addWidget(self.chart, 1)  # the labels with data, in the height left

        self.confusion = ConfusionModel()
        self.confusion_table = QTableView()
        self.confusion_table.setObjectName("confusion")
        self.confusion_table.setModel(self.confusion)
        self.confusion_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for header in (self.confusion_table.horizontalHeader(), self.confusion_table.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # a small table: labels²
        self.confusion_table.horizontalHeader().setMinimumSectionSize(56)
        self.confusion_table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.confusion_table.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
        confusion_box = QWidget()
        box = QVBoxLayout(confusion_box)
        note = QLabel("Rows: gold label · columns: predicted label, for spans with the same tokens. "
                      f"{MISSED}: gold entities no prediction has the tokens of; "
                      f"{SPURIOUS}: predictions no gold entity has the tokens of.")
        note.setWordWrap(True)
        box.addWidget(note)
        box.addWidget(self.confusion_table, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        box.addStretch(1)

        self.disagreements = DisagreementModel()
        self.disagreement_table = report_table(self.disagreements, "disagreements", stretch=(3, 5))
        self.disagreement_table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.disagreement_table.setToolTip("Click a row to open the document with the span selected")
        self.disagreement_table.clicked.connect(self._clicked)
        self.disagreement_table.activated.connect(self._clicked)
        self.kind_filter = QComboBox()
        self.kind_filter.addItem("All kinds", "")
        for text in KIND_TEXT.values():
            self.kind_filter.addItem(text, text)
        self.kind_filter.currentIndexChanged.connect(self._filter_kind)
        self.disagreement_count = QLabel()
        filters = QHBoxLayout()
        filters.addWidget(QLabel("Show:"))
        filters.addWidget(self.kind_filter)
        filters.addWidget(self.disagreement_count, 1)
        disagreement_box = QWidget()
        box = QVBoxLayout(disagreement_box)
        box.addLayout(filters)
        box.addWidget(self.disagreement_table, 1)

        self.tabs = QTabWidget()
        self.tabs.addTab(scores, "Per label")
        self.tabs.addTab(confusion_box, "Confusion")
        self.tabs.addTab(disagreement_box, "Disagreements")
        self.body_layout.addWidget(self.tabs)

    def refresh(self) -> None:
        if not self.running and self.before_run is not None:
            self.before_run()
        super().refresh()

    def show_report(self, report: EvaluationReport) -> None:
        data = report.evaluation.to_dict()
        p = data["partial"]
        self.summary.setText(
            f"<b>{escape(report.pipeline)}</b> on {report.documents:,} accepted document(s): "
            f"<b>P {pct(data['ents_p'])} · R {pct(data['ents_r'])} · F {pct(data['ents_f'])}</b> "
            f"(tp {data['tp']:,}, fp {data['fp']:,}, fn {data['fn']:,}; exact match, as spaCy). "
            f"Partial match: P {pct(p['p'])} · R {pct(p['r'])} · F {pct(p['f'])}."
            + (f" {escape(report.gold.conflict_line())}." if report.gold.conflicts else "")
        )
        per_type = report.evaluation.per_type
        names = list(dict.fromkeys([*self._labels.names, *sorted(per_type)]))
        self.label_model.set_rows([(name, per_type.get(name)) for name in names])
        fit_height(self.per_label, len(names))
        self.chart.set_bars([
            LabelBar(name, self._labels.color(name), prf.precision, prf.recall, prf.fscore, prf.tp + prf.fn,
                     prf.tp + prf.fp)
            for name, prf in sorted(per_type.items(), key=lambda item: (-(item[1].tp + item[1].fn), item[0]))
            if len(prf)
        ])
        self.confusion.set_confusion(data["confusion"])
        self.disagreements.set_rows(report.evaluation.disagreements)
        self._count_disagreements()

    def _filter_kind(self) -> None:
        kind = self.kind_filter.currentData()
        self.disagreements.set_filter((lambda d: KIND_TEXT[d.kind] == kind) if kind else None)
        self._count_disagreements()

    def _count_disagreements(self) -> None:
        shown, total = self.disagreements.rowCount(), self.disagreements.total()
        text = f"{shown:,} of {total:,} disagreement(s)" if shown != total else f"{total:,} disagreement(s)"
        if total >= DISAGREEMENTS_KEPT:
            text += f" (the first {DISAGREEMENTS_KEPT:,} are listed; the scores count them all)"
        self.disagreement_count.setText(text)

    def _clicked(self, index: QModelIndex) -> None:
        d = self.disagreements.row_at(index.row())
        self._open_span(d.document_id, d.start, d.end)
