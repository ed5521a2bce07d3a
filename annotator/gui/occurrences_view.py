"""Relabel every occurrence, or label every search hit: a preview listing each occurrence in
context with a box to leave it out, found in a worker thread while the list fills; applying,
undoing and redoing run in a worker too, behind a progress dialog with Cancel.

The preview keeps occurrences as a few integer arrays (document, start, end, label, action):
1.5 million occurrences cost tens of megabytes, and the context line of a row is read only
when the row is shown.
"""

from __future__ import annotations

import threading
import traceback
from array import array
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QEventLoop, QModelIndex, QObject, QPersistentModelIndex, Qt, QThread, \
    Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QButtonGroup, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHeaderView, QLabel,
    QProgressDialog, QPushButton, QRadioButton, QTableView, QVBoxLayout, QWidget,
)

from annotator.core.errors import AnnotatorError
from annotator.core.labels import LabelSet
from annotator.gui.commands import AppliedCommand
from annotator.ops import occurrences as ops
from annotator.store import Store

Index = QModelIndex | QPersistentModelIndex
CONTEXT = 60  # characters either side in the context column
BATCH = 500


class OccurrenceModel(QAbstractTableModel):
    """Occurrences in compact arrays; a check box per row to leave one out."""

    HEADERS = ("", "Document", "Context", "Now", "Change")

    def __init__(self, store: Store):
        super().__init__()
        self._store = store
        self.clear()
        self._text = lru_cache(maxsize=64)(lambda doc_id: self._store.document(doc_id).text)
        self._source = lru_cache(maxsize=256)(self._store.document_source)

    def clear(self) -> None:
        self.beginResetModel()
        self._docs, self._starts, self._ends = array("q"), array("q"), array("q")
        self._current, self._actions = array("h"), array("b")
        self._labels: list[str] = []
        self._label_codes: dict[str, int] = {}
        self.excluded: set[int] = set()
        self.endResetModel()

    def add(self, items: list[ops.Occurrence]) -> None:
        if not items:
            return
        first = len(self._docs)
        self.beginInsertRows(QModelIndex(), first, first + len(items) - 1)
        for item in items:
            self._docs.append(item.document_id)
            self._starts.append(item.start)
            self._ends.append(item.end)
            code = -1
            if item.current is not None:
                code = self._label_codes.setdefault(item.current, len(self._labels))
                if code == len(self._labels):
                    self._labels.append(item.current)
            self._current.append(code)
            self._actions.append(ops.ACTIONS.index(item.action))
        self.endInsertRows()

    def occurrence(self, row: int) -> ops.Occurrence:
        code = self._current[row]
        return ops.Occurrence(self._docs[row], self._starts[row], self._ends[row],
                              self._labels[code] if code >= 0 else None, ops.ACTIONS[self._actions[row]])

    def included(self) -> Iterator[ops.Occurrence]:
        """The occurrences that change something and were not left out, in document order."""
        for row in range(len(self._docs)):
            if row not in self.excluded:
                item = self.occurrence(row)
                if item.changes:
                    yield item

    def included_count(self) -> int:
        changing = (ops.ACTIONS.index(ops.RELABEL), ops.ACTIONS.index(ops.ADD))
        return sum(1 for row, code in enumerate(self._actions) if code in changing and row not in self.excluded)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._docs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < 5:
            return self.HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() == 0 and self.occurrence(index.row()).changes:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._docs):
            return None
        row, column = index.row(), index.column()
        item = self.occurrence(row)
        if role == Qt.ItemDataRole.CheckStateRole and column == 0:
            if not item.changes:
                return None
            return Qt.CheckState.Unchecked if row in self.excluded else Qt.CheckState.Checked
        if role == Qt.ItemDataRole.ToolTipRole and column == 4 and not item.changes:
            return f"Left alone: {item.action}"
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == 1:
            return self._source(item.document_id)
        if column == 2:
            text = self._text(item.document_id)
            left = text[max(0, item.start - CONTEXT):item.start].split("\n")[-1]
            right = text[item.end:item.end + CONTEXT].split("\n")[0]
            return f"…{left}[{text[item.start:item.end]}]{right}…"
        if column == 3:
            return item.current or "—"
        if column == 4:
            return {ops.RELABEL: "relabel", ops.ADD: "new span"}.get(item.action, f"left alone ({item.action})")
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != 0 or not self.occurrence(index.row()).changes:
            return False
        if Qt.CheckState(value) == Qt.CheckState.Checked:
            self.excluded.discard(index.row())
        else:
            self.excluded.add(index.row())
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True


class ScanWorker(QObject):
    """Finds occurrences in its own thread, with its own connection; rows come back in batches."""

    found = Signal(int, list)  # each signal carries the scan's number: a stopped scan's queued rows are dropped
    finished = Signal(int, object)  # the ops.Scan summary
    failed = Signal(int, str)

    def __init__(self, db_path: Path, annotator: str, needle: str, label: str, document_id: int | None,
                 case_sensitive: bool, number: int = 0):
        super().__init__()
        self.args = (db_path, annotator, needle, label, document_id, case_sensitive)
        self.number = number
        self.cancel = threading.Event()

    def run(self) -> None:
        db_path, annotator, needle, label, document_id, case_sensitive = self.args
        summary = ops.Scan(needle, label)
        try:
            with Store.open(db_path) as store:
                batch: list[ops.Occurrence] = []
                for item in ops.scan(store, annotator, needle, label, document_id=document_id,
                                     case_sensitive=case_sensitive, cancelled=self.cancel.is_set, summary=summary):
                    batch.append(item)
                    if len(batch) >= BATCH:
                        self.found.emit(self.number, batch)
                        batch = []
                self.found.emit(self.number, batch)
            self.finished.emit(self.number, summary)
        except AnnotatorError as exc:
            self.failed.emit(self.number, str(exc))
        except Exception as exc:  # noqa: BLE001 - a bug: say so rather than leave the preview searching
            self.failed.emit(self.number, f"unexpected error: {exc!r}\n{traceback.format_exc()}")


def run_in_thread(worker: QObject, parent: QObject) -> QThread:
    thread = QThread(parent)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    for signal in ("finished", "failed"):  # direct: quit even while the GUI thread waits for the thread
        getattr(worker, signal).connect(thread.quit, Qt.ConnectionType.DirectConnection)
    thread.start()
    return thread


class OccurrencesDialog(QDialog):
    """Choose the label and where; every occurrence listed (in context) before anything changes."""

    def __init__(self, db_path: Path, store: Store, annotator: str, needle: str, label: str, labels: LabelSet,
                 document_id: int, *, corpus: bool = False, case_sensitive: bool = True, find_mode: bool = False,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Label every search hit" if find_mode else "Relabel every occurrence")
        self.resize(900, 560)
        self._db_path, self._annotator, self._needle, self._document_id = db_path, annotator, needle, document_id
        self._thread: QThread | None = None
        self._worker: ScanWorker | None = None
        self._scans = 0  # the number of the current scan
        self.summary: ops.Scan | None = None
        self.label_box = QComboBox()
        for item in labels.labels:
            self.label_box.addItem(f"{item.name}   ({item.key})" if item.key else item.name, item.name)
        self.label_box.setCurrentIndex(max(0, labels.names.index(label)) if label in labels.names else 0)
        self.in_document = QRadioButton("This document")
        self.in_corpus = QRadioButton("The whole corpus")
        (self.in_corpus if corpus else self.in_document).setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.in_document)
        group.addButton(self.in_corpus)
        self.case_box = QCheckBox("Match case")
        self.case_box.setChecked(case_sensitive)
        self.count = QLabel()
        self.count.setObjectName("previewCount")
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop_scan)
        self.stop_button.setAutoDefault(False)  # Enter applies (OK), it never stops the search
        self.model = OccurrenceModel(store)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 28), (1, 170), (3, 80), (4, 150)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        form = QFormLayout()
        form.addRow("Text:", QLabel(f"“{needle}”"))
        form.addRow("New label:", self.label_box)
        form.addRow("Where:", self.in_document)
        form.addRow("", self.in_corpus)
        form.addRow("", self.case_box)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setDefault(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)
        layout.addWidget(self.stop_button)
        layout.addWidget(self.buttons)
        self.model.dataChanged.connect(lambda *_: self._update_count())
        self.label_box.currentIndexChanged.connect(self.start_scan)
        self.in_corpus.toggled.connect(self.start_scan)
        self.case_box.toggled.connect(self.start_scan)
        self.start_scan()

    @property
    def label(self) -> str:
        return str(self.label_box.currentData())

    def start_scan(self) -> None:
        self.stop_scan()
        self.model.clear()
        self.summary = None
        document = None if self.in_corpus.isChecked() else self._document_id
        self._scans += 1
        self._worker = ScanWorker(self._db_path, self._annotator, self._needle, self.label, document,
                                  self.case_box.isChecked(), self._scans)
        # a stopped scan's signals may still be queued (its worker may even be gone): the slots drop them
        self._worker.found.connect(self._found, Qt.ConnectionType.QueuedConnection)
        self._worker.finished.connect(self._scanned, Qt.ConnectionType.QueuedConnection)
        self._worker.failed.connect(self._failed, Qt.ConnectionType.QueuedConnection)
        self._thread = run_in_thread(self._worker, self)
        self.stop_button.setEnabled(True)
        self._update_count()

    def stop_scan(self) -> None:
        if self._worker is not None:
            self._worker.cancel.set()
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
        self._thread = self._worker = None

    def scanning(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def wait_for_scan(self, timeout_ms: int = 600_000) -> None:
        if self._thread is not None:
            self._thread.wait(timeout_ms)

    def _found(self, number: int, items: list[ops.Occurrence]) -> None:
        if number == self._scans:
            self.model.add(items)

    def _scanned(self, number: int, summary: ops.Scan) -> None:
        if number != self._scans:
            return
        self.summary = summary
        self.stop_button.setEnabled(False)
        self._update_count()

    def _failed(self, number: int, message: str) -> None:
        if number != self._scans:
            return
        self.count.setText(f"Could not search: {message}")
        self.stop_button.setEnabled(False)

    def _update_count(self) -> None:
        rows = self.model.rowCount()
        changing = self.model.included_count()
        done = self.summary is not None
        where = f" in {self.summary.documents:,} document(s)" if done else ""
        prefix = "" if done else "Searching… "
        left = rows - changing - len(self.model.excluded)
        self.count.setText(f"{prefix}{rows:,} occurrence(s){where}: {changing:,} will be labelled {self.label}"
                           + (f", {len(self.model.excluded):,} left out by you" if self.model.excluded else "")
                           + (f", {left:,} left alone (see Change)" if left > 0 else ""))
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(f"Apply to {changing:,}")
        ok.setEnabled(done and changing > 0)

    def done(self, result: int) -> None:  # noqa: A003 - Qt's name
        self.stop_scan()
        super().done(result)


class BulkWorker(QObject):
    """Applies, undoes or redoes a bulk change in its own thread, with its own connection."""

    progressed = Signal(int, int)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, db_path: Path, job: Callable[[Store, Any], Any]):
        super().__init__()
        self.db_path, self.job = db_path, job
        self.cancel = threading.Event()
        self._done = 0
        self._total = 0

    # the ops Progress protocol
    def start(self, _description: str, total: int | None) -> None:
        self._done, self._total = 0, total or 0
        self.progressed.emit(0, self._total)

    def advance(self, n: int = 1) -> None:
        self._done += n  # a page of documents at a time (ops.occurrences): each one is shown
        self.progressed.emit(self._done, max(self._total, self._done))

    def cancelled(self) -> bool:
        return self.cancel.is_set()

    def run(self) -> None:
        try:
            with Store.open(self.db_path) as store:
                result = self.job(store, self)
            self.finished.emit(result)
        except ops.Cancelled:
            self.failed.emit("Cancelled: nothing was changed.")
        except AnnotatorError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - a bug: the window waits for an answer, so it gets one
            self.failed.emit(f"unexpected error (nothing was changed): {exc!r}\n{traceback.format_exc()}")


class _Waiter(QObject):
    """Receives a worker's signals in the GUI thread (a lambda would run in the worker's thread)."""

    def __init__(self, dialog: QProgressDialog):
        super().__init__()
        self.dialog = dialog
        self.loop = QEventLoop()
        self.outcome: tuple[bool, Any] = (False, "nothing happened")

    def progressed(self, done: int, total: int) -> None:
        self.dialog.setMaximum(total)
        self.dialog.setValue(done)

    def finished(self, result: Any) -> None:
        self.outcome = (True, result)
        self.loop.quit()

    def failed(self, message: str) -> None:
        self.outcome = (False, message)
        self.loop.quit()


def run_with_progress(parent: QWidget, db_path: Path, title: str, total: int,
                      job: Callable[[Store, Any], Any]) -> tuple[bool, Any]:
    """Run ``job(store, progress)`` in a worker thread behind a modal progress dialog with
    Cancel; the window keeps painting meanwhile. (True, result) or (False, the message)."""
    worker = BulkWorker(db_path, job)
    dialog = QProgressDialog(title, "Cancel", 0, max(total, 0), parent)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(400)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.canceled.connect(worker.cancel.set)
    waiter = _Waiter(dialog)
    worker.progressed.connect(waiter.progressed, Qt.ConnectionType.QueuedConnection)
    worker.finished.connect(waiter.finished, Qt.ConnectionType.QueuedConnection)
    worker.failed.connect(waiter.failed, Qt.ConnectionType.QueuedConnection)
    thread = run_in_thread(worker, parent)
    waiter.loop.exec()
    thread.wait()
    dialog.close()
    return waiter.outcome


class BulkCommand(AppliedCommand):
    """A recorded bulk change (already applied when pushed): undo and redo replay its record."""

    def __init__(self, text: str, window: Any, change_id: int, documents: int):
        super().__init__(text)
        self._window, self._change, self._documents = window, change_id, documents

    def _apply(self, forward: bool) -> None:
        window, change = self._window, self._change
        labels = window.labels.names
        job = (lambda store, progress: ops.redo(store, change, window.annotator, labels, progress)) if forward \
            else (lambda store, progress: ops.undo(store, change, window.annotator, labels, progress))
        ok, value = run_with_progress(window, window.store.path, "Redoing…" if forward else "Undoing…",
                                      self._documents, job)
        if not ok:
            raise AnnotatorError(str(value))
        window.after_bulk_change()
