"""A document as the window shows it, and snapshots of it for undo.

Opening writes nothing: until the annotator's first edit (annotator.ops.gold_edits) the gold
shown is the model's spans. A snapshot is one annotator's gold, boilerplate and own review
state; restoring one is a single transaction in the edit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from annotator.core.model import TODO, Document, Review
from annotator.core.spans import Range, Span
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
