"""Each annotator's review state is their own: another annotator's edits do not take it over."""

from annotator.core.model import ACCEPTED, IN_PROGRESS, TODO
from annotator.core.spans import Span
from annotator.ops import gold_edits, documents

LABELS = ["GPE", "PERSON", "LOC"]


def test_second_annotator_starts_from_the_model_and_keeps_their_own_state(store, tokenize):
    text = "Mali said Keita met Putin."
    doc, _ = store.add_document(text, "a.txt", "h")
    store.set_tokens(doc, "blank", tokenize(text))
    store.add_prediction(doc, "en_x", "1", [Span(0, 4, "PERSON", "model")])
    gold_edits.start_review(store, doc, "ann")
    gold_edits.relabel_span(store, doc, "ann", store.gold(doc, "ann")[0], "GPE", LABELS)
    gold_edits.set_state(store, doc, "ann", ACCEPTED)
    copied = gold_edits.start_review(store, doc, "bob")
    assert copied == [Span(0, 4, "PERSON", "model")]  # bob's first look starts from the model, not from ann
    gold_edits.relabel_span(store, doc, "bob", copied[0], "LOC", LABELS)
    assert store.review(doc, "ann").state == ACCEPTED and store.review(doc, "bob").state == IN_PROGRESS
    assert store.gold(doc, "ann") == [Span(0, 4, "GPE", "human")]
    assert store.gold(doc, "bob") == [Span(0, 4, "LOC", "human")]
    assert store.review(doc).annotator == "bob"  # the document's latest review


def test_undo_of_a_first_look_clears_only_that_annotators_state(store, tokenize):
    text = "Mali said Keita met Putin."
    doc, _ = store.add_document(text, "a.txt", "h")
    store.set_review(doc, ACCEPTED, "ann")
    before = documents.snapshot(store, doc, "bob")
    assert (before.state, before.annotator) == (TODO, None)
    gold_edits.start_review(store, doc, "bob")
    documents.restore(store, before, "bob", "undo")
    assert store.review(doc, "bob").state == TODO and store.review(doc, "ann").state == ACCEPTED
