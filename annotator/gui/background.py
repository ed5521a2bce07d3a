"""Corpus-wide reports computed off the GUI thread: one task at a time, with progress and Cancel.

A *task* is a plain function ``task(progress) -> value`` that opens what it needs (its own
database connection: SQLite connections stay in one thread) and reports to the ops
:class:`~annotator.ops.progress.Progress` it is given. Pressing Cancel makes the next
``advance`` raise :class:`Cancelled`, which unwinds the task (its ``with`` blocks close the
connection and end the read transaction). The value, the error or the cancellation comes
back to the GUI thread by signal. A task may hand its value over before it ends
(``progress.deliver(value)``) and finish its housekeeping meanwhile.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Qt, Signal

from annotator.ops.progress import Progress

log = logging.getLogger(__name__)

Task = Callable[[Progress], Any]
PROGRESS_INTERVAL_S = 0.05  # at most ~20 progress signals a second, whatever the corpus size


def tokenize_with(model: str) -> Callable[[str], Any]:
    """Tokens of a text by ``model``'s tokenizer, loaded at the first call (for documents stored without tokens)."""

    def tokenize(text: str) -> Any:
        from annotator.core.tokens import Tokens
        from annotator.pipeline import tokenizer_for

        return Tokens.from_doc(tokenizer_for(model)(text))

    return tokenize


class Cancelled(Exception):
    """Raised inside a task once the user pressed Cancel."""


class _TaskProgress:
    """The ops Progress protocol, reported by (throttled) signal; Cancel is honoured at each step."""

    def __init__(self, worker: "TaskWorker"):
        self._worker = worker
        self._run = worker.generation
        self._done, self._total = 0, 0
        self._description = ""
        self._last = 0.0

    def start(self, description: str, total: int | None) -> None:
        self._check()
        self._done, self._total, self._description = 0, total or 0, description
        self._last = time.monotonic()
        self._worker.progress.emit(self._run, description, 0, self._total)

    def advance(self, n: int = 1) -> None:
        self._check()
        self._done += n
        now = time.monotonic()
        if now - self._last >= PROGRESS_INTERVAL_S or self._done == self._total:
            self._last = now
            self._worker.progress.emit(self._run, self._description, self._done, self._total)

    def cancelled(self) -> bool:
        return self._worker.cancel_event.is_set()

    def deliver(self, value: Any) -> None:
        """Hand ``value`` to the window now, as the task's result; what the task does after
        (housekeeping: keeping a cache, closing its connection) goes on in this thread, and
        its return value, failure or cancellation is no longer reported."""
        self._check()
        self._worker.delivered = True
        self._worker.succeeded.emit(self._run, value)

    def _check(self) -> None:
        if self.cancelled():
            raise Cancelled


class TaskWorker(QObject):
    """Runs one task in the thread it was moved to; says how it ended by exactly one signal.

    Every signal but ``ended`` carries the run's ``generation`` so a late signal of a run the
    window gave up on is recognised and ignored.
    """

    progress = Signal(int, str, int, int)  # generation, description, done, total (0: unknown)
    succeeded = Signal(int, object)  # generation, the task's value
    failed = Signal(int, object)  # generation, the exception
    cancelled = Signal(int)
    failed_after = Signal(object)  # the exception of a task that had handed its value over (:meth:`deliver`)
    ended = Signal()  # after any of them

    def __init__(self, task: Task, generation: int = 0):
        super().__init__()
        self.task, self.generation = task, generation
        self.cancel_event = threading.Event()
        self.delivered = False  # the task handed its value over early (:meth:`_TaskProgress.deliver`)

    def run(self) -> None:
        try:
            value = self.task(_TaskProgress(self))
            if self.cancel_event.is_set() and not self.delivered:
                raise Cancelled
        except Cancelled:
            if not self.delivered:
                self.cancelled.emit(self.generation)
        except Exception as exc:  # noqa: BLE001 - handed to the GUI thread, which reports it
            if self.delivered:
                self.failed_after.emit(exc)
            else:
                self.failed.emit(self.generation, exc)
        else:
            if not self.delivered:
                self.succeeded.emit(self.generation, value)
        finally:
            self.ended.emit()


def _failed_after(exc: BaseException) -> None:
    """A task failed after handing its value over (keeping a cache, say): a known problem is
    logged; a bug reaches the error report like any other (in the GUI thread)."""
    from annotator.core.errors import AnnotatorError

    if isinstance(exc, AnnotatorError):
        log.warning("a background task failed after handing over its result: %s", exc)
    else:
        sys.excepthook(type(exc), exc, exc.__traceback__)


class BackgroundRunner(QObject):
    """Owns the worker thread of one window: start a task, cancel it, stop before the window goes.

    Its signals are emitted in the GUI thread.
    """

    progress = Signal(str, int, int)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: TaskWorker | None = None
        self._busy = False
        self._generation = 0
        self._pending: Task | None = None  # started once the previous task's thread has ended

    @property
    def running(self) -> bool:
        """True from :meth:`start` until the outcome's signal has been delivered."""
        return self._busy

    @property
    def finishing(self) -> bool:
        """The last task handed its value over and its thread still finishes (keeps a cache)."""
        return not self._busy and self._thread is not None and self._thread.isRunning()

    def start(self, task: Task) -> None:
        """Run ``task`` in a new worker thread. If the previous task handed its value over and
        is still finishing (:meth:`_TaskProgress.deliver`), ``task`` starts when it has ended:
        the GUI thread never waits for it."""
        if self._busy:
            raise RuntimeError("a task is running already")
        self._busy = True
        self._generation += 1
        if self._thread is not None and self._thread.isRunning():
            self._pending = task
            return
        self._launch(task)

    def _previous_ended(self) -> None:
        task, self._pending = self._pending, None
        if task is not None and self._busy:
            self._launch(task)

    def _launch(self, task: Task) -> None:
        self._join()
        worker = TaskWorker(task, self._generation)
        thread = QThread(self)
        worker.moveToThread(thread)
        queued = Qt.ConnectionType.QueuedConnection
        worker.progress.connect(self._progress, queued)
        worker.succeeded.connect(self._succeeded, queued)
        worker.failed.connect(self._failed, queued)
        worker.cancelled.connect(self._cancelled, queued)
        worker.failed_after.connect(self._failed_after, queued)
        worker.ended.connect(thread.quit, Qt.ConnectionType.DirectConnection)  # not via the GUI thread's queue
        thread.started.connect(worker.run)
        thread.finished.connect(self._previous_ended, queued)
        self._worker, self._thread = worker, thread
        thread.start()

    def cancel(self) -> None:
        if self._pending is not None:  # not started yet: cancelled at once
            self._pending = None
            self._busy = False
            self.cancelled.emit()
            return
        if self._worker is not None:
            self._worker.cancel_event.set()

    def stop(self, timeout_ms: int = 60_000, *, wait: bool = True) -> None:
        """Cancel the task and wait for its thread (before the window that owns it is destroyed).
        ``wait=False`` (the window only hides): a task that handed its value over already is left
        to finish its housekeeping; one still computing is cancelled and waited for (it stops
        at its next progress step)."""
        self._pending = None
        self.cancel()
        if wait or not (self._worker is not None and self._worker.delivered):
            self._join(timeout_ms)
        self._generation += 1  # whatever it still had queued is ignored
        self._busy = False

    def _join(self, timeout_ms: int = 60_000) -> None:
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait(timeout_ms)

    def _current(self, generation: int) -> bool:
        return generation == self._generation and self._busy

    def _progress(self, generation: int, description: str, done: int, total: int) -> None:
        if self._current(generation):
            self.progress.emit(description, done, total)

    def _succeeded(self, generation: int, value: object) -> None:
        if self._current(generation):
            self._busy = False
            self.succeeded.emit(value)

    def _failed(self, generation: int, exc: object) -> None:
        if self._current(generation):
            self._busy = False
            self.failed.emit(exc)

    def _failed_after(self, exc: BaseException) -> None:
        _failed_after(exc)

    def _cancelled(self, generation: int) -> None:
        if self._current(generation):
            self._busy = False
            self.cancelled.emit()
