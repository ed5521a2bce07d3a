"""SQL for corpus-wide edits: reading many documents' layers at once, and recorded bulk changes.

A bulk change (relabel every occurrence, label every search hit) is recorded in the
database as it is made: for each document, which spans it removed and added and whether
the annotator had started the document before. Undo and redo read that record back a page
at a time, so neither the window nor the command holds the change in memory, whatever its
size. The writers here take a page of documents at once (one ``executemany`` per table)
inside the caller's transaction; :func:`bases` reads what a page starts from without the
documents' text. Functions over a :class:`Store`, like :mod:`annotator.store.team`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ContextManager

from annotator.core.model import IN_PROGRESS, TODO
from annotator.core.packed_layer import PackedLayer
from annotator.core.packing import unpack_gold, unpack_spans
from annotator.core.spans import Range, Span
from annotator.core.tokens import Tokens
from annotator.store.connection import known_errors
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
        started = {r[0] for r in store._q(  # as the window decides (read_document); +annotator: by document
            f"SELECT document_id FROM annotator_reviews WHERE +annotator = ? AND state != '{TODO}' "
            f"AND document_id IN ({marks})", [annotator, *part])}
        gold = _gold_layers(store, annotator, part)
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


@dataclass(frozen=True)
class Base:
    """What a bulk edit of one document starts from, without its text. A document the
    annotator has started: their gold; never edited: all the model's spans, which the first
    edit copies into the gold. Either way a :class:`PackedLayer` (arrays, sorted by start, not
    overlapping), which the checks of a bulk edit bisect."""

    document_id: int
    started: bool
    state: str | None  # the annotator's own review state (None: no row)
    layer: PackedLayer
    copied_from: str | None  # "pipeline version" of those model spans (not started only)


def bases(store: Store, documents: Iterable[int], annotator: str) -> dict[int, Base]:
    """The :class:`Base` of each of ``documents`` that exists, a chunk of documents per few
    queries: packed spans only (no text, no tokens), one row per document (its gold layer, or
    the model's newest prediction)."""
    ids = list(dict.fromkeys(documents))
    found: dict[int, Base] = {}
    for i in range(0, len(ids), CHUNK):
        part = ids[i:i + CHUNK]
        marks = _marks(part)
        # documents that exist, with the annotator's own state (the id only: a column after the
        # text would read the text's overflow pages)
        states = dict(store._q(f"SELECT d.id, r.state FROM documents d LEFT JOIN annotator_reviews r "
                               f"ON r.document_id = d.id AND r.annotator = ? WHERE d.id IN ({marks})",
                               [annotator, *part]).fetchall())
        gold = _packed_gold(store, annotator, [d for d in part if d in states])
        started = {d for d, state in states.items() if state not in (None, TODO)} | set(gold)
        maybe = json.dumps([d for d in part if d in states and d not in started])  # todo: started by boilerplate
        started |= {r[0] for r in store._q(
            "SELECT d.value FROM json_each(?) d WHERE EXISTS (SELECT 1 FROM boilerplate b "
            "WHERE b.document_id = d.value AND b.annotator = ?)", [maybe, annotator])}
        fresh = [d for d in part if d in states and d not in started]
        predicted: dict[int, tuple[str, PackedLayer]] = {}
        if fresh:
            fmarks = _marks(fresh)
            newest = f"SELECT max(id) FROM prediction_runs WHERE document_id IN ({fmarks}) GROUP BY document_id"
            rows = store._q(f"SELECT document_id, pipeline, version, spans FROM prediction_runs WHERE id IN ({newest})",
                            fresh).fetchall()
            for (doc_id, pipeline, version, _), layer in zip(rows, PackedLayer.many([r[3] for r in rows], gold=False)):
                predicted[doc_id] = (f"{pipeline} {version}", layer)
        for doc_id in part:
            if doc_id not in states:
                continue
            if doc_id in started:
                found[doc_id] = Base(doc_id, True, states.get(doc_id), gold.get(doc_id) or PackedLayer.empty(), None)
            else:
                copied_from, layer = predicted[doc_id] if doc_id in predicted else (None, PackedLayer.empty())
                found[doc_id] = Base(doc_id, False, states.get(doc_id), layer, copied_from)
    return found


def _packed_gold(store: Store, annotator: str, ids: Sequence[int]) -> dict[int, PackedLayer]:
    """The gold layers of ``annotator`` among documents ``ids`` (at most :data:`CHUNK`), as arrays."""
    if not ids:
        return {}
    rows = store._q(f"SELECT document_id, spans FROM gold_layers WHERE annotator = ? AND document_id IN ({_marks(ids)})",
                    [annotator, *ids]).fetchall()
    return dict(zip((r[0] for r in rows), PackedLayer.many([r[1] for r in rows], gold=True)))


def _gold_layers(store: Store, annotator: str, ids: Sequence[int]) -> dict[int, list[Span]]:
    """The gold layers of ``annotator`` among documents ``ids`` (at most :data:`CHUNK`), by document."""
    if not ids:
        return {}
    return {doc_id: list(map(make_span, unpack_gold(blob))) for doc_id, blob in store._q(
        f"SELECT document_id, spans FROM gold_layers WHERE annotator = ? AND document_id IN ({_marks(ids)})",
        [annotator, *ids])}


def _executemany(store: Store, sql: str, rows: Iterable[Sequence[Any]]) -> int:
    """Rows changed; inside the caller's transaction (bulk writers always run in one)."""
    with _in_transaction(store):
        return store.db.conn.executemany(sql, rows).rowcount


def _execute(store: Store, sql: str, params: Sequence[Any] | dict[str, Any]) -> int:
    """One statement's rows changed; inside the caller's transaction, as :func:`_executemany`."""
    with _in_transaction(store):
        return store.db.conn.execute(sql, params).rowcount


def _in_transaction(store: Store) -> ContextManager[None]:
    """Check the caller's transaction is open; say which file failed (integrity errors pass as they are)."""
    assert store.db.conn.in_transaction, "bulk writes belong in a transaction"
    return known_errors(store.path)


def set_packed_gold(store: Store, annotator: str, layers: dict[int, tuple[bytes, int, str]]) -> None:
    """Make each document's gold layer of ``annotator`` this packed layer (packed gold, span
    count, labels column; no spans: no row), one ``executemany`` per kind of write."""
    with _in_transaction(store):
        store.set_packed_gold_layers((doc_id, annotator, *layer) for doc_id, layer in layers.items())


def set_in_progress(store: Store, annotator: str, ids: Iterable[int]) -> None:
    """The annotator's state of each document becomes in progress (as a first edit makes it)."""
    when = now()
    _executemany(store, "INSERT INTO annotator_reviews(document_id, annotator, state, updated_at) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT(document_id, annotator) DO UPDATE SET state = excluded.state, "
                        "updated_at = excluded.updated_at", ((d, annotator, IN_PROGRESS, when) for d in ids))


def forget_layers(store: Store, annotator: str, ids: Sequence[int]) -> None:
    """Back to never edited by ``annotator``: no gold, no boilerplate, no review row of theirs
    (one statement per table for all of ``ids``)."""
    if not ids:
        return
    params = [annotator, json.dumps(list(ids))]
    for table in ("gold_layers", "boilerplate", "annotator_reviews"):
        _execute(store, f"DELETE FROM {table} WHERE annotator = ? AND document_id IN (SELECT value FROM json_each(?))",
                 params)


def log_edits(store: Store, annotator: str, rows: Iterable[tuple[int, str, dict[str, Any]]]) -> None:
    """Edit-log entries (document, action, payload), as :meth:`Store.log_edit` writes them."""
    when = now()
    _executemany(store, "INSERT INTO edits(document_id, annotator, action, payload, created_at) VALUES (?, ?, ?, ?, ?)",
                 ((d, annotator, action, json.dumps(payload, ensure_ascii=False), when) for d, action, payload in rows))


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


def record_documents(store: Store, change_id: int,
                     rows: Iterable[tuple[int, bool, Sequence[Span], Sequence[Span]]]) -> None:
    """Record what the change did to each document: (document, started before, removed, added)."""
    _executemany(store, "INSERT INTO bulk_change_documents(change_id, document_id, started_before, removed, added) "
                        "VALUES (?, ?, ?, ?, ?)",
                 ((change_id, d, int(started), _encode(removed), _encode(added)) for d, started, removed, added in rows))


def change(store: Store, change_id: int) -> BulkChange:
    row = store._q("SELECT c.id, c.annotator, c.description, c.state, count(d.document_id), "
                   "coalesce(sum(json_array_length(d.added)), 0) FROM bulk_changes c "
                   "LEFT JOIN bulk_change_documents d ON d.change_id = c.id WHERE c.id = ? GROUP BY c.id",
                   [change_id]).fetchone()
    return BulkChange(row[0], row[1], row[2], row[3], int(row[4]), int(row[5]))


def set_state(store: Store, change_id: int, state: str) -> None:
    store._q("UPDATE bulk_changes SET state = ? WHERE id = ?", [state, change_id])


Recorded = tuple[int, bool, list[Span], list[Span]]  # document, started before, removed, added


def pages(store: Store, change_id: int) -> Iterator[list[Recorded]]:
    """The record of a change a page of :data:`CHUNK` documents at a time, by key."""
    after = 0
    while True:
        rows = store._q("SELECT document_id, started_before, removed, added FROM bulk_change_documents "
                        "WHERE change_id = ? AND document_id > ? ORDER BY document_id LIMIT ?",
                        [change_id, after, CHUNK]).fetchall()
        if not rows:
            return
        yield [(doc_id, bool(started), _decode(removed), _decode(added)) for doc_id, started, removed, added in rows]
        after = rows[-1][0]
