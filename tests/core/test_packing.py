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


@pytest.mark.parametrize("seed", range(4))
def test_tokens_pack_as_the_list_based_packing_and_read_back_as_the_older_form(seed):
    """The escaped form (``TK2``) is written the same with or without numpy, and reads back the
    boundaries the older deflated form (``TK1``, still in databases before 0052) reads."""
    from annotator.core.packing import _pack_tokens_slowly, pack_tokens, unpack_tokens
    from tests.older_forms import old_tokens

    rng = random.Random(seed)
    for n in (0, 1, 2, 7, 700):
        for gaps in ((0, 1), (0, 1, 14, 15, 16), (0, 300, 70_000)):  # no escape, some, big values
            starts, ends, pos = [], [], 0
            for _ in range(n):
                pos += rng.choice(gaps)
                starts.append(pos)
                pos += rng.choice((1, 3, 14, 15, 40))
                ends.append(pos)
            packed = pack_tokens(starts, ends)
            assert packed[:3] == b"TK2" and packed == _pack_tokens_slowly(starts, ends)
            got = unpack_tokens(packed)
            assert (list(got[0]), list(got[1])) == (starts, ends)
            older = unpack_tokens(old_tokens(starts, ends))
            assert (list(older[0]), list(older[1])) == (starts, ends)


@pytest.mark.parametrize("seed", range(3))
def test_older_span_lists_read_as_the_spans_they_hold(seed):
    from tests.older_forms import old_spans

    rng = random.Random(seed)
    for n in (0, 1, 100):
        spans = []
        for _ in range(n):
            start = rng.randrange(5_000_000_000)
            spans.append((start, start + rng.randint(1, 400), rng.choice(["GPE", "Zoë", "🎉"])))
        assert unpack_spans(old_spans(spans)) == unpack_spans(pack_spans(spans)) == sorted(spans)
        assert count_spans(old_spans(spans)) == count_spans(pack_spans(spans)) == n


@pytest.mark.parametrize("bits", [4, 8])
def test_escaped_values_of_many_payloads_decode_together(bits):
    """Odd counts (a padded last unit of four bits), values equal to the unit's top (escaped
    too), big ones: decoded together, each payload's values in order and its count."""
    import numpy as np

    from annotator.core.packing import _escaped, _escaped_slowly, unescape_many

    rng = random.Random(bits)
    top = (1 << bits) - 1
    lists = [[rng.choice([0, 1, top - 1, top, top + 1, 2 ** 40, 2 ** 63 - 1]) for _ in range(rng.choice([0, 1, 2, 3, 9]))]
             for _ in range(50)]
    payloads = [_escaped(np.array(v, dtype=np.int64), bits) for v in lists]
    assert payloads == [_escaped_slowly(v, bits) for v in lists]
    values, sizes = unescape_many(payloads, bits)
    assert sizes.tolist() == [len(v) for v in lists]
    assert values.tolist() == [x for v in lists for x in v]


def test_malformed_escaped_values_are_refused():
    import numpy as np

    from annotator.core.packing import _escaped, unescape_many

    good = _escaped(np.array([3, 20, 4], dtype=np.int64), 4)
    with pytest.raises(ValueError, match="malformed"):
        unescape_many([good[:-8]], 4)  # its escaped value cut off
    with pytest.raises(ValueError, match="malformed"):
        unescape_many([(5).to_bytes(4, "little") + good[4:]], 4)  # a count the units do not hold
    with pytest.raises(OverflowError):
        _escaped(np.array([1, -2], dtype=np.int64), 8)


@pytest.mark.parametrize("bits", [4, 8])
def test_escaped_lists_packed_together_are_each_packed_alone(bits):
    import numpy as np

    from annotator.core.packing import _escaped, escaped_many

    rng = random.Random(10 + bits)
    top = (1 << bits) - 1
    for even in (True, False):
        lists = [[rng.choice([0, 2, top, top + 3, 2 ** 35]) for _ in range(rng.choice([0, 2, 4, 10] if even else [1, 2, 3]))]
                 for _ in range(30)]
        flat = np.array([x for v in lists for x in v], dtype=np.int64)
        assert escaped_many(flat, [len(v) for v in lists], bits) == [_escaped(np.array(v, dtype=np.int64), bits)
                                                                     for v in lists]


@pytest.mark.parametrize("bits", [4, 8])
def test_one_escaped_list_reads_without_numpy_as_many_read_with_it(bits):
    """A document opened in the window decodes its lists in Python (numpy is not loaded yet)."""
    import numpy as np

    from annotator.core.packing import _escaped, _unescape, unescape_many

    rng = random.Random(20 + bits)
    top = (1 << bits) - 1
    for n in (0, 1, 2, 3, 10, 701):
        values = [rng.choice([0, 1, top - 1, top, top + 7, 2 ** 50]) for _ in range(n)]
        payload = _escaped(np.array(values, dtype=np.int64), bits)
        assert _unescape(payload, bits) == values == unescape_many([payload], bits)[0].tolist()
    with pytest.raises(ValueError, match="malformed"):
        _unescape(_escaped(np.array([top, 2], dtype=np.int64), bits)[:-8], bits)


def test_damaged_escaped_lists_are_refused_not_misread():
    """A count that does not fit (a token list's must be even, a span list's a multiple of 3), a
    padding half-byte that is not 0, a payload cut short: refused as malformed by every reader,
    never read as other values (one damaged list would shift every later one in a chunk)."""
    from annotator.core.packed_arrays import spans_of, token_arrays, token_coordinates_of, tokens_of
    from annotator.core.packing import pack_tokens, unescape_many, unpack_tokens

    good = pack_tokens([0, 5], [3, 9])
    odd_count = good[:3] + (3).to_bytes(4, "little") + good[7:]  # 4 values said to be 3
    no_escape = good[:7] + bytes([0x3F]) + good[8:]  # a gap of 15 with no escaped value after
    long_no_escape = good[:7] + bytes([0xF3]) + good[8:]  # a length of 15 with no escaped value after
    for damaged in (odd_count, good[:-1], no_escape, long_no_escape):
        for read in (unpack_tokens, token_arrays, lambda b: tokens_of([b, good]),
                     lambda b: token_coordinates_of([good, b])):  # (the scorer's read of unescaped lists)
            with pytest.raises(ValueError, match="malformed"):
                read(damaged)
    three = bytes([0x21, 0x03])  # values 1, 2, 3 and a pad of 0
    assert unescape_many([(3).to_bytes(4, "little") + three], 4)[0].tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match="malformed"):
        unescape_many([(3).to_bytes(4, "little") + bytes([0x21, 0x73])], 4)  # the pad is not 0
    with pytest.raises(ValueError, match="malformed"):
        unescape_many([(3).to_bytes(4, "little") + three[:1]], 4)  # cut short
    spans = pack_spans([(0, 4, "GPE"), (9, 13, "ORG")])
    size = int.from_bytes(spans[3:7], "little")
    at = 7 + size
    short = spans[:at] + (5).to_bytes(4, "little") + spans[at + 4:at + 4 + 5]  # 6 values said to be 5
    for read in (unpack_spans, count_spans, lambda b: spans_of([b], {})):
        with pytest.raises(ValueError, match="malformed"):
            read(short)


def test_tokens_read_the_same_with_numpy_loaded_or_not():
    """The window's first document is read in Python; once numpy is loaded (exports, bulk edits)
    the same list is read with it."""
    from itertools import accumulate

    from annotator.core.packing import _unescape, pack_tokens, unpack_tokens

    rng = random.Random(9)
    for gaps, lengths in (([0, 1, 1, 14], [1, 5, 14]), ([0, 1, 1, 20], [1, 5, 14, 15, 31])):  # no escape, some
        starts, ends, pos = [], [], 0
        for _ in range(700):
            pos += rng.choice(gaps)
            starts.append(pos)
            pos += rng.choice(lengths)
            ends.append(pos)
        packed = pack_tokens(starts, ends)
        positions = list(accumulate(_unescape(memoryview(packed)[3:], 4, 2)))
        got = unpack_tokens(packed)  # numpy is loaded in the tests
        assert (list(got[0]), list(got[1])) == (positions[0::2], positions[1::2]) == (starts, ends)


def test_values_beyond_what_reads_back_are_refused_when_written():
    import numpy as np

    from annotator.core.packing import _escaped

    with pytest.raises(OverflowError):
        _pack_spans_slowly([(2 ** 63, 2 ** 63 + 1, "X")])
    with pytest.raises(OverflowError):
        _escaped(np.array([1, 2 ** 63], dtype=np.uint64), 8)
