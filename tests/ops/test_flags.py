"""Flags and notes: written at once, per annotator, listed, counted, exported in meta.flags,
imported back, merged from annotators' files and JSONL (the later flag winning)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from annotator.cli import app
from annotator.core.errors import InputError
from annotator.core.hashing import content_hash
from annotator.ops import flags
from annotator.ops.assigning import assign
from annotator.ops.exporting import export
from annotator.ops.importing import import_paths
from annotator.ops.merging import merge_files
from annotator.ops.stats import corpus_stats
from annotator.store import Store
from annotator.store.listing import Listing, ListQuery
from tests.conftest import snapshot
from tests.team.helpers import TEXTS, make_project

runner = CliRunner()


def doc_of(store: Store, text: str) -> int:
    found = store.document_id_by_hash(content_hash(text))
    assert found is not None
    return found


def test_flag_is_per_annotator_written_at_once_listed_and_counted(tmp_path, tokenize):
    path = tmp_path / "p.db"
    ids = make_project(path, tokenize)
    with Store.open(path) as store:
        flags.set_flag(store, ids[1], "ann", "  ORG or GPE?  ")
        flags.set_flag(store, ids[3], "ann")
        flags.set_flag(store, ids[3], "bob", "bob's doubt")
    with Store.open(path) as other:  # another connection sees it: nothing waits for a save
        assert flags.flag_of(other, ids[1], "ann").note == "ORG or GPE?"
        assert flags.flag_of(other, ids[1], "bob") is None
        listing = Listing(other)
        assert listing.page(ListQuery("ann", flagged=True), 0, 50) == [ids[1], ids[3]]
        assert listing.page(ListQuery("bob", flagged=True), 0, 50) == [ids[3]]
        rows = listing.rows([ids[1], ids[2]], "ann")
        assert (rows[ids[1]].flag, rows[ids[1]].note) == ("unsure", "ORG or GPE?") and rows[ids[2]].flag is None
        assert corpus_stats(other)["flags"] == {"unsure": {"documents": 3, "notes": 2}}
        flags.set_flag(other, ids[1], "ann", "")  # the note cleared, the flag kept
        assert flags.flag_of(other, ids[1], "ann").note == ""
        flags.clear_flag(other, ids[3], "ann")
        assert flags.flag_of(other, ids[3], "ann") is None
        assert listing.page(ListQuery("ann", flagged=True), 0, 50) == [ids[1]]
        assert listing.rows([ids[3]], "ann")[ids[3]].flag is None  # a cleared flag shows no marker
        assert corpus_stats(other)["flags"] == {"unsure": {"documents": 2, "notes": 1}}
        with pytest.raises(InputError):
            flags.set_flag(other, ids[1], "ann", "x" * 3000)


def test_export_import_round_trip_keeps_flags_and_notes(tmp_path, tokenize):
    path = tmp_path / "p.db"
    ids = make_project(path, tokenize)
    with Store.open(path) as store:
        flags.set_flag(store, ids[0], "ann", "Is “Mali” a person here?")
        flags.set_flag(store, ids[0], "bob", "")
        flags.set_flag(store, ids[5], "ann", "two lines\nof note")
        flags.set_flag(store, ids[6], "ann", "cleared later")
        flags.clear_flag(store, ids[6], "ann")
        out = tmp_path / "all.jsonl"
        export(store, out, include_all=True)
        per_layer = tmp_path / "ann.jsonl"
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    metas = {line["text"]: line["meta"] for line in lines}
    assert [(f["annotator"], f["flag"], f["note"]) for f in metas[TEXTS[0]]["flags"]] == [
        ("ann", "unsure", "Is “Mali” a person here?"), ("bob", "unsure", "")]
    assert "flags" not in metas[TEXTS[1]] and "flags" not in metas[TEXTS[6]]
    fresh = tmp_path / "fresh.db"
    with Store.open(fresh) as store:
        report = import_paths(store, [out], annotator="tester", tokenize=tokenize)
        assert report.flags == 3
        assert flags.flag_of(store, doc_of(store, TEXTS[5]), "ann").note == "two lines\nof note"
        assert flags.flag_of(store, doc_of(store, TEXTS[0]), "bob").note == ""
        assert flags.flag_of(store, doc_of(store, TEXTS[6]), "ann") is None
        assert corpus_stats(store)["flags"] == {"unsure": {"documents": 3, "notes": 2}}
        assert "flags" not in store.document(doc_of(store, TEXTS[5])).meta  # not kept twice
    before = snapshot(fresh)
    with Store.open(fresh) as store:  # the same file again: the flags are as late as the project's
        assert import_paths(store, [out], annotator="tester", tokenize=tokenize).flags == 0
    assert snapshot(fresh) == before
    with Store.open(path) as store:  # a layer's lines carry that annotator's flag only
        flags.set_flag(store, ids[0], "ann", "accepted anyway")
        from annotator.ops import gold_edits

        gold_edits.start_review(store, ids[0], "bob")
        export(store, per_layer, all_annotators=True, include_all=True)
    by_who = {line["_annotator_id"]: line["meta"].get("flags") for line in
              map(json.loads, per_layer.read_text(encoding="utf-8").splitlines()) if line["text"] == TEXTS[0]}
    assert [f["annotator"] for f in by_who["bob"]] == ["bob"]


def test_flags_round_trip_through_the_command_line(tmp_path, tokenize):
    path = tmp_path / "p.db"
    ids = make_project(path, tokenize)
    with Store.open(path) as store:
        flags.set_flag(store, ids[2], "tester", "check the date")
    out, fresh = tmp_path / "all.jsonl", tmp_path / "q.db"
    assert runner.invoke(app, ["export", "--db", str(path), "--out", str(out), "--all"]).exit_code == 0
    result = runner.invoke(app, ["import", str(out), "--db", str(fresh)])
    assert result.exit_code == 0, result.output
    assert "1 flag(s) and note(s)" in result.stdout
    stats = json.loads(runner.invoke(app, ["stats", "--db", str(fresh), "--json"]).stdout)
    assert stats["flags"] == {"unsure": {"documents": 1, "notes": 1}}
    text = runner.invoke(app, ["stats", "--db", str(fresh)]).stdout
    assert "Flagged: unsure 1 (1 with a note)" in text
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "Mali", "meta": {"flags": [{"flag": "unsure", "note": 3}]}}) + "\n",
                   encoding="utf-8")
    before = snapshot(fresh)
    result = runner.invoke(app, ["import", str(bad), "--db", str(fresh)])
    assert result.exit_code == 1 and "bad.jsonl:1:" in result.stderr and "note must be a string" in result.stderr
    assert snapshot(fresh) == before


def test_merge_brings_flags_and_clearing_from_files_and_jsonl(tmp_path, tokenize):
    project = tmp_path / "project.db"
    make_project(project, tokenize)
    with Store.open(project) as store:
        assign(store, tmp_path / "out", ["ann", "bob"], overlap=0.5, seed=2)
    ann_file = tmp_path / "out" / "ann.db"
    with Store.open(ann_file, create=False) as own:
        mine = own.document_ids()
        texts = [own.document(d).text for d in mine[:2]]
        flags.set_flag(own, mine[0], "ann", "first doubt")
        flags.set_flag(own, mine[1], "ann", "second doubt")
    with Store.open(project) as store:
        report = merge_files(store, [ann_file])
        assert report.files[0].flags == 2
        assert flags.flag_of(store, doc_of(store, texts[0]), "ann").note == "first doubt"
        assert corpus_stats(store)["flags"]["unsure"]["documents"] == 2
    before = snapshot(project)
    with Store.open(project) as store:
        assert merge_files(store, [ann_file]).files[0].flags == 0  # twice changes nothing
    assert snapshot(project) == before
    with Store.open(ann_file, create=False) as own:  # the annotator clears one and edits the other's note
        flags.clear_flag(own, mine[0], "ann")
        flags.set_flag(own, mine[1], "ann", "second doubt, resolved? no")
    with Store.open(project) as store:
        merge_files(store, [ann_file])
        assert flags.flag_of(store, doc_of(store, texts[0]), "ann") is None
        assert flags.flag_of(store, doc_of(store, texts[1]), "ann").note == "second doubt, resolved? no"
        # a flag the lead's project has later than the file is kept
        flags.set_flag(store, doc_of(store, texts[1]), "ann", "newer in the project")
        merge_files(store, [ann_file])
        assert flags.flag_of(store, doc_of(store, texts[1]), "ann").note == "newer in the project"
    lines = tmp_path / "cy.jsonl"  # JSONL: a line that is no annotation still brings its flag
    lines.write_text(json.dumps({"text": texts[0], "_annotator_id": "cy",
                                 "meta": {"flags": [{"flag": "unsure", "note": "cy was here",
                                                     "updated_at": "2030-01-01T00:00:00+00:00"}]}}) + "\n",
                     encoding="utf-8")
    with Store.open(project) as store:
        assert merge_files(store, [lines]).files[0].flags == 1
        assert flags.flag_of(store, doc_of(store, texts[0]), "cy").note == "cy was here"
