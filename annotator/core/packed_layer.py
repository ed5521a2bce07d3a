"""One document's spans as a numpy array, for edits of many documents at once (relabel every
occurrence, its undo and redo).

A bulk edit of a never-edited document copies the model's ~100 spans into the gold and changes
one or two; of a started one it changes one or two of the gold's. Made into a Python object per
span, a change touching 8,000 documents built and packed 800,000 of them. Here the layer stays
an array: the lookups a bulk edit's checks need are bisections, and the edited layer is packed
(:func:`annotator.core.packing.pack_gold_rows`) straight from it, in a dozen numpy calls.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from annotator.core import packing
from annotator.core.packed_arrays import layers_of
from annotator.core.spans import ORIGIN_HUMAN, ORIGIN_MODEL, Span

class PackedLayer:
    """Spans sorted by start, non-overlapping (the gold never overlaps; predictions are stored
    sorted and do not either), as an (n, 3) int64 array of rows ``start, end, code``: the code
    is ``2 * label index + (origin is human)``, the label indices into ``names`` (sorted)."""

    __slots__ = ("rows", "names")

    def __init__(self, rows: np.ndarray, names: list[str]):
        self.rows, self.names = rows, names

    @classmethod
    def empty(cls) -> PackedLayer:
        return cls(np.zeros((0, 3), dtype=np.int64), [])

    @classmethod
    def from_gold(cls, data: bytes) -> PackedLayer:
        """A stored gold layer (:func:`annotator.core.packing.pack_gold`)."""
        return cls.many([data], gold=True)[0]

    @classmethod
    def from_prediction(cls, data: bytes) -> PackedLayer:
        """A stored prediction (:func:`annotator.core.packing.pack_spans`): every span the model's."""
        return cls.many([data], gold=False)[0]

    @classmethod
    def many(cls, blobs: Sequence[bytes], *, gold: bool) -> list[PackedLayer]:
        """Stored gold layers (``gold``) or predictions decoded together
        (:func:`annotator.core.packed_arrays.layers_of`): each layer a slice of one array, their
        labels named in one sorted list (a layer's unused names leave it when it is packed)."""
        index: dict[str, int] = {}
        which, starts, ends, labels, human = layers_of(blobs, index, gold)
        names = sorted(index)
        place = np.zeros(max(len(index), 1), dtype=np.int64)
        for name, k in index.items():
            place[k] = names.index(name)
        rows = np.empty((len(starts), 3), dtype=np.int64)
        rows[:, 0], rows[:, 1], rows[:, 2] = starts, ends, 2 * place[labels] + human
        cuts = np.searchsorted(which, np.arange(len(blobs) + 1)).tolist()
        return [cls(rows[cuts[k]:cuts[k + 1]], names) for k in range(len(blobs))]

    def __len__(self) -> int:
        return len(self.rows)

    def span(self, k: int) -> Span:
        start, end, code = self.rows[k].tolist()
        return Span(start, end, self.names[code >> 1], ORIGIN_HUMAN if code & 1 else ORIGIN_MODEL)

    def spans(self) -> list[Span]:
        return [self.span(k) for k in range(len(self))]

    def _first(self, start: int) -> int:
        return int(np.searchsorted(self.rows[:, 0], start))

    def at(self, start: int, end: int) -> Span | None:
        """The span with exactly these bounds, if any."""
        k = self._first(start)
        while k < len(self) and self.rows[k, 0] == start:
            if self.rows[k, 1] == end:
                return self.span(k)
            k += 1
        return None

    def find(self, span: Span) -> int:
        """Index of a span with ``span``'s bounds and label (whatever its origin), or -1."""
        k = self._first(span.start)
        while k < len(self) and self.rows[k, 0] == span.start:
            if self.rows[k, 1] == span.end and self.names[int(self.rows[k, 2]) >> 1] == span.label:
                return k
            k += 1
        return -1

    def overlapping(self, start: int, end: int) -> list[int]:
        """Indices of the spans sharing a character with [start, end), the last starting first
        (ends grow with starts: walking back from the last span starting before ``end``, none
        earlier reaches in once one does not)."""
        k = self._first(end) - 1
        found = []
        while k >= 0 and self.rows[k, 1] > start:
            found.append(k)
            k -= 1
        return found

    def edited(self, removed: Sequence[Span], added: Sequence[Span]) -> tuple[bytes, int, str]:
        """The layer less ``removed`` (by bounds and label) with ``added``: (packed gold, span
        count, the ``labels`` column), as :func:`annotator.core.packing.pack_gold` packs the
        same spans. A dozen numpy calls (this runs once per document a bulk edit changes)."""
        rows, names = self.rows, self.names
        if removed:
            keep = np.ones(len(rows), dtype=bool)
            for span in removed:
                k = self.find(span)
                if k >= 0:
                    keep[k] = False
            rows = rows[keep]
        if added:
            for s in added:
                if s.origin not in (ORIGIN_HUMAN, ORIGIN_MODEL):
                    raise ValueError(f"span [{s.start}, {s.end}) has unknown origin {s.origin!r}")
            new = sorted(added)
            unknown = sorted({s.label for s in new} - set(names))
            if unknown:  # names stay sorted: the codes move up past the new names
                grown = sorted([*names, *unknown])
                move = np.array([grown.index(name) for name in names] or [0], dtype=np.int64)
                rows = rows.copy()
                rows[:, 2] = 2 * move[rows[:, 2] >> 1] + (rows[:, 2] & 1)
                names = grown
            place = {name: k for k, name in enumerate(names)}
            extra = np.array([(s.start, s.end, 2 * place[s.label] + (s.origin == ORIGIN_HUMAN)) for s in new],
                             dtype=np.int64)
            at = np.searchsorted(rows[:, 0], extra[:, 0], side="right").tolist()  # after equal starts, as a
            pieces, previous = [], 0                                             # stable sort puts them
            for i, k in enumerate(at):
                pieces += [rows[previous:k], extra[i:i + 1]]
                previous = k
            pieces.append(rows[previous:])
            rows = np.concatenate(pieces)
        labels = rows[:, 2] >> 1
        used = np.flatnonzero(np.bincount(labels, minlength=len(names))) if len(rows) else labels
        if len(used) != len(names):  # a label no longer used leaves the list
            shrink = np.zeros(len(names), dtype=np.int64)
            shrink[used] = np.arange(len(used))
            rows = rows.copy()
            rows[:, 2] = 2 * shrink[labels] + (rows[:, 2] & 1)
            names = [names[k] for k in used.tolist()]
        header = _header(names)
        return packing.pack_gold_rows(rows, header), len(rows), header


_HEADERS: dict[tuple[str, ...], str] = {}


def _header(names: list[str]) -> str:
    """The JSON of a sorted label list (made once per list)."""
    key = tuple(names)
    found = _HEADERS.get(key)
    if found is None:
        if len(_HEADERS) > 10_000:
            _HEADERS.clear()
        found = _HEADERS[key] = json.dumps(names, ensure_ascii=False)
    return found
