"""Review states of many documents at once (``annotator review``), over a real database file."""

import pytest

from annotator.core.errors import InputError
from annotator.core.model import ACCEPTED, IN_PROGRESS, SKIPPED, TODO
from annotator.core.spans import Range, Span
from annotator.ops import documents, gold_edits
from annotator.ops.review_states import EditsWouldBeLost, change_review_states, find_documents
from tests.conftest import snapshot

LABELS = ["GPE", "PERSON"]
TEXT = "Mali said Keita met Putin.\nShare this\n"
MODEL = [Span(0, 4, "PERSON", "model"), Span(10, 15, "PERSON", "model")]


@pytest.fixture
def ids(store):
    """Five pre-annotated documents: a.txt, b.txt, c.txt, two named dup.txt."""
    made = []
    for i, source in enumerate(["a.txt", "b.txt", "c.txt", "dup.txt", "dup.txt"]):
        doc, _ = store.add_document(TEXT + str(i), source, f"h{i}")
        store.add_prediction(doc, "en_x", "1", MODEL)
        made.append(doc)
    return made


def test_accept_by_id_and_by_name_starts_from_the_models_spans_as_the_window_does(store, ids):
    change = change_review_states(store, [str(ids[0]), "b.txt"], "ann", "accept")
    assert (change.changed, change.unchanged, change.annotator) == (2, 0, "ann")
    for doc in ids[:2]:
        assert store.review(doc, "ann").state == ACCEPTED
        assert store.gold(doc, "ann") == MODEL
        assert [e["action"] for e in store.edits(doc)] == ["start_review", "set_state"]
    assert store.review(ids[2], "ann").state == TODO


def test_skip_keeps_edits_and_leaves_a_document_already_skipped_alone(store, ids):
    gold_edits.relabel_span(store, ids[0], "ann", MODEL[0], "GPE", LABELS)
    assert change_review_states(store, ["a.txt"], "ann", "skip").changed == 1
    logged = len(store.edits(ids[0]))
    again = change_review_states(store, ["a.txt", str(ids[0])], "ann", "skip")  # the same document twice
    assert (again.changed, again.unchanged) == (0, 1)
    assert len(store.edits(ids[0])) == logged  # nothing written for a document already skipped
    assert store.review(ids[0], "ann").state == SKIPPED and store.gold(ids[0], "ann")[0].label == "GPE"


def test_unknown_and_ambiguous_names_are_all_named_and_nothing_changes(store, ids):
    before = snapshot(store.path)
    with pytest.raises(InputError) as caught:
        change_review_states(store, ["a.txt", "99", "nope.txt", "dup.txt"], "ann", "accept")
    assert str(caught.value) == (f"no document 99, nope.txt; ambiguous: dup.txt (ids {ids[3]}, {ids[4]}); "
                                 "give the id; nothing changed")
    assert snapshot(store.path) == before


def test_a_number_that_is_an_id_and_another_documents_name_is_ambiguous(store, ids):
    named_two, _ = store.add_document("Another text.", str(ids[1]), "h-two")
    with pytest.raises(InputError, match=f"ambiguous: {ids[1]} \\(ids {ids[1]}, {named_two}\\)"):
        find_documents(store, [str(ids[1])])
    assert find_documents(store, [str(ids[2]), "a.txt", str(ids[0])]) == [ids[2], ids[0]]


def test_all_in_progress_takes_the_annotators_own_documents_only(store, ids):
    gold_edits.start_review(store, ids[0], "ann")
    gold_edits.start_review(store, ids[1], "bob")
    change = change_review_states(store, ["c.txt"], "ann", "accept", all_in_progress=True)
    assert change.changed == 2
    assert [store.review(d, "ann").state for d in ids[:3]] == [ACCEPTED, TODO, ACCEPTED]
    assert store.review(ids[1], "bob").state == IN_PROGRESS


def test_reset_refuses_to_discard_edits_unless_told_and_the_log_keeps_them(store, ids):
    gold_edits.relabel_span(store, ids[0], "ann", MODEL[0], "GPE", LABELS)
    gold_edits.mark_boilerplate(store, ids[0], "ann", 27, 37)
    gold_edits.set_state(store, ids[1], "ann", ACCEPTED)  # the model's spans accepted: no edit to lose
    gold_edits.set_state(store, ids[0], "bob", ACCEPTED)
    before = snapshot(store.path)
    with pytest.raises(EditsWouldBeLost, match=r"1 document\(s\) hold ann's own edits \(a.txt \(id \d+\)\)"):
        change_review_states(store, ["a.txt", "b.txt"], "ann", "reset")
    assert snapshot(store.path) == before

    change = change_review_states(store, ["a.txt", "b.txt", "c.txt"], "ann", "reset", discard_edits=True)
    assert (change.changed, change.unchanged) == (2, 1)  # c.txt was never edited
    for doc in ids[:2]:
        review = store.review(doc, "ann")
        assert (review.state, review.annotator) == (TODO, None)
        assert store.gold(doc, "ann") == [] and store.boilerplate(doc, "ann") == []
        assert documents.read_document(store, doc, "ann").started is False  # the window shows the model's again
    assert store.review(ids[0], "bob").state == ACCEPTED and store.gold(ids[0], "bob") == MODEL
    assert store.review(ids[0]).annotator == "bob"  # the document's latest review is bob's now
    reset = store.edits(ids[0])[-1]
    assert reset["action"] == "reset_review" and reset["annotator"] == "ann"
    assert reset["payload"]["state"] == IN_PROGRESS and reset["payload"]["boilerplate"] == [[27, 37]]
    assert [(s["start"], s["end"], s["label"]) for s in reset["payload"]["removed"]] == [(0, 4, "GPE"), (10, 15, "PERSON")]


def test_has_own_edits_tells_a_changed_layer_from_the_models_spans(store, ids):
    assert not gold_edits.has_own_edits(store, ids[0], "ann")  # never edited
    gold_edits.start_review(store, ids[0], "ann")
    assert not gold_edits.has_own_edits(store, ids[0], "ann")  # the model's spans, as copied
    gold_edits.remove_span(store, ids[0], "ann", MODEL[1])
    assert gold_edits.has_own_edits(store, ids[0], "ann")
    gold_edits.set_boilerplate(store, ids[1], "ann", [Range(27, 32)])
    assert gold_edits.has_own_edits(store, ids[1], "ann")
