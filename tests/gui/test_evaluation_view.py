"""The Evaluation view: same numbers as the command, a disagreement opens its document at the span."""

import pytest
from PySide6.QtCore import Qt

from annotator.core.model import ACCEPTED
from annotator.gui.evaluation_view import DisagreementModel, EvaluationDialog
from annotator.ops import gold_edits
from annotator.ops.evaluating import evaluate_stored

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def test_evaluation_view_and_disagreement_click(qtbot, window, qtmodeltester):
    store = window.store
    for doc_id in store.document_ids()[:3]:
        gold_edits.set_state(store, doc_id, "tester", ACCEPTED)
    first = store.document_ids()[0]
    text = store.document(first).text
    mali = next(s for s in store.gold(first, "tester") if text[s.start:s.end] == "Mali" and s.label == "PERSON")
    gold_edits.relabel_span(store, first, "tester", mali, "GPE", window.labels.names)
    window.gold_view.setFocus()
    qtbot.keyClick(window.gold_view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = window.evaluation_dialog
    assert isinstance(dialog, EvaluationDialog) and dialog.isVisible()
    expected = evaluate_stored(store, None).evaluation.to_dict()
    assert f"F {100 * expected['ents_f']:.1f}" in dialog.summary.text()
    assert dialog.per_label.rowCount() == len(expected["ents_per_type"])
    qtmodeltester.check(dialog.disagreements)
    rows = [dialog.disagreements.row_at(r) for r in range(dialog.disagreements.rowCount())]
    target = next(r for r in rows if r.kind == "type" and r.text == "Mali")
    assert (target.gold_label, target.predicted_label) == ("GPE", "PERSON")
    window.step_document(2)
    row = rows.index(target)
    index = dialog.disagreements.index(row, 1)
    qtbot.mouseClick(dialog.disagreement_table.viewport(), Qt.MouseButton.LeftButton,
                     pos=dialog.disagreement_table.visualRect(index).center())
    assert window.view.document.id == target.document_id
    assert window.gold_view.selection() == (target.start, target.end)


def test_disagreement_model_empty(qtmodeltester):
    qtmodeltester.check(DisagreementModel())
