"""Tools → Agreement: how much the annotators agree, per pair, per label, and where they disagree most.

The numbers are :func:`annotator.ops.agreement.project_agreement`'s, computed off the GUI thread
over a connection of the worker's own (:class:`~annotator.gui.report_window.ReportWindow`).
Clicking a document opens it.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QGroupBox, QSplitter, QVBoxLayout, QWidget

from annotator.core.agreement import Agreement, Scores
from annotator.core.labels import LabelSet
from annotator.gui.background import Task, tokenize_with
from annotator.gui.report_models import Column, RecordModel, fit_height, pct, report_table
from annotator.gui.report_window import ReportWindow
from annotator.ops.progress import Progress

NOT_ENOUGH = ("Agreement compares the accepted gold of two or more annotators on the same documents, and "
              "this project has no document that two annotators accepted yet.\n\n"
              "Hand out overlapping work (annotator assign --annotators a1,a2 --overlap 0.2 --out DIR), let each "
              "annotator correct and accept their file, then bring the files back (annotator merge FILE...).")


def agreement_task(db_path: Path, model: str) -> Task:
    """Measure agreement over a connection opened (and closed) in the worker thread; None when
    fewer than two annotators accepted the same document."""

    def run(progress: Progress) -> Agreement | None:
        from annotator.core.errors import InputError
        from annotator.ops.agreement import NO_OVERLAP, project_agreement
        from annotator.store import Store

        with Store.open(db_path, create=False) as store:
            try:
                return project_agreement(store, tokenize_with(model), progress)
            except InputError as exc:
                if str(exc) == NO_OVERLAP:
                    return None
                raise

    return run


def kappa_text(value: float | None) -> str:
    """Cohen's kappa with three decimals ("—" when undefined: one tag only)."""
    return "—" if value is None else f"{value:.3f}"


PairRow = tuple[tuple[str, str], Scores]

PAIR_COLUMNS = (
    Column("Annotator A", lambda row: row[0][0]),
    Column("Annotator B", lambda row: row[0][1]),
    Column("Documents", lambda row: row[1].documents, numeric=True, tip="Documents both accepted"),
    Column("Exact F1 %", lambda row: row[1].exact_f1, pct, True, "Same start, end and label"),
    Column("Overlap F1 %", lambda row: row[1].overlap_f1, pct, True, "Same label, sharing a character"),
    Column("Token κ", lambda row: row[1].kappa, kappa_text, True, "Cohen's kappa on IOB tags per token"),
    Column("Agreed", lambda row: row[1].agreed, numeric=True, tip="Spans both have exactly"),
    Column("Spans A", lambda row: row[1].spans_a, numeric=True),
    Column("Spans B", lambda row: row[1].spans_b, numeric=True),
    Column("Boilerplate %", lambda row: row[1].boilerplate_agreement, pct, True,
           "Characters both marked as boilerplate, of those either marked"),
)

LABEL_COLUMNS = (
    Column("Label", lambda row: row[0]),
    Column("Exact F1 %", lambda row: row[1].exact_f1, pct, True, "Over every pair of annotators"),
    Column("Agreed", lambda row: row[1].agreed, numeric=True, tip="Spans of the label a pair has exactly"),
    Column("Spans", lambda row: row[1].spans, numeric=True, tip="Both annotators' spans of the label, over pairs"),
)

DOCUMENT_COLUMNS = (
    Column("Rank", lambda row: row[0], numeric=True, tip="Most disagreement first"),
    Column("Document", lambda row: row[1].source),
    Column("Annotators", lambda row: ", ".join(row[1].annotators)),
    Column("Disputed", lambda row: row[1].disputed, numeric=True, tip="Distinct spans not every annotator has"),
    Column("Spans", lambda row: row[1].spans, numeric=True, tip="Distinct spans any annotator has"),
    Column("Exact F1 %", lambda row: row[1].exact_f1, pct, True, "Mean over the document's pairs"),
)


def _boxed(title: str, widget: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.addWidget(widget)
    return box


class AgreementDialog(ReportWindow):
    """Pairs of annotators and labels on the left, documents by disagreement on the right."""

    def __init__(self, task: Task, open_document: Callable[[int], None], labels: LabelSet,
                 parent: QWidget | None = None):
        super().__init__("Agreement", task, parent)
        self._open_document = open_document
        self.pair_model = RecordModel(PAIR_COLUMNS)
        self.pair_table = report_table(self.pair_model, "pairs")
        self.pair_table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.pair_table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.label_model = RecordModel(LABEL_COLUMNS, color=lambda row: labels.color(row[0]))
        self.label_table = report_table(self.label_model, "agreementPerLabel")
        self.label_table.sortByColumn(3, Qt.SortOrder.DescendingOrder)
        self.document_model = RecordModel(DOCUMENT_COLUMNS)
        self.document_table = report_table(self.document_model, "rankedDocuments", stretch=(1,))
        self.document_table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.document_table.setToolTip("Click a document to open it")
        self.document_table.clicked.connect(self._clicked)
        self.document_table.activated.connect(self._clicked)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(_boxed("Per label, over every pair", self.label_table))
        lower.addWidget(_boxed("Documents, most disagreement first (click to open)", self.document_table))
        lower.setSizes([1, 1])
        self.body_layout.addWidget(_boxed("Pairs of annotators", self.pair_table))
        self.body_layout.addWidget(lower, 1)

    def show_report(self, report: Agreement | None) -> None:
        if report is None:
            self.show_message(NOT_ENOUGH, "No agreement to measure yet")
            return
        total = report.total
        annotators = sorted({name for pair in report.pairs for name in pair})
        self.summary.setText(
            f"<b>{escape(', '.join(annotators))}</b> on {len(report.documents):,} document(s) two or more of them "
            f"accepted ({len(report.pairs):,} pair(s)): <b>exact F1 {pct(total.exact_f1)} · overlap F1 "
            f"{pct(total.overlap_f1)} · token κ {kappa_text(total.kappa)}</b>; {2 * total.agreed:,} of "
            f"{total.spans_a + total.spans_b:,} spans have an exact match in the other annotator's gold (over "
            f"pairs). Boilerplate is left out."
        )
        self.pair_model.set_rows(sorted(report.pairs.items()))
        fit_height(self.pair_table, min(len(report.pairs), 8))
        self.label_model.set_rows(sorted(report.per_label.items()))
        self.document_model.set_rows(list(enumerate(report.documents, 1)))

    def _clicked(self, index: QModelIndex) -> None:
        _, document = self.document_model.row_at(index.row())
        self._open_document(document.document_id)
