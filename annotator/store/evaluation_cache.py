"""Stored evaluation scores per document (migration 0040): read the valid ones, write fresh ones.

A score is valid while the document's stamp (bumped by triggers whenever its gold,
boilerplate, reviews, adjudication, tokens or predictions change) equals the stamp it was
computed at. Scores are computed inside a read snapshot and written after it, with the stamp
read in that snapshot: a change made meanwhile leaves them stale, never wrong. The counts of
many documents are summed by SQLite (``json_each``), so reading them back costs no Python
per document.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from annotator.store.store import Store

CHUNK = 500
_VALID = ("FROM evaluation_cache c LEFT JOIN evaluation_stamps s ON s.document_id = c.document_id "
          "WHERE c.scorer = ? AND c.stamp = coalesce(s.stamp, 0) AND c.document_id IN ({marks})")


class Kept(NamedTuple):
    gold_kind: str  # how the document's gold was resolved ('' when not counted)
    predicted_by: str  # "pipeline version" of the prediction scored
    disagreements: int  # how many (their list is read only when wanted)


class Fresh(NamedTuple):
    """A score to keep: what :class:`Kept` says plus the counts and the disagreements as JSON."""

    gold_kind: str
    predicted_by: str
    counts: str
    disagreements: int
    disagreements_json: str


def _marks(items: Sequence[object]) -> str:
    return ",".join("?" * len(items))


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield list(ids[i:i + CHUNK])


def valid(store: Store, scorer: str, ids: Sequence[int]) -> dict[int, Kept]:
    """Documents of ``ids`` with a still-valid stored score for ``scorer``."""
    found: dict[int, Kept] = {}
    for part in _chunks(ids):
        for doc_id, kind, predicted_by, n in store._q(
            "SELECT c.document_id, c.gold_kind, c.predicted_by, c.disagreements " + _VALID.format(marks=_marks(part)),
            [scorer, *part],
        ):
            found[doc_id] = Kept(kind, predicted_by, n)
    return found


def summed_counts(store: Store, scorer: str, ids: Sequence[int]) -> dict[str, int]:
    """The stored counts of documents ``ids`` (valid ones), added up key by key."""
    total: dict[str, int] = {}
    for part in _chunks(ids):
        for key, n in store._q(
            "SELECT j.key, sum(j.value) " + _VALID.replace("WHERE", "JOIN json_each(c.counts) j WHERE", 1).format(
                marks=_marks(part)) + " GROUP BY j.key", [scorer, *part],
        ):
            total[key] = total.get(key, 0) + int(n)
    return total


def disagreements(store: Store, scorer: str, ids: Sequence[int]) -> dict[int, tuple[str, str, str]]:
    """(source, text, disagreements JSON) of documents ``ids`` (valid ones), to list them."""
    found: dict[int, tuple[str, str, str]] = {}
    for part in _chunks(ids):
        for doc_id, source, text, data in store._q(
            "SELECT c.document_id, d.source, d.text, c.disagreements_json "
            + _VALID.replace("WHERE", "JOIN documents d ON d.id = c.document_id WHERE", 1).format(marks=_marks(part)),
            [scorer, *part],
        ):
            found[doc_id] = (source, text, data)
    return found


def stamps(store: Store, ids: Sequence[int]) -> dict[int, int]:
    """Each document's current stamp (0 when it never changed)."""
    found = {doc_id: 0 for doc_id in ids}
    for part in _chunks(ids):
        for doc_id, stamp in store._q(
            f"SELECT document_id, stamp FROM evaluation_stamps WHERE document_id IN ({_marks(part)})", part
        ):
            found[doc_id] = stamp
    return found


def write(store: Store, scorer: str, rows: Iterable[tuple[int, int, Fresh]], batch: int = 5000) -> int:
    """Store (document id, stamp, score) rows for ``scorer``, a short transaction per batch
    (a document deleted meanwhile is skipped)."""
    written = 0
    pending: list[tuple[object, ...]] = []

    def flush() -> None:
        with store.transaction():
            store.db.conn.executemany(
                "INSERT INTO evaluation_cache(document_id, scorer, stamp, gold_kind, predicted_by, counts, "
                "disagreements, disagreements_json) SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS "
                "(SELECT 1 FROM documents WHERE id = ?1) ON CONFLICT(scorer, document_id) DO UPDATE SET "
                "stamp = excluded.stamp, gold_kind = excluded.gold_kind, predicted_by = excluded.predicted_by, "
                "counts = excluded.counts, disagreements = excluded.disagreements, "
                "disagreements_json = excluded.disagreements_json",
                pending,
            )

    for doc_id, stamp, fresh in rows:
        pending.append((doc_id, scorer, stamp, *fresh))
        if len(pending) >= batch:
            flush()
            written += len(pending)
            pending = []
    if pending:
        flush()
        written += len(pending)
    return written
