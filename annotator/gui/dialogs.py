"""Dialogs: relabel every occurrence, the keyboard sheet, About, and error reports."""

from __future__ import annotations

import traceback
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QMessageBox, QRadioButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from annotator.core.labels import LabelSet
from annotator.gui.shortcuts import LABEL_HELP, SHORTCUTS
from annotator.ops.occurrences import OccurrencePlan


class RelabelAllDialog(QDialog):
    """Choose label and scope; shows how many spans would change before anything is applied."""

    def __init__(self, surface: str, label: str, labels: LabelSet, preview: Callable[[str, bool], OccurrencePlan],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Relabel every occurrence")
        self._preview = preview
        self.plan: OccurrencePlan | None = None
        self.label_box = QComboBox()
        for item in labels.labels:
            self.label_box.addItem(f"{item.name}   ({item.key})" if item.key else item.name, item.name)
        self.label_box.setCurrentIndex(max(0, labels.names.index(label)) if label in labels.names else 0)
        self.in_document = QRadioButton("This document")
        self.in_corpus = QRadioButton("The whole corpus")
        self.in_document.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.in_document)
        group.addButton(self.in_corpus)
        self.count = QLabel()
        self.count.setObjectName("previewCount")
        form = QFormLayout()
        form.addRow("Text:", QLabel(f"“{surface}”"))
        form.addRow("New label:", self.label_box)
        form.addRow("Where:", self.in_document)
        form.addRow("", self.in_corpus)
        form.addRow("Preview:", self.count)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Apply")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.label_box.currentIndexChanged.connect(self.update_preview)
        self.in_corpus.toggled.connect(self.update_preview)
        self.update_preview()

    def update_preview(self) -> None:
        self.plan = self._preview(self.label_box.currentData(), self.in_corpus.isChecked())
        p = self.plan
        self.count.setText(f"{p.relabelled} span(s) relabelled, {p.added} new span(s) in {p.documents} document(s)")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(p.documents > 0)


class ShortcutsDialog(QDialog):
    def __init__(self, labels: LabelSet, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = [(item.key, f"Label the selection / relabel the span as {item.name}") for item in labels.labels if item.key]
        rows += [(QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText), text) for _, key, text in SHORTCUTS]
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
