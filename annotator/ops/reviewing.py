"""What the reviewer's window needs beyond single edits: loading a document for review,
snapshots for undo, relabelling every occurrence, and boilerplate suggestions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from annotator.core.boilerplate import Suggestion, corpus_line_counts, line_key, short_line_norms, suggest_boilerplate
from annotator.core.model import TODO, Document, Review
from annotator.core.spans import ORIGIN_HUMAN, Range, Span, merge_ranges, validate_spans
from annotator.ops import review as actions
from annotator.store import Store


@dataclass(frozen=True)
class ReviewView:
    """Everything the window shows for one document."""

    document: Document
    model_spans: list[Span]
    model_name: str | None
    gold: list[Span]
    boilerplate: list[Range]
    review: Review  # the annotator's own review state
    started: bool = True  # False until the annotator's first edit: the gold shown is the model's


def open_document(store: Store, document_id: int, annotator: str) -> ReviewView:
    """Everything the window shows for a document. Opening writes nothing: until the
    annotator's first edit, the gold shown is the model's spans (``started`` False)."""
    return read_document(store, document_id, annotator)


def read_document(store: Store, document_id: int, annotator: str) -> ReviewView:
    """Everything the window shows for a document, as ``annotator`` sees it."""
    prediction = store.prediction(document_id, with_tokens=False)
    review = store.review(document_id, annotator)
    model = prediction.spans if prediction else []
    started = review.state != TODO or store.has_gold(document_id, annotator) or bool(
        store.boilerplate(document_id, annotator))
    return ReviewView(
        store.document(document_id),
        model,
        f"{prediction.pipeline} {prediction.version}" if prediction else None,
        store.gold(document_id, annotator) if started else list(model),
        store.boilerplate(document_id, annotator) if started else [],
        review,
        started,
    )


@dataclass(frozen=True)
class Snapshot:
    """A document's gold, boilerplate and review state at one moment (for undo/redo)."""

    document_id: int
    gold: tuple[Span, ...]
    boilerplate: tuple[Range, ...]
    state: str
    annotator: str | None


def snapshot(store: Store, document_id: int, annotator: str) -> Snapshot:
    """The annotator's gold, boilerplate and own review state of a document."""
    review = store.review(document_id, annotator)
    return Snapshot(
        document_id, tuple(store.gold(document_id, annotator)), tuple(store.boilerplate(document_id, annotator)),
        review.state, review.annotator,
    )


def restore(store: Store, snap: Snapshot, annotator: str, action: str) -> None:
    """Put a document back exactly as in ``snap`` (one transaction, logged as ``action``)."""
    with store.transaction():
        store.replace_gold(snap.document_id, annotator, snap.gold)
        store.replace_boilerplate(snap.document_id, annotator, snap.boilerplate)
        if snap.state == TODO and snap.annotator is None:
            store.clear_review(snap.document_id, annotator)  # back to never edited by this annotator
        else:
            store.set_review(snap.document_id, snap.state, annotator)  # only ever the annotator's own state
        store.log_edit(snap.document_id, annotator, action, {
            "spans": len(snap.gold), "boilerplate": len(snap.boilerplate), "state": snap.state,
        })


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
            actions.set_gold(store, doc_id, annotator, spans, label_names, action="relabel_occurrences")
    return before


def suggest_for(store: Store, text: str) -> list[Suggestion]:
    """Boilerplate suggestions for ``text``, the cross-document rule reading the stored line
    counts (kept up to date by indexing): costs the document's lines, not the corpus."""
    norms = {norm: line_key(norm) for norm in short_line_norms(text)}
    stored = store.line_counts(norms.values())
    return suggest_boilerplate(text, {norm: stored.get(key, 0) for norm, key in norms.items()})


def suggest_by_scanning(store: Store, text: str) -> list[Suggestion]:
    """The same suggestions computed the simple way, reading every document (for tests)."""
    return suggest_boilerplate(text, corpus_line_counts(t for _, t in store.iter_texts(store.document_ids())))


def accept_suggestions(store: Store, document_id: int, annotator: str, suggestions: Iterable[Suggestion]) -> list[Range]:
    current = store.boilerplate(document_id, annotator)
    merged = merge_ranges([*current, *(s.as_range() for s in suggestions)])
    return actions.set_boilerplate(store, document_id, annotator, merged, action="accept_boilerplate_suggestions")
