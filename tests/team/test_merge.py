"""annotator merge: annotators' files and JSONL back into the project; idempotent; later edit wins."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from annotator.core.errors import InputError, StoreError
from annotator.core.merging import FILE_LATER, NEW, OLDER, PROJECT_LATER, SAME, UPDATED
from annotator.core.model import ACCEPTED, IN_PROGRESS
from annotator.core.spans import Range
from annotator.ops import gold_edits
from annotator.ops.assigning import assign
from annotator.ops.merging import merge_files
from annotator.store import Store
from annotator.store import schema
from tests.conftest import snapshot
from tests.team.helpers import LABELS, TEXTS, find, make_project


@pytest.fixture
def assigned(tmp_path, tokenize):
    project = tmp_path / "project.db"
    make_project(project, tokenize)
    with Store.open(project) as store:
        assign(store, tmp_path / "out", ["ann", "bob"], overlap=0.5, seed=2)
    return project, tmp_path / "out"


def work(path, annotator: str, label: str, accept: bool = True, limit: int | None = None) -> list[str]:
    """Relabel Mali as ``label`` in each document of an annotator's file; return the texts done."""
    done = []
    with Store.open(path, create=False) as own:
        for doc in own.document_ids()[:limit]:
            text = own.document(doc).text
            gold_edits.start_review(own, doc, annotator)
            gold_edits.relabel_span(own, doc, annotator, find(text, "Mali", "PERSON")._replace(origin="model"), label, LABELS)
            gold_edits.mark_boilerplate(own, doc, annotator, 0, text.index(":") + 1)
            if accept:
                gold_edits.set_state(own, doc, annotator, ACCEPTED)
            done.append(text)
    return done


def layer_of(store: Store, text: str, annotator: str):
    from annotator.core.hashing import content_hash

    doc = store.document_id_by_hash(content_hash(text))
    return store.review(doc, annotator).state, store.gold(doc, annotator), store.boilerplate(doc, annotator)


def test_merge_brings_gold_states_boilerplate_and_edits_and_is_idempotent(assigned):
    project, out = assigned
    ann_texts = work(out / "ann.db", "ann", "GPE")
    bob_texts = work(out / "bob.db", "bob", "LOC", accept=False)
    with Store.open(out / "ann.db", create=False) as own:
        ann_edits = len(own.edits())
    with Store.open(project) as store:
        report = merge_files(store, [out / "ann.db", out / "bob.db"])
        first, second = report.files
        assert first.count(NEW) == len(ann_texts) and first.annotators == {"ann"} and first.edits_added == ann_edits
        assert second.count(NEW) == len(bob_texts)
        state, gold, boiler = layer_of(store, ann_texts[0], "ann")
        text = ann_texts[0]
        assert state == ACCEPTED and find(text, "Mali", "GPE") in gold and boiler == [Range(0, text.index(":") + 1)]
        state, gold, _ = layer_of(store, bob_texts[0], "bob")
        assert state == IN_PROGRESS and find(bob_texts[0], "Mali", "LOC") in gold
        both = set(ann_texts) & set(bob_texts)
        assert len(both) == 6  # overlap 0.5 of 12
    before = snapshot(project)
    with Store.open(project) as store:
        again = merge_files(store, [out / "ann.db", out / "bob.db"])
    assert all(f.brought == 0 and f.edits_added == 0 and f.count(SAME) > 0 for f in again.files)
    assert snapshot(project) == before


def test_documents_that_become_gold_through_a_merge_get_their_split(assigned, tmp_path):
    from annotator.core.splits import split_for

    project, out = assigned
    ann_texts = work(out / "ann.db", "ann", "GPE")
    work(out / "bob.db", "bob", "LOC", accept=False)
    lines = tmp_path / "eve.jsonl"
    lines.write_text(json.dumps({"text": TEXTS[0], "spans": [], "answer": "accept", "_annotator_id": "eve"}) + "\n",
                     encoding="utf-8")
    with Store.open(project) as store:
        assert store.gold_ids() == []
        merge_files(store, [out / "ann.db", out / "bob.db", lines])
        gold = store.gold_ids()
        texts = {store.document(i).text for i in gold}
        assert texts == set(ann_texts) | {TEXTS[0]}  # bob accepted nothing
        assert "none" not in store.split_counts()
        for doc in gold:
            assert store.split_of(doc) == split_for(store.document(doc).content_hash, "0", 0.2)
        assert store.assign_missing_splits() == 0


def test_annotator_going_on_updates_quietly_and_older_copy_changes_nothing(assigned, tmp_path):
    project, out = assigned
    work(out / "ann.db", "ann", "GPE", accept=False, limit=2)
    shutil.copy(out / "ann.db", tmp_path / "ann-monday.db")  # no connection open
    with Store.open(project) as store:
        merge_files(store, [out / "ann.db"])
    with Store.open(out / "ann.db", create=False) as own:
        for doc in own.document_ids()[:2]:
            gold_edits.set_state(own, doc, "ann", ACCEPTED)
    with Store.open(project) as store:
        (later,) = merge_files(store, [out / "ann.db"]).files
        assert later.count(UPDATED) == 2 and later.count(FILE_LATER) == 0 and later.edited_twice == []
        before = snapshot(project)
        (old,) = merge_files(store, [tmp_path / "ann-monday.db"]).files
        assert old.count(OLDER) == 2 and old.brought == 0
    assert snapshot(project) == before


def test_same_annotator_in_two_files_later_edit_wins_whatever_the_order(assigned, tmp_path):
    project, out = assigned
    shutil.copy(out / "ann.db", tmp_path / "ann-laptop2.db")
    texts = work(out / "ann.db", "ann", "GPE", limit=1)
    work(tmp_path / "ann-laptop2.db", "ann", "LOC", limit=1)  # later
    shutil.copy(project, tmp_path / "other-order.db")
    for db, order in ((project, [out / "ann.db", tmp_path / "ann-laptop2.db"]),
                      (tmp_path / "other-order.db", [tmp_path / "ann-laptop2.db", out / "ann.db"])):
        with Store.open(db) as store:
            first, second = merge_files(store, order).files
            assert first.count(NEW) == 1
            assert second.count(FILE_LATER if order[1].name == "ann-laptop2.db" else PROJECT_LATER) == 1
            assert "doc" in second.edited_twice[0] and "(ann)" in second.edited_twice[0]
            _, gold, _ = layer_of(store, texts[0], "ann")
            assert find(texts[0], "Mali", "LOC") in gold


def test_refusals_leave_the_project_unchanged(assigned, tmp_path, tokenize):
    project, out = assigned
    make_project(tmp_path / "elsewhere.db", tokenize)
    foreign = tmp_path / "customers.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE customers (name TEXT)")
    conn.commit()
    conn.close()
    newer = tmp_path / "newer.db"
    shutil.copy(out / "bob.db", newer)
    conn = sqlite3.connect(newer)
    conn.execute("INSERT INTO _sqlite_migrations(migration_set, name, applied_at) VALUES (?, '9999_future', 'x')",
                 [schema.MIGRATION_SET])
    conn.commit()
    conn.close()
    before = snapshot(project)
    with Store.open(project) as store:
        with pytest.raises(InputError, match="elsewhere.db: belongs to another project.*--force"):
            merge_files(store, [out / "ann.db", tmp_path / "elsewhere.db"])
        with pytest.raises(StoreError, match="customers.db: .*not an annotator project"):
            merge_files(store, [foreign])
        with pytest.raises(StoreError, match="newer.db: was written by a newer annotator"):
            merge_files(store, [newer])
        with pytest.raises(InputError, match="is the project itself"):
            merge_files(store, [project])
    assert snapshot(project) == before
    with Store.open(project) as store:
        (forced,) = merge_files(store, [tmp_path / "elsewhere.db"], force=True).files
        assert forced.unknown == 0  # same texts: matched by content hash


def test_unknown_documents_are_counted_and_skipped_or_added(assigned, tmp_path, tokenize):
    project, _ = assigned
    other = tmp_path / "other.db"
    texts = [t.replace("Report", "Bulletin") for t in TEXTS[:3]]
    make_project(other, tokenize, texts)
    with Store.open(other) as store:
        for doc in store.document_ids():
            gold_edits.set_state(store, doc, "dan", ACCEPTED)
    with Store.open(project) as store:
        n = store.document_count()
        (skipped,) = merge_files(store, [other], force=True).files
        assert (skipped.unknown, skipped.added, store.document_count()) == (3, 0, n)
        (added,) = merge_files(store, [other], force=True, add_new=True).files
        assert (added.unknown, added.added, added.count(NEW), store.document_count()) == (3, 3, 3, n + 3)
        state, gold, _ = layer_of(store, texts[0], "dan")
        assert state == ACCEPTED and len(gold) == 2
        assert store.tokens(store.document_ids()[-1]) is not None and store.prediction(store.document_ids()[-1])


def test_jsonl_with_annotator_ids_merges_and_bad_lines_change_nothing(assigned, tmp_path):
    project, _ = assigned
    lines = [{"text": TEXTS[0], "spans": [{"start": 10, "end": 14, "label": "GPE"}], "answer": "accept",
              "_annotator_id": "eve", "_timestamp": 1700000000},
             {"text": TEXTS[1], "spans": [], "answer": "accept"},
             {"text": "A text the project does not have.", "spans": [], "answer": "accept", "_annotator_id": "eve"},
             {"text": TEXTS[2], "spans": [{"start": 0, "end": 6, "label": "ORG"}], "meta": {"pipeline": "x"}}]
    good = tmp_path / "prodigy.jsonl"
    good.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(lines[1]) + "\n", encoding="utf-8")
    before = snapshot(project)
    with Store.open(project) as store:
        with pytest.raises(InputError, match=r"bad.jsonl:1: names no annotator.*--annotator"):
            merge_files(store, [bad])
    assert snapshot(project) == before
    with Store.open(project) as store:
        (report,) = merge_files(store, [good], annotator="fay").files
        assert report.count(NEW) == 2 and report.unknown == 1 and report.lines_without_annotation == 1
        assert report.annotators == {"eve", "fay"}
        state, gold, _ = layer_of(store, TEXTS[0], "eve")
        assert state == ACCEPTED and [(s.start, s.end, s.label) for s in gold] == [(10, 14, "GPE")]
        assert layer_of(store, TEXTS[1], "fay")[0] == ACCEPTED
        (again,) = merge_files(store, [good], annotator="fay").files
        assert again.brought == 0 and again.edits_added == 0
