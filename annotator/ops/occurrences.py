"""Every occurrence of a text, in one document or the corpus: relabel them all, or label every hit.

Finding costs what it finds: candidate documents come from the full-text index a page at a
time (annotator.store.listing), each page's layers in a few queries (annotator.store.bulk).
Each occurrence is classified: a span with exactly those bounds is relabelled; free text on
whole tokens outside boilerplate becomes a new span; anything else is listed with why it is
left alone. Applying records the change in the database document by document (one
transaction), so undo and redo stream it back; nothing is held in memory but a page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from annotator.core.errors import SpanError
from annotator.core.spans import ORIGIN_HUMAN, Span
from annotator.ops import gold_edits
from annotator.ops.progress import NullProgress, Progress
from annotator.store import Store
from annotator.store import bulk
from annotator.store.listing import Listing, ListQuery

RELABEL = "relabel"
ADD = "add"
SAME = "already has this label"
IN_BOILERPLATE = "inside boilerplate"
OVERLAP = "overlaps another span"
NOT_ON_TOKENS = "not on whole tokens"
ACTIONS = (RELABEL, ADD, SAME, IN_BOILERPLATE, OVERLAP, NOT_ON_TOKENS)
PAGE = 500


class Occurrence(NamedTuple):
    """One occurrence: where, what label it has now (a span with exactly its bounds), what happens."""

    document_id: int
    start: int
    end: int
    current: str | None
    action: str

    @property
    def changes(self) -> bool:
        return self.action in (RELABEL, ADD)


@dataclass
class Scan:
    """What a scan found so far (occurrences are streamed to the caller, not kept here)."""

    needle: str
    label: str
    documents: int = 0  # documents with at least one occurrence
    counts: dict[str, int] = field(default_factory=dict)  # action -> occurrences

    @property
    def changing(self) -> int:
        return self.counts.get(RELABEL, 0) + self.counts.get(ADD, 0)


def _matches(text: str, needle: str, case_sensitive: bool) -> Iterator[tuple[int, int]]:
    if case_sensitive:
        at = text.find(needle)
        while at != -1:
            yield at, at + len(needle)
            at = text.find(needle, at + 1)
    else:
        for match in re.finditer(re.escape(needle), text, re.IGNORECASE):
            yield match.start(), match.end()


def _on_word_edges(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not before.isalnum() and not after.isalnum()


def classify(layer: bulk.Layer, needle: str, label: str, case_sensitive: bool = True) -> list[Occurrence]:
    """The occurrences of ``needle`` in one document and what labelling them ``label`` does."""
    text = layer.text
    spans = layer.spans
    by_bounds = {(s.start, s.end): s for s in spans}
    found = []
    taken = [(s.start, s.end) for s in spans]
    for start, end in _matches(text, needle, case_sensitive):
        same = by_bounds.get((start, end))
        if any(r.start < end and start < r.end for r in layer.boilerplate):
            action = IN_BOILERPLATE
        elif same is not None:
            action = SAME if same.label == label else RELABEL
        elif any(s < end and start < e for s, e in taken):
            action = OVERLAP
        elif not (layer.tokens.is_aligned(start, end) if layer.tokens is not None else _on_word_edges(text, start, end)):
            action = NOT_ON_TOKENS
        else:
            action = ADD
            taken.append((start, end))  # a later overlapping match is not added twice
        found.append(Occurrence(layer.document_id, start, end, same.label if same else None, action))
    return found


def scan(
    store: Store, annotator: str, needle: str, label: str, *, document_id: int | None = None,
    case_sensitive: bool = True, cancelled: Callable[[], bool] = lambda: False,
    summary: Scan | None = None,
) -> Iterator[Occurrence]:
    """Stream every occurrence of ``needle`` (in ``document_id``, or the corpus through the
    full-text index), in document order; ``summary`` is kept up to date as it goes."""
    summary = summary if summary is not None else Scan(needle, label)
    if not needle:
        return
    listing = Listing(store)
    query = ListQuery(annotator, search=needle)
    after = 0
    while not cancelled():
        ids = [document_id] if document_id is not None else listing.page(query, after, PAGE)
        if not ids:
            return
        for layer in bulk.layers(store, ids, annotator):
            found = classify(layer, needle, label, case_sensitive)
            if found:
                summary.documents += 1
            for occurrence in found:
                summary.counts[occurrence.action] = summary.counts.get(occurrence.action, 0) + 1
                yield occurrence
        if document_id is not None:
            return
        after = ids[-1]


@dataclass
class Applied:
    change_id: int
    documents: int = 0
    relabelled: int = 0
    added: int = 0


def apply(
    store: Store, annotator: str, label: str, occurrences: Iterable[Occurrence], labels: Iterable[str], *,
    description: str, progress: Progress | None = None,
) -> Applied:
    """Label the occurrences that change something (a document's occurrences together), in one
    transaction; recorded for undo (:func:`undo`, :func:`redo`). Each document's spans are read
    again here, so an edit made since the scan is respected (a span that is gone is skipped)."""
    progress = progress or NullProgress()
    names = list(labels)
    if label not in names:
        raise SpanError(f"unknown label {label!r}")
    with store.transaction():
        result = Applied(bulk.create_change(store, annotator, description))
        batch: list[Occurrence] = []
        for occurrence in occurrences:
            if not occurrence.changes:
                continue
            if batch and batch[-1].document_id != occurrence.document_id:
                _apply_document(store, annotator, label, batch, names, result)
                progress.advance()
                if progress.cancelled():
                    raise Cancelled()
                batch = []
            batch.append(occurrence)
        if batch:
            _apply_document(store, annotator, label, batch, names, result)
            progress.advance()
    return result


class Cancelled(Exception):
    """Applying was cancelled: the transaction rolled back, nothing changed."""


def _apply_document(store: Store, annotator: str, label: str, items: list[Occurrence], labels: list[str],
                    result: Applied) -> None:
    doc_id = items[0].document_id
    layer = next(bulk.layers(store, [doc_id], annotator))
    by_bounds = {(s.start, s.end): s for s in layer.spans}
    removed, added = [], []
    for item in items:
        current = by_bounds.get((item.start, item.end))
        if item.action == RELABEL and current is not None and current.label != label:
            removed.append(current)
            added.append(Span(item.start, item.end, label, ORIGIN_HUMAN))
        elif item.action == ADD and current is None and not any(
                s.start < item.end and item.start < s.end for s in (*layer.spans, *added)):
            added.append(Span(item.start, item.end, label, ORIGIN_HUMAN))
    if not added:
        return
    if not layer.started:
        gold_edits.start_review(store, doc_id, annotator)  # the model's spans become the gold first
    gold_edits.change_spans(store, doc_id, annotator, remove=removed, add=added, labels=labels,
                            action="label_occurrences")
    bulk.record_document(store, result.change_id, doc_id, layer.started, removed, added)
    result.documents += 1
    result.relabelled += len(removed)
    result.added += len(added) - len(removed)


def undo(store: Store, change_id: int, annotator: str, labels: Iterable[str], progress: Progress | None = None) -> None:
    """Take a recorded change back, document by document, in one transaction."""
    _replay(store, change_id, annotator, list(labels), forward=False, progress=progress or NullProgress())


def redo(store: Store, change_id: int, annotator: str, labels: Iterable[str], progress: Progress | None = None) -> None:
    _replay(store, change_id, annotator, list(labels), forward=True, progress=progress or NullProgress())


def _replay(store: Store, change_id: int, annotator: str, labels: list[str], *, forward: bool,
            progress: Progress) -> None:
    with store.transaction():
        progress.start("Redoing" if forward else "Undoing", bulk.change(store, change_id).documents)
        for doc_id, started_before, removed, added in bulk.documents(store, change_id):
            if forward:
                if not started_before:
                    gold_edits.start_review(store, doc_id, annotator)
                gold_edits.change_spans(store, doc_id, annotator, remove=removed, add=added, labels=labels,
                                        action="redo")
            elif started_before:
                gold_edits.change_spans(store, doc_id, annotator, remove=added, add=removed, labels=labels,
                                        action="undo")
            else:
                bulk.forget_layer(store, doc_id, annotator)  # it was never edited before the change
                store.log_edit(doc_id, annotator, "undo", {"bulk_change": change_id})
            progress.advance()
            if progress.cancelled():
                raise Cancelled()
        bulk.set_state(store, change_id, "applied" if forward else "undone")


# -- the former one-shot API (tests and scripts) ----------------------------------------
def relabel_everywhere(store: Store, annotator: str, surface: str, label: str, labels: Iterable[str],
                       document_id: int | None = None) -> Applied:
    """Relabel (or label) every occurrence of ``surface`` as ``label`` in one step."""
    names = list(labels)
    return apply(store, annotator, label, list(scan(store, annotator, surface, label, document_id=document_id)),
                 names, description=f"Relabel every “{surface}” as {label}")
