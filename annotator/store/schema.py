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


def known_migration_names() -> list[str]:
    """Names of every migration this version of annotator knows, in order."""
    return [m.name for m in migrations._migrations]
