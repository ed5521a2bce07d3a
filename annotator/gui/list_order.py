"""The document list in a computed order: by committee disagreement between two stored
pipelines (issue 10), or the adjudication queue (annotator.gui.adjudication_mode).

A mixin of MainWindow, placed before DocumentListMixin: choosing a filter or searching
drops the order and lists by import order again. The order is computed off the GUI thread
(annotator.gui.background) on the task's own database connection; the list then shows
exactly those ids, its rows read a page at a time as they are shown.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QMenu, QSizePolicy, QWidget

from annotator.core.model import ACCEPTED, IN_PROGRESS, SKIPPED, TODO
from annotator.gui.background import BackgroundRunner
from annotator.gui.document_list import FILTERS
from annotator.store import Store
from annotator.store.listing import ListQuery

TO_REVIEW = (TODO, IN_PROGRESS)
TO_REVIEW_FILTER = next(i for i, (_name, states) in enumerate(FILTERS) if states == TO_REVIEW)


def committee_order(path: Any, annotator: str, a: tuple[str, str | None], b: tuple[str, str | None]) -> Any:
    """A background task: the annotator's to-review documents both pipelines predicted, most
    disagreement first, as [(document id, differing spans)]."""
    from annotator.ops.committee import disagreement_ranking

    def task(progress: Any) -> list[tuple[int, int]]:
        progress.start("Ranking by model disagreement", None)
        with Store.open(path, create=False) as store, store.snapshot():
            done = set(store.ids_in_own_state(annotator, ACCEPTED)) | set(store.ids_in_own_state(annotator, SKIPPED))
            ranked = disagreement_ranking(store, a, b, states=None)
        return [(d.document_id, d.count) for d in ranked if d.document_id not in done]

    return task


class PipelinePairDialog(QDialog):
    """Which two stored pipelines' predictions to compare."""

    def __init__(self, pipelines: list[tuple[str, str]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Order by model disagreement")
        form = QFormLayout(self)
        self.first, self.second = QComboBox(), QComboBox()
        for combo in (self.first, self.second):
            for name, version in pipelines:
                combo.addItem(f"{name} {version}", (name, version))
        self.first.setCurrentIndex(max(0, len(pipelines) - 2))
        self.second.setCurrentIndex(len(pipelines) - 1)
        form.addRow("First pipeline", self.first)
        form.addRow("Second pipeline", self.second)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def pair(self) -> tuple[tuple[str, str], tuple[str, str]]:
        return self.first.currentData(), self.second.currentData()


class ListOrderMixin:
    """The list in a computed order; View → Order by model disagreement."""

    list_order: str | None = None  # what the list is ordered by ("committee", "adjudication"), None: import order

    def _build_list_order(self, menu: QMenu) -> None:
        self._order_runner = BackgroundRunner(self)
        self._order_runner.succeeded.connect(self._order_ready)
        self._order_runner.failed.connect(self._order_failed)
        self._order_then: Any = None
        self.committee_action = QAction("Order by model &disagreement…", self)
        self.committee_action.setObjectName("order_by_disagreement")
        self.committee_action.setCheckable(True)
        self.committee_action.setToolTip("List the documents to review where two stored pipelines disagree most first")
        self.committee_action.triggered.connect(self._committee_toggled)
        # a long caption (an order, a queue) wraps in the list's width instead of widening the list
        self.list_count.setWordWrap(True)
        self.list_count.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        menu.addAction(self.committee_action)
        # choosing the filter already shown (it says "To review" during the order) lists by import order too
        self.state_filter.activated.connect(lambda _i: self.list_order == "committee" and self.apply_filter())

    # -- the ordered list -------------------------------------------------------------
    def show_ordered(self, kind: str, annotator: str, ids: list[int], caption: str,
                     figures: dict[int, int] | None = None, figure_name: str = "") -> None:
        """List exactly ``ids`` in this order (their rows as ``annotator`` sees them; with
        ``figures``, what the order is by in the last column)."""
        self.list_order = kind
        self._count_timer.stop()
        self.doc_model.set_ids(ListQuery(annotator), ids, figures, figure_name)
        header = self.doc_table.horizontalHeader()
        if figure_name:  # the header fits its name
            header.resizeSection(2, max(header.sectionSize(2), header.fontMetrics().horizontalAdvance(figure_name) + 18))
        self.list_count.setText(caption)
        if self.view is not None:
            self._select_list_row(self.view.document.id)
        self._update_progress()

    def apply_filter(self) -> None:
        """A filter or a search lists by import order again (the disagreement order is dropped;
        the adjudication queue stays until the mode is left: its rows are only re-read)."""
        if getattr(self, "list_order", None) == "adjudication":
            self.doc_model.refresh_all()
            self._update_progress()
            return
        if getattr(self, "list_order", None) == "committee":
            self.list_order = None
            self.committee_action.setChecked(False)
            self.list_count.setToolTip("")
        super().apply_filter()  # type: ignore[misc]

    def next_to_review(self, after: int) -> int | None:
        """In an ordered list: the next document of the list (wrapping) still to review."""
        if self.list_order is None:
            return super().next_to_review(after)  # type: ignore[misc]
        ids = self.doc_model.loaded_ids()
        row = self.doc_model.row_of(after)
        start = 0 if row is None else row + 1
        for doc_id in ids[start:] + ids[:start]:
            if doc_id != after and self.store.review(doc_id, self.annotator).state in TO_REVIEW:
                return doc_id
        if self.list_order == "committee":  # the ranking is done: documents one pipeline did not predict remain
            return super().next_to_review(after)  # type: ignore[misc]
        return None

    # -- committee ----------------------------------------------------------------------
    def _committee_toggled(self, checked: bool) -> None:
        if not checked:
            self.list_order = None
            self.apply_filter()
            return
        self.committee_action.setChecked(False)  # checked once the order is shown
        pipelines = self.store.prediction_pipelines()
        if len(pipelines) < 2:
            self.statusBar().showMessage("Ordering by disagreement needs the predictions of two pipelines: "
                                         "pre-annotate with a second one first (annotator preannotate --model).", 10000)
            return
        if len(pipelines) == 2:
            pair = (pipelines[0], pipelines[1])
        else:
            dialog = PipelinePairDialog(pipelines, self)
            accepted = dialog.exec() == QDialog.DialogCode.Accepted
            self.return_focus()
            if not accepted:
                return
            pair = dialog.pair()
        self.order_by_disagreement(*pair)

    def order_by_disagreement(self, a: tuple[str, str | None], b: tuple[str, str | None]) -> None:
        """Rank the to-review documents by how much pipelines ``a`` and ``b`` disagree (in the background)."""
        names = f"{a[0]} {a[1] or ''}".strip() + " vs " + f"{b[0]} {b[1] or ''}".strip()
        self.list_count.setText(f"ranking by disagreement of {names}…")
        self.start_order(committee_order(self.store.path, self.annotator, a, b),
                         lambda value: self._committee_ready(value, names))

    def start_order(self, task: Any, on_ready: Any) -> bool:
        """Compute a list order in the background; ``on_ready(value)`` in the GUI thread."""
        if self._order_runner.running:
            self.statusBar().showMessage("Still computing the previous order…", 5000)
            return False
        self._order_then = on_ready
        self._order_runner.start(task)
        return True

    def _order_ready(self, value: Any) -> None:
        then, self._order_then = self._order_then, None
        if then is not None:
            then(value)

    def _committee_ready(self, value: Any, names: str) -> None:
        ids = [doc_id for doc_id, _n in value]
        differing = sum(1 for _doc, n in value if n)
        self.committee_action.setChecked(True)
        self.state_filter.blockSignals(True)  # the ranking holds the documents to review
        self.state_filter.setCurrentIndex(TO_REVIEW_FILTER)
        self.state_filter.blockSignals(False)
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.show_ordered("committee", self.annotator, ids,
                          f"{len(ids):,} to review, most model disagreement first ({differing:,} differ)",
                          dict(value), "Differ")
        self.list_count.setToolTip(f"Ordered by how many entities {names} do not share")
        self.statusBar().showMessage(f"Ordered by disagreement between {names}; a filter or a search "
                                     "lists by import order again.", 8000)

    def _order_failed(self, exc: Any) -> None:
        self._order_then = None
        self.list_count.setText("")
        self.statusBar().showMessage(f"Could not order the list: {exc}", 10000)
        self.apply_filter()

    def shutdown_list_order(self) -> None:
        self._order_runner.stop()
