"""The common JSONL record read straight into what an import needs, without a dict per token.

A Prodigy line with a model's predictions carries ~700 token objects and ~100 span objects
(26 KB of JSON): parsing it into dicts (``ujson.loads``), freeing them and checking them cost
~1 ms, 15x a plain-text line. Here msgspec decodes the line into typed structs that hold only
what is kept (a token's start and end; its text, id and ws are skipped unread into objects),
and the checks run over whole columns.

:func:`read_line` gives exactly the :class:`GoldRecord` that ``parse_record`` gives for the
same line, or None for any line it does not vouch for: malformed JSON, a doccano record,
a value of a type the general reader takes or refuses with a message of its own (a float
offset, a number as ``answer``), a token or span that would be refused. The caller then reads
that line the general way, so every message and every lenience stays as it was.
"""

from __future__ import annotations

import re
from array import array
from itertools import islice, repeat
from operator import le, lt
from typing import Any

import msgspec
import numpy as np
from msgspec import UNSET, Raw, Struct, UnsetType, field

from annotator.core.errors import InputError
from annotator.core.formats import CheckedSpans, _state
from annotator.core.model import GoldRecord
from annotator.core.spans import ORIGIN_HUMAN, ORIGINS, Range, Span
from annotator.core.texts import check_text
from annotator.core.tokens import Tokens


class _Token(Struct, gc=False):
    start: int
    end: int


class _Span(Struct, gc=False):
    start: int
    end: int
    label: str
    origin: str = ORIGIN_HUMAN  # another value: the general reader makes it "human"


class _Range(Struct, gc=False):
    start: int
    end: int


class _Line(Struct, gc=False):
    """The keys a record may have; any other key is skipped (as the general reader ignores it)."""

    text: str
    spans: list[_Span] | UnsetType = UNSET
    tokens: list[_Token] | None = None
    boilerplate: list[_Range] | UnsetType = UNSET
    meta: Raw | UnsetType = UNSET  # parsed as the whole line would be (see read_line)
    answer: str | None = None
    annotator: str | None | UnsetType = field(default=UNSET, name="_annotator_id")
    label: Raw | UnsetType = UNSET  # doccano keys: the general reader handles those records
    entities: Raw | UnsetType = UNSET


_DECODER = msgspec.json.Decoder(_Line)


def read_line(line: str | bytes, loads: Any) -> GoldRecord | None:
    """The record of one JSONL line, or None when the general reader must read it.

    ``loads`` parses ``meta`` (a small object) as the caller parses whole lines, so its numbers
    come out exactly as before; a ``meta`` it refuses sends the line to the general reader.
    """
    try:
        decoded = _DECODER.decode(line)
    except (msgspec.DecodeError, UnicodeError, RecursionError):  # not JSON, not of these types, bad UTF-8
        return None
    if decoded.spans is UNSET and (decoded.label is not UNSET or decoded.entities is not UNSET):
        return None
    try:
        return _record(decoded, loads, line)
    except (InputError, ValueError, OverflowError, RecursionError):
        return None  # a refused text or answer, meta ``loads`` refused, an offset beyond uint32


def _record(line: Any, loads: Any, raw: str | bytes) -> GoldRecord | None:
    text = line.text
    check_text(text, '"text"')
    if (line.spans is UNSET and line.tokens is None and line.meta is UNSET and line.answer is None
            and line.annotator is UNSET and line.boilerplate is UNSET):  # plain text (and keys nobody reads)
        return GoldRecord(text=text, spans=None, boilerplate=[], state=None, annotator=None, source=None,
                          tokens=None, meta={})
    meta: dict[str, Any] = {}
    if line.meta is not UNSET:
        parsed = loads(bytes(line.meta))
        if isinstance(parsed, dict):
            meta = parsed
            if _has_float(meta) and (_LONG_INTEGER if isinstance(raw, str) else _LONG_INTEGER_BYTES).search(raw):
                return None  # see _LONG_INTEGER
    spans = None
    if line.spans is not UNSET:
        spans = _spans(line.spans, len(text))
        if spans is None:
            return None
    boilerplate = [] if line.boilerplate is UNSET else [Range(r.start, r.end) for r in line.boilerplate]
    tokens = None
    if line.tokens is not None:
        tokens = _tokens(line.tokens, len(text))
        if tokens is None:
            return None
    annotator = line.annotator
    state = _state(line.answer, meta, spans, annotator is not UNSET)
    source = meta.get("source")
    return GoldRecord(
        text=text, spans=spans, boilerplate=boilerplate, state=state,
        annotator=annotator if isinstance(annotator, str) else None,
        source=source if isinstance(source, str) else None, tokens=tokens, meta=meta,
    )


def _spans(items: list, text_len: int) -> list[Span] | None:
    """Spans as the general reader builds them, or None when a label is empty or an origin is
    not one of ours (the general reader names that span, or makes the origin "human").

    Spans in order, non-empty, inside the text and not overlapping come as :class:`CheckedSpans`:
    the checks over the columns already at hand cost a third of what ``check_record``'s own
    pass over the ``Span`` tuples costs."""
    labels = [item.label for item in items]  # (list comprehensions read a struct's fields faster than attrgetter)
    origins = [item.origin for item in items]
    if not all(labels) or not set(origins) <= _ORIGINS:
        return None
    starts = [item.start for item in items]
    ends = [item.end for item in items]
    spans = map(tuple.__new__, repeat(Span), zip(starts, ends, labels, origins))  # no Python call per span
    if (starts and starts[0] >= 0 and ends[-1] <= text_len and all(map(lt, starts, ends))
            and all(map(le, ends, islice(starts, 1, None)))):  # each ends by the next's start: sorted
        checked = CheckedSpans(spans)
        checked.labels = set(labels)
        return checked
    return list(spans)


def _tokens(items: list, text_len: int) -> Tokens | None:
    """Token offsets, each token non-empty, none starting before the previous one ends, all
    inside the text; None otherwise (the general reader names the token)."""
    starts = array("I", [item.start for item in items])  # OverflowError: negative or huge
    ends = array("I", [item.end for item in items])
    if starts:
        s = np.frombuffer(starts, dtype=np.uint32)
        e = np.frombuffer(ends, dtype=np.uint32)
        if e[-1] > text_len or not (s < e).all() or not (s[1:] >= e[:-1]).all():
            return None
    return Tokens(starts, ends)


_ORIGINS = frozenset(ORIGINS)
# ujson refuses an integer beyond 64 bits (19 digits or more), and the general reader then parses
# the whole line with ``json``, whose floats can differ from ujson's in the last digit: a line
# with such a number anywhere (even under a key nobody reads) and a float in its meta is left
# to the general reader, so its meta comes out as before. (A digit run inside a string only
# sends the line the slow way.)
_LONG_INTEGER = re.compile(r"\d{19}")
_LONG_INTEGER_BYTES = re.compile(rb"\d{19}")


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(map(_has_float, value.values()))
    if isinstance(value, list):
        return any(map(_has_float, value))
    return False
