"""Opening databases: schema, refusals, backup before migration, WAL and foreign keys."""

import sqlite3

import pytest

from annotator.core.errors import BusyError, StoreError
from annotator.store import Store
from annotator.store import schema
from tests.conftest import snapshot


def test_new_database_has_schema_wal_and_foreign_keys(db_path):
    with Store.open(db_path) as store:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        tables = set(store.db.table_names())
        assert {"documents", "prediction_runs", "document_tokens", "gold_layers", "boilerplate", "reviews", "edits"} <= tables
        assert "predictions" not in tables  # packed into prediction_runs.spans since 0004
        assert "gold_spans" not in tables  # packed into gold_layers since 0050
        applied = [r[0] for r in store.db.execute("SELECT name FROM _sqlite_migrations")]
        assert applied == schema.known_migration_names()


def test_reopening_applies_nothing_new(db_path):
    Store.open(db_path).close()
    with Store.open(db_path) as store:
        assert store.db.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] == len(schema.known_migration_names())


def test_not_sqlite_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n")
    with pytest.raises(StoreError, match="not an SQLite database"):
        Store.open(path)
    assert path.read_bytes() == b"these are my notes, not a database\n"


def test_foreign_sqlite_database_is_refused_unchanged(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (name TEXT)")
    conn.execute("INSERT INTO customers VALUES ('x')")
    conn.commit()
    conn.close()
    before = snapshot(path)
    with pytest.raises(StoreError, match="not an annotator project"):
        Store.open(path)
    assert snapshot(path) == before


def test_newer_database_is_refused_unchanged(db_path):
    with Store.open(db_path) as store:
        store.add_document("text", "a.txt", "h1")
        store.db.execute(
            "INSERT INTO _sqlite_migrations(migration_set, name, applied_at) VALUES (?, ?, ?)",
            [schema.MIGRATION_SET, "9999_from_the_future", "2030-01-01"],
        )
    before = snapshot(db_path)
    with pytest.raises(StoreError, match="newer annotator.*9999_from_the_future"):
        Store.open(db_path)
    assert snapshot(db_path) == before


def test_pending_migration_backs_up_first(db_path, monkeypatch):
    with Store.open(db_path) as store:
        store.add_document("keep me", "a.txt", "h1")
    extra = schema.Migrations(schema.MIGRATION_SET)
    for m in schema.migrations._migrations:
        extra._migrations.append(m)

    @extra(name="0002_test_step")
    def step(db):
        db.execute("ALTER TABLE documents ADD COLUMN extra TEXT")

    monkeypatch.setattr("annotator.store.connection.migrations", extra)
    monkeypatch.setattr("annotator.store.connection.known_migration_names", lambda: [m.name for m in extra._migrations])
    with Store.open(db_path) as store:
        assert "extra" in store.db["documents"].columns_dict
    backups = list(db_path.parent.glob("project.db.bak-*"))
    assert len(backups) == 1
    conn = sqlite3.connect(backups[0])
    assert conn.execute("SELECT text FROM documents").fetchall() == [("keep me",)]
    conn.close()


def test_edit_log_is_append_only(store):
    store.log_edit(None, "me", "test", {})
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("DELETE FROM edits")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("UPDATE edits SET action = 'x'")


def test_missing_folder_and_folder_path(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(tmp_path / "nope" / "a.db")
    with pytest.raises(StoreError, match="is a folder"):
        Store.open(tmp_path)


def test_locked_database_gives_clear_message(db_path):
    with Store.open(db_path, busy_timeout_ms=100) as store:
        other = sqlite3.connect(db_path)
        other.execute("BEGIN EXCLUSIVE")
        try:
            with pytest.raises(BusyError, match="another annotator process is writing.*try again"):
                store.add_document("x", "x.txt", "hx")
        finally:
            other.rollback()
            other.close()


def test_every_write_is_committed_without_an_explicit_transaction(db_path):
    """Bulk writes (executemany) must not leave an uncommitted transaction behind."""
    from annotator.core.spans import Range, Span

    with Store.open(db_path) as store:
        doc, _ = store.add_document("Mali and Niger", "a.txt", "h")
        store.add_prediction(doc, "en_x", "1", [Span(0, 4, "GPE", "model")])
        store.add_gold(doc, "me", [Span(0, 4, "GPE")])
        store.replace_boilerplate(doc, "me", [Range(5, 8)])
        store.add_document("Other text", "b.txt", "h2")
        store.remove_gold(doc, "me", [Span(0, 4, "GPE")])
        store.add_gold(doc, "me", [Span(9, 14, "GPE")])
        assert not store.db.conn.in_transaction
    with Store.open(db_path) as store:
        assert store.prediction(doc).spans == [Span(0, 4, "GPE", "model")]
        assert store.gold(doc, "me") == [Span(9, 14, "GPE")]
        assert store.boilerplate(doc, "me") == [Range(5, 8)]
        assert store.document_count() == 2


def _old_database(path, runs: int = 3):
    """A database as annotator 0.1.0 wrote it: schema up to 0003, predictions as rows, tokens as uint32 pairs."""
    from array import array

    from sqlite_utils import Database

    db = Database(sqlite3.connect(str(path)))
    schema.migrations.apply(db, stop_before="0004_compact_storage")
    conn = db.conn
    rows = []
    for k in range(runs):
        text = f"Document {k}: Mali and Niger met in Niamey with Peskov."
        doc_id = conn.execute("INSERT INTO documents(source, text, content_hash, length, created_at) VALUES (?, ?, ?, ?, 'x')",
                              [f"d{k}.txt", text, f"hash{k}", len(text)]).lastrowid
        pairs = array("I")
        at = 0
        for word in text.split(" "):
            pairs.extend([at, at + len(word)])
            at += len(word) + 1
        conn.execute("INSERT INTO document_tokens VALUES (?, 'old', ?)", [doc_id, pairs.tobytes()])
        run = conn.execute("INSERT INTO prediction_runs(document_id, pipeline, version, created_at) VALUES (?, 'en_x', '1', 'x')",
                           [doc_id]).lastrowid
        spans = [(text.index("Mali"), text.index("Mali") + 4, "PERSON"), (text.index("Niger"), text.index("Niger") + 5, "GPE")]
        conn.executemany("INSERT INTO predictions VALUES (?, ?, ?, ?)", [(run, *s) for s in spans])
        rows.append((doc_id, text, [tuple(pairs[i:i + 2]) for i in range(0, len(pairs), 2)], spans))
    conn.execute("INSERT INTO prediction_runs(document_id, pipeline, version, created_at) VALUES (?, 'en_empty', '1', 'x')",
                 [rows[0][0]])  # a run that found nothing
    conn.commit()
    conn.close()
    return rows


def test_old_database_migrates_to_packed_storage_keeping_every_span_and_token(db_path):
    rows = _old_database(db_path)
    with Store.open(db_path) as store:
        for doc_id, _text, pairs, spans in rows:
            prediction = store.prediction(doc_id, "en_x")
            assert [(s.start, s.end, s.label) for s in prediction.spans] == spans
            tokens = store.tokens(doc_id)
            assert list(zip(tokens.starts, tokens.ends)) == pairs
        assert store.prediction(rows[0][0], "en_empty").spans == []
        assert store.list_rows([rows[1][0]])[rows[1][0]][2] == 2
    assert len(list(db_path.parent.glob("project.db.bak-*"))) == 1


def test_a_bare_transaction_commits_and_rolls_back_and_refuses_to_nest(store):
    """``transaction(bare=True)`` (writes through the plain connection, sqlite-utils not loaded)
    commits or rolls back like any outermost block, and refuses to be a savepoint."""
    doc_id, _ = store.add_document("Peskov met officials.", "a.txt", "h1")
    with store.transaction(bare=True):
        store.conn.execute("INSERT INTO evaluation_stamps(document_id, stamp) VALUES (?, 7)", (doc_id,))
    with pytest.raises(ZeroDivisionError), store.transaction(bare=True):
        store.conn.execute("UPDATE evaluation_stamps SET stamp = 8 WHERE document_id = ?", (doc_id,))
        1 / 0
    assert store._q("SELECT stamp FROM evaluation_stamps WHERE document_id = ?", (doc_id,)).fetchone()[0] == 7
    with store.transaction(), pytest.raises(RuntimeError, match="cannot be nested"):
        with store.transaction(bare=True):
            pass
