"""A newcomer's guidance: the empty project's first steps and the status bar's key hints."""

import pytest
from PySide6.QtCore import Qt

from tests.gui.conftest import SEEDS, answer_file_dialog, point_at

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def test_an_empty_project_says_what_to_do_first(qtbot, make_window, tmp_path, monkeypatch):
    window = make_window(tmp_path / "empty.db")
    panel = window.empty_panel
    qtbot.waitUntil(panel.isVisible)
    assert panel.geometry() == window.splitter.geometry(), "it covers the text panes, no empty grey box"
    texts = [b.text() for b in panel.buttons]
    assert "Import files…   (Ctrl+O)" in texts and any(t.startswith("Import a folder") for t in texts)
    assert any(t.startswith("Open database") for t in texts)
    for point in (window.splitter.geometry().topLeft(), window.splitter.geometry().center()):  # on top of the panes
        under = window.childAt(point)
        assert under is panel or panel.isAncestorOf(under)
    qtbot.waitUntil(lambda: "Ctrl+O imports files" in window.hint_label.text())
    window.resize(window.width() - 100, window.height() - 50)
    qtbot.waitUntil(lambda: panel.geometry() == window.splitter.geometry())
    one = [str(SEEDS / "000_e5af05bdd28e0bde.txt")]
    answer_file_dialog(*one)
    button = next(b for b in panel.buttons if b.text().startswith("Import files"))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.preparing, timeout=300_000)
    qtbot.waitUntil(lambda: not panel.isVisible())
    assert window.view is not None and window.gold_view.isVisible()


def hint(qtbot, window, words):
    qtbot.waitUntil(lambda: words in window.hint_label.text())
    return window.hint_label.text()


def test_hints_follow_the_keyboard_and_can_be_turned_off(qtbot, make_window, project_db):
    window = make_window(project_db)
    view = window.gold_view
    view.setFocus()
    gap = next(i for i, _ in enumerate(window.view.document.text)
               if not any(s.start <= i <= s.end for s in window.view.gold))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point_at(view, gap))
    assert hint(qtbot, window, "Select text then P/O/G…").endswith("Ctrl+Enter accepts")
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert "P PERSON · O ORG · G GPE" in hint(qtbot, window, "Press a label key")
    span = window.view.gold[0]
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point_at(view, span.start + 1))
    hint(qtbot, window, "Label key relabels · Del deletes")
    qtbot.keyClick(view, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # to the document list
    hint(qtbot, window, "choose a document")
    qtbot.keyClick(window.doc_table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)  # to the search
    hint(qtbot, window, "search every document")
    action = window.hints_action
    assert action in window.view_menu.actions() and action.isChecked()
    action.trigger()
    qtbot.waitUntil(lambda: not window.hint_label.isVisible())
    window.close()
    again = make_window(project_db)
    assert not again.hints_action.isChecked(), "remembered across restarts"
    again.gold_view.setFocus()
    qtbot.wait(20)
    assert not again.hint_label.isVisible() and again.hint_label.text() == ""
    again.hints_action.trigger()
    hint(qtbot, again, "Tab next span")


def test_the_f1_sheet_lists_the_file_and_view_keys(qtbot, window):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from annotator.gui.dialogs import ShortcutsDialog

    seen = {}

    def read_and_close():
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, ShortcutsDialog) and w.isVisible()]
        if not dialogs:
            QTimer.singleShot(50, read_and_close)
            return
        seen.update({text: key for key, text in dialogs[0].rows})
        dialogs[0].reject()

    QTimer.singleShot(50, read_and_close)
    window.gold_view.setFocus()
    qtbot.keyClick(window.gold_view, Qt.Key.Key_F1)
    assert seen["Import files…"] == "Ctrl+O" and seen["Export…"] == "Ctrl+Shift+S"
    assert seen["Zoom in"] == "Ctrl++, Ctrl+=" and seen["Reset zoom"] == "Ctrl+0"
