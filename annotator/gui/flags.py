"""Ctrl+U: flag the open document "unsure" with an optional note, edit the note, or clear it.

A mixin of MainWindow plus a small dialog. The flag is written at once (one short
transaction, :mod:`annotator.ops.flags`), is one undoable step, shows as ⚑ in the document
list (the Flagged filter lists them) and in the status bar; the keys go back to the gold
pane when the dialog closes.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from annotator.core.flags import NOTE_MAX, Flag
from annotator.gui.commands import AppliedCommand
from annotator.gui.find import STATUS_STYLE
from annotator.gui.status_labels import ElidedLabel
from annotator.ops import flags as ops
from annotator.store import Store


NOTE_SHOWN = 28  # characters of the note in the status bar (it is shared; the tooltip has it all)


class FlagDialog(QDialog):
    """Flag as unsure with a note (Enter), clear the flag, or cancel (Esc)."""

    CLEAR = 2  # done() code of "Remove flag"

    def __init__(self, source: str, current: Flag | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Flag document")
        self.setMinimumWidth(460)
        intro = QLabel(f"Mark <b>{_escape(source)}</b> as <i>unsure</i>, with a note for the lead (optional):")
        intro.setWordWrap(True)
        self.note = QLineEdit(current.note if current else "")
        self.note.setObjectName("flagNote")
        self.note.setMaxLength(NOTE_MAX)
        self.note.setPlaceholderText("e.g. ORG or GPE? the headline is ambiguous")
        self.note.selectAll()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Flag" if current is None else "Save")
        self.clear_button: QPushButton | None = None
        if current is not None:
            self.clear_button = self.buttons.addButton("Remove flag", QDialogButtonBox.ButtonRole.DestructiveRole)
            self.clear_button.setObjectName("removeFlag")
            self.clear_button.clicked.connect(lambda: self.done(self.CLEAR))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.note.setFocus()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class FlagCommand(AppliedCommand):
    """A document's flag before and after one Ctrl+U."""

    def __init__(self, text: str, store: Store, annotator: str, document_id: int, before: Flag | None,
                 after: Flag | None, on_change: Callable[[int], None]):
        super().__init__(text)
        self._store, self._annotator, self._doc = store, annotator, document_id
        self._before, self._after, self._on_change = before, after, on_change

    def _apply(self, forward: bool) -> None:
        ops.restore_flag(self._store, self._doc, self._annotator, self._after if forward else self._before)
        self._on_change(self._doc)


class FlagsMixin:
    """Flag the open document; show its flag."""

    def _init_flags(self) -> None:
        self.flag_dialog: FlagDialog | None = None
        self.flag_status = ElidedLabel()
        self.flag_status.setObjectName("flagStatus")
        self.flag_status.setStyleSheet(STATUS_STYLE)
        self.flag_status.hide()
        self.statusBar().addPermanentWidget(self.flag_status)

    def flag_document(self) -> None:
        """Ctrl+U: the flag dialog for the open document; the keys return to the gold pane."""
        if self.view is None:
            return
        doc_id = self.view.document.id
        ok, current = self._attempt(lambda: ops.flag_of(self.store, doc_id, self.annotator))
        if not ok:
            return
        dialog = FlagDialog(self.view.document.source, current, self)
        self.flag_dialog = dialog  # tests drive it
        result = dialog.exec()
        self.flag_dialog = None
        self.return_focus()
        if result == QDialog.DialogCode.Rejected:
            return
        if result == FlagDialog.CLEAR:
            ok, _ = self._attempt(lambda: ops.clear_flag(self.store, doc_id, self.annotator))
            after, text = None, "Remove the flag"
        else:
            note = dialog.note.text()
            ok, after = self._attempt(lambda: ops.set_flag(self.store, doc_id, self.annotator, note))
            text = "Flag as unsure" if current is None else "Edit the flag's note"
        if not ok:
            return
        self.undo_stack.push(FlagCommand(text, self.store, self.annotator, doc_id, current, after,
                                         self._flag_changed))
        self._flag_changed(doc_id)
        self.statusBar().showMessage("Flag removed." if after is None else
                                     "Flagged as unsure" + (f": {after.note}" if after.note else "."), 6000)

    def _flag_changed(self, document_id: int) -> None:
        self.doc_model.refresh_document(document_id)
        if self.view is not None and self.view.document.id == document_id:
            self.show_flag()

    def show_flag(self) -> None:
        """The open document's flag in the status bar (empty when it has none)."""
        label = getattr(self, "flag_status", None)
        if label is None:
            return
        current = ops.flag_of(self.store, self.view.document.id, self.annotator) if self.view is not None else None
        label.setVisible(current is not None)
        if current is None:
            label.setText("")
            label.setToolTip("")
            return
        note = current.note.replace("\n", " ")
        short = note if len(note) <= NOTE_SHOWN else note[:NOTE_SHOWN - 1].rstrip() + "…"
        label.set_text(f"⚑ {current.flag}" + (f": {short}" if note else ""), keep=f"⚑ {current.flag}")  # the whole note in the tooltip
        label.setToolTip(f"Flagged {current.flag}" + (f": {current.note}" if current.note else "") + " — Ctrl+U edits")
