"""Several annotators' gold for one document: names, layers, and which gold counts.

A *layer* is one annotator's gold of a document: spans and boilerplate. The adjudicated
gold is the layer named :data:`FINAL`, a name no person can have (annotator names never
start with ``@``).

Boilerplate between annotators: text marked as boilerplate is text that annotator did not
review for entities (missing annotation, as in the DocBin export). When two annotators are
compared, spans lying inside boilerplate that *either* of them marked are left out of the
comparison: a text one of them did not review cannot show a disagreement about entities.
Disagreement about the boilerplate itself is measured apart (see
:mod:`annotator.core.agreement`). The same rule decides whether annotators agree on a
document for export: they agree when their spans outside the union of their boilerplate are
the same; the agreed gold then carries that union as its boilerplate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from annotator.core.errors import InputError
from annotator.core.spans import Range, Span, merge_ranges, split_by_boilerplate

FINAL = "@final"  # the adjudicated layer: who and when are kept beside it
_NAME = re.compile(r"^\w[\w.@-]{0,63}$")

SINGLE = "single"  # one annotator accepted the document
AGREED = "agreed"  # several accepted it and agree
ADJUDICATED = "adjudicated"  # the final gold, accepted by an adjudicator
CONFLICT = "conflict"  # several accepted it, they disagree and nobody adjudicated


def check_annotator_name(name: str, where: str | None = None) -> str:
    """``name`` if it can name an annotator (a file name, a layer), else :class:`InputError`."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InputError(
            f"{name!r} is not a usable annotator name (letters, digits, '.', '_', '-', '@'; not starting "
            "with '@', '.' or '-'; at most 64 characters)", path=where)
    return name


def parse_annotators(text: str) -> list[str]:
    """A comma-separated list of annotator names, each once, in the order given."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise InputError("no annotators given (e.g. --annotators ann,bob,cy)")
    seen: set[str] = set()
    for name in names:
        check_annotator_name(name)
        if name in seen:
            raise InputError(f"annotator {name!r} is named twice")
        seen.add(name)
    return names


def is_person(layer_name: str) -> bool:
    """True for an annotator's layer, False for the adjudicated one."""
    return not layer_name.startswith("@")


@dataclass(frozen=True)
class Layer:
    """One annotator's gold of a document."""

    annotator: str
    spans: list[Span]
    boilerplate: list[Range]
    updated_at: str | None = None


def key(span: Span) -> tuple[int, int, str]:
    """What makes two annotators' spans the same: offsets and label (not who made it)."""
    return (span.start, span.end, span.label)


def union_boilerplate(layers: Iterable[Layer]) -> list[Range]:
    return merge_ranges(r for layer in layers for r in layer.boilerplate)


def intersect_ranges(a: Sequence[Range], b: Sequence[Range]) -> list[Range]:
    """Text in both sets of ranges (each merged and sorted)."""
    out, i, j = [], 0, 0
    a, b = merge_ranges(a), merge_ranges(b)
    while i < len(a) and j < len(b):
        start, end = max(a[i].start, b[j].start), min(a[i].end, b[j].end)
        if start < end:
            out.append(Range(start, end))
        if a[i].end < b[j].end:
            i += 1
        else:
            j += 1
    return out


def outside(spans: Iterable[Span], boilerplate: Sequence[Range]) -> list[Span]:
    """Spans not lying wholly inside ``boilerplate`` (crossing ones stay, as in exports)."""
    if not boilerplate:
        return sorted(spans)
    split = split_by_boilerplate(spans, boilerplate)
    return sorted(split.outside + split.crossing)


def own_gold(layer: Layer) -> list[Span]:
    """The layer's gold: its spans outside its own boilerplate."""
    return outside(layer.spans, layer.boilerplate)


@dataclass(frozen=True)
class Resolution:
    """Which gold a document has: its kind, spans and boilerplate, and whose it is."""

    kind: str
    spans: list[Span]
    boilerplate: list[Range]
    annotators: tuple[str, ...]  # whose accepted layers it stands for (the adjudicator's for ADJUDICATED)
    updated_at: str | None = None

    @property
    def label(self) -> str:
        """The name written as ``_annotator_id``: the annotator, the adjudicator, or "ann+bob"."""
        return "+".join(self.annotators)


def agree(layers: Sequence[Layer]) -> bool:
    """True when every layer has the same spans outside the union of their boilerplate."""
    union = union_boilerplate(layers)
    first = {key(s) for s in outside(layers[0].spans, union)}
    return all({key(s) for s in outside(layer.spans, union)} == first for layer in layers[1:])


def resolve(accepted: Sequence[Layer], final: Layer | None) -> Resolution | None:
    """The gold of a document (the one rule export and evaluation share).

    ``accepted`` are the layers of the annotators who accepted the document; ``final`` the
    adjudicated layer when an adjudicator accepted one. The adjudicated gold wins; else one
    annotator's gold is the gold (spans inside their boilerplate are left to the caller, as
    before there were teams); else several agreeing annotators' common gold; else a conflict
    (no spans). None when nobody accepted the document.
    """
    if final is not None:
        return Resolution(ADJUDICATED, list(final.spans), list(final.boilerplate), (final.annotator,),
                          final.updated_at)
    if not accepted:
        return None
    latest = max((layer.updated_at or "" for layer in accepted), default="") or None
    names = tuple(layer.annotator for layer in accepted)
    if len(accepted) == 1:
        only = accepted[0]
        return Resolution(SINGLE, list(only.spans), list(only.boilerplate), names, only.updated_at)
    if agree(accepted):
        union = union_boilerplate(accepted)
        return Resolution(AGREED, outside(accepted[0].spans, union), union, names, latest)
    return Resolution(CONFLICT, [], [], names, latest)
