"""Warming the evaluation's scores ahead: the second process or this one, every accepted
document lacking a valid score gets the one the evaluation would compute; a cancel keeps the
chunks done; documents that cannot be kept (no stored tokens) are left to the evaluation."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.ops import gold_edits
from annotator.ops.evaluating import evaluate_stored
from annotator.ops.evaluating_arrays import ArrayScoring
from annotator.ops.evaluation_warmup import keep_scores_of, missing, warm_up
from annotator.store import Store
from tests.conftest import copy_database, write_lock_held_elsewhere
from tests.ops.test_scale_equivalence import _generator
from tests.scoring_steps import on_scoring

DOCS = 1500


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("warm") / "corpus.db"
    _generator().build(path, DOCS, seed=5, accepted_share=1.0)
    with Store.open(path) as store:
        ids = store.document_ids()
        for doc_id in ids[:3]:  # a second annotator agreeing: team gold, the plain path
            gold_edits.set_gold(store, doc_id, "other", store.gold(doc_id, "bench"), ["GPE", "PERSON", "ORG", "LOC",
                                                                                      "DATE", "NORP"])
            gold_edits.set_boilerplate(store, doc_id, "other", store.boilerplate(doc_id, "bench"))
            gold_edits.set_state(store, doc_id, "other", "accepted")
        store.db.execute("PRAGMA journal_mode = DELETE").fetchone()
    return path


def report_of(report) -> tuple:  # noqa: ANN001
    return report.evaluation.to_dict(), report.documents, report.pipeline, report.gold.kinds


class Steps:
    def __init__(self, cancel_after: int | None = None):
        self.total, self.done, self.cancel_after = None, 0, cancel_after

    def start(self, description: str, total: int | None) -> None:
        self.total = total

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.cancel_after is not None and self.done >= self.cancel_after:
            raise KeyboardInterrupt("cancelled")

    def cancelled(self) -> bool:
        return False


@pytest.mark.parametrize("second_process", [False, True])
def test_warm_up_keeps_what_the_evaluation_computes(corpus, tmp_path, monkeypatch, second_process):
    path = copy_database(corpus, tmp_path / "p.db")
    with Store.open(path) as store:
        steps = Steps()
        assert warm_up(store, None, steps, second_process=second_process) == DOCS
        assert (steps.total, steps.done) == (DOCS, DOCS)
        assert missing(store) == []
        scored: list[int] = []
        on_scoring(monkeypatch, after=scored.extend)
        lists_made: list[int] = []
        details = ArrayScoring.details
        monkeypatch.setattr(ArrayScoring, "details", lambda self, s, ids, p: (lists_made.extend(ids),
                                                                              details(self, s, ids, p))[1])
        warm = report_of(evaluate_stored(store, None))
        assert scored == []
        if not second_process:  # the first documents' disagreement lists were kept too (the helper keeps none)
            assert lists_made == []
        assert warm == report_of(evaluate_stored(store, None, use_cache=False))
        assert warm[3].get("agreed") == 3
        assert warm_up(store, None, Steps()) == 0, "nothing left to do"


@pytest.mark.parametrize("second_process", [False, True])
def test_a_cancelled_warm_up_keeps_the_chunks_done(corpus, tmp_path, second_process):
    path = copy_database(corpus, tmp_path / "p.db")
    with Store.open(path) as store:
        with pytest.raises(KeyboardInterrupt):
            warm_up(store, None, Steps(cancel_after=1), second_process=second_process)
        left = missing(store)
        assert len(left) < DOCS, "the chunks done are kept"
        if not second_process:  # here the cancel comes between two chunks (the helper may finish the one it took)
            assert len(left) > 0
        assert store._q("PRAGMA integrity_check").fetchone() == ("ok",)
        assert report_of(evaluate_stored(store, None)) == report_of(evaluate_stored(store, None, use_cache=False))


def test_documents_without_tokens_or_not_accepted_are_left(corpus, tmp_path):
    path = copy_database(corpus, tmp_path / "p.db")
    with Store.open(path) as store:
        ids = store.document_ids()
        with store.transaction():
            store._q("DELETE FROM document_tokens WHERE document_id = ?", [ids[5]])
        gold_edits.set_state(store, ids[6], "bench", "in_progress")
        assert keep_scores_of(store, ids[4:8]) == 2
        left = set(missing(store))
        # no stored tokens: the evaluation tokenizes it and keeps nothing, so no warm-up tries it
        assert ids[5] not in left and ids[6] not in left and ids[4] not in left and ids[7] not in left
        assert ids[8] in left, "accepted, with tokens, no score kept yet"


def test_another_process_editing_during_the_warm_up_keeps_its_edit_and_the_document_is_scored_again(
        corpus, tmp_path, monkeypatch):
    from tests.gui.test_adjudication_window import relabel_in_another_process

    path = copy_database(corpus, tmp_path / "p.db")
    with Store.open(path) as store:
        doc_id = store.document_ids()[10]
        span = store.gold(doc_id, "bench")[0]
        new_label = "PERSON" if span.label != "PERSON" else "ORG"
        edited: list[int] = []

        def after(ids: list[int]) -> None:  # inside the warm-up's read snapshot of the first chunk, before its write
            if doc_id in ids and not edited:
                relabel_in_another_process(path, doc_id, "bench", span, new_label)
                edited.append(doc_id)

        on_scoring(monkeypatch, after=after)
        warm_up(store, None, Steps(), second_process=False)
        monkeypatch.undo()
        assert edited
        assert store.gold(doc_id, "bench")[0].label == new_label, "the other process's edit stands"
        assert missing(store) == [doc_id], "the score of the state before the edit is not used"
        scored: list[int] = []
        on_scoring(monkeypatch, after=scored.extend)
        assert report_of(evaluate_stored(store, None)) == report_of(evaluate_stored(store, None, use_cache=False))
        assert doc_id in scored


def test_a_warm_up_behind_another_writer_gives_up_with_its_second_process(corpus, tmp_path, monkeypatch):
    """The warm-up's second process waits for another writer no longer than the caller's own
    connection does (the window's: 2 s), not the project's busy timeout: a long import in another
    process does not hold the warm-up, nor the window closing after it (found by the second read)."""
    monkeypatch.setenv("ANNOTATOR_BUSY_TIMEOUT_MS", "600000")
    path = copy_database(corpus, tmp_path / "p.db")
    Store.open(path).close()  # back in WAL mode
    with write_lock_held_elsewhere(path) as holder, Store.open(path, create=False, busy_timeout_ms=2000) as store:
        warm_up(store, None, second_process=True)  # what it could not keep is logged, not raised
        assert holder.poll() is None, "given up while the other process still writes"
        assert len(missing(store)) == DOCS
