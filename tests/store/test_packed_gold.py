"""Migration 0050: an annotator's gold of a document becomes one packed row (``gold_layers``).

A database written before it (a row per gold span) is opened: every span stays in its layer
with its label and origin, a kept evaluation score stays valid (the layer did not change), the
document list counts as before, and the backup is taken. Then the layer's writers and readers
work on the packed row, whoever writes it."""

from __future__ import annotations

import sqlite3

import pytest

from annotator.core.packed_arrays import gold_of
from annotator.core.packing import gold_row, pack_gold, unpack_gold
from annotator.core.spans import Span
from annotator.ops import gold_edits
from annotator.store import Store, schema

LABELS = ["GPE", "PERSON", "ORG", "ÉTAT 🌍"]
TEXT = "Mali and Niger met in Niamey with Peskov; 🌍 État Kyiv " * 4


def _spans(k: int) -> list[tuple[int, int, str, str]]:
    """Layer ``k``: non-overlapping spans with every label and both origins, unsorted."""
    spans = []
    for j, word in enumerate(["Mali", "Niger", "Niamey", "Peskov", "État", "Kyiv"]):
        at = TEXT.index(word, (j % 3) * 60)
        spans.append((at, at + len(word), LABELS[(j + k) % len(LABELS)], ("model", "human")[(j * k) % 2]))
    return list(reversed(spans))


def _old_database(path) -> tuple[dict[tuple[int, str], list[tuple[int, int, str, str]]], dict[int, int]]:
    """A database before 0050 with layers of one or two annotators; (layers, stamps)."""
    from sqlite_utils import Database

    db = Database(sqlite3.connect(str(path)))
    schema.migrations.apply(db, stop_before="0050_packed_gold")
    conn = db.conn
    layers: dict[tuple[int, str], list[tuple[int, int, str, str]]] = {}
    for k in range(30):
        doc = conn.execute("INSERT INTO documents(source, text, content_hash, length, created_at) "
                           "VALUES (?, ?, ?, ?, 'x')", [f"d{k}.txt", TEXT, f"h{k}", len(TEXT)]).lastrowid
        for who in ("ann", "bob")[: 1 + k % 2]:
            spans = _spans(k)[: 1 + k % 6]
            layers[(doc, who)] = sorted(spans)
            conn.executemany("INSERT INTO gold_spans(document_id, annotator, start_char, end_char, label, origin) "
                             "VALUES (?, ?, ?, ?, ?, ?)", [(doc, who, *s) for s in spans])
            conn.execute("INSERT INTO annotator_reviews(document_id, annotator, state, updated_at) "
                         "VALUES (?, ?, 'accepted', 't')", [doc, who])
    conn.commit()
    stamps = dict(conn.execute("SELECT document_id, stamp FROM evaluation_stamps"))
    conn.close()
    return layers, stamps


def test_an_old_database_keeps_every_gold_span_in_its_layer(tmp_path):
    path = tmp_path / "project.db"
    layers, stamps = _old_database(path)
    with Store.open(path) as store:
        for (doc, who), spans in layers.items():
            assert [tuple(s) for s in store.gold(doc, who)] == spans
            assert store.has_gold(doc, who)
        assert not store.has_gold(next(iter(layers))[0], "carol")
        assert dict(store._q("SELECT document_id, stamp FROM evaluation_stamps")) == stamps  # scores kept valid
        assert store.used_labels() == {s[2] for spans in layers.values() for s in spans}
        tables = set(store.db.table_names())
        assert "gold_layers" in tables and "gold_spans" not in tables
        counts = {doc: n for doc, (_source, _state, n) in store.list_rows(sorted({d for d, _ in layers})).items()}
        reviewer = {doc: who for doc, who in store._q("SELECT document_id, annotator FROM reviews")}
        assert counts == {doc: len(layers[(doc, reviewer[doc])]) for doc in counts}
    assert len(list(tmp_path.glob("project.db.bak-*"))) == 1


def test_a_change_to_a_layer_bumps_its_documents_stamp_once(tmp_path):
    path = tmp_path / "project.db"
    layers, _ = _old_database(path)
    doc, who = next(iter(layers))
    with Store.open(path) as store:
        before = store._q("SELECT stamp FROM evaluation_stamps WHERE document_id = ?", [doc]).fetchone()[0]
        gold_edits.set_gold(store, doc, who, [Span(0, 4, "GPE")], LABELS)
        after = store._q("SELECT stamp FROM evaluation_stamps WHERE document_id = ?", [doc]).fetchone()[0]
        assert after > before
        assert store.gold(doc, who) == [Span(0, 4, "GPE", "human")]
        gold_edits.set_gold(store, doc, who, [], LABELS)
        assert not store.has_gold(doc, who)  # a layer without spans has no row, as before
        assert store._q("SELECT count(*) FROM gold_layers WHERE document_id = ? AND annotator = ?",
                        [doc, who]).fetchone()[0] == 0


def test_adding_and_removing_spans_rewrite_the_layer(tmp_path):
    with Store.open(tmp_path / "p.db") as store:
        doc = store.add_document(TEXT, "a.txt", "h")[0]
        store.add_gold(doc, "ann", [Span(9, 14, "GPE", "model")])
        store.add_gold(doc, "ann", [Span(0, 4, "PERSON", "human")])
        assert store.gold(doc, "ann") == [Span(0, 4, "PERSON", "human"), Span(9, 14, "GPE", "model")]
        assert store.gold_overlapping(doc, "ann", 3, 10) == store.gold(doc, "ann")
        assert store.gold_overlapping(doc, "ann", 4, 9) == []
        assert store.has_gold_span(doc, "ann", Span(9, 14, "GPE", "human"))  # whatever its origin
        store.remove_gold(doc, "ann", [Span(0, 4, "PERSON", "model")])
        assert store.gold(doc, "ann") == [Span(9, 14, "GPE", "model")]
        assert store.gold(doc, "bob") == []


@pytest.mark.parametrize("spans", [
    [],
    [(0, 1, "A", "model")],
    [(5, 9, "GPE", "human"), (0, 3, "PERSON", "model"), (3, 5, "GPE", "model")],  # touching, unsorted
    [(1 << 33, (1 << 33) + 5, "𝔘 label", "human"), (7, 300_000, "x", "model")],  # large offsets, non-BMP label
])
def test_packed_gold_reads_back_as_written(spans):
    blob = pack_gold(spans)
    assert unpack_gold(blob) == sorted(spans)
    index: dict[str, int] = {}
    _, starts, ends, labels = gold_of([blob], index)
    names = {k: name for name, k in index.items()}
    assert [(s, e, names[k]) for s, e, k in zip(starts.tolist(), ends.tolist(), labels.tolist())] == \
        [s[:3] for s in sorted(spans)]
    assert gold_row(spans)[2] == gold_row(sorted(spans))[2]


@pytest.mark.parametrize("bad, message", [
    ([(5, 5, "A", "model")], "empty or reversed"),
    ([(6, 5, "A", "model")], "empty or reversed"),
    ([(0, 5, "A", "robot")], "unknown origin"),
    ([(-1, 5, "A", "human")], "before the text"),
])
def test_a_bad_span_is_refused_before_anything_is_written(bad, message):
    with pytest.raises(ValueError, match=message):
        pack_gold(bad)


def test_many_layers_decode_at_once_as_each_alone():
    """The evaluation's bulk decoding (one numpy pass for a chunk of layers) gives what each
    layer decodes to alone: mixed array widths, empty layers, labels it has not seen yet."""
    layers = [
        [(0, 4, "GPE", "model"), (9, 14, "PERSON", "human")],
        [],
        [(70_000, 70_009, "ORG", "human")],  # a gap needing 32 bits
        [(3, 5, "𝔘 label", "model"), (5, 300, "GPE", "human"), (301, 302, "ORG", "model")],
    ]
    labels = {"GPE": 0, "PERSON": 1}
    which, starts, ends, found = gold_of([pack_gold(layer) for layer in layers], labels)
    names = {k: name for name, k in labels.items()}
    got = [(int(w), int(s), int(e), names[int(k)]) for w, s, e, k in zip(which, starts, ends, found)]
    assert got == [(w, s, e, label) for w, layer in enumerate(layers) for s, e, label, _ in sorted(layer)]
    assert set(labels) == {"GPE", "PERSON", "ORG", "𝔘 label"}  # new names added after those given
