"""The window keeps the evaluation's scores warm: a document accepted with Ctrl+Enter gets its
score kept (equal to scoring it afresh); after the project is prepared the accepted documents
lacking a score are scored in the background, and Tools → Evaluation then scores nothing and
gives the report computed from nothing; closing the window mid-way, or editing a document
mid-way, loses nothing and leaves no wrong score."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from annotator.core.evaluation import EvalDocument, score_document
from annotator.core.model import ACCEPTED
from annotator.core.spans import Span
from annotator.core.team import FINAL
from annotator.ops import gold_edits
from annotator.ops.evaluating import evaluate_stored
from annotator.ops.evaluation_warmup import missing
from annotator.store import Store, evaluation_cache
from tests.conftest import copy_database, write_lock_held_elsewhere
from tests.gui.test_adjudication_window import enter_adjudication, two_db  # noqa: F401 - a fixture
from tests.gui.test_evaluation_view import open_evaluation
from tests.ops.test_scale_equivalence import _generator
from tests.scoring_steps import on_scoring

pytestmark = [pytest.mark.gui, pytest.mark.integration]
DOCS = 2000  # all accepted: two chunks of the warm-up


@pytest.fixture(scope="module")
def accepted_corpus(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("warm") / "corpus.db"
    _generator().build(path, DOCS, seed=3, accepted_share=1.0)
    with Store.open(path) as store:
        store.db.execute("PRAGMA journal_mode = DELETE").fetchone()
    return path


@pytest.fixture
def corpus_window(make_window, accepted_corpus, tmp_path):
    return make_window(copy_database(accepted_corpus, tmp_path / "project.db"))


def kept_counts(store: Store, doc_id: int) -> tuple[str, str, dict[str, int], int] | None:
    """The document's valid kept score (gold kind, prediction, counts, disagreements), or None."""
    runs = evaluation_cache.scored_runs(store, [doc_id], None)
    kept = evaluation_cache.valid(store, runs).get(doc_id)
    if kept is None:
        return None
    counts = evaluation_cache.summed(store, [kept], evaluation_cache.key_names(store))
    return kept.gold_kind, kept.predicted_by, counts, kept.disagreements


def plain_score(store: Store, doc_id: int, annotator: str) -> tuple[dict[str, int], int, str]:
    """The document scored afresh by core's scorer, read piece by piece."""
    doc = store.document(doc_id)
    name, version, spans = store.newest_predictions([doc_id], None)[doc_id]
    score = score_document(EvalDocument(doc_id, doc.source, doc.text, store.tokens(doc_id), store.gold(doc_id, annotator),
                                        spans, store.boilerplate(doc_id, annotator)))
    return score.counts(), len(score.disagreements), f"{name} {version}"


def report_of(report) -> tuple:  # noqa: ANN001
    return report.evaluation.to_dict(), report.documents, report.pipeline, report.gold.kinds


def test_ctrl_enter_keeps_the_accepted_documents_score(qtbot, window, monkeypatch):
    store = window.store
    doc_id = window.view.document.id
    text = store.document(doc_id).text
    predicted = store.newest_predictions([doc_id], None)[doc_id][2]
    first = predicted[0]  # the reviewer relabels one: the score is not the model's own
    gold_edits.set_gold(store, doc_id, "tester", [Span(first.start, first.end, "ORG" if first.label != "ORG" else "GPE", "human"),
                                                  *predicted[1:]], window.labels.names)
    window.show_document(doc_id)
    assert text and kept_counts(store, doc_id) is None
    window.gold_view.setFocus()
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert store.review(doc_id, "tester").state == ACCEPTED
    qtbot.waitUntil(lambda: window.warm_idle.is_set() and not window.warming_up, timeout=30_000)
    kept = kept_counts(store, doc_id)
    assert kept is not None, "the score was kept at the accept"
    counts, disagreements, predicted_by = plain_score(store, doc_id, "tester")
    assert kept == ("single", predicted_by, counts, disagreements)
    assert disagreements >= 1
    scored: list[int] = []
    on_scoring(monkeypatch, after=scored.extend)
    warm = report_of(evaluate_stored(store, None))
    assert doc_id not in scored, "the evaluation used the kept score"
    assert warm == report_of(evaluate_stored(store, None, use_cache=False))


def test_redoing_an_accept_keeps_the_documents_score_again(qtbot, window):
    """Ctrl+Z of an accept leaves no score claiming the document accepted; Ctrl+Shift+Z accepts it
    again and keeps its score as the accept itself did."""
    store = window.store
    doc_id = window.view.document.id
    window.gold_view.setFocus()
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.warm_idle.is_set() and not window.warming_up, timeout=30_000)
    assert kept_counts(store, doc_id) is not None
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert store.review(doc_id, "tester").state != ACCEPTED
    assert kept_counts(store, doc_id) is None, "the undone accept's score is no longer valid"
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert store.review(doc_id, "tester").state == ACCEPTED
    qtbot.waitUntil(lambda: window.warm_idle.is_set() and not window.warming_up, timeout=30_000)
    counts, disagreements, predicted_by = plain_score(store, doc_id, "tester")
    assert kept_counts(store, doc_id) == ("single", predicted_by, counts, disagreements)


def test_the_warm_up_fills_every_score_and_the_evaluation_then_scores_nothing(qtbot, corpus_window, monkeypatch):
    window, store = corpus_window, corpus_window.store
    assert len(missing(store)) == DOCS
    shown: list[str] = []
    window.warm_status.show = lambda: shown.append(window.warm_status.text())  # what the status bar said
    window.prepare(store.path, [])  # as on opening: the warm-up follows the preparation
    qtbot.waitUntil(lambda: not window.preparing and window.warm_idle.is_set() and not window.warming_up,
                    timeout=120_000)
    assert missing(store) == []
    assert shown and shown[-1] == f"· Preparing evaluation {DOCS:,} / {DOCS:,}"
    assert not window.warm_status.isVisible()
    scored: list[int] = []
    on_scoring(monkeypatch, after=scored.extend)
    dialog = open_evaluation(qtbot, window)
    assert scored == [], "every score was kept by the warm-up"
    expected = evaluate_stored(store, None, use_cache=False)
    assert f"on {DOCS:,} accepted document(s)" in dialog.summary.text()
    data = expected.evaluation.to_dict()
    assert f"F {100 * data['ents_f']:.1f}" in dialog.summary.text()
    assert report_of(evaluate_stored(store, None)) == report_of(expected)


def _pause_after_first_chunk(monkeypatch, window, then) -> threading.Event:  # noqa: ANN001
    """After the warm-up's first scoring step (in the worker): say so, and wait for ``then()``."""
    scored = threading.Event()
    main = threading.get_ident()

    def after(ids: list[int]) -> None:
        if threading.get_ident() != main and not scored.is_set():
            scored.set()
            for _ in range(1000):
                if then():
                    return
                threading.Event().wait(0.01)

    on_scoring(monkeypatch, after=after)
    return scored


def test_closing_the_window_during_the_warm_up_loses_nothing(qtbot, corpus_window, monkeypatch, tmp_path):
    window, store = corpus_window, corpus_window.store
    path = store.path
    closing = threading.Event()
    scored = _pause_after_first_chunk(monkeypatch, window, closing.is_set)
    gold_before = store._q("SELECT document_id, annotator, spans FROM gold_layers ORDER BY 1, 2").fetchall()
    window.start_evaluation_warm_up()
    qtbot.waitUntil(scored.is_set, timeout=60_000)
    window._warm_runner.cancel = lambda real=window._warm_runner.cancel: (closing.set(), real())
    window.close()  # stops the warm-up: the chunk under way is kept, the rest left
    assert not window.warming_up
    monkeypatch.undo()
    conn = sqlite3.connect(str(path))
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT document_id, annotator, spans FROM gold_layers ORDER BY 1, 2").fetchall() == gold_before
    finally:
        conn.close()
    with Store.open(path, create=False) as again:
        left = missing(again)
        assert 0 < len(left) < DOCS, "stopped mid-way, the first chunk kept"
        assert report_of(evaluate_stored(again, None)) == report_of(evaluate_stored(again, None, use_cache=False))


def test_an_edit_during_the_warm_up_is_kept_and_its_document_scored_again(qtbot, corpus_window, monkeypatch):
    window, store = corpus_window, corpus_window.store
    edited = threading.Event()
    scored = _pause_after_first_chunk(monkeypatch, window, edited.is_set)
    window.start_evaluation_warm_up()
    qtbot.waitUntil(scored.is_set, timeout=60_000)
    doc_id = store.document_ids()[0]  # in the first chunk: scored as it was before the edit
    span = store.gold(doc_id, "bench")[0]
    gold_edits.relabel_span(store, doc_id, "bench", span, "PERSON" if span.label != "PERSON" else "ORG",
                            window.labels.names)
    edited.set()
    qtbot.waitUntil(lambda: window.warm_idle.is_set() and not window.warming_up, timeout=120_000)
    monkeypatch.undo()
    assert store.gold(doc_id, "bench")[0].label != span.label, "the edit stands"
    assert missing(store) == [doc_id], "its score, of the state before the edit, is not used"
    rescored: list[int] = []
    on_scoring(monkeypatch, after=rescored.extend)
    assert report_of(evaluate_stored(store, None)) == report_of(evaluate_stored(store, None, use_cache=False))
    assert doc_id in rescored and missing(store) == []
    counts, disagreements, _ = plain_score(store, doc_id, "bench")
    assert kept_counts(store, doc_id)[2:] == (counts, disagreements)


def test_the_evaluation_asked_during_the_warm_up_scores_nothing_twice(qtbot, corpus_window, monkeypatch):
    window, store = corpus_window, corpus_window.store
    scored: list[int] = []
    main = threading.get_ident()
    first = threading.Event()

    def after(ids: list[int]) -> None:  # the warm-up's first chunk waits until the evaluation is asked
        scored.extend(ids)
        if threading.get_ident() != main and not first.is_set():
            first.set()
            worker = window._warm_runner._worker
            worker.cancel_event.wait(10)

    on_scoring(monkeypatch, after=after)
    window.start_evaluation_warm_up()
    qtbot.waitUntil(first.is_set, timeout=60_000)
    assert window.warming_up
    dialog = open_evaluation(qtbot, window)  # Ctrl+Shift+E: the warm-up stops after its chunk, the evaluation waits
    assert not window.warming_up
    assert sorted(scored) == sorted(set(scored)) == store.document_ids(), "each document scored once"
    monkeypatch.undo()
    expected = evaluate_stored(store, None, use_cache=False)
    assert f"F {100 * expected.evaluation.to_dict()['ents_f']:.1f}" in dialog.summary.text()
    assert missing(store) == []
    assert report_of(evaluate_stored(store, None)) == report_of(expected)


def test_documents_imported_as_accepted_get_their_scores_after_the_import(qtbot, window, tmp_path):
    import json

    store = window.store
    texts = ["Peskov met officials of Mali in Bamako on Monday.", "The Kremlin said Ukraine and Russia talked in Kyiv."]
    gold = [[{"start": 0, "end": 6, "label": "PERSON"}, {"start": 20, "end": 24, "label": "GPE"}],
            [{"start": 4, "end": 11, "label": "ORG"}, {"start": 17, "end": 24, "label": "GPE"}]]
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps({"text": t, "spans": g, "answer": "accept"}) + "\n" for t, g in zip(texts, gold)),
                    encoding="utf-8")
    assert window.import_paths([str(path)])
    qtbot.waitUntil(lambda: not window.preparing, timeout=300_000)
    assert store.accepted_count() == 2
    qtbot.waitUntil(lambda: window.warm_idle.is_set() and not window.warming_up, timeout=60_000)
    assert missing(store) == []
    imported = [d for d in store.document_ids() if store.document(d).text in texts]
    assert all(kept_counts(store, d) is not None for d in imported)
    assert report_of(evaluate_stored(store, None)) == report_of(evaluate_stored(store, None, use_cache=False))


def test_the_adjudicators_accept_keeps_the_final_golds_score(qtbot, make_window, two_db, monkeypatch):  # noqa: F811
    window = make_window(two_db)
    enter_adjudication(qtbot, window)
    store, current = window.store, window.view.document.id
    assert kept_counts(store, current) is None
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # accept the final gold
    assert store.review(current, FINAL).state == ACCEPTED
    qtbot.waitUntil(lambda: window.warm_idle.is_set() and not window.warming_up, timeout=30_000)
    kept = kept_counts(store, current)
    assert kept is not None and kept[0] == "adjudicated"
    scored: list[int] = []
    on_scoring(monkeypatch, after=scored.extend)
    warm = report_of(evaluate_stored(store, None))
    assert current not in scored
    assert warm == report_of(evaluate_stored(store, None, use_cache=False))


def test_no_warm_up_starts_while_the_evaluation_computes(qtbot, corpus_window, monkeypatch):
    """Files imported while Tools → Evaluation computes end in ``prepared``: no warm-up starts beside
    it (two scorers, two second processes on two cores; found by the second read of the change)."""
    window, store = corpus_window, corpus_window.store
    main = threading.get_ident()
    inside, release = threading.Event(), threading.Event()

    def after(ids: list[int]) -> None:  # the evaluation's first chunk waits until the import has ended
        if threading.get_ident() != main and not inside.is_set():
            inside.set()
            release.wait(30)

    on_scoring(monkeypatch, after=after)
    window.show_evaluation()
    dialog = window.evaluation_dialog
    qtbot.waitUntil(inside.is_set, timeout=60_000)
    assert dialog.running
    window.prepared.emit()  # as an import ends
    assert not window.warming_up, "no warm-up beside the evaluation"
    release.set()
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert not window.warming_up
    qtbot.waitUntil(lambda: not dialog.runner.finishing, timeout=60_000)  # the report is shown before the keeping
    assert not window.warming_up
    assert missing(store) == [], "the evaluation kept every score itself"


def test_the_warm_up_gives_up_behind_a_long_writer_in_another_process(qtbot, corpus_window, monkeypatch):
    """Another process holds the write lock (a long import is one transaction): the warm-up's
    write gives up soon, whatever the project's busy timeout, so closing the window never waits
    for that writer; the evaluation computes what was not kept (found by the second read)."""
    monkeypatch.setenv("ANNOTATOR_BUSY_TIMEOUT_MS", "600000")  # the user's own writes may wait ten minutes
    window, store = corpus_window, corpus_window.store
    with write_lock_held_elsewhere(store.path) as holder:
        window.start_evaluation_warm_up()
        qtbot.waitUntil(lambda: not window.warming_up, timeout=120_000)  # while the other still writes
        assert holder.poll() is None, "the other process still holds the lock"
        assert len(missing(store)) == DOCS, "nothing kept behind the other writer"
    dialog = open_evaluation(qtbot, window)
    expected = evaluate_stored(store, None, use_cache=False)
    assert f"F {100 * expected.evaluation.to_dict()['ents_f']:.1f}" in dialog.summary.text()
