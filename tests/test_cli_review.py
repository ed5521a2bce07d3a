"""``annotator review accept|skip|reset``: review states from a script, as the window sets them."""

import pytest
from typer.testing import CliRunner

from annotator.cli import app
from annotator.core.model import ACCEPTED, SKIPPED, TODO
from annotator.ops import gold_edits
from annotator.store import Store
from tests.conftest import snapshot

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def db(tmp_path):
    """Three documents a.txt, b.txt, c.txt (ids 1, 2, 3), imported through the command line."""
    folder = tmp_path / "texts"
    folder.mkdir()
    for name, text in (("a.txt", "Mali said Keita met Putin."), ("b.txt", "Niger and Chad."), ("c.txt", "Bamako.")):
        (folder / name).write_text(text, encoding="utf-8")
    path = tmp_path / "p.db"
    assert run("import", folder, "--db", path).exit_code == 0
    return path


def states(path, who):
    with Store.open(path, create=False) as store:
        return [store.review(doc, who).state for doc in store.document_ids()]


def test_accept_and_skip_print_one_summary_line_as_the_current_annotator(db):
    result = run("review", "accept", "1", "b.txt", "--db", db)
    assert result.exit_code == 0, result.output
    assert result.stdout == "accepted 2 document(s) as tester\n"  # ANNOTATOR_USER, set in conftest
    result = run("review", "skip", "b.txt", "c.txt", "--db", db)
    assert result.stdout == "skipped 2 document(s) as tester\n"
    assert run("review", "skip", "3", "--db", db).stdout == "skipped 0 document(s) as tester; 1 already skipped\n"
    assert states(db, "tester") == [ACCEPTED, SKIPPED, SKIPPED]


def test_as_acts_for_another_annotator_and_an_assigned_file_for_its_owner(db):
    assert run("review", "accept", "1", "--db", db, "--as", "bob").stdout == "accepted 1 document(s) as bob\n"
    assert states(db, "bob")[0] == ACCEPTED and states(db, "tester")[0] == TODO
    with Store.open(db, create=False) as store:
        store.set_setting("owner", "ann")  # as `annotator assign` writes it into ann's file
    assert run("review", "accept", "2", "--db", db).stdout == "accepted 1 document(s) as ann\n"
    result = run("review", "accept", "1", "--db", db, "--as", "@final")
    assert result.exit_code == 1 and "'@final' is not a usable annotator name" in result.stderr


def test_all_in_progress(db):
    with Store.open(db, create=False) as store:
        gold_edits.start_review(store, 1, "tester")
        gold_edits.start_review(store, 3, "tester")
    result = run("review", "accept", "--all-in-progress", "--db", db)
    assert result.stdout == "accepted 2 document(s) as tester\n"
    assert states(db, "tester") == [ACCEPTED, TODO, ACCEPTED]


def test_unknown_names_are_one_line_exit_1_and_change_nothing(db):
    before = snapshot(db)
    result = run("review", "accept", "1", "7", "z.txt", "--db", db)
    assert result.exit_code == 1
    assert result.stderr == "error: no document 7, z.txt; nothing changed\n"
    assert snapshot(db) == before


def test_no_document_named_is_a_usage_error(db):
    result = run("review", "accept", "--db", db)
    assert result.exit_code == 2 and "name at least one DOC, or pass --all-in-progress" in result.output


def test_reset_of_edited_documents_wants_yes(db):
    with Store.open(db, create=False) as store:
        gold_edits.mark_boilerplate(store, 1, "tester", 0, 4)
        gold_edits.set_state(store, 2, "tester", ACCEPTED)
    before = snapshot(db)
    result = run("review", "reset", "a.txt", "b.txt", "--db", db)
    assert result.exit_code == 1
    assert result.stderr == ("error: 1 document(s) hold tester's own edits (a.txt (id 1)), which a reset would "
                             "discard; nothing changed (pass --yes to reset them anyway; the edit log keeps a copy)\n")
    assert snapshot(db) == before
    result = run("review", "reset", "a.txt", "b.txt", "c.txt", "--db", db, "--yes")
    assert result.stdout == "reset 2 document(s) as tester; 1 never edited\n"
    with Store.open(db, create=False) as store:
        assert [store.review(d, "tester").annotator for d in (1, 2)] == [None, None]
        assert store.boilerplate(1, "tester") == []
