"""A non-modal window for a corpus-wide report (evaluation, agreement) computed in the background.

The window starts its task in a worker thread (:mod:`annotator.gui.background`), shows a
progress bar with Cancel meanwhile and stays usable (the last report stays on screen);
Refresh runs the task again. A known problem (no gold yet, ...) replaces the report with a
sentence saying what to do; a bug reaches the application's excepthook.
"""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QStackedWidget, QVBoxLayout, QWidget,
)

from annotator.core.errors import AnnotatorError
from annotator.gui.background import BackgroundRunner, Task

PREFERRED_SIZE = QSize(1280, 800)  # fits a 1400 x 900 screen with its window frame and a task bar


def opening_size(available: QSize, preferred: QSize = PREFERRED_SIZE) -> QSize:
    """The size a report window opens at on a screen with ``available`` room."""
    return QSize(min(preferred.width(), available.width() - 40), min(preferred.height(), available.height() - 60))


class ReportWindow(QDialog):
    """Summary line, Refresh, progress with Cancel, and a body the subclass fills.

    Subclasses add their widgets to ``self.body_layout`` and implement :meth:`show_report`;
    :meth:`show_message` replaces the body with a sentence (an empty state or a known problem).
    """

    def __init__(self, title: str, task: Task, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setWindowFlag(Qt.WindowType.WindowMinMaxButtonsHint, True)
        self.setSizeGripEnabled(True)
        self._task = task
        self._reported = False  # a report is on screen
        self.summary = QLabel()
        self.summary.setObjectName("reportSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.refresh_button.setToolTip("Compute again from the database as it is now (F5)")
        self.refresh_button.clicked.connect(self.refresh)
        self.notice = QLabel()
        self.notice.setObjectName("reportNotice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.progress_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress_row = QWidget()
        row = QHBoxLayout(self.progress_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.progress_label)
        row.addWidget(self.progress_bar, 1)
        row.addWidget(self.cancel_button)
        self.progress_row.hide()
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.refresh_button, 0, Qt.AlignmentFlag.AlignTop)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(0, 0, 0, 0)
        self.message_title = QLabel()
        self.message_title.setObjectName("reportMessageTitle")
        font = self.message_title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.message_title.setFont(font)
        self.message = QLabel()
        self.message.setObjectName("reportMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.message.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.message.setFont(font)
        self.message_page = QWidget()
        column = QVBoxLayout()
        column.addStretch(1)
        column.addWidget(self.message_title)
        column.addSpacing(12)
        column.addWidget(self.message)
        column.addStretch(2)
        page = QHBoxLayout(self.message_page)  # a column of readable width in the middle
        page.addStretch(1)
        page.addLayout(column, 3)
        page.addStretch(1)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.body)
        self.stack.addWidget(self.message_page)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.notice)
        layout.addWidget(self.progress_row)
        layout.addWidget(self.stack, 1)
        self.runner = BackgroundRunner(self)
        self.runner.progress.connect(self._on_progress)
        self.runner.succeeded.connect(self._on_succeeded)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)
        screen = self.screen() or QGuiApplication.primaryScreen()
        self.resize(opening_size(screen.availableGeometry().size()) if screen else PREFERRED_SIZE)

    # -- what subclasses provide ---------------------------------------------------------
    def show_report(self, report: Any) -> None:
        raise NotImplementedError

    # -- running ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.runner.running

    def refresh(self) -> None:
        """Compute the report again in the background (the one on screen stays until it is done)."""
        if self.runner.running:
            return
        self.notice.hide()
        self.progress_label.setText("Starting…")
        self.progress_bar.setRange(0, 0)
        self.progress_row.show()
        self.cancel_button.setEnabled(True)
        self.refresh_button.setEnabled(False)
        self.runner.start(self._task)

    def cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.progress_label.setText("Cancelling…")
        self.runner.cancel()

    def _idle(self) -> None:
        self.progress_row.hide()
        self.refresh_button.setEnabled(True)

    def _on_progress(self, description: str, done: int, total: int) -> None:
        if self.cancel_button.isEnabled():
            self.progress_label.setText(f"{description}…" if description else "Working…")
        self.progress_bar.setRange(0, total)
        self.progress_bar.setValue(done)
        self.progress_bar.setFormat(f"{done:,} / {total:,}" if total else "")

    def _on_succeeded(self, report: Any) -> None:
        self._idle()
        self.stack.setCurrentWidget(self.body)
        self.show_report(report)
        self._reported = True

    def _on_failed(self, exc: BaseException) -> None:
        self._idle()
        if isinstance(exc, AnnotatorError):
            self.show_message(str(exc))
            return
        self.summary.setText("The computation failed (details in the error report).")
        sys.excepthook(type(exc), exc, exc.__traceback__)

    def _on_cancelled(self) -> None:
        self._idle()
        self._reported = self._reported and self.stack.currentWidget() is self.body
        shown = "the last result is still shown" if self._reported else "nothing was computed"
        self.notice.setText(f"Cancelled: {shown}. Press Refresh to compute again.")
        self.notice.show()

    def show_message(self, text: str, title: str = "Nothing to show") -> None:
        """Replace the report with a sentence (e.g. why there is nothing to show and what to do)."""
        self.summary.setText("")
        self.message_title.setText(title)
        self.message.setText(text[:1].upper() + text[1:])
        self.stack.setCurrentWidget(self.message_page)

    # -- closing -----------------------------------------------------------------------------
    def done(self, result: int) -> None:  # noqa: D102 - QDialog's: Esc, Close
        self.shutdown(wait=False)
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.shutdown(wait=False)
        super().closeEvent(event)

    def shutdown(self, wait: bool = True) -> None:
        """Cancel a running computation and wait for its thread (the window may be destroyed next).
        ``wait=False`` (the window is only closed: it is kept for next time): a task that showed
        its report already finishes its housekeeping (keeping scores) without the GUI waiting."""
        running = self.runner.running
        self.runner.stop(wait=wait)  # always: a finished task's thread may still be winding down, and a
        if running:                  # QThread destroyed while it runs aborts the process
            self._idle()
