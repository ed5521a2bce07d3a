"""The window's background preparation: import and pre-annotation in a worker thread.

A mixin of MainWindow; the work itself is annotator.gui.workers.PrepareWorker.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog

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
        self._progress = QProgressDialog("Preparing documents…", "Cancel", 0, 0, self)
        self._progress.setWindowTitle("annotator")
        self._progress.setWindowModality(Qt.WindowModality.NonModal)
        self._progress.setMinimumDuration(300)
        self._progress.setAutoClose(False)
        self._progress.setAutoReset(False)
        self._progress.canceled.connect(self._worker.cancel_event.set)
        self._worker.progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._worker.batch_done.connect(self._on_batch, Qt.ConnectionType.QueuedConnection)
        self._worker.finished.connect(self._on_prepared, Qt.ConnectionType.QueuedConnection)
        self._worker.failed.connect(self._on_prepare_failed, Qt.ConnectionType.QueuedConnection)
        self._thread = start_worker(self._worker, self)

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
