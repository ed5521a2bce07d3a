"""The Evaluation window: same numbers as the command, computed in a worker thread while the window stays
usable, Cancel, every label visible at 1400 x 900, both texts of a disagreement, a click opens the span."""

import threading

import pytest
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import QApplication

from annotator.core.model import ACCEPTED
from annotator.core.spans import Span
from annotator.gui.evaluation_view import DisagreementModel, EvaluationDialog
from annotator.gui.report_window import opening_size
from annotator.ops import gold_edits
from annotator.ops.evaluating import evaluate_stored
from tests.scoring_steps import on_scoring

pytestmark = [pytest.mark.gui, pytest.mark.integration]
GOLD_TEXT, PREDICTED_TEXT = 3, 5  # columns of the disagreement table


def accept_first(window, n: int = 3) -> list[int]:
    ids = window.store.document_ids()[:n]
    for doc_id in ids:
        gold_edits.set_state(window.store, doc_id, "tester", ACCEPTED)
    return ids


def open_evaluation(qtbot, window) -> EvaluationDialog:
    """Ctrl+Shift+E in the gold pane, as a reviewer opens it; wait for the scores."""
    window.gold_view.setFocus()
    qtbot.keyClick(window.gold_view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = window.evaluation_dialog
    assert isinstance(dialog, EvaluationDialog) and dialog.isVisible()
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    return dialog


def shown(table, column: int) -> list[str]:
    model = table.model()
    return [model.index(row, column).data() for row in range(model.rowCount())]


def click_row(qtbot, table, row: int, column: int = 0) -> None:
    index = table.model().index(row, column)
    table.scrollTo(index)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualRect(index).center())


def test_scores_and_disagreement_click(qtbot, window, qtmodeltester):
    store = window.store
    first = accept_first(window)[0]
    text = store.document(first).text
    mali = next(s for s in store.gold(first, "tester") if text[s.start:s.end] == "Mali" and s.label == "PERSON")
    gold_edits.relabel_span(store, first, "tester", mali, "GPE", window.labels.names)
    dialog = open_evaluation(qtbot, window)
    expected = evaluate_stored(store, None)
    data = expected.evaluation.to_dict()
    assert f"F {100 * data['ents_f']:.1f}" in dialog.summary.text()
    for model in (dialog.label_model, dialog.confusion, dialog.disagreements):
        qtmodeltester.check(model)
    per_type = expected.evaluation.per_type
    assert set(shown(dialog.per_label, 0)) == set(window.labels.names) | set(per_type)
    rows = dict(zip(shown(dialog.per_label, 0), zip(shown(dialog.per_label, 3), shown(dialog.per_label, 4))))
    for label, prf in per_type.items():
        if len(prf):
            assert rows[label] == (f"{100 * prf.fscore:.1f}", str(prf.tp + prf.fn)), label
    assert [bar.label for bar in dialog.chart.bars] == sorted(
        (label for label, prf in per_type.items() if len(prf)), key=lambda name: (-(per_type[name].tp + per_type[name].fn), name))
    assert all((bar.gold, bar.predicted) == (per_type[bar.label].tp + per_type[bar.label].fn,
                                             per_type[bar.label].tp + per_type[bar.label].fp) for bar in dialog.chart.bars)
    confusion = data["confusion"]
    assert dialog.confusion.count(dialog.confusion.gold.index("GPE"), dialog.confusion.predicted.index("PERSON")) == \
        confusion["GPE"]["PERSON"] >= 1

    dialog.tabs.setCurrentIndex(2)
    table = dialog.disagreement_table
    target = next(d for d in expected.evaluation.disagreements if d.kind == "type" and d.text == "Mali")
    row = dialog.disagreements.rows().index(target)
    assert [table.model().index(row, c).data() for c in range(6)] == [
        target.source, "wrong label", "GPE", "Mali", "PERSON", "Mali"]
    window.step_document(2)
    click_row(qtbot, table, row, GOLD_TEXT)
    assert window.view.document.id == target.document_id
    assert window.gold_view.selection() == (target.start, target.end)


def test_boundary_error_shows_the_gold_and_the_predicted_text(qtbot, window):
    store = window.store
    first = accept_first(window, 1)[0]
    text = store.document(first).text
    wide = next(s for s in store.gold(first, "tester") if " " in text[s.start:s.end])
    narrow = Span(text.rindex(" ", wide.start, wide.end) + 1, wide.end, wide.label)
    gold_edits.replace_span(store, first, "tester", wide, narrow, window.labels.names)
    mali = next(s for s in store.gold(first, "tester") if text[s.start:s.end] == "Mali" and s.label == "PERSON")
    gold_edits.relabel_span(store, first, "tester", mali, "GPE", window.labels.names)  # another kind, filtered out
    dialog = open_evaluation(qtbot, window)
    dialog.tabs.setCurrentIndex(2)
    dialog.kind_filter.setCurrentIndex(dialog.kind_filter.findData("wrong boundaries"))
    table = dialog.disagreement_table
    texts = list(zip(shown(table, 1), shown(table, GOLD_TEXT), shown(table, PREDICTED_TEXT)))
    assert ("wrong boundaries", text[narrow.start:narrow.end], text[wide.start:wide.end]) in texts
    assert all(kind == "wrong boundaries" and gold != predicted for kind, gold, predicted in texts)
    total = dialog.disagreements.total()
    assert total > len(texts) and dialog.disagreement_count.text() == f"{len(texts)} of {total} disagreement(s)"


def test_every_label_fits_at_1400_by_900(qtbot, window):
    accept_first(window)
    dialog = open_evaluation(qtbot, window)
    dialog.resize(opening_size(QSize(1400, 900)))
    dialog.tabs.setCurrentIndex(0)
    qtbot.waitUntil(lambda: dialog.per_label.viewport().height() > 0)
    QApplication.processEvents()
    table = dialog.per_label
    rows = table.model().rowCount()
    assert rows >= len(window.labels.names) == 18
    assert table.verticalScrollBar().maximum() == 0, "every label is visible without scrolling"
    last = table.rowViewportPosition(rows - 1) + table.rowHeight(rows - 1)
    assert 0 < last <= table.viewport().height()
    assert dialog.chart.height() >= dialog.chart.minimumSizeHint().height()


def test_evaluation_runs_in_a_worker_while_the_window_stays_usable(qtbot, window, monkeypatch):
    """Speed-independent: the worker waits at the first document until the test has used the window
    (switched a tab with a click), and at every document until the GUI thread handled a timer tick.
    Were the work on the GUI thread, neither could happen while it waits."""
    accept_first(window)
    expected = evaluate_stored(window.store, None, use_cache=False).evaluation.to_dict()
    reached, go, ticked = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, object] = {"waits": []}

    def waiting(ids):  # noqa: ANN001, ANN202
        seen["thread"] = threading.current_thread()
        if not reached.is_set():
            reached.set()
            seen["went"] = go.wait(timeout=60)
        ticked.clear()
        seen["waits"].append(ticked.wait(timeout=60))

    on_scoring(monkeypatch, before=waiting)
    timer = QTimer()
    timer.timeout.connect(ticked.set)
    timer.start(10)
    window.show_evaluation()
    dialog = window.evaluation_dialog
    qtbot.waitUntil(reached.is_set, timeout=60_000)
    assert dialog.running and dialog.progress_row.isVisible() and dialog.cancel_button.isEnabled()
    assert not dialog.refresh_button.isEnabled()
    bar = dialog.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(2).center())
    assert dialog.tabs.currentIndex() == 2, "the window answered a click while the evaluation ran"
    go.set()
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    timer.stop()
    assert seen["thread"] is not threading.main_thread() and seen["went"] is True
    assert seen["waits"] and all(seen["waits"]), "the GUI thread handled events at every scoring step"
    assert not dialog.progress_row.isVisible() and dialog.refresh_button.isEnabled()
    assert f"F {100 * expected['ents_f']:.1f}" in dialog.summary.text()


def test_cancel_then_refresh(qtbot, window, monkeypatch):
    accept_first(window)
    reached, go = threading.Event(), threading.Event()

    def gated(ids):  # noqa: ANN001, ANN202
        reached.set()
        go.wait(timeout=60)

    patched = pytest.MonkeyPatch()
    on_scoring(patched, before=gated)
    window.show_evaluation()
    dialog = window.evaluation_dialog
    qtbot.waitUntil(reached.is_set, timeout=60_000)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert not dialog.cancel_button.isEnabled() and dialog.progress_label.text() == "Cancelling…"
    go.set()
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert dialog.notice.isVisible() and dialog.notice.text().startswith("Cancelled: nothing was computed")
    assert dialog.label_model.rowCount() == 0 and dialog.summary.text() == ""
    assert dialog.refresh_button.isEnabled() and not dialog.progress_row.isVisible()
    patched.undo()
    qtbot.mouseClick(dialog.refresh_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert not dialog.notice.isVisible() and dialog.label_model.rowCount() >= 18
    expected = evaluate_stored(window.store, None).evaluation.to_dict()
    assert f"F {100 * expected['ents_f']:.1f}" in dialog.summary.text()


def test_no_gold_says_what_to_do(qtbot, window):
    window.show_evaluation()
    dialog = window.evaluation_dialog
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert dialog.stack.currentWidget() is dialog.message_page
    assert dialog.message.text().startswith("No accepted documents to evaluate against: accept some")


def test_focus_returns_to_the_gold_pane_when_the_window_closes(qtbot, window):
    accept_first(window)
    dialog = open_evaluation(qtbot, window)
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.gold_view)
    before = window.view.document.id
    qtbot.keyClick(window.gold_view, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.view.document.id != before, "the keyboard works in the gold pane at once"


def test_disagreement_model_empty(qtmodeltester):
    qtmodeltester.check(DisagreementModel())
