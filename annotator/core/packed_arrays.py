"""Many stored token lists and predictions (:mod:`annotator.core.packing`) decoded as numpy arrays at once.

One document at a time, decoding costs a dozen numpy calls each; for a chunk of documents
the payloads are joined and decoded in a few calls for all (:func:`tokens_of`, :func:`spans_of`):
the escaped units of ``TK2``/``SP2`` together (:func:`annotator.core.packing.unescape_many`),
the older deflated forms inflated one by one, then joined per array width.
:func:`token_arrays` and :func:`span_arrays` decode one document, the plain way the tests
compare with.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from annotator.core import packing


def token_arrays(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of stored tokens (:func:`annotator.core.packing.pack_tokens`, or the
    older forms) as int64 arrays."""
    if bytes(data[:3]) == packing.TOKENS_ESCAPED:
        sums = np.cumsum(packing.unescape_many([memoryview(data)[3:]], 4, 2)[0])
        return sums[0::2], sums[1::2]
    if bytes(data[:3]) != packing.TOKENS_MAGIC:
        pairs = np.frombuffer(data, dtype="<u4").astype(np.int64)
        return pairs[0::2], pairs[1::2]
    values = packing._unpack_values(memoryview(data)[3:])
    sums = np.cumsum(np.frombuffer(values, dtype=values.typecode), dtype=np.int64)
    return sums[0::2], sums[1::2]


def span_arrays(data: bytes) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """(label names, starts, ends, label indices) of a packed span list
    (:func:`annotator.core.packing.pack_spans`), sorted as stored."""
    view = memoryview(data)
    if bytes(view[:3]) not in (packing.SPANS_ESCAPED, packing.SPANS_MAGIC):
        raise ValueError("not a packed span list")
    size = int.from_bytes(view[3:7], "little")
    names = json.loads(bytes(view[7:7 + size]).decode("utf-8"))
    array_ = np.asarray(packing.span_values(view, size), dtype=np.int64)
    starts = np.cumsum(array_[0::3])
    return names, starts, starts + array_[1::3], array_[2::3]


_ESCAPED = {"4": (4, 2), "8": (8, 3)}  # codes of escaped payloads: (bits, their count a multiple of)
# (:func:`annotator.core.packing.unescape_many`): tokens' gap/length pairs, spans' triples


def values_of(raws: Sequence[tuple[str, bytes | memoryview]]) -> tuple[np.ndarray, np.ndarray]:
    """Arrays of several codes (``array`` type codes of raw arrays, as :mod:`annotator.core.packing`
    stores them, or "4"/"8" for escaped payloads) as one int64 array in the order given, and each
    one's length."""
    codes = [code for code, _ in raws]
    if not codes or codes.count(codes[0]) == len(codes):  # one code for all (nearly always): no scatter
        return _group(codes[0] if codes else "B", [raw for _, raw in raws])
    names = list(dict.fromkeys(codes))
    group_of = np.array([names.index(code) for code in codes] if len(names) > 2 else
                        [code != names[0] for code in codes], dtype=np.int64)
    sizes = np.zeros(len(raws), dtype=np.int64)
    decoded = []
    for g, code in enumerate(names):
        ks = np.flatnonzero(group_of == g)
        values, lengths = _group(code, [raws[k][1] for k in ks.tolist()])
        sizes[ks] = lengths
        decoded.append(values)
    out = np.empty(int(sizes.sum()), dtype=np.int64)
    value_group = np.repeat(group_of, sizes)
    for g, values in enumerate(decoded):  # each group's values fill its places in order
        out[value_group == g] = values
    return out, sizes


def _group(code: str, payloads: list[bytes | memoryview]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`values_of` of payloads of one code."""
    escaped = _ESCAPED.get(code)
    if escaped is not None:
        return packing.unescape_many(payloads, *escaped)
    dtype = np.dtype(code).newbyteorder("<")
    sizes = np.fromiter((len(raw) for raw in payloads), dtype=np.int64, count=len(payloads)) // dtype.itemsize
    return np.frombuffer(b"".join(payloads), dtype=dtype).astype(np.int64), sizes


def _running(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Running sums of ``values`` starting again at each segment (of ``lengths``)."""
    sums = np.cumsum(values)
    seg_starts = np.cumsum(lengths) - lengths
    before = sums[np.maximum(seg_starts - 1, 0)] if len(sums) else np.zeros(len(lengths), dtype=np.int64)
    before[seg_starts == 0] = 0
    sums -= np.repeat(before, lengths)
    return sums


def tokens_of(blobs: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(starts, ends, offsets) of many stored token lists at once (:func:`token_arrays` of each,
    concatenated; document k's tokens are ``offsets[k]:offsets[k + 1]``)."""
    return _positions(*_token_raws(blobs))


def _token_raws(blobs: Sequence[bytes]) -> tuple[list[tuple[str, bytes | memoryview]], list[bool]]:
    """Each stored token list's payload with its code (:func:`values_of`); and whether it holds gaps
    and lengths (False: the oldest form, absolute uint32 start/end pairs)."""
    raws: list[tuple[str, bytes | memoryview]] = []
    relative: list[bool] = []
    for data in blobs:
        magic = bytes(data[:3])
        if magic == packing.TOKENS_ESCAPED:
            raws.append(("4", memoryview(data)[3:]))
            relative.append(True)
        elif magic == packing.TOKENS_MAGIC:
            code = chr(data[3])
            if code not in packing._TYPES:
                raise ValueError(f"unknown packed array type {code!r}")
            raws.append((code, zlib.decompress(data[4:])))
            relative.append(True)
        else:  # the oldest form: uint32 start/end pairs
            raws.append(("I", bytes(data)))
            relative.append(False)
    return raws, relative


def _positions(raws: list[tuple[str, bytes]], relative: list[bool]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    values, sizes = values_of(raws)
    positions = _running(values, sizes)
    if not all(relative):
        positions = np.where(np.repeat(np.array(relative, dtype=bool), sizes), positions, values)
    offsets = np.zeros(len(raws) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(sizes // 2)
    return positions[0::2], positions[1::2], offsets


class TokenCoordinates(NamedTuple):
    """Many documents' tokens on one line (:func:`token_coordinates_of`): document k's position p
    is the chunk coordinate ``p + shift[k]`` once clipped to [lo[k], hi[k]] (one before its first
    token's start, one past its last token's end: clipping a span there changes none of its
    token edges), so the documents follow one another, each in its own range of coordinates."""

    starts: np.ndarray  # every token's start coordinate, document after document
    ends: np.ndarray
    offsets: np.ndarray  # document k's tokens are offsets[k]:offsets[k + 1]
    lo: np.ndarray
    hi: np.ndarray
    shift: np.ndarray
    size: int  # coordinates used (the next document would start here)


def coordinates(first: np.ndarray, last: np.ndarray, has: np.ndarray) -> tuple[np.ndarray, ...]:
    """(lo, hi, shift, size) of :class:`TokenCoordinates` from each document's first token start
    and last token end (``has``: documents with tokens; the others get one coordinate)."""
    lo = np.where(has, first - 1, 0)
    hi = np.where(has, last + 1, 0)
    extent = hi - lo + 1
    base = np.cumsum(extent) - extent
    return lo, hi, base - lo, int(extent.sum())


def token_coordinates_of(blobs: Sequence[bytes]) -> TokenCoordinates:
    """:func:`tokens_of` as the array scorer reads them: as chunk coordinates (:class:`TokenCoordinates`)."""
    plain = _plain_escaped_tokens(blobs)
    if plain is not None:  # each token's byte: its gap and its length, four bits each
        units, counts = plain
        lengths = units >> 4
        return _on_line((units & 15) + lengths, lengths, counts)
    raws, relative = _token_raws(blobs)
    if not all(relative):  # the older form (absolute uint32 pairs) among them: the general way
        return coordinates_of_positions(*_positions(raws, relative))
    values, sizes = values_of(raws)  # gap, length, gap, length...
    lengths = values[1::2]
    return _on_line(values[0::2] + lengths, lengths, sizes // 2)


def coordinates_of_positions(starts: np.ndarray, ends: np.ndarray, offsets: np.ndarray) -> TokenCoordinates:
    """:class:`TokenCoordinates` of tokens given by their positions (document k's are
    ``offsets[k]:offsets[k + 1]``)."""
    sizes = np.diff(offsets)
    has = sizes > 0
    first = np.zeros(len(sizes), dtype=np.int64)
    first[has] = starts[offsets[:-1][has]]
    lo, hi, shift, size = coordinates(first, _last_ends(ends, offsets), has)
    per_token = np.repeat(shift, sizes)
    return TokenCoordinates(starts + per_token, ends + per_token, offsets, lo, hi, shift, size)


def _plain_escaped_tokens(blobs: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray] | None:
    """Nearly always: every list ``TK2`` with no value escaped (each token one byte: its gap
    and its length, four bits each). Then (the units, each list's token count); else None (the
    general way, which also refuses damaged lists)."""
    counts = []
    for data in blobs:
        n = int.from_bytes(data[3:7], "little")
        if data[:3] != packing.TOKENS_ESCAPED or n % 2 or len(data) != 7 + n // 2:
            return None  # another form, escaped values after the units, or damaged
        counts.append(n // 2)
    units = np.frombuffer(b"".join(memoryview(data)[7:] for data in blobs), dtype=np.uint8)
    if len(units) and (((units & 15) == 15).any() or units.max() >= 0xF0):
        return None  # a 15 is an escape (here without its value: damaged)
    return units, np.array(counts, dtype=np.int64)


def _on_line(steps: np.ndarray, lengths: np.ndarray, counts: np.ndarray) -> TokenCoordinates:
    """:class:`TokenCoordinates` of tokens given by each one's gap + length (``steps``) and
    length, ``counts`` per document: a token's end is the running sum of the steps (restarted
    per document by a correction added at its first token, so one running sum serves all: no
    per-token document index), its start that end less its length."""
    steps = steps.astype(np.int64)  # (a new array: corrected in place)
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(counts)
    has = counts > 0
    docs = np.flatnonzero(has)
    first = np.zeros(len(counts), dtype=np.int64)
    last = np.zeros(len(counts), dtype=np.int64)
    if len(docs):
        firsts = offsets[:-1][docs]
        last[docs] = np.add.reduceat(steps, firsts)  # each document's last token end
        first[docs] = steps[firsts] - lengths[firsts]  # its first gap: its first token's start
    lo, hi, shift, size = coordinates(first, last, has)
    if len(docs):
        reached = (last + shift)[docs]  # the running sum after each document
        steps[firsts] += shift[docs] - np.concatenate(([0], reached[:-1]))
    ends = np.cumsum(steps)
    return TokenCoordinates(ends - lengths, ends, offsets, lo, hi, shift, size)


def _last_ends(ends: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    sizes = np.diff(offsets)
    last = np.zeros(len(sizes), dtype=np.int64)
    has = sizes > 0
    last[has] = ends[offsets[1:][has] - 1]
    return last


def spans_of(blobs: Sequence[bytes], labels: dict[str, int]) -> tuple[np.ndarray, ...]:
    """(document index, starts, ends, label indices) of many packed span lists at once
    (:func:`span_arrays` of each); label names are indexed in ``labels`` (new ones added)."""
    return _triples_of(blobs, labels, False)[:4]


def gold_of(blobs: Sequence[bytes], labels: dict[str, int]) -> tuple[np.ndarray, ...]:
    """(document index, starts, ends, label indices) of many packed gold layers at once
    (:func:`annotator.core.packing.unpack_gold` of each as arrays, origins left out); label names are
    indexed in ``labels`` (new ones added)."""
    return _triples_of(blobs, labels, True)[:4]


def layers_of(blobs: Sequence[bytes], labels: dict[str, int], gold: bool) -> tuple[np.ndarray, ...]:
    """(document index, starts, ends, label indices, human) of many packed gold layers
    (``gold``) or span lists (every span the model's: human all False) at once."""
    return _triples_of(blobs, labels, gold)


_NAMES: dict[bytes, list[str]] = {}


def _names(header: bytes) -> list[str]:
    """A stored label list's names, parsed once per distinct list (predictions name their
    labels in order of first use, so a corpus has a few thousand such lists)."""
    found = _NAMES.get(header)
    if found is None:
        if len(_NAMES) > 20_000:
            _NAMES.clear()
        found = _NAMES[header] = json.loads(header.decode("utf-8"))
    return found


def _triples_of(blobs: Sequence[bytes], labels: dict[str, int], gold: bool) -> tuple[np.ndarray, ...]:
    """Gap/length/code triples after a JSON list of label names (a gold layer's array is raw, a
    span list's escaped, or deflated in the older form): (document index, starts, ends, label
    indices, human). A gold code is ``2 * label + human``; a prediction's is the label."""
    raws: list[tuple[str, bytes | memoryview]] = []
    table: list[int] = []
    table_at: list[int] = []
    seen: dict[bytes, int] = {}  # the same label list (nearly always) is read once
    escaped = None if gold else packing.SPANS_ESCAPED  # a gold layer's array is raw, with its type code
    older = packing.GOLD_MAGIC if gold else packing.SPANS_MAGIC
    for data in blobs:  # (slices of the bytes as read: cheaper here than memoryviews)
        magic = data[:3]
        size = int.from_bytes(data[3:7], "little")
        if magic == escaped:
            raws.append(("8", data[7 + size:]))
        elif magic == older:
            code = chr(data[7 + size])
            if code not in packing._TYPES:
                raise ValueError(f"unknown packed array type {code!r}")
            raws.append((code, data[8 + size:] if gold else zlib.decompress(data[8 + size:])))
        else:
            raise ValueError("not a packed gold layer" if gold else "not a packed span list")
        names = data[7:7 + size]
        at = seen.get(names)
        if at is None:
            at = seen[names] = len(table)
            for name in _names(bytes(names)):
                found = labels.get(name)
                table.append(labels.setdefault(name, len(labels)) if found is None else found)
        table_at.append(at)
    values, sizes = values_of(raws)
    counts = sizes // 3
    starts = _running(values[0::3], counts)
    doc = np.repeat(np.arange(len(blobs), dtype=np.int64), counts)
    codes = values[2::3] >> 1 if gold else values[2::3]
    label = np.asarray(table, dtype=np.int64)[np.asarray(table_at, dtype=np.int64)[doc] + codes] if len(doc) else doc
    human = (values[2::3] & 1).astype(bool) if gold else np.zeros(len(doc), dtype=bool)
    return doc, starts, starts + values[1::3], label, human
