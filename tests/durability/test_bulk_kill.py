"""SIGKILL while a bulk relabel is applied, undone or redone: the database holds the change
whole or not at all, and the change record says which.

A real child process applies "every Mali as GPE" to 1,500 documents (most never edited, so
each one's model spans are copied into the gold), then undoes and redoes it in a loop, saying
when each step committed. A calibration run times the steps; each later run is killed half
way into one of them. After each kill: the file passes ``integrity_check``, and every
document is exactly as before the change when the record says undone (or there is no record),
exactly as after it when the record says applied.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from annotator.core.spans import Span
from annotator.ops import gold_edits, occurrences
from annotator.ops.indexing import index_pending
from annotator.core.packing import unpack_gold
from annotator.store import Store
from tests.conftest import copy_database

ROOT = Path(__file__).resolve().parents[2]
LABELS = ["GPE", "PERSON", "ORG", "NORP"]
CHILD = """
import sys
from annotator.ops import occurrences as ops
from annotator.store import Store
labels = ["GPE", "PERSON", "ORG", "NORP"]
with Store.open(sys.argv[1]) as store:
    found = list(ops.scan(store, "me", "Mali", "GPE"))
    print("GO", flush=True)
    change = ops.apply(store, "me", "GPE", found, labels, description="every Mali").change_id
    print("APPLIED", flush=True)
    while True:
        ops.undo(store, change, "me", labels)
        print("UNDONE", flush=True)
        ops.redo(store, change, "me", labels)
        print("REDONE", flush=True)
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, tokenize) -> Path:
    path = tmp_path_factory.mktemp("bulk-kill") / "base.db"
    words = "Mali junta Bamako said on Monday that Wagner forces left the region".split()
    with Store.open(path) as store, store.transaction():
        for i in range(1500):
            text = " ".join(words[(i + k) % len(words)] for k in range(60)) + f" Report {i}."
            doc_id, _ = store.add_document(text, f"d{i}.txt", f"h{i}")
            tokens = tokenize(text)
            store.set_tokens(doc_id, "blank", tokens)
            spans, at = [], 0
            for word in text.split():
                at = text.index(word, at)
                if word in ("Mali", "Bamako", "Wagner", "Monday"):
                    spans.append(Span(at, at + len(word), "PERSON" if word == "Mali" else "ORG", "model"))
                at += len(word)
            store.add_prediction(doc_id, "en_x", "1", spans)
    with Store.open(path) as store:
        for doc_id in store.document_ids()[::4]:
            gold_edits.set_state(store, doc_id, "me", "accepted")  # started: their gold is a copy
        index_pending(store)
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    return path


def _layers(path: Path) -> dict[int, tuple]:
    conn = sqlite3.connect(path)
    try:
        gold: dict[int, list] = {}
        for doc, blob in conn.execute("SELECT document_id, spans FROM gold_layers WHERE annotator = 'me'"):
            gold[doc] = unpack_gold(blob)
        states = dict(conn.execute("SELECT document_id, state FROM annotator_reviews WHERE annotator = 'me'"))
        ids = [r[0] for r in conn.execute("SELECT id FROM documents ORDER BY id")]
        return {d: (tuple(gold.get(d, ())), states.get(d)) for d in ids}
    finally:
        conn.close()


def _record(path: Path) -> str | None:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT state FROM bulk_changes").fetchall()
        assert len(rows) <= 1
        return rows[0][0] if rows else None
    finally:
        conn.close()


def _run(db: Path, kill_after: tuple[str, float] | None) -> tuple[list[tuple[str, float]], bool]:
    """Run the child; without ``kill_after`` until its first REDONE, else killed that many seconds
    after that marker. (Markers with their times, and whether the kill came before the next one.)"""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    seen: list[tuple[str, float]] = []
    try:
        for line in child.stdout:
            seen.append((line.strip(), time.perf_counter()))
            if kill_after is None and seen[-1][0] == "REDONE":
                break
            if kill_after is not None and seen[-1][0] == kill_after[0]:
                time.sleep(kill_after[1])
                break
        else:
            raise AssertionError(f"the child ended: {child.wait()} {child.stderr.read() if child.stderr else ''}")
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=60) == -signal.SIGKILL
        rest = child.stdout.read()  # a step that committed before the kill may have said so
        mid_step = not rest.strip()
        return seen, mid_step
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for pipe in (child.stdout, child.stderr):
            if pipe is not None:
                pipe.close()


def test_a_killed_bulk_change_is_whole_or_absent(corpus, tmp_path):
    before = _layers(corpus)
    whole = copy_database(corpus, tmp_path / "whole.db")
    with Store.open(whole) as store:  # the change made whole, in this process
        occurrences.apply(store, "me", "GPE", list(occurrences.scan(store, "me", "Mali", "GPE")), LABELS,
                          description="every Mali")
    after = _layers(whole)
    assert after != before
    calibration = copy_database(corpus, tmp_path / "calibration.db")
    seen, _ = _run(calibration, None)
    assert _record(calibration) == "applied"  # killed after REDONE, maybe inside the next undo
    times = dict(seen)
    steps = {"GO": times["APPLIED"] - times["GO"], "APPLIED": times["UNDONE"] - times["APPLIED"],
             "UNDONE": times["REDONE"] - times["UNDONE"]}
    mid_steps = 0
    for marker, duration in steps.items():
        for fraction in (0.3, 0.7):
            db = copy_database(corpus, tmp_path / f"{marker}-{fraction}.db")
            _seen, mid_step = _run(db, (marker, duration * fraction))
            mid_steps += mid_step
            state = _record(db)
            layers = _layers(db)
            if state in (None, "undone"):
                assert layers == before, (marker, fraction, state)
            else:
                assert state == "applied"
                assert layers == after, (marker, fraction)
    assert mid_steps >= 3, "most kills land inside a step"
