"""Compact binary forms of token boundaries and predicted spans, as kept in the database.

Offsets are stored as differences (the gap since the previous token or span and its
length), which are small numbers. Token gaps and lengths are nearly all below 15: they are
written four bits each (``TK2``); predicted spans' gaps, lengths and labels nearly all below
255: a byte each (``SP2``). A value that does not fit is written as the unit's top value and
listed after the units (``<u8``, in order): :func:`_escaped`. A 3.9 KB document's 700 tokens take
about 0.7 KB instead of 5.6 KB as uint32 pairs (deflated they took ~0.45 KB); its 100 predicted
spans about 0.4 KB instead of 100 rows. A count that does not fit the units (a token list's is
even, a span list's a multiple of 3), a padding half-byte that is not 0 or escapes that do not
match are refused as malformed. Reading many of them is a few numpy calls for all together
(:mod:`annotator.core.packed_arrays`), no decompression per document.

The older forms, read as well: ``TK1`` and ``SP1``, the narrowest array type holding the values,
deflated (inflating was a third of a first evaluation's reading; migration 0052 rewrites them).
"""

from __future__ import annotations

import json
import operator
import sys
import zlib
from array import array
from collections.abc import Iterable, Sequence
from itertools import accumulate

TOKENS_MAGIC = b"TK1"  # the older form: deflated narrowest array
SPANS_MAGIC = b"SP1"  # the older form: label names, then a deflated narrowest array
TOKENS_ESCAPED = b"TK2"  # values four bits each, escaped (:func:`_escaped`)
SPANS_ESCAPED = b"SP2"  # label names, then values a byte each, escaped
_TYPES = ("B", "H", "I", "Q")
_ESCAPE_LIMIT = 1 << 63  # an escaped value is written as uint64 and read back as int64


def _escaped(values, bits: int) -> bytes:  # noqa: ANN001 - a numpy integer array
    """Non-negative ints (below 2**63) in units of ``bits`` (4 or 8): the count (uint32), the
    units (two per byte for 4 bits, the first in the low half; a last odd one padded with 0),
    then as ``<u8`` each value of the unit's top value or more, in order (its unit holds the top).
    (One list the short way: an import packs two per document.)"""
    if len(values) >= 1 << 32:
        raise ValueError("too many values to pack")
    if len(values) and (values.min() < 0 or values.max() >= _ESCAPE_LIMIT):
        raise OverflowError("a packed value must be non-negative and below 2**63")
    units = _units(values, bits, [len(values)] if len(values) % 2 else [])
    escapes = values[values >= (1 << bits) - 1]
    return len(values).to_bytes(4, "little") + units.tobytes() + escapes.astype("<u8").tobytes()


def _units(values, bits: int, pads):  # noqa: ANN001, ANN202 - numpy arrays
    """The units of :func:`_escaped` (uint8) for values of one or more lists; with four bits a 0
    is put at each of ``pads`` (the ends of odd lists) so that no unit holds two lists' values."""
    import numpy as np

    units = np.minimum(values, (1 << bits) - 1).astype(np.uint8)
    if bits == 4:
        if len(pads):
            units = np.insert(units, pads, np.uint8(0))
        units = units[0::2] | (units[1::2] << 4)
    return units


def escaped_many(values, sizes, bits: int) -> list[bytes]:  # noqa: ANN001 - numpy integer arrays
    """:func:`_escaped` of each run of ``values`` (their lengths ``sizes``, in order), the same
    bytes, computed together: a migration or a bulk write packs thousands of lists."""
    import numpy as np

    values = np.asarray(values, dtype=np.int64)
    sizes = np.asarray(sizes, dtype=np.int64)
    if (sizes >= 1 << 32).any():
        raise ValueError("too many values to pack")
    if len(values) and values.min() < 0:  # int64: below 2**63
        raise OverflowError("a packed value must be non-negative and below 2**63")
    ends = np.cumsum(sizes)
    units = _units(values, bits, ends[sizes % 2 == 1] if bits == 4 else [])
    unit_ends = np.cumsum(sizes if bits == 8 else (sizes + 1) // 2).tolist()
    escape_ends = (np.concatenate(([0], np.cumsum(values >= (1 << bits) - 1)))[ends] * 8).tolist()  # in bytes
    unit_bytes, escape_bytes = units.tobytes(), values[values >= (1 << bits) - 1].astype("<u8").tobytes()
    out, unit_at, escape_at = [], 0, 0
    for n, unit_end, escape_end in zip(sizes.tolist(), unit_ends, escape_ends):
        out.append(n.to_bytes(4, "little") + unit_bytes[unit_at:unit_end] + escape_bytes[escape_at:escape_end])
        unit_at, escape_at = unit_end, escape_end
    return out


def _escaped_slowly(values: Sequence[int], bits: int) -> bytes:
    """:func:`_escaped` without numpy: the same bytes."""
    top = (1 << bits) - 1
    if any(v < 0 or v >= _ESCAPE_LIMIT for v in values):
        raise OverflowError("a packed value must be non-negative and below 2**63")
    units = [min(v, top) for v in values]
    if bits == 4:
        if len(units) % 2:
            units.append(0)
        units = [lo | (hi << 4) for lo, hi in zip(units[0::2], units[1::2])]
    escapes = array("Q", [v for v in values if v >= top])
    if sys.byteorder == "big":
        escapes.byteswap()
    return len(values).to_bytes(4, "little") + bytes(units) + escapes.tobytes()


_LOW = bytes(i & 15 for i in range(256))
_HIGH = bytes(i >> 4 for i in range(256))


def _unescape(payload: bytes | memoryview, bits: int, multiple: int = 1) -> list[int]:
    """The values of one :func:`_escaped` payload (their count a multiple of ``multiple``), without
    numpy (a document opened in the window reads its tokens and predictions before numpy is loaded)."""
    n = int.from_bytes(payload[:4], "little")
    per = 8 // bits
    k = (n + per - 1) // per
    units = bytes(payload[4:4 + k])
    if n % multiple or len(units) != k or (bits == 4 and n % 2 and units[-1] >> 4):
        raise ValueError("malformed packed values")
    if bits == 8:
        values = list(units)
    else:
        values = [0] * (2 * len(units))
        values[0::2] = units.translate(_LOW)
        values[1::2] = units.translate(_HIGH)
        del values[n:]
    escapes = array("Q")
    escapes.frombytes(bytes(payload[4 + k:]))
    if sys.byteorder == "big":
        escapes.byteswap()
    top = (1 << bits) - 1
    if len(values) != n or values.count(top) != len(escapes):
        raise ValueError("malformed packed values")
    if escapes:
        if max(escapes) >= 1 << 63:
            raise ValueError("a packed value does not fit 63 bits")
        given = iter(escapes)
        values = [next(given) if v == top else v for v in values]
    return values


def unescape_many(payloads: Sequence[bytes | memoryview], bits: int,  # noqa: ANN201 - numpy arrays
                  multiple: int = 1):
    """The values of many :func:`_escaped` payloads at once (each count a multiple of ``multiple``):
    (all values as one int64 array, in the order given; each payload's count)."""
    import numpy as np

    counts = [int.from_bytes(p[:4], "little") for p in payloads]
    per = 8 // bits
    n_units = [(n + per - 1) // per for n in counts]
    units = np.frombuffer(b"".join(p[4:4 + k] for p, k in zip(payloads, n_units)), dtype=np.uint8)
    if len(units) != sum(n_units) or any(n % multiple for n in counts):
        raise ValueError("malformed packed values")
    escaped = b"".join(p[4 + k:] for p, k in zip(payloads, n_units))
    if len(escaped) % 8:
        raise ValueError("malformed packed values")
    escapes = np.frombuffer(escaped, dtype="<u8")
    sizes = np.array(counts, dtype=np.int64)
    if bits == 8:
        values = units.astype(np.int64)
    else:
        values = np.empty(2 * len(units), dtype=np.int64)
        values[0::2] = units & 15
        values[1::2] = units >> 4
        odd = np.flatnonzero(sizes % 2)
        if len(odd):  # drop the pads (each 0)
            pads = np.cumsum(np.array(n_units, dtype=np.int64) * 2)[odd] - 1
            if values[pads].any():
                raise ValueError("malformed packed values")
            values = np.delete(values, pads)
    at = np.flatnonzero(values == (1 << bits) - 1)
    if len(at) != len(escapes) or len(values) != int(sizes.sum()):
        raise ValueError("malformed packed values")
    if len(at):
        if escapes.max() >= 1 << 63:
            raise ValueError("a packed value does not fit 63 bits")
        values[at] = escapes.astype(np.int64)
    return values, sizes


def _raw_array(values) -> bytes:  # noqa: ANN001 - a numpy integer array
    """:func:`_raw_values` of a numpy array of non-negative ints: the same bytes."""
    top = int(values.max()) if len(values) else 0
    for code in _TYPES:
        size = array(code).itemsize
        if top < 1 << (8 * size):
            break
    return code.encode("ascii") + values.astype(f"<u{size}").tobytes()


def _unpack_values(data: bytes | memoryview) -> array:
    """The array of the older deflated forms (``TK1``, ``SP1``): type code byte + deflated payload."""
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
    return TOKENS_ESCAPED + _escaped(values, 4)


def _pack_tokens_slowly(starts: Sequence[int], ends: Sequence[int]) -> bytes:
    previous = [0, *ends[:-1]] if len(ends) else []
    gaps = list(map(operator.sub, starts, previous))
    lengths = list(map(operator.sub, ends, starts))
    if (gaps and min(gaps) < 0) or (lengths and min(lengths) < 0):
        raise ValueError("tokens must be increasing and non-overlapping")
    values = [0] * (2 * len(gaps))
    values[0::2] = gaps
    values[1::2] = lengths
    return TOKENS_ESCAPED + _escaped_slowly(values, 4)


def unpack_tokens(data: bytes | memoryview) -> tuple[array, array]:
    """(starts, ends) as uint32 arrays; also reads the older forms (``TK1``, and uint32 start/end pairs)."""
    if bytes(data[:3]) == TOKENS_ESCAPED:
        if "numpy" in sys.modules:  # loaded (after the window's start): ~7x faster than in Python
            return _bounds_with_numpy(memoryview(data)[3:])
        positions = array("I", accumulate(_unescape(memoryview(data)[3:], 4, 2)))
        return positions[0::2], positions[1::2]
    if bytes(data[:3]) != TOKENS_MAGIC:
        pairs = array("I")
        pairs.frombytes(bytes(data))
        if sys.byteorder == "big":
            pairs.byteswap()
        return pairs[0::2], pairs[1::2]
    positions = _running_sums(_unpack_values(memoryview(data)[3:]))
    return positions[0::2], positions[1::2]


_SUMS = bytes((i & 15) + (i >> 4) for i in range(256))  # a token's byte -> its gap + its length


def _bounds_with_numpy(payload: memoryview) -> tuple[array, array]:
    """(starts, ends) of a ``TK2`` payload as uint32 arrays. Without escapes (nearly always) a
    byte is one token, gap in the low half and length in the high half: the ends are the running
    sum of gap + length (a byte table), the starts the ends less the lengths; faster than the
    older deflated form was read."""
    import numpy as np

    n = int.from_bytes(payload[:4], "little")
    units = bytes(payload[4:])
    lengths = units.translate(_HIGH)
    if n % 2 or len(units) != n // 2 or 15 in lengths or 15 in units.translate(_LOW):  # escapes (or damage)
        positions = array("I")
        positions.frombytes(np.cumsum(unescape_many([payload], 4, 2)[0]).astype("=u4").tobytes())
        return positions[0::2], positions[1::2]
    ends = np.cumsum(np.frombuffer(units.translate(_SUMS), dtype=np.uint8), dtype=np.uint32)
    starts = ends - np.frombuffer(lengths, dtype=np.uint8)
    out = array("I"), array("I")
    out[0].frombytes(starts.astype("=u4", copy=False).tobytes())
    out[1].frombytes(ends.astype("=u4", copy=False).tobytes())
    return out


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
    if values[0] < 0:  # a negative start: what _escaped_slowly refuses
        raise OverflowError("a packed value must be non-negative and below 2**63")
    names = json.dumps(list(labels), ensure_ascii=False).encode("utf-8")
    return SPANS_ESCAPED + len(names).to_bytes(4, "little") + names + _escaped(values, 8)


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
    return SPANS_ESCAPED + len(names).to_bytes(4, "little") + names + _escaped_slowly(values, 8)


def unpack_spans(data: bytes | memoryview) -> list[tuple[int, int, str]]:
    """The spans of :func:`pack_spans` (or the older ``SP1``), sorted by start."""
    view = memoryview(data)
    if bytes(view[:3]) not in (SPANS_ESCAPED, SPANS_MAGIC):
        raise ValueError("not a packed span list")
    size = int.from_bytes(view[3:7], "little")
    names = json.loads(bytes(view[7:7 + size]).decode("utf-8"))
    values = span_values(view, size)
    starts = accumulate(values[0::3])
    return [(s, s + n, names[k]) for s, n, k in zip(starts, values[1::3], values[2::3])]


def count_spans(data: bytes | memoryview) -> int:
    """How many spans a packed list holds (reads the count, or decodes the older form's array)."""
    view = memoryview(data)
    size = int.from_bytes(view[3:7], "little")
    if bytes(view[:3]) == SPANS_ESCAPED:
        n = int.from_bytes(view[7 + size:11 + size], "little")
        if n % 3 or len(view) < 11 + size + n:
            raise ValueError("malformed packed values")
        return n // 3
    return len(span_values(view, size)) // 3


def span_values(view: memoryview, size: int) -> Sequence[int]:
    """The gap/length/label values of a packed span list whose label names take ``size`` bytes."""
    magic = bytes(view[:3])
    if magic == SPANS_ESCAPED:
        return _unescape(view[7 + size:], 8, 3)
    if magic != SPANS_MAGIC:
        raise ValueError("not a packed span list")
    return _unpack_values(view[7 + size:])


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

    The triples are written as they are (the narrowest array type, not deflated): a layer is
    small, and the first evaluation decodes tens of thousands of them, where a decompression
    per layer cost more than reading it. Gold spans do not overlap (the writers check that
    before packing); a span that is empty or reversed, or an origin other than
    ``model``/``human``, is refused with ``ValueError``.
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
