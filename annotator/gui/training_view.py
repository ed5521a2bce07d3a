"""Tools → Train model…: ``annotator train`` in a separate process, with progress and Cancel.

Training takes minutes and all of a CPU, so it runs as its own process (the same command
line, ``--machine`` for JSON progress lines), never on the GUI thread: the window stays
responsive and Cancel simply ends the process (SIGTERM; it removes its unfinished folder and
records nothing), killing it if it has not ended a few seconds later, without ever waiting on
the GUI thread; the unfinished folder a killed process leaves is removed when it has ended. A
process that cannot start is reported in the dialog. When it ends the dialog shows the dev scores before and after, per label,
and offers to pre-annotate the documents nobody has reviewed yet with the new pipeline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QProcess, Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QPlainTextEdit, QProgressBar, QPushButton,
    QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from annotator import paths
from annotator.ops.training import remove_stale_work
from annotator.ops.training_config import DEFAULT_MAX_STEPS

BLANK = "A new NER from scratch (blank English)"
KILL_AFTER_MS = 5000  # how long Cancel lets the training stop by itself before killing it
QUIT_WAIT_MS = 3000  # how long quitting the application waits for it (the window is gone by then)


INTRO = "Trains on the train split of the accepted documents and scores on the dev split."


def _pct(value: Any) -> str:
    return "—" if value is None else f"{100 * value:.1f}"


def training_arguments(db_path: Path, base: str | None, max_steps: int, seed: int) -> list[str]:
    """The command line the dialog runs (``annotator train ... --machine``)."""
    args = [*paths.annotator_command(), "train", "--db", str(db_path), "--max-steps", str(max_steps),
            "--seed", str(seed), "--machine"]
    return args + (["--base", base] if base else ["--blank", "en"])


class TrainingDialog(QDialog):
    """Choose the base and length, train in a subprocess, show the scores, offer to pre-annotate."""

    preannotate_requested = Signal(str)  # the trained pipeline's folder
    finished_training = Signal(bool)  # True when a pipeline was trained and recorded
    kill_after_ms = KILL_AFTER_MS

    def __init__(self, db_path: Path, base_model: str, unreviewed: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Train a model on the gold")
        self.db_path, self.unreviewed = Path(db_path), unreviewed
        self.result: dict[str, Any] | None = None
        self.cancelled = False
        self._buffer = b""
        self._done_steps = 0
        self.process = QProcess(self)
        self.process.readyReadStandardOutput.connect(self._read_output)
        self.process.finished.connect(self._ended)
        self.process.errorOccurred.connect(self._process_error)
        self._kill_timer = QTimer(self)
        self._kill_timer.setSingleShot(True)
        self._kill_timer.timeout.connect(self._kill)
        QCoreApplication.instance().aboutToQuit.connect(self._quitting)  # quitting ends a training cleanly

        self.base_box = QComboBox()
        self.base_box.addItem(f"Fine-tune {base_model}", base_model)
        self.base_box.addItem(BLANK, None)
        self.steps_box = QSpinBox()
        self.steps_box.setRange(1, 1_000_000)
        self.steps_box.setValue(DEFAULT_MAX_STEPS)
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, 2**31 - 1)
        form = QFormLayout()
        form.addRow("Start from:", self.base_box)
        form.addRow("Steps (at most):", self.steps_box)
        form.addRow("Seed:", self.seed_box)
        self.status = QLabel(INTRO)
        self.status.setObjectName("trainingStatus")
        self.status.setWordWrap(True)
        self.status.setMinimumHeight(3 * self.fontMetrics().lineSpacing())
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bar = QProgressBar()
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(2000)
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.scores = QTableWidget(0, 4)
        self.scores.setObjectName("trainingScores")
        self.scores.setHorizontalHeaderLabels(["Label", "Dev F before", "Dev F after", "Dev P / R after"])
        self.scores.verticalHeader().hide()
        self.scores.horizontalHeader().setStretchLastSection(True)
        self.scores.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.train_button = QPushButton("Train")
        self.train_button.setDefault(True)
        self.train_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel training")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.preannotate_button = QPushButton("Pre-annotate the unreviewed documents with it")
        self.preannotate_button.setEnabled(False)
        self.preannotate_button.clicked.connect(self._preannotate)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        buttons = QHBoxLayout()
        for button in (self.train_button, self.cancel_button, self.preannotate_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addWidget(self.log, 1)
        layout.addWidget(self.scores, 2)
        layout.addLayout(buttons)
        self.resize(720, 620)

    # -- running --------------------------------------------------------------------
    def start(self) -> None:
        """Start ``annotator train`` in a new process (the window's database, the chosen settings)."""
        if self.process.state() != QProcess.ProcessState.NotRunning:
            return
        self.result, self.cancelled, self._buffer, self._done_steps = None, False, b"", 0
        self.log.clear()
        self.scores.setRowCount(0)
        self.preannotate_button.setEnabled(False)
        args = training_arguments(self.db_path, self.base_box.currentData(), self.steps_box.value(),
                                  self.seed_box.value())
        self._set_running(True, "Starting…")
        self.process.start(args[0], args[1:])

    def cancel(self) -> None:
        """Ask the training process to stop (it removes its unfinished folder; nothing is recorded);
        kill it if it is still running :attr:`kill_after_ms` later. Returns at once."""
        if self.process.state() == QProcess.ProcessState.NotRunning or self.cancelled:
            return
        self.cancelled = True
        self.status.setText("Cancelling…")
        self.cancel_button.setEnabled(False)
        self.process.terminate()
        self._kill_timer.start(self.kill_after_ms)

    def _quitting(self) -> None:
        """The application is closing: its event loop will not run again, so the training is asked
        to stop and, after a short bounded wait, killed; its unfinished folder goes with it."""
        if self.process.state() == QProcess.ProcessState.NotRunning:
            return
        self.cancelled = True
        self._kill_timer.stop()
        self.process.terminate()
        if not self.process.waitForFinished(QUIT_WAIT_MS):
            self.process.kill()
            self.process.waitForFinished(1000)
        remove_stale_work(paths.models_folder(self.db_path))

    def _kill(self) -> None:
        if self.process.state() != QProcess.ProcessState.NotRunning:
            self.status.setText("Cancelling… (the training did not stop by itself: ending it)")
            self.process.kill()  # its unfinished folder is removed once it has ended (_ended)

    def _process_error(self, error: QProcess.ProcessError) -> None:
        """A process that could not start never finishes: say so, and be ready to train again."""
        if error != QProcess.ProcessError.FailedToStart:
            return  # a crash or a kill: finished follows, and _ended reports it
        self._kill_timer.stop()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        message = ("Training failed: could not start the training process "
                   f"({self.process.program()}): {self.process.errorString()}")
        self._set_running(False, "Cancelled: no pipeline was kept." if self.cancelled else message)
        self.finished_training.emit(False)

    def reopened(self) -> None:
        """Shown again: a failed or cancelled run's message is about gold that may have changed since."""
        if not self.is_running() and self.result is None:
            self.status.setText(INTRO)
            self.bar.setRange(0, 1)
            self.bar.setValue(0)

    def is_running(self) -> bool:
        return self.process.state() != QProcess.ProcessState.NotRunning

    def _set_running(self, running: bool, status: str) -> None:
        self.train_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        for box in (self.base_box, self.steps_box, self.seed_box):
            box.setEnabled(not running)
        self.status.setText(status)
        if running:
            self.bar.setRange(0, 0)

    def _read_output(self) -> None:
        self._buffer += bytes(self.process.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:  # not one of ours (a library printing): show it, do not choke on it
                if line.strip():
                    self.log.appendPlainText(line.decode("utf-8", "replace"))
                continue
            self._event(event)

    def _event(self, event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "start":
            self.status.setText(event["description"] + "…")
            self._done_steps = 0
            total = event.get("total")
            self.bar.setRange(0, int(total) if total else 0)
            self.bar.setValue(0)
        elif kind == "advance":
            self._done_steps += int(event["n"])
            if self.bar.maximum():
                self.bar.setValue(min(self._done_steps, self.bar.maximum()))
        elif kind == "eval":
            self.log.appendPlainText(f"step {event['step']:>6}   dev F {_pct(event['score']):>5}"
                                     + ("   best so far" if event["best"] else ""))
        elif kind == "done":
            self.result = event

    def _ended(self, exit_code: int, status: QProcess.ExitStatus) -> None:
        self._kill_timer.stop()
        self._read_output()
        self.bar.setRange(0, 1)
        self.bar.setValue(1 if self.result else 0)
        if self.result is not None and exit_code == 0:
            self._set_running(False, self._summary(self.result))
            self._show_scores(self.result["scores"])
            self.preannotate_button.setEnabled(self.unreviewed > 0)
            self.preannotate_button.setText(f"Pre-annotate the {self.unreviewed} unreviewed document(s) with it"
                                            if self.unreviewed else "No unreviewed documents to pre-annotate")
            self.finished_training.emit(True)
            return
        if status == QProcess.ExitStatus.CrashExit or self.cancelled:
            remove_stale_work(paths.models_folder(self.db_path))  # a killed training cannot remove its own
        if self.cancelled:
            message = "Cancelled: no pipeline was kept."
        else:
            errors = bytes(self.process.readAllStandardError().data()).decode("utf-8", "replace").strip()
            last = errors.splitlines()[-1] if errors else f"the training process ended with code {exit_code}"
            message = "Training failed: " + last.removeprefix("error: ")
        self._set_running(False, message)
        self.finished_training.emit(False)

    # -- results --------------------------------------------------------------------
    def _summary(self, result: dict[str, Any]) -> str:
        dev, before = result["scores"]["dev"], result["scores"].get("base_dev")
        change = f"dev F {_pct(before['ents_f'])} → {_pct(dev['ents_f'])}" if before else f"dev F {_pct(dev['ents_f'])}"
        return (f"Trained {result['pipeline']} {result['version']} in {result['steps']} steps on "
                f"{result['train_documents']} gold document(s) (+{result['rehearsal_documents']} rehearsal): {change} "
                f"on {result['dev_documents']} dev document(s).\nSaved to {result['path']}")

    def _show_scores(self, scores: dict[str, Any]) -> None:
        after = scores["dev"].get("ents_per_type") or {}
        before = (scores.get("base_dev") or {}).get("ents_per_type") or {}
        labels = sorted(set(after) | set(before))
        self.scores.setRowCount(len(labels))
        for row, label in enumerate(labels):
            a, b = after.get(label), before.get(label)
            cells = [label, _pct(b["f"]) if b else "—", _pct(a["f"]) if a else "—",
                     f"{_pct(a['p'])} / {_pct(a['r'])}" if a else "—"]
            for column, text in enumerate(cells):
                self.scores.setItem(row, column, QTableWidgetItem(text))
        self.scores.resizeColumnsToContents()

    def _preannotate(self) -> None:
        if self.result is None:
            return
        if getattr(self.parent(), "preparing", False):
            self.status.setText("The window is still preparing documents; try again when it has finished.")
            return
        self.preannotate_button.setEnabled(False)
        self.status.setText(f"Pre-annotating the unreviewed documents with {self.result['pipeline']} "
                            f"{self.result['version']} (see the window's progress).")
        self.preannotate_requested.emit(self.result["path"])

    def reject(self) -> None:
        """Closing the dialog stops a training that is still running."""
        self.cancel()
        super().reject()
