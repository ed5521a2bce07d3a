"""Keyboard focus comes back to the gold pane after a dialog or another window closes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog

from tests.gui.conftest import point_at

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def close_dialog_soon(kind):
    def close():
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
        if not dialogs:
            QTimer.singleShot(50, close)
            return
        dialogs[0].reject()  # as Esc does
    QTimer.singleShot(50, close)


def test_keys_work_after_the_relabel_dialog_closes(qtbot, window):
    view = window.gold_view
    text = window.view.document.text
    mali = next(s for s in window.view.gold if text[s.start:s.end] == "Mali")
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point_at(view, mali.start + 1))
    qtbot.keyClick(view, Qt.Key.Key_G)  # relabel it GPE: something to undo
    assert window.undo_stack.count() == 1
    close_dialog_soon(QDialog)
    qtbot.keyClick(view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)  # the dialog, closed by Esc
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=5000)  # before the user's next key
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.undo_stack.index() == 0, "Ctrl+Z reached the window after the dialog"
    first = window.view.document.id
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.view.document.id != first


def test_focus_returns_when_another_window_closes(qtbot, window):
    from PySide6.QtWidgets import QWidget

    other = QWidget()
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(other.isActiveWindow)
    other.close()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.gold_view, timeout=5000)


def test_shift_b_at_the_very_end_unmarks_the_last_range(qtbot, window):
    view = window.gold_view
    text = window.view.document.text
    view.setFocus()
    view.select_range(len(text) - 40, len(text))
    qtbot.keyClick(view, Qt.Key.Key_B)
    assert [(r.start, r.end) for r in window.view.boilerplate] == [(len(text) - 40, len(text))]
    view.place_cursor(len(text))
    qtbot.keyClick(view, Qt.Key.Key_B, Qt.KeyboardModifier.ShiftModifier)
    assert window.view.boilerplate == []
    qtbot.keyClick(view, Qt.Key.Key_B, Qt.KeyboardModifier.ShiftModifier)
    assert "not in boilerplate" in window.statusBar().currentMessage()


def test_ctrl_b_says_when_nothing_changed(qtbot, window):
    view = window.gold_view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert window.statusBar().currentMessage().startswith("Marked ")
    marked = list(window.view.boilerplate)
    qtbot.keyClick(view, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert "nothing changed" in window.statusBar().currentMessage() and window.view.boilerplate == marked
    assert window.undo_stack.count() == 1
