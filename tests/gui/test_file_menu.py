"""File menu: open another database, recent databases, import and export, driven by keys and menu triggers.

The file dialogs are answered through the real dialog (``answer_file_dialog``); what the
window does with the chosen paths runs for real: real databases, the real pipeline, real
worker threads, real files written.
"""

import json
import shutil
import sqlite3

import pytest
from PySide6.QtCore import QSettings, Qt

from annotator.core.model import ACCEPTED
from annotator.gui.file_menu import RECENT_MAX, recent_databases, remember_database
from annotator.ops.importing import import_paths
from annotator.store import Store
from tests.gui.conftest import SEEDS, answer_file_dialog

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def choose_file(monkeypatch, path):
    """The next file dialog is answered with ``path`` (the real dialog: see ``answer_file_dialog``)."""
    return answer_file_dialog(path)


def menu_action(window, menu_title, name):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == menu_title)
    return next(a for a in menu.actions() if a.objectName() == name)


def test_open_database_switches_the_window_and_closes_the_old_store(qtbot, window, tmp_path, monkeypatch, project_db):
    other = tmp_path / "other" / "second.db"
    other.parent.mkdir()
    shutil.copy(project_db, other)
    with Store.open(other) as store:  # a project of its own: one document accepted there
        first = store.document_ids()[0]
    old_store = window.store
    choose_file(monkeypatch, other)
    menu_action(window, "File", "open_database").trigger()
    new = window.replaced_by
    assert new is not None and new is not window
    qtbot.addWidget(new)
    qtbot.waitUntil(lambda: not new.preparing, timeout=120_000)
    assert new.store.path == other and new.isVisible() and not window.isVisible()
    assert new.windowTitle() == "annotator — second.db"
    assert new.view is not None and new.doc_model.rowCount() == 5
    with pytest.raises(sqlite3.ProgrammingError):  # the old project's connection is closed
        old_store.db.execute("SELECT 1")
    new.gold_view.setFocus()
    qtbot.keyClick(new.gold_view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # accept, in the new file
    with Store.open(other) as store:
        assert store.review(first).state == ACCEPTED
    assert recent_databases(new.settings)[:2] == [str(other.resolve()), str(project_db.resolve())]


@pytest.mark.parametrize("content", ["this is not a database\n", ""], ids=["text", "missing"])
def test_a_bad_file_is_refused_in_one_line_and_the_window_stays(qtbot, window, tmp_path, monkeypatch, content):
    bad = tmp_path / "notes.db"
    if content:
        bad.write_text(content * 200)
    remember_database(window.settings, bad)
    before = window.view.document.id
    if content:
        choose_file(monkeypatch, bad)
        menu_action(window, "File", "open_database").trigger()
    else:  # the dialog only offers existing files: this one went away between choosing and opening
        window.open_database(bad)
    assert window.replaced_by is None
    notice = window.notice
    assert notice is not None and notice.isVisible()
    assert str(bad.name) in notice.text() and "\n" not in notice.text()
    notice.accept()
    assert window.isVisible() and window.view.document.id == before
    window.store.db.execute("SELECT 1")  # still open
    assert (str(bad.resolve()) in recent_databases(window.settings)) == bool(content), "a missing file is forgotten"
    assert not bad.exists() or bad.read_text() == content * 200, "the refused file is left as it was"


def test_recent_menu_greys_missing_files_and_keeps_eight(qtbot, window, tmp_path, project_db):
    paths = []
    for i in range(10):
        path = tmp_path / f"p{i}.db"
        if i % 2 == 0:
            shutil.copy(project_db, path)
        paths.append(path)
        remember_database(window.settings, path)
    assert len(recent_databases(window.settings)) == RECENT_MAX
    window.fill_recent_menu()
    entries = [a for a in window.recent_menu.actions() if a.data()]
    assert [a.data() for a in entries] == [str(p.resolve()) for p in reversed(paths)][:RECENT_MAX]
    for action in entries:
        exists = action.data().endswith(("0.db", "2.db", "4.db", "6.db", "8.db"))
        assert action.isEnabled() == exists and ("(missing)" in action.text()) != exists
    remove = next(a for a in window.recent_menu.actions() if a.objectName() == "removeMissing")
    remove.trigger()
    remaining = recent_databases(window.settings)
    assert remaining and all(p.endswith(("0.db", "2.db", "4.db", "6.db", "8.db")) for p in remaining)
    window.fill_recent_menu()
    target = next(a for a in window.recent_menu.actions() if a.data() == str(paths[8].resolve()))
    target.trigger()
    qtbot.addWidget(window.replaced_by)
    qtbot.waitUntil(lambda: not window.replaced_by.preparing, timeout=120_000)
    assert window.replaced_by.store.path.resolve() == paths[8].resolve()


def test_remembered_across_restarts(tmp_path, project_db):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    remember_database(settings, project_db)
    settings.sync()
    again = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    assert recent_databases(again) == [str(project_db.resolve())]


def test_import_files_with_ctrl_o_in_the_background(qtbot, make_window, tmp_path, monkeypatch):
    db = tmp_path / "fresh.db"
    window = make_window(db)
    assert window.doc_model.rowCount() == 0
    chosen = [str(SEEDS / "000_e5af05bdd28e0bde.txt"), str(SEEDS / "001_d2bd26a827c6933f.txt")]
    answer_file_dialog(*chosen)
    window.gold_view.setFocus()
    qtbot.keyClick(window.gold_view, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert window.preparing, "the work went to the worker: the key press returned at once"
    qtbot.waitUntil(lambda: not window.preparing, timeout=300_000)
    assert window.doc_model.rowCount() == 2
    assert window.view is not None and window.view.model_spans, "pre-annotated and shown"
    assert "imported 2 new document(s)" in window.statusBar().currentMessage().lower()


def test_import_a_folder_and_a_bad_one(qtbot, make_window, tmp_path, monkeypatch):
    db = tmp_path / "fresh.db"
    with Store.open(db) as store:
        import_paths(store, [SEEDS / "000_e5af05bdd28e0bde.txt"], annotator="tester")
    window = make_window(db)
    empty = tmp_path / "empty"
    empty.mkdir()
    answer_file_dialog(empty)
    shown = []
    monkeypatch.setattr("annotator.gui.preparation.show_error", lambda _p, title, first, details=None: shown.append(first))
    qtbot.keyClick(window.gold_view, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: not window.preparing, timeout=300_000)
    assert shown and "folder holds no .txt or .jsonl files" in shown[0] and "\n" not in shown[0]
    answer_file_dialog(SEEDS)
    menu_action(window, "File", "import_folder").trigger()
    qtbot.waitUntil(lambda: not window.preparing, timeout=300_000)
    assert window.doc_model.rowCount() == 5


def export_with(qtbot, window, *, fmt, path, every=False):
    qtbot.waitUntil(window.isActiveWindow)  # the window's shortcuts work in the active window
    qtbot.keyClick(window.gold_view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = window.export_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.format.setCurrentIndex(dialog.format.findData(fmt))
    if every:
        qtbot.mouseClick(dialog.every_document, Qt.MouseButton.LeftButton)
    dialog.path.setText(str(path))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.notice is not None and window.notice.isVisible(), timeout=120_000)
    return window.notice


def test_export_in_the_background_with_a_summary(qtbot, window, tmp_path):
    window.gold_view.setFocus()
    accepted = window.view.document.id
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    out = tmp_path / "gold.jsonl"
    notice = export_with(qtbot, window, fmt="doccano", path=out)
    assert notice.windowTitle() == "Export finished"
    assert notice.text() == f"Wrote 1 document(s), {len(window.store.gold(accepted, 'tester'))} span(s) to {out} (doccano)."
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 1 and records[0]["text"] == window.store.document(accepted).text
    assert all(len(label) == 3 for label in records[0]["label"])  # doccano: [start, end, label]
    notice.accept()
    out_all = tmp_path / "all.spacy"
    notice = export_with(qtbot, window, fmt="spacy", path=out_all, every=True)
    assert "Wrote 5 document(s)" in notice.text() and out_all.stat().st_size > 0


def test_export_dialog_strip_goes_with_jsonl_only(qtbot, window, tmp_path):
    qtbot.keyClick(window.gold_view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = window.export_dialog
    dialog.strip.setChecked(True)
    dialog.format.setCurrentIndex(dialog.format.findData("spacy"))
    assert not dialog.strip.isEnabled() and not dialog.choice().strip
    assert dialog.choice().out.suffix == ".spacy"
    dialog.format.setCurrentIndex(dialog.format.findData("jsonl"))
    assert dialog.strip.isEnabled() and dialog.choice().out.suffix == ".jsonl"
    dialog.path.setText("")
    assert not dialog.export_button.isEnabled()
    dialog.reject()


def test_export_error_is_one_line(qtbot, window, tmp_path):
    out = tmp_path / "no-such-folder" / "gold.jsonl"
    notice = export_with(qtbot, window, fmt="jsonl", path=out, every=True)
    assert notice.windowTitle() == "Export failed"
    assert "does not exist" in notice.text() and "\n" not in notice.text()
    assert not out.parent.exists()


def test_switching_while_the_old_project_is_preparing_stops_it_safely(qtbot, make_window, tmp_path, project_db):
    busy = tmp_path / "busy.db"
    with Store.open(busy) as store:
        import_paths(store, [SEEDS], annotator="tester")
    window = make_window(busy)
    window.prepare(busy, [], batch_size=1)  # loads the pipeline and pre-annotates in the worker thread
    window.show_evaluation()
    report = window.evaluation_dialog
    assert window.preparing and report.isVisible()
    new = window.open_database(project_db)
    qtbot.addWidget(new)
    assert not report.isVisible(), "the old project's windows went with it"
    assert window._thread is None or not window._thread.isRunning(), "the worker stopped before the store closed"
    with pytest.raises(sqlite3.ProgrammingError):
        window.store.db.execute("SELECT 1")
    qtbot.waitUntil(lambda: not new.preparing, timeout=120_000)
    qtbot.wait(100)  # any late signal of the old worker would reach the closed store now
    assert new.view is not None and new.doc_model.rowCount() == 5
    conn = sqlite3.connect(busy)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 5
    finally:
        conn.close()


def test_export_asks_before_replacing_a_file(qtbot, window, tmp_path):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    out = tmp_path / "keep.jsonl"
    out.write_text("mine\n")

    def answer(button):
        def press():
            boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
                     and "Replace it?" in w.text()]
            if not boxes:
                QTimer.singleShot(30, press)
                return
            qtbot.mouseClick(boxes[0].button(button), Qt.MouseButton.LeftButton)
        QTimer.singleShot(30, press)

    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window.gold_view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = window.export_dialog
    dialog.path.setText(str(out))
    qtbot.mouseClick(dialog.every_document, Qt.MouseButton.LeftButton)
    answer(QMessageBox.StandardButton.No)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and out.read_text() == "mine\n", "No: nothing written, the dialog stays"
    answer(QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.notice is not None and window.notice.isVisible(), timeout=120_000)
    assert "Wrote 5 document(s)" in window.notice.text() and len(out.read_text().splitlines()) == 5
