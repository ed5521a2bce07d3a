"""SIGTERM and SIGINT close the window cleanly.

Python runs a signal handler only when the interpreter gets control; while Qt's event loop
waits in C++ it never does, so ``kill PID`` (a logout, a service manager, ``timeout``) went
unanswered. A periodic no-op QTimer hands control to Python a few times a second; the
handler then closes every top-level window (the main window saves its layout and stops its
workers; every edit was committed when it was made) and quits the event loop.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

POLL_MS = 200  # how long a signal may wait for Python at most


class QuitOnSignals(QObject):
    """Installs the handlers; keeps the timer alive as long as the application."""

    def __init__(self, app: QApplication, signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT)):
        super().__init__(app)
        self.app = app
        self.received: int | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(lambda: None)  # the interpreter runs pending handlers here
        self._timer.start()
        self._previous = {number: signal.signal(number, self._handle) for number in signals}

    def _handle(self, number: int, _frame: Any) -> None:
        if self.received is not None:  # a second signal while closing: stop at once
            self.app.exit(128 + number)
            return
        self.received = number
        print(f"annotator: {signal.Signals(number).name} received, closing the window", file=sys.stderr, flush=True)
        QTimer.singleShot(0, self._close_all)

    def _close_all(self) -> None:
        for widget in QApplication.topLevelWidgets():
            if widget.isVisible():
                widget.close()
        self.app.quit()

    def restore(self) -> None:
        """Put the previous handlers back (after the event loop ended)."""
        self._timer.stop()
        for number, handler in self._previous.items():
            signal.signal(number, handler)


def quit_on_signals(app: QApplication) -> QuitOnSignals:
    """SIGTERM and SIGINT close the windows and end ``app.exec()`` (exit status 0)."""
    return QuitOnSignals(app)
