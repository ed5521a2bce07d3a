"""What a second read of the team work found, each now a test: undo and opening touch only the
annotator's own state; JSONL merges do not depend on batch size; unknown labels, retractions,
older files; the annotator's file is never changed by a merge."""

from __future__ import annotations

import json

import pytest

from annotator.core.errors import InputError
from annotator.core.hashing import content_hash
from annotator.core.model import ACCEPTED, IN_PROGRESS, TODO
from annotator.ops import gold_edits, documents
from annotator.ops import merging
from annotator.ops.assigning import assign
from annotator.ops.merging import merge_files
from annotator.store import Store
from tests.conftest import snapshot
from tests.team.helpers import LABELS, TEXTS, find, make_project
from tests.team.test_merge import layer_of, work


def test_opening_writes_nothing_and_the_first_edit_starts_the_review(tmp_path, tokenize):
    project = tmp_path / "p.db"
    ids = make_project(project, tokenize)
    with Store.open(project) as store:
        gold_edits.set_state(store, ids[0], "a1", ACCEPTED)
        before = snapshot(project)
        view = documents.open_document(store, ids[0], "lead")
        assert not view.started and view.gold == view.model_spans and view.review.state == TODO
        assert snapshot(project) == before, "opening a document wrote to the database"
        assert store.review(ids[0]).state == ACCEPTED and store.accepted_count() == 1
        text = store.document(ids[0]).text
        gold_edits.relabel_span(store, ids[0], "lead", find(text, "Mali", "PERSON")._replace(origin="model"), "GPE", LABELS)
        assert store.review(ids[0], "lead").state == IN_PROGRESS
        assert store.review(ids[0], "a1").state == ACCEPTED
        assert ("Mali", "GPE") in [(text[s.start:s.end], s.label) for s in store.gold(ids[0], "lead")]
        assert len(store.gold(ids[0], "lead")) == 2  # the model's two spans became the lead's gold


@pytest.mark.parametrize("page", [1, 3, 1000])
def test_jsonl_merge_does_not_depend_on_where_batches_fall(tmp_path, tokenize, monkeypatch, page):
    project = tmp_path / "p.db"
    make_project(project, tokenize)
    text = TEXTS[0]
    mali = find(text, "Mali", "PERSON")
    lines = [{"text": text, "_annotator_id": "ann", "answer": "accept",
              "spans": [{"start": mali.start, "end": mali.end, "label": label}]} for label in ("GPE", "ORG", "LOC")]
    path = tmp_path / "ann.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    monkeypatch.setattr(merging, "PAGE", page)
    with Store.open(project) as store:
        report = merge_files(store, [path])
        state, gold, _ = layer_of(store, text, "ann")
    assert state == ACCEPTED and [s.label for s in gold] == ["LOC"]  # the file's last line wins
    assert report.files[0].edited_twice == []  # one file is not "edited in two files"


def test_merge_refuses_a_file_whose_gold_uses_unknown_labels(tmp_path, tokenize):
    project = tmp_path / "p.db"
    make_project(project, tokenize)
    with Store.open(project) as store:
        assign(store, tmp_path / "out", ["ann"], overlap=0.0, seed=1)
    with Store.open(tmp_path / "out" / "ann.db", create=False) as own:
        doc = own.document_ids()[0]
        own.add_gold(doc, "ann", [find(own.document(doc).text, "Bamako", "COUNTRY")])
        own.set_review(doc, ACCEPTED, "ann")
    before = snapshot(project)
    with Store.open(project) as store, pytest.raises(InputError, match="labels the project does not have: COUNTRY"):
        merge_files(store, [tmp_path / "out" / "ann.db"])
    assert snapshot(project) == before


def test_a_retraction_is_merged(tmp_path, tokenize):
    """The annotator accepted, the lead merged; then the annotator undid everything: merged again, it goes."""
    project = tmp_path / "p.db"
    make_project(project, tokenize)
    with Store.open(project) as store:
        assign(store, tmp_path / "out", ["ann"], overlap=0.0, seed=1)
    own_path = tmp_path / "out" / "ann.db"
    done = work(own_path, "ann", "GPE", limit=1)
    with Store.open(project) as store:
        merge_files(store, [own_path])
        assert layer_of(store, done[0], "ann")[0] == ACCEPTED
    with Store.open(own_path, create=False) as own:  # the window's undo of everything: back to never edited
        doc = own.document_id_by_hash(content_hash(done[0]))
        documents.restore(own, documents.Snapshot(doc, (), (), TODO, None), "ann", "undo")
    with Store.open(project) as store:
        merge_files(store, [own_path])
        assert layer_of(store, done[0], "ann") == (TODO, [], [])


def test_merge_never_changes_the_annotators_file_even_an_older_one(tmp_path, tokenize):
    project = tmp_path / "p.db"
    make_project(project, tokenize)
    with Store.open(project) as store:
        assign(store, tmp_path / "out", ["ann"], overlap=0.0, seed=1)
    own_path = tmp_path / "out" / "ann.db"
    done = work(own_path, "ann", "GPE", limit=2)
    import sqlite3

    conn = sqlite3.connect(own_path)  # as an older annotator left it: without the last schema step
    conn.execute("DROP TABLE adjudications")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0011_adjudication'")
    conn.commit()
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    before = snapshot(own_path)
    files_before = sorted(p.name for p in own_path.parent.iterdir())
    with Store.open(project) as store:
        report = merge_files(store, [own_path])
        assert report.files[0].brought == 2
        assert all(layer_of(store, text, "ann")[0] == ACCEPTED for text in done)
    assert snapshot(own_path) == before
    assert sorted(p.name for p in own_path.parent.iterdir()) == files_before  # no .bak, -wal or copy left
    assert not list(tmp_path.glob(".p.db.*"))


def test_merge_leaves_nothing_beside_the_annotators_file(tmp_path, tokenize):
    project = tmp_path / "p.db"
    make_project(project, tokenize)
    with Store.open(project) as store:
        assign(store, tmp_path / "out", ["ann"], overlap=0.0, seed=1)
    own_path = tmp_path / "out" / "ann.db"
    work(own_path, "ann", "GPE", limit=2)  # the file as the window leaves it: WAL mode, closed cleanly
    listing = sorted(p.name for p in own_path.parent.iterdir())
    before = snapshot(own_path)
    with Store.open(project) as store:
        assert merge_files(store, [own_path]).files[0].brought == 2
        assert sorted(p.name for p in own_path.parent.iterdir()) == listing  # no -wal, -shm, .bak beside it
    assert snapshot(own_path) == before
