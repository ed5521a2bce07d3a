"""annotator assign: self-contained files per annotator, deterministic, only new documents on a re-run."""

from __future__ import annotations

import shutil

import pytest

from annotator.core.assignment import plan
from annotator.core.errors import InputError
from annotator.core.hashing import content_hash
from annotator.ops.assigning import assign
from annotator.ops.labels import project_labels
from annotator.store import Store
from annotator.store import team
from tests.team.helpers import TEXTS, make_project


def test_plan_is_balanced_deterministic_and_overlapping():
    keys = [f"k{i:03d}" for i in range(100)]
    first = plan(keys, ["a", "b", "c"], overlap=0.2, seed=3)
    assert first == plan(list(reversed(keys)), ["a", "b", "c"], overlap=0.2, seed=3)
    assert first != plan(keys, ["a", "b", "c"], overlap=0.2, seed=4)
    counts = {}
    for got in first.values():
        for k in got:
            counts[k] = counts.get(k, 0) + 1
    assert len(counts) == 100 and sum(1 for n in counts.values() if n == 2) == 20
    loads = sorted(len(v) for v in first.values())
    assert loads[-1] - loads[0] <= 1 and sum(loads) == 120
    shared_pairs = {tuple(sorted(w for w in first if k in first[w])) for k, n in counts.items() if n == 2}
    assert shared_pairs == {("a", "b"), ("a", "c"), ("b", "c")}
    capped = plan(keys, ["a", "b"], overlap=0.5, per_annotator=10, seed=1)
    # 14 documents would need 14 + 7 shared = 21 places; 13 need 13 + round(6.5) = 19 <= 2 * 10
    assert all(len(v) <= 10 for v in capped.values()) and sum(map(len, capped.values())) == 19
    assert len(set(capped["a"]) | set(capped["b"])) == 13


def test_assigned_files_are_self_contained_and_owned(tmp_path, tokenize):
    project = tmp_path / "project.db"
    make_project(project, tokenize)
    with Store.open(project) as store:
        report = assign(store, tmp_path / "out", ["ann", "bob", "cy"], overlap=0.25, seed=1)
        pid = store.project_id()
        labels = project_labels(store)
    assert report.documents == 12 and report.shared == 3 and {f.annotator for f in report.files} == {"ann", "bob", "cy"}
    seen = []
    for item in report.files:
        with Store.open(item.path, create=False) as own:
            assert own.owner() == item.annotator and own.project_id() == pid
            assert project_labels(own) == labels
            ids = own.document_ids()
            assert len(ids) == item.documents == len(team.assigned_ids(own, item.annotator))
            for doc in ids:
                document = own.document(doc)
                assert document.text in TEXTS and document.content_hash == content_hash(document.text)
                assert own.tokens(doc) is not None and len(own.prediction(doc).spans) == 2
                seen.append(document.text)
            assert own.review(ids[0]).state == "todo" and own.edits() == []
    assert set(seen) == set(TEXTS) and len(seen) == 15


def test_same_seed_same_files_and_rerun_assigns_only_new_documents(tmp_path, tokenize):
    make_project(tmp_path / "p1.db", tokenize)
    shutil.copy(tmp_path / "p1.db", tmp_path / "p2.db")

    def hashes(folder):
        out = {}
        for path in sorted(folder.glob("*.db")):
            with Store.open(path, create=False) as own:
                out[path.name] = sorted(own.document(i).content_hash for i in own.document_ids())
        return out

    for name in ("p1", "p2"):
        with Store.open(tmp_path / f"{name}.db") as store:
            assign(store, tmp_path / name, ["ann", "bob"], overlap=0.5, seed=9)
    assert hashes(tmp_path / "p1") == hashes(tmp_path / "p2")
    before = hashes(tmp_path / "p1")
    with Store.open(tmp_path / "p1.db") as store:
        again = assign(store, tmp_path / "p1", ["ann", "bob"], overlap=0.5, seed=9)
        assert again.documents == 0 and again.files == []
        for i in range(4):
            text = f"New report {i} about Wagner in Kyiv."
            store.add_document(text, f"new{i}.txt", content_hash(text))
        more = assign(store, tmp_path / "p1", ["ann", "bob"], overlap=0.5, seed=9)
    assert more.documents == 4 and all(not f.created for f in more.files)
    after = hashes(tmp_path / "p1")
    for name, old in before.items():
        assert set(old) < set(after[name])
        assert all(h in old or h in {content_hash(f"New report {i} about Wagner in Kyiv.") for i in range(4)}
                   for h in after[name])


def test_refusals(tmp_path, tokenize):
    make_project(tmp_path / "p.db", tokenize)
    with Store.open(tmp_path / "p.db") as store:
        with pytest.raises(InputError, match="two or more annotators"):
            assign(store, tmp_path / "o", ["ann"], overlap=0.2)
        with pytest.raises(InputError, match="not a usable annotator name"):
            assign(store, tmp_path / "o", ["@final", "bob"], overlap=0.2)
        assign(store, tmp_path / "o", ["ann", "bob"], overlap=0.0, per_annotator=2)
    with Store.open(tmp_path / "o" / "ann.db", create=False) as own:
        with pytest.raises(InputError, match="assigned file, not the project"):
            assign(own, tmp_path / "x", ["ann", "bob"])
    (tmp_path / "o" / "cy.db").write_bytes((tmp_path / "o" / "ann.db").read_bytes())  # no connection is open
    with Store.open(tmp_path / "p.db") as store:
        with pytest.raises(InputError, match="for 'ann', not 'cy'"):
            assign(store, tmp_path / "o", ["ann", "cy"], overlap=0.0)
