"""Stored evaluation scores per document (migration 0040): read the valid ones, write fresh ones.

A score is valid while the document's stamp (bumped by triggers whenever its gold,
boilerplate, reviews, adjudication, tokens or predictions change) equals the stamp it was
computed at. Scores are computed inside a read snapshot and written after it, with the stamp
read in that snapshot: a change made meanwhile leaves them stale, never wrong.

A score's counts are packed (key id, count) pairs of uint32 (keys named once in
``evaluation_keys``), so the counts of a thousand documents add up in one vector operation;
the disagreements are a table apart, read only while an evaluation still lists them.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from annotator.store.store import Store

CHUNK = 500
_VALID = ("FROM evaluation_cache c LEFT JOIN evaluation_stamps s ON s.document_id = c.document_id "
          "WHERE c.stamp = coalesce(s.stamp, 0) AND c.document_id IN ({marks})")


class Kept(NamedTuple):
    gold_kind: str  # how the document's gold was resolved ('' when not counted)
    predicted_by: str  # "pipeline version" of the prediction scored
    disagreements: int  # how many (their list is read only when wanted)
    counts: bytes  # packed (key id, count) pairs


class Fresh(NamedTuple):
    """A score to keep: how the gold was resolved, whose prediction, the counts, the disagreements."""

    gold_kind: str
    predicted_by: str
    counts: dict[str, int]
    disagreements: int
    disagreements_json: str


def _marks(items: Sequence[object]) -> str:
    return ",".join("?" * len(items))


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield list(ids[i:i + CHUNK])


def scored_runs(store: Store, ids: Sequence[int], pipeline: str | None) -> dict[int, int]:
    """The prediction run an evaluation scores for each of ``ids``: the newest (of ``pipeline``,
    when given), as :meth:`Store.newest_predictions` picks it; documents without one are left out."""
    found: dict[int, int] = {}
    for part in _chunks(ids):
        where = f"document_id IN ({_marks(part)})" + (" AND pipeline = ?" if pipeline is not None else "")
        params = part + ([pipeline] if pipeline is not None else [])
        found.update(store._q(f"SELECT document_id, max(id) FROM prediction_runs WHERE {where} GROUP BY document_id",
                              params).fetchall())
    return found


def valid(store: Store, runs: dict[int, int]) -> dict[int, Kept]:
    """Documents (of ``runs``: document -> prediction run) with a still-valid stored score of that run."""
    found: dict[int, Kept] = {}
    for part in _chunks(list(runs)):
        for doc_id, run_id, kind, predicted_by, n, counts in store._q(
            "SELECT c.document_id, c.run_id, c.gold_kind, c.predicted_by, c.disagreements, c.counts "
            + _VALID.format(marks=_marks(part)), part,
        ):
            if runs[doc_id] == run_id:
                found[doc_id] = Kept(kind, predicted_by, n, counts)
    return found


def key_names(store: Store) -> dict[int, str]:
    return dict(store._q("SELECT id, key FROM evaluation_keys").fetchall())


def summed(store: Store, kept: Iterable[Kept], names: dict[int, str]) -> dict[str, int]:
    """The counts of ``kept`` scores added up key by key (``names``: :func:`key_names`, read
    in the same snapshot)."""
    import numpy

    packed = b"".join(k.counts for k in kept)
    if not packed:
        return {}
    pairs = numpy.frombuffer(packed, dtype="<u4").reshape(-1, 2)
    totals = numpy.bincount(pairs[:, 0], weights=pairs[:, 1].astype(numpy.float64))  # exact below 2**53
    present = numpy.zeros(len(totals), dtype=bool)
    present[pairs[:, 0]] = True  # a key counted 0 still says its label was seen
    return {names[int(k)]: int(totals[k]) for k in numpy.nonzero(present)[0]}


def disagreements(store: Store, runs: dict[int, int]) -> dict[int, tuple[str, str, str]]:
    """(source, text, disagreements JSON) of the documents of ``runs`` (document -> run), to list them."""
    found: dict[int, tuple[str, str, str]] = {}
    for part in _chunks(list(runs)):
        for doc_id, run_id, source, text, data in store._q(
            "SELECT e.document_id, e.run_id, d.source, d.text, e.found FROM evaluation_disagreements e "
            f"JOIN documents d ON d.id = e.document_id WHERE e.document_id IN ({_marks(part)})", part,
        ):
            if runs[doc_id] == run_id:
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


def _pack(counts: dict[str, int], ids: dict[str, int]) -> bytes:
    """(key id, count) pairs as little-endian uint32."""
    values = array("I")
    assert values.itemsize == 4
    for key, n in counts.items():
        values.extend((ids[key], n))
    if sys.byteorder == "big":
        values.byteswap()
    return values.tobytes()


def write(store: Store, rows: Iterable[tuple[int, int, int, Fresh]], batch: int = 5000) -> int:
    """Store (document id, prediction run, stamp, score) rows, a short transaction per batch
    (a document deleted meanwhile is skipped)."""
    written = 0
    pending: list[tuple[int, int, int, Fresh]] = []

    def flush() -> None:
        with store.transaction():
            conn = store.db.conn
            ids = {key: i for i, key in key_names(store).items()}
            new = sorted({key for *_, fresh in pending for key in fresh.counts} - ids.keys())
            conn.executemany("INSERT OR IGNORE INTO evaluation_keys(key) VALUES (?)", [(k,) for k in new])
            if new:
                ids = {key: i for i, key in key_names(store).items()}
            conn.executemany(
                "INSERT INTO evaluation_cache(document_id, run_id, stamp, gold_kind, predicted_by, counts, "
                "disagreements) SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM documents WHERE id = ?1) "
                "ON CONFLICT(document_id, run_id) DO UPDATE SET stamp = excluded.stamp, "
                "gold_kind = excluded.gold_kind, predicted_by = excluded.predicted_by, counts = excluded.counts, "
                "disagreements = excluded.disagreements",
                [(d, run, stamp, f.gold_kind, f.predicted_by, _pack(f.counts, ids), f.disagreements)
                 for d, run, stamp, f in pending],
            )
            conn.executemany("DELETE FROM evaluation_disagreements WHERE document_id = ? AND run_id = ?",
                             [(d, run) for d, run, _, _ in pending])
            conn.executemany(
                "INSERT INTO evaluation_disagreements(document_id, run_id, found) SELECT ?, ?, ? "
                "WHERE EXISTS (SELECT 1 FROM documents WHERE id = ?1)",
                [(d, run, f.disagreements_json) for d, run, _, f in pending if f.disagreements],
            )

    for row in rows:
        pending.append(row)
        if len(pending) >= batch:
            flush()
            written += len(pending)
            pending = []
    if pending:
        flush()
        written += len(pending)
    return written
