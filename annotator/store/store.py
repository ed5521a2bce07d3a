"""The Store: every read and write of a project database, returning plain dataclasses."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.core.errors import StoreError
from annotator.core.model import ACCEPTED, TODO, Document, Prediction, Review
from annotator.core.packing import gold_row, pack_spans, unpack_gold, unpack_spans
from annotator.core.spans import Range, Span
from annotator.core.tokens import Tokens
from annotator.store.connection import known_errors, open_connection, sqlite_database, store_error
from annotator.store.training import GOLD_STATES, TrainingQueries

if TYPE_CHECKING:
    from sqlite_utils import Database


# Build from a row tuple with no Python frame per span (NamedTuple._make is a Python function:
# ~25 ms of an adjudication open went to 480k calls of it). Rows must have every field, as
# _make demanded (it raised on a wrong length; this does not check).
make_span = partial(tuple.__new__, Span)
SET_GOLD_LAYER = ("INSERT INTO gold_layers(document_id, annotator, spans, n_spans, labels) VALUES (?, ?, ?, ?, ?) "
              "ON CONFLICT(document_id, annotator) DO UPDATE SET spans = excluded.spans, n_spans = excluded.n_spans, "
              "labels = excluded.labels")
make_range = partial(tuple.__new__, Range)


def now() -> str:
    """The current UTC time, ISO 8601 with microseconds."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _is_read(sql: str) -> bool:
    """A statement that only reads (a SELECT: it never opens a transaction of its own)."""
    return sql.lstrip()[:6].upper() == "SELECT"


class Store(TrainingQueries):
    """A project database. Writes outside :meth:`transaction` commit one statement at a time.

    Reads go to the plain ``sqlite3`` connection (``conn``); writes go through sqlite-utils'
    ``Database`` over the same connection (``db``), made (and sqlite-utils imported) on first use,
    so a window can open a project and show a document before sqlite-utils has loaded."""

    def __init__(self, db: Database | sqlite3.Connection, path: Path, *, sqlite_utils_db: Database | None = None):
        if isinstance(db, sqlite3.Connection):
            self.conn = db
            self._db = sqlite_utils_db
        else:
            self.conn = db.conn
            self._db = db
        self.path = path

    @property
    def db(self) -> Database:
        """sqlite-utils' ``Database`` over :attr:`conn`, made on first use (writes, migrations)."""
        if self._db is None:
            self._db = sqlite_database(self.conn)
        return self._db

    @classmethod
    def open(
        cls, path: str | Path, *, create: bool = True, busy_timeout_ms: int | None = None,
        allow_network_fs: bool | None = None,
    ) -> "Store":
        """Open the project database (see :func:`open_connection` for what is refused)."""
        path = Path(path)
        conn, db = open_connection(path, create=create, busy_timeout_ms=busy_timeout_ms,
                                   allow_network_fs=allow_network_fs)
        return cls(conn, path, sqlite_utils_db=db)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self, *, bare: bool = False) -> Iterator["Store"]:
        """All writes inside commit together or not at all (nested blocks are savepoints).

        The outermost block takes the write lock at once (``BEGIN IMMEDIATE``), so a writer
        that finds another process writing waits for the busy timeout rather than failing
        when it first writes; :class:`BusyError` when the wait runs out. ``bare``: the block
        writes through :attr:`conn` only and is not nested, so sqlite-utils (~0.25 s to import
        here) is not loaded for it (the evaluation's second process keeps scores this way).
        """
        conn = self.conn
        if not bare:
            self.db  # noqa: B018 - sqlite-utils loaded (on a first write) before the write lock is taken, not while held
        elif conn.in_transaction:
            raise RuntimeError("a bare transaction cannot be nested")
        try:
            if conn.in_transaction:
                with self.db.atomic():  # a savepoint inside the open transaction
                    yield self
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.IntegrityError):
                raise
            raise store_error(exc, self.path) from None

    @contextlib.contextmanager
    def page_cache(self, megabytes: int = 64) -> Iterator[None]:
        """A bigger page cache for one long import, read or merge (SQLite's default is 2 MB):
        index pages of a large project are then read once, not again and again."""
        before = self._q("PRAGMA cache_size").fetchone()[0]
        self._q(f"PRAGMA cache_size = {-1024 * int(megabytes)}")
        try:
            yield
        finally:
            self._q(f"PRAGMA cache_size = {int(before)}")

    @contextlib.contextmanager
    def snapshot(self) -> Iterator["Store"]:
        """Reads inside see one consistent state of the database (a read transaction).

        In WAL mode a reader never blocks writers, so an export can take its time while the
        window keeps saving; what it writes is the database as it was when it started.
        """
        conn = self.conn
        if conn.in_transaction:
            yield self
            return
        try:
            conn.execute("BEGIN DEFERRED")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # start the read now
        except sqlite3.DatabaseError as exc:
            raise store_error(exc, self.path) from None
        try:
            yield self
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    def _q(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        try:
            if _is_read(sql):  # the plain connection: as Database.execute does for a SELECT
                return self.conn.execute(sql, params)
            return self.db.execute(sql, params)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.IntegrityError):
                raise
            raise store_error(exc, self.path) from None

    def _many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """executemany inside one transaction (outside one it would leave it open, uncommitted)."""
        with self.transaction(), known_errors(self.path):
            self.db.conn.executemany(sql, rows)

    # -- settings ---------------------------------------------------------------------
    def setting(self, key: str) -> str | None:
        row = self._q("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_setting(self, key: str, value: str) -> None:
        self._q("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", [key, value])

    def project_id(self) -> str:
        """The project's identity (a UUID made when the database was created or upgraded)."""
        return self.setting("project_id") or ""

    def owner(self) -> str | None:
        """Whom an assigned annotator's file is for (``annotator assign``), or None for a project."""
        return self.setting("owner")

    # -- documents --------------------------------------------------------------------
    def add_document(self, text: str, source: str, content_hash: str, meta: dict[str, Any] | None = None) -> tuple[int, bool]:
        """Insert a document unless one with the same content hash exists; return (id, created)."""
        row = self._q("SELECT id FROM documents WHERE content_hash = ?", [content_hash]).fetchone()
        if row:
            return row[0], False
        cur = self._q(
            "INSERT INTO documents(source, text, content_hash, length, meta, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [source, text, content_hash, len(text), json.dumps(meta or {}, ensure_ascii=False), now()],
        )
        return int(cur.lastrowid or 0), True

    def add_document_utf8(
        self, data: bytes | memoryview, length: int, source: str, content_hash: str, meta: dict[str, Any] | None = None
    ) -> tuple[int, bool]:
        """Like :meth:`add_document` for text given as validated UTF-8 bytes of ``length`` code points.

        SQLite stores the bytes as TEXT directly (``CAST(? AS TEXT)`` keeps them as they are),
        so a large file is never held as a Python str as well.
        """
        row = self._q(
            "INSERT INTO documents(source, text, content_hash, length, meta, created_at) "
            "VALUES (?, CAST(? AS TEXT), ?, ?, ?, ?) ON CONFLICT(content_hash) DO NOTHING RETURNING id",
            [source, data, content_hash, length, json.dumps(meta or {}, ensure_ascii=False), now()],
        ).fetchone()
        if row is not None:
            return int(row[0]), True
        return int(self._q("SELECT id FROM documents WHERE content_hash = ?", [content_hash]).fetchone()[0]), False

    def document_id_by_hash(self, content_hash: str) -> int | None:
        row = self._q("SELECT id FROM documents WHERE content_hash = ?", [content_hash]).fetchone()
        return row[0] if row else None

    def document(self, document_id: int) -> Document:
        row = self._q("SELECT id, source, text, content_hash, meta FROM documents WHERE id = ?", [document_id]).fetchone()
        if row is None:
            raise StoreError(f"no document with id {document_id}", path=self.path)
        return Document(row[0], row[1], row[2], row[3], json.loads(row[4]))

    def document_source(self, document_id: int) -> str:
        row = self._q("SELECT source FROM documents WHERE id = ?", [document_id]).fetchone()
        if row is None:
            raise StoreError(f"no document with id {document_id}", path=self.path)
        return str(row[0])

    def document_length(self, document_id: int) -> int:
        """Length of the text in code points, without reading the text."""
        row = self._q("SELECT length FROM documents WHERE id = ?", [document_id]).fetchone()
        if row is None:
            raise StoreError(f"no document with id {document_id}", path=self.path)
        return int(row[0])

    def document_ids(self, states: Sequence[str] | None = None) -> list[int]:
        """Ids in import order, optionally only those in the given review states."""
        if states is None:
            return [r[0] for r in self._q("SELECT id FROM documents ORDER BY id")]
        marks = ",".join("?" * len(states))
        sql = (
            "SELECT d.id FROM documents d LEFT JOIN reviews r ON r.document_id = d.id "
            f"WHERE coalesce(r.state, '{TODO}') IN ({marks}) ORDER BY d.id"
        )
        return [r[0] for r in self._q(sql, list(states))]

    def documents_named(self, names: Sequence[str], chunk: int = 500) -> dict[str, list[int]]:
        """For each name, the ids of the documents it names, in id order: the document with that
        id (a name of digits) and every document whose source is that name."""
        wanted = list(dict.fromkeys(names))
        found: dict[str, set[int]] = {name: set() for name in wanted}
        by_id: dict[int, list[str]] = {}
        for name in wanted:
            if name.isascii() and name.isdigit() and len(name) <= 18:  # fits SQLite's 64-bit integer
                by_id.setdefault(int(name), []).append(name)
        all_numbers = list(by_id)
        for i in range(0, max(len(wanted), len(all_numbers)), chunk):
            sources, numbers = wanted[i:i + chunk], all_numbers[i:i + chunk]
            for doc_id, source in self._q(
                f"SELECT id, source FROM documents WHERE source IN ({','.join('?' * len(sources))})", sources
            ):
                found[source].add(doc_id)
            for (doc_id,) in self._q(f"SELECT id FROM documents WHERE id IN ({','.join('?' * len(numbers))})", numbers):
                for name in by_id[doc_id]:
                    found[name].add(doc_id)
        return {name: sorted(ids) for name, ids in found.items()}

    def iter_texts(self, ids: Sequence[int], chunk: int = 500) -> Iterator[tuple[int, str]]:
        """(id, text) for the given ids, read in chunks so a large corpus never sits in memory."""
        for i in range(0, len(ids), chunk):
            part = list(ids[i:i + chunk])
            marks = ",".join("?" * len(part))
            rows = dict(self._q(f"SELECT id, text FROM documents WHERE id IN ({marks})", part).fetchall())
            for doc_id in part:
                yield doc_id, rows[doc_id]

    def document_count(self) -> int:
        return int(self._q("SELECT count(*) FROM documents").fetchone()[0])

    def search_ids(self, query: str, states: Sequence[str] | None = None) -> list[int]:
        """Ids of documents whose text contains ``query`` as a phrase (FTS5), in import order.

        Documents not indexed yet (imported since the last :meth:`index_batch`) are scanned
        (case-insensitive substring), so a search never misses a document.
        """
        phrase = '"' + query.replace('"', '""') + '"'
        upto = self.indexed_upto()
        state_join, state_where, state_params = "", "", []
        if states is not None:
            state_join = " LEFT JOIN reviews r ON r.document_id = d.id"
            state_where = f" AND coalesce(r.state, '{TODO}') IN ({','.join('?' * len(states))})"
            state_params = list(states)
        sql = ("SELECT d.id FROM documents_fts f JOIN documents d ON d.id = f.rowid" + state_join
               + " WHERE documents_fts MATCH ?" + state_where + " ORDER BY d.id")
        try:
            found = [r[0] for r in self.conn.execute(sql, [phrase, *state_params])]
        except sqlite3.OperationalError as exc:
            if "fts5" not in str(exc):
                raise store_error(exc, self.path) from None
            found = []  # a query FTS cannot parse matches nothing
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        found += [r[0] for r in self._q(
            "SELECT d.id FROM documents d" + state_join + " WHERE d.id > ? AND d.text LIKE ? ESCAPE '\\'"
            + state_where + " ORDER BY d.id", [upto, pattern, *state_params])]
        return found

    # -- connection --------------------------------------------------------------------------
    def in_wal_mode(self) -> bool:
        """Whether the project keeps a write-ahead log (where a writer does not wait for readers);
        on a network file system it keeps a rollback journal instead."""
        return str(self.conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal"

    def busy_timeout_ms(self) -> int:
        """How long this connection waits for another writer."""
        return int(self.conn.execute("PRAGMA busy_timeout").fetchone()[0])

    # -- search index (full text, repeated lines) ----------------------------------------
    def indexed_upto(self) -> int:
        """Documents with ids up to this are in the full-text index and the line counts."""
        value = self.setting("indexed_upto")
        return int(value) if value else 0

    def unindexed_count(self) -> int:
        return int(self._q("SELECT count(*) FROM documents WHERE id > ?", [self.indexed_upto()]).fetchone()[0])

    def index_batch(self, limit: int = 2000) -> int:
        """Index the next ``limit`` documents (full text and line counts) in one transaction.

        Returns how many were indexed (0 when none is left). Safe to interrupt between
        batches and to run from several processes: each batch re-reads the mark under the
        write lock.
        """
        from annotator.core.boilerplate import short_line_counts

        with self.transaction():
            upto = self.indexed_upto()
            rows = self._q("SELECT id, text FROM documents WHERE id > ? ORDER BY id LIMIT ?", [upto, limit]).fetchall()
            if not rows:
                return 0
            last = rows[-1][0]
            self._q("INSERT INTO documents_fts(rowid, text) SELECT id, text FROM documents WHERE id > ? AND id <= ?",
                    [upto, last])
            keys = short_line_counts(text for _, text in rows)
            self._many("INSERT INTO line_counts(hash, documents) VALUES (?, ?) "
                       "ON CONFLICT(hash) DO UPDATE SET documents = documents + excluded.documents", keys.items())
            self.set_setting("indexed_upto", str(last))
            return len(rows)

    def line_counts(self, keys: Iterable[int]) -> dict[int, int]:
        """How many indexed documents hold each of these line keys (absent: none)."""
        wanted = list(keys)
        found: dict[int, int] = {}
        for i in range(0, len(wanted), 500):
            part = wanted[i:i + 500]
            rows = self._q(f"SELECT hash, documents FROM line_counts WHERE hash IN ({','.join('?' * len(part))})", part)
            found.update(rows.fetchall())
        return found

    def list_rows(self, ids: Sequence[int]) -> dict[int, tuple[str, str, int]]:
        """(source, review state, span count) for the document list, for the given ids.

        The count is the reviewer's gold spans, or the newest prediction's before review.
        """
        marks = ",".join("?" * len(ids))
        rows = self._q(
            f"""
            SELECT d.id, d.source, coalesce(r.state, '{TODO}'),
                CASE WHEN r.annotator IS NOT NULL
                    THEN coalesce((SELECT n_spans FROM gold_layers g WHERE g.document_id = d.id
                                   AND g.annotator = r.annotator), 0)
                    ELSE (SELECT n_spans FROM prediction_runs pr WHERE pr.document_id = d.id
                          ORDER BY pr.id DESC LIMIT 1)
                END
            FROM documents d LEFT JOIN reviews r ON r.document_id = d.id WHERE d.id IN ({marks})
            """,
            list(ids),
        )
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def next_id(self, after: int, states: Sequence[str]) -> int | None:
        """The first document after ``after`` (wrapping around) in one of ``states``."""
        marks = ",".join("?" * len(states))
        base = (
            "SELECT d.id FROM documents d LEFT JOIN reviews r ON r.document_id = d.id "
            f"WHERE coalesce(r.state, '{TODO}') IN ({marks})"
        )
        row = self._q(base + " AND d.id > ? ORDER BY d.id LIMIT 1", [*states, after]).fetchone()
        if row is None:
            row = self._q(base + " AND d.id < ? ORDER BY d.id LIMIT 1", [*states, after]).fetchone()
        return row[0] if row else None

    # -- tokens -----------------------------------------------------------------------
    def set_tokens(self, document_id: int, tokenizer: str, tokens: Tokens) -> None:
        self._q(
            "INSERT INTO document_tokens(document_id, tokenizer, tokens) VALUES (?, ?, ?) "
            "ON CONFLICT(document_id) DO UPDATE SET tokenizer = excluded.tokenizer, tokens = excluded.tokens",
            [document_id, tokenizer, tokens.to_bytes()],
        )

    def tokens(self, document_id: int) -> Tokens | None:
        row = self._q("SELECT tokens FROM document_tokens WHERE document_id = ?", [document_id]).fetchone()
        return Tokens.from_bytes(row[0]) if row else None

    # -- predictions ------------------------------------------------------------------
    def predicted_ids(self, pipeline: str, version: str) -> set[int]:
        rows = self._q("SELECT document_id FROM prediction_runs WHERE pipeline = ? AND version = ?", [pipeline, version])
        return {r[0] for r in rows}

    def add_prediction(self, document_id: int, pipeline: str, version: str, spans: Iterable[Span]) -> None:
        """Store a pipeline's spans for a document (one packed row; see core.packing)."""
        items = [(s.start, s.end, s.label) for s in spans]
        self._q(
            "INSERT INTO prediction_runs(document_id, pipeline, version, created_at, spans, n_spans) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [document_id, pipeline, version, now(), pack_spans(items), len(items)],
        )

    def has_prediction_by(self, document_id: int, pipeline: str, version: str) -> bool:
        return self._q(
            "SELECT 1 FROM prediction_runs WHERE document_id = ? AND pipeline = ? AND version = ?",
            [document_id, pipeline, version],
        ).fetchone() is not None

    def newest_predictions(
        self, ids: Sequence[int], pipeline: str | None = None
    ) -> dict[int, tuple[str, str, list[Span]]]:
        """(pipeline, version, spans) of each document's newest prediction (by ``pipeline`` if given)."""
        found: dict[int, tuple[str, str, list[Span]]] = {}
        for i in range(0, len(ids), 500):
            part = list(ids[i:i + 500])
            marks = ",".join("?" * len(part))
            where = f"document_id IN ({marks})" + (" AND pipeline = ?" if pipeline is not None else "")
            params = part + ([pipeline] if pipeline is not None else [])
            newest = f"SELECT max(id) FROM prediction_runs WHERE {where} GROUP BY document_id"
            for doc_id, name, version, blob in self._q(
                f"SELECT document_id, pipeline, version, spans FROM prediction_runs WHERE id IN ({newest})", params
            ):
                found[doc_id] = (name, version, [make_span((s, e, label, "model")) for s, e, label in unpack_spans(blob)])
        return found

    def count_unpredicted(self) -> int:
        """Documents no pipeline has pre-annotated yet: the document counter minus the documents
        with a prediction, counted on the predictions' index (never reading the documents table,
        whose pages hold the texts)."""
        return int(self._q(
            "SELECT (SELECT n FROM document_count) - (SELECT count(DISTINCT document_id) FROM prediction_runs)"
        ).fetchone()[0])

    def has_prediction(self, document_id: int) -> bool:
        return self._q("SELECT 1 FROM prediction_runs WHERE document_id = ? LIMIT 1", [document_id]).fetchone() is not None

    def prediction(
        self, document_id: int, pipeline: str | None = None, version: str | None = None, *, with_tokens: bool = True
    ) -> Prediction | None:
        """The given pipeline's prediction for a document, or the newest one when not given."""
        sql = "SELECT spans, pipeline, version, created_at FROM prediction_runs WHERE document_id = ?"
        params: list[Any] = [document_id]
        if pipeline is not None:
            sql += " AND pipeline = ?"
            params.append(pipeline)
        if version is not None:
            sql += " AND version = ?"
            params.append(version)
        row = self._q(sql + " ORDER BY id DESC LIMIT 1", params).fetchone()
        if row is None:
            return None
        spans = [make_span((s, e, label, "model")) for s, e, label in unpack_spans(row[0])]
        return Prediction(document_id, row[1], row[2], spans, self.tokens(document_id) if with_tokens else None, row[3])

    # -- gold -------------------------------------------------------------------------
    # An annotator's gold of a document is one row of ``gold_layers`` (migration 0050): its spans
    # packed, sorted by start. A layer without spans has no row. Changing spans rewrites the row
    # inside one transaction (read, change, write under the write lock).
    def gold(self, document_id: int, annotator: str) -> list[Span]:
        row = self._q("SELECT spans FROM gold_layers WHERE document_id = ? AND annotator = ?",
                      [document_id, annotator]).fetchone()
        return list(map(make_span, unpack_gold(row[0]))) if row else []

    def gold_overlapping(self, document_id: int, annotator: str, start: int, end: int) -> list[Span]:
        """Gold spans sharing a character with [start, end) (spans do not overlap each other)."""
        return [s for s in self.gold(document_id, annotator) if s.start < end and start < s.end]

    def has_gold_span(self, document_id: int, annotator: str, span: Span) -> bool:
        key = (span.start, span.end, span.label)
        return any((s.start, s.end, s.label) == key for s in self.gold(document_id, annotator))

    def has_gold(self, document_id: int, annotator: str) -> bool:
        return self._q("SELECT 1 FROM gold_layers WHERE document_id = ? AND annotator = ?",
                       [document_id, annotator]).fetchone() is not None

    def replace_gold(self, document_id: int, annotator: str, spans: Iterable[Span]) -> None:
        self.set_gold_layers([(document_id, annotator, list(spans))])

    def add_gold(self, document_id: int, annotator: str, spans: Iterable[Span]) -> None:
        added = list(spans)
        if not added:
            return
        with self.transaction():
            self.set_gold_layers([(document_id, annotator, self.gold(document_id, annotator) + added)])

    def remove_gold(self, document_id: int, annotator: str, spans: Iterable[Span]) -> None:
        """Remove the spans with these bounds and labels (whatever their origin)."""
        gone = {(s.start, s.end, s.label) for s in spans}
        if not gone:
            return
        with self.transaction():
            current = self.gold(document_id, annotator)
            kept = [s for s in current if (s.start, s.end, s.label) not in gone]
            if len(kept) != len(current):
                self.set_gold_layers([(document_id, annotator, kept)])

    def set_gold_layers(self, layers: Iterable[tuple[int, str, Sequence[Span]]]) -> None:
        """Make each (document, annotator) layer exactly these spans (none: no row), in one
        transaction, one ``executemany`` per kind of write."""
        self.set_packed_gold_layers((doc_id, annotator, *gold_row(spans))
                                    for doc_id, annotator, spans in layers)

    def set_packed_gold_layers(self, layers: Iterable[tuple[int, str, bytes, int, str]]) -> None:
        """:meth:`set_gold_layers` of layers packed already (document, annotator, packed gold,
        span count, labels column; a count of 0: no row)."""
        write: list[tuple[int, str, bytes, int, str]] = []
        drop: list[tuple[int, str]] = []
        for row in layers:
            if row[3]:
                write.append(row)
            else:
                drop.append((row[0], row[1]))
        if drop:
            self._many("DELETE FROM gold_layers WHERE document_id = ? AND annotator = ?", drop)
        if write:
            self._many(SET_GOLD_LAYER, write)

    # -- boilerplate ------------------------------------------------------------------
    def boilerplate(self, document_id: int, annotator: str) -> list[Range]:
        rows = self._q(
            "SELECT start_char, end_char FROM boilerplate WHERE document_id = ? AND annotator = ? ORDER BY start_char",
            [document_id, annotator],
        )
        return [Range(*r) for r in rows]

    def replace_boilerplate(self, document_id: int, annotator: str, ranges: Iterable[Range]) -> None:
        with self.transaction():
            self._q("DELETE FROM boilerplate WHERE document_id = ? AND annotator = ?", [document_id, annotator])
            self._many(
                "INSERT INTO boilerplate(document_id, annotator, start_char, end_char) VALUES (?, ?, ?, ?)",
                [(document_id, annotator, r.start, r.end) for r in ranges],
            )

    def dismissed_suggestions(self, document_id: int, annotator: str) -> list[Range]:
        rows = self._q("SELECT start_char, end_char FROM dismissed_suggestions WHERE document_id = ? AND annotator = ? "
                       "ORDER BY start_char", [document_id, annotator])
        return [make_range(r) for r in rows]

    def set_suggestion_dismissed(self, document_id: int, annotator: str, rng: Range, dismissed: bool) -> None:
        if dismissed:
            self._q("INSERT OR IGNORE INTO dismissed_suggestions VALUES (?, ?, ?, ?)",
                    [document_id, annotator, rng.start, rng.end])
        else:
            self._q("DELETE FROM dismissed_suggestions WHERE document_id = ? AND annotator = ? AND start_char = ? "
                    "AND end_char = ?", [document_id, annotator, rng.start, rng.end])

    # -- review state -----------------------------------------------------------------
    # Each annotator has their own state of a document (``annotator_reviews``); ``reviews``
    # is the document's latest review, kept by triggers (see schema 0010_team_reviews).
    def review(self, document_id: int, annotator: str | None = None) -> Review:
        """``annotator``'s review of a document, or without one the document's latest review."""
        if annotator is None:
            row = self._q("SELECT state, annotator, updated_at FROM reviews WHERE document_id = ?", [document_id]).fetchone()
        else:
            row = self._q(
                "SELECT state, annotator, updated_at FROM annotator_reviews WHERE document_id = ? AND annotator = ?",
                [document_id, annotator],
            ).fetchone()
        if row is None:
            return Review(document_id, TODO, None, None)
        return Review(document_id, row[0], row[1], row[2])

    def set_review(self, document_id: int, state: str, annotator: str, when: str | None = None) -> None:
        """Set ``annotator``'s state of a document (the document's latest review follows); a
        document becoming gold for the first time gets its train/dev split."""
        when = when or now()
        sql = ("INSERT INTO annotator_reviews(document_id, annotator, state, updated_at) VALUES (?, ?, ?, ?) "
               "ON CONFLICT(document_id, annotator) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at")
        if state not in GOLD_STATES:
            self._q(sql, [document_id, annotator, state, when])
            return
        with self.transaction():
            self._q(sql, [document_id, annotator, state, when])
            self.assign_split(document_id, when)

    def clear_review(self, document_id: int, annotator: str | None = None) -> None:
        """Back to never reviewed by ``annotator`` (undo of a first look), or by anybody."""
        if annotator is None:
            with self.transaction():
                self._q("DELETE FROM annotator_reviews WHERE document_id = ?", [document_id])
                self._q("DELETE FROM reviews WHERE document_id = ?", [document_id])
        else:
            self._q("DELETE FROM annotator_reviews WHERE document_id = ? AND annotator = ?", [document_id, annotator])

    def ids_in_own_state(self, annotator: str, state: str) -> list[int]:
        """Ids of the documents ``annotator``'s own review has in ``state``, in import order."""
        rows = self._q("SELECT document_id FROM annotator_reviews WHERE annotator = ? AND state = ? ORDER BY document_id",
                       [annotator, state])
        return [r[0] for r in rows]

    def accepted_count(self) -> int:
        return int(self._q("SELECT count(*) FROM reviews WHERE state = 'accepted'").fetchone()[0])

    def state_counts(self) -> dict[str, int]:
        rows = self._q(
            f"SELECT coalesce(r.state, '{TODO}'), count(*) FROM documents d LEFT JOIN reviews r ON r.document_id = d.id GROUP BY 1"
        )
        return dict(rows.fetchall())

    # -- edit log ---------------------------------------------------------------------
    def log_edit(self, document_id: int | None, annotator: str | None, action: str, payload: dict[str, Any]) -> None:
        self._q(
            "INSERT INTO edits(document_id, annotator, action, payload, created_at) VALUES (?, ?, ?, ?, ?)",
            [document_id, annotator, action, json.dumps(payload, ensure_ascii=False), now()],
        )

    def edits(self, document_id: int | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, document_id, annotator, action, payload, created_at FROM edits"
        params: list[Any] = []
        if document_id is not None:
            sql += " WHERE document_id = ?"
            params.append(document_id)
        rows = self._q(sql + " ORDER BY id", params)
        return [
            {"id": r[0], "document_id": r[1], "annotator": r[2], "action": r[3], "payload": json.loads(r[4]), "created_at": r[5]}
            for r in rows
        ]

    # -- statistics -------------------------------------------------------------------
    def accepted_gold_tallies(self) -> tuple[dict[str, int], int]:
        """Spans per label of accepted documents' gold, each document's reviewing annotator's,
        leaving out those lying inside that annotator's boilerplate (most used first); and how
        many those were. The layers are decoded a few thousand at a time into arrays
        (:func:`annotator.core.packed_arrays.gold_of`): no Python object per span."""
        import numpy as np

        from annotator.core.packed_arrays import gold_of

        accepted = (f"JOIN reviews r ON r.document_id = {{0}}.document_id AND r.annotator = {{0}}.annotator "
                    f"WHERE r.state = '{ACCEPTED}'")
        ranges: dict[int, list[tuple[int, int]]] = {}
        for doc, start, end in self._q(f"SELECT b.document_id, b.start_char, b.end_char FROM boilerplate b "
                                       f"{accepted.format('b')}"):
            ranges.setdefault(doc, []).append((start, end))
        index: dict[str, int] = {}
        totals: dict[int, int] = {}  # label index -> spans
        inside_total = 0
        rows = self._q(f"SELECT g.document_id, g.spans FROM gold_layers g {accepted.format('g')}")
        while page := rows.fetchmany(5000):
            which, starts, ends, labels = gold_of([blob for _, blob in page], index)
            keep = np.ones(len(labels), dtype=bool)
            for k, (doc, _) in enumerate(page):
                if doc in ranges:  # few documents have boilerplate: those are checked one by one
                    at = np.flatnonzero(which == k)
                    box = np.array(ranges[doc], dtype=np.int64)
                    keep[at] = ~((box[:, 0][None, :] <= starts[at][:, None])
                                 & (ends[at][:, None] <= box[:, 1][None, :])).any(axis=1)
            inside_total += int(len(keep) - keep.sum())
            for k, n in enumerate(np.bincount(labels[keep]).tolist()):
                totals[k] = totals.get(k, 0) + n
        counts = {name: totals[k] for name, k in index.items() if totals.get(k)}
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0]))), inside_total

    def gold_label_counts(self) -> dict[str, int]:
        """Gold spans per label of accepted documents (what export counts), each document's
        reviewing annotator's gold, most used first.

        Spans lying inside that annotator's boilerplate are not gold (see
        :func:`annotator.core.spans.split_by_boilerplate`) and are not counted.
        """
        return self.accepted_gold_tallies()[0]

    def gold_inside_boilerplate_count(self) -> int:
        """Spans of accepted documents lying inside boilerplate (left out of gold)."""
        return self.accepted_gold_tallies()[1]

    def gold_not_accepted_count(self) -> int:
        """Spans in the working gold of documents opened but not accepted (not gold yet)."""
        row = self._q(
            "SELECT coalesce(sum(g.n_spans), 0) FROM gold_layers g JOIN reviews r ON r.document_id = g.document_id "
            f"AND r.annotator = g.annotator WHERE r.state != '{ACCEPTED}'"
        ).fetchone()
        return int(row[0])

    def used_labels(self, schema: str = "main") -> set[str]:
        """Every label any gold span uses (inside boilerplate or not): from each layer's label
        list; of an attached project file with its ``schema``."""
        return {label for r in self._q(f"SELECT DISTINCT labels FROM {schema}.gold_layers") for label in json.loads(r[0])}

    def boilerplate_chars(self) -> int:
        row = self._q(
            "SELECT coalesce(sum(b.end_char - b.start_char), 0) FROM boilerplate b JOIN reviews r "
            "ON r.document_id = b.document_id AND r.annotator = b.annotator"
        ).fetchone()
        return int(row[0])

    def accepted_prediction_coverage(self) -> dict[str, int]:
        """Per pipeline name: how many accepted documents it has a stored prediction for."""
        rows = self._q(
            "SELECT pr.pipeline, count(DISTINCT pr.document_id) FROM prediction_runs pr "
            "JOIN reviews r ON r.document_id = pr.document_id AND r.state = 'accepted' GROUP BY pr.pipeline"
        )
        return dict(rows.fetchall())

    def prediction_pipelines(self) -> list[tuple[str, str]]:
        """Every (pipeline, version) with a stored prediction, sorted: one index seek each, no scan."""
        found: list[tuple[str, str]] = []
        row = self._q("SELECT pipeline, version FROM prediction_runs ORDER BY pipeline, version LIMIT 1").fetchone()
        while row is not None:
            found.append((row[0], row[1]))
            row = self._q("SELECT pipeline, version FROM prediction_runs WHERE pipeline = ? AND version > ? "
                          "ORDER BY version LIMIT 1", [row[0], row[1]]).fetchone() or self._q(
                "SELECT pipeline, version FROM prediction_runs WHERE pipeline > ? ORDER BY pipeline, version LIMIT 1",
                [found[-1][0]]).fetchone()
        return found

    def prediction_summary(self) -> list[tuple[str, str, int]]:
        rows = self._q("SELECT pipeline, version, count(*) FROM prediction_runs GROUP BY 1, 2 ORDER BY 1, 2")
        return [tuple(r) for r in rows]  # type: ignore[misc]

    def total_chars(self) -> int:
        return int(self._q("SELECT coalesce(sum(length), 0) FROM documents").fetchone()[0])

    # -- bulk reads for export ------------------------------------------------------
    def export_rows(self, ids: Sequence[int], chunk: int = 1000) -> Iterator["ExportRow"]:
        """Everything export needs per document, fetched a chunk of documents at a time.

        Gold and boilerplate are the reviewing annotator's; a document nobody has reviewed
        carries its newest prediction instead (``spans_are_gold`` False).
        """
        for i in range(0, len(ids), chunk):
            part = list(ids[i:i + chunk])
            marks = ",".join("?" * len(part))
            docs = {
                r[0]: Document(r[0], r[1], r[2], r[3], json.loads(r[4]))
                for r in self._q(f"SELECT id, source, text, content_hash, meta FROM documents WHERE id IN ({marks})", part)
            }
            reviews = {
                r[0]: Review(r[0], r[1], r[2], r[3])
                for r in self._q(f"SELECT document_id, state, annotator, updated_at FROM reviews WHERE document_id IN ({marks})", part)
            }
            tokens = {
                r[0]: Tokens.from_bytes(r[1])
                for r in self._q(f"SELECT document_id, tokens FROM document_tokens WHERE document_id IN ({marks})", part)
            }
            gold: dict[int, list[Span]] = {
                r[0]: list(map(make_span, unpack_gold(r[1]))) for r in self._q(
                    "SELECT g.document_id, g.spans FROM gold_layers g "
                    f"JOIN reviews r ON r.document_id = g.document_id AND r.annotator = g.annotator "
                    f"WHERE g.document_id IN ({marks})", part)
            }
            boiler: dict[int, list[Range]] = {}
            for r in self._q(
                "SELECT b.document_id, b.start_char, b.end_char FROM boilerplate b "
                f"JOIN reviews r ON r.document_id = b.document_id AND r.annotator = b.annotator "
                f"WHERE b.document_id IN ({marks}) ORDER BY b.document_id, b.start_char", part
            ):
                boiler.setdefault(r[0], []).append(make_range(r[1:]))
            unreviewed = [d for d in part if d not in reviews or reviews[d].annotator is None]
            predicted: dict[int, list[Span]] = {}
            predictor: dict[int, tuple[str, str]] = {}
            if unreviewed:
                umarks = ",".join("?" * len(unreviewed))
                runs = f"SELECT max(id) FROM prediction_runs WHERE document_id IN ({umarks}) GROUP BY document_id"
                for r in self._q(
                    f"SELECT document_id, pipeline, version, spans FROM prediction_runs WHERE id IN ({runs})", unreviewed
                ):
                    predictor[r[0]] = (r[1], r[2])
                    predicted[r[0]] = [make_span((s, e, label, "model")) for s, e, label in unpack_spans(r[3])]
            for doc_id in part:
                review = reviews.get(doc_id) or Review(doc_id, TODO, None, None)
                is_gold = review.annotator is not None
                yield ExportRow(
                    docs[doc_id], review, tokens.get(doc_id),
                    gold.get(doc_id, []) if is_gold else predicted.get(doc_id, []),
                    boiler.get(doc_id, []) if is_gold else [], is_gold,
                    None if is_gold else predictor.get(doc_id),
                )


@dataclass(frozen=True)
class ExportRow:
    """One document with its review, tokens, current spans and boilerplate."""

    document: Document
    review: Review
    tokens: Tokens | None
    spans: list[Span]
    boilerplate: list[Range]
    spans_are_gold: bool
    predicted_by: tuple[str, str] | None = None  # (pipeline, version) when spans are a prediction
    sessions: tuple[str, ...] = ()  # annotators whose agreeing or adjudicated work the gold stands for
