"""Rendering as a pure function: spans, boilerplate and the other pane's spans -> what to paint.

Like displaCy, this turns ``(text offsets, labels, colours)`` into formatted ranges without
touching a widget; the Qt view only applies the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from annotator.core.labels import LabelSet
from annotator.core.spans import Range, Span

SAME = "same"
ADDED = "added"  # gold span with no model span overlapping it
CHANGED = "changed"  # label or boundaries differ from an overlapping span in the other pane
REMOVED = "removed"  # model span with no gold span overlapping it
MARKS = {SAME: "", ADDED: "+", CHANGED: "≠", REMOVED: "−"}


@dataclass(frozen=True)
class Highlight:
    """One span as painted: where, which label and colour, and how it differs from the other pane."""

    start: int
    end: int
    label: str
    color: str
    status: str
    in_boilerplate: bool

    @property
    def tag(self) -> str:
        """The text drawn beside the span: a difference mark and the label name."""
        mark = MARKS[self.status]
        return f"{mark} {self.label}" if mark else self.label


@dataclass(frozen=True)
class Rendering:
    highlights: tuple[Highlight, ...]
    greyed: tuple[Range, ...]


def span_status(span: Span, others: Sequence[Span], other_keys: set[tuple[int, int, str]], unmatched: str) -> str:
    """SAME if ``others`` has this exact span, CHANGED if one overlaps it, else ``unmatched``."""
    if span.key() in other_keys:
        return SAME
    from bisect import bisect_left

    i = bisect_left(others, (span.start,))
    for other in others[max(0, i - 1):]:
        if other.start >= span.end:
            break
        if other.end > span.start:
            return CHANGED
    return unmatched


def render(
    spans: Iterable[Span], others: Iterable[Span], boilerplate: Iterable[Range], labels: LabelSet, *, gold_side: bool
) -> Rendering:
    """Highlights for one pane. ``others`` are the other pane's spans, to mark differences."""
    ordered_others = sorted(others)
    other_keys = {s.key() for s in ordered_others}
    greyed = tuple(sorted(boilerplate))
    unmatched = ADDED if gold_side else REMOVED
    highlights = []
    for span in sorted(spans):
        inside = any(r.start < span.end and span.start < r.end for r in greyed)
        highlights.append(
            Highlight(span.start, span.end, span.label, labels.color(span.label),
                      span_status(span, ordered_others, other_keys, unmatched), inside)
        )
    return Rendering(tuple(highlights), greyed)


def changed_ranges(old: Rendering, new: Rendering) -> list[Range]:
    """Ranges whose painting differs between two renderings (to repaint only those)."""
    old_h, new_h = set(old.highlights), set(new.highlights)
    ranges = [Range(h.start, h.end) for h in old_h ^ new_h]
    old_g, new_g = set(old.greyed), set(new.greyed)
    ranges += list(old_g ^ new_g)
    return sorted(ranges)
