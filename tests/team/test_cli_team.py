"""The team commands through the command line: output lines, one-line errors, exit codes."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from annotator.cli import app
from annotator.core.model import ACCEPTED
from annotator.ops import gold_edits
from annotator.store import Store
from tests.conftest import snapshot
from tests.team.helpers import LABELS, find, make_project

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_assign_merge_agreement_export_from_the_command_line(tmp_path, tokenize):
    project = tmp_path / "project.db"
    make_project(project, tokenize)
    result = run("assign", "--db", str(project), "--annotators", "ann,bob", "--overlap", "0.5", "--out",
                 str(tmp_path / "team"))
    assert result.exit_code == 0, result.output
    assert "Assigned 12 document(s), 6 of them to two annotators:" in result.stdout and "ann.db (new file)" in result.stdout
    for who, label in (("ann", "GPE"), ("bob", "LOC")):
        with Store.open(tmp_path / "team" / f"{who}.db", create=False) as own:
            for doc in own.document_ids():
                text = own.document(doc).text
                gold_edits.start_review(own, doc, who)
                gold_edits.relabel_span(own, doc, who, find(text, "Mali", "PERSON")._replace(origin="model"), label, LABELS)
                gold_edits.set_state(own, doc, who, ACCEPTED)
    result = run("merge", str(tmp_path / "team" / "ann.db"), str(tmp_path / "team" / "bob.db"), "--db", str(project))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"Merged {tmp_path / 'team' / 'ann.db'} (project file, ann): 9 new")
    result = run("agreement", "--db", str(project), "--json", "--out", str(tmp_path / "agreement.json"))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data == json.loads((tmp_path / "agreement.json").read_text(encoding="utf-8"))
    assert data["documents"] == 6 and data["agreed"] == 6 and data["spans_a"] == data["spans_b"] == 12
    assert data["exact_f1"] == 0.5 and [p["a"] + "/" + p["b"] for p in data["per_pair"]] == ["ann/bob"]
    result = run("agreement", "--db", str(project))
    assert result.exit_code == 0 and "exact F1 0.500" in result.stdout
    result = run("export", "--db", str(project), "--out", str(tmp_path / "gold.jsonl"))
    assert result.exit_code == 0, result.output
    assert "Wrote 6 document(s)" in result.stdout
    assert "6 document(s) left out: their annotators disagree and nobody adjudicated them" in result.stderr


def test_bad_input_is_one_line_exit_1_and_changes_nothing(tmp_path, tokenize):
    project = tmp_path / "project.db"
    make_project(project, tokenize)
    (tmp_path / "notes.db").write_bytes(b"not a database at all\n")
    (tmp_path / "bad.jsonl").write_text('{"text": "x", "answer": "accept", "_annotator_id": "ann"}\n{oops\n',
                                        encoding="utf-8")
    before = snapshot(project)
    for args, expected in (
        (["merge", str(tmp_path / "notes.db")], "notes.db: is not an SQLite database"),
        (["merge", str(tmp_path / "bad.jsonl")], "bad.jsonl:2: malformed JSON"),
        (["merge", str(tmp_path / "missing.db")], "missing.db: does not exist"),
        (["assign", "--annotators", "ann,ann", "--out", str(tmp_path / "t")], "annotator 'ann' is named twice"),
        (["assign", "--annotators", "ann", "--overlap", "0.3", "--out", str(tmp_path / "t")], "two or more annotators"),
        (["agreement"], "no document has two or more annotators' accepted gold"),
        (["export", "--out", str(tmp_path / "x.jsonl"), "--annotator", "ann", "--all-annotators"], "exclude each other"),
    ):
        result = run(*args, "--db", str(project))
        assert result.exit_code == 1, (args, result.output)
        assert len(result.stderr.strip().splitlines()) == 1 and expected in result.stderr, result.stderr
    assert snapshot(project) == before
    assert not (tmp_path / "t").exists() and not (tmp_path / "x.jsonl").exists()
