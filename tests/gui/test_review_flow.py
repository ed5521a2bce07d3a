"""The whole review flow on the seeds, driven by real key presses and mouse drags."""

import pytest
from PySide6.QtCore import QPoint, Qt

from annotator.core.model import ACCEPTED, IN_PROGRESS
from annotator.gui.occurrences_view import OccurrencesDialog
from annotator.store import Store
from tests.gui.conftest import point_at, when_shown

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def gold_texts(store, doc_id):
    text = store.document(doc_id).text
    return [(text[s.start:s.end], s.label) for s in store.gold(doc_id, "tester")]


def drive_soon(kind, action):
    """Run ``action(dialog)`` on the dialog of ``kind`` once it is shown (it runs its own loop);
    a dialog the action left open is rejected."""
    def then_close(dialog):
        action(dialog)
        if dialog.isVisible():
            dialog.reject()
    when_shown(kind, then_close)


def click_at(qtbot, view, offset):
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point_at(view, offset))


def test_review_flow_on_the_seeds(qtbot, window, project_db):
    store = window.store
    view = window.gold_view
    doc = window.view.document
    assert doc.source.startswith("000_")
    text = doc.text
    view.setFocus()

    # 1. relabel "Mali" (PERSON) to GPE everywhere, from the span under a mouse click
    mali = next(s for s in window.view.gold if text[s.start:s.end] == "Mali" and s.label == "PERSON")
    click_at(qtbot, view, mali.start + 1)
    assert window.span_at_cursor() == mali

    seen = {}

    def drive(dialog):
        dialog.wait_for_scan()
        qtbot.waitUntil(lambda: dialog.summary is not None)
        dialog.label_box.setCurrentIndex(dialog.label_box.findData("GPE"))
        dialog.wait_for_scan()
        qtbot.waitUntil(lambda: dialog.summary is not None)
        seen["document"] = dialog.count.text()
        radio = dialog.in_corpus  # click its indicator, where a user clicks
        qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(8, radio.height() // 2))
        seen["checked"] = dialog.in_corpus.isChecked()
        dialog.wait_for_scan()
        qtbot.waitUntil(lambda: dialog.summary is not None)
        seen["corpus"] = dialog.count.text()
        seen["relabelled"] = dialog.summary.counts.get("relabel", 0)
        seen["rows"] = [dialog.model.data(dialog.model.index(r, 2)) for r in range(3)]
        ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    drive_soon(OccurrencesDialog, drive)
    qtbot.keyClick(view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert "in 1 document(s)" in seen["document"], seen
    assert "in 5 document(s)" in seen["corpus"] and seen["relabelled"] >= 10, seen
    assert all("[Mali]" in row for row in seen["rows"])  # each occurrence in its context
    window.activateWindow()  # a desktop gives focus back after a dialog; offscreen needs asking
    qtbot.waitUntil(window.isActiveWindow)
    for doc_id in store.document_ids():
        assert ("Mali", "PERSON") not in gold_texts(store, doc_id) or store.review(doc_id).state == "todo"
    assert ("Mali", "GPE") in gold_texts(store, doc.id)
    other = store.document_ids()[4]
    assert ("Mali", "GPE") in gold_texts(store, other) and ("Mali", "PERSON") not in gold_texts(store, other)

    # 2. add a span by mouse selection: dragging over part of a word snaps to the whole token
    word = text.index("mercenary group")
    start_pt, end_pt = point_at(view, word + 2), point_at(view, word + 7)
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start_pt)
    qtbot.mouseMove(view.viewport(), end_pt)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=end_pt)
    assert view.selection() == (word + 2, word + 7)
    qtbot.keyClick(view, Qt.Key.Key_O)
    assert ("mercenary", "ORG") in gold_texts(store, doc.id)

    # ... and by keyboard: shift+arrows over "junta"
    junta = text.index("junta")
    window.gold_view.place_cursor(junta)
    for _ in range(5):
        qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(view, Qt.Key.Key_N)
    assert ("junta", "NORP") in gold_texts(store, doc.id)

    # 3. delete one: Tab to the next span after "junta", then Delete
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    doomed = window.span_at_cursor()
    assert doomed is not None and doomed.start > junta
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert doomed not in store.gold(doc.id, "tester")

    # 4. boilerplate: B marks the line at the cursor; Ctrl+B accepts the suggestions
    comments = text.index("No comments yet...")
    click_at(qtbot, view, comments + 3)
    qtbot.keyClick(view, Qt.Key.Key_B)
    marked = store.boilerplate(doc.id, "tester")
    assert [(r.start, r.end) for r in marked] == [(comments, comments + len("No comments yet..."))]
    qtbot.keyClick(view, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    block = store.boilerplate(doc.id, "tester")
    assert block[-1].end == len(text.rstrip()) and block[0].start <= text.index("Try Our AI Features")

    # 5. undo twice (suggestions, then the line), redo once
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert store.boilerplate(doc.id, "tester") == marked
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert store.boilerplate(doc.id, "tester") == []
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert store.boilerplate(doc.id, "tester") == marked

    # 6. accept: the document is accepted and the next one to review opens
    assert store.review(doc.id).state == IN_PROGRESS
    qtbot.keyClick(view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert store.review(doc.id).state == ACCEPTED and store.review(doc.id).annotator == "tester"
    assert window.view.document.id != doc.id
    assert window.progress_status.text() == "1 / 5 accepted"
    selected = window.doc_table.selectionModel().selectedRows()
    assert [window.doc_model.document_id(i.row()) for i in selected] == [window.view.document.id]

    # everything is in the database file, as another connection sees it
    with Store.open(project_db) as fresh:
        gold = gold_texts(fresh, doc.id)
        assert ("Mali", "GPE") in gold and ("mercenary", "ORG") in gold and ("junta", "NORP") in gold
        assert ("Mali", "PERSON") not in gold
        assert fresh.boilerplate(doc.id, "tester") == marked
        assert fresh.review(doc.id).state == ACCEPTED
        actions = [e["action"] for e in fresh.edits(doc.id)]
        assert "label_occurrences" in actions and "undo" in actions and "redo" in actions


def test_relabel_occurrences_is_one_undo_step(qtbot, window):
    store = window.store
    text = window.view.document.text
    mali = next(s for s in window.view.gold if text[s.start:s.end] == "Mali" and s.label == "PERSON")
    before = {i: (store.gold(i, "tester"), store.review(i, "tester").state) for i in store.document_ids()}

    def drive(dialog):
        dialog.in_corpus.setChecked(True)
        dialog.label_box.setCurrentIndex(dialog.label_box.findData("GPE"))
        dialog.wait_for_scan()
        qtbot.waitUntil(lambda: dialog.summary is not None and dialog.summary.label == "GPE")
        assert dialog.summary.documents == 5
        dialog.accept()

    window.gold_view.select_range(mali.start, mali.end)
    drive_soon(OccurrencesDialog, drive)
    qtbot.keyClick(window.gold_view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.undo_stack.count() == 1)
    assert all(("Mali", "PERSON") not in gold_texts(store, i) for i in store.document_ids())
    window.gold_view.setFocus()
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert {i: (store.gold(i, "tester"), store.review(i, "tester").state) for i in store.document_ids()} == before
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert all(("Mali", "PERSON") not in gold_texts(store, i) for i in store.document_ids())


def test_relabel_and_resize_by_keyboard(qtbot, window):
    store, view = window.store, window.gold_view
    text = window.view.document.text
    view.setFocus()
    peskov = next(s for s in window.view.gold if text[s.start:s.end] == "Dmitry Peskov")
    view.select_range(peskov.start, peskov.end)
    qtbot.keyClick(view, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)  # start one token left
    resized = window.span_at_cursor()
    assert text[resized.start:resized.end] == "spokesman Dmitry Peskov"
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(view, Qt.Key.Key_O)
    span = window.span_at_cursor()
    assert (text[span.start:span.end], span.label) == ("Dmitry Peskov", "ORG")
    assert span in store.gold(window.view.document.id, "tester")


def test_gold_only_toggle_and_settings_remembered(qtbot, make_window, project_db):
    first = make_window(project_db)
    first.gold_view.setFocus()
    qtbot.keyClick(first.gold_view, Qt.Key.Key_F8)
    assert not first.model_box.isVisible()
    first.step_document(2)
    third = first.view.document.id
    first.resize(761, 555)  # the offscreen screen is 800x600: stay inside it
    first.close()
    second = make_window(project_db)
    assert second.view.document.id == third
    assert not second.model_box.isVisible()
    assert (second.width(), second.height()) == (761, 555)


def test_last_document_is_remembered_per_database(qtbot, make_window, project_db, seeded_db, tmp_path):
    """Open A at its 4th document, quit; a fresh B opens its own first document to review, and
    B's 4th document is not touched; A reopens at its 4th."""
    window_a = make_window(project_db)
    fourth = window_a.store.document_ids()[3]
    window_a.show_document(fourth)
    window_a.close()
    other = tmp_path / "other.db"
    other.write_bytes(seeded_db.read_bytes())
    window_b = make_window(other)
    b_ids = window_b.store.document_ids()
    assert window_b.view.document.id == b_ids[0]
    assert window_b.store.review(b_ids[3]).state == "todo"
    window_b.close()
    again = make_window(project_db)
    assert again.view.document.id == fourth


def test_switching_the_scope_while_rows_are_queued_lists_each_occurrence_once(qtbot, window):
    """The document scan's rows may still be queued when the reviewer picks "whole corpus": they must
    not land in the corpus list (they did: 52 rows for 47 occurrences, and the apply went wrong)."""
    view = window.gold_view
    text = window.view.document.text
    mali = next(s for s in window.view.gold if text[s.start:s.end] == "Mali")
    window.gold_view.place_cursor(mali.start + 1)
    seen = {}

    def drive(dialog):
        dialog.wait_for_scan()  # the thread is done; its rows wait in the event queue
        qtbot.mouseClick(dialog.in_corpus, Qt.MouseButton.LeftButton, pos=QPoint(8, dialog.in_corpus.height() // 2))
        dialog.wait_for_scan()
        qtbot.waitUntil(lambda: dialog.summary is not None)
        qtbot.wait(50)  # anything still queued arrives now
        seen["rows"] = [dialog.model.occurrence(r)[:3] for r in range(dialog.model.rowCount())]
        seen["documents"] = dialog.summary.documents

    drive_soon(OccurrencesDialog, drive)
    qtbot.keyClick(view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    rows = seen["rows"]
    assert len(rows) == len(set(rows)) and seen["documents"] == 5
    corpus = "".join(window.store.document(i).text for i in window.store.document_ids())
    assert len(rows) == corpus.count("Mali")  # every occurrence of the word, each once


def test_a_bug_in_a_bulk_change_is_reported_not_waited_for(qtbot, window):
    """The window waits in a local loop for the worker's answer: an unexpected exception must end it
    with a message (it left the window waiting forever), and the transaction leaves nothing behind."""
    from annotator.gui.occurrences_view import run_with_progress

    before = window.store.gold(window.view.document.id, "tester")

    def job(store, progress):
        with store.transaction():
            store.db.execute("DELETE FROM documents")
            raise ZeroDivisionError("a bug")

    ok, message = run_with_progress(window, window.store.path, "Labelling…", 5, job)
    assert not ok and message.startswith("unexpected error (nothing was changed): ZeroDivisionError('a bug')")
    assert len(window.store.document_ids()) == 5
    assert window.store.gold(window.view.document.id, "tester") == before


def test_the_next_document_s_span_table_starts_at_its_top(qtbot, window):
    """It kept the previous document's scroll position: the first spans were hidden (walkthrough)."""
    table = window.span_table
    bar = table.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(bar.maximum())
    window.gold_view.setFocus()
    qtbot.keyClick(window.gold_view, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.view.document.source.startswith("001_")
    assert bar.value() == 0


def test_ctrl_r_before_any_label_key_offers_the_label_the_text_has_elsewhere(qtbot, window):
    """The first seed has "Mali" as PERSON (wrong) and as GPE: Ctrl+R on a PERSON one, before any
    label key was pressed, offered PERSON (nothing to change); it offers GPE, and Esc changes nothing."""
    text = window.view.document.text
    malis = [s for s in window.view.gold if text[s.start:s.end] == "Mali"]
    assert {s.label for s in malis} == {"PERSON", "GPE"} and window.last_label is None
    person = next(s for s in malis if s.label == "PERSON")
    offered = []

    def drive(dialog):
        offered.append(dialog.label)
        dialog.reject()

    window.gold_view.place_cursor(person.start + 1)
    drive_soon(OccurrencesDialog, drive)
    qtbot.keyClick(window.gold_view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(offered))
    assert offered == ["GPE"] and window.undo_stack.count() == 0

    offered.clear()  # a text with one label only: its own label is offered (the reviewer picks another)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    russia = next(s for s in window.view.gold if text[s.start:s.end] == "Russia")
    assert {s.label for s in window.view.gold if text[s.start:s.end] == "Russia"} == {"GPE"}
    window.gold_view.place_cursor(russia.start + 1)
    drive_soon(OccurrencesDialog, drive)
    qtbot.keyClick(window.gold_view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(offered))
    assert offered == ["GPE"]
