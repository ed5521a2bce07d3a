"""The window's background preparation: import and pre-annotation in a worker thread.

A mixin of MainWindow; the work itself is annotator.gui.workers.PrepareWorker. What the user
asked for (importing files, pre-annotating with a chosen pipeline) shows a progress dialog;
what the window does by itself when a project opens (the search index an import left to it,
pre-annotating documents that have none) shows its progress, with Cancel, in the status bar,
out of the way of the text.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QProgressDialog, QToolButton, QWidget

from annotator.core.model import TODO
from annotator.gui.dialogs import show_error
from annotator.gui.workers import PrepareWorker, start_worker


class PreparationMixin:
    """Start the worker, show its progress, refresh the list as batches land, allow Cancel."""

    def prepare(self, db_path: Path, paths: list[str], batch_size: int = 16, model: str | None = None) -> None:
        """Import ``paths`` and pre-annotate what is new, off the GUI thread, with a progress dialog.

        ``model`` pre-annotates with that pipeline instead of the window's (even documents
        another pipeline already did; one trained on this project does only unreviewed ones).
        """
        self.preparing = True
        self._worker = PrepareWorker(db_path, paths, model or self.model_name, self.annotator, batch_size,
                                     rerun=model is not None)
        if paths or model is not None:  # asked for: a dialog
            self._progress = QProgressDialog("Preparing documents…", "Cancel", 0, 0, self)
            self._progress.setWindowTitle("annotator")
            self._progress.setWindowModality(Qt.WindowModality.NonModal)
            self._progress.setMinimumDuration(300)
            self._progress.setAutoClose(False)
            self._progress.setAutoReset(False)
            self._progress.canceled.connect(self._worker.cancel_event.set)
        else:  # the window's own upkeep at open: the status bar, shown if it lasts
            self._progress = self._status_progress()
            self._progress.on_cancel = self._worker.cancel_event.set
            QTimer.singleShot(300, self._progress, lambda bar=self._progress: bar.setVisible(self._progress is bar))
        self._worker.progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._worker.batch_done.connect(self._on_batch, Qt.ConnectionType.QueuedConnection)
        self._worker.finished.connect(self._on_prepared, Qt.ConnectionType.QueuedConnection)
        self._worker.failed.connect(self._on_prepare_failed, Qt.ConnectionType.QueuedConnection)
        self._thread = start_worker(self._worker, self)

    def _status_progress(self) -> "StatusProgress":
        bar = getattr(self, "preparation_status", None)
        if bar is None:
            bar = self.preparation_status = StatusProgress()
            self.statusBar().addPermanentWidget(bar)  # type: ignore[attr-defined]
        bar.cancel.setEnabled(True)
        bar.setLabelText("Preparing documents…")
        bar.setMaximum(0)
        bar.hide()
        return bar

    def _on_progress(self, description: str, done: int, total: int) -> None:
        if self._progress is None:
            return
        if description:
            self._progress.setLabelText(description + "…")
        self._progress.setMaximum(total)
        self._progress.setValue(done)

    def _on_batch(self) -> None:
        count = self.doc_model.listing.document_count()
        if count != getattr(self, "_prepared_count", None):  # documents arrived: show them
            self._prepared_count = count
            self.apply_filter()
        else:
            self.doc_model.refresh_all()
        if self.view is None and self.doc_model.rowCount():
            self.open_initial_document()
        elif self.view is not None and not self.view.model_spans and self.view.review.state == TODO:
            if self.store.has_prediction(self.view.document.id):
                self.show_document(self.view.document.id)

    def _end_preparation(self) -> None:
        self.preparing = False
        if self._progress is not None:
            self._progress.close()
            self._progress = None
        self.apply_filter()
        if self.view is None:
            self.open_initial_document()
        elif self.view.review.state == TODO:
            self.show_document(self.view.document.id)
        self.prepared.emit()

    def _on_prepared(self, summary: str) -> None:
        self._end_preparation()
        self.statusBar().showMessage(summary, 10000)

    def _on_prepare_failed(self, message: str) -> None:
        self._end_preparation()
        first, _, details = message.partition("\n")
        show_error(self, "Could not prepare the documents", first, details or None)

    def wait_for_preparation(self, timeout_ms: int = 600_000) -> None:
        if self._thread is not None:
            self._thread.wait(timeout_ms)


class StatusProgress(QWidget):
    """Progress of the window's own background work in the status bar: what, how far, Cancel
    (the calls a QProgressDialog takes, so the preparation drives either)."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("preparationStatus")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(140)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        self.cancel = QToolButton()
        self.cancel.setText("Cancel")
        self.cancel.setToolTip("Stop now; what is done is kept, the rest resumes the next time the project opens")
        self.on_cancel: Callable[[], object] = lambda: None  # the running work's cancel
        self.cancel.clicked.connect(self._cancel)
        for widget in (self.label, self.bar, self.cancel):
            layout.addWidget(widget)

    def _cancel(self) -> None:
        self.cancel.setEnabled(False)
        self.setLabelText("Stopping…")
        self.on_cancel()

    def setLabelText(self, text: str) -> None:  # noqa: N802 - QProgressDialog's name
        self.label.setText(f"· {text}")  # after "n / N accepted", as the evaluation's warm-up

    def setMaximum(self, total: int) -> None:  # noqa: N802
        self.bar.setMaximum(total)

    def setValue(self, done: int) -> None:  # noqa: N802
        self.bar.setValue(done)

    def close(self) -> bool:
        self.hide()
        return True
