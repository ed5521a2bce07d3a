"""Stored evaluation scores per document (migration 0040): read the valid ones, write fresh ones.

A score is valid while the document's stamp (bumped by triggers whenever its gold,
boilerplate, reviews, adjudication, tokens or predictions change) equals the stamp it was
computed at. Scores are computed inside a read snapshot and written after it, with the stamp
read in that snapshot: a change made meanwhile leaves them stale, never wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from annotator.store.store import Store

CHUNK = 500


class CachedScore(NamedTuple):
    gold_kind: str  # how the document's gold was resolved ('' when not counted)
    predicted_by: str  # "pipeline version" of the prediction scored
    score: str  # DocumentScore.to_json()


def _marks(items: Sequence[object]) -> str:
    return ",".join("?" * len(items))


def valid(store: Store, scorer: str, ids: Sequence[int]) -> dict[int, CachedScore]:
    """The still-valid stored scores of documents ``ids`` for ``scorer``."""
    found: dict[int, CachedScore] = {}
    for i in range(0, len(ids), CHUNK):
        part = list(ids[i:i + CHUNK])
        for doc_id, kind, predicted_by, score in store._q(
            "SELECT c.document_id, c.gold_kind, c.predicted_by, c.score FROM evaluation_cache c "
            "LEFT JOIN evaluation_stamps s ON s.document_id = c.document_id "
            f"WHERE c.scorer = ? AND c.document_id IN ({_marks(part)}) AND c.stamp = coalesce(s.stamp, 0)",
            [scorer, *part],
        ):
            found[doc_id] = CachedScore(kind, predicted_by, score)
    return found


def stamps(store: Store, ids: Sequence[int]) -> dict[int, int]:
    """Each document's current stamp (0 when it never changed)."""
    found = {doc_id: 0 for doc_id in ids}
    for i in range(0, len(ids), CHUNK):
        part = list(ids[i:i + CHUNK])
        for doc_id, stamp in store._q(
            f"SELECT document_id, stamp FROM evaluation_stamps WHERE document_id IN ({_marks(part)})", part
        ):
            found[doc_id] = stamp
    return found


def sources_and_texts(store: Store, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """(source, text) of documents ``ids`` (to list the disagreements of kept scores)."""
    found: dict[int, tuple[str, str]] = {}
    for i in range(0, len(ids), CHUNK):
        part = list(ids[i:i + CHUNK])
        for doc_id, source, text in store._q(
            f"SELECT id, source, text FROM documents WHERE id IN ({_marks(part)})", part
        ):
            found[doc_id] = (source, text)
    return found


def write(store: Store, scorer: str, rows: Iterable[tuple[int, int, CachedScore]], batch: int = 5000) -> int:
    """Store (document id, stamp, score) rows for ``scorer``, a short transaction per batch."""
    written = 0
    pending: list[tuple[object, ...]] = []

    def flush() -> None:
        with store.transaction():
            store.db.conn.executemany(
                "INSERT INTO evaluation_cache(document_id, scorer, stamp, gold_kind, predicted_by, score) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(scorer, document_id) DO UPDATE SET stamp = excluded.stamp, "
                "gold_kind = excluded.gold_kind, predicted_by = excluded.predicted_by, score = excluded.score",
                pending,
            )

    for doc_id, stamp, cached in rows:
        pending.append((doc_id, scorer, stamp, *cached))
        if len(pending) >= batch:
            flush()
            written += len(pending)
            pending = []
    if pending:
        flush()
        written += len(pending)
    return written
