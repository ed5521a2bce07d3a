"""Rendering as a pure function: spans, boilerplate and the other pane's spans -> what to paint.

Like displaCy, this turns ``(text offsets, labels, colours)`` into highlights without
touching a widget; the Qt view only paints the result. Linear after sorting: a 1 MB
document with thousands of spans renders in milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from itertools import repeat
from operator import itemgetter
from typing import Any, NamedTuple

from annotator.core.labels import LabelSet
from annotator.core.spans import Range, Span

SAME = "same"
ADDED = "added"  # gold span with no model span overlapping it
CHANGED = "changed"  # label or boundaries differ from an overlapping span in the other pane
REMOVED = "removed"  # model span with no gold span overlapping it
MARKS = {SAME: "", ADDED: "+", CHANGED: "≠", REMOVED: "−"}


class Highlight(NamedTuple):
    """One span as painted: where, which label and colour, and how it differs from the other pane."""

    start: int
    end: int
    label: str
    color: str
    status: str
    in_boilerplate: bool
    other_label: str | None = None  # CHANGED, same boundaries: the other pane's label
    other_color: str | None = None
    ghost: bool = False  # a model span removed from the gold, shown in the gold pane as an outline
    gold_side: bool = True
    caption: str | None = None  # drawn instead of the label (who has an adjudication candidate); "" draws none

    @property
    def relabelled(self) -> bool:
        return self.status == CHANGED and self.other_label is not None

    @property
    def labels_old_new(self) -> tuple[tuple[str, str], tuple[str, str]]:
        """((old label, its colour), (new label, its colour)) of a relabelled span: old is the model's."""
        mine, other = (self.label, self.color), (self.other_label or "", self.other_color or self.color)
        return (other, mine) if self.gold_side else (mine, other)

    @property
    def tag(self) -> str:
        """The text drawn beside the span: a difference mark and the label name (or its caption)."""
        if self.caption is not None:
            return self.caption
        if self.ghost:
            return f"{MARKS[REMOVED]} {self.label}"
        if self.relabelled:
            (old, _), (new, _) = self.labels_old_new
            return f"{old} → {new}"
        mark = MARKS[self.status]
        return f"{mark} {self.label}" if mark else self.label


class Rendering(NamedTuple):
    highlights: tuple[Highlight, ...]
    greyed: tuple[Range, ...]
    suggested: tuple[Range, ...] = ()  # boilerplate the heuristic suggests and the reviewer has not marked


def _overlap_flags(items: list[Span], others: list[tuple[int, int]]) -> list[bool]:
    """For each sorted item, whether any of the sorted, non-overlapping ``others`` overlaps it."""
    flags = []
    j = 0
    n = len(others)
    for span in items:
        while j < n and others[j][1] <= span.start:
            j += 1
        flags.append(j < n and others[j][0] < span.end)
    return flags


def render(
    spans: Iterable[Span], others: Iterable[Span], boilerplate: Iterable[Range], labels: LabelSet, *, gold_side: bool,
    suggested: Iterable[Range] = (), captions: Sequence[str | None] | None = None,
) -> Rendering:
    """Highlights for one pane. ``others`` are the other pane's spans, to mark differences.

    On the gold side, model spans the gold has nothing in place of are added as ghosts (the
    deletion shows in both panes); a span relabelled with the same boundaries carries the
    other label, so its tag reads old → new. ``captions``, one per span in sorted order (see
    :func:`candidate_captions`), are drawn instead of the labels.
    """
    ordered = sorted(spans)
    other_list = sorted(others)
    other_by_bounds = {s[:2]: s[2] for s in other_list}
    other_keys = {s[:3] for s in other_list}
    greyed = tuple(sorted(boilerplate))
    grey_bounds = [(r.start, r.end) for r in greyed]
    touches_other = _overlap_flags(ordered, [s[:2] for s in other_list])
    in_grey = _overlap_flags(ordered, grey_bounds)
    unmatched = ADDED if gold_side else REMOVED
    colors: dict[str, str] = {}

    def color_of(label: str) -> str:
        color = colors.get(label)
        if color is None:
            color = colors[label] = labels.color(label)
        return color

    make = partial(tuple.__new__, Highlight)  # no Python frame per span: thousands per pane (every field given)
    highlights: list[Highlight] = []
    append = highlights.append
    for span, touches, grey, caption in zip(ordered, touches_other, in_grey,
                                            repeat(None) if captions is None else captions):
        label = span[2]
        color = colors.get(label) or color_of(label)
        if span[:3] in other_keys:
            append(make((span[0], span[1], label, color, SAME, grey, None, None, False, gold_side, caption)))
            continue
        other = other_by_bounds.get(span[:2])
        append(make((span[0], span[1], label, color, CHANGED if touches else unmatched, grey,
                     other, color_of(other) if other else None, False, gold_side, caption)))
    if gold_side:
        kept = _overlap_flags(other_list, [s[:2] for s in ordered])
        ghosts = [o for o, touched in zip(other_list, kept) if not touched]
        if ghosts:
            ghost_grey = _overlap_flags(ghosts, grey_bounds)
            highlights += [make((g[0], g[1], g[2], color_of(g[2]), REMOVED, grey, None, None, True, True, None))
                           for g, grey in zip(ghosts, ghost_grey)]
            highlights.sort(key=itemgetter(0, 1))
    return Rendering(tuple(highlights), greyed, _unmarked(suggested, greyed))


def candidate_captions(candidates: Sequence[Any], annotators: Sequence[str]) -> list[str | None]:
    """The tag of each adjudication candidate (:class:`annotator.core.adjudication.Candidate`,
    sorted by position), by the annotators' numbers (their take keys, Alt+n): "GPE · 1 2 3"
    (everyone), "GPE · 1" (some), and for overlapping candidates one tag on the first,
    "1: GPE / 2 3: LOC" ("" on the others: no tag drawn)."""
    number = {name: str(i) for i, name in enumerate(annotators, 1)}
    who: dict[tuple[str, ...], str] = {}  # a handful of distinct holder sets: each written once
    out: list[str | None] = []
    i, n = 0, len(candidates)
    while i < n:  # candidates come sorted by position, a group's members one after another
        j = i + 1
        while j < n and candidates[j].group == candidates[i].group:
            j += 1
        for c in candidates[i:j]:
            if c.holders not in who:
                who[c.holders] = " ".join(number.get(name, name) for name in c.holders)
        if j - i == 1:
            c = candidates[i]
            out.append(f"{c.span.label} · {who[c.holders]}")
        else:
            out.append(" / ".join(f"{who[c.holders]}: {c.span.label}" for c in candidates[i:j]))
            out += [""] * (j - i - 1)
        i = j
    return out


def caption_candidates(rendering: Rendering, candidates: Iterable[Any], annotators: Sequence[str]) -> Rendering:
    """A rendering of adjudication candidates with each span tagged by who has it (see
    :func:`candidate_captions`; ``render(..., captions=...)`` does it in one pass)."""
    items = list(candidates)
    tags = {c.span[:3]: caption for c, caption in zip(items, candidate_captions(items, annotators))}
    make = partial(tuple.__new__, Highlight)
    highlights = tuple(h if h.ghost else make((*h[:-1], tags.get((h.start, h.end, h.label))))
                       for h in rendering.highlights)
    return rendering._replace(highlights=highlights)


def _unmarked(suggested: Iterable[Range], greyed: tuple[Range, ...]) -> tuple[Range, ...]:
    """The suggested ranges not already inside boilerplate."""
    out = []
    for r in sorted(suggested):
        if not any(g.start <= r.start and r.end <= g.end for g in greyed):
            out.append(r)
    return tuple(out)


def _touching(items: list, start: int, end: int) -> tuple[int, int]:
    """Index range [i, j) of sorted, non-overlapping ``items`` that overlap [start, end)."""
    lo, hi = 0, len(items)
    while lo < hi:  # first item ending after start
        mid = (lo + hi) // 2
        if items[mid].end <= start:
            lo = mid + 1
        else:
            hi = mid
    j = lo
    while j < len(items) and items[j].start < end:
        j += 1
    return lo, j


def rerender(
    previous: Rendering, spans: list[Span], others: list[Span], boilerplate: Iterable[Range], labels: LabelSet,
    *, gold_side: bool, changed: Iterable[Range], suggested: Iterable[Range] | None = None,
) -> Rendering:
    """The same result as :func:`render`, recomputing only around ``changed`` ranges.

    A span's status depends only on the spans of the other pane that overlap it, and its
    boilerplate flag only on the ranges it overlaps, so after an edit confined to ``changed``
    only highlights overlapping those ranges (widened by the spans overlapping them) can
    differ. ``spans`` and ``others`` must be sorted; everything else is spliced from
    ``previous`` (``suggested`` too, unless given).
    """
    greyed = tuple(sorted(boilerplate))
    highlights = list(previous.highlights)
    for region in sorted(changed):
        start, end = region.start, region.end
        for items in (spans, others):  # widen to every span touching the region
            i, j = _touching(items, start, end)
            if i < j:
                start, end = min(start, items[i].start), max(end, items[j - 1].end)
        i, j = _touching(spans, start, end)
        fresh = render(spans[i:j], [s for s in others if s.start < end and start < s.end],
                       [g for g in greyed if g.start < end and start < g.end], labels, gold_side=gold_side).highlights
        a, b = _touching(highlights, start, end)
        highlights[a:b] = fresh
    return Rendering(tuple(highlights), greyed,
                     _unmarked(previous.suggested if suggested is None else suggested, greyed))
