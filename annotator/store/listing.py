"""The window's document list: pages of ids by key, counts kept up to date, search by FTS.

Every query here costs what it returns, not the corpus: a page is ``WHERE id > ? ... LIMIT n``
driven by the index that fits the filter (the annotator's review states, their flags, the
full-text index), and the size of a filter comes from counters the database keeps up to date
(``document_count``, ``review_counts``). Only a search, or the flagged filter, has to be
counted, and that is done a range of ids at a time (:meth:`Listing.count_range`) so the
window can count in the background while it shows the first page at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from annotator.core.model import ACCEPTED, REVIEW_STATES, TODO
from annotator.store.store import Store


@dataclass(frozen=True)
class ListQuery:
    """Which documents the list shows, for whom."""

    annotator: str
    states: tuple[str, ...] | None = None  # the annotator's own review states; None: all
    search: str | None = None  # a phrase in the text
    flagged: bool = False  # only documents the annotator flagged
    assigned_to: str | None = None  # only documents assigned to this annotator (an annotator's own file)

    @property
    def counted(self) -> bool:
        """True when the filter's size is kept by counters (no search, no flag filter, no assignment)."""
        return not self.search and not self.flagged and self.assigned_to is None


@dataclass(frozen=True)
class ListRow:
    """One row of the document list."""

    source: str
    state: str
    spans: int  # the annotator's gold spans, or the newest prediction's before their first edit
    edited_since_accepted: bool
    flag: str | None
    note: str


class Listing:
    """Queries of the document list on one store."""

    def __init__(self, store: Store):
        self.store = store

    # -- counts -------------------------------------------------------------------------
    def document_count(self) -> int:
        row = self.store._q("SELECT n FROM document_count").fetchone()
        return int(row[0]) if row else 0

    def state_counts(self, annotator: str) -> dict[str, int]:
        """Documents per review state of ``annotator`` (those they never touched are to do)."""
        counts = {state: 0 for state in REVIEW_STATES}
        for state, n in self.store._q("SELECT state, n FROM review_counts WHERE annotator = ?", [annotator]):
            counts[state] = counts.get(state, 0) + int(n)
        counts[TODO] = self.document_count() - sum(n for state, n in counts.items() if state != TODO)
        return counts

    def count(self, query: ListQuery) -> int | None:
        """The filter's size from the counters, or None when it has to be counted."""
        if not query.counted:
            return None
        if query.states is None:
            return self.document_count()
        counts = self.state_counts(query.annotator)
        return sum(counts.get(state, 0) for state in query.states)

    def count_range(self, query: ListQuery, after: int, upto: int) -> int:
        """How many documents with ``after < id <= upto`` the filter holds (for counting a
        search or the flagged filter a range at a time)."""
        total = 0
        for _key, body, params in self._parts(query, after, upto):
            total += int(self.store._q(f"SELECT count(*) {body}", params).fetchone()[0])
        return total

    def max_id(self) -> int:
        return int(self.store._q("SELECT coalesce(max(id), 0) FROM documents").fetchone()[0])

    # -- pages --------------------------------------------------------------------------
    def page(self, query: ListQuery, after: int, limit: int) -> list[int]:
        """The next ``limit`` ids after ``after`` that the filter holds, in import order."""
        found: list[int] = []
        for key, body, params in self._parts(query, after, None):
            found += [r[0] for r in self.store._q(f"SELECT {key} {body} ORDER BY {key} LIMIT {int(limit - len(found))}",
                                                  params)]
            if len(found) >= limit:
                break
        return found

    def page_upto(self, query: ListQuery, after: int, upto: int) -> list[int]:
        """Every id in ``(after, upto]`` the filter holds (to reach one document in the list)."""
        found: list[int] = []
        for key, body, params in self._parts(query, after, upto):
            found += [r[0] for r in self.store._q(f"SELECT {key} {body} ORDER BY {key}", params)]
        return found

    def next_id(self, query: ListQuery, after: int) -> int | None:
        """The first document after ``after`` the filter holds, wrapping around to the start."""
        found = self.page(query, after, 1) or self.page(query, 0, 1)
        return found[0] if found else None

    def prev_id(self, query: ListQuery, before: int) -> int | None:
        """The last document before ``before`` the filter holds, wrapping around to the end
        (each part read backwards by key: FTS and the id index give the first row at once)."""
        for upto in (before - 1, self.max_id()):
            found = [row[0] for key, body, params in self._parts(query, 0, upto)
                     for row in self.store._q(f"SELECT {key} {body} ORDER BY {key} DESC LIMIT 1", params)]
            if found:
                return max(found)
        return None

    def holds(self, query: ListQuery, document_id: int) -> bool:
        return bool(self.page_upto(query, document_id - 1, document_id))

    def _parts(self, query: ListQuery, after: int, upto: int | None) -> list[tuple[str, str, list[Any]]]:
        """(id column, FROM ... WHERE clause, parameters) covering the filter over ids in
        ``(after, upto]``, in id order.

        Without a search, one clause over ``documents`` (driven by the annotator's state index
        when only documents they touched can match). With one, the indexed documents come from
        FTS (a rowid range, cheap there) and the ones not indexed yet from a scan.
        """
        conditions, params = ["d.id > ?"], [after]
        if upto is not None:
            conditions.append("d.id <= ?")
            params.append(upto)
        extra, extra_params = [], []
        if query.states is not None:
            extra.append(f"coalesce(r.state, '{TODO}') IN ({','.join('?' * len(query.states))})")
            extra_params += list(query.states)
        if query.flagged:
            extra.append("EXISTS (SELECT 1 FROM flags fl WHERE fl.document_id = d.id AND fl.annotator = ? AND fl.flag <> '')")
            extra_params.append(query.annotator)
        if query.assigned_to is not None:
            extra.append("EXISTS (SELECT 1 FROM assignments a WHERE a.document_id = d.id AND a.annotator = ?)")
            extra_params.append(query.assigned_to)
        join = "LEFT JOIN annotator_reviews r ON r.document_id = d.id AND r.annotator = ?"
        if not query.search:
            if query.states is not None and TODO not in query.states:  # only rows of theirs can match
                body = ("FROM annotator_reviews r0 JOIN documents d ON d.id = r0.document_id " + join
                        + " WHERE r0.annotator = ? AND r0.state IN (" + ",".join("?" * len(query.states)) + ") AND "
                        + " AND ".join(conditions + extra))
                return [("r0.document_id", body, [query.annotator, query.annotator, *query.states, *params,
                                                  *extra_params])]
            body = f"FROM documents d {join} WHERE " + " AND ".join(conditions + extra)
            return [("d.id", body, [query.annotator, *params, *extra_params])]
        indexed = self.store.indexed_upto()
        phrase = '"' + query.search.replace('"', '""') + '"'
        pattern = "%" + query.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        parts = []
        if after < indexed:
            fts_conditions = ["documents_fts MATCH ?", "f.rowid > ?", "f.rowid <= ?"]
            fts_params: list[Any] = [phrase, after, indexed if upto is None else min(indexed, upto)]
            body = ("FROM documents_fts f JOIN documents d ON d.id = f.rowid " + join + " WHERE "
                    + " AND ".join(fts_conditions + extra))
            parts.append(("f.rowid", body, [query.annotator, *fts_params, *extra_params]))
        if upto is None or upto > indexed:
            tail = conditions + ["d.id > ?", "d.text LIKE ? ESCAPE '\\'"]
            body = f"FROM documents d {join} WHERE " + " AND ".join(tail + extra)
            parts.append(("d.id", body, [query.annotator, *params, indexed, pattern, *extra_params]))
        return parts

    # -- rows ---------------------------------------------------------------------------
    def rows(self, ids: Sequence[int], annotator: str) -> dict[int, ListRow]:
        """What the list shows for each of ``ids``: one query for the lot."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.store._q(
            f"""
            SELECT d.id, d.source, coalesce(r.state, '{TODO}'),
                CASE WHEN r.state IS NOT NULL
                    THEN coalesce(g.n_spans, 0)
                    ELSE coalesce(g.n_spans, (SELECT n_spans FROM prediction_runs pr WHERE pr.document_id = d.id
                                              ORDER BY pr.id DESC LIMIT 1), 0)
                END,
                r.state = '{ACCEPTED}' AND EXISTS (
                    SELECT 1 FROM edits e WHERE e.document_id = d.id AND e.annotator = ?
                    AND e.created_at > r.updated_at AND e.action NOT IN ('set_state', 'start_review')),
                nullif(fl.flag, ''), coalesce(fl.note, '')
            FROM documents d
            LEFT JOIN annotator_reviews r ON r.document_id = d.id AND r.annotator = ?
            LEFT JOIN gold_layers g ON g.document_id = d.id AND g.annotator = ?
            LEFT JOIN flags fl ON fl.document_id = d.id AND fl.annotator = ?
            WHERE d.id IN ({marks})
            """,
            [annotator, annotator, annotator, annotator, *ids],
        )
        return {r[0]: ListRow(r[1], r[2], int(r[3] or 0), bool(r[4]), r[5], r[6]) for r in rows}
