"""Migration 0052: stored tokens and predictions move from their deflated forms (TK1, SP1) to the
escaped ones (TK2, SP2), keeping every token, span, label and evaluation stamp.

A database written before it (with the older forms exactly as the code then wrote them,
:mod:`tests.older_forms`, the oldest uint32 token pairs too, values needing escapes, a document
without tokens) is opened through the store: it is migrated with a backup, every document reads
the same tokens and predictions as before, and the stamp triggers work again afterwards."""

from __future__ import annotations

import random
import sqlite3
from array import array

from annotator.core.packed_arrays import spans_of, tokens_of
from annotator.core.packing import unpack_spans, unpack_tokens
from annotator.store import Store, schema
from tests.older_forms import old_spans, old_tokens

LABELS = ["GPE", "PERSON", "ÉTAT 🌍", "ORG"]


def _old_database(path):
    """A database before 0052; (tokens per document, spans per run, stamps)."""
    from sqlite_utils import Database

    rng = random.Random(52)
    db = Database(sqlite3.connect(str(path)))
    schema.migrations.apply(db, stop_before="0052_escaped_tokens_and_predictions")
    conn = db.conn
    tokens: dict[int, tuple[list[int], list[int]]] = {}
    spans: dict[int, list[tuple[int, int, str]]] = {}
    for k in range(2500):  # more than a page of the migration
        doc = conn.execute("INSERT INTO documents(source, text, content_hash, length, created_at) "
                           "VALUES (?, 'x', ?, 1, 'x')", [f"d{k}.txt", f"h{k}"]).lastrowid
        starts, ends, pos = [], [], 0
        for _ in range(rng.choice([0, 1, 7, 60])):
            pos += rng.choice([0, 1, 1, 15, 300, 70_000])
            starts.append(pos)
            pos += rng.choice([1, 4, 14, 15, 16, 90])
            ends.append(pos)
        if k % 11 != 5:  # some documents have no stored tokens
            oldest = array("I", [v for pair in zip(starts, ends) for v in pair]).tobytes()
            conn.execute("INSERT INTO document_tokens(document_id, tokenizer, tokens) VALUES (?, 'sm', ?)",
                         [doc, oldest if k % 13 == 1 else old_tokens(starts, ends)])
            tokens[doc] = (starts, ends)
        for version in ("1", "2")[: 1 + k % 2]:
            found = sorted({(s, e, rng.choice(LABELS)) for s, e in zip(starts, ends)})
            run = conn.execute("INSERT INTO prediction_runs(document_id, pipeline, version, created_at, spans, n_spans) "
                               "VALUES (?, 'sm', ?, 't', ?, ?)", [doc, version, old_spans(found), len(found)]).lastrowid
            spans[run] = found
    conn.commit()
    stamps = dict(conn.execute("SELECT document_id, stamp FROM evaluation_stamps"))
    conn.close()
    return tokens, spans, stamps


def test_an_old_database_keeps_every_token_span_and_stamp(tmp_path):
    path = tmp_path / "project.db"
    tokens, spans, stamps = _old_database(path)
    with Store.open(path) as store:
        stored_tokens = dict(store._q("SELECT document_id, tokens FROM document_tokens"))
        stored_spans = dict(store._q("SELECT id, spans FROM prediction_runs"))
        assert dict(store._q("SELECT document_id, stamp FROM evaluation_stamps")) == stamps  # scores kept valid
    assert {bytes(b[:3]) for b in stored_tokens.values()} == {b"TK2"}
    assert {bytes(b[:3]) for b in stored_spans.values()} == {b"SP2"}
    assert stored_tokens.keys() == tokens.keys() and stored_spans.keys() == spans.keys()
    for doc, (starts, ends) in tokens.items():
        got = unpack_tokens(stored_tokens[doc])
        assert (list(got[0]), list(got[1])) == (starts, ends)
    for run, found in spans.items():
        assert unpack_spans(stored_spans[run]) == found
    # read together, as the evaluation reads them
    docs = sorted(tokens)
    starts, ends, offsets = tokens_of([stored_tokens[d] for d in docs])
    assert [(starts[offsets[k]:offsets[k + 1]].tolist(), ends[offsets[k]:offsets[k + 1]].tolist())
            for k in range(len(docs))] == [tokens[d] for d in docs]
    runs = sorted(spans)
    labels: dict[str, int] = {}
    which, s, e, lab = spans_of([stored_spans[r] for r in runs], labels)
    names = list(labels)
    assert [(int(a), int(b), names[c]) for a, b, c in zip(s, e, lab)] == [x for r in runs for x in spans[r]]
    assert len(list(tmp_path.glob("project.db.bak-*"))) == 1


def test_after_it_a_change_to_tokens_or_predictions_still_bumps_the_stamp(tmp_path):
    path = tmp_path / "project.db"
    tokens, spans, _ = _old_database(path)
    doc = next(iter(tokens))
    run = next(r for r, found in spans.items() if found)
    with Store.open(path) as store:
        stamp = dict(store._q("SELECT document_id, stamp FROM evaluation_stamps"))
        run_doc = store._q("SELECT document_id FROM prediction_runs WHERE id = ?", [run]).fetchone()[0]
        with store.transaction():
            store.conn.execute("UPDATE document_tokens SET tokenizer = 'other' WHERE document_id = ?", [doc])
            store.conn.execute("UPDATE prediction_runs SET version = '9' WHERE id = ?", [run])
        after = dict(store._q("SELECT document_id, stamp FROM evaluation_stamps"))
    bumped = {d for d in after if after[d] != stamp.get(d, 0)}
    assert bumped == {doc, run_doc}
