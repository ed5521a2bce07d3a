"""The store opens, checks and reads with the plain sqlite3 connection; sqlite-utils (its writer and
migrations) loads on the first write, and that write is as durable as any other.

Each check runs in a new process: the test process has imported sqlite-utils long ago."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from annotator.core.spans import Span
from annotator.store import Store, schema
from annotator.core.packing import unpack_gold

ROOT = Path(__file__).resolve().parents[2]
TEXT = "Apple opened an office in Paris. Nothing else happened."


def run(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def small_db(tmp_path) -> Path:
    path = tmp_path / "small.db"
    with Store.open(path) as store:
        doc_id, _ = store.add_document(TEXT, "a.txt", "hash-a")
        store.add_prediction(doc_id, "en_core_web_sm", "3.8.0", [Span(0, 5, "ORG", "model"), Span(26, 31, "GPE", "model")])
    return path


def test_opening_and_reading_an_up_to_date_project_does_not_import_sqlite_utils(small_db):
    result = run("""
        import json, sys
        from annotator.ops import documents
        from annotator.store import Store
        store = Store.open(sys.argv[1])
        view = documents.open_document(store, 1, "tester")
        print(json.dumps({"loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("sqlite_utils", "click")),
                          "gold": [list(s) for s in view.gold], "started": view.started,
                          "recursive_triggers": store.conn.execute("PRAGMA recursive_triggers").fetchone()[0],
                          "foreign_keys": store.conn.execute("PRAGMA foreign_keys").fetchone()[0]}))
    """, str(small_db))
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["loaded"] == []
    assert found["gold"] == [[0, 5, "ORG", "model"], [26, 31, "GPE", "model"]] and found["started"] is False
    assert found["recursive_triggers"] == 1 and found["foreign_keys"] == 1  # as sqlite_utils.Database sets them


def test_the_first_edit_loads_sqlite_utils_and_survives_a_crash_right_after(small_db):
    """The process ends with os._exit right after the edits returned (no close, no cleanup)."""
    result = run("""
        import os, sys
        from annotator.core.spans import Span
        from annotator.ops import documents, gold_edits
        from annotator.store import Store
        store = Store.open(sys.argv[1])
        documents.open_document(store, 1, "tester")
        before = "sqlite_utils" in sys.modules
        gold_edits.add_span(store, 1, "tester", Span(15, 21, "ORG", "human"), ["ORG", "GPE"])
        gold_edits.set_state(store, 1, "tester", "accepted")
        print("loaded before the edit:", before, "after:", "sqlite_utils" in sys.modules, flush=True)
        os._exit(0)
    """, str(small_db))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "loaded before the edit: False after: True"
    conn = sqlite3.connect(small_db)
    try:
        gold = unpack_gold(conn.execute("SELECT spans FROM gold_layers WHERE document_id = 1 "
                                        "AND annotator = 'tester'").fetchone()[0])
        state = conn.execute("SELECT state FROM annotator_reviews WHERE document_id = 1 AND annotator = 'tester'").fetchone()
        actions = [r[0] for r in conn.execute("SELECT action FROM edits WHERE document_id = 1 ORDER BY id")]
    finally:
        conn.close()
    assert gold == [(0, 5, "ORG", "model"), (15, 21, "ORG", "human"), (26, 31, "GPE", "model")]
    assert state == ("accepted",)
    assert actions == ["start_review", "add_span", "set_state"]


def test_a_project_on_an_older_schema_is_backed_up_and_migrated_by_sqlite_utils(tmp_path):
    path = tmp_path / "old.db"
    from sqlite_utils import Database

    db = Database(path)
    schema.migrations.apply(db, stop_before="0040_evaluation_cache")
    db.execute("INSERT INTO documents(source, text, content_hash, length, created_at) VALUES ('a', 'x', 'h', 1, 'now')")
    db.close()
    result = run("""
        import sys
        from annotator.store import Store
        store = Store.open(sys.argv[1])
        print("sqlite_utils" in sys.modules, store.document(1).text, store.db.conn is store.conn)
    """, str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "x", "True"]
    assert len(list(tmp_path.glob("old.db.bak-*"))) == 1
    with Store.open(path) as store:
        applied = [r[0] for r in store.conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert applied == schema.known_migration_names()


def test_the_declared_steps_are_the_steps_sqlite_utils_applies():
    assert schema.migrations.names == [m.name for m in schema.migrations.real._migrations]
    assert schema.known_migration_names()[0] == "0001_initial" and len(set(schema.known_migration_names())) == len(
        schema.known_migration_names())
    with pytest.raises(RuntimeError, match="declared after"):
        schema.migrations(name="9999_late")(lambda db: None)


def test_numpy_is_hidden_from_sqlite_utils_in_the_importing_thread_only():
    from annotator.store.connection import _NoNumpyInThisThread

    finder = _NoNumpyInThisThread(threading.get_ident())
    with pytest.raises(ModuleNotFoundError):
        finder.find_spec("numpy")
    with pytest.raises(ModuleNotFoundError):
        finder.find_spec("numpy.core")
    assert finder.find_spec("json") is None
    elsewhere: list[object] = []
    thread = threading.Thread(target=lambda: elsewhere.append(finder.find_spec("numpy")))
    thread.start()
    thread.join()
    assert elsewhere == [None]
    result = run("""
        import sys
        from annotator.store.connection import import_sqlite_utils
        import_sqlite_utils()
        import sqlite_utils.db
        print("numpy" in sys.modules, sqlite_utils.db.np is None, [f for f in sys.meta_path if "NoNumpy" in repr(f)])
        import numpy
        print(numpy.__name__)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["False True []", "numpy"]
