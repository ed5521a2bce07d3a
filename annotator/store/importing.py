"""Writes used only by import: a batch of new documents and what they carry, in a few statements.

Every function runs inside the import's transaction (the caller holds the write lock), so the
ids it hands out (``max(id) + 1`` onwards, what SQLite itself would give) cannot be taken by
another writer before the batch is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from annotator.store.connection import known_errors
from annotator.core.packing import gold_row
from annotator.store.store import SET_GOLD_LAYER, Store

CHUNK = 500


def _many(store: Store, sql: str, rows: Iterable[Sequence[Any]]) -> None:
    """``executemany`` straight on the import's open transaction (no savepoint per statement,
    which made SQLite journal every index page a batch touched; the import's own transaction,
    and the savepoint around a JSONL batch, undo a failure); nothing for no rows."""
    if not isinstance(rows, (list, tuple)):
        rows = list(rows)
    if not rows:
        return
    if not store.conn.in_transaction:
        store._many(sql, rows)
        return
    with known_errors(store.path):
        store.conn.executemany(sql, rows)


def ids_by_hash(store: Store, digests: Sequence[str]) -> dict[str, int]:
    """The documents already stored among these content hashes: {hash: id}."""
    found: dict[str, int] = {}
    for i in range(0, len(digests), CHUNK):
        part = list(digests[i:i + CHUNK])
        rows = store._q(f"SELECT content_hash, id FROM documents WHERE content_hash IN ({','.join('?' * len(part))})",
                        part)
        found.update(rows.fetchall())
    return found


def next_document_id(store: Store) -> int:
    """The id the next inserted document gets (call under the write lock)."""
    return int(store._q("SELECT coalesce(max(id), 0) + 1 FROM documents").fetchone()[0])


def insert_documents(store: Store, rows: Iterable[tuple[int, str, Any, str, int, str, str]], *, utf8: bool = False) -> None:
    """(id, source, text, content hash, length, meta JSON, created at) rows, none of them stored yet.

    With ``utf8`` the text is validated UTF-8 bytes, stored as TEXT as they are.
    """
    text = "CAST(? AS TEXT)" if utf8 else "?"
    _many(store, f"INSERT INTO documents(id, source, text, content_hash, length, meta, created_at) "
                f"VALUES (?, ?, {text}, ?, ?, ?, ?)", rows)


def insert_tokens(store: Store, rows: Iterable[tuple[int, str, bytes]]) -> None:
    """(document id, tokenizer, packed tokens) for documents that have none yet."""
    _many(store, "INSERT INTO document_tokens(document_id, tokenizer, tokens) VALUES (?, ?, ?)", rows)


def insert_predictions(store: Store, rows: Iterable[tuple[int, str, str, str, bytes, int]]) -> None:
    """(document id, pipeline, version, created at, packed spans, span count) rows."""
    _many(store, "INSERT INTO prediction_runs(document_id, pipeline, version, created_at, spans, n_spans) "
                "VALUES (?, ?, ?, ?, ?, ?)", rows)


def insert_gold(
    store: Store,
    spans: Iterable[tuple[int, str, int, int, str, str]],
    boilerplate: Iterable[tuple[int, str, int, int]],
    reviews: Sequence[tuple[int, str, str, str]],
    edits: Iterable[tuple[int, str, str, str, str]],
    when: str,
) -> None:
    """Gold of documents new in this import (they have none): spans (document, annotator,
    start, end, label, origin), packed into one layer row per document and annotator, boilerplate rows, review rows (document, annotator, state,
    updated at) and edit-log rows (document, annotator, action, payload, created at); the
    documents that became gold get their train/dev split as :meth:`Store.set_review` gives it."""
    layers: dict[tuple[int, str], list[tuple[int, int, str, str]]] = {}
    for doc_id, who, *span in spans:
        layers.setdefault((doc_id, who), []).append(tuple(span))
    _many(store, SET_GOLD_LAYER, ((doc_id, who, *gold_row(layer))
                              for (doc_id, who), layer in layers.items()))
    _many(store, "INSERT INTO boilerplate(document_id, annotator, start_char, end_char) VALUES (?, ?, ?, ?)",
                boilerplate)
    _many(store, "INSERT INTO annotator_reviews(document_id, annotator, state, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(document_id, annotator) DO UPDATE SET state = excluded.state, "
                "updated_at = excluded.updated_at", reviews)
    _many(store, "INSERT INTO edits(document_id, annotator, action, payload, created_at) VALUES (?, ?, ?, ?, ?)", edits)
    store.assign_splits([r[0] for r in reviews], when)
