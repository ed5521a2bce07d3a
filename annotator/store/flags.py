"""SQL for flags: one row per document and annotator in ``flags`` (migration 0006).

Clearing a flag keeps its row with an empty ``flag`` (a tombstone with its time), so that
merging an annotator's file in which they cleared a flag clears it in the project too: for
each (document, annotator) the row with the later ``updated_at`` wins, whichever side it
comes from. Every reader of the table skips rows whose ``flag`` is empty. Functions over a
:class:`Store`, like :mod:`annotator.store.bulk`.
"""

from __future__ import annotations

from collections.abc import Iterable

from annotator.core.flags import Flag
from annotator.store.store import Store

_UPSERT_LATER = (
    "ON CONFLICT(document_id, annotator) DO UPDATE SET flag = excluded.flag, note = excluded.note, "
    "updated_at = excluded.updated_at WHERE excluded.updated_at > flags.updated_at"
)


def get(store: Store, document_id: int, annotator: str) -> Flag | None:
    """``annotator``'s flag on the document, or None (never flagged, or cleared)."""
    row = store._q("SELECT annotator, flag, note, updated_at FROM flags WHERE document_id = ? AND annotator = ? "
                   "AND flag <> ''", [document_id, annotator]).fetchone()
    return Flag(*row) if row else None


def put(store: Store, document_id: int, flag: Flag) -> None:
    """Write ``flag`` (an empty ``flag.flag`` clears it), replacing whatever was there."""
    store._q("INSERT INTO flags(document_id, annotator, flag, note, updated_at) VALUES (?, ?, ?, ?, ?) "
             "ON CONFLICT(document_id, annotator) DO UPDATE SET flag = excluded.flag, note = excluded.note, "
             "updated_at = excluded.updated_at",
             [document_id, flag.annotator, flag.flag, flag.note, flag.updated_at])


def put_if_later(store: Store, items: Iterable[tuple[int, Flag]]) -> int:
    """Write each (document, flag) unless the project's row for that document and annotator is
    as late or later; returns how many were written (call inside a transaction)."""
    written = 0
    for document_id, flag in items:
        cur = store._q("INSERT INTO flags(document_id, annotator, flag, note, updated_at) VALUES (?, ?, ?, ?, ?) "
                       + _UPSERT_LATER, [document_id, flag.annotator, flag.flag, flag.note, flag.updated_at])
        written += max(0, cur.rowcount)
    return written


def all_set(store: Store) -> dict[int, list[Flag]]:
    """Every set flag by document (for an export: flags are few, made by hand)."""
    found: dict[int, list[Flag]] = {}
    for row in store._q("SELECT document_id, annotator, flag, note, updated_at FROM flags WHERE flag <> '' "
                        "ORDER BY document_id, annotator"):
        found.setdefault(row[0], []).append(Flag(*row[1:]))
    return found


def counts(store: Store) -> dict[str, dict[str, int]]:
    """Per flag: how many documents carry it and how many of those have a note ({flag: {...}})."""
    out: dict[str, dict[str, int]] = {}
    for flag, n, notes in store._q("SELECT flag, count(*), sum(note <> '') FROM flags WHERE flag <> '' "
                                   "GROUP BY flag ORDER BY flag"):
        out[flag] = {"documents": int(n), "notes": int(notes or 0)}
    return out


def copy_from(store: Store, alias: str) -> int:
    """Copy the flags of the attached project file ``alias`` into the project, documents matched
    by content hash, the later row winning (inside the merge's transaction). Returns the rows written."""
    cur = store._q(
        f"INSERT INTO main.flags(document_id, annotator, flag, note, updated_at) "
        f"SELECT m.id, f.annotator, f.flag, f.note, f.updated_at FROM {alias}.flags f "
        f"JOIN {alias}.documents d ON d.id = f.document_id JOIN main.documents m ON m.content_hash = d.content_hash "
        f"WHERE true " + _UPSERT_LATER)
    return max(0, cur.rowcount)
