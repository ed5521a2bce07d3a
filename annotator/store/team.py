"""SQL for team work: assignments, annotators' layers, copying documents between project files,
merged versions and edits, adjudications. Plain functions over a :class:`Store`.

Another project file is read by attaching it to the store's connection read-only (``ATTACH``
with ``mode=ro``): SQLite opens it, nothing else does. Attaching happens outside a
transaction; the writes that follow run inside the caller's ``store.transaction()``.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from pathlib import Path

from annotator.core.merging import EditKey, Version
from annotator.core.packing import unpack_gold
from annotator.core.model import ACCEPTED
from annotator.core.spans import Range
from annotator.core.team import FINAL, Layer
from annotator.core.tokens import Tokens
from annotator.store.connection import readonly_uri, store_error
from annotator.store.store import Store, make_range, make_span

PERSON = "substr({0}.annotator, 1, 1) != '@'"  # an annotator's layer, not the adjudicated one


CHUNK = 2000  # ids per IN (...) list: far below SQLite's limit on bound values


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def _chunks(values: Sequence[object]) -> Iterator[list[object]]:
    for i in range(0, len(values), CHUNK):
        yield list(values[i:i + CHUNK])


def page_cache(store: Store, megabytes: int = 64) -> contextlib.AbstractContextManager[None]:
    """See :meth:`Store.page_cache`."""
    return store.page_cache(megabytes)


# -- assignments ------------------------------------------------------------------------
def unassigned(store: Store) -> list[tuple[int, str]]:
    """(id, content hash) of documents assigned to nobody, by content hash (the same in every copy)."""
    rows = store._q("SELECT id, content_hash FROM documents WHERE id NOT IN (SELECT document_id FROM assignments) "
                    "ORDER BY content_hash")
    return [(r[0], r[1]) for r in rows]


def assign(store: Store, pairs: Iterable[tuple[int, str]], when: str) -> None:
    """Record (document id, annotator) assignments (ones already there stay as they are)."""
    store._many("INSERT OR IGNORE INTO assignments(document_id, annotator, assigned_at) VALUES (?, ?, ?)",
                [(doc, who, when) for doc, who in pairs])


def assigned_ids(store: Store, annotator: str) -> list[int]:
    return [r[0] for r in store._q("SELECT document_id FROM assignments WHERE annotator = ? ORDER BY document_id",
                                   [annotator])]


def reviewing_annotators(store: Store) -> list[str]:
    """Every layer name with a review state here, by name (read from the kept counters: no scan)."""
    return [r[0] for r in store._q("SELECT DISTINCT annotator FROM review_counts WHERE n > 0 ORDER BY annotator")]


def assignment_counts(store: Store) -> dict[str, int]:
    return dict(store._q("SELECT annotator, count(*) FROM assignments GROUP BY annotator ORDER BY annotator").fetchall())


# -- layers -----------------------------------------------------------------------------
def team_document_ids(store: Store, min_annotators: int = 2) -> list[int]:
    """Documents that ``min_annotators`` or more annotators accepted."""
    rows = store._q(f"SELECT document_id FROM annotator_reviews r WHERE state = '{ACCEPTED}' AND {PERSON.format('r')} "
                    "GROUP BY document_id HAVING count(*) >= ? ORDER BY document_id", [min_annotators])
    return [r[0] for r in rows]


def accepted_ids(store: Store) -> list[int]:
    """Documents somebody accepted (an annotator, or an adjudicator their final gold)."""
    rows = store._q(f"SELECT DISTINCT document_id FROM annotator_reviews WHERE state = '{ACCEPTED}' ORDER BY 1")
    return [r[0] for r in rows]


def accepted_layers(store: Store, ids: Sequence[int]) -> dict[int, dict[str, Layer]]:
    """Per document: the accepted layers by layer name (:data:`FINAL` named after its adjudicator)."""
    if not ids:
        return {}
    marks = _marks(ids)
    params = list(ids)
    out: dict[int, dict[str, Layer]] = {}
    names = {r[0]: r[1] for r in store._q(f"SELECT document_id, adjudicator FROM adjudications "
                                          f"WHERE document_id IN ({marks})", params)}
    for doc, who, when in store._q(f"SELECT document_id, annotator, updated_at FROM annotator_reviews "
                                   f"WHERE state = '{ACCEPTED}' AND document_id IN ({marks})", params):
        shown = names.get(doc, FINAL) if who == FINAL else who
        out.setdefault(doc, {})[who] = Layer(shown, [], [], when)
    join = (f"JOIN annotator_reviews r ON r.document_id = x.document_id AND r.annotator = x.annotator "
            f"AND r.state = '{ACCEPTED}' WHERE x.document_id IN ({marks})")
    for doc, who, blob in store._q(f"SELECT x.document_id, x.annotator, x.spans FROM gold_layers x {join}", params):
        out[doc][who].spans.extend(map(make_span, unpack_gold(blob)))
    for doc, who, start, end in store._q(f"SELECT x.document_id, x.annotator, x.start_char, x.end_char "
                                         f"FROM boilerplate x {join} ORDER BY x.document_id, x.annotator, x.start_char",
                                         params):
        out[doc][who].boilerplate.append(Range(start, end))
    return out


def document_person_layers(store: Store, document_id: int) -> list[Layer]:
    """One document's accepted annotators' layers, by name (the adjudication mode's open): each
    layer read by its key (the join of :func:`accepted_layers` over a list of ids costs about 1.5x
    for one document)."""
    people = store._q(f"SELECT annotator, updated_at FROM annotator_reviews WHERE document_id = ? "
                      f"AND state = '{ACCEPTED}' AND {PERSON.format('annotator_reviews')} ORDER BY annotator",
                      [document_id]).fetchall()
    return [Layer(who, store.gold(document_id, who), store.boilerplate(document_id, who), when) for who, when in people]


def document_stamp(store: Store, document_id: int) -> int:
    """The document's change counter (kept by triggers on its gold, boilerplate and reviews, every
    layer): equal stamps mean nothing of its layers changed in between, whichever process wrote."""
    row = store._q("SELECT stamp FROM evaluation_stamps WHERE document_id = ?", [document_id]).fetchone()
    return int(row[0]) if row else 0


def adjudication(store: Store, document_id: int) -> tuple[str, str, str] | None:
    """(adjudicator, started at, updated at) of a document's final gold, or None."""
    row = store._q("SELECT adjudicator, started_at, updated_at FROM adjudications WHERE document_id = ?",
                   [document_id]).fetchone()
    return (row[0], row[1], row[2]) if row else None


def touch_adjudication(store: Store, document_id: int, adjudicator: str, when: str) -> None:
    """Record that ``adjudicator`` worked on the document's final gold at ``when``."""
    store._q("INSERT INTO adjudications(document_id, adjudicator, started_at, updated_at) VALUES (?, ?, ?, ?) "
             "ON CONFLICT(document_id) DO UPDATE SET adjudicator = excluded.adjudicator, updated_at = excluded.updated_at",
             [document_id, adjudicator, when, when])


# -- other project files ----------------------------------------------------------------
@contextlib.contextmanager
def attached(store: Store, path: Path, alias: str = "src") -> Iterator[str]:
    """Attach the project file at ``path`` read-only as schema ``alias`` (outside any transaction).

    A file closed cleanly (no ``-wal`` beside it) is attached as immutable: SQLite then takes no
    lock and creates no ``-shm``/``-wal`` beside the annotator's file. One in use is read normally.
    """
    uri = readonly_uri(path)
    try:
        store.db.conn.execute("ATTACH DATABASE ? AS " + alias, [uri])
    except sqlite3.DatabaseError as exc:
        raise store_error(exc, path) from None
    try:
        yield alias
    finally:
        if store.db.conn.in_transaction:
            store.db.conn.execute("ROLLBACK")
        store.db.conn.execute("DETACH DATABASE " + alias)


def labels_used(store: Store, alias: str) -> set[str]:
    """Every label the attached file's gold uses."""
    return store.used_labels(alias)


def source_page(store: Store, alias: str, after: int, limit: int) -> list[tuple[int, str]]:
    """(id, content hash) of the attached file's documents after id ``after``, a page at a time."""
    rows = store._q(f"SELECT id, content_hash FROM {alias}.documents WHERE id > ? ORDER BY id LIMIT ?", [after, limit])
    return [(r[0], r[1]) for r in rows]


def ids_by_hash(store: Store, hashes: Sequence[str]) -> dict[str, int]:
    """Ids of the documents with these content hashes (those the store has)."""
    out: dict[str, int] = {}
    for part in _chunks(hashes):
        out.update(store._q(f"SELECT content_hash, id FROM documents WHERE content_hash IN ({_marks(part)})", part))
    return out


def copy_documents(store: Store, alias: str, ids: Sequence[int]) -> int:
    """Copy documents ``ids`` of the attached file (text, tokens, every pipeline's predictions) into the
    store, skipping texts it has already; returns how many were new. Run inside a transaction."""
    if not ids:
        return 0
    store._q("CREATE TEMP TABLE IF NOT EXISTS fresh (src_id INTEGER PRIMARY KEY)")
    store._q("DELETE FROM temp.fresh")
    for part in _chunks(ids):
        store._q(f"INSERT OR IGNORE INTO temp.fresh SELECT s.id FROM {alias}.documents s WHERE s.id IN ({_marks(part)}) "
                 "AND NOT EXISTS (SELECT 1 FROM main.documents m WHERE m.content_hash = s.content_hash)", part)
    new = store._q(f"INSERT INTO main.documents(source, text, content_hash, length, meta, created_at) "
                   f"SELECT source, text, content_hash, length, meta, created_at FROM {alias}.documents "
                   "WHERE id IN (SELECT src_id FROM temp.fresh) ORDER BY id").rowcount
    join = (f"JOIN {alias}.documents s ON s.id = x.document_id "
            "JOIN main.documents m ON m.content_hash = s.content_hash")
    fresh = "x.document_id IN (SELECT src_id FROM temp.fresh)"
    store._q(f"INSERT INTO main.document_tokens(document_id, tokenizer, tokens) SELECT m.id, x.tokenizer, x.tokens "
             f"FROM {alias}.document_tokens x {join} WHERE {fresh}")
    store._q(f"INSERT INTO main.prediction_runs(document_id, pipeline, version, created_at, spans, n_spans) "
             f"SELECT m.id, x.pipeline, x.version, x.created_at, x.spans, x.n_spans FROM {alias}.prediction_runs x "
             f"{join} WHERE {fresh} ORDER BY x.id")
    return int(new)


def versions(store: Store, schema: str, ids: Sequence[int], annotators: Sequence[str] | None = None,
             *, spans: bool = True, edits: bool = True) -> dict[tuple[int, str], Version]:
    """Annotators' versions (state, spans, boilerplate, edit keys) of documents ``ids`` in ``schema``
    (only ``annotators``' when given); without ``spans`` only how many spans and ranges each has,
    without ``edits`` no edit keys."""
    out: dict[tuple[int, str], Version] = {}
    if not ids:
        return out
    where, params = f"x.document_id IN ({_marks(ids)}) AND {PERSON.format('x')}", list(ids)
    if annotators is not None:
        where += f" AND x.annotator IN ({_marks(annotators)})"
        params += list(annotators)

    def get(doc: int, who: str) -> Version:
        found = out.get((doc, who))
        if found is None:
            found = out[(doc, who)] = Version()
        return found

    for doc, who, state, when in store._q(
            f"SELECT document_id, annotator, state, updated_at FROM {schema}.annotator_reviews x WHERE {where}", params):
        version = get(doc, who)
        version.state, version.updated_at = state, when
    if spans:
        _read_spans(store, schema, where, params, get)
    else:
        for table, count in (("gold_layers", "sum(n_spans)"), ("boilerplate", "count(*)")):
            for doc, who, n in store._q(f"SELECT document_id, annotator, {count} FROM {schema}.{table} x "
                                        f"WHERE {where} GROUP BY 1, 2", params):
                version = get(doc, who)
                version.stored = (version.stored or 0) + n
        for version in out.values():
            version.stored = version.stored or 0
    if not edits:  # still list the layers that only have log entries: a layer emptied since (a retraction)
        for doc, who in store._q(f"SELECT DISTINCT document_id, annotator FROM {schema}.edits x "
                                 f"WHERE {where} AND x.annotator IS NOT NULL", params):
            version = get(doc, who)
            if version.stored is None and not spans:
                version.stored = 0
        return out
    current, found = None, []
    for doc, who, when, action, payload in store._q(
            f"SELECT document_id, annotator, created_at, action, payload FROM {schema}.edits x "
            f"WHERE {where} AND x.annotator IS NOT NULL ORDER BY document_id, annotator, id", params):
        if (doc, who) != current:
            current = (doc, who)
            found = get(doc, who).edits
        found.append((when, action, payload))
    return out


def _read_spans(store: Store, schema: str, where: str, params: list[object], get: Any) -> None:
    for doc, who, blob in store._q(f"SELECT document_id, annotator, spans FROM {schema}.gold_layers x WHERE {where}",
                                   params):
        get(doc, who).spans.extend(map(make_span, unpack_gold(blob)))
    for row in store._q(f"SELECT document_id, annotator, start_char, end_char FROM {schema}.boilerplate x "
                        f"WHERE {where} ORDER BY document_id, start_char", params):
        get(row[0], row[1]).boilerplate.append(make_range(row[2:]))


def copy_versions(store: Store, alias: str, picks: Sequence[tuple[int, int, str, bool, bool]],
                  replace: set[tuple[int, str]]) -> int:
    """Copy annotators' layers and edit logs from the attached file, in SQL (inside a transaction).

    ``picks`` are (file document, project document, annotator, copy the layer, copy the edit log).
    A copied layer replaces the project's (spans, boilerplate, review state; the pairs in
    ``replace`` have spans or boilerplate to remove first). Returns the edit-log entries copied.
    """
    if not picks:
        return 0
    store._q("CREATE TEMP TABLE IF NOT EXISTS pick (src INTEGER, dst INTEGER, annotator TEXT, layer INTEGER, "
             "edits INTEGER)")
    store._q("DELETE FROM temp.pick")
    store._many("INSERT INTO temp.pick(src, dst, annotator, layer, edits) VALUES (?, ?, ?, ?, ?)", picks)
    pairs = [(dst, who) for _, dst, who, layer, _ in picks if layer and (dst, who) in replace]
    if pairs:
        store._many("DELETE FROM gold_layers WHERE document_id = ? AND annotator = ?", pairs)
        store._many("DELETE FROM boilerplate WHERE document_id = ? AND annotator = ?", pairs)
    join = "FROM temp.pick p JOIN {0}.{1} x ON x.document_id = p.src AND x.annotator = p.annotator WHERE p.{2}"
    store._q("INSERT INTO main.gold_layers(document_id, annotator, spans, n_spans, labels) "
             f"SELECT p.dst, x.annotator, x.spans, x.n_spans, x.labels "
             f"{join.format(alias, 'gold_layers', 'layer')} ORDER BY p.dst")
    store._q("INSERT INTO main.boilerplate(document_id, annotator, start_char, end_char) "
             f"SELECT p.dst, x.annotator, x.start_char, x.end_char {join.format(alias, 'boilerplate', 'layer')} "
             "ORDER BY p.dst, x.start_char")
    store._q("DELETE FROM main.annotator_reviews WHERE (document_id, annotator) IN (SELECT p.dst, p.annotator "
             f"FROM temp.pick p WHERE p.layer AND NOT EXISTS (SELECT 1 FROM {alias}.annotator_reviews x "
             "WHERE x.document_id = p.src AND x.annotator = p.annotator))")
    store._q("INSERT INTO main.annotator_reviews(document_id, annotator, state, updated_at) "
             f"SELECT p.dst, x.annotator, x.state, x.updated_at {join.format(alias, 'annotator_reviews', 'layer')} "
             "ON CONFLICT(document_id, annotator) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at")
    return int(store._q("INSERT INTO main.edits(document_id, annotator, action, payload, created_at) "
                        f"SELECT p.dst, x.annotator, x.action, x.payload, x.created_at "
                        f"{join.format(alias, 'edits', 'edits')} ORDER BY x.id").rowcount)


def write_versions(store: Store, items: Sequence[tuple[int, str, Version]], replace: set[tuple[int, str]]) -> None:
    """Make each (document, annotator) layer exactly ``version`` (inside a transaction); the pairs in
    ``replace`` have spans or boilerplate in the store already, which go."""
    if not items:
        return
    pairs = [(doc, who) for doc, who, _ in items if (doc, who) in replace]
    if pairs:
        store._many("DELETE FROM gold_layers WHERE document_id = ? AND annotator = ?", pairs)
        store._many("DELETE FROM boilerplate WHERE document_id = ? AND annotator = ?", pairs)
    store.set_gold_layers((doc, who, v.spans) for doc, who, v in items if v.spans)
    store._many("INSERT INTO boilerplate(document_id, annotator, start_char, end_char) VALUES (?, ?, ?, ?)",
                [(doc, who, r.start, r.end) for doc, who, v in items for r in v.boilerplate])
    store._many("DELETE FROM annotator_reviews WHERE document_id = ? AND annotator = ?",
                [(doc, who) for doc, who, v in items if v.state is None])
    store._many("INSERT INTO annotator_reviews(document_id, annotator, state, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(document_id, annotator) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                [(doc, who, v.state, v.updated_at) for doc, who, v in items if v.state is not None])


def add_edits(store: Store, rows: Sequence[tuple[int, str, EditKey]]) -> None:
    """Append edit-log entries (document id, annotator, (created at, action, payload))."""
    store._many("INSERT INTO edits(document_id, annotator, action, payload, created_at) VALUES (?, ?, ?, ?, ?)",
                [(doc, who, key[1], key[2], key[0]) for doc, who, key in rows])


def layer(store: Store, document_id: int, annotator: str) -> Layer:
    """One layer of a document whatever its state (its review time as ``updated_at``)."""
    review = store.review(document_id, annotator)
    return Layer(annotator, store.gold(document_id, annotator), store.boilerplate(document_id, annotator),
                 review.updated_at)



def accepted_counts(store: Store, ids: Sequence[int]) -> dict[int, int]:
    """Per document: how many layers (annotators', and the final one) are accepted."""
    if not ids:
        return {}
    rows = store._q(f"SELECT document_id, count(*) FROM annotator_reviews WHERE state = '{ACCEPTED}' "
                    f"AND document_id IN ({_marks(ids)}) GROUP BY document_id", list(ids))
    return dict(rows.fetchall())


def person_layers(store: Store, ids: Sequence[int], annotator: str | None = None,
                  accepted_only: bool = True) -> dict[int, list[tuple[str, str, Layer]]]:
    """Per document: (annotator, state, layer) of each annotator's layer (or only ``annotator``'s),
    accepted ones or those in any state, by annotator name."""
    if not ids:
        return {}
    marks, params = _marks(ids), list(ids)
    where = f"x.document_id IN ({marks}) AND {PERSON.format('x')}"
    if annotator is not None:
        where += " AND x.annotator = ?"
        params.append(annotator)
    reviews = f"{where} AND x.state = '{ACCEPTED}'" if accepted_only else where
    found: dict[tuple[int, str], tuple[str, Layer]] = {}
    for doc, who, state, when in store._q(f"SELECT document_id, annotator, state, updated_at FROM annotator_reviews x "
                                          f"WHERE {reviews} ORDER BY document_id, annotator", params):
        found[(doc, who)] = (state, Layer(who, [], [], when))
    for doc, who, blob in store._q(f"SELECT document_id, annotator, spans FROM gold_layers x WHERE {where}", params):
        if (doc, who) in found:
            found[(doc, who)][1].spans.extend(map(make_span, unpack_gold(blob)))
    for row in store._q(f"SELECT document_id, annotator, start_char, end_char FROM boilerplate x "
                        f"WHERE {where} ORDER BY document_id, start_char", params):
        if (row[0], row[1]) in found:
            found[(row[0], row[1])][1].boilerplate.append(make_range(row[2:]))
    out: dict[int, list[tuple[str, str, Layer]]] = {}
    for (doc, who), (state, lay) in found.items():
        out.setdefault(doc, []).append((who, state, lay))
    return out


def ids_with_layers(store: Store, annotator: str | None = None, accepted_only: bool = True) -> list[int]:
    """Documents where an annotator (or ``annotator``) has a review state (accepted, or any)."""
    where = [PERSON.format("x")]
    params: list[object] = []
    if annotator is not None:
        where.append("x.annotator = ?")
        params.append(annotator)
    if accepted_only:
        where.append(f"x.state = '{ACCEPTED}'")
    rows = store._q(f"SELECT DISTINCT document_id FROM annotator_reviews x WHERE {' AND '.join(where)} ORDER BY 1",
                    params)
    return [r[0] for r in rows]


def sources(store: Store, ids: Sequence[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for part in _chunks(ids):
        out.update(store._q(f"SELECT id, source FROM documents WHERE id IN ({_marks(part)})", part))
    return out


def texts_and_tokens(store: Store, ids: Sequence[int]) -> dict[int, tuple[str, str, Tokens | None]]:
    """(source, text, stored tokens) of documents ``ids`` (at most :data:`CHUNK`)."""
    if not ids:
        return {}
    rows = store._q(f"SELECT d.id, d.source, d.text, t.tokens FROM documents d LEFT JOIN document_tokens t "
                    f"ON t.document_id = d.id WHERE d.id IN ({_marks(ids)})", list(ids))
    return {r[0]: (r[1], r[2], Tokens.from_bytes(r[3]) if r[3] is not None else None) for r in rows}


def assigned_document_ids(store: Store, annotator: str, states: Sequence[str] | None = None) -> list[int]:
    """Ids of the documents assigned to ``annotator`` in import order, optionally only those in
    ``states`` of the annotator's own review (todo when they have none)."""
    sql = ("SELECT a.document_id FROM assignments a LEFT JOIN annotator_reviews r ON r.document_id = a.document_id "
           "AND r.annotator = a.annotator WHERE a.annotator = ?")
    params: list[object] = [annotator]
    if states is not None:
        sql += f" AND coalesce(r.state, 'todo') IN ({_marks(states)})"
        params += list(states)
    return [r[0] for r in store._q(sql + " ORDER BY a.document_id", params)]
