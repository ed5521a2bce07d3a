"""Tools → Agreement: the numbers of `project_agreement`, computed in a worker thread, on a project of three
annotators who disagree (labels, deletions and near misses); a ranked document opens on a click; too few
annotators get a sentence."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

import annotator.ops.agreement as agreement_module
from annotator.core.model import ACCEPTED
from annotator.gui.agreement_view import NOT_ENOUGH, AgreementDialog
from annotator.ops import gold_edits
from annotator.ops.agreement import project_agreement
from annotator.ops.assigning import assign
from annotator.ops.merging import merge_files
from annotator.store import Store
from tests.team.helpers import correct

pytestmark = [pytest.mark.gui, pytest.mark.integration]
ANNOTATORS = ["ann", "bob", "cy"]
# an open menu grabs the keyboard, which the offscreen platform cannot do (it says so, and the menu works)
MENU = pytest.mark.qt_log_ignore("This plugin does not support grabbing the keyboard")


@pytest.fixture
def team_db(project_db, tmp_path) -> Path:
    out = tmp_path / "team"
    with Store.open(project_db) as store:
        assign(store, out, ANNOTATORS, overlap=1.0, seed=0)
    for name in ANNOTATORS:
        correct(out / f"{name}.db", name, near_misses=True)
    with Store.open(project_db) as store:
        merge_files(store, [out / f"{name}.db" for name in ANNOTATORS])
    return project_db


def open_agreement(qtbot, window) -> AgreementDialog:
    """Tools → Agreement from the keyboard (Alt+T, A)."""
    window.gold_view.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)
    menu = next(m for m in (a.menu() for a in window.menuBar().actions()) if m.title() == "&Tools")
    qtbot.waitUntil(menu.isVisible)
    qtbot.keyClick(menu, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: window.agreement_dialog is not None and window.agreement_dialog.isVisible())
    dialog = window.agreement_dialog
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    return dialog


def shown_rows(table) -> list[list[str]]:
    model = table.model()
    return [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(model.rowCount())]


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}"


@MENU
def test_agreement_window_shows_project_agreement(qtbot, make_window, team_db, qtmodeltester):
    with Store.open(team_db) as store:
        expected = project_agreement(store)
    assert len(expected.pairs) == 3 and any(s.exact_f1 != s.overlap_f1 for s in expected.pairs.values())
    window = make_window(team_db)
    dialog = open_agreement(qtbot, window)
    for table in (dialog.pair_table, dialog.label_table, dialog.document_table):
        qtmodeltester.check(table.model())

    total = expected.total
    assert (f"exact F1 {pct(total.exact_f1)} · overlap F1 {pct(total.overlap_f1)} · token κ {total.kappa:.3f}"
            in dialog.summary.text())
    pairs = {(row[0], row[1]): row[2:] for row in shown_rows(dialog.pair_table)}
    assert pairs == {
        pair: [str(s.documents), pct(s.exact_f1), pct(s.overlap_f1), f"{s.kappa:.3f}", str(s.agreed), str(s.spans_a),
               str(s.spans_b), pct(s.boilerplate_agreement)]
        for pair, s in expected.pairs.items()}
    labels = {row[0]: row[1:] for row in shown_rows(dialog.label_table)}
    assert labels == {label: [pct(s.exact_f1), str(s.agreed), str(s.spans)] for label, s in expected.per_label.items()}
    ranked = shown_rows(dialog.document_table)
    assert ranked == [[str(rank), d.source, ", ".join(d.annotators), str(d.disputed), str(d.spans), pct(d.exact_f1)]
                      for rank, d in enumerate(expected.documents, 1)]

    target = expected.documents[0]
    if window.view.document.id == target.document_id:
        window.step_document(1)
    table = dialog.document_table
    index = table.model().index(0, 1)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualRect(index).center())
    assert window.view.document.id == target.document_id


def test_agreement_runs_in_a_worker(qtbot, make_window, team_db, monkeypatch):
    """Speed-independent: the worker waits until the GUI thread handled a timer tick."""
    real = agreement_module.project_agreement
    ticked = threading.Event()
    seen = {}

    def waiting(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        seen["thread"] = threading.current_thread()
        ticked.clear()
        seen["ticked"] = ticked.wait(timeout=60)
        return real(*args, **kwargs)

    monkeypatch.setattr(agreement_module, "project_agreement", waiting)
    window = make_window(team_db)
    timer = QTimer()
    timer.timeout.connect(ticked.set)
    timer.start(10)
    window.show_agreement()
    dialog = window.agreement_dialog
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    timer.stop()
    assert seen["thread"] is not threading.main_thread() and seen["ticked"] is True
    assert dialog.pair_model.rowCount() == 3


@MENU
def test_fewer_than_two_annotators_get_a_sentence(qtbot, window):
    gold_edits.set_state(window.store, window.store.document_ids()[0], "tester", ACCEPTED)
    dialog = open_agreement(qtbot, window)
    assert dialog.stack.currentWidget() is dialog.message_page and dialog.message.isVisible()
    assert dialog.message.text() == NOT_ENOUGH and dialog.message_title.text() == "No agreement to measure yet"
    assert dialog.pair_model.rowCount() == dialog.document_model.rowCount() == 0
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.gold_view)
