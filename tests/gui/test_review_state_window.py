"""The window touches only its annotator's own review state; the first edit starts a review."""

from __future__ import annotations

import pytest

from annotator.core.model import ACCEPTED, IN_PROGRESS, TODO
from annotator.ops import gold_edits
from annotator.store import Store
from tests.team.helpers import find, make_project

pytestmark = pytest.mark.gui


def test_undo_in_the_window_writes_only_the_annotators_own_state(qtbot, make_window, tmp_path, tokenize):
    project = tmp_path / "p.db"
    ids = make_project(project, tokenize)
    with Store.open(project) as store:
        gold_edits.set_state(store, ids[0], "tester", IN_PROGRESS)
        gold_edits.set_state(store, ids[0], "a1", ACCEPTED)  # a1's review is the later one
        a1_before = store.review(ids[0], "a1")
    window = make_window(project)
    window.show_document(ids[0])
    assert window.view.review.state == IN_PROGRESS  # the window shows the annotator's own state
    window.finish_document(ACCEPTED)
    assert window.store.review(ids[0], "tester").state == ACCEPTED
    window.undo()
    assert window.store.review(ids[0], "tester").state == IN_PROGRESS
    assert window.store.review(ids[0], "a1") == a1_before  # untouched: state and time


def test_undo_of_a_first_edit_leaves_the_document_never_edited(qtbot, make_window, tmp_path, tokenize):
    project = tmp_path / "p.db"
    ids = make_project(project, tokenize)
    window = make_window(project)
    window.show_document(ids[1])
    text = window.view.document.text
    mali = find(text, "Mali", "PERSON")
    window.gold_view.select_range(mali.start, mali.end)
    window.apply_label("GPE")
    assert window.store.review(ids[1], "tester").state == IN_PROGRESS
    window.undo()
    assert window.store.review(ids[1], "tester").state == TODO and window.store.gold(ids[1], "tester") == []
    assert not window.view.started and window.view.gold == window.view.model_spans
    window.redo()
    assert Span_in(window.store.gold(ids[1], "tester"), mali.start, "GPE")


def Span_in(spans, start, label):  # noqa: N802 - reads as a predicate
    return any(s.start == start and s.label == label for s in spans)


