"""Long work off the GUI thread: import and pre-annotation, with progress, cancel and a result signal."""

from __future__ import annotations

import threading
import traceback
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal

from annotator.core.errors import AnnotatorError


class _SignalProgress:
    """The ops Progress protocol, reported through Qt signals; cancelled from the GUI thread."""

    def __init__(self, worker: "PrepareWorker", batches: bool = True):
        self._worker = worker
        self._batches = batches  # each step lands documents (import, pre-annotation): refresh the list
        self._done = 0
        self._total: int | None = None

    def start(self, description: str, total: int | None) -> None:
        self._done, self._total = 0, total
        self._worker.progress.emit(description, 0, total or 0)

    def advance(self, n: int = 1) -> None:
        self._done += n
        self._worker.progress.emit("", self._done, self._total or 0)
        if self._batches:
            self._worker.batch_done.emit()

    def cancelled(self) -> bool:
        return self._worker.cancel_event.is_set()


class PrepareWorker(QObject):
    """Imports ``paths`` (if any), then pre-annotates every document the pipeline has not seen.

    It opens its own connection to the database (SQLite connections stay in one thread;
    WAL lets the window read and write meanwhile).
    """

    progress = Signal(str, int, int)  # description ("" = unchanged), done, total
    batch_done = Signal()
    finished = Signal(str)  # summary
    failed = Signal(str)  # one-line reason

    def __init__(self, db_path: Path, paths: list[str], model: str, annotator: str, batch_size: int = 16,
                 rerun: bool = False):
        super().__init__()
        self.db_path, self.paths, self.model, self.annotator = db_path, paths, model, annotator
        self.batch_size = batch_size
        self.rerun = rerun  # pre-annotate with this pipeline even where another one already did
        self.cancel_event = threading.Event()

    def run(self) -> None:
        # Import and pre-annotation code (srsly, numpy, spaCy) loads only when there is such work:
        # this thread runs beside the window, and each import here holds the GIL (and Python's
        # import lock) while the window wants to draw.
        from annotator.ops.indexing import index_pending
        from annotator.pipeline import load_pipeline
        from annotator.store import Store

        try:
            with Store.open(self.db_path) as store:
                summary = []
                progress = _SignalProgress(self)
                nlp = None
                if self.paths:
                    from annotator.core.tokens import Tokens
                    from annotator.ops.importing import import_paths

                    self.progress.emit("Importing", 0, 0)
                    nlp = load_pipeline(self.model)
                    tokenizer = nlp.tokenizer
                    report = import_paths(store, self.paths, annotator=self.annotator,
                                          tokenize=lambda t: Tokens.from_doc(tokenizer(t)), progress=progress)
                    summary.append(f"imported {report.new_documents} new document(s)")
                    self.batch_done.emit()
                if self.cancel_event.is_set():
                    self.finished.emit("Cancelled.")
                    return
                if store.unindexed_count():
                    index_pending(store, _SignalProgress(self, batches=False))  # for search and suggestions
                    if self.cancel_event.is_set():
                        self.finished.emit("Cancelled.")
                        return
                if nlp is None and not self.rerun and store.count_unpredicted() == 0:
                    # nothing new: do not load spaCy while the window starts (`annotator preannotate
                    # --model X` re-runs documents with another pipeline)
                    self.finished.emit("Every document is pre-annotated.")
                    return
                from annotator.ops.preannotate import documents_for, preannotate

                self.progress.emit("Loading the pipeline", 0, 0)
                nlp = nlp or load_pipeline(self.model)
                ids, _note = documents_for(store, nlp)  # a pipeline trained here: unreviewed documents only
                result = preannotate(store, nlp, batch_size=self.batch_size, document_ids=ids, progress=progress)
                summary.append(f"pre-annotated {result.done} document(s) with {result.pipeline} {result.version}")
                if result.cancelled:
                    summary.append("cancelled (finished batches kept; the rest resumes next time)")
                self.finished.emit("; ".join(summary).capitalize() + ".")
        except AnnotatorError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # a bug: report it fully rather than kill the thread silently
            self.failed.emit(f"unexpected error: {exc!r}\n{traceback.format_exc()}")


def start_worker(worker: PrepareWorker, parent: QObject) -> QThread:
    """Run ``worker.run`` in a new QThread owned by ``parent``; the thread ends with the work."""
    thread = QThread(parent)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)  # even while the GUI waits
    worker.failed.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    thread.start()
    return thread
