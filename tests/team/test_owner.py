"""An assigned file works as its annotator: no environment variable needed, only their documents."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from annotator import paths
from annotator.ops.assigning import assign
from annotator.store import Store
from annotator.store import team
from tests.conftest import ROOT
from tests.team.helpers import make_project


def test_owner_wins_over_environment_and_login(monkeypatch):
    monkeypatch.setenv(paths.USER_ENV, "somebody")
    assert paths.current_annotator("ann") == "ann"
    assert paths.current_annotator(None) == "somebody"


@pytest.mark.gui
def test_window_on_an_assigned_file_works_as_its_annotator(tmp_path, tokenize):
    make_project(tmp_path / "project.db", tokenize)
    with Store.open(tmp_path / "project.db") as store:
        assign(store, tmp_path / "out", ["ann", "bob"], overlap=0.0, seed=1)
        ann_ids = team.assigned_ids(store, "ann")
    path = tmp_path / "out" / "ann.db"
    with Store.open(path, create=False) as own:
        assert len(own.document_ids()) == len(ann_ids) == len(team.assigned_ids(own, "ann"))
    env = {k: v for k, v in os.environ.items() if k != paths.USER_ENV}
    env.update(QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "annotator", "open", "--db", str(path), "--smoke"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "first document shown" in result.stdout and "(as ann)" in result.stdout
    with Store.open(path, create=False) as own:  # opening a document writes nothing
        assert all(own.review(doc).state == "todo" for doc in own.document_ids()) and own.edits() == []


def test_an_annotators_file_lists_only_their_documents_by_their_own_state(tmp_path, tokenize):
    from annotator.core.hashing import content_hash
    from annotator.ops import gold_edits
    from annotator.ops.assigning import visible_ids

    make_project(tmp_path / "project.db", tokenize)
    with Store.open(tmp_path / "project.db") as store:
        assign(store, tmp_path / "out", ["ann", "bob"], overlap=0.0, seed=1)
        assert visible_ids(store) == store.document_ids()
    with Store.open(tmp_path / "out" / "ann.db", create=False) as own:
        mine = own.document_ids()
        own.add_document("Somebody else's text.", "x.txt", content_hash("Somebody else's text."))  # not assigned
        assert visible_ids(own) == mine
        gold_edits.set_state(own, mine[0], "ann", "accepted")
        gold_edits.set_state(own, mine[1], "intruder", "accepted")  # another name's state is not ann's
        assert visible_ids(own, ["accepted"]) == [mine[0]]
        assert visible_ids(own, ["todo"]) == mine[1:]
