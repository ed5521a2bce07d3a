"""Spans, ranges and their validation. Offsets are Unicode code points into the text."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from annotator.core.errors import SpanError

ORIGIN_MODEL = "model"
ORIGIN_HUMAN = "human"
ORIGINS = (ORIGIN_MODEL, ORIGIN_HUMAN)


class Span(NamedTuple):
    """An entity span ``text[start:end]`` with a label; ``origin`` says who made it.

    A NamedTuple rather than a dataclass: immutable, ordered by (start, end, label, origin),
    and several times cheaper to create, which matters when exporting millions of spans.
    """

    start: int
    end: int
    label: str
    origin: str = ORIGIN_HUMAN


class Range(NamedTuple):
    """A boilerplate range ``text[start:end]``."""

    start: int
    end: int


def _check_bounds(start: object, end: object, text_len: int, what: str) -> None:
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool) or isinstance(end, bool):
        raise SpanError(f"{what} has non-integer offsets ({start!r}, {end!r})")
    if start >= end:
        raise SpanError(f"{what} [{start}, {end}) is empty or reversed (start must be < end)")
    if start < 0 or end > text_len:
        raise SpanError(f"{what} [{start}, {end}) lies outside the text (length {text_len})")


def validate_spans(spans: Iterable[Span], text_len: int, labels: Iterable[str] | None = None) -> list[Span]:
    """Check spans against the text and label set; return them sorted.

    Raises :class:`SpanError` naming the first span that is out of range, reversed,
    overlapping another or carries a label outside ``labels`` (when given).
    """
    label_set = set(labels) if labels is not None else None
    ordered = sorted(spans)
    previous: Span | None = None
    for span in ordered:
        _check_bounds(span.start, span.end, text_len, f"span {span.label!r}")
        if label_set is not None and span.label not in label_set:
            raise SpanError(
                f"span [{span.start}, {span.end}) has unknown label {span.label!r} "
                f"(known: {', '.join(sorted(label_set))})"
            )
        if previous is not None and span.start < previous.end:
            raise SpanError(
                f"span {span.label!r} [{span.start}, {span.end}) overlaps "
                f"span {previous.label!r} [{previous.start}, {previous.end})"
            )
        previous = span
    return ordered


def validate_ranges(ranges: Iterable[Range], text_len: int) -> list[Range]:
    """Check boilerplate ranges lie inside the text and do not overlap; return them sorted."""
    ordered = sorted(ranges)
    previous: Range | None = None
    for rng in ordered:
        _check_bounds(rng.start, rng.end, text_len, "boilerplate range")
        if previous is not None and rng.start < previous.end:
            raise SpanError(
                f"boilerplate range [{rng.start}, {rng.end}) overlaps [{previous.start}, {previous.end})"
            )
        previous = rng
    return ordered


def merge_ranges(ranges: Iterable[Range], text: str | None = None) -> list[Range]:
    """Union of ranges; with ``text``, ranges separated only by whitespace are joined too."""
    out: list[Range] = []
    for rng in sorted(ranges):
        if out:
            last = out[-1]
            gap_is_blank = text is not None and text[last.end:rng.start].strip() == ""
            if rng.start <= last.end or gap_is_blank:
                out[-1] = Range(last.start, max(last.end, rng.end))
                continue
        out.append(rng)
    return out


def subtract_range(ranges: Sequence[Range], cut: Range) -> list[Range]:
    """Remove ``cut`` from every range (used to unmark part of a boilerplate range)."""
    out: list[Range] = []
    for rng in ranges:
        if rng.end <= cut.start or rng.start >= cut.end:
            out.append(rng)
            continue
        if rng.start < cut.start:
            out.append(Range(rng.start, cut.start))
        if rng.end > cut.end:
            out.append(Range(cut.end, rng.end))
    return out



class BoilerplateSplit(NamedTuple):
    """Spans sorted by where they lie relative to the boilerplate."""

    outside: list[Span]  # no character in boilerplate: the gold the reviewer saw
    inside: list[Span]  # every character in boilerplate: page furniture, not gold
    crossing: list[Span]  # some characters in, some out


def split_by_boilerplate(spans: Iterable[Span], boilerplate: Iterable[Range]) -> BoilerplateSplit:
    """Partition spans by boilerplate: outside, wholly inside, or crossing an edge.

    Boilerplate is missing annotation: spans inside it were never reviewed as entities (they
    are the model's output, kept only so unmarking restores them), so exports, statistics
    and scores leave them out. Runs in O((n + m) log m) for n spans and m ranges.
    """
    merged = merge_ranges(boilerplate)
    starts = [r.start for r in merged]
    out = BoilerplateSplit([], [], [])
    for span in spans:
        k = bisect_right(starts, span.start) - 1
        holder = merged[k] if k >= 0 and merged[k].end > span.start else None
        if holder is not None and span.end <= holder.end:
            out.inside.append(span)
            continue
        nxt = merged[k + 1] if k + 1 < len(merged) else None
        if holder is not None or (nxt is not None and nxt.start < span.end):
            out.crossing.append(span)
        else:
            out.outside.append(span)
    return out
