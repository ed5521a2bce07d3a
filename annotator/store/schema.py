"""The database schema, as sqlite-utils Migrations. Append new steps; never edit old ones.

The steps are declared here without importing sqlite-utils (``migrations`` records them and
builds the sqlite-utils :class:`~sqlite_utils.migrations.Migrations` the first time it is
asked for more than their names): opening an up-to-date database reads the applied names
with a plain SELECT (annotator.store.connection) and the window's first document is shown
before sqlite-utils loads. Applying a step is done by sqlite-utils, as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

MIGRATION_SET = "annotator"


class DeclaredMigrations:
    """sqlite-utils' ``Migrations`` declared lazily: ``@migrations(name=...)`` records a step, and
    :attr:`names` lists them without sqlite-utils; anything else (``apply``, ``pending``,
    ``_migrations``) goes to the real ``Migrations``, built on first use with every step in order."""

    def __init__(self, name: str):
        self.name = name
        self._steps: list[tuple[str, Callable[..., None], bool]] = []
        self._real: Migrations | None = None

    def __call__(self, *, name: str | None = None, transactional: bool = True) -> Callable[[Any], Any]:
        def inner(func: Callable[..., None]) -> Callable[..., None]:
            step = name or func.__name__
            if self._real is not None:
                raise RuntimeError(f"migration {step!r} declared after the migrations were built")
            if any(s[0] == step for s in self._steps):
                raise ValueError(f"Migration '{step}' is already registered in set '{self.name}'")
            self._steps.append((step, func, transactional))
            return func

        return inner

    @property
    def names(self) -> list[str]:
        return [s[0] for s in self._steps]

    @property
    def real(self) -> Migrations:
        """The sqlite-utils ``Migrations`` holding every declared step (imports sqlite-utils)."""
        if self._real is None:
            from annotator.store.connection import import_sqlite_utils

            import_sqlite_utils()
            from sqlite_utils.migrations import Migrations

            real = Migrations(self.name)
            for step, func, transactional in self._steps:
                real(name=step, transactional=transactional)(func)
            self._real = real
        return self._real

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(self.real, attr)


migrations = DeclaredMigrations(MIGRATION_SET)


def __getattr__(name: str) -> Any:  # ``schema.Migrations``, as before, imported when asked for
    if name == "Migrations":
        from annotator.store.connection import import_sqlite_utils

        import_sqlite_utils()
        from sqlite_utils.migrations import Migrations

        return Migrations
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@migrations(name="0001_initial")
def initial(db: Database) -> None:
    """Documents, predictions, gold, boilerplate, review state, edit log and settings."""
    db.executescript(
        """
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            text TEXT NOT NULL,
            content_hash TEXT NOT NULL UNIQUE,
            length INTEGER NOT NULL,
            meta TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL
        );
        CREATE TABLE document_tokens (
            document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
            tokenizer TEXT NOT NULL,
            tokens BLOB NOT NULL
        );
        CREATE TABLE prediction_runs (
            id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            pipeline TEXT NOT NULL,
            version TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (document_id, pipeline, version)
        );
        CREATE TABLE predictions (
            run_id INTEGER NOT NULL REFERENCES prediction_runs(id) ON DELETE CASCADE,
            start_char INTEGER NOT NULL,
            end_char INTEGER NOT NULL,
            label TEXT NOT NULL,
            CHECK (start_char < end_char)
        );
        CREATE INDEX predictions_run ON predictions(run_id);
        CREATE TABLE gold_spans (
            id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            annotator TEXT NOT NULL,
            start_char INTEGER NOT NULL,
            end_char INTEGER NOT NULL,
            label TEXT NOT NULL,
            origin TEXT NOT NULL CHECK (origin IN ('model', 'human')),
            CHECK (start_char < end_char)
        );
        CREATE INDEX gold_spans_doc ON gold_spans(document_id, annotator, start_char);
        CREATE INDEX gold_spans_label ON gold_spans(label);
        CREATE TABLE boilerplate (
            id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            annotator TEXT NOT NULL,
            start_char INTEGER NOT NULL,
            end_char INTEGER NOT NULL,
            CHECK (start_char < end_char)
        );
        CREATE INDEX boilerplate_doc ON boilerplate(document_id, annotator, start_char);
        CREATE TABLE reviews (
            document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
            state TEXT NOT NULL CHECK (state IN ('todo', 'in_progress', 'accepted', 'skipped')),
            annotator TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX reviews_state ON reviews(state);
        CREATE TABLE edits (
            id INTEGER PRIMARY KEY,
            document_id INTEGER REFERENCES documents(id),
            annotator TEXT,
            action TEXT NOT NULL,
            payload TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL
        );
        CREATE INDEX edits_doc ON edits(document_id);
        CREATE TRIGGER edits_no_update BEFORE UPDATE ON edits
            BEGIN SELECT RAISE(ABORT, 'the edit log is append-only'); END;
        CREATE TRIGGER edits_no_delete BEFORE DELETE ON edits
            BEGIN SELECT RAISE(ABORT, 'the edit log is append-only'); END;
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """
    )


@migrations(name="0002_fulltext_search")
def fulltext_search(db: Database) -> None:
    """FTS5 index over document text (external content: the text is not stored twice)."""
    db.executescript(
        """
        CREATE VIRTUAL TABLE documents_fts USING fts5(text, content='documents', content_rowid='id');
        INSERT INTO documents_fts(rowid, text) SELECT id, text FROM documents;
        CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN
            INSERT INTO documents_fts(rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN
            INSERT INTO documents_fts(documents_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        """
    )


@migrations(name="0003_project_identity")
def project_identity(db: Database) -> None:
    """A random id that names the project (copies and annotators' files share it)."""
    import uuid

    db.execute("INSERT OR IGNORE INTO settings(key, value) VALUES ('project_id', ?)", [str(uuid.uuid4())])


@migrations(name="0004_compact_storage")
def compact_storage(db: Database) -> None:
    """Predictions as one packed blob per run, tokens as packed gap/length arrays.

    A news document's 100 predicted spans were 100 rows (plus an index); its tokens 8 bytes
    each. Every span and token is kept: the rows are read in key order, packed, and the old
    table dropped (the database is backed up before this runs).
    """
    from annotator.core.packing import pack_spans, pack_tokens, unpack_tokens

    conn = db.conn
    conn.execute("ALTER TABLE prediction_runs ADD COLUMN spans BLOB")
    conn.execute("ALTER TABLE prediction_runs ADD COLUMN n_spans INTEGER NOT NULL DEFAULT 0")
    last = 0
    while True:
        runs = [r[0] for r in conn.execute("SELECT id FROM prediction_runs WHERE id > ? ORDER BY id LIMIT 2000", [last])]
        if not runs:
            break
        marks = ",".join("?" * len(runs))
        grouped: dict[int, list[tuple[int, int, str]]] = {run: [] for run in runs}
        for run, start, end, label in conn.execute(
            f"SELECT run_id, start_char, end_char, label FROM predictions WHERE run_id IN ({marks})", runs
        ):
            grouped[run].append((start, end, label))
        conn.executemany("UPDATE prediction_runs SET spans = ?, n_spans = ? WHERE id = ?",
                         [(pack_spans(spans), len(spans), run) for run, spans in grouped.items()])
        last = runs[-1]
    conn.execute("DROP INDEX predictions_run")
    conn.execute("DROP TABLE predictions")
    last = 0
    while True:
        rows = conn.execute("SELECT document_id, tokens FROM document_tokens WHERE document_id > ? "
                            "ORDER BY document_id LIMIT 2000", [last]).fetchall()
        if not rows:
            break
        conn.executemany("UPDATE document_tokens SET tokens = ? WHERE document_id = ?",
                         [(pack_tokens(*unpack_tokens(blob)), doc_id) for doc_id, blob in rows])
        last = rows[-1][0]


@migrations(name="0005_deferred_search_index")
def deferred_search_index(db: Database) -> None:
    """Full-text index and repeated-line counts built after import, in batches.

    Indexing each row as it was inserted was 84 % of an import's time. Documents with ids up
    to the ``indexed_upto`` setting are in ``documents_fts`` and counted in ``line_counts``
    (how many documents hold each short line, keyed by a hash: the boilerplate rule
    "also in another document" reads these instead of the corpus); later ones are indexed by
    :meth:`annotator.store.Store.index_batch`, and searched by scanning until then.
    """
    from annotator.core.boilerplate import line_key, short_line_norms

    conn = db.conn
    conn.execute("DROP TRIGGER documents_fts_insert")
    conn.execute("DROP TRIGGER documents_fts_delete")
    conn.execute("CREATE TABLE line_counts (hash INTEGER PRIMARY KEY, documents INTEGER NOT NULL)")
    counts: dict[int, int] = {}
    last = 0
    while True:
        rows = conn.execute("SELECT id, text FROM documents WHERE id > ? ORDER BY id LIMIT 2000", [last]).fetchall()
        if not rows:
            break
        for _, text in rows:
            for norm in short_line_norms(text):
                key = line_key(norm)
                counts[key] = counts.get(key, 0) + 1
        last = rows[-1][0]
    conn.executemany("INSERT INTO line_counts(hash, documents) VALUES (?, ?)", counts.items())
    conn.execute("INSERT INTO settings(key, value) VALUES ('indexed_upto', ?) "
                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value", [str(last)])
    conn.execute(
        "CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents "
        "WHEN old.id <= (SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'indexed_upto') BEGIN "
        "INSERT INTO documents_fts(documents_fts, rowid, text) VALUES ('delete', old.id, old.text); END"
    )


@migrations(name="0006_counts_and_flags")
def counts_and_flags(db: Database) -> None:
    """Counts kept up to date where the data changes, and documents flagged "unsure" with a note.

    ``review_counts`` holds, per annotator and state, how many documents are in it and
    ``document_count`` how many documents there are, so the window shows "12 / 50 accepted"
    and the size of every state filter without counting 500,000 rows. ``flags`` holds one
    flag per document and annotator (e.g. unsure) with an optional note for the lead.
    """
    db.executescript(
        """
        CREATE TABLE document_count (n INTEGER NOT NULL);
        INSERT INTO document_count SELECT count(*) FROM documents;
        CREATE TRIGGER document_count_insert AFTER INSERT ON documents BEGIN
            UPDATE document_count SET n = n + 1;
        END;
        CREATE TRIGGER document_count_delete AFTER DELETE ON documents BEGIN
            UPDATE document_count SET n = n - 1;
        END;
        CREATE TABLE flags (
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            annotator TEXT NOT NULL,
            flag TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL,
            PRIMARY KEY (document_id, annotator)
        );
        CREATE INDEX flags_annotator ON flags(annotator, document_id);
        """
    )


@migrations(name="0007_dismissed_suggestions")
def dismissed_suggestions(db: Database) -> None:
    """Boilerplate suggestions a reviewer dismissed, so they are not offered again."""
    db.executescript(
        """
        CREATE TABLE dismissed_suggestions (
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            annotator TEXT NOT NULL,
            start_char INTEGER NOT NULL,
            end_char INTEGER NOT NULL,
            PRIMARY KEY (document_id, annotator, start_char, end_char)
        ) WITHOUT ROWID;
        """
    )


@migrations(name="0008_bulk_changes")
def bulk_changes(db: Database) -> None:
    """Corpus-wide edits recorded document by document, so undo and redo read them back from
    here instead of holding them in memory (annotator.store.bulk)."""
    db.executescript(
        """
        CREATE TABLE bulk_changes (
            id INTEGER PRIMARY KEY,
            annotator TEXT NOT NULL,
            description TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('applied', 'undone')),
            created_at TEXT NOT NULL
        );
        CREATE TABLE bulk_change_documents (
            change_id INTEGER NOT NULL REFERENCES bulk_changes(id) ON DELETE CASCADE,
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            started_before INTEGER NOT NULL,
            removed TEXT NOT NULL,
            added TEXT NOT NULL,
            PRIMARY KEY (change_id, document_id)
        ) WITHOUT ROWID;
        """
    )


# -- team annotation (issue 9) ---------------------------------------------------------
_LATEST_REVIEW = """
        DELETE FROM reviews WHERE document_id = {ref}.document_id;
        INSERT INTO reviews(document_id, state, annotator, updated_at)
            SELECT document_id, state, annotator, updated_at FROM annotator_reviews
            WHERE document_id = {ref}.document_id
              AND EXISTS (SELECT 1 FROM documents WHERE id = {ref}.document_id)
            ORDER BY updated_at DESC, id DESC LIMIT 1;
"""


@migrations(name="0010_team_reviews")
def team_reviews(db: Database) -> None:
    """Review state per annotator, assignments, and an index to find an annotator's edits.

    ``annotator_reviews`` holds one row per (document, annotator): each annotator's own
    state of a document, which merged work needs. ``reviews`` stays, one row per document,
    as the document's latest review (the row of ``annotator_reviews`` updated last, kept by
    triggers), so lists, filters and counts read it as before. Existing rows move over as
    they are; a row without an annotator stays in ``reviews`` only.
    """
    db.executescript(
        f"""
        CREATE TABLE annotator_reviews (
            id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            annotator TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('todo', 'in_progress', 'accepted', 'skipped')),
            updated_at TEXT NOT NULL,
            UNIQUE (document_id, annotator)
        );
        CREATE INDEX annotator_reviews_state ON annotator_reviews(state, document_id);
        INSERT INTO annotator_reviews(document_id, annotator, state, updated_at)
            SELECT document_id, annotator, state, updated_at FROM reviews WHERE annotator IS NOT NULL
            ORDER BY updated_at, document_id;
        CREATE TRIGGER annotator_reviews_insert AFTER INSERT ON annotator_reviews BEGIN
            {_LATEST_REVIEW.format(ref="new")}
        END;
        CREATE TRIGGER annotator_reviews_update AFTER UPDATE ON annotator_reviews BEGIN
            {_LATEST_REVIEW.format(ref="new")}
        END;
        CREATE TRIGGER annotator_reviews_delete AFTER DELETE ON annotator_reviews BEGIN
            {_LATEST_REVIEW.format(ref="old")}
        END;
        CREATE TABLE assignments (
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            annotator TEXT NOT NULL,
            assigned_at TEXT NOT NULL,
            PRIMARY KEY (document_id, annotator)
        );
        CREATE INDEX assignments_annotator ON assignments(annotator, document_id);
        CREATE INDEX edits_doc_annotator ON edits(document_id, annotator, created_at);
        DROP INDEX edits_doc;  -- edits_doc_annotator serves every lookup by document
        """
    )


@migrations(name="0011_adjudication")
def adjudication(db: Database) -> None:
    """Who adjudicated a document and when; the final gold itself is the ``@final`` layer of
    ``gold_spans``/``boilerplate`` and its state the ``@final`` row of ``annotator_reviews``."""
    db.executescript(
        """
        CREATE TABLE adjudications (
            document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
            adjudicator TEXT NOT NULL,
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """
    )


@migrations(name="0012_review_counts")
def review_counts(db: Database) -> None:
    """How many documents each annotator has in each review state, kept by triggers (a
    document with no row of an annotator's is theirs to do: total minus the others)."""
    db.executescript(
        """
        CREATE TABLE review_counts (
            annotator TEXT NOT NULL,
            state TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (annotator, state)
        ) WITHOUT ROWID;
        INSERT INTO review_counts SELECT annotator, state, count(*) FROM annotator_reviews GROUP BY 1, 2;
        CREATE TRIGGER review_counts_insert AFTER INSERT ON annotator_reviews BEGIN
            INSERT INTO review_counts(annotator, state, n) VALUES (new.annotator, new.state, 1)
                ON CONFLICT(annotator, state) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER review_counts_delete AFTER DELETE ON annotator_reviews BEGIN
            UPDATE review_counts SET n = n - 1 WHERE annotator = old.annotator AND state = old.state;
        END;
        CREATE TRIGGER review_counts_update AFTER UPDATE OF state, annotator ON annotator_reviews BEGIN
            UPDATE review_counts SET n = n - 1 WHERE annotator = old.annotator AND state = old.state;
            INSERT INTO review_counts(annotator, state, n) VALUES (new.annotator, new.state, 1)
                ON CONFLICT(annotator, state) DO UPDATE SET n = n + 1;
        END;
        CREATE INDEX annotator_reviews_own ON annotator_reviews(annotator, state, document_id);
        """
    )


def known_migration_names() -> list[str]:
    """Names of every migration this version of annotator knows, in order."""
    return migrations.names


@migrations(name="0020_training_splits")
def training_splits(db: Database) -> None:
    """Each gold document's train/dev split, fixed when it first became gold (it never moves).

    Documents already accepted get theirs now, with the default seed and dev fraction.
    """
    from annotator.core.splits import DEFAULT_DEV_FRACTION, DEFAULT_SPLIT_SEED, split_for

    # one statement at a time: executescript() would commit the migration's transaction
    db.execute(
        """
        CREATE TABLE training_splits (
            document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
            split TEXT NOT NULL CHECK (split IN ('train', 'dev')),
            dev_fraction REAL NOT NULL,
            assigned_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX training_splits_split ON training_splits(split)")
    db.execute(
        "CREATE TRIGGER training_splits_fixed BEFORE UPDATE ON training_splits "
        "BEGIN SELECT RAISE(ABORT, 'a document''s train/dev split never changes'); END"
    )
    db.execute("INSERT OR IGNORE INTO settings(key, value) VALUES ('split_seed', ?)", [DEFAULT_SPLIT_SEED])
    db.execute("INSERT OR IGNORE INTO settings(key, value) VALUES ('dev_fraction', ?)", [repr(DEFAULT_DEV_FRACTION)])
    rows = db.execute(
        "SELECT d.id, d.content_hash, r.updated_at FROM documents d JOIN reviews r ON r.document_id = d.id "
        "WHERE r.state = 'accepted'"
    ).fetchall()
    db.conn.executemany(
        "INSERT INTO training_splits(document_id, split, dev_fraction, assigned_at) VALUES (?, ?, ?, ?)",
        [(doc_id, split_for(content_hash, DEFAULT_SPLIT_SEED, DEFAULT_DEV_FRACTION), DEFAULT_DEV_FRACTION, when)
         for doc_id, content_hash, when in rows],
    )


@migrations(name="0021_trained_models")
def trained_models(db: Database) -> None:
    """Pipelines trained on the project's gold: identity, where, from what, on which gold, how good."""
    db.execute(
        """
        CREATE TABLE trained_models (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            version TEXT NOT NULL,
            path TEXT NOT NULL,
            base TEXT NOT NULL,
            gold_snapshot TEXT NOT NULL,
            steps INTEGER NOT NULL,
            seed INTEGER NOT NULL,
            train_documents INTEGER NOT NULL,
            dev_documents INTEGER NOT NULL,
            rehearsal_documents INTEGER NOT NULL,
            scores TEXT NOT NULL,
            settings TEXT NOT NULL DEFAULT '{}',
            created_by TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (name, version)
        )
        """
    )


@migrations(name="0030_prediction_pipelines")
def prediction_pipelines(db: Database) -> None:
    """An index of the pipelines that predicted: the window lists them (its reference selector,
    the disagreement order) with one index seek per pipeline instead of a scan of every run."""
    db.execute("CREATE INDEX prediction_runs_pipeline ON prediction_runs(pipeline, version)")


# Tables whose rows make a document's gold, tokens or predictions: a change to any of them
# invalidates the document's cached evaluation scores.
_EVALUATED_FROM = ("gold_spans", "boilerplate", "reviews", "annotator_reviews", "adjudications", "document_tokens",
                   "prediction_runs")
_BUMP = ("INSERT INTO evaluation_stamps(document_id, stamp) VALUES ({ref}.document_id, 1) "
         "ON CONFLICT(document_id) DO UPDATE SET stamp = stamp + 1;")


@migrations(name="0040_evaluation_cache")
def evaluation_cache(db: Database) -> None:
    """Each document's evaluation score, kept while its inputs stay as they were.

    ``evaluation_stamps`` counts the changes to a document's gold, boilerplate, reviews,
    adjudication, tokens and predictions (triggers on each of those tables); a row of
    ``evaluation_cache`` is valid while its ``stamp`` equals the document's (no row: 0).
    ``run_id`` is the prediction run scored (the window, which scores each document's newest
    prediction, and ``annotator evaluate``, one pipeline's, share a score when that is the
    same run); ``counts``
    packed (key id, count) pairs of uint32, the keys named in ``evaluation_keys``, so many
    documents' counts add up in one vector operation; the disagreements apart, read only while
    the evaluation still lists them. Nothing to carry over: the cache fills the next time the
    gold is evaluated.
    """
    db.execute(
        # no foreign key: the triggers of a deleted document's cascading rows still bump it
        "CREATE TABLE evaluation_stamps (document_id INTEGER PRIMARY KEY, stamp INTEGER NOT NULL)"
    )
    db.execute("CREATE TABLE evaluation_keys (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE)")
    db.execute(
        """
        CREATE TABLE evaluation_cache (
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            run_id INTEGER NOT NULL,
            stamp INTEGER NOT NULL,
            gold_kind TEXT NOT NULL,
            predicted_by TEXT NOT NULL,
            counts BLOB NOT NULL,
            disagreements INTEGER NOT NULL,
            PRIMARY KEY (document_id, run_id)
        ) WITHOUT ROWID
        """
    )
    db.execute(
        """
        CREATE TABLE evaluation_disagreements (
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            run_id INTEGER NOT NULL,
            found TEXT NOT NULL,
            PRIMARY KEY (document_id, run_id)
        ) WITHOUT ROWID
        """
    )
    for table in _EVALUATED_FROM:
        _stamp_triggers(db, table)


@migrations(name="0050_packed_gold")
def packed_gold(db: Database) -> None:
    """An annotator's gold of a document becomes one row, its spans packed
    (:func:`annotator.core.packing.pack_gold`), instead of a row per span.

    A first edit copies the model's ~100 spans into the gold: as rows, a relabel starting
    8,000 documents wrote and an undo deleted ~830k of them (each with two indexes and a stamp
    trigger), and the first evaluation read every accepted span as a row. Now it is one row per
    document. ``n_spans`` (never 0: a layer without spans has no row, as before) counts for the
    document list; ``labels`` lists the layer's labels for "which labels are used".

    Every span is carried over, in its layer, with its label and origin, and the document's
    evaluation stamp is kept (the layer did not change, so a kept score stays valid). The
    ``gold_spans`` table and its triggers go.
    """
    from annotator.core.packing import gold_row

    db.execute(
        """
        CREATE TABLE gold_layers (
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            annotator TEXT NOT NULL,
            spans BLOB NOT NULL,
            n_spans INTEGER NOT NULL CHECK (n_spans > 0),
            labels TEXT NOT NULL,
            PRIMARY KEY (document_id, annotator)
        ) WITHOUT ROWID
        """
    )
    conn = db.conn
    insert = ("INSERT INTO gold_layers(document_id, annotator, spans, n_spans, labels) VALUES (?, ?, ?, ?, ?)")
    batch: list[tuple[int, str, bytes, int, str]] = []
    current: tuple[int, str] | None = None
    spans: list[tuple[int, int, str, str]] = []

    def close_layer() -> None:
        if current is not None and spans:
            batch.append((current[0], current[1], *gold_row(spans)))

    rows = conn.execute("SELECT document_id, annotator, start_char, end_char, label, origin FROM gold_spans "
                        "ORDER BY document_id, annotator, start_char")
    while True:
        page = rows.fetchmany(10_000)
        if not page:
            break
        for doc, who, start, end, label, origin in page:
            if (doc, who) != current:
                close_layer()
                current, spans = (doc, who), []
            spans.append((start, end, label, origin))
        if len(batch) >= 1000:
            conn.executemany(insert, batch)
            batch.clear()
    close_layer()
    conn.executemany(insert, batch)
    db.execute("DROP TABLE gold_spans")  # its indexes and triggers with it
    _stamp_triggers(db, "gold_layers")


def _stamp_triggers(db: Database, table: str) -> None:
    """The evaluation-stamp triggers of migration 0040 on ``table``."""
    db.execute(f"CREATE TRIGGER evaluation_stamp_{table}_insert AFTER INSERT ON {table} BEGIN "
               f"{_BUMP.format(ref='new')} END")
    db.execute(f"CREATE TRIGGER evaluation_stamp_{table}_delete AFTER DELETE ON {table} BEGIN "
               f"{_BUMP.format(ref='old')} END")
    db.execute(f"CREATE TRIGGER evaluation_stamp_{table}_update AFTER UPDATE ON {table} BEGIN "
               f"{_BUMP.format(ref='old')} {_BUMP.format(ref='new')} END")


@migrations(name="0051_latest_review_upsert")
def latest_review_upsert(db: Database) -> None:
    """A review row inserted updates the document's latest review in one upsert.

    ``reviews`` holds each document's latest row of ``annotator_reviews`` (0010). On an insert
    the trigger deleted that row and chose the latest again with a sorted read: the new row is
    the latest unless the kept one is newer (a tie goes to the new row, the higher id, as the
    sorted read gave it). A relabel that starts 8,000 documents inserts 8,000 review rows; this
    took ~40 % off their cost. A row kept without an annotator (from before 0010) gives way, as
    it did. Updates and deletes keep their triggers.
    """
    db.execute("DROP TRIGGER annotator_reviews_insert")
    db.execute(
        """
        CREATE TRIGGER annotator_reviews_insert AFTER INSERT ON annotator_reviews BEGIN
            INSERT INTO reviews(document_id, state, annotator, updated_at)
                SELECT new.document_id, new.state, new.annotator, new.updated_at
                WHERE EXISTS (SELECT 1 FROM documents WHERE id = new.document_id)
                ON CONFLICT(document_id) DO UPDATE SET state = excluded.state, annotator = excluded.annotator,
                    updated_at = excluded.updated_at
                WHERE excluded.updated_at >= reviews.updated_at OR reviews.annotator IS NULL;
        END
        """
    )


@migrations(name="0052_escaped_tokens_and_predictions")
def escaped_tokens_and_predictions(db: Database) -> None:
    """Stored tokens and predicted spans rewritten from their deflated forms (``TK1``, ``SP1``)
    to the escaped ones (``TK2``, ``SP2``; :mod:`annotator.core.packing`).

    Inflating them one by one was a third of what a first evaluation spent reading: the escaped
    forms are read for a thousand documents in a few numpy calls. They are ~150 bytes larger per
    document (tokens four bits per value instead of ~2.6 deflated).

    The values are the same (the same gaps, lengths and labels, the same label names): every
    token and span is kept, and so is each document's evaluation stamp (the update triggers are
    set aside meanwhile), so a kept score stays valid. Rows are read in key order a page at a time.
    """
    import zlib

    import numpy as np

    from annotator.core import packed_arrays, packing

    conn = db.conn
    for table in ("document_tokens", "prediction_runs"):
        db.execute(f"DROP TRIGGER evaluation_stamp_{table}_update")
    for rows in _pages(conn, "SELECT document_id, tokens FROM document_tokens WHERE document_id > ? "
                             "ORDER BY document_id LIMIT 2000"):
        old = [(doc, blob) for doc, blob in rows if bytes(blob[:3]) != packing.TOKENS_ESCAPED]
        if not old:
            continue
        starts, ends, offsets = packed_arrays.tokens_of([blob for _, blob in old])
        positions = np.empty(2 * len(starts), dtype=np.int64)
        positions[0::2], positions[1::2] = starts, ends
        values = np.diff(positions, prepend=0)
        firsts = 2 * offsets[:-1][np.diff(offsets) > 0]
        values[firsts] = positions[firsts]  # each document's first gap counts from 0
        if len(values) and values.min() < 0:
            raise ValueError("stored tokens are not increasing")
        packed = packing.escaped_many(values, 2 * np.diff(offsets), 4)
        conn.executemany("UPDATE document_tokens SET tokens = ? WHERE document_id = ?",
                         [(packing.TOKENS_ESCAPED + blob, doc) for (doc, _), blob in zip(old, packed)])
    for rows in _pages(conn, "SELECT id, spans FROM prediction_runs WHERE id > ? AND spans IS NOT NULL "
                             "ORDER BY id LIMIT 2000"):
        old = [(run, blob) for run, blob in rows if bytes(blob[:3]) == packing.SPANS_MAGIC]
        if not old:
            continue
        heads, raws = [], []
        for run, blob in old:
            size = int.from_bytes(blob[3:7], "little")
            heads.append(bytes(blob[3:7 + size]))
            code = chr(blob[7 + size])
            if code not in packing._TYPES:
                raise ValueError(f"prediction run {run}: unknown packed array type {code!r}")
            raws.append((code, zlib.decompress(blob[8 + size:])))  # little-endian, as written
        values, sizes = packed_arrays.values_of(raws)
        packed = packing.escaped_many(values, sizes, 8)
        conn.executemany("UPDATE prediction_runs SET spans = ? WHERE id = ?",
                         [(packing.SPANS_ESCAPED + head + blob, run) for (run, _), head, blob in zip(old, heads, packed)])
    for table in ("document_tokens", "prediction_runs"):
        db.execute(f"CREATE TRIGGER evaluation_stamp_{table}_update AFTER UPDATE ON {table} BEGIN "
                   f"{_BUMP.format(ref='old')} {_BUMP.format(ref='new')} END")


def _pages(conn: Any, sql: str) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of ``sql`` (keyed by an increasing first column, ``> ?`` the key after which a page
    starts) a page at a time, each read after the previous one was handled."""
    last = -1
    while True:
        rows = conn.execute(sql, [last]).fetchall()
        if not rows:
            return
        last = rows[-1][0]
        yield rows
