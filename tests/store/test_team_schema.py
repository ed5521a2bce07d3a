"""Review state per annotator: migrating existing databases, and the document's latest review."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from annotator.core.model import ACCEPTED, IN_PROGRESS, TODO
from annotator.store import Store
from annotator.store import schema


def _old_database(path: Path) -> None:
    """A database as the version before team reviews wrote it, with reviews by two annotators."""
    conn = sqlite3.connect(str(path))
    db = Database(conn)
    schema.migrations.apply(db, stop_before="0010_team_reviews")
    db.execute("INSERT INTO documents(id, source, text, content_hash, length, created_at) VALUES "
               "(1, 'a.txt', 'Mali', 'h1', 4, 't'), (2, 'b.txt', 'Kyiv', 'h2', 4, 't'), (3, 'c.txt', 'Oslo', 'h3', 4, 't')")
    db.execute("INSERT INTO reviews(document_id, state, annotator, updated_at) VALUES "
               "(1, 'accepted', 'ann', '2024-01-01T00:00:00+00:00'), (2, 'in_progress', 'bob', '2024-01-02T00:00:00+00:00'), "
               "(3, 'skipped', NULL, '2024-01-03T00:00:00+00:00')")
    db.execute("INSERT INTO gold_spans(document_id, annotator, start_char, end_char, label, origin) VALUES "
               "(1, 'ann', 0, 4, 'GPE', 'human')")
    conn.commit()
    conn.close()


def test_existing_reviews_become_per_annotator_and_nothing_is_lost(tmp_path):
    path = tmp_path / "old.db"
    _old_database(path)
    with Store.open(path) as store:
        assert store.review(1, "ann").state == ACCEPTED and store.review(1, "bob").state == TODO
        assert store.review(2, "bob").state == IN_PROGRESS
        assert [(r.state, r.annotator) for r in (store.review(i) for i in (1, 2, 3))] == [
            (ACCEPTED, "ann"), (IN_PROGRESS, "bob"), ("skipped", None)]  # the row without annotator stays
        assert store.review(1).updated_at == "2024-01-01T00:00:00+00:00"
        assert store.gold(1, "ann")[0].label == "GPE"
    assert list(tmp_path.glob("old.db.bak-*")), "a backup is made before migrating"


def test_latest_review_follows_the_annotator_updated_last(store):
    doc, _ = store.add_document("Mali and Kyiv", "a.txt", "h")
    store.set_review(doc, ACCEPTED, "ann", "2024-01-01T00:00:00+00:00")
    store.set_review(doc, IN_PROGRESS, "bob", "2024-01-02T00:00:00+00:00")
    assert (store.review(doc).state, store.review(doc).annotator) == (IN_PROGRESS, "bob")
    store.set_review(doc, ACCEPTED, "bob", "2023-12-31T00:00:00+00:00")  # an older state merged in
    assert (store.review(doc).state, store.review(doc).annotator) == (ACCEPTED, "ann")
    store.clear_review(doc, "ann")
    assert (store.review(doc).state, store.review(doc).annotator) == (ACCEPTED, "bob")
    assert store.review(doc, "ann").state == TODO
    store.clear_review(doc)
    assert store.review(doc).state == TODO and store.review(doc, "bob").state == TODO
    assert store.state_counts() == {TODO: 1}
