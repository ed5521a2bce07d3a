"""Packed predicted spans: the numpy packing writes byte for byte what the list-based one writes."""

from __future__ import annotations

import random

import pytest

from annotator.core.packing import _pack_spans_slowly, count_spans, pack_spans, unpack_spans
from annotator.core.spans import Span


@pytest.mark.parametrize("seed", range(6))
def test_pack_spans_is_byte_for_byte_the_list_based_packing(seed):
    rng = random.Random(seed)
    for n in (0, 1, 2, 7, 100, 400):
        for top in (60, 300, 70_000, 5_000_000_000):  # gaps needing 1, 2, 4 and 8 bytes
            spans = []
            for _ in range(n):
                start = rng.randrange(top)
                spans.append((start, start + rng.randint(1, 40), rng.choice(["GPE", "PERSON", "Zoë", "ORG", "🎉"])))
            packed = pack_spans(spans)
            assert packed == _pack_spans_slowly(spans)
            assert unpack_spans(packed) == sorted(spans) and count_spans(packed) == n


def test_spans_with_their_origin_pack_as_their_start_end_and_label():
    spans = [Span(9, 13, "GPE", "model"), Span(0, 4, "PERSON"), Span(0, 4, "PERSON", "model")]
    assert pack_spans(spans) == pack_spans([(s.start, s.end, s.label) for s in spans])
    assert unpack_spans(pack_spans(spans)) == [(0, 4, "PERSON"), (0, 4, "PERSON"), (9, 13, "GPE")]


@pytest.mark.parametrize("spans, message", [([(5, 5, "A")], r"span \[5, 5\) is empty or reversed"),
                                            ([(1, 3, "A"), (6, 4, "B")], r"span \[6, 4\) is empty or reversed")])
def test_an_empty_or_reversed_span_is_refused_by_both(spans, message):
    for pack in (pack_spans, _pack_spans_slowly):
        with pytest.raises(ValueError, match=message):
            pack(spans)
