"""Migration 0051: the latest review kept by one upsert on insert, as the sorted read kept it.

The same random sequence of review writes (inserts, state changes, deletes, equal and older
times, several annotators, a document deleted) runs on a database before 0051 and on one
after it, through the plain sqlite3 module as another program would: ``reviews`` ends the
same, and is each document's latest row of ``annotator_reviews`` throughout."""

from __future__ import annotations

import random
import sqlite3

import pytest
from sqlite_utils import Database

from annotator.store import schema


def _database(path, before_0051: bool) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    schema.migrations.apply(Database(conn), stop_before="0051_latest_review_upsert" if before_0051 else None)
    for k in range(1, 9):
        conn.execute("INSERT INTO documents(id, source, text, content_hash, length, created_at) "
                     "VALUES (?, ?, 'Mali', ?, 4, 't')", [k, f"d{k}.txt", f"h{k}"])
    return conn


def _latest(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute("SELECT r.document_id, r.state, r.annotator, r.updated_at FROM annotator_reviews r "
                        "WHERE r.id = (SELECT s.id FROM annotator_reviews s WHERE s.document_id = r.document_id "
                        "ORDER BY s.updated_at DESC, s.id DESC LIMIT 1) ORDER BY 1").fetchall()


def _reviews(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute("SELECT document_id, state, annotator, updated_at FROM reviews ORDER BY 1").fetchall()


@pytest.mark.parametrize("seed", range(6))
def test_the_latest_review_is_kept_as_before(tmp_path, seed):
    old, new = _database(tmp_path / "old.db", True), _database(tmp_path / "new.db", False)
    assert "0051_latest_review_upsert" in [r[0] for r in new.execute("SELECT name FROM _sqlite_migrations")]
    rng = random.Random(seed)
    alive = list(range(1, 9))
    for step in range(300):
        doc, who = rng.choice(alive), rng.choice(["ann", "bob", "cy"])
        when = f"2024-01-{rng.randrange(1, 6):02d}"  # equal times are common
        state = rng.choice(["in_progress", "accepted", "skipped"])
        kind = rng.random()
        for conn in (old, new):
            if kind < 0.6:
                conn.execute("INSERT INTO annotator_reviews(document_id, annotator, state, updated_at) VALUES (?, ?, ?, ?) "
                             "ON CONFLICT(document_id, annotator) DO UPDATE SET state = excluded.state, "
                             "updated_at = excluded.updated_at", [doc, who, state, when])
            elif kind < 0.9:
                conn.execute("DELETE FROM annotator_reviews WHERE document_id = ? AND annotator = ?", [doc, who])
            else:
                conn.execute("UPDATE annotator_reviews SET state = ?, updated_at = ? WHERE document_id = ?",
                             [state, when, doc])
            if step in (100, 200):  # a document deleted (its reviews cascade)
                conn.execute("DELETE FROM documents WHERE id = ?", [doc])
        if step in (100, 200):
            alive.remove(doc)
        assert _reviews(new) == _reviews(old), f"step {step}"
        assert _reviews(new) == _latest(new), f"step {step}"


def test_a_row_without_annotator_from_before_team_reviews_gives_way(tmp_path):
    conn = _database(tmp_path / "new.db", False)
    conn.execute("INSERT INTO reviews(document_id, state, annotator, updated_at) VALUES (1, 'skipped', NULL, '2030-01-01')")
    conn.execute("INSERT INTO annotator_reviews(document_id, annotator, state, updated_at) "
                 "VALUES (1, 'ann', 'accepted', '2024-01-01')")
    assert _reviews(conn) == [(1, "accepted", "ann", "2024-01-01")]
