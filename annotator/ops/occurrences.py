"""Every occurrence of a text, in one document or the corpus: relabel them all, or label every hit.

Finding costs what it finds: candidate documents come from the full-text index a page at a
time (annotator.store.listing), each page's layers in a few queries (annotator.store.bulk).
Each occurrence is classified: a span with exactly those bounds is relabelled; free text on
whole tokens outside boilerplate becomes a new span; anything else is listed with why it is
left alone. Applying records the change in the database (one transaction), so undo and redo
stream it back; nothing is held in memory but a page. Apply, undo and redo work a page of
documents at a time: each document's gold (one packed row) or prediction read in a few queries
for the page, the changes written with one ``executemany`` per table, so they cost what they
change (no per-document round trips, no text).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from annotator.core.errors import SpanError
from annotator.core.model import TODO
from annotator.core.spans import ORIGIN_HUMAN, Span, validate_spans
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
    """Label the occurrences that change something, in one transaction; recorded for undo
    (:func:`undo`, :func:`redo`). Occurrences come in document order; they are written a chunk
    of documents at a time (a few queries and one ``executemany`` per table each), so the cost
    follows the documents changed, never the corpus. Each document's spans are read again here,
    so an edit made since the scan is respected (a span that is gone is skipped)."""
    progress = progress or NullProgress()
    names = list(labels)
    if label not in names:
        raise SpanError(f"unknown label {label!r}")
    with store.transaction():
        result = Applied(bulk.create_change(store, annotator, description))
        for chunk in _chunks(occurrences):
            bases = bulk.bases(store, chunk, annotator)
            plans = [_plan(bases[doc_id], items, label) for doc_id, items in chunk.items() if doc_id in bases]
            plans = [plan for plan in plans if plan.added]
            _write(store, annotator, plans, names, "label_occurrences")
            bulk.record_documents(store, result.change_id,
                                  ((p.base.document_id, p.base.started, p.removed, p.added) for p in plans))
            result.documents += len(plans)
            result.relabelled += sum(len(p.removed) for p in plans)
            result.added += sum(len(p.added) - len(p.removed) for p in plans)
            progress.advance(len(chunk))
            if progress.cancelled():
                raise Cancelled()
    return result


class Cancelled(Exception):
    """Applying was cancelled: the transaction rolled back, nothing changed."""


def _chunks(occurrences: Iterable[Occurrence]) -> Iterator[dict[int, list[Occurrence]]]:
    """The occurrences that change something, by document, :data:`bulk.CHUNK` documents at a time."""
    chunk: dict[int, list[Occurrence]] = {}
    for occurrence in occurrences:
        if not occurrence.changes:
            continue
        if occurrence.document_id not in chunk and len(chunk) >= bulk.CHUNK:
            yield chunk
            chunk = {}
        chunk.setdefault(occurrence.document_id, []).append(occurrence)
    if chunk:
        yield chunk


class _Plan(NamedTuple):
    base: bulk.Base
    removed: list[Span]
    added: list[Span]


def _plan(base: bulk.Base, items: list[Occurrence], label: str) -> _Plan:
    """What labelling ``items`` does to one document as it is now."""
    layer = base.layer
    removed: list[Span] = []
    added: list[Span] = []
    for item in items:
        current = layer.at(item.start, item.end)
        if item.action == RELABEL and current is not None and current.label != label:
            removed.append(current)
            added.append(Span(item.start, item.end, label, ORIGIN_HUMAN))
        elif item.action == ADD and current is None and not layer.overlapping(item.start, item.end) and not any(
                s.start < item.end and item.start < s.end for s in added):
            added.append(Span(item.start, item.end, label, ORIGIN_HUMAN))
    return _Plan(base, removed, added)


def _key(span: Span) -> tuple[int, int, str]:
    return span.start, span.end, span.label


def _check(plan: _Plan, labels: list[str]) -> None:
    """Refuse (SpanError) what ``gold_edits.change_spans`` refuses: a span to remove that is not
    there, a span to add with an unknown label or overlapping a span that stays. (Offsets come
    from the text, through the scan or the record of a change to it: a document's text never
    changes once imported, so its length is not read again.) The base layer is arrays sorted by
    start, not overlapping (:class:`bulk.Base`): each span looked for is found by bisection, so a
    document's hundred copied model spans are not all visited for one change."""
    base, removed, added = plan
    layer = base.layer
    for span in removed:
        if layer.find(span) < 0:
            raise SpanError(f"document {base.document_id}: span {span.label} [{span.start}, {span.end}) is not in "
                            "the gold (it was changed since)")
    if not added:
        return
    validate_spans(added, sys.maxsize, labels)
    gone = {_key(s) for s in removed}
    new = sorted(added)
    for a, b in zip(new, new[1:]):
        if b.start < a.end:
            raise _overlap(base.document_id, a, b)
    for span in new:
        for k in layer.overlapping(span.start, span.end):  # the last starting first
            there = layer.span(k)
            if _key(there) not in gone:
                raise _overlap(base.document_id, *sorted((there, span)))


def _overlap(document_id: int, a: Span, b: Span) -> SpanError:
    return SpanError(f"document {document_id}: span {b.label} [{b.start}, {b.end}) overlaps span "
                     f"{a.label} [{a.start}, {a.end})")


def _write(store: Store, annotator: str, plans: list[_Plan], labels: list[str], action: str) -> None:
    """Write the plans of a chunk of documents as ``change_spans`` would one by one: a document
    never edited first gets the model's spans as its gold (logged as ``start_review``), then
    loses ``removed`` and gains ``added``; it is in progress after (an accepted one stays so).
    Each document's gold is one packed row, written for the page in one ``executemany``."""
    for plan in plans:
        _check(plan, labels)
    # the base (the gold, or the model's spans) less those removed, with those added
    bulk.set_packed_gold(store, annotator, {p.base.document_id: p.base.layer.edited(p.removed, p.added) for p in plans})
    fresh = [p for p in plans if not p.base.started]
    bulk.set_in_progress(store, annotator, [p.base.document_id for p in plans if p.base.state in (None, TODO)])
    bulk.log_edits(store, annotator, [
        *((p.base.document_id, "start_review", {"copied_from": p.base.copied_from, "spans": len(p.base.layer)})
          for p in fresh),
        *((p.base.document_id, action, {"removed": [_payload(s) for s in p.removed],
                                        "added": [_payload(s) for s in p.added]}) for p in plans)])


def _payload(span: Span) -> dict[str, object]:
    return {"start": span.start, "end": span.end, "label": span.label, "origin": span.origin}


def undo(store: Store, change_id: int, annotator: str, labels: Iterable[str], progress: Progress | None = None) -> None:
    """Take a recorded change back, in one transaction, a page of the record at a time."""
    _replay(store, change_id, annotator, list(labels), forward=False, progress=progress or NullProgress())


def redo(store: Store, change_id: int, annotator: str, labels: Iterable[str], progress: Progress | None = None) -> None:
    _replay(store, change_id, annotator, list(labels), forward=True, progress=progress or NullProgress())


def _replay(store: Store, change_id: int, annotator: str, labels: list[str], *, forward: bool,
            progress: Progress) -> None:
    """Each page of the record: the documents' spans read in a few queries, checked as
    ``change_spans`` checks them, written with one ``executemany`` per table. Undo puts a
    document the change started back to never edited; redo starts it again."""
    with store.transaction():
        progress.start("Redoing" if forward else "Undoing", bulk.change(store, change_id).documents)
        for page in bulk.pages(store, change_id):
            if forward:
                bases = bulk.bases(store, [doc_id for doc_id, *_ in page], annotator)
                plans = [_Plan(bases[doc_id], removed, added) for doc_id, _started, removed, added in page
                         if doc_id in bases]
                _write(store, annotator, plans, labels, "redo")
            else:
                edited = [(doc_id, removed, added) for doc_id, started, removed, added in page if started]
                bases = bulk.bases(store, [doc_id for doc_id, *_ in edited], annotator)
                plans = [_Plan(bases[doc_id], added, removed) for doc_id, removed, added in edited if doc_id in bases]
                _write(store, annotator, plans, labels, "undo")
                never = [doc_id for doc_id, started, *_ in page if not started]
                bulk.forget_layers(store, annotator, never)  # they were never edited before the change
                bulk.log_edits(store, annotator, ((doc_id, "undo", {"bulk_change": change_id}) for doc_id in never))
            progress.advance(len(page))
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
