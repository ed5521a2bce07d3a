"""Gold documents get a train/dev split when they first become gold, and it never moves."""

import sqlite3

import pytest

from annotator.core.hashing import content_hash
from annotator.core.model import ACCEPTED, IN_PROGRESS, SKIPPED
from annotator.core.splits import DEV, TRAIN, split_for
from annotator.ops.stats import corpus_stats
from annotator.store import Store


def add(store: Store, text: str) -> int:
    doc_id, _ = store.add_document(text, f"{text[:10]}.txt", content_hash(text))
    return doc_id


def texts(n: int, start: int = 0) -> list[str]:
    return [f"Document number {i} about Mali." for i in range(start, start + n)]


def test_accepting_gives_the_split_of_the_content_hash(store):
    ids = [add(store, t) for t in texts(30)]
    for doc_id in ids[:20]:
        store.set_review(doc_id, ACCEPTED, "me")
    store.set_review(ids[20], IN_PROGRESS, "me")
    store.set_review(ids[21], SKIPPED, "me")
    for doc_id in ids[:20]:
        assert store.split_of(doc_id) == split_for(store.document(doc_id).content_hash, "0", 0.2)
    assert all(store.split_of(doc_id) is None for doc_id in ids[20:])  # not gold: no split
    counts = store.split_counts()
    assert counts[TRAIN] + counts[DEV] == 20 and counts[DEV] >= 1
    assert sorted(store.gold_ids(TRAIN) + store.gold_ids(DEV)) == ids[:20] == store.gold_ids()


def test_split_is_stable_when_documents_are_added_and_the_fraction_changes(store):
    ids = [add(store, t) for t in texts(40)]
    for doc_id in ids:
        store.set_review(doc_id, ACCEPTED, "me")
    before = {doc_id: store.split_of(doc_id) for doc_id in ids}
    store.set_dev_fraction(0.9)  # later gold mostly goes to dev; earlier gold stays where it is
    new = [add(store, t) for t in texts(40, start=100)]
    for doc_id in new:
        store.set_review(doc_id, ACCEPTED, "me")
    assert {doc_id: store.split_of(doc_id) for doc_id in ids} == before
    assert sum(store.split_of(d) == DEV for d in new) > 25
    assert all(store.split_of(d) == split_for(store.document(d).content_hash, "0", 0.9) for d in new)


def test_unaccepting_and_accepting_again_keeps_the_split(store):
    store.set_dev_fraction(0.5)
    ids = [add(store, t) for t in texts(10)]
    for doc_id in ids:
        store.set_review(doc_id, ACCEPTED, "me")
    first = {d: store.split_of(d) for d in ids}
    store.set_dev_fraction(0.01)
    for doc_id in ids:
        store.set_review(doc_id, IN_PROGRESS, "me")
        assert doc_id not in store.gold_ids()
        store.set_review(doc_id, ACCEPTED, "you")
    assert {d: store.split_of(d) for d in ids} == first


def test_the_database_refuses_to_move_a_split(store):
    doc_id = add(store, "Mali is in Africa.")
    store.set_review(doc_id, ACCEPTED, "me")
    with pytest.raises(sqlite3.IntegrityError, match="split never changes"):
        store.db.execute("UPDATE training_splits SET split = 'dev' WHERE document_id = ?", [doc_id])


def test_gold_without_a_split_gets_one_and_stats_show_the_sizes(store):
    ids = [add(store, t) for t in texts(12)]
    for doc_id in ids:
        store.set_review(doc_id, ACCEPTED, "me")
    store.db.execute("DELETE FROM training_splits WHERE document_id IN (?, ?)", ids[:2])  # as before splits existed
    assert store.split_counts()["none"] == 2
    assert store.assign_missing_splits() == 2
    data = corpus_stats(store)
    assert data["splits"][TRAIN] + data["splits"][DEV] == 12 and "none" not in data["splits"]
    assert data["dev_fraction"] == 0.2


def test_missing_splits_are_given_a_chunk_of_documents_per_query(store):
    ids = [add(store, t) for t in texts(2500)]
    with store.transaction():
        for doc_id in ids:
            store.set_review(doc_id, ACCEPTED, "me")
    store.db.execute("DELETE FROM training_splits")  # gold from before splits existed
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    try:
        assert store.assign_missing_splits() == 2500
    finally:
        store.db.conn.set_trace_callback(None)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "content_hash" in s]
    inserts = {s.split("VALUES")[0] for s in statements if "INSERT INTO training_splits" in s}
    assert len(reads) == 2 and len(inserts) == 1  # 2000 + 500 documents; one insert statement, run in batches
    assert [store.split_of(i) for i in ids] == [split_for(store.document(i).content_hash, "0", 0.2) for i in ids]
    assert store.assign_missing_splits() == 0


def test_migration_gives_already_accepted_documents_a_split(db_path):
    """A database made before splits existed: its accepted documents get one on upgrade."""
    with Store.open(db_path) as store:
        ids = [add(store, t) for t in texts(6)]
        for doc_id in ids[:4]:
            store.set_review(doc_id, ACCEPTED, "me")
        expected = {d: store.split_of(d) for d in ids[:4]}
        for step in ("0021_trained_models", "0020_training_splits"):
            store.db.execute("DELETE FROM _sqlite_migrations WHERE name = ?", [step])
        store.db.execute("DROP TABLE trained_models")
        store.db.execute("DROP TABLE training_splits")
        store.db.execute("DELETE FROM settings WHERE key IN ('split_seed', 'dev_fraction')")
    with Store.open(db_path) as store:
        assert {d: store.split_of(d) for d in ids} == {**expected, ids[4]: None, ids[5]: None}
        assert store.split_settings() == ("0", 0.2)
