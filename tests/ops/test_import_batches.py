"""Import in batches: the same rows as record by record, round trips unchanged, bad lines named,
and a killed import leaves the project as it was (a re-run then skips nothing twice)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from annotator.core.errors import InputError
from annotator.ops import importing
from annotator.ops.exporting import export
from annotator.ops.importing import import_paths
from annotator.store import Store
from annotator.store import importing as store_import
from tests.conftest import kill_an_import_midway, snapshot

WORDS = ["Mali", "Niger", "Kyiv", "Bamako", "said", "the", "minister", "on", "Tuesday", "Zoë", "🎉", "in", "and"]
LABEL_OF = {"Mali": "GPE", "Niger": "GPE", "Kyiv": "GPE", "Bamako": "GPE", "Zoë": "PERSON"}


def _text(i: int) -> str:
    words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(8 + i % 5)]
    return f"Report {i}: " + " ".join(words) + ".\nShare this article\n"


def _tokens_and_spans(text: str, tokenize) -> tuple[list[dict], list[dict]]:
    tokens = tokenize(text)
    token_list = [{"start": s, "end": e} for s, e in zip(tokens.starts, tokens.ends)]
    spans = [{"start": s, "end": e, "label": LABEL_OF[text[s:e]]}
             for s, e in zip(tokens.starts, tokens.ends) if text[s:e] in LABEL_OF]
    return token_list, spans


def _records(tokenize, n: int = 60) -> list[dict]:
    """Every kind of record import knows, mixed, with one text twice and one already in the project."""
    out = []
    for i in range(n):
        text = _text(i)
        tokens, spans = _tokens_and_spans(text, tokenize)
        kind = i % 8
        if kind == 0:  # a model's predictions made elsewhere, with tokens
            out.append({"text": text, "tokens": tokens, "spans": spans,
                        "meta": {"pipeline": "en_elsewhere", "pipeline_version": "3.1", "source": f"p{i}.txt"}})
        elif kind == 1:  # predictions without tokens: tokenized at import
            out.append({"text": text, "spans": spans, "meta": {"pipeline": "en_elsewhere"}})
        elif kind == 2:  # accepted gold with tokens, someone else's
            out.append({"text": text, "tokens": tokens, "spans": spans, "answer": "accept", "_annotator_id": "alice",
                        "meta": {"batch": i, "note": "שלום"}})
        elif kind == 3:  # rejected, with boilerplate (two touching ranges are merged)
            out.append({"text": text, "tokens": tokens, "spans": spans[:1], "answer": "reject",
                        "boilerplate": [{"start": len(text) - 19, "end": len(text) - 10},
                                        {"start": len(text) - 10, "end": len(text) - 1}]})
        elif kind == 4:  # work in progress without tokens, one span off the token boundaries
            bad = [{"start": 1, "end": 4, "label": "ORG"}] if i % 16 == 4 else []
            out.append({"text": text, "spans": bad + [s for s in spans if s["start"] > 4]})
        elif kind == 5:  # doccano
            out.append({"text": text, "label": [[s["start"], s["end"], s["label"]] for s in spans]})
        elif kind == 6:  # text only
            out.append({"text": text})
        else:  # a review state in meta, and a flag
            out.append({"text": text, "tokens": tokens, "spans": spans, "_annotator_id": "bob",
                        "meta": {"review_state": "accepted", "flags": [{"flag": "unsure", "note": "check Kyiv",
                                                                       "updated_at": "2026-01-01T00:00:00+00:00"}]}})
    # the same text again (its gold replaces the first's, logged), and a text already in the project
    out.append({"text": out[2]["text"], "spans": [], "answer": "accept", "_annotator_id": "alice"})
    out.append({"text": "Known before the import: Mali.", "spans": [{"start": 25, "end": 29, "label": "GPE"}],
                "answer": "accept"})
    return out


def _write(path: Path, records: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records),
                    encoding="utf-8")
    return path


TIMELESS = {  # every table import writes, without the times it was written at
    "documents": "SELECT id, source, text, content_hash, length, meta FROM documents",
    "tokens": "SELECT document_id, tokenizer, tokens FROM document_tokens",
    "predictions": "SELECT id, document_id, pipeline, version, spans, n_spans FROM prediction_runs",
    "gold": "SELECT document_id, annotator, spans, n_spans, labels FROM gold_layers",
    "boilerplate": "SELECT id, document_id, annotator, start_char, end_char FROM boilerplate",
    "reviews": "SELECT id, document_id, annotator, state FROM annotator_reviews",
    "latest": "SELECT document_id, annotator, state FROM reviews",
    "counts": "SELECT annotator, state, n FROM review_counts",
    "document_count": "SELECT n FROM document_count",
    "edits": "SELECT id, document_id, annotator, action, payload FROM edits",
    "splits": "SELECT document_id, split, dev_fraction FROM training_splits",
    "stamps": "SELECT document_id, stamp FROM evaluation_stamps",
    "flags": "SELECT document_id, annotator, flag, note, updated_at FROM flags",
}


def _rows(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(str(path))
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {name: sorted(conn.execute(sql).fetchall()) for name, sql in TIMELESS.items()}
    finally:
        conn.close()


def _import(db: Path, source: Path, tokenize) -> importing.ImportReport:
    with Store.open(db) as store:
        store.add_document("Known before the import: Mali.", "known.txt",
                           importing.content_hash("Known before the import: Mali."))
        return import_paths(store, [source], annotator="me", tokenize=tokenize, tokenizer_name="blank")


@pytest.mark.parametrize("batch, batch_bytes", [(7, 32 << 20), (1000, 300)])  # cut by count, by size
def test_batches_write_exactly_what_record_by_record_import_writes(tmp_path, tokenize, monkeypatch, batch, batch_bytes):
    source = _write(tmp_path / "mixed.jsonl", _records(tokenize))
    monkeypatch.setattr(importing, "BATCH", batch)  # many batches, a duplicate text across and within them
    monkeypatch.setattr(importing, "BATCH_BYTES", batch_bytes)
    batched = _import(tmp_path / "batched.db", source, tokenize)
    # every text looked up as "already known" sends each record down the one-at-a-time path
    monkeypatch.setattr(store_import, "ids_by_hash", lambda store, digests: {d: -1 for d in digests})
    one_by_one = _import(tmp_path / "one.db", source, tokenize)
    assert batched == one_by_one
    assert (batched.new_documents, batched.known_documents, batched.gold_replaced) == (60, 2, 1)
    assert batched.gold_documents == 39 and batched.flags == 7 and len(batched.misaligned) == 4
    assert _rows(tmp_path / "batched.db") == _rows(tmp_path / "one.db")


@pytest.mark.parametrize("batch, batch_bytes", [(4, 32 << 20), (1000, 100)])
def test_text_files_in_batches_each_text_once_in_file_order(tmp_path, db_path, monkeypatch, batch, batch_bytes):
    monkeypatch.setattr(importing, "BATCH", batch)
    monkeypatch.setattr(importing, "BATCH_BYTES", batch_bytes)
    folder = tmp_path / "texts"
    folder.mkdir()
    texts = [_text(i) for i in range(11)] + [_text(3), _text(9)]  # two texts twice
    for i, text in enumerate(texts):
        (folder / f"{i:02d}.txt").write_bytes(text.encode("utf-8"))
    with Store.open(db_path) as store:
        store.add_document(_text(5), "known.txt", importing.content_hash(_text(5)))
        report = import_paths(store, [folder], annotator="me")
        assert (report.files, report.new_documents, report.known_documents) == (13, 10, 3)
        docs = [store.document(i) for i in store.document_ids()]
    assert [d.text for d in docs] == [_text(5)] + [t for i, t in enumerate(texts[:11]) if i != 5]
    assert [d.source for d in docs[1:]] == [f"{i:02d}.txt" for i in range(11) if i != 5]
    assert all(d.meta == {"path": str(folder / d.source)} for d in docs[1:])
    assert all(d.content_hash == importing.content_hash(d.text) for d in docs)


@pytest.mark.parametrize("per_annotator", [False, True])
def test_export_import_export_is_identical(tmp_path, tokenize, blank_nlp, per_annotator):
    source = _write(tmp_path / "mixed.jsonl", _records(tokenize, 2500))
    _import(tmp_path / "a.db", source, tokenize)  # 2,500 records: three batches of 1,000
    options = {"include_all": True, "all_annotators": per_annotator, "tokenizer": lambda: blank_nlp.tokenizer}
    with Store.open(tmp_path / "a.db") as first:
        export(first, tmp_path / "one.jsonl", **options)
    with Store.open(tmp_path / "b.db") as second:
        report = import_paths(second, [tmp_path / "one.jsonl"], annotator="me")
        export(second, tmp_path / "two.jsonl", **options)
    lines = [json.loads(line) for line in (tmp_path / "one.jsonl").read_bytes().splitlines()]
    again = [json.loads(line) for line in (tmp_path / "two.jsonl").read_bytes().splitlines()]
    for line in lines + again:  # the database's own ids differ when not every document is exported
        del line["meta"]["document_id"]
    assert lines == again
    assert report.new_documents == len(lines) == (1563 if per_annotator else 2501)
    states = {r["meta"]["review_state"] for r in lines}
    assert states == {"in_progress", "accepted", "skipped"} | (set() if per_annotator else {"todo"})
    predicted = [r for r in lines if r["meta"].get("pipeline") == "en_elsewhere"]
    assert len(predicted) == (0 if per_annotator else 626) and all(r["tokens"] and r["spans"] for r in predicted)


@pytest.mark.parametrize("bad, message", [
    ('{"text": "Mali.", "spans": [{"start": 0, "end": 4, "label": "GPE"}, {"start": 2, "end": 5, "label": "GPE"}]}',
     "overlaps"),
    ('{"text": "Mali.", "spans": [{"start": 0, "end": 9, "label": "GPE"}]}', "outside the text"),
    ('{"text": "Mali.", "spans": [{"start": 0, "end": 4, "label": "NOPE"}]}', "unknown label"),
    ('{"text": "Mali.", "spans": [{"start": 0, "end": 4, "label": "GPE"}], "meta": {"note": "\\udc80"}}',
     "not valid Unicode"),
    ('{"text": "Mali.", "spans": [], "answer": "accept", "_annotator_id": "al\\ud800"}', "not valid Unicode"),
    ('{"text": "Mali.", "spans": [{"start": 0, "end": 4, "label": "GPE"}], "meta": {"pipeline": "\\udfff"}}',
     "not valid Unicode"),
    ('{"text": "Mali.", "meta": {"source": "a\\ud83d.txt"}}', "not valid Unicode"),
])
def test_a_bad_record_late_in_a_batch_is_named_and_changes_nothing(tmp_path, tokenize, db_path, bad, message):
    good = [json.dumps({"text": _text(i), "spans": []}) for i in range(1500)]
    source = _write(tmp_path / "x.jsonl", good[:1200] + [bad] + good[1200:])
    Store.open(db_path).close()
    before = snapshot(db_path)
    with Store.open(db_path) as store, pytest.raises(InputError) as caught:
        import_paths(store, [source], annotator="me", tokenize=tokenize)
    assert "x.jsonl:1201:" in str(caught.value) and message in str(caught.value)
    assert snapshot(db_path) == before


def test_a_killed_import_leaves_the_project_whole_and_a_rerun_imports_each_text_once(tmp_path, tokenize):
    db = tmp_path / "project.db"
    with Store.open(db) as store:
        import_paths(store, [_write(tmp_path / "first.jsonl", [{"text": _text(i)} for i in range(100)])],
                     annotator="me")
    records = []
    for i in range(20000):
        text = _text(i)
        tokens, spans = _tokens_and_spans(text, tokenize)
        records.append({"text": text, "tokens": tokens, "spans": spans, "answer": "accept"} if i % 2 else
                       {"text": text, "tokens": tokens, "spans": spans, "meta": {"pipeline": "en_elsewhere"}})
    source = _write(tmp_path / "big.jsonl", records)
    before = _rows(db)
    kill_an_import_midway(db, source, 1.0)  # well into the batches
    assert _rows(db) == before  # nothing half written: the import is one transaction
    with Store.open(db) as store:
        report = import_paths(store, [source], annotator="me")
        assert (report.new_documents, report.known_documents) == (19900, 100)
        again = import_paths(store, [source], annotator="me")
        assert (again.new_documents, again.known_documents) == (0, 20000)
        assert store.document_count() == 20000
        assert store.accepted_count() == 10000
        assert len(store.predicted_ids("en_elsewhere", "0")) == 10000
