"""SQL for corpus-wide edits: reading many documents' layers at once, and recorded bulk changes.

A bulk change (relabel every occurrence, label every search hit) is recorded in the
database as it is made, document by document: which spans it removed and added and whether
the annotator had started the document before. Undo and redo read that record back a page
at a time, so neither the window nor the command holds the change in memory, whatever its
size. Functions over a :class:`Store`, like :mod:`annotator.store.team`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from annotator.core.model import TODO
from annotator.core.packing import unpack_spans
from annotator.core.spans import Range, Span
from annotator.core.tokens import Tokens
from annotator.store.store import Store, make_range, make_span, now

CHUNK = 500


@dataclass(frozen=True)
class Layer:
    """One document as an annotator sees it: their gold (the model's before their first edit)."""

    document_id: int
    source: str
    text: str
    started: bool
    spans: list[Span]
    boilerplate: list[Range]
    tokens: Tokens | None


def _marks(items: Sequence[object]) -> str:
    return ",".join("?" * len(items))


def layers(store: Store, ids: Sequence[int], annotator: str) -> Iterator[Layer]:
    """The layers of ``ids`` for ``annotator``, read a chunk of documents per few queries."""
    for i in range(0, len(ids), CHUNK):
        part = list(ids[i:i + CHUNK])
        marks = _marks(part)
        docs = {r[0]: (r[1], r[2]) for r in store._q(f"SELECT id, source, text FROM documents WHERE id IN ({marks})",
                                                     part)}
        started = {r[0] for r in store._q(
            f"SELECT document_id FROM annotator_reviews WHERE annotator = ? AND document_id IN ({marks})",
            [annotator, *part])}
        gold: dict[int, list[Span]] = {}
        for r in store._q(f"SELECT document_id, start_char, end_char, label, origin FROM gold_spans WHERE annotator = ? "
                          f"AND document_id IN ({marks}) ORDER BY document_id, start_char", [annotator, *part]):
            gold.setdefault(r[0], []).append(make_span(r[1:]))
        boiler: dict[int, list[Range]] = {}
        for r in store._q(f"SELECT document_id, start_char, end_char FROM boilerplate WHERE annotator = ? "
                          f"AND document_id IN ({marks}) ORDER BY document_id, start_char", [annotator, *part]):
            boiler.setdefault(r[0], []).append(make_range(r[1:]))
        started |= set(gold) | set(boiler)
        fresh = [d for d in part if d not in started]
        predicted: dict[int, list[Span]] = {}
        if fresh:
            fmarks = _marks(fresh)
            newest = f"SELECT max(id) FROM prediction_runs WHERE document_id IN ({fmarks}) GROUP BY document_id"
            for doc_id, blob in store._q(f"SELECT document_id, spans FROM prediction_runs WHERE id IN ({newest})",
                                         fresh):
                predicted[doc_id] = [make_span((s, e, label, "model")) for s, e, label in unpack_spans(blob)]
        tokens = {r[0]: Tokens.from_bytes(r[1]) for r in store._q(
            f"SELECT document_id, tokens FROM document_tokens WHERE document_id IN ({marks})", part)}
        for doc_id in part:
            if doc_id not in docs:
                continue
            source, text = docs[doc_id]
            is_started = doc_id in started
            yield Layer(doc_id, source, text, is_started,
                        gold.get(doc_id, []) if is_started else predicted.get(doc_id, []),
                        boiler.get(doc_id, []) if is_started else [], tokens.get(doc_id))


# -- recorded bulk changes --------------------------------------------------------------
@dataclass(frozen=True)
class BulkChange:
    id: int
    annotator: str
    description: str
    state: str  # "applied" or "undone"
    documents: int
    spans: int


def create_change(store: Store, annotator: str, description: str) -> int:
    cur = store._q("INSERT INTO bulk_changes(annotator, description, state, created_at) VALUES (?, ?, 'applied', ?)",
                   [annotator, description, now()])
    return int(cur.lastrowid or 0)


def _encode(spans: Sequence[Span]) -> str:
    return json.dumps([[s.start, s.end, s.label, s.origin] for s in spans], ensure_ascii=False)


def _decode(value: str) -> list[Span]:
    return [Span(s, e, label, origin) for s, e, label, origin in json.loads(value)]


def record_document(store: Store, change_id: int, document_id: int, started_before: bool,
                    removed: Sequence[Span], added: Sequence[Span]) -> None:
    store._q("INSERT INTO bulk_change_documents(change_id, document_id, started_before, removed, added) "
             "VALUES (?, ?, ?, ?, ?)", [change_id, document_id, int(started_before), _encode(removed), _encode(added)])


def change(store: Store, change_id: int) -> BulkChange:
    row = store._q("SELECT c.id, c.annotator, c.description, c.state, count(d.document_id), "
                   "coalesce(sum(json_array_length(d.added)), 0) FROM bulk_changes c "
                   "LEFT JOIN bulk_change_documents d ON d.change_id = c.id WHERE c.id = ? GROUP BY c.id",
                   [change_id]).fetchone()
    return BulkChange(row[0], row[1], row[2], row[3], int(row[4]), int(row[5]))


def set_state(store: Store, change_id: int, state: str) -> None:
    store._q("UPDATE bulk_changes SET state = ? WHERE id = ?", [state, change_id])


def documents(store: Store, change_id: int) -> Iterator[tuple[int, bool, list[Span], list[Span]]]:
    """(document, started before, removed, added) of a change, a page at a time by key."""
    after = 0
    while True:
        rows = store._q("SELECT document_id, started_before, removed, added FROM bulk_change_documents "
                        "WHERE change_id = ? AND document_id > ? ORDER BY document_id LIMIT ?",
                        [change_id, after, CHUNK]).fetchall()
        if not rows:
            return
        for doc_id, started, removed, added in rows:
            yield doc_id, bool(started), _decode(removed), _decode(added)
        after = rows[-1][0]


def forget_layer(store: Store, document_id: int, annotator: str) -> None:
    """Back to never edited by ``annotator``: no gold, no boilerplate, no review row of theirs."""
    store._q("DELETE FROM gold_spans WHERE document_id = ? AND annotator = ?", [document_id, annotator])
    store._q("DELETE FROM boilerplate WHERE document_id = ? AND annotator = ?", [document_id, annotator])
    store._q("DELETE FROM annotator_reviews WHERE document_id = ? AND annotator = ?", [document_id, annotator])


def is_todo(store: Store, document_id: int, annotator: str) -> bool:
    return store.review(document_id, annotator).state == TODO
