"""Gold is what the reviewer saw: spans inside boilerplate are not exported, counted or scored."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from annotator.cli import app
from annotator.core.boilerplate import corpus_line_counts, suggest_boilerplate
from annotator.core.model import ACCEPTED, IN_PROGRESS
from annotator.core.spans import Range, Span, split_by_boilerplate
from annotator.ops import gold_edits, documents, suggestions
from annotator.ops.exporting import export
from annotator.ops.stats import corpus_stats
from annotator.store import Store
from tests.ops.test_export import add_doc, find, read_jsonl


def test_split_by_boilerplate_inside_crossing_outside():
    spans = [Span(0, 2, "A"), Span(3, 5, "B"), Span(5, 8, "C"), Span(9, 12, "D"), Span(20, 22, "E"), Span(2, 4, "F")]
    split = split_by_boilerplate(spans, [Range(3, 6), Range(6, 10)])  # touching ranges are one block
    assert [s.label for s in split.outside] == ["A", "E"]
    assert [s.label for s in split.inside] == ["B", "C"]
    assert [s.label for s in split.crossing] == ["D", "F"]
    assert split_by_boilerplate(spans, []).outside == spans


def test_jsonl_and_doccano_leave_out_spans_inside_boilerplate(store, tmp_path, tokenize):
    text = "Peskov spoke in Mali.\nRelated: Kyiv talks\nShare"
    kyiv = find(text, "Kyiv", "PERSON")
    add_doc(store, text, tokenize, [find(text, "Peskov", "PERSON"), find(text, "Mali", "GPE"), kyiv],
            [Range(text.index("Related"), len(text))])
    report = export(store, tmp_path / "p.jsonl")
    (rec,) = read_jsonl(tmp_path / "p.jsonl")
    assert [(rec["text"][s["start"]:s["end"]], s["label"]) for s in rec["spans"]] == [("Peskov", "PERSON"), ("Mali", "GPE")]
    assert rec["boilerplate"] == [{"start": text.index("Related"), "end": len(text)}]  # the ranges stay
    assert report.count("inside_boilerplate") == 1 and report.spans == 2
    export(store, tmp_path / "d.jsonl", fmt="doccano")
    (doc,) = read_jsonl(tmp_path / "d.jsonl")
    assert [label for _, _, label in doc["label"]] == ["PERSON", "GPE"]
    export(store, tmp_path / "ds.jsonl", fmt="doccano", strip=True)
    (stripped,) = read_jsonl(tmp_path / "ds.jsonl")
    assert stripped["text"] == "Peskov spoke in Mali.\n"
    assert [stripped["text"][s:e] for s, e, _ in stripped["label"]] == ["Peskov", "Mali"]


def test_crossing_spans_are_reported_once_as_a_count(store, tmp_path, tokenize):
    for i in range(5):
        text = f"Report {i}. Peskov Dmitry spoke.\nShare this"
        start = text.index("Dmitry")
        add_doc(store, text, tokenize, [find(text, "Peskov Dmitry", "PERSON")], [Range(start, len(text))])
    report = export(store, tmp_path / "x.jsonl")
    lines = report.summary_lines()
    assert [kind for kind, _ in lines] == ["crossing_kept"]
    line = lines[0][1]
    assert line.startswith("5 span(s) cross a boilerplate edge") and line.count("PERSON") == 3 and line.endswith("; ...)")
    assert all(len(rec["spans"]) == 1 for rec in read_jsonl(tmp_path / "x.jsonl"))  # kept as the reviewer left them
    stripped = export(store, tmp_path / "s.jsonl", strip=True)
    assert stripped.count("crossing_dropped") == 5 and len(stripped.summary_lines()) == 1


def test_all_keeps_unreviewed_predictions_as_they_are(store, tmp_path, tokenize):
    text = "Share\nMali is in Africa."
    doc_id, _ = store.add_document(text, "u.txt", "hu")
    store.add_prediction(doc_id, "en_x", "1", [Span(0, 5, "ORG", "model"), Span(6, 10, "PERSON", "model")])
    export(store, tmp_path / "all.jsonl", include_all=True, tokenizer=lambda: __import__("spacy").blank("en").tokenizer)
    (rec,) = read_jsonl(tmp_path / "all.jsonl")
    assert [s["label"] for s in rec["spans"]] == ["ORG", "PERSON"] and rec["meta"]["pipeline"] == "en_x"


def test_stats_count_only_gold_outside_boilerplate(store, tokenize):
    text = "Peskov spoke in Mali.\nRelated: Kyiv talks"
    add_doc(store, text, tokenize, [find(text, "Peskov", "PERSON"), find(text, "Mali", "GPE"),
                                    find(text, "Kyiv", "PERSON")], [Range(text.index("Related"), len(text))])
    data = corpus_stats(store)
    assert data["spans_per_label"] == {"GPE": 1, "PERSON": 1} and data["spans_inside_boilerplate"] == 1


@pytest.mark.integration
def test_reviewed_seeds_export_no_span_inside_boilerplate(seeded_db, tmp_path):
    """The seeds reviewed as in the issue: heuristic boilerplate accepted, every document accepted."""
    db = tmp_path / "seeds.db"
    db.write_bytes(seeded_db.read_bytes())
    with Store.open(db) as store:
        ids = store.document_ids()
        counts = corpus_line_counts(text for _, text in store.iter_texts(ids))
        for doc_id in ids:
            documents.open_document(store, doc_id, "tester")
            found = suggest_boilerplate(store.document(doc_id).text, counts)
            suggestions.accept_suggestions(store, doc_id, "tester", found)
            gold_edits.set_state(store, doc_id, "tester", ACCEPTED)
        inside = sum(len(split_by_boilerplate(store.gold(i, "tester"), store.boilerplate(i, "tester")).inside) for i in ids)
        assert inside > 100, "the seeds are full of boilerplate with model spans in it"
        report = export(store, tmp_path / "gold.jsonl")
        assert report.count("inside_boilerplate") == inside
        for rec in read_jsonl(tmp_path / "gold.jsonl"):
            ranges = [Range(b["start"], b["end"]) for b in rec["boilerplate"]]
            spans = [Span(s["start"], s["end"], s["label"]) for s in rec["spans"]]
            assert split_by_boilerplate(spans, ranges).inside == []
        stats = corpus_stats(store)
        assert sum(stats["spans_per_label"].values()) == report.spans
    result = CliRunner().invoke(app, ["export", "--db", str(db), "--format", "spacy", "--out", str(tmp_path / "g.spacy")])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith(("warning:", "note:"))]
    assert len(warnings) <= 4, result.stderr  # at most one line per kind of problem, not one per span
    assert any(line.startswith("note:") and "inside boilerplate" in line for line in warnings)


def test_stats_count_the_gold_of_accepted_documents_as_export_does(store, tokenize, tmp_path):
    """A document opened and edited but not accepted is not gold yet: export leaves it out, and so
    do the stats' spans per label (they counted it); its spans are reported apart."""
    text = "Peskov spoke in Mali."
    add_doc(store, text, tokenize, [find(text, "Peskov", "PERSON"), find(text, "Mali", "GPE")])
    other = "Wagner left Bamako."
    add_doc(store, other, tokenize, [find(other, "Wagner", "ORG"), find(other, "Bamako", "GPE")], state=IN_PROGRESS)
    report = export(store, tmp_path / "gold.jsonl", tokenizer=lambda: __import__("spacy").blank("en").tokenizer)
    data = corpus_stats(store)
    assert data["spans_per_label"] == {"GPE": 1, "PERSON": 1} and sum(data["spans_per_label"].values()) == report.spans
    assert data["spans_not_accepted"] == 2
