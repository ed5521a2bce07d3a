"""Adjudication operations, and the one gold rule export and evaluation share."""

from __future__ import annotations

import json

import pytest

from annotator.core.adjudication import AGREED, CONFLICT, PARTIAL, candidates, take
from annotator.core.errors import InputError
from annotator.core.model import ACCEPTED, IN_PROGRESS
from annotator.core.spans import Range
from annotator.core.team import FINAL, Layer, resolve
from annotator.ops import adjudication, gold_edits, documents
from annotator.ops.evaluating import evaluate_stored
from annotator.ops.exporting import export
from tests.team.helpers import LABELS, TEXTS, find, make_project

TEXT = TEXTS[0]  # "Report 0: Mali said Keita met Putin in Bamako on Monday."


def test_candidates_say_who_has_what():
    mali, keita, putin = find(TEXT, "Mali", "GPE"), find(TEXT, "Keita", "PERSON"), find(TEXT, "Putin", "PERSON")
    layers = [Layer("A", [mali, keita, putin], []), Layer("B", [mali._replace(label="LOC"), keita], []),
              Layer("C", [mali, keita], [Range(TEXT.index("Putin"), len(TEXT))])]
    found = {(c.span.start, c.span.label): c for c in candidates(layers)}
    assert found[(keita.start, "PERSON")].status == AGREED and found[(keita.start, "PERSON")].description == "A B C"
    assert found[(putin.start, "PERSON")].status == PARTIAL and found[(putin.start, "PERSON")].holders == ("A",)
    conflict = found[(mali.start, "GPE")]
    assert conflict.status == CONFLICT and conflict.holders == ("A", "C")
    assert conflict.description == "A C: GPE / B: LOC" == found[(mali.start, "LOC")].description
    removed, added = take([mali, putin], [mali._replace(label="LOC"), putin])
    assert removed == [mali] and added == [mali._replace(label="LOC", origin="human")]


def test_resolution_rule():
    a = Layer("ann", [find(TEXT, "Mali", "GPE")], [])
    b = Layer("bob", [find(TEXT, "Mali", "GPE"), find(TEXT, "Monday", "DATE")], [Range(TEXT.index("Monday"), len(TEXT))])
    agreed = resolve([a, b], None)
    assert agreed.kind == "agreed" and agreed.spans == [find(TEXT, "Mali", "GPE")] and agreed.label == "ann+bob"
    assert agreed.boilerplate == b.boilerplate  # what anybody marked stays unannotated
    c = Layer("cy", [find(TEXT, "Mali", "LOC")], [])
    assert resolve([a, b, c], None).kind == "conflict"
    final = Layer("lead", [find(TEXT, "Mali", "LOC")], [])
    assert resolve([a, c], final).kind == "adjudicated" and resolve([a], None).kind == "single"
    assert resolve([], None) is None


def test_adjudicate_undo_and_accept(store, disputed, tmp_path):
    doc = disputed
    (entry,) = adjudication.queue(store)
    assert entry.document_id == doc and entry.disagreement.disputed == 2 and entry.state == "todo"
    view = adjudication.read_adjudication(store, doc)
    assert view.final == [find(TEXT, "Keita", "PERSON")] and view.state == "todo"  # agreed: the adjudicator keeps it
    assert store.gold(doc, FINAL) == []  # reading starts nothing
    opened = adjudication.open_adjudication(store, doc, "lead")
    assert opened.state == IN_PROGRESS and opened.adjudicator == "lead" and opened.started_at
    before = documents.snapshot(store, doc, FINAL)
    removed, added = adjudication.take_annotator(store, doc, "lead", "bob", LABELS,
                                                 within=Range(TEXT.index("Mali"), TEXT.index("Mali") + 1))
    assert removed == [] and added == [find(TEXT, "Mali", "LOC")._replace(origin="human")]
    documents.restore(store, before, FINAL, "undo")  # the window's undo works on the final layer
    assert store.gold(doc, FINAL) == list(before.gold)
    adjudication.take_agreed(store, doc, "lead", LABELS)
    adjudication.edit_final(store, doc, "lead", add=[find(TEXT, "Putin", "GPE")], labels=LABELS)
    adjudication.set_final_boilerplate(store, doc, "lead", [Range(0, TEXT.index(":") + 1)])
    with pytest.raises(InputError, match="'cy' has no accepted gold"):
        adjudication.take_annotator(store, doc, "lead", "cy", LABELS)
    assert export(store, tmp_path / "before.jsonl").gold.conflicts == 1
    adjudication.accept(store, doc, "boss")
    assert store.review(doc, FINAL).state == ACCEPTED and adjudication.read_adjudication(store, doc).adjudicator == "boss"
    assert store.review(doc, "ann").state == ACCEPTED and store.gold(doc, "ann")[0].label == "GPE"  # untouched
    report = export(store, tmp_path / "gold.jsonl")
    (record,) = [json.loads(line) for line in (tmp_path / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    assert report.gold.conflicts == 0 and record["_annotator_id"] == "boss" and record["sessions"] == ["ann", "bob"]
    assert {(s["start"], s["end"], s["label"]) for s in record["spans"]} == {
        tuple(find(TEXT, w, label)[:3]) for w, label in (("Keita", "PERSON"), ("Putin", "GPE"))}
    actions = [e["action"] for e in store.edits(doc) if e["annotator"] == FINAL]
    assert actions[0] == "start_adjudication" and actions[-1] == "accept_adjudication"


def test_evaluation_leaves_conflicts_out_like_export(store, disputed, tokenize):
    with pytest.raises(InputError, match="no gold to evaluate against: 1 document"):
        evaluate_stored(store, "en_test", tokenize)
    adjudication.accept(store, disputed, "lead")  # the agreed spans only
    report = evaluate_stored(store, "en_test", tokenize)
    assert report.documents == 1 and report.gold.kinds == {"adjudicated": 1}
    assert report.evaluation.totals.tp == 1  # Keita; the model's Mali PERSON is not in the final gold


def test_start_needs_two_annotators(store, tokenize):
    make_project(store.path, tokenize, [TEXT])
    doc = store.document_ids()[0]
    gold_edits.set_state(store, doc, "ann", ACCEPTED)
    with pytest.raises(InputError, match="fewer than two annotators"):
        adjudication.start_adjudication(store, doc, "lead")
