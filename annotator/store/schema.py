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
