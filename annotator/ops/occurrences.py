"""Relabel every occurrence of a span's text, in one document or the whole corpus."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from annotator.core.spans import ORIGIN_HUMAN, Span, validate_spans
from annotator.ops import gold_edits
from annotator.ops.documents import Snapshot, snapshot
from annotator.store import Store


@dataclass
class OccurrencePlan:
    """What "relabel every occurrence" would change, per document."""

    surface: str
    label: str
    changes: dict[int, list[Span]]  # document id -> its new gold
    relabelled: int = 0
    added: int = 0

    @property
    def documents(self) -> int:
        return len(self.changes)


def plan_relabel_occurrences(
    store: Store, annotator: str, surface: str, label: str, labels: Iterable[str], document_id: int | None = None
) -> OccurrencePlan:
    """Preview relabelling every occurrence of ``surface`` (one document, or the corpus).

    Spans whose text is ``surface`` get ``label``; occurrences not yet labelled become new
    spans when they sit on whole tokens and overlap no other span. Documents nobody has
    reviewed start from the model's spans, as a first look would.
    """
    label_names = list(labels)
    plan = OccurrencePlan(surface, label, {})
    ids = [document_id] if document_id is not None else store.search_ids(surface)
    for doc_id in ids:
        text = store.document(doc_id).text
        if surface not in text:
            continue
        review = store.review(doc_id, annotator)
        if review.annotator == annotator or store.has_gold(doc_id, annotator):
            gold = store.gold(doc_id, annotator)
        else:
            prediction = store.prediction(doc_id)
            gold = list(prediction.spans) if prediction else []
        tokens = store.tokens(doc_id)
        relabelled = added = 0
        new_gold: list[Span] = []
        for span in gold:
            if text[span.start:span.end] == surface and span.label != label:
                new_gold.append(Span(span.start, span.end, label, ORIGIN_HUMAN))
                relabelled += 1
            else:
                new_gold.append(span)
        taken = sorted((s.start, s.end) for s in new_gold)
        at = text.find(surface)
        while at != -1:
            end = at + len(surface)
            free = all(e <= at or s >= end for s, e in taken)
            on_tokens = tokens.is_aligned(at, end) if tokens is not None else _on_word_edges(text, at, end)
            if free and on_tokens:
                new_gold.append(Span(at, end, label, ORIGIN_HUMAN))
                taken.append((at, end))
                added += 1
            at = text.find(surface, at + 1)
        if relabelled or added:
            plan.changes[doc_id] = validate_spans(new_gold, len(text), label_names)
            plan.relabelled += relabelled
            plan.added += added
    return plan


def _on_word_edges(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not before.isalnum() and not after.isalnum()


def apply_relabel_plan(store: Store, annotator: str, plan: OccurrencePlan, labels: Iterable[str]) -> list[Snapshot]:
    """Apply a plan in one transaction; return the snapshots taken before (for undo)."""
    label_names = list(labels)
    before = []
    with store.transaction():
        for doc_id, spans in plan.changes.items():
            before.append(snapshot(store, doc_id, annotator))
            gold_edits.set_gold(store, doc_id, annotator, spans, label_names, action="relabel_occurrences")
    return before
