"""Dialogs: relabel every occurrence, the keyboard sheet, About, and error reports."""

from __future__ import annotations

import traceback

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QLabel, QMessageBox, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from annotator.core.labels import LabelSet
from annotator.gui.shortcuts import ADJUDICATION_SHORTCUTS, LABEL_HELP, SHORTCUTS


class ShortcutsDialog(QDialog):
    def __init__(self, labels: LabelSet, parent: QWidget | None = None, more: list[tuple[str, str]] | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = [(item.key, f"Label the selection / relabel the span as {item.name}") for item in labels.labels if item.key]
        rows += [(QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText), text) for _, key, text in SHORTCUTS]
        rows += ADJUDICATION_SHORTCUTS
        rows += more or []  # the menus' own keys (File, View)
        self.rows = rows
        table = QTableWidget(len(rows), 2)
        table.setHorizontalHeaderLabels(["Key", "Action"])
        for i, (key, text) in enumerate(rows):
            table.setItem(i, 0, QTableWidgetItem(key))
            table.setItem(i, 1, QTableWidgetItem(text))
        table.verticalHeader().hide()
        table.horizontalHeader().setStretchLastSection(True)
        table.resizeColumnToContents(0)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        intro = QLabel(LABEL_HELP)
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(620, 640)


def show_error(parent: QWidget | None, title: str, message: str, details: str | None = None) -> None:
    """A known problem: a clear message (with copyable details when there are any)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent)
    if details:
        box.setDetailedText(details)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.exec()


def ask_retry(parent: QWidget | None, message: str) -> bool:
    """Another process holds the database: offer to try the edit again (True) or give it up."""
    box = QMessageBox(QMessageBox.Icon.Information, "Another process is writing",
                      f"{message}\n\nYour document stays open as it is. Try the edit again?",
                      QMessageBox.StandardButton.Retry | QMessageBox.StandardButton.Cancel, parent)
    box.setDefaultButton(QMessageBox.StandardButton.Retry)
    return box.exec() == QMessageBox.StandardButton.Retry


def show_bug(parent: QWidget | None, exc_type: type[BaseException], exc: BaseException, tb: object) -> None:
    """A bug reached the top: say so, keep the window alive, offer the details to copy."""
    details = "".join(traceback.format_exception(exc_type, exc, tb))  # type: ignore[arg-type]
    box = QMessageBox(QMessageBox.Icon.Critical, "Unexpected error",
                      f"Something went wrong: {exc}\n\nYour edits up to this point are saved in the database.",
                      QMessageBox.StandardButton.Ok, parent)
    box.setDetailedText(details)
    copy = box.addButton("Copy details", QMessageBox.ButtonRole.ActionRole)
    copy.clicked.disconnect()
    copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(details))
    box.exec()
