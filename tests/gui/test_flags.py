"""Flags and notes in the window, by real key presses: Ctrl+U flags the open document unsure
with a note (written at once), the list marks it, the Flagged filter lists it, the note can be
edited and the flag removed, undo puts it back, and the keys return to the gold pane."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from annotator.gui.document_list import FILTERS
from annotator.gui.flags import FlagDialog
from annotator.ops import flags
from annotator.store import Store
from tests.gui.test_review_flow import drive_soon

pytestmark = [pytest.mark.gui]

CTRL = Qt.KeyboardModifier.ControlModifier


def press_ctrl_u(qtbot, window, action) -> None:
    """Ctrl+U in the gold pane, ``action(dialog)`` run on the dialog it opens."""
    done = []

    def drive(dialog):
        action(dialog)
        done.append(True)

    drive_soon(FlagDialog, drive)
    qtbot.keyClick(window.gold_view, Qt.Key.Key_U, CTRL)
    qtbot.waitUntil(lambda: bool(done))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)


def list_name(window, doc_id: int) -> str:
    return window.doc_model.data(window.doc_model.index(window.doc_model.row_of(doc_id), 0))


def test_flag_note_edit_remove_and_undo(qtbot, window, project_db):
    store, gold = window.store, window.gold_view
    doc = window.view.document
    gold.setFocus()

    def type_note(dialog):
        assert dialog.note.text() == "" and dialog.clear_button is None
        qtbot.keyClicks(dialog.note, "ORG or GPE?")
        qtbot.keyClick(dialog.note, Qt.Key.Key_Return)

    press_ctrl_u(qtbot, window, type_note)
    with Store.open(project_db) as other:  # written at once: another connection sees it
        found = flags.flag_of(other, doc.id, "tester")
        assert (found.flag, found.note) == ("unsure", "ORG or GPE?")
    assert QApplication.focusWidget() is gold  # the keys back in the gold pane
    assert list_name(window, doc.id) == f"⚑ {doc.source}"
    assert window.flag_status.text() == "⚑ unsure: ORG or GPE?"

    window.state_filter.setCurrentIndex([name for name, _ in FILTERS].index("Flagged"))
    assert window.doc_model.loaded_ids() == [doc.id]
    qtbot.waitUntil(lambda: window.list_count.text() == "1 document")

    def edit_note(dialog):
        assert dialog.note.text() == "ORG or GPE?" and dialog.clear_button is not None
        dialog.note.selectAll()
        qtbot.keyClicks(dialog.note, "GPE: the country")
        qtbot.keyClick(dialog.note, Qt.Key.Key_Return)

    gold.setFocus()
    press_ctrl_u(qtbot, window, edit_note)
    assert flags.flag_of(store, doc.id, "tester").note == "GPE: the country"

    press_ctrl_u(qtbot, window, lambda dialog: qtbot.mouseClick(dialog.clear_button, Qt.MouseButton.LeftButton))
    assert flags.flag_of(store, doc.id, "tester") is None
    assert list_name(window, doc.id) == doc.source and window.flag_status.text() == ""
    window.apply_filter()
    assert window.doc_model.loaded_ids() == []

    press_ctrl_u(qtbot, window, lambda dialog: qtbot.keyClick(dialog.note, Qt.Key.Key_Escape))  # Esc: nothing
    assert flags.flag_of(store, doc.id, "tester") is None

    gold.setFocus()
    qtbot.keyClick(gold, Qt.Key.Key_Z, CTRL)  # undo the removal: the edited note is back
    assert flags.flag_of(store, doc.id, "tester").note == "GPE: the country"
    assert window.flag_status.text() == "⚑ unsure: GPE: the country"
    qtbot.keyClick(gold, Qt.Key.Key_Z, CTRL)
    assert flags.flag_of(store, doc.id, "tester").note == "ORG or GPE?"
    qtbot.keyClick(gold, Qt.Key.Key_Z, CTRL)
    assert flags.flag_of(store, doc.id, "tester") is None
    qtbot.keyClick(gold, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert flags.flag_of(store, doc.id, "tester").note == "ORG or GPE?"
