"""The database schema, as sqlite-utils Migrations. Append new steps; never edit old ones."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATION_SET = "annotator"
migrations = Migrations(MIGRATION_SET)


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


def known_migration_names() -> list[str]:
    """Names of every migration this version of annotator knows, in order."""
    return [m.name for m in migrations._migrations]


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
