import pytest

from annotator.core.errors import SpanError
from annotator.core.spans import Range, Span, merge_ranges, subtract_range, validate_ranges, validate_spans


def test_validate_sorts_and_accepts_adjacent_spans():
    spans = [Span(5, 9, "GPE"), Span(0, 5, "PERSON")]
    assert validate_spans(spans, 10, ["GPE", "PERSON"]) == [Span(0, 5, "PERSON"), Span(5, 9, "GPE")]


@pytest.mark.parametrize(
    "span, message",
    [
        (Span(3, 3, "GPE"), "empty or reversed"),
        (Span(4, 2, "GPE"), "empty or reversed"),
        (Span(-1, 2, "GPE"), "outside the text"),
        (Span(8, 11, "GPE"), "outside the text"),
        (Span(0, 2, "NOPE"), "unknown label 'NOPE'"),
    ],
)
def test_validate_rejects_bad_spans(span, message):
    with pytest.raises(SpanError, match=message):
        validate_spans([span], 10, ["GPE"])


def test_validate_rejects_overlap_and_names_both():
    with pytest.raises(SpanError, match=r"overlaps span 'GPE' \[0, 4\)"):
        validate_spans([Span(0, 4, "GPE"), Span(3, 6, "ORG")], 10, ["GPE", "ORG"])


def test_ranges_overlap_refused_and_merge_joins_whitespace_gaps():
    with pytest.raises(SpanError, match="overlaps"):
        validate_ranges([Range(0, 5), Range(4, 8)], 10)
    text = "aaa \n bbb ccc"
    assert merge_ranges([Range(0, 3), Range(6, 9)], text) == [Range(0, 9)]
    assert merge_ranges([Range(0, 3), Range(10, 13)], text) == [Range(0, 3), Range(10, 13)]


def test_subtract_range_splits():
    assert subtract_range([Range(0, 10)], Range(3, 5)) == [Range(0, 3), Range(5, 10)]
    assert subtract_range([Range(0, 10)], Range(0, 10)) == []
