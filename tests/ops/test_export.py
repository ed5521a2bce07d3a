"""Export formats, DocBin missing-annotation for boilerplate, stripping, and round trips."""

import json

import pytest
from spacy.tokens import DocBin

from annotator.core.errors import InputError, OutputError
from annotator.core.model import ACCEPTED, SKIPPED
from annotator.core.spans import Range, Span
from annotator.ops import gold_edits
from annotator.ops.exporting import export
from annotator.ops.importing import import_paths
from annotator.store import Store
from tests.ops.test_import import HOSTILE

LABELS = ["GPE", "PERSON", "LOC", "ORG"]


def add_doc(store, text, tokenize, spans=(), boilerplate=(), state=ACCEPTED, who="me"):
    doc_id, _ = store.add_document(text, f"doc{store.document_count()}.txt", str(hash(text)))
    store.set_tokens(doc_id, "blank", tokenize(text))
    for span in spans:
        gold_edits.add_span(store, doc_id, who, span, LABELS)
    if boilerplate:
        gold_edits.set_boilerplate(store, doc_id, who, boilerplate)
    gold_edits.set_state(store, doc_id, who, state)
    return doc_id


def find(text, needle, label, nth=0):
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return Span(start, start + len(needle), label)


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_prodigy_jsonl_fields(store, tmp_path, tokenize):
    text = "Peskov spoke in Mali.\nShare\n"
    add_doc(store, text, tokenize, [find(text, "Peskov", "PERSON"), find(text, "Mali", "GPE")], [Range(22, 27)])
    export(store, tmp_path / "out.jsonl")
    (rec,) = read_jsonl(tmp_path / "out.jsonl")
    assert rec["text"] == text and rec["answer"] == "accept" and rec["_view_id"] == "ner_manual"
    assert rec["spans"][1] == {"start": 16, "end": 20, "label": "GPE", "token_start": 3, "token_end": 3, "origin": "human"}
    assert rec["tokens"][0] == {"text": "Peskov", "start": 0, "end": 6, "id": 0, "ws": True}
    assert rec["boilerplate"] == [{"start": 22, "end": 27}]
    assert rec["_annotator_id"] == "me" and rec["meta"]["source"] == "doc0.txt"
    assert isinstance(rec["_input_hash"], int) and isinstance(rec["_task_hash"], int)


def test_default_exports_accepted_only_all_adds_rest(store, tmp_path, tokenize):
    add_doc(store, "Mali one.", tokenize, state=ACCEPTED)
    add_doc(store, "Mali two.", tokenize, state=SKIPPED)
    other, _ = store.add_document("Mali three.", "c.txt", "h3")
    store.add_prediction(other, "en_x", "1", [Span(0, 4, "PERSON", "model")])
    assert export(store, tmp_path / "a.jsonl").documents == 1
    assert export(store, tmp_path / "b.jsonl", include_all=True, tokenizer=lambda: __import__("spacy").blank("en").tokenizer).documents == 3
    recs = read_jsonl(tmp_path / "b.jsonl")
    assert [r.get("answer") for r in recs] == ["accept", "ignore", None]
    assert recs[2]["spans"][0]["label"] == "PERSON" and recs[2]["spans"][0]["origin"] == "model"


def test_doccano_format(store, tmp_path, tokenize):
    add_doc(store, "Mali and Niger.", tokenize, [Span(0, 4, "GPE"), Span(9, 14, "GPE")])
    export(store, tmp_path / "d.jsonl", fmt="doccano")
    assert read_jsonl(tmp_path / "d.jsonl") == [{"text": "Mali and Niger.", "label": [[0, 4, "GPE"], [9, 14, "GPE"]]}]


def test_docbin_boilerplate_is_missing_not_outside(store, tmp_path, tokenize, blank_nlp):
    text = "Putin met Keita in Bamako.\nRelated Articles\nMali news from Kyiv\n"
    bp = Range(text.index("Related"), len(text) - 1)
    add_doc(store, text, tokenize, [find(text, "Putin", "PERSON"), find(text, "Bamako", "GPE"), find(text, "Kyiv", "GPE")], [bp])
    export(store, tmp_path / "g.spacy", fmt="spacy", tokenizer=lambda: blank_nlp.tokenizer)
    (doc,) = list(DocBin().from_disk(tmp_path / "g.spacy").get_docs(blank_nlp.vocab))
    assert doc.text == text
    assert [(e.text, e.label_) for e in doc.ents] == [("Putin", "PERSON"), ("Bamako", "GPE")]
    iob = {t.text: t.ent_iob_ for t in doc}
    assert iob["met"] == "O"
    assert iob["Related"] == "" and iob["Mali"] == "" and iob["Kyiv"] == ""


def test_strip_boilerplate_rebases_offsets(store, tmp_path, tokenize):
    text = "Share this\nMali is in Africa. Related: Kyiv\nPeskov spoke."
    bp = [Range(0, 10), Range(text.index("Related"), text.index("Kyiv") + 4)]
    add_doc(store, text, tokenize, [find(text, "Mali", "GPE"), find(text, "Kyiv", "GPE"), find(text, "Peskov", "PERSON")], bp)
    report = export(store, tmp_path / "s.jsonl", strip=True)
    (rec,) = read_jsonl(tmp_path / "s.jsonl")
    assert rec["text"] == "\nMali is in Africa. \nPeskov spoke."
    assert [(rec["text"][s["start"]:s["end"]], s["label"]) for s in rec["spans"]] == [("Mali", "GPE"), ("Peskov", "PERSON")]
    assert all(rec["text"][t["start"]:t["end"]] == t["text"] for t in rec["tokens"])
    assert rec["boilerplate"] == [] and "Kyiv" not in rec["text"]
    assert report.count("inside_boilerplate") == 1 and report.count("crossing_dropped") == 0


def test_export_failure_leaves_no_partial_file(store, tmp_path):
    store.add_document("no tokens here", "x.txt", "hx")
    gold_edits.set_state(store, store.document_ids()[0], "me", ACCEPTED)
    out = tmp_path / "out.jsonl"
    out.write_text("previous export\n")
    with pytest.raises(InputError, match="no stored tokens"):
        export(store, out)
    assert out.read_text() == "previous export\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_round_trip_hostile_text(tmp_path, tokenize):
    texts = [HOSTILE, "🎉" * 3 + " Mali\r\n", "e\u0301\u0301 Niger <i>x</i>\t\tKyiv"]
    first = Store.open(tmp_path / "a.db")
    for text in texts:
        spans = [find(text, w, "GPE") for w in ("Mali", "Niger", "Kyiv", "Bamako") if w in text]
        add_doc(first, text, tokenize, spans, [Range(0, 2)] if text.startswith("Zo") else ())
    other, _ = first.add_document("Still todo in Mali.", "todo.txt", "htodo")
    first.set_tokens(other, "blank", tokenize("Still todo in Mali."))
    first.add_prediction(other, "en_test", "1.2", [Span(14, 18, "PERSON", "model")])
    gold_edits.set_state(first, add_doc(first, "Skipped Mali.", tokenize, [Span(8, 12, "GPE")]), "me", SKIPPED)
    export(first, tmp_path / "one.jsonl", include_all=True)
    second = Store.open(tmp_path / "b.db")
    import_paths(second, [tmp_path / "one.jsonl"], annotator="someone-else")
    export(second, tmp_path / "two.jsonl", include_all=True)
    one, two = read_jsonl(tmp_path / "one.jsonl"), read_jsonl(tmp_path / "two.jsonl")

    def essence(rec):
        return (rec["text"], rec["spans"], rec["boilerplate"], rec.get("answer"), rec["meta"]["review_state"],
                rec["_annotator_id"], rec["tokens"], rec["_input_hash"], rec["_task_hash"])

    assert [essence(r) for r in one] == [essence(r) for r in two]
    for rec in one:
        for span in rec["spans"]:
            assert rec["text"][span["start"]:span["end"]] in ("Mali", "Niger", "Kyiv", "Bamako")
    assert {r["meta"]["review_state"] for r in one} == {"accepted", "skipped", "todo"}
    todo_id = second.document_id_by_hash(__import__("annotator.core.hashing").core.hashing.content_hash("Still todo in Mali."))
    assert second.prediction(todo_id).pipeline == "en_test"
    assert second.review(todo_id).state == "todo" and second.gold(todo_id, "someone-else") == []
    first.close()
    second.close()


def test_split_exports_only_that_splits_gold(store, tokenize, tmp_path, blank_nlp):
    store.set_dev_fraction(0.5)
    ids = [add_doc(store, f"Story {i} from Mali.", tokenize, [Span(len(f"Story {i} from "), len(f"Story {i} from Mali"), "GPE")])
           for i in range(12)]
    add_doc(store, "Not reviewed yet, Mali.", tokenize, state=SKIPPED)
    for split in ("train", "dev"):
        report = export(store, tmp_path / f"{split}.spacy", fmt="spacy", split=split, tokenizer=lambda: blank_nlp.tokenizer)
        docs = list(DocBin().from_disk(tmp_path / f"{split}.spacy").get_docs(blank_nlp.vocab))
        expected = [store.document(i).text for i in ids if store.split_of(i) == split]
        assert [d.text for d in docs] == expected and report.documents == len(expected) > 0
        assert all([e.text for e in d.ents] == ["Mali"] for d in docs)
    with pytest.raises(InputError, match="--split .* does not go with --all"):
        export(store, tmp_path / "x.jsonl", split="dev", include_all=True)
    with pytest.raises(InputError, match="unknown split 'test'"):
        export(store, tmp_path / "x.jsonl", split="test")


def test_large_spacy_export_is_a_folder_of_shards_spacy_reads_as_one_corpus(store, tmp_path, tokenize, blank_nlp,
                                                                            monkeypatch):
    from spacy.training import Corpus
    from typer.testing import CliRunner

    from annotator.cli import app
    from annotator.ops import docbin_output

    texts = [f"Report {i}: Peskov spoke in Mali on Monday.\nShare this\n" for i in range(7)]
    for text in texts:
        add_doc(store, text, tokenize, [find(text, "Mali", "GPE"), find(text, "Peskov", "PERSON")],
                [Range(text.index("Share"), len(text) - 1)])
    small = export(store, tmp_path / "one.spacy", fmt="spacy", tokenizer=lambda: blank_nlp.tokenizer)
    assert small.shards == 0 and (tmp_path / "one.spacy").is_file()
    out = tmp_path / "gold.spacy"
    report = export(store, out, fmt="spacy", tokenizer=lambda: blank_nlp.tokenizer, shard_tokens=30)
    assert out.is_dir() and report.shards == len(list(out.iterdir())) >= 3 and report.documents == 7
    docs = list(Corpus(out)(blank_nlp))  # what `spacy train --paths.train gold.spacy` reads
    assert [e.reference.text for e in docs] == texts
    assert [[(ent.text, ent.label_) for ent in e.reference.ents] for e in docs] == [[("Peskov", "PERSON"), ("Mali", "GPE")]] * 7
    assert [[t.ent_iob_ for t in e.reference][-3:] for e in docs][0] == ["", "", "O"]  # boilerplate is missing

    export(store, out, fmt="spacy", tokenizer=lambda: blank_nlp.tokenizer, shard_tokens=60)  # replaces the folder
    assert [e.reference.text for e in Corpus(out)(blank_nlp)] == texts
    export(store, out, fmt="spacy", tokenizer=lambda: blank_nlp.tokenizer)  # small again: one file in its place
    assert out.is_file() and len(list(DocBin().from_disk(out).get_docs(blank_nlp.vocab))) == 7
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary left behind"

    mine = tmp_path / "my folder"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(OutputError, match="is a folder"):
        export(store, mine, fmt="spacy", tokenizer=lambda: blank_nlp.tokenizer, shard_tokens=30)
    assert (mine / "notes.txt").read_text() == "keep me"

    monkeypatch.setattr(docbin_output, "SHARD_TOKENS", 30)
    result = CliRunner().invoke(app, ["export", "--db", str(store.path), "--out", str(tmp_path / "cli.spacy"),
                                      "--format", "spacy"])
    assert result.exit_code == 0, result.output
    assert "to the folder" in result.stdout and "DocBin shards" in result.stdout and "7 document(s)" in result.stdout


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no named pipes here")
def test_a_spacy_export_too_large_for_one_file_refuses_a_pipe_and_leaves_it(store, tmp_path, tokenize, blank_nlp):
    """A small DocBin goes into a device or a pipe as it is; one large enough to be a folder of shards
    cannot: refused with the reason, the pipe (standing for /dev/null) left in place, nothing else left."""
    import os
    import stat

    for i in range(7):
        text = f"Report {i}: Peskov spoke in Mali on Monday."
        add_doc(store, text, tokenize, [find(text, "Mali", "GPE")])
    pipe = tmp_path / "out.spacy"
    os.mkfifo(pipe)
    reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)
    try:
        with pytest.raises(OutputError, match="is a device or a pipe, and a spaCy export this large is a folder"):
            export(store, pipe, fmt="spacy", tokenizer=lambda: blank_nlp.tokenizer, shard_tokens=30)
        assert stat.S_ISFIFO(os.stat(pipe).st_mode)
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary left behind"
        report = export(store, pipe, fmt="spacy", tokenizer=lambda: blank_nlp.tokenizer)  # small: one DocBin
        data = b""
        while chunk := os.read(reader, 1 << 16):
            data += chunk
        assert report.documents == 7 and len(list(DocBin().from_bytes(data).get_docs(blank_nlp.vocab))) == 7
        assert stat.S_ISFIFO(os.stat(pipe).st_mode)
    finally:
        os.close(reader)
