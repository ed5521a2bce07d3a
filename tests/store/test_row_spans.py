"""Spans and ranges built from database rows without a Python call per row are the same
NamedTuples the keyword constructor makes (type, fields, equality, hashing, _replace)."""

from __future__ import annotations

from annotator.core.spans import Range, Span
from annotator.store.store import make_range, make_span


def test_row_spans_are_spans():
    row = (3, 7, "GPE", "model")
    span = make_span(row)
    assert type(span) is Span and span == Span(3, 7, "GPE", "model") and hash(span) == hash(Span(3, 7, "GPE", "model"))
    assert (span.start, span.end, span.label, span.origin) == row
    assert span._replace(label="LOC") == Span(3, 7, "LOC", "model")
    assert list(map(make_span, [row, (9, 12, "ORG", "human")])) == [span, Span(9, 12, "ORG", "human")]
    rng = make_range((0, 5))
    assert type(rng) is Range and rng == Range(0, 5) and (rng.start, rng.end) == (0, 5)


def test_store_reads_give_spans(store):
    doc, _ = store.add_document("Mali is in Africa.", "m.txt", "hm")
    store.add_prediction(doc, "p", "1", [Span(0, 4, "PERSON", "model")])
    (span,) = store.prediction(doc, with_tokens=False).spans
    assert type(span) is Span and span == Span(0, 4, "PERSON", "model")
