"""Each document's evaluation score is kept and used again only while the document is unchanged."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from annotator.core.spans import Range, Span
from annotator.ops import gold_edits
from annotator.ops.evaluating import evaluate_stored
from tests.scoring_steps import on_scoring

ROOT = Path(__file__).resolve().parents[2]
LABELS = ["GPE", "PERSON", "ORG", "LOC"]
TEXTS = [f"Report {i}: Peskov met Mali officials in Bamako and Kyiv.\nShare this\n" for i in range(4)]


def find(text: str, word: str, label: str) -> Span:
    start = text.index(word)
    return Span(start, start + len(word), label, "model")


@pytest.fixture
def corpus(store, tokenize):
    ids = []
    for k, text in enumerate(TEXTS):
        doc_id, _ = store.add_document(text, f"r{k}.txt", f"h{k}")
        store.set_tokens(doc_id, "blank", tokenize(text))
        store.add_prediction(doc_id, "en_x", "1", [find(text, "Peskov", "PERSON"), find(text, "Mali", "PERSON"),
                                                     find(text, "Kyiv", "GPE")])
        gold_edits.set_gold(store, doc_id, "me", [find(text, "Peskov", "PERSON"), find(text, "Mali", "GPE"),
                                                  find(text, "Bamako", "GPE")], LABELS)
        gold_edits.set_boilerplate(store, doc_id, "me", [Range(text.index("Share"), len(text) - 1)])
        gold_edits.set_state(store, doc_id, "me", "accepted")
        ids.append(doc_id)
    return ids


class Counting:
    """Both scorers (one document at a time, a chunk in arrays), counting which documents they scored."""

    def __init__(self, monkeypatch):
        self.scored: list[int] = []
        on_scoring(monkeypatch, after=self.scored.extend)


def same(a, b) -> None:
    assert a.evaluation.to_dict() == b.evaluation.to_dict()
    assert a.evaluation.disagreements == b.evaluation.disagreements
    assert (a.documents, a.pipeline, a.gold.kinds) == (b.documents, b.pipeline, b.gold.kinds)


def test_second_evaluation_reads_the_kept_scores_and_rescores_only_what_changed(store, corpus, monkeypatch):
    counting = Counting(monkeypatch)
    first = evaluate_stored(store, "en_x")
    assert sorted(counting.scored) == corpus
    counting.scored.clear()
    again = evaluate_stored(store, "en_x")
    assert counting.scored == [], "nothing changed: every score was read back"
    same(again, first)
    same(again, evaluate_stored(store, "en_x", use_cache=False))
    assert {d.text for d in again.evaluation.disagreements} == {"Mali", "Kyiv", "Bamako"}
    counting.scored.clear()

    a, b, c, d = corpus
    text = TEXTS[0]
    gold_edits.relabel_span(store, a, "me", find(text, "Bamako", "GPE"), "LOC", LABELS)  # gold span edited
    gold_edits.set_boilerplate(store, b, "me", [])  # boilerplate removed
    store.add_prediction(c, "en_x", "2", [find(text, "Mali", "GPE")])  # a newer prediction
    changed = evaluate_stored(store, "en_x")
    assert sorted(counting.scored) == [a, b, c]
    same(changed, evaluate_stored(store, "en_x", use_cache=False))
    assert changed.evaluation.to_dict() != first.evaluation.to_dict()
    counting.scored.clear()
    gold_edits.set_state(store, d, "me", "skipped")  # no longer gold: not scored, not counted
    fewer = evaluate_stored(store, "en_x")
    assert counting.scored == [] and fewer.documents == 3
    same(fewer, evaluate_stored(store, "en_x", use_cache=False))
    counting.scored.clear()
    gold_edits.set_state(store, d, "me", "accepted")
    evaluate_stored(store, "en_x")
    assert counting.scored == [d], "accepting again changed its review: scored afresh"


def test_scores_are_kept_per_prediction_run_whoever_asks(store, corpus, monkeypatch):
    for doc_id, text in zip(corpus, TEXTS):
        store.add_prediction(doc_id, "en_y", "1", [find(text, "Mali", "GPE"), find(text, "Bamako", "GPE")])
    counting = Counting(monkeypatch)
    x, y = evaluate_stored(store, "en_x"), evaluate_stored(store, "en_y")
    assert sorted(counting.scored) == sorted(corpus * 2)
    counting.scored.clear()
    newest = evaluate_stored(store, None)  # en_y's runs are the newest: their scores are shared
    assert counting.scored == []
    for name, before in (("en_x", x), ("en_y", y), (None, newest)):
        same(evaluate_stored(store, name), before)
    assert counting.scored == []
    assert x.evaluation.to_dict() != y.evaluation.to_dict() == newest.evaluation.to_dict()
    assert newest.pipeline == "en_y 1"


def test_an_edit_made_while_scoring_leaves_the_score_stale_not_wrong(store, corpus, monkeypatch, db_path):
    """Another process changes a document's gold after the evaluation read it (its snapshot)
    and before the scores are written: the next evaluation scores that document afresh."""
    edited = []

    def edit(ids):  # noqa: ANN001, ANN202
        if not edited:
            doc_id = ids[0]
            text = store.document(doc_id).text
            code = textwrap.dedent("""
                import sys
                from annotator.core.spans import Span
                from annotator.ops import gold_edits
                from annotator.store import Store
                doc_id, start = int(sys.argv[2]), int(sys.argv[3])
                with Store.open(sys.argv[1]) as store:
                    gold_edits.remove_span(store, doc_id, "me", Span(start, start + 4, "GPE", "model"))
            """)
            result = subprocess.run([sys.executable, "-c", code, str(db_path), str(doc_id),
                                     str(text.index("Mali"))], cwd=ROOT, capture_output=True, text=True,
                                    timeout=120)
            assert result.returncode == 0, result.stderr
            edited.append(doc_id)

    patched = pytest.MonkeyPatch()
    on_scoring(patched, before=edit)
    during = evaluate_stored(store, "en_x")
    assert edited == [corpus[0]]
    patched.undo()
    counting = Counting(monkeypatch)
    after = evaluate_stored(store, "en_x")
    assert counting.scored == [corpus[0]]
    same(after, evaluate_stored(store, "en_x", use_cache=False))
    assert after.evaluation.to_dict()["fn"] == during.evaluation.to_dict()["fn"] - 1


def test_scores_are_kept_without_waiting_for_the_disk_and_the_connection_is_left_as_it_was(store, corpus, tokenize,
                                                                                          monkeypatch):
    from annotator.store import evaluation_cache

    seen: list[int] = []
    real_write = evaluation_cache.write

    def write(store_, rows, *args, **kwargs):  # noqa: ANN001, ANN202
        rows = list(rows)
        seen.append(store_.conn.execute("PRAGMA synchronous").fetchone()[0])
        return real_write(store_, _watch(store_, rows, seen), *args, **kwargs)

    def _watch(store_, rows, into):  # noqa: ANN001, ANN202
        for row in rows:
            into.append(store_.conn.execute("PRAGMA synchronous").fetchone()[0])
            yield row

    before = store.conn.execute("PRAGMA synchronous").fetchone()[0]
    monkeypatch.setattr(evaluation_cache, "write", write)
    evaluate_stored(store, "en_x", tokenize)
    assert seen[0] == before == 2 and set(seen[1:]) == {1}, "NORMAL while the cache is written (WAL)"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == before
    assert store._q("SELECT count(*) FROM evaluation_cache").fetchone()[0] == len(corpus)


def test_scores_are_kept_without_loading_sqlite_utils(store, corpus, db_path):
    """Keeping scores writes through the plain connection: the evaluation's second process (and a
    command line that only evaluates) never imports sqlite-utils (~0.25 s) for it. A separate
    process, as the second process is."""
    code = textwrap.dedent("""
        import sys
        from annotator.store import Store, evaluation_cache
        from annotator.store.evaluation_cache import Fresh

        with Store.open(sys.argv[1], create=False) as store:
            runs = evaluation_cache.scored_runs(store, [int(d) for d in sys.argv[2:]], "en_x")
            stamps = evaluation_cache.stamps(store, list(runs))
            kept = evaluation_cache.write(store, [(d, run, stamps[d], Fresh("single", "en_x 1", {"documents": 1}, 0, None))
                                                  for d, run in runs.items()])
        print(kept, "sqlite_utils" in sys.modules)
    """)
    result = subprocess.run([sys.executable, "-c", code, str(db_path), *map(str, corpus)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(len(corpus)), "False"]
    assert store._q("SELECT count(*) FROM evaluation_cache").fetchone()[0] == len(corpus)
