"""Cutting a long text into pieces a pipeline can take, at places that change no token.

spaCy refuses texts over ``nlp.max_length`` (E088) and needs memory in proportion to the
text. A long document is run as pieces of at most ``max_chars`` code points, cut just
after a run of whitespace (a blank line if there is one near the end of the piece, else a
line break, else a space), so every piece starts with a non-space character: a
whitespace tokenizer then makes exactly the tokens of the whole text, and entity offsets
are shifted back by the piece's start. Only a text with no whitespace at all in a whole
window is cut hard.
"""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

SEPARATORS = ("\n\n", "\n", " ")


def _cut_after_whitespace(text: str, start: int, limit: int, floor: int) -> int | None:
    """The best cut in ``(floor, limit]``: the end of a whitespace run holding a separator.

    Blank lines are preferred to line breaks, line breaks to spaces; among cuts of one kind
    the latest.
    """
    n = len(text)
    for sep in SEPARATORS:
        at = text.rfind(sep, floor, limit)
        while at != -1:
            end = at + len(sep)
            while end < n and text[end].isspace():
                end += 1
            if end <= limit:
                return end
            at = text.rfind(sep, floor, at)
    return None


def _hard_cut(text: str, limit: int) -> int:
    """Cut before ``limit`` but not inside a combining sequence (a mark belongs to its base)."""
    cut = limit
    while cut > 1 and unicodedata.combining(text[cut]):
        cut -= 1
    return cut


def split_pieces(text: str, max_chars: int) -> list[tuple[int, int]]:
    """(start, end) of consecutive pieces covering ``text``, each at most ``max_chars`` long."""
    if max_chars < 2:
        raise ValueError("max_chars must be at least 2")
    n = len(text)
    pieces = []
    start = 0
    while n - start > max_chars:
        limit = start + max_chars
        # a cut in the second half of the window first (no tiny pieces), then anywhere
        cut = _cut_after_whitespace(text, start, limit, start + max_chars // 2)
        if cut is None:
            cut = _cut_after_whitespace(text, start, limit, start + 1)
        if cut is None:
            cut = _hard_cut(text, limit)
            if cut <= start:
                cut = limit
        pieces.append((start, cut))
        start = cut
    pieces.append((start, n))
    return pieces


class Piece(NamedTuple):
    """A piece ``[start, end)`` of a text and the window ``[context_start, context_end)`` to run it in."""

    start: int
    end: int
    context_start: int
    context_end: int


def _boundary_near(text: str, at: int, context: int, forward: bool) -> int:
    """A cut about ``context`` characters before (or after) ``at``, after a whitespace run if one is near."""
    n = len(text)
    if forward:
        lo, hi = min(n, at + context), min(n, at + 2 * context)
        if hi >= n:
            return n
    else:
        lo, hi = max(0, at - 2 * context), max(0, at - context)
        if lo <= 0:
            return 0
    cut = _cut_after_whitespace(text, lo, hi, lo) if hi > lo else None
    return cut if cut is not None else hi


def split_with_context(text: str, max_chars: int, context: int) -> list[Piece]:
    """Pieces of ``text`` (see :func:`split_pieces`), each with up to ``context`` characters
    of the text around it, so a model that looks at neighbouring tokens sees what it would
    see in the whole text. Keep only what starts inside ``[start, end)`` of each piece.
    A window is at most ``max_chars`` long."""
    if len(text) <= max_chars:
        return [Piece(0, len(text), 0, len(text))]
    own = max(2, max_chars - 4 * context)
    return [Piece(a, b, _boundary_near(text, a, context, False), _boundary_near(text, b, context, True))
            for a, b in split_pieces(text, own)]
