"""Compact binary forms of token boundaries and predicted spans, as kept in the database.

Offsets are stored as differences (the gap since the previous token or span and its
length), which are small numbers: one byte each for nearly every token of news text,
in the narrowest array type that holds them, then deflated. A 3.9 KB document's 700
tokens take about 0.6 KB instead of 5.6 KB as uint32 pairs; its 100 predicted spans about
0.3 KB instead of 100 rows. Decoding is C-level (``array`` + ``itertools.accumulate``).
"""

from __future__ import annotations

import json
import operator
import sys
import zlib
from array import array
from collections.abc import Iterable, Sequence
from itertools import accumulate

TOKENS_MAGIC = b"TK1"
SPANS_MAGIC = b"SP1"
_TYPES = ("B", "H", "I", "Q")


def _pack_values(values: Sequence[int]) -> bytes:
    """Non-negative ints in the narrowest array type, deflated: type code byte + payload."""
    raw = _raw_values(values)
    return raw[:1] + zlib.compress(raw[1:], 1)


def _pack_array(values) -> bytes:  # noqa: ANN001 - a numpy integer array (numpy loads with the caller)
    """:func:`_pack_values` of a numpy array of non-negative ints: the same bytes."""
    raw = _raw_array(values)
    return raw[:1] + zlib.compress(raw[1:], 1)


def _raw_array(values) -> bytes:  # noqa: ANN001 - a numpy integer array
    """:func:`_raw_values` of a numpy array of non-negative ints: the same bytes."""
    top = int(values.max()) if len(values) else 0
    for code in _TYPES:
        size = array(code).itemsize
        if top < 1 << (8 * size):
            break
    return code.encode("ascii") + values.astype(f"<u{size}").tobytes()


def _unpack_values(data: bytes | memoryview) -> array:
    """The array of :func:`_pack_values`."""
    return _array(chr(data[0]), zlib.decompress(data[1:]))


def _array(code: str, payload: bytes) -> array:
    if code not in _TYPES:
        raise ValueError(f"unknown packed array type {code!r}")
    values = array(code)
    values.frombytes(payload)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def pack_tokens(starts: Sequence[int], ends: Sequence[int]) -> bytes:
    """Token boundaries (increasing, non-overlapping) as gap/length pairs.

    Computed with numpy (which spaCy brings): an import packs ~700 tokens per document, and
    the same work in Python lists took a third of a JSONL import's time.
    """
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - spaCy always brings numpy
        return _pack_tokens_slowly(starts, ends)
    s = np.asarray(starts, dtype=np.int64)
    e = np.asarray(ends, dtype=np.int64)
    values = np.empty(2 * len(s), dtype=np.int64)
    values[1::2] = e - s
    values[0::2] = s
    values[2::2] -= e[:-1]
    if len(values) and values.min() < 0:
        raise ValueError("tokens must be increasing and non-overlapping")
    return TOKENS_MAGIC + _pack_array(values)


def _pack_tokens_slowly(starts: Sequence[int], ends: Sequence[int]) -> bytes:
    previous = [0, *ends[:-1]] if len(ends) else []
    gaps = list(map(operator.sub, starts, previous))
    lengths = list(map(operator.sub, ends, starts))
    if (gaps and min(gaps) < 0) or (lengths and min(lengths) < 0):
        raise ValueError("tokens must be increasing and non-overlapping")
    values = [0] * (2 * len(gaps))
    values[0::2] = gaps
    values[1::2] = lengths
    return TOKENS_MAGIC + _pack_values(values)


def unpack_tokens(data: bytes | memoryview) -> tuple[array, array]:
    """(starts, ends) as uint32 arrays; also reads the older form, uint32 start/end pairs."""
    if bytes(data[:3]) != TOKENS_MAGIC:
        pairs = array("I")
        pairs.frombytes(bytes(data))
        if sys.byteorder == "big":
            pairs.byteswap()
        return pairs[0::2], pairs[1::2]
    positions = _running_sums(_unpack_values(memoryview(data)[3:]))
    return positions[0::2], positions[1::2]


def _running_sums(values: array) -> array:
    """Prefix sums as a uint32 array (numpy, which spaCy brings, does it in C: ~10x faster)."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - spaCy always brings numpy
        return array("I", accumulate(values))
    sums = np.cumsum(np.frombuffer(values, dtype=values.typecode if values.typecode != "Q" else "u8"), dtype="<u4")
    out = array("I")
    out.frombytes(sums.astype("=u4", copy=False).tobytes())
    return out


def pack_spans(spans: Iterable[Sequence]) -> bytes:
    """Spans (start, end, label; anything after the label is ignored), sorted by start, as
    gap/length/label-index triples.

    The columns are computed with numpy (a Prodigy import packs ~100 spans per document; the
    same work in Python lists was a tenth of the import), byte for byte what
    :func:`_pack_spans_slowly` writes (tested).
    """
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - spaCy always brings numpy
        return _pack_spans_slowly(spans)
    ordered = sorted(spans)
    if not ordered:
        return _pack_spans_slowly(ordered)
    columns = tuple(zip(*ordered))
    names_ = columns[2]
    s = np.array(columns[0], dtype=np.int64)
    lengths = np.array(columns[1], dtype=np.int64) - s
    if lengths.min() <= 0:
        k = int(np.argmax(lengths <= 0))
        raise ValueError(f"span [{columns[0][k]}, {columns[1][k]}) is empty or reversed")
    labels = {label: i for i, label in enumerate(dict.fromkeys(names_))}  # in order of first use
    values = np.empty(3 * len(s), dtype=np.int64)
    values[0::3] = s
    values[3::3] -= s[:-1]
    values[1::3] = lengths
    values[2::3] = list(map(labels.__getitem__, names_))
    if values[0] < 0:  # a negative start: what array() refuses in _pack_values
        raise OverflowError("unsigned integer is less than minimum")
    names = json.dumps(list(labels), ensure_ascii=False).encode("utf-8")
    return SPANS_MAGIC + len(names).to_bytes(4, "little") + names + _pack_array(values)


def _pack_spans_slowly(spans: Iterable[Sequence]) -> bytes:
    ordered = sorted(spans)
    labels: dict[str, int] = {}
    values: list[int] = []
    if ordered:
        starts, ends, names_ = (list(column) for column in tuple(zip(*ordered))[:3])
        lengths = list(map(operator.sub, ends, starts))
        if min(lengths) <= 0:
            k = next(i for i, n in enumerate(lengths) if n <= 0)
            raise ValueError(f"span [{starts[k]}, {ends[k]}) is empty or reversed")
        values = [0] * (3 * len(starts))
        values[0::3] = map(operator.sub, starts, [0, *starts[:-1]])
        values[1::3] = lengths
        labels = {label: i for i, label in enumerate(dict.fromkeys(names_))}  # in order of first use
        values[2::3] = map(labels.__getitem__, names_)
    names = json.dumps(list(labels), ensure_ascii=False).encode("utf-8")
    return SPANS_MAGIC + len(names).to_bytes(4, "little") + names + _pack_values(values)


def unpack_spans(data: bytes | memoryview) -> list[tuple[int, int, str]]:
    """The spans of :func:`pack_spans`, sorted by start."""
    view = memoryview(data)
    if bytes(view[:3]) != SPANS_MAGIC:
        raise ValueError("not a packed span list")
    size = int.from_bytes(view[3:7], "little")
    names = json.loads(bytes(view[7:7 + size]).decode("utf-8"))
    values = _unpack_values(view[7 + size:])
    starts = accumulate(values[0::3])
    return [(s, s + n, names[k]) for s, n, k in zip(starts, values[1::3], values[2::3])]


def count_spans(data: bytes | memoryview) -> int:
    """How many spans a packed list holds (decodes the arrays, not the labels)."""
    view = memoryview(data)
    size = int.from_bytes(view[3:7], "little")
    return len(_unpack_values(view[7 + size:])) // 3


# -- a layer of gold spans ----------------------------------------------------------------
GOLD_MAGIC = b"GS1"
_ORIGINS = ("model", "human")  # bit 0 of a gold span's code: who made it


def pack_gold(spans: Iterable[Sequence]) -> bytes:
    """:func:`gold_row`'s packed spans."""
    return gold_row(spans)[0]


def gold_row(spans: Iterable[Sequence]) -> tuple[bytes, int, str]:
    """A ``gold_layers`` row's packed spans, span count and ``labels`` column (the JSON list of
    its labels, sorted, as named in the packed spans).

    An annotator's gold spans of one document (start, end, label, origin), sorted by start,
    as gap/length/code triples, the code ``2 * label index + (origin is human)``, the labels
    named once, sorted: one row of ~0.5 KB instead of a hundred rows.

    Unlike predictions the triples are not deflated: a layer is small, and the first
    evaluation decodes tens of thousands of them, where a decompression per layer cost more
    than reading it. Gold spans do not overlap (the writers check that before packing); a
    span that is empty or reversed, or an origin other than ``model``/``human``, is refused
    with ``ValueError``.
    """
    ordered = sorted(spans)
    names = sorted({s[2] for s in ordered})
    index = {label: k for k, label in enumerate(names)}
    values: list[int] = []
    if ordered:
        starts = [s[0] for s in ordered]
        lengths = [s[1] - s[0] for s in ordered]
        if min(lengths) <= 0:
            k = next(i for i, n in enumerate(lengths) if n <= 0)
            raise ValueError(f"span [{starts[k]}, {ordered[k][1]}) is empty or reversed")
        if starts[0] < 0:
            raise ValueError(f"span [{starts[0]}, {ordered[0][1]}) starts before the text")
        for span in ordered:
            if span[3] not in _ORIGINS:
                raise ValueError(f"span [{span[0]}, {span[1]}) has unknown origin {span[3]!r}")
        values = [0] * (3 * len(starts))
        values[0::3] = map(operator.sub, starts, [0, *starts[:-1]])
        values[1::3] = lengths
        values[2::3] = [2 * index[s[2]] + (s[3] == "human") for s in ordered]
    header = json.dumps(names, ensure_ascii=False)
    named = header.encode("utf-8")
    return GOLD_MAGIC + len(named).to_bytes(4, "little") + named + _raw_values(values), len(ordered), header


def _raw_values(values: Sequence[int]) -> bytes:
    """Non-negative ints in the narrowest array type, little-endian: type code byte + payload."""
    top = max(values, default=0)
    for code in _TYPES:
        if top < 1 << (8 * array(code).itemsize):
            break
    packed = array(code, values)
    if sys.byteorder == "big":
        packed.byteswap()
    return code.encode("ascii") + packed.tobytes()


def _gold_parts(data: bytes | memoryview) -> tuple[list[str], array]:
    view = memoryview(data)
    if bytes(view[:3]) != GOLD_MAGIC:
        raise ValueError("not a packed gold layer")
    size = int.from_bytes(view[3:7], "little")
    return json.loads(bytes(view[7:7 + size]).decode("utf-8")), _array(chr(view[7 + size]), bytes(view[8 + size:]))


def unpack_gold(data: bytes | memoryview) -> list[tuple[int, int, str, str]]:
    """The spans of :func:`pack_gold` (start, end, label, origin), sorted by start."""
    names, values = _gold_parts(data)
    starts = accumulate(values[0::3])
    return [(s, s + n, names[k >> 1], _ORIGINS[k & 1]) for s, n, k in zip(starts, values[1::3], values[2::3])]


def pack_gold_rows(rows, header: str) -> bytes:  # noqa: ANN001 - a numpy array
    """:func:`pack_gold` of spans given as an (n, 3) int64 array of rows ``start, end, code``
    sorted by start (``code``: 2 * index into the sorted label names, all used, + human) and
    those names' JSON: the same bytes, no Python object per span."""
    values = rows.copy()
    values[1:, 0] -= rows[:-1, 0]
    values[:, 1] -= rows[:, 0]
    if len(values) and (values[:, 1].min() <= 0 or values[0, 0] < 0):
        raise ValueError("gold spans must be non-empty and start inside the text")
    named = header.encode("utf-8")
    return GOLD_MAGIC + len(named).to_bytes(4, "little") + named + _raw_array(values.ravel())
