"""A kept evaluation score (migration 0040) stays valid only while nothing of its document changed,
whoever changed it: here another process writes with nothing but Python's sqlite3 module, as
the sqlite3 shell or a script would, and the score kept before is no longer served."""

from __future__ import annotations

import subprocess
import sys

import pytest

from annotator.core.model import ACCEPTED
from annotator.core.spans import Range, Span
from annotator.ops import gold_edits
from annotator.store import evaluation_cache, team
from annotator.core.packing import pack_gold

LABELS = ["GPE", "PERSON", "ORG"]
TEXT = "Mali said Keita met Putin in Bamako on Monday."


def _project(store, tokenize) -> int:
    doc, _ = store.add_document(TEXT, "a.txt", "h-a")
    store.set_tokens(doc, "blank", tokenize(TEXT))
    store.add_prediction(doc, "en_x", "1", [Span(0, 4, "GPE", "model"), Span(10, 15, "PERSON", "model")])
    other, _ = store.add_document("Niger and Chad.", "b.txt", "h-b")
    store.add_prediction(other, "en_x", "1", [Span(0, 5, "GPE", "model")])
    gold_edits.relabel_span(store, doc, "me", Span(10, 15, "PERSON", "model"), "ORG", LABELS)
    gold_edits.set_boilerplate(store, doc, "me", [Range(37, 46)])
    gold_edits.set_state(store, doc, "me", ACCEPTED)
    return doc


def _keep_scores(store, ids: list[int]) -> dict[int, int]:
    """Keep a score for each of ``ids`` at its current stamp; the runs scored."""
    runs = evaluation_cache.scored_runs(store, ids, None)
    stamps = evaluation_cache.stamps(store, ids)
    fresh = evaluation_cache.Fresh("accepted", "en_x 1", {"tp:GPE": 1}, 0, None)
    evaluation_cache.write(store, [(d, runs[d], stamps[d], fresh) for d in ids])
    assert set(evaluation_cache.valid(store, runs)) == set(ids)
    return runs


def _write_elsewhere(path, sql: str) -> None:
    """``sql`` committed by a separate process through the plain sqlite3 module (no annotator code,
    foreign keys off as in the sqlite3 shell)."""
    code = ("import sqlite3, sys\nconn = sqlite3.connect(sys.argv[1])\nconn.execute(sys.argv[2])\n"
            "assert conn.total_changes > 0, 'the statement changed nothing'\nconn.commit()\n")
    subprocess.run([sys.executable, "-c", code, str(path), sql], check=True, timeout=60)


CHANGES = {
    "gold inserted": "INSERT INTO gold_layers(document_id, annotator, spans, n_spans, labels) "
                     f"VALUES ({{doc}}, 'you', X'{pack_gold([(20, 25, 'PERSON', 'human')]).hex()}', 1, '[\"PERSON\"]')",
    "gold relabelled": f"UPDATE gold_layers SET spans = X'{pack_gold([(0, 5, 'GPE', 'human')]).hex()}', "
                       "labels = '[\"GPE\"]' WHERE document_id = {doc} AND annotator = 'me'",
    "gold deleted": "DELETE FROM gold_layers WHERE document_id = {doc}",
    "boilerplate deleted": "DELETE FROM boilerplate WHERE document_id = {doc}",
    "boilerplate moved": "UPDATE boilerplate SET start_char = 36 WHERE document_id = {doc}",
    "review reopened": "UPDATE annotator_reviews SET state = 'in_progress' WHERE document_id = {doc}",
    "tokens deleted": "DELETE FROM document_tokens WHERE document_id = {doc}",
    "prediction relabelled": "UPDATE prediction_runs SET version = '2' WHERE document_id = {doc}",
    "adjudication started": "INSERT INTO adjudications(document_id, adjudicator, started_at, updated_at) "
                            "VALUES ({doc}, 'lead', 'now', 'now')",
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_by_another_process_invalidates_the_kept_score(store, tokenize, change):
    doc = _project(store, tokenize)
    other = doc + 1
    runs = _keep_scores(store, [doc, other])
    stamp = team.document_stamp(store, doc)
    _write_elsewhere(store.path, CHANGES[change].format(doc=doc))
    assert set(evaluation_cache.valid(store, runs)) == {other}  # the other document's score still holds
    assert team.document_stamp(store, doc) != stamp  # what the adjudication cache compares


def test_a_bulk_change_and_its_undo_and_redo_invalidate_the_kept_scores(store, tokenize):
    """A bulk change writes a page's gold with one statement (a JSON array unpacked by SQLite):
    the per-row triggers still move the stamp of every document it touches, at each step."""
    from annotator.ops import occurrences
    from annotator.ops.indexing import index_pending

    doc = _project(store, tokenize)
    texts = [f"Story {i}: Keita went to Bamako." for i in range(4)]
    fresh = []
    for i, text in enumerate(texts):
        d, _ = store.add_document(text, f"s{i}.txt", f"h-s{i}")
        store.set_tokens(d, "blank", tokenize(text))
        store.add_prediction(d, "en_x", "1", [Span(text.index("Bamako"), text.index("Bamako") + 6, "GPE", "model")])
        fresh.append(d)
    index_pending(store)
    untouched = doc + 1
    runs = _keep_scores(store, [doc, *fresh, untouched])
    result = occurrences.relabel_everywhere(store, "me", "Keita", "PERSON", LABELS)
    assert set(evaluation_cache.valid(store, runs)) == {untouched}
    changed = [doc, *fresh]
    assert result.documents == len(changed)
    steps = {"undo": occurrences.undo, "redo": occurrences.redo}
    for step in ("undo", "redo", "undo"):
        runs = _keep_scores(store, [*changed, untouched])
        steps[step](store, result.change_id, "me", LABELS)
        assert set(evaluation_cache.valid(store, runs)) == {untouched}, step
