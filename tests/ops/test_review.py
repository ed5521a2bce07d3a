"""Reviewer actions over a real database file."""

import pytest

from annotator.core.errors import SpanError
from annotator.core.model import ACCEPTED, IN_PROGRESS, TODO
from annotator.core.spans import Range, Span
from annotator.ops import gold_edits

LABELS = ["GPE", "PERSON"]


@pytest.fixture
def doc(store, tokenize):
    text = "Mali said Keita met Putin in Bamako.\nShare\n"
    doc_id, _ = store.add_document(text, "a.txt", "h")
    store.set_tokens(doc_id, "blank", tokenize(text))
    store.add_prediction(doc_id, "en_x", "1", [Span(0, 4, "PERSON", "model"), Span(20, 25, "PERSON", "model")])
    return doc_id


def test_first_review_copies_model_spans_as_gold(store, doc):
    assert store.review(doc).state == TODO
    gold_edits.start_review(store, doc, "me")
    assert store.gold(doc, "me") == [Span(0, 4, "PERSON", "model"), Span(20, 25, "PERSON", "model")]
    assert store.review(doc).state == IN_PROGRESS
    gold_edits.start_review(store, doc, "me")  # second look copies nothing again
    assert len(store.gold(doc, "me")) == 2


def test_relabel_add_remove_and_log(store, doc):
    gold_edits.start_review(store, doc, "me")
    mali = store.gold(doc, "me")[0]
    new = gold_edits.relabel_span(store, doc, "me", mali, "GPE", LABELS)
    assert new == Span(0, 4, "GPE", "human")
    snapped = gold_edits.snap_selection(store, doc, 11, 13)
    assert snapped == (10, 15)
    gold_edits.add_span(store, doc, "me", Span(*snapped, "PERSON"), LABELS)
    with pytest.raises(SpanError, match="overlaps"):
        gold_edits.add_span(store, doc, "me", Span(12, 18, "PERSON"), LABELS)
    gold_edits.remove_span(store, doc, "me", Span(20, 25, "PERSON", "model"))
    assert store.gold(doc, "me") == [Span(0, 4, "GPE", "human"), Span(10, 15, "PERSON", "human")]
    actions = [e["action"] for e in store.edits(doc)]
    assert actions == ["start_review", "replace_span", "add_span", "remove_span"]


def test_boilerplate_mark_merge_unmark(store, doc):
    text = store.document(doc).text
    share = text.index("Share")
    assert gold_edits.mark_boilerplate(store, doc, "me", share, share + 5) == [Range(share, share + 5)]
    assert gold_edits.mark_boilerplate(store, doc, "me", share + 2, share + 6) == [Range(share, share + 6)]
    assert gold_edits.unmark_boilerplate(store, doc, "me", share + 1, share + 2) == [Range(share, share + 1), Range(share + 2, share + 6)]


def test_accept_records_who_and_when(store, doc):
    gold_edits.set_state(store, doc, "me", ACCEPTED)
    r = store.review(doc)
    assert (r.state, r.annotator) == (ACCEPTED, "me") and r.updated_at
    assert len(store.gold(doc, "me")) == 2  # accepting an untouched document accepts the model's spans
