"""The window keeps the evaluation's scores warm in the background (a mixin of MainWindow).

After the project is prepared (opened and its pending work done, or files imported) the
accepted documents lacking a kept score are scored off the GUI thread
(:func:`annotator.ops.evaluation_warmup.warm_up`, on a connection of its own, in short write
transactions), with "· Preparing evaluation n / N" in the status bar. A document accepted in the
window gets its score kept the same way, right after the accept (one document: milliseconds,
in the same worker thread, so never two scorers at once here). Tools → Evaluation cancels the
warm-up and its computation waits until the warm-up has stopped (at most the chunk under way,
whose scores are kept) and then scores what is still missing itself: nothing is computed
twice, and the evaluation is never held up by more than one chunk.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QLabel

from annotator.gui.background import BackgroundRunner, Task
from annotator.ops.progress import Progress

log = logging.getLogger(__name__)
WAIT_MS = 2000  # a cache: its writes give up soon behind another writer (a long import), so closing the window
# never waits long for them; the evaluation computes what they could not keep


def warm_up_task(db_path: Path, idle: threading.Event) -> Task:
    """Score the accepted documents lacking a kept score (``idle`` is set once it has stopped)."""

    def run(progress: Progress) -> int:
        try:
            from annotator.ops.evaluation_warmup import warm_up
            from annotator.store import Store

            with Store.open(db_path, create=False, busy_timeout_ms=WAIT_MS) as store:
                return warm_up(store, None, progress)
        finally:
            idle.set()

    return run


def accepted_task(db_path: Path, ids: list[int], idle: threading.Event) -> Task:
    """Keep the scores of the documents ``ids`` just accepted (failing is logged: the accept stands)."""

    def run(progress: Progress) -> int:
        try:
            from annotator.ops.evaluation_warmup import keep_scores_of
            from annotator.store import Store

            with Store.open(db_path, create=False, busy_timeout_ms=WAIT_MS) as store:
                return keep_scores_of(store, ids, None)
        except Exception:  # noqa: BLE001 - a cache: the evaluation computes it anyway
            log.exception("the accepted document's evaluation score was not kept")
            return 0
        finally:
            idle.set()

    return run


class EvaluationWarmUpMixin:
    """Start, report, pause and stop the warm-up; queue the documents accepted meanwhile."""

    def init_evaluation_warm_up(self) -> None:
        self.warm_idle = threading.Event()  # set while no warm-up task runs (the evaluation waits for it)
        self.warm_idle.set()
        self._warm_pending: list[int] = []  # accepted documents whose score is to keep
        self._warm_wanted = False
        self._warm_closed = False
        self._warm_runner = BackgroundRunner(self)  # type: ignore[arg-type]
        self._warm_runner.progress.connect(self._warm_progress)
        for signal in (self._warm_runner.succeeded, self._warm_runner.failed, self._warm_runner.cancelled):
            signal.connect(self._warm_ended)
        self.warm_status = QLabel()
        self.warm_status.setObjectName("evaluationWarmUp")
        self.warm_status.setToolTip("Scoring the accepted documents ahead, so that Tools → Evaluation opens at once")
        self.warm_status.hide()
        self.statusBar().addPermanentWidget(self.warm_status)  # type: ignore[attr-defined]

    @property
    def warming_up(self) -> bool:
        return self._warm_runner.running

    def start_evaluation_warm_up(self) -> None:
        """Score, in the background, the accepted documents lacking a kept score."""
        self._warm_wanted = True
        self._warm_next()

    def keep_accepted_score(self, document_id: int) -> None:
        """Keep the score of a document just accepted (in the background, after what runs)."""
        self._warm_pending.append(document_id)
        self._warm_next()

    def pause_evaluation_warm_up(self) -> threading.Event:
        """Cancel the warm-up (an evaluation is about to score everything); the event it sets once stopped."""
        self._warm_wanted = False
        self._warm_runner.cancel()
        return self.warm_idle

    def shutdown_evaluation_warm_up(self) -> None:
        """Stop the worker before the window goes (what was kept stays; the chunk under way ends first)."""
        self._warm_closed = True
        self._warm_pending.clear()
        self._warm_runner.stop()
        self.warm_status.hide()

    def _warm_next(self) -> None:
        if self._warm_closed or self._warm_runner.running:
            return
        evaluation = getattr(self, "evaluation_dialog", None)
        if (self._warm_wanted and not self._warm_pending and evaluation is not None
                and (evaluation.running or evaluation.runner.finishing)):
            self._warm_wanted = False  # the evaluation computing now (or keeping its scores) keeps every score
            return
        path: Path = self.store.path  # type: ignore[attr-defined]
        if self._warm_pending:
            ids, self._warm_pending = self._warm_pending, []
            task = accepted_task(path, ids, self.warm_idle)
        elif self._warm_wanted:
            self._warm_wanted = False
            task = warm_up_task(path, self.warm_idle)
        else:
            return
        self.warm_idle.clear()
        self._warm_runner.start(task)

    def _warm_progress(self, description: str, done: int, total: int) -> None:
        if not total:  # nothing to prepare, or one accepted document: nothing to show
            return
        self.warm_status.setText(f"· {description} {done:,} / {total:,}")  # after "n / N accepted"
        self.warm_status.show()

    def _warm_ended(self, outcome: Any = None) -> None:
        if isinstance(outcome, BaseException):
            log.warning("preparing the evaluation failed (it computes its scores itself): %s", outcome,
                        exc_info=(type(outcome), outcome, outcome.__traceback__))
        self.warm_status.hide()
        self._warm_next()
