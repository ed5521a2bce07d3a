"""Every occurrence of a text: found through the index, classified, applied as one recorded change,
undone and redone from the record."""

from __future__ import annotations

from annotator.core.model import IN_PROGRESS, TODO
from annotator.core.spans import Range, Span
from annotator.ops import gold_edits, occurrences
from annotator.ops.indexing import index_pending
from annotator.store import bulk

LABELS = ["GPE", "PERSON", "ORG", "NORP"]


def doc(store, tokenize, text, predicted=(), source=None):
    doc_id, _ = store.add_document(text, source or f"d{store.document_count()}.txt", f"h-{text}")
    store.set_tokens(doc_id, "blank", tokenize(text))
    store.add_prediction(doc_id, "en_x", "1", [Span(s, e, label, "model") for s, e, label in predicted])
    return doc_id


def test_classify_relabel_add_and_leave_alone(store, tokenize):
    text = "Mali met Mali. Malian views. Share: Mali"
    d = doc(store, tokenize, text, [(0, 4, "PERSON"), (9, 14, "ORG")])  # "Mali." is one ORG span by mistake
    gold_edits.set_boilerplate(store, d, "me", [Range(text.index("Share"), len(text))])
    index_pending(store)
    found = list(occurrences.scan(store, "me", "Mali", "GPE"))
    assert [(o.start, o.action) for o in found] == [
        (0, occurrences.RELABEL), (9, occurrences.OVERLAP), (15, occurrences.NOT_ON_TOKENS),
        (text.rindex("Mali"), occurrences.IN_BOILERPLATE)]


def test_apply_undo_redo_across_documents_from_the_record(store, tokenize):
    texts = [f"Story {i}: Mali and Niger, then Mali again." for i in range(6)]
    ids = [doc(store, tokenize, t, [(t.index("Mali"), t.index("Mali") + 4, "PERSON")]) for t in texts]
    gold_edits.relabel_span(store, ids[0], "me", Span(texts[0].index("Mali"), texts[0].index("Mali") + 4, "PERSON",
                                                      "model"), "ORG", LABELS)  # started before
    index_pending(store)
    before = {i: (store.gold(i, "me"), store.review(i, "me").state) for i in ids}
    summary = occurrences.Scan("Mali", "GPE")
    found = list(occurrences.scan(store, "me", "Mali", "GPE", summary=summary))
    assert summary.documents == 6 and summary.changing == 12
    result = occurrences.apply(store, "me", "GPE", found, LABELS, description="t")
    assert (result.documents, result.relabelled, result.added) == (6, 6, 6)
    for i, t in zip(ids, texts):
        assert [(t[s.start:s.end], s.label) for s in store.gold(i, "me")] == [("Mali", "GPE"), ("Mali", "GPE")]
        assert store.review(i, "me").state == IN_PROGRESS
    assert bulk.change(store, result.change_id).documents == 6
    occurrences.undo(store, result.change_id, "me", LABELS)
    assert {i: (store.gold(i, "me"), store.review(i, "me").state) for i in ids} == before
    assert store.review(ids[1], "me").state == TODO and store.gold(ids[1], "me") == []  # never edited again
    occurrences.redo(store, result.change_id, "me", LABELS)
    assert all(len(store.gold(i, "me")) == 2 for i in ids)


def test_a_span_is_never_made_inside_boilerplate(store, tokenize):
    text = "Related: Mali news. Body about Mali."
    d = doc(store, tokenize, text)
    gold_edits.set_boilerplate(store, d, "me", [Range(0, text.index("Body"))])
    index_pending(store)
    result = occurrences.relabel_everywhere(store, "me", "Mali", "GPE", LABELS)
    assert result.added == 1
    assert [text[s.start:s.end] + "@" + str(s.start) for s in store.gold(d, "me")] == [f"Mali@{text.rindex('Mali')}"]
