"""Adjudication as pure data: every annotator's spans with who has them, and taking them.

Each annotator's spans are their gold (spans lying inside their own boilerplate are not
gold and are not offered). A *candidate* is a distinct span (offsets and label) with the
annotators who have it. Its status says how it stands:

- ``agreed``: every annotator has it ("A B C");
- ``partial``: some have it and nobody has anything else there ("A");
- ``conflict``: another candidate overlaps it ("A: ORG / B: GPE").

The final gold starts with the agreed spans and the boilerplate every annotator marked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from typing import NamedTuple

from annotator.core.spans import ORIGIN_HUMAN, Range, Span
from annotator.core.team import Layer, intersect_ranges, key, own_gold

AGREED = "agreed"
PARTIAL = "partial"
CONFLICT = "conflict"


class Candidate(NamedTuple):
    """A distinct span some annotators have, who they are, and how it stands (a NamedTuple:
    thousands are made each time a document opens for adjudication)."""

    span: Span
    holders: tuple[str, ...]
    status: str
    group: int  # candidates that overlap each other share a group
    description: str  # "A B C", "A", or for the whole group "A: ORG / B: GPE"


def candidates(layers: Sequence[Layer]) -> list[Candidate]:
    """Every annotator's spans as candidates, sorted by position (see the module docstring)."""
    everyone = len(layers)
    holders: dict[tuple[int, int, str], tuple[str, ...]] = {}
    get = holders.get
    for layer in layers:
        one = (layer.annotator,)
        for span in own_gold(layer) if layer.boilerplate else layer.spans:  # the order does not matter here
            k = span[:3]  # key(span): a slice of the tuple, without a call per span
            found = get(k)
            holders[k] = one if found is None else found + one
    keys = sorted(holders)
    make_span, make = partial(tuple.__new__, Span), partial(tuple.__new__, Candidate)  # no frame per span (every field given)
    joined: dict[tuple[str, ...], str] = {}  # a handful of distinct holder sets, each written once
    out: list[Candidate] = []
    n, i, number = len(keys), 0, 0
    while i < n:  # sorted by start: a candidate starting before the group's reach overlaps it
        k = keys[i]
        j, reach = i + 1, k[1]
        while j < n and keys[j][0] < reach:
            reach = max(reach, keys[j][1])
            j += 1
        if j - i > 1:
            group = keys[i:j]
            described = " / ".join(f"{' '.join(holders[g])}: {g[2]}" for g in group)
            out += [make((make_span((*g, ORIGIN_HUMAN)), holders[g], CONFLICT, number, described)) for g in group]
        else:
            who = holders[k]
            text = joined.get(who)
            if text is None:
                text = joined[who] = " ".join(who)
            out.append(make((make_span((*k, ORIGIN_HUMAN)), who, AGREED if len(who) == everyone else PARTIAL,
                             number, text)))
        number += 1
        i = j
    return out


def agreed_spans(layers: Sequence[Layer]) -> list[Span]:
    """The spans every annotator has (the final gold's starting point)."""
    return [c.span for c in candidates(layers) if c.status == AGREED]


def agreed_boilerplate(layers: Sequence[Layer]) -> list[Range]:
    """Text every annotator marked as boilerplate."""
    if not layers:
        return []
    common = list(layers[0].boilerplate)
    for layer in layers[1:]:
        common = intersect_ranges(common, layer.boilerplate)
    return common


def take(final: Iterable[Span], taken: Iterable[Span]) -> tuple[list[Span], list[Span]]:
    """Put ``taken`` into the final gold: returns (spans removed because they overlap, spans added).

    Spans already in the final gold (same offsets and label) are neither removed nor added.
    """
    current = {key(s): s for s in final}
    wanted = sorted({key(s): Span(s.start, s.end, s.label, ORIGIN_HUMAN) for s in taken}.values())
    kept, reached = [], -1
    for span in wanted:  # the first of overlapping spans, against every span kept so far
        if span.start >= reached:
            kept.append(span)
            reached = span.end
    wanted = kept
    new = [s for s in wanted if key(s) not in current]
    removed = [s for k, s in current.items() if any(n.start < s.end and s.start < n.end for n in new)]
    return sorted(removed), new
