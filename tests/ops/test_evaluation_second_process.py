"""The first evaluation's second process (:mod:`annotator.ops.evaluating_helper`) gives exactly what
scoring every document the plain way in one snapshot gives, on the corpus of
``test_evaluation_in_arrays`` (one annotator, teams, adjudication, boilerplate, misaligned and
irregular spans, documents without tokens or predictions): when it scores its chunks, when a
document changes between the caller's snapshot and the helper's read, when it fails, and it
is ended when the evaluation is cancelled. Real processes (spawn) on a real database file.
"""

from __future__ import annotations

import multiprocessing.context
import os
import time

import pytest

import annotator.ops.evaluating as evaluating_module
from annotator.ops import evaluating_helper
from annotator.core.errors import InputError
from annotator.core.spans import Span
from annotator.ops import gold_edits
from annotator.ops.evaluating import evaluate_stored
from annotator.ops.evaluating_arrays import ArrayScoring
from annotator.store import Store
from tests.ops.test_evaluation_in_arrays import LABELS, corpus, same  # noqa: F401 - the corpus fixture

CHUNK = 40  # several chunks of the 160 documents


def _record_helper(monkeypatch, change=None, broken: bool = False) -> dict[str, list]:  # noqa: ANN001
    """Record the helper started and the chunks whose result was used; ``change()`` runs (in
    another connection) after the caller's snapshot began and before the helper starts. The
    caller's first chunk waits until the helper took one (else the caller, on 160 documents,
    is done before the helper has started). ``broken``: the helper's first chunk makes it fail."""
    seen: dict[str, list] = {"helpers": [], "used": [], "refused": []}
    real_start, real_take = evaluating_module._start_helper, evaluating_module._take_helper_chunk
    real_score = ArrayScoring.score

    def start(store_path, chunks, *args):  # noqa: ANN001, ANN202
        if change is not None:
            change()
        if broken:
            # more ids than one SQL statement takes: the helper fails on it (the caller's chunks are its own)
            chunks = [*chunks[:-1], list(range(10 ** 12, 10 ** 12 + 300_000))]
        helper = real_start(store_path, chunks, *args)
        seen["helpers"].append(helper)
        return helper

    def score(self, store_, ids, *args):  # noqa: ANN001, ANN202
        if seen["helpers"] and not seen.get("waited"):
            seen["waited"] = [True]
            helper, deadline = seen["helpers"][0], time.monotonic() + 60
            while helper.first_of_helper == helper.chunk_count and time.monotonic() < deadline:
                time.sleep(0.01)
        return real_score(self, store_, ids, *args)

    def take(store_, found, runs, kept, todo, scores):  # noqa: ANN001, ANN202
        left = real_take(store_, found, runs, kept, todo, scores)
        (seen["used"] if len(left) < len(todo) or not found.docs else seen["refused"]).append(
            [row[0] for row in found.docs])
        return left

    monkeypatch.setattr(evaluating_module, "CHUNK", CHUNK)
    monkeypatch.setattr(evaluating_module, "_start_helper", start)
    monkeypatch.setattr(evaluating_module, "_take_helper_chunk", take)
    monkeypatch.setattr(ArrayScoring, "score", score)
    return seen


@pytest.mark.parametrize("keep", [20_000, 15])
def test_second_process_gives_the_plain_result(store, corpus, tokenize, monkeypatch, keep):  # noqa: F811
    plain = evaluate_stored(store, "en_x", tokenize, use_cache=False, in_arrays=False, keep_disagreements=keep)
    seen = _record_helper(monkeypatch)
    monkeypatch.setattr(evaluating_module, "WRITE_DURING", 10)  # the caller keeps scores during its snapshot too
    first = evaluate_stored(store, "en_x", tokenize, keep_disagreements=keep, second_process=True)
    assert len(seen["helpers"]) == 1 and seen["used"] and any(seen["used"]), "the helper scored chunks"
    assert not seen["helpers"][0]._process.is_alive()
    same(first, plain)
    helped = {d for docs in seen["used"] for d in docs}
    kept = {d for (d,) in store._q("SELECT document_id FROM evaluation_cache")}
    assert helped <= kept, "the helper kept the scores it computed"
    same(evaluate_stored(store, "en_x", tokenize, keep_disagreements=keep, second_process=False), plain)
    with store.transaction():
        store.conn.execute("DELETE FROM evaluation_cache")
    evaluate_stored(store, "en_x", tokenize, keep_disagreements=keep, second_process=False)
    assert kept == {d for (d,) in store._q("SELECT document_id FROM evaluation_cache")}, "the same scores kept"
    same(evaluate_stored(store, None, tokenize, use_cache=False, second_process=True),
         evaluate_stored(store, None, tokenize, use_cache=False, in_arrays=False))


def test_the_report_is_handed_over_before_the_scores_are_kept(
        store, db_path, corpus, tokenize, monkeypatch):  # noqa: F811
    """``on_report`` gets the report while the caller's last scores are not kept yet (shown
    without waiting for the write and its checkpoint); they are kept when the call returns,
    and the second process has ended. A failing ``on_report`` still leaves them kept."""
    plain = evaluate_stored(store, "en_x", tokenize, use_cache=False, in_arrays=False)
    seen = _record_helper(monkeypatch)
    reported: list = []

    def on_report(report) -> None:  # noqa: ANN001
        with Store.open(db_path) as other:
            reported.append((report, other._q("SELECT count(*) FROM evaluation_cache").fetchone()[0]))

    found = evaluate_stored(store, "en_x", tokenize, second_process=True, on_report=on_report)
    kept = store._q("SELECT count(*) FROM evaluation_cache").fetchone()[0]
    assert len(reported) == 1 and reported[0][0] is found
    same(found, plain)
    assert reported[0][1] < kept, "the caller's scores were kept after the report was handed over"
    assert seen["helpers"] and not seen["helpers"][0]._process.is_alive()

    with store.transaction():
        store.conn.execute("DELETE FROM evaluation_cache")

    def failing(report) -> None:  # noqa: ANN001
        raise OSError("the output could not be written")

    with pytest.raises(OSError):
        evaluate_stored(store, "en_x", tokenize, second_process=False, on_report=failing)
    assert store._q("SELECT count(*) FROM evaluation_cache").fetchone()[0] == kept, "kept all the same"


def test_a_document_changed_before_the_helper_reads_it_is_scored_as_the_snapshot_has_it(
        store, db_path, corpus, tokenize, monkeypatch):  # noqa: F811
    before = evaluate_stored(store, "en_x", tokenize, use_cache=False, in_arrays=False)
    target = max(corpus["single"])  # in the last chunk: the helper's first
    text = store.document(target).text

    def change() -> None:
        with Store.open(db_path) as other:
            gold_edits.set_gold(other, target, "ann", [Span(0, len(text.split(" ")[0]), "ORG")], LABELS)

    seen = _record_helper(monkeypatch, change)
    during = evaluate_stored(store, "en_x", tokenize, second_process=True)
    same(during, before)  # the caller's snapshot began before the change
    assert seen["refused"] and any(target in docs for docs in seen["refused"])
    after = evaluate_stored(store, "en_x", tokenize, use_cache=False, in_arrays=False)
    assert after.evaluation.to_dict() != before.evaluation.to_dict()
    same(evaluate_stored(store, "en_x", tokenize, second_process=False), after)  # kept scores still right


@pytest.mark.parametrize("use_cache", [True, False])
def test_documents_the_helper_scores_after_a_change_list_their_new_disagreements(
        store, corpus, tokenize, monkeypatch, use_cache):  # noqa: F811
    """Every score and list kept, then every single-annotator document's gold changes (same
    prediction run): the helper scores them anew, and the list shows their disagreements now,
    never the ones kept from before the change (found by the second read of the change)."""
    evaluate_stored(store, "en_x", tokenize, second_process=False)  # each score kept with its list
    for d in corpus["single"]:
        rows = [(s.start, s.end, s.label) for s in store.gold(d, "ann")]
        gold_edits.set_gold(store, d, "ann", [Span(s, e, LABELS[(LABELS.index(lab) + 1) % len(LABELS)])
                                              for s, e, lab in rows], LABELS)
    plain = evaluate_stored(store, "en_x", tokenize, use_cache=False, in_arrays=False)
    seen = _record_helper(monkeypatch)
    got = evaluate_stored(store, "en_x", tokenize, use_cache=use_cache, second_process=True)
    assert seen["used"] and any(seen["used"]), "the helper scored chunks"
    same(got, plain)


def test_a_failing_helper_leaves_its_chunks_to_the_caller(store, corpus, tokenize, monkeypatch):  # noqa: F811
    seen = _record_helper(monkeypatch, broken=True)
    found = evaluate_stored(store, "en_x", tokenize, second_process=True)
    assert seen["helpers"] and seen["helpers"][0].failed and not seen["used"]
    same(found, evaluate_stored(store, "en_x", tokenize, use_cache=False, in_arrays=False))


def exits_at_once(*args) -> None:  # noqa: ANN002 - a second process dying before it reads its work
    os._exit(3)


class RecordingProcess(multiprocessing.context.SpawnProcess):
    """The spawn context's process, keeping the arguments each was started with."""

    started: list = []

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        RecordingProcess.started.append(kwargs["args"])
        super().__init__(*args, **kwargs)


def test_a_helper_dying_before_it_reads_its_chunks_leaves_them_to_the_caller(
        store, corpus, tokenize, monkeypatch):  # noqa: F811
    """The chunks' ids reach the second process in shared memory, not with its arguments: its start
    never waits for it to read them, and a process that died first (a main module spawn cannot
    import, say) only leaves its chunks to the caller; no thread is left waiting to write to it."""
    import threading

    started = RecordingProcess.started = []
    monkeypatch.setattr(multiprocessing.context.SpawnContext, "Process", RecordingProcess)
    monkeypatch.setattr(evaluating_helper, "run", exits_at_once)
    helpers: list = []
    real_start = evaluating_module._start_helper
    monkeypatch.setattr(evaluating_module, "_start_helper", lambda *a: helpers.append(real_start(*a)) or helpers[-1])
    monkeypatch.setattr(evaluating_module, "CHUNK", CHUNK)
    found = evaluate_stored(store, "en_x", tokenize, second_process=True)
    assert helpers and helpers[0]._process.exitcode == 3
    assert not any(isinstance(arg, list) for arg in started[0]), "no chunk is among the process's arguments"
    assert not [t.name for t in threading.enumerate() if "Feeder" in t.name]
    same(found, evaluate_stored(store, "en_x", tokenize, use_cache=False, in_arrays=False))


def test_cancelling_ends_the_helper(store, corpus, tokenize, monkeypatch):  # noqa: F811
    class Cancelled(Exception):
        pass

    class Progress:
        def __init__(self) -> None:
            self.steps = 0

        def start(self, description: str, total: int | None) -> None:
            pass

        def advance(self, n: int = 1) -> None:
            self.steps += 1
            if self.steps > 3:
                raise Cancelled

        def cancelled(self) -> bool:
            return self.steps > 3

    seen = _record_helper(monkeypatch)
    with pytest.raises(Cancelled):
        evaluate_stored(store, "en_x", tokenize, Progress(), second_process=True)
    assert seen["helpers"] and not seen["helpers"][0]._process.is_alive()


def test_missing_predictions_are_refused_alike_and_the_helper_ends(store, corpus, tokenize, monkeypatch):  # noqa: F811
    with pytest.raises(InputError) as plain:
        evaluate_stored(store, "en_y", tokenize, use_cache=False, in_arrays=False)
    seen = _record_helper(monkeypatch)
    with pytest.raises(InputError) as helped:
        evaluate_stored(store, "en_y", tokenize, second_process=True)
    assert str(helped.value) == str(plain.value)
    assert seen["helpers"] and not seen["helpers"][0]._process.is_alive()


def test_no_second_process_with_a_rollback_journal(db_path, monkeypatch):
    """On a network file system the project keeps a rollback journal, where a write waits for every
    reader: the helper's writes (and the caller's during its snapshot) would wait for the caller's own
    read until the busy timeout, so there the evaluation stays in one process (found by the second read)."""
    from annotator.ops.evaluating_helper import second_process_possible
    from annotator.store import connection

    monkeypatch.delenv("ANNOTATOR_EVALUATION_PROCESSES", raising=False)
    with Store.open(db_path) as wal_store:
        assert second_process_possible(wal_store) == second_process_possible()
    monkeypatch.setattr(connection, "network_filesystem", lambda path: "a network file system (nfs4)")
    with Store.open(db_path, allow_network_fs=True) as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert second_process_possible(store) is False
