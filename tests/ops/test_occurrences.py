"""Every occurrence of a text: found through the index, classified, applied as one recorded change,
undone and redone from the record."""

from __future__ import annotations

import pytest

from annotator.core.errors import SpanError
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


def test_a_todo_review_row_without_gold_is_relabelled_from_the_model_spans(store, tokenize):
    """A document whose own review row says todo and who has no gold (an imported todo record)
    shows the model's spans (read_document): relabelling must start from them. The scan took
    it as started with no spans, called the model's "Mali" a new span, and apply then failed
    on the overlap with the copied model span."""
    text = "Mali and Niger met in Mali."
    d = doc(store, tokenize, text, [(0, 4, "PERSON"), (22, 26, "PERSON")])
    store.set_review(d, TODO, "me")  # as an import of a todo record with no spans leaves it
    index_pending(store)
    found = list(occurrences.scan(store, "me", "Mali", "GPE"))
    assert [(o.start, o.current, o.action) for o in found] == [
        (0, "PERSON", occurrences.RELABEL), (22, "PERSON", occurrences.RELABEL)]
    result = occurrences.apply(store, "me", "GPE", found, LABELS, description="t")
    assert (result.relabelled, result.added) == (2, 0)
    assert [(s.start, s.label) for s in store.gold(d, "me")] == [(0, "GPE"), (22, "GPE")]
    assert store.review(d, "me").state == IN_PROGRESS
    occurrences.undo(store, result.change_id, "me", LABELS)
    assert store.gold(d, "me") == [] and store.review(d, "me").state == TODO


def _round_trips(monkeypatch) -> list[str]:
    """Every statement (or executemany) the store sends to SQLite from Python."""
    from annotator.store import Store

    sent: list[str] = []
    for owner, name in ((Store, "_q"), (Store, "_many"), (bulk, "_executemany"), (bulk, "_execute")):
        real = getattr(owner, name, None)
        if real is None:
            continue

        def counted(*args, _real=real, **kwargs):
            sent.append(next(a for a in args if isinstance(a, str)))
            return _real(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)
    return sent


def test_apply_undo_and_redo_cost_a_few_round_trips_per_page_not_per_document(store, tokenize, monkeypatch):
    """Apply, undo and redo read and write a page of documents per few statements: 120
    documents (some started, most never edited) are far fewer round trips than documents.
    They were about twenty per document (each document read, checked and written alone)."""
    ids = []
    for i in range(120):
        t = f"Story {i}: Mali met Peskov in Bamako, then Mali again."
        ids.append(doc(store, tokenize, t, [(t.index("Mali"), t.index("Mali") + 4, "PERSON"),
                                            (t.index("Bamako"), t.index("Bamako") + 6, "GPE")]))
    for d in ids[:30]:
        gold_edits.set_state(store, d, "me", "accepted")  # started: the gold is theirs
    index_pending(store)
    found = list(occurrences.scan(store, "me", "Mali", "GPE"))
    before = {d: (store.gold(d, "me"), store.review(d, "me").state) for d in ids}
    sent = _round_trips(monkeypatch)
    result = occurrences.apply(store, "me", "GPE", found, LABELS, description="t")
    assert (result.documents, result.relabelled, result.added) == (120, 120, 120)
    applied = len(sent)
    occurrences.undo(store, result.change_id, "me", LABELS)
    undone = len(sent) - applied
    occurrences.redo(store, result.change_id, "me", LABELS)
    redone = len(sent) - applied - undone
    assert max(applied, undone, redone) < 40, (applied, undone, redone)
    monkeypatch.undo()
    for d in ids:
        assert [s.label for s in store.gold(d, "me")] == ["GPE", "GPE", "GPE"]
    assert store.review(ids[0], "me").state == "accepted" and store.review(ids[-1], "me").state == IN_PROGRESS
    occurrences.undo(store, result.change_id, "me", LABELS)
    assert {d: (store.gold(d, "me"), store.review(d, "me").state) for d in ids} == before


def test_redo_is_refused_whole_when_a_document_changed_in_between(store, tokenize):
    """A span added since the undo where the change adds one: redo refuses (as a single edit
    would) and nothing of it is written, in any document."""
    texts = [f"Note {i}: Mali and Mali." for i in range(3)]
    ids = [doc(store, tokenize, t) for t in texts]
    index_pending(store)
    result = occurrences.relabel_everywhere(store, "me", "Mali", "GPE", LABELS)
    occurrences.undo(store, result.change_id, "me", LABELS)
    gold_edits.add_span(store, ids[2], "me", Span(texts[2].rindex("Mali"), texts[2].rindex("Mali") + 4, "ORG"), LABELS)
    before = {d: (store.gold(d, "me"), store.review(d, "me").state) for d in ids}
    with pytest.raises(SpanError, match="overlaps"):
        occurrences.redo(store, result.change_id, "me", LABELS)
    assert {d: (store.gold(d, "me"), store.review(d, "me").state) for d in ids} == before
    assert bulk.change(store, result.change_id).state == "undone"


def _statements(monkeypatch) -> list[str]:
    """Every statement the store runs from Python, one per row of an ``executemany``."""
    from annotator.store import Store

    ran: list[str] = []

    def counted_many(store, sql, rows, _real=bulk._executemany):
        rows = list(rows)
        ran.extend([sql] * len(rows))
        return _real(store, sql, rows)

    def counted(*args, _real):
        ran.append(next(a for a in args if isinstance(a, str)))
        return _real(*args)

    monkeypatch.setattr(bulk, "_executemany", counted_many)
    if hasattr(bulk, "_execute"):
        monkeypatch.setattr(bulk, "_execute", lambda *a, _r=bulk._execute: counted(*a, _real=_r))
    monkeypatch.setattr(Store, "_q", lambda *a, _r=Store._q: counted(*a, _real=_r))
    return ran


def test_starting_documents_in_bulk_costs_statements_per_page_not_per_copied_span(store, tokenize, monkeypatch):
    """A bulk change that starts never-edited documents copies each one's model spans into the
    gold. Apply and redo now send a page's copied spans in one statement (a JSON array SQLite
    unpacks); they ran one INSERT per span (executemany), 1,200 here, and Python's binding of
    each row cost twice the insert itself (issue 12)."""
    ids = []
    for i in range(20):
        words = [f"w{i}x{k}" for k in range(60)]
        text = " ".join(words) + " and Mali."
        at = [text.index(w) for w in words]
        ids.append(doc(store, tokenize, text, [(a, a + len(w), "PERSON") for a, w in zip(at, words)]))
    index_pending(store)
    found = list(occurrences.scan(store, "me", "Mali", "GPE"))
    ran = _statements(monkeypatch)
    result = occurrences.apply(store, "me", "GPE", found, LABELS, description="t")
    applied = len(ran)
    occurrences.undo(store, result.change_id, "me", LABELS)
    undone = len(ran) - applied
    occurrences.redo(store, result.change_id, "me", LABELS)
    redone = len(ran) - applied - undone
    monkeypatch.undo()
    assert all(len(store.gold(d, "me")) == 61 for d in ids)  # 60 copied, Mali added
    assert max(applied, undone, redone) < 200, (applied, undone, redone)
    occurrences.undo(store, result.change_id, "me", LABELS)
    assert all(store.gold(d, "me") == [] for d in ids)


def test_redo_is_refused_when_a_span_it_relabels_is_gone(store, tokenize):
    """Redo relabels the span it relabelled the first time; if that span was changed since the
    undo, redo refuses (as a single edit would) and writes nothing."""
    texts = [f"Note {i}: Mali met Niger." for i in range(3)]
    ids = [doc(store, tokenize, t, [(t.index("Mali"), t.index("Mali") + 4, "PERSON")]) for t in texts]
    for d in ids:
        gold_edits.set_state(store, d, "me", "accepted")
    index_pending(store)
    result = occurrences.relabel_everywhere(store, "me", "Mali", "GPE", LABELS)
    assert result.relabelled == 3
    occurrences.undo(store, result.change_id, "me", LABELS)
    mali = Span(texts[1].index("Mali"), texts[1].index("Mali") + 4, "PERSON", "model")
    gold_edits.relabel_span(store, ids[1], "me", mali, "ORG", LABELS)
    before = {d: store.gold(d, "me") for d in ids}
    with pytest.raises(SpanError, match="is not in the gold"):
        occurrences.redo(store, result.change_id, "me", LABELS)
    assert {d: store.gold(d, "me") for d in ids} == before


def test_copied_and_added_spans_keep_their_exact_labels_and_offsets(store, tokenize):
    """The page's gold travels as JSON and SQLite unpacks it: labels with quotes, backslashes and
    non-ASCII letters, and offsets after an emoji (code points), come back exactly."""
    odd = 'ÉTAT "q" \\ 😀'
    labels = [*LABELS, odd]
    text = "😀 Bamako and Mali; Bamako again."
    d = doc(store, tokenize, text, [(2, 8, odd), (19, 25, "GPE")])
    index_pending(store)
    result = occurrences.relabel_everywhere(store, "me", "Mali", odd, labels)
    expected = [Span(2, 8, odd, "model"), Span(13, 17, odd, "human"), Span(19, 25, "GPE", "model")]
    assert store.gold(d, "me") == expected
    occurrences.undo(store, result.change_id, "me", labels)
    assert store.gold(d, "me") == []
    occurrences.redo(store, result.change_id, "me", labels)
    assert store.gold(d, "me") == expected
    assert [text[s.start:s.end] for s in expected] == ["Bamako", "Mali", "Bamako"]
