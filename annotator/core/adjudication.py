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
    holders: dict[tuple[int, int, str], list[str]] = {}
    for layer in layers:
        name = layer.annotator
        for span in own_gold(layer):
            k = span[:3]  # key(span): a slice of the tuple, without a call per span
            found = holders.get(k)
            if found is None:
                holders[k] = [name]
            else:
                found.append(name)
    keys = sorted(holders)
    groups: list[list[tuple[int, int, str]]] = []
    reach = -1
    for k in keys:  # sorted by start: a candidate starting before the group's reach overlaps it
        if groups and k[0] < reach:
            groups[-1].append(k)
            reach = max(reach, k[1])
        else:
            groups.append([k])
            reach = k[1]
    out = []
    for number, group in enumerate(groups):
        if len(group) > 1:
            described = " / ".join(f"{' '.join(holders[k])}: {k[2]}" for k in group)
            out += [Candidate(Span(k[0], k[1], k[2], ORIGIN_HUMAN), tuple(holders[k]), CONFLICT, number, described)
                    for k in group]
            continue
        k = group[0]
        who = tuple(holders[k])
        out.append(Candidate(Span(k[0], k[1], k[2], ORIGIN_HUMAN), who, AGREED if len(who) == everyone else PARTIAL,
                             number, " ".join(who)))
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
