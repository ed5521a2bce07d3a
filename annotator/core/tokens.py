"""Token boundaries of a text, snapping spans to tokens, and a compact stored form.

Tokens are (start, end) code-point offsets, as spaCy's ``token.idx`` and
``token.idx + len(token)``. A spaCy ``Doc`` is only read duck-typed, so this module
does not import spaCy.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from annotator.core.packing import pack_tokens, unpack_tokens


@dataclass(frozen=True)
class Tokens:
    """Token boundaries: ``starts[i]``/``ends[i]`` are code-point offsets of token i."""

    starts: Sequence[int]
    ends: Sequence[int]

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[int, int]]) -> "Tokens":
        starts, ends = array("I"), array("I")
        for s, e in pairs:
            starts.append(s)
            ends.append(e)
        return cls(starts, ends)

    @classmethod
    def from_lists(cls, starts: Sequence[int], ends: Sequence[int]) -> "Tokens":
        """From two equally long lists of offsets (checked by the caller)."""
        return cls(array("I", starts), array("I", ends))

    @classmethod
    def from_doc(cls, doc: Any) -> "Tokens":
        """Boundaries of a spaCy Doc's tokens (whitespace tokens included)."""
        return cls.from_pairs((t.idx, t.idx + len(t.text)) for t in doc)

    def __len__(self) -> int:
        return len(self.starts)

    def to_bytes(self) -> bytes:
        """The compact stored form (:func:`annotator.core.packing.pack_tokens`)."""
        return pack_tokens(self.starts, self.ends)

    @classmethod
    def from_bytes(cls, data: bytes) -> "Tokens":
        starts, ends = unpack_tokens(data)
        return cls(starts, ends)

    def is_aligned(self, start: int, end: int) -> bool:
        """True when ``start`` opens a token and ``end`` closes one."""
        i = bisect_left(self.starts, start)
        j = bisect_left(self.ends, end)
        return (
            i < len(self.starts) and self.starts[i] == start and j < len(self.ends) and self.ends[j] == end
        )

    def token_range(self, start: int, end: int) -> tuple[int, int] | None:
        """Indices of the first and last (inclusive) token touching [start, end), or None."""
        first = bisect_right(self.ends, start)  # first token ending after start
        last = bisect_left(self.starts, end) - 1  # last token starting before end
        if first >= len(self.starts) or last < first:
            return None
        return first, last

    def snap(self, start: int, end: int, text: str | None = None) -> tuple[int, int] | None:
        """Expand [start, end) to whole tokens, like ``Doc.char_span(alignment_mode="expand")``.

        Whitespace at either edge of the selection is dropped first, so a drag that
        starts in the gap between words does not grab a whitespace token. Returns
        None when no token lies in the selection.
        """
        if text is not None:
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if start >= end:
                return None
        found = self.token_range(start, end)
        if found is None:
            return None
        first, last = found
        return self.starts[first], self.ends[last]

    def move_edge(self, start: int, end: int, edge: str, step: int, text: str) -> tuple[int, int] | None:
        """Move a span's ``edge`` ("start" or "end") by ``step`` tokens, skipping whitespace tokens.

        None when the edge is not on a token boundary, would leave the text, or the span
        would become empty.
        """
        words = [(s, e) for s, e in zip(self.starts, self.ends) if not text[s:e].isspace()]
        bounds = [s for s, _ in words] if edge == "start" else [e for _, e in words]
        position = start if edge == "start" else end
        i = bisect_left(bounds, position)
        if i >= len(bounds) or bounds[i] != position or not 0 <= i + step < len(bounds):
            return None
        new_start, new_end = (bounds[i + step], end) if edge == "start" else (start, bounds[i + step])
        return (new_start, new_end) if new_start < new_end else None

