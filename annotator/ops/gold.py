"""Which gold a document has, for export and evaluation alike (one rule, one place).

A document somebody accepted has, in this order: the adjudicated gold, when an adjudicator
accepted one; else the gold of the one annotator who accepted it; else, when every
annotator who accepted it agrees (same spans outside the boilerplate any of them marked),
that common gold with the union of their boilerplate; else it is a *conflict*: left out,
and counted, until somebody adjudicates it (:func:`annotator.core.team.resolve`). With one
annotator this is exactly the gold exports have always used.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from annotator.core.model import ACCEPTED, Review
from annotator.core.team import AGREED, ADJUDICATED, CONFLICT, FINAL, resolve
from annotator.store import Store
from annotator.store import team
from annotator.store.store import ExportRow

EXAMPLES = 3


@dataclass
class GoldCounts:
    """Documents per kind of gold, and the conflicts left out (first few named)."""

    kinds: dict[str, int] = field(default_factory=dict)
    conflict_examples: list[str] = field(default_factory=list)

    @property
    def conflicts(self) -> int:
        return self.kinds.get(CONFLICT, 0)

    def conflict_line(self) -> str | None:
        """The summary line for documents left out, or None when there are none."""
        if not self.conflicts:
            return None
        more = "; ..." if self.conflicts > len(self.conflict_examples) else ""
        return (f"{self.conflicts} document(s) left out: their annotators disagree and nobody adjudicated them "
                f"(e.g. {'; '.join(self.conflict_examples)}{more}); see `annotator agreement`")


def accepted_ids(store: Store) -> list[int]:
    """Documents that have gold or a conflict: somebody accepted them."""
    return team.accepted_ids(store)


def gold_rows(store: Store, ids: Sequence[int], counts: GoldCounts, chunk: int = team.CHUNK) -> Iterator[ExportRow]:
    """Export rows of documents ``ids`` with the gold the rule gives; conflicts are counted, not yielded.
    ``chunk`` documents are read (and held) at a time.

    A document nobody accepted passes through as :meth:`Store.export_rows` gives it (its
    current spans, or its newest prediction), as ``export --all`` always wrote it.
    """
    for i in range(0, len(ids), chunk):
        part = list(ids[i:i + chunk])
        accepted = team.accepted_counts(store, part)
        rows = list(store.export_rows(part))
        simple = {row.document.id for row in rows  # one accepted layer, the document's latest review: as ever
                  if accepted.get(row.document.id) == 1 and row.review.state == ACCEPTED
                  and row.review.annotator is not None and row.review.annotator != FINAL}
        layers = team.accepted_layers(store, [d for d in part if accepted.get(d) and d not in simple])
        for row in rows:
            doc_id = row.document.id
            if doc_id not in layers:
                if doc_id in simple:
                    counts.kinds["single"] = counts.kinds.get("single", 0) + 1
                yield row
                continue
            found = dict(layers[doc_id])
            final = found.pop(FINAL, None)
            resolution = resolve([found[name] for name in sorted(found)], final)
            if resolution is None:
                yield row
                continue
            counts.kinds[resolution.kind] = counts.kinds.get(resolution.kind, 0) + 1
            if resolution.kind == CONFLICT:
                if len(counts.conflict_examples) < EXAMPLES:
                    counts.conflict_examples.append(f"{row.document.source} ({', '.join(resolution.annotators)})")
                continue
            review = Review(doc_id, ACCEPTED, resolution.label, resolution.updated_at)
            sessions = resolution.annotators if resolution.kind in (AGREED, ADJUDICATED) else ()
            if resolution.kind == ADJUDICATED:
                sessions = tuple(sorted(found))
            yield ExportRow(row.document, review, row.tokens, resolution.spans, resolution.boilerplate, True, None,
                            sessions)


def layer_rows(store: Store, *, annotator: str | None = None, include_all: bool = False) -> Iterator[ExportRow]:
    """One export row per annotator's layer (only ``annotator``'s when given): accepted ones, or
    with ``include_all`` those in any state. The row's review names the layer's annotator."""
    ids = team.ids_with_layers(store, annotator, accepted_only=not include_all)
    for i in range(0, len(ids), team.CHUNK):
        part = ids[i:i + team.CHUNK]
        layers = team.person_layers(store, part, annotator, accepted_only=not include_all)
        for row in store.export_rows(part):
            for who, state, layer in layers.get(row.document.id, []):
                review = Review(row.document.id, state, who, layer.updated_at)
                yield ExportRow(row.document, review, row.tokens, layer.spans, layer.boilerplate, True, None)
